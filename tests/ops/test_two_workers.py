"""Two Celery worker processes on Redis, consuming the queues by their routes, as two worker hosts would: the
deadline chaser and a notice's PDF, each sent twice (two beats, a double click), still happen exactly once."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from penalties.models import OrderStatus, RectificationOrder
from regulator.models import AuditEvent, Notification, VerificationRecord
from tests.factories import InstitutionFactory, RectificationOrderFactory

ROOT = Path(__file__).resolve().parents[2]


def _worker(name: str, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "regulator", "worker", "--pool", "prefork", "--concurrency", "1",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h",
         "--queues", ",".join(settings.CELERY_QUEUE_NAMES)],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _redis():
    with current_app.connection_for_write() as conn:
        return conn.default_channel.client


def _idle(client) -> bool:
    """Nothing waiting in any queue, nothing delivered and not yet acknowledged (acks_late: after the task)."""
    waiting = sum(client.llen(name) for name in settings.CELERY_QUEUE_NAMES)
    return waiting == 0 and client.hlen("unacked") == 0


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task always goes to Redis
@pytest.mark.django_db(transaction=True)
def test_chaser_and_pdf_exactly_once_with_two_workers(regions, departments, users, s3_endpoint, tmp_path):
    client = _redis()
    client.delete(*settings.CELERY_QUEUE_NAMES, "unacked", "unacked_index")
    institution = InstitutionFactory(region=regions["township"])
    past = timezone.localdate() - datetime.timedelta(days=1)
    overdue = [RectificationOrderFactory(institution=institution, department=departments["education"],
                                         drafted_by=users["education_inspector"], status=OrderStatus.SERVED,
                                         deadline=past, items=1) for _ in range(3)]
    approved = RectificationOrderFactory(institution=institution, department=departments["education"],
                                         drafted_by=users["education_inspector"], approved=True)
    RectificationOrder.objects.filter(pk=approved.pk).update(pdf="", pdf_sha256="")
    db = connection.settings_dict
    worker = f"workers{uuid.uuid4().hex[:10]}"  # settings.test's bucket: regulator-test-<worker>
    env = {
        **os.environ,
        "PYTEST_XDIST_WORKER": worker,
        "DJANGO_SETTINGS_MODULE": "tests.ops.worker_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "TEST_STORAGE": "s3",
        "TEST_S3_ENDPOINT_URL": s3_endpoint,
    }
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                      region_name="us-east-1")
    bucket = f"regulator-test-{worker}"
    s3.create_bucket(Bucket=bucket)
    # Sent before the workers start, so both find work waiting at once.
    for _ in range(2):
        current_app.send_task("penalties.tasks.chase_deadlines")
        current_app.send_task("penalties.tasks.render_pdf", args=["order", approved.pk])
    assert client.llen("chaser") == 2 and client.llen("pdf") == 2  # routed by kind
    workers = [_worker(name, env, tmp_path / f"{name}.log") for name in ("first", "second")]
    try:
        for _ in range(1200):
            if _idle(client) and RectificationOrder.objects.filter(pk=approved.pk).exclude(pdf="").exists():
                break
            assert all(w.poll() is None for w in workers), (tmp_path / "first.log").read_text()[-3000:]
            time.sleep(0.1)
        else:
            raise AssertionError("the workers did not finish: " + (tmp_path / "first.log").read_text()[-3000:])
    finally:
        for process in workers:
            _stop(process)
    logs = "".join((tmp_path / f"{name}.log").read_text() for name in ("first", "second"))
    assert logs.count("penalties.tasks.chase_deadlines") >= 2 and "succeeded" in logs
    assert RectificationOrder.objects.filter(pk__in=[o.pk for o in overdue], status=OrderStatus.OVERDUE).count() == 3
    assert AuditEvent.objects.filter(kind="order.overdue").count() == 3
    assert Notification.objects.count() == 3 * 3  # inspector, head and the re-inspection notice, each once
    approved.refresh_from_db()
    assert approved.pdf.name == f"penalties/pdf/order-{approved.pk}.pdf"
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [approved.pdf.name]  # one file, no second copy under another name
    assert VerificationRecord.objects.filter(object_id=str(approved.pk),
                                             object_type="penalties.rectificationorder").count() == 1
