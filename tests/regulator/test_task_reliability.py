"""Tasks: every task has a soft and a hard time limit; a notification is e-mailed at most once, even when the worker
is killed after the send and the task is delivered again to another worker (a real `celery worker` on Redis)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from regulator.celery import app
from regulator.mail import send_email
from regulator.models import Notification

ROOT = Path(settings.BASE_DIR)
LONG_TASKS = {
    "penalties.tasks.render_pdf", "regulator.tasks.render_weekly_report", "institutions.tasks.validate_import",
    "institutions.tasks.run_import",
}


def test_every_task_has_a_soft_and_a_hard_time_limit_below_the_visibility_timeout():
    app.loader.import_default_modules()
    app.finalize()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(tasks) >= 11
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600) if settings.REDIS_URL else 0
    for name, task in tasks.items():
        assert task.soft_time_limit and task.time_limit, name
        assert task.soft_time_limit < task.time_limit, name
        if visibility:
            assert task.time_limit < visibility, name
    default = tasks["regulator.tasks.send_notification_email"]
    assert all(tasks[name].time_limit > default.time_limit for name in LONG_TASKS)


@pytest.fixture
def notification(users):
    user = users["education_head"]
    user.email = "head@example.gov.cn"
    user.save(update_fields=["email"])
    return Notification.objects.create(recipient=user, key="order:7:overdue", subject="整改逾期", body="请处理",
                                       created_at="2026-12-01T09:00:00+08:00")


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_so_the_retry_sends(notification, monkeypatch):
    from regulator import mail as regulator_mail

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(regulator_mail, "send_mail", refused)
    with pytest.raises(OSError):
        send_email(notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    monkeypatch.undo()
    assert send_email(notification.pk) is True
    assert send_email(notification.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_claimed_row_is_not_sent_again(notification):
    """The claim is committed before the send: a task delivered again after a worker died finds it and stops."""
    Notification.objects.filter(pk=notification.pk).update(emailed_at="2026-12-01T09:00:05+08:00")
    assert send_email(notification.pk) is False
    assert mail.outbox == []


# ---- a real worker killed after the send ---------------------------------------------------------------------


def _worker(name: str, queue: str, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "regulator", "worker", "--pool", "prefork", "--concurrency", "1",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h",
         "--queues", queue],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_for(predicate, what: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task always goes to Redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_sending_does_not_make_the_next_worker_send_again(notification, tmp_path):
    queue = f"kill-test-{uuid.uuid4().hex}"  # a queue of its own: no message of an earlier run is in it
    db = connection.settings_dict
    env = {
        # the Redis database is given as is: settings.test must not derive it again from the xdist worker's name
        **{key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "tests.regulator.worker_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "TEST_MAIL_DIR": str(tmp_path),
    }
    sent = lambda: sorted(tmp_path.glob("*.eml"))  # noqa: E731
    first = _worker("first", queue, {**env, "TEST_MAIL_BLOCK": "1"}, tmp_path / "first.log")
    second = None
    try:
        result = app.send_task("regulator.tasks.send_notification_email", args=[notification.pk], queue=queue)
        _wait_for(lambda: (tmp_path / "blocked").exists(), "the first worker to send and block")
        notification.refresh_from_db()
        assert notification.emailed_at is not None  # claimed (committed) before the mail was handed over
        _stop(first, signal.SIGKILL)  # the whole worker, main process and child: the message stays unacknowledged
        assert len(sent()) == 1

        second = _worker("second", queue, env, tmp_path / "second.log")
        done = f"send_notification_email[{result.id}] succeeded"
        _wait_for(lambda: done in (tmp_path / "second.log").read_text(errors="replace"),
                  "the second worker to run the redelivered task")
        assert len(sent()) == 1
    finally:
        _stop(first, signal.SIGKILL)
        if second is not None:
            _stop(second)


def test_a_waiting_lock_waits_for_the_holder_and_a_trying_one_does_not(db):
    """advisory_lock(wait=True) (the PDF renders): the second holder waits until the first lets go."""
    import threading
    import time

    from django.db import connections

    from regulator.locks import advisory_lock

    order = []
    held = threading.Event()

    def first():
        with advisory_lock("tests.waiting-lock") as acquired:
            assert acquired
            order.append("first in")
            held.set()
            time.sleep(0.3)
            order.append("first out")
        connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with advisory_lock("tests.waiting-lock") as acquired:
        assert acquired is False  # held elsewhere: the periodic jobs skip
    with advisory_lock("tests.waiting-lock", wait=True) as acquired:
        assert acquired is True
        order.append("second in")
    thread.join(5)
    assert order == ["first in", "first out", "second in"]
