"""The chaser killed with SIGKILL in the middle of a run (a worker host lost), then run again: every order is
marked overdue once, escalated once, with one case, one black-list proposal, one audit event of each kind and
one notice per key — a batch is all or nothing, and the next run takes what the dead one left."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from penalties import chaser
from penalties.bench import seed_due_orders
from penalties.models import OrderStatus, PenaltyCase, RectificationOrder
from publicity.models import ListEntry
from regulator.audit import verify_chains
from regulator.models import AuditEvent, Notification
from tests.factories import InstitutionFactory

ROOT = Path(__file__).resolve().parents[2]
DUE, LONG_OVERDUE = 600, 600


def _progress() -> tuple[int, int]:
    overdue = AuditEvent.objects.filter(kind="order.overdue").count()
    escalated = RectificationOrder.objects.filter(status=OrderStatus.ESCALATED).count()
    return overdue, escalated


APP_NAME = "killed-chaser"  # the subprocess's sessions, named through libpq's PGAPPNAME


def _app_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return cursor.fetchone()[0]


def _wait_for_the_dead_sessions() -> None:
    """PostgreSQL ends the killed process's sessions (finishing or rolling back what they were doing) soon after.
    Only its own are waited for: autovacuum workers, say, also show in pg_stat_activity."""
    for _ in range(400):
        if _app_sessions() == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the killed chaser's session did not end")


def _midway(stage: str) -> bool:
    overdue, escalated = _progress()
    if stage == "overdue":  # the first step: orders going overdue
        return 50 <= overdue < DUE
    return overdue == DUE and 25 <= escalated < LONG_OVERDUE  # the escalations that follow


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stage", ["overdue", "escalation"])
def test_a_chaser_killed_midway_leaves_nothing_half_done(regions, departments, users, tmp_path, stage):
    institutions = [InstitutionFactory(region=regions["township"]).pk for _ in range(4)]
    people = {"institution_ids": institutions, "department": departments["education"],
              "inspector": users["education_inspector"]}
    seed_due_orders(n=DUE + LONG_OVERDUE, **people)
    long_ago = timezone.localdate() - datetime.timedelta(days=60)
    with transaction.atomic():
        ids = list(RectificationOrder.objects.order_by("pk").values_list("pk", flat=True)[:LONG_OVERDUE])
        RectificationOrder.objects.filter(pk__in=ids).update(status=OrderStatus.OVERDUE, deadline=long_ago,
                                                             overdue_at=timezone.now())
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.ops.worker_settings",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}", "PGAPPNAME": APP_NAME}
    log = tmp_path / "chaser.log"
    process = subprocess.Popen([sys.executable, "manage.py", "chase_deadlines", "--batch-size", "5"], cwd=ROOT,
                               env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if _midway(stage):
                assert _app_sessions() >= 1  # its session is seen by its name, so the wait below waits for it
                break
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.005)
        else:
            raise AssertionError("the chaser made no progress: " + log.read_text()[-3000:])
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    _wait_for_the_dead_sessions()
    killed_at = _progress()
    assert killed_at[0] < DUE if stage == "overdue" else killed_at[1] < LONG_OVERDUE, "killed too late"
    # what the dead run committed is whole batches: each state change with its audit event and its case
    changed = RectificationOrder.objects.exclude(status=OrderStatus.SERVED).count() - LONG_OVERDUE
    assert changed == AuditEvent.objects.filter(kind="order.overdue").count()
    assert killed_at[1] == PenaltyCase.objects.count() == AuditEvent.objects.filter(kind="order.escalated").count()

    for _ in range(200):  # the dead run's session (and its advisory lock) ends when PostgreSQL notices
        stats = chaser.chase_deadlines(now=timezone.now())
        if stats != {"skipped": 1}:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the lock of the killed run was never released")
    chaser.chase_deadlines(now=timezone.now())  # a further run finds nothing left

    # the orders due yesterday are overdue (escalated only after the grace period), the others escalated
    assert RectificationOrder.objects.filter(status=OrderStatus.OVERDUE).count() == DUE
    assert RectificationOrder.objects.filter(status=OrderStatus.ESCALATED).count() == LONG_OVERDUE
    overdue_events = AuditEvent.objects.filter(kind="order.overdue")
    assert overdue_events.count() == DUE == overdue_events.values("object_id").distinct().count()
    for kind in ("order.escalated", "case.opened", "list_entry.proposed"):
        events = AuditEvent.objects.filter(kind=kind)
        assert events.count() == LONG_OVERDUE == events.values("object_id").distinct().count(), kind
    assert PenaltyCase.objects.count() == LONG_OVERDUE
    assert ListEntry.objects.count() == LONG_OVERDUE == ListEntry.objects.values("source_object_id").distinct().count()
    # overdue: inspector and head, and the re-inspection notice; escalated: inspector and head
    assert Notification.objects.filter(key__contains=":overdue:").count() == DUE * 2
    assert Notification.objects.filter(key__contains=":reinspect:").count() == DUE
    assert Notification.objects.filter(key__contains=":escalated:").count() == LONG_OVERDUE * 2
    assert list(verify_chains()) == []
