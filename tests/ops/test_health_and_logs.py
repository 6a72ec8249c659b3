"""/healthz, /readyz and /metrics answer the operators and no one else; log lines carry the request's context in
JSON; tasks go to the queue of their kind."""

import io
import json
import logging

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from regulator.observability import JsonFormatter, RequestContextFilter


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["healthz", "readyz", "metrics"])
def test_refused_to_the_public(client, name):
    assert client.get(reverse(name), REMOTE_ADDR="203.0.113.7").status_code == 404


@pytest.mark.django_db
def test_token_opens_them_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-of-the-monitoring"
    url = reverse("healthz")
    assert client.get(url, REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = client.get(url, REMOTE_ADDR="203.0.113.7",
                          HTTP_AUTHORIZATION="Bearer s3cret-token-of-the-monitoring")
    assert response.status_code == 200 and response.content == b"ok\n"


@pytest.mark.django_db
def test_behind_the_proxy_the_client_address_decides(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("healthz")
    assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 404
    assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


@pytest.mark.django_db
def test_ready_when_everything_answers(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": "ok", "cache": "ok", "broker": "ok",
                                                         "storage": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_not_ready_names_the_failing_check(client, monkeypatch):
    def unreachable(name):
        raise ConnectionError("the object store does not answer")

    monkeypatch.setattr(default_storage, "exists", unreachable)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "error: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_ready_with_the_s3_storage(client, s3_storage):
    response = client.get(reverse("readyz"))
    assert response.json()["checks"]["storage"] == "ok"


@pytest.mark.django_db
def test_metrics_text(client, settings):
    from celery import current_app

    with current_app.connection_for_write() as connection:
        connection.default_channel.client.delete("pdf")
        connection.default_channel.client.rpush("pdf", "a", "b")
    try:
        response = client.get(reverse("metrics"))
    finally:
        with current_app.connection_for_write() as connection:
            connection.default_channel.client.delete("pdf")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert '# TYPE regulator_up gauge' in text
    assert 'regulator_up{check="database"} 1' in text
    assert 'regulator_celery_queue_length{queue="pdf"} 2' in text
    assert 'regulator_celery_queue_length{queue="mail"} 0' in text


def _json_lines(records_from):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        records_from()
    finally:
        logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_json_log_of_a_staff_request_carries_request_user_and_department(users, education_inspector_client):
    user = users["education_inspector"]
    # A document that does not exist: Django logs the 404 on django.request, after the view loaded the user.
    lines = _json_lines(lambda: education_inspector_client.get(
        reverse("penalties:order_pdf", args=[999999]), HTTP_X_REQUEST_ID="req-42"))
    assert lines, "the 404 was logged"
    line = lines[-1]
    assert line["request_id"] == "req-42" and line["level"] in ("WARNING", "INFO")
    assert line["user_id"] == user.pk and line["department_id"] == user.department_id
    assert line["logger"] == "django.request" and line["time"].endswith("Z")


@pytest.mark.django_db
def test_request_id_is_made_and_echoed(client):
    response = client.get(reverse("publicity:public_home"))
    assert len(response["X-Request-ID"]) == 32
    assert client.get(reverse("publicity:public_home"), HTTP_X_REQUEST_ID="abc-1")["X-Request-ID"] == "abc-1"
    assert len(client.get(reverse("publicity:public_home"),
                          HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"]) == 32


@pytest.mark.parametrize(("task", "queue"), [
    ("penalties.tasks.render_pdf", "pdf"),
    ("regulator.tasks.render_weekly_report", "pdf"),
    ("institutions.tasks.run_import", "import"),
    ("institutions.tasks.validate_import", "import"),
    ("penalties.tasks.chase_deadlines", "chaser"),
    ("publicity.tasks.chase_report_deadlines", "chaser"),
    ("regulator.tasks.send_notification_email", "mail"),
    ("regulator.tasks.some_future_task", "default"),
])
def test_tasks_go_to_the_queue_of_their_kind(task, queue):
    from celery import current_app

    assert current_app.amqp.router.route({}, task)["queue"].name == queue


def test_a_worker_without_queues_consumes_them_all():
    from celery import current_app

    # Leaving out the private queues the task-reliability test declares for its own killed worker.
    queues = {name for name in current_app.amqp.queues if not name.startswith("kill-test-")}
    assert queues == {"default", "pdf", "import", "chaser", "mail"}


@pytest.mark.django_db
def test_task_counts_durations_and_the_chasers_figures(client):
    from publicity.tasks import chase_report_deadlines

    chase_report_deadlines.delay()  # eager in the tests; the signals count it as a worker would
    chase_report_deadlines.delay()
    text = client.get(reverse("metrics")).content.decode()
    assert 'regulator_celery_tasks_total{task="publicity.tasks.chase_report_deadlines",state="SUCCESS"} 2' in text
    assert 'regulator_celery_task_seconds_total{task="publicity.tasks.chase_report_deadlines"}' in text
    assert 'regulator_periodic_last_result{task="publicity.tasks.chase_report_deadlines",figure="result"} 0' in text
