"""What the operators see: /healthz, /readyz, /metrics, and the request's context in every log line.

- `/healthz`: the process answers (liveness: restart it if not). `/readyz`: the primary, the replica (if any),
  Redis, the Celery broker and the file storage answer (readiness: send it no traffic if not), 503 with the
  failing checks named otherwise.
- `/metrics`: the Prometheus text format, written here rather than through django-prometheus: what it shows is
  read at scrape time from the shared services (queue lengths, replica lag, reachability), so it is the same
  whichever gunicorn worker or host answers, with no multiprocess directory and no extra dependency; the Celery
  task counts, durations and the periodic jobs' last figures are counted in Redis by every worker. Request rates
  and latencies come from nginx's access log (docs/operations.md), where the proxy measures them.
- All three answer only the networks of OPS_ALLOWED_CIDRS (the client address as regulator.clientaddr sees it,
  behind the trusted proxies) or a bearer METRICS_TOKEN; anyone else gets a plain 404.
- `RequestIdMiddleware` keeps the request id (nginx's X-Request-ID, or a new one), echoed in the response; the
  `RequestContextFilter` adds it, and the user id and department id of an authenticated staff member, to every
  log record; `JsonFormatter` writes one JSON object a line (LOG_FORMAT=json). A public request has no user and a
  reporter's identity is never logged.
"""

import contextvars
import hmac
import ipaddress
import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.signals import request_finished
from django.db import connections
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.functional import empty
from django.views.decorators.cache import never_cache

from . import db_router
from .clientaddr import client_ip

_request = contextvars.ContextVar("observed_request", default=None)
_request_id = contextvars.ContextVar("request_id", default="")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# ---- request context in the logs -------------------------------------------------------------------------


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        _request_id.set(request_id)
        _request.set(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _forget_request(**kwargs):
    _request.set(None)
    _request_id.set("")


request_finished.connect(_forget_request, dispatch_uid="regulator.observability.forget_request")


def request_context() -> dict:
    """The request id, and the user's and department's ids once the request has loaded its user (never loaded
    here: a log line costs no query)."""
    context = {"request_id": _request_id.get()}
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is not None and wrapped is not empty and getattr(wrapped, "is_authenticated", False):
        context["user_id"] = wrapped.pk
        context["department_id"] = getattr(wrapped, "department_id", None)
    return context


class RequestContextFilter(logging.Filter):
    def filter(self, record):
        for key, value in request_context().items():
            setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request's context, and the
    exception's traceback when there is one."""

    _CONTEXT = ("request_id", "user_id", "department_id")

    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in self._CONTEXT:
            value = getattr(record, key, None)
            if value not in (None, ""):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# ---- who may ask ------------------------------------------------------------------------------------------


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr) for cidr in settings.OPS_ALLOWED_CIDRS)


def _ops_view(view):
    def wrapped(request):
        if not _allowed(request):
            raise Http404
        return view(request)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


# ---- checks -----------------------------------------------------------------------------------------------


def _check_database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def _check_broker() -> None:
    from celery import current_app

    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


def _check_storage() -> None:
    default_storage.exists("readyz-probe")  # a HEAD on the bucket, a stat on the disk: an error raises


def readiness() -> dict[str, str]:
    checks = {"database": lambda: _check_database("default"), "cache": _check_cache, "broker": _check_broker,
              "storage": _check_storage}
    if db_router.replica_configured():
        checks["replica"] = lambda: _check_database(db_router.REPLICA)
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # any failure is a failed check, reported by name
            logging.getLogger(__name__).warning("readiness check %s failed", name, exc_info=True)
            results[name] = f"error: {type(error).__name__}"
    return results


@_ops_view
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


@_ops_view
def readyz(request):
    results = readiness()
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"ready": ready, "checks": results}, status=200 if ready else 503)


# ---- task metrics, counted in Redis ----------------------------------------------------------------------
# Every worker of every host adds to the same Redis hashes (one pipelined round trip at a task's end), so /metrics
# shows the deployment's totals whichever process answers. A periodic job's numeric result (the chaser's counts)
# is kept as its last run's figures.

TASK_COUNTS_KEY = "regulator:metrics:task_counts"
TASK_SECONDS_KEY = "regulator:metrics:task_seconds"
TASK_RESULT_KEY = "regulator:metrics:task_last_result"
_started: dict[str, float] = {}


def _metrics_redis():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    from celery import current_app

    return current_app.pool.acquire(block=True)


def _task_started(task_id=None, **kwargs):
    if task_id:
        _started[task_id] = time.monotonic()


def _task_finished(task_id=None, task=None, state=None, retval=None, **kwargs):
    began = _started.pop(task_id, None) if task_id else None
    if task is None or state is None:
        return
    try:
        conn = _metrics_redis()
        if conn is None:
            return
        with conn:
            pipe = conn.default_channel.client.pipeline()
            pipe.hincrby(TASK_COUNTS_KEY, f"{task.name}|{state}", 1)
            if began is not None:
                pipe.hincrbyfloat(TASK_SECONDS_KEY, task.name, time.monotonic() - began)
            if state == "SUCCESS" and task.name in settings.CELERY_BEAT_TASKS:
                figures = retval if isinstance(retval, dict) else {"result": retval}
                for key, value in figures.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        pipe.hset(TASK_RESULT_KEY, f"{task.name}|{key}", value)
            pipe.execute()
    except Exception:  # metrics never fail a task
        logging.getLogger(__name__).warning("task metrics not recorded", exc_info=True)


def connect_task_metrics() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="regulator.observability.task_started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="regulator.observability.task_finished")


def _task_metrics() -> tuple[dict, dict, dict] | None:
    conn = _metrics_redis()
    if conn is None:
        return None
    with conn:
        client = conn.default_channel.client
        pipe = client.pipeline()
        pipe.hgetall(TASK_COUNTS_KEY)
        pipe.hgetall(TASK_SECONDS_KEY)
        pipe.hgetall(TASK_RESULT_KEY)
        counts, seconds, results = pipe.execute()

    def text(raw):
        return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}

    return text(counts), text(seconds), text(results)


# ---- metrics ----------------------------------------------------------------------------------------------


def _queue_lengths() -> dict[str, int] | None:
    """Messages waiting in each Celery queue (Redis lists, one per priority step), or None off Redis."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    from celery import current_app

    lengths = {}
    with current_app.connection_for_read() as connection:
        client = connection.default_channel.client
        for name in settings.CELERY_QUEUE_NAMES:
            keys = [name, *(f"{name}\x06\x16{step}" for step in range(1, 10))]
            pipe = client.pipeline()
            for key in keys:
                pipe.llen(key)
            lengths[name] = sum(pipe.execute())
    return lengths


def _labels(**labels) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


@_ops_view
def metrics(request):
    lines = []

    def gauge(name: str, help_text: str, samples: list[tuple[dict, float]]):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            lines.append(f"{name}{_labels(**labels) if labels else ''} {value}")

    results = readiness()
    gauge("regulator_up", "The service's dependencies answer (1) or not (0), by check.",
          [({"check": name}, 1 if value == "ok" else 0) for name, value in results.items()])
    if db_router.replica_configured() and results.get("replica") == "ok":
        lag = db_router.replica_lag_seconds()
        if lag is not None:
            gauge("regulator_replica_lag_seconds", "Seconds the read replica is behind the primary.", [({}, lag)])
    try:
        lengths = _queue_lengths()
    except Exception:
        logging.getLogger(__name__).warning("queue lengths unavailable", exc_info=True)
        lengths = None
    if lengths is not None:
        gauge("regulator_celery_queue_length", "Tasks waiting in each Celery queue.",
              [({"queue": name}, count) for name, count in lengths.items()])
    try:
        tasks = _task_metrics()
    except Exception:
        logging.getLogger(__name__).warning("task metrics unavailable", exc_info=True)
        tasks = None
    if tasks is not None:
        counts, seconds, results = tasks

        def split(key):
            name, _sep, rest = key.partition("|")
            return name, rest

        lines.append("# HELP regulator_celery_tasks_total Tasks finished, by task and final state.")
        lines.append("# TYPE regulator_celery_tasks_total counter")
        for key, value in sorted(counts.items()):
            name, state = split(key)
            lines.append(f"regulator_celery_tasks_total{_labels(task=name, state=state)} {int(value)}")
        lines.append("# HELP regulator_celery_task_seconds_total Seconds spent in each task, summed.")
        lines.append("# TYPE regulator_celery_task_seconds_total counter")
        for name, value in sorted(seconds.items()):
            lines.append(f"regulator_celery_task_seconds_total{_labels(task=name)} {value:.3f}")
        gauge("regulator_periodic_last_result", "The figures of a periodic job's last successful run "
              "(the chasers: orders made overdue, notices sent...).",
              [({"task": split(key)[0], "figure": split(key)[1]}, value) for key, value in sorted(results.items())])
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4; charset=utf-8")
