"""Reads of the public site, open data, the dashboard and the ledger exports go to the `replica` database when one
is configured (REPLICA_DATABASE_URL); everything else goes to the primary (`default`).

- Only a GET or HEAD of a view named in settings.REPLICA_READ_VIEWS reads from the replica
  (`ReplicaReadsMiddleware`); a Celery task, a command or any other page reads from the primary.
- Writes always go to the primary, and once a request has written, the rest of it reads from the primary too
  (it sees its own writes). A read inside a transaction of the primary stays there (it may read what the
  transaction wrote, or lock it).
- The replica is used only while its measured lag is at most REPLICA_MAX_LAG_SECONDS; the measure is kept
  REPLICA_LAG_CHECK_SECONDS per process. A replica that does not answer counts as behind: the page is served
  from the primary, a little slower, never refused.
- Sessions and login throttling are the primary's alone: a session written a moment ago must be found.
"""

import contextvars
import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
_PRIMARY_ONLY_APPS = frozenset({"sessions", "axes"})

_replica_wanted = contextvars.ContextVar("replica_wanted", default=False)
_wrote = contextvars.ContextVar("wrote", default=False)

# The lag's last measure in this process: (monotonic time of the check, whether the replica was fresh).
_lag_lock = threading.Lock()
_last_check: list = [float("-inf"), False]

# Seconds the replica is behind: 0 when it has replayed all it received (an idle primary leaves the last replay
# timestamp old, which is no lag), 0 when it is not in recovery at all (promoted: it is a primary now).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 1e9)
END
"""


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_lag_seconds() -> float | None:
    """The replica's lag now, or None when it cannot be asked."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0])
    except DatabaseError:
        logger.warning("replica unreachable; reading from the primary", exc_info=True)
        connections[REPLICA].close()
        return None


def replica_fresh() -> bool:
    """Whether the replica is close enough behind to serve a read (measured at most every few seconds)."""
    now = time.monotonic()
    with _lag_lock:
        checked_at, fresh = _last_check
        if now - checked_at < settings.REPLICA_LAG_CHECK_SECONDS:
            return fresh
    lag = replica_lag_seconds()
    fresh = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
    if lag is not None and not fresh:
        logger.warning("replica %.1f s behind (limit %s s); reading from the primary", lag,
                       settings.REPLICA_MAX_LAG_SECONDS)
    with _lag_lock:
        _last_check[:] = [time.monotonic(), fresh]
    return fresh


def forget_lag() -> None:
    """Measure again at the next read (tests, and after a failover)."""
    with _lag_lock:
        _last_check[:] = [float("-inf"), False]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _replica_wanted.get() or _wrote.get() or model._meta.app_label in _PRIMARY_ONLY_APPS:
            return PRIMARY
        if not replica_configured() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if replica_fresh() else PRIMARY

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


@contextmanager
def replica_reads():
    """Let the reads inside (a command's report, an export) use the replica, with the rules above."""
    wanted, wrote = _replica_wanted.set(True), _wrote.set(False)
    try:
        yield
    finally:
        _replica_wanted.reset(wanted)
        _wrote.reset(wrote)


def _end_of_request(**kwargs):
    # After a streamed response too (request_finished is sent when the response is closed): the next request on
    # this thread starts on the primary.
    _replica_wanted.set(False)
    _wrote.set(False)


request_finished.connect(_end_of_request, dispatch_uid="regulator.db_router.end_of_request")


class ReplicaReadsMiddleware:
    """Marks a GET or HEAD of a view in settings.REPLICA_READ_VIEWS (URL names) as one that may read from the
    replica. Kept until the response is closed, so a streamed export reads from the replica as it streams."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _replica_wanted.set(False)
        _wrote.set(False)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (request.method in ("GET", "HEAD") and match is not None
                and match.view_name in settings.REPLICA_READ_VIEWS):
            _replica_wanted.set(True)
        return None
