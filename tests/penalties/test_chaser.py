"""The deadline chaser moved through the clock: reminders, overdue, escalation; idempotent, batched."""

import contextlib
import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from penalties import chaser, conf
from penalties.models import (
    CaseSource,
    CaseStatus,
    OrderStatus,
    PenaltyCase,
    RectificationOrder,
    SuspensionStatus,
)
from regulator.models import AuditEvent, Notification
from tests.factories import PenaltyCaseFactory, RectificationOrderFactory, SuspensionNoticeFactory, at


def _black_list_proposed(order, head) -> bool:
    """publicity's proposal if that app offers list_entry_propose, else a notification to the head."""
    try:
        from publicity.models import ListEntry
    except ImportError:
        ListEntry = None
    if (
        ListEntry is not None
        and ListEntry.objects.filter(source_object_id=str(order.pk), list_kind="black").exists()
    ):
        return True
    return Notification.objects.filter(key=f"order:{order.pk}:blacklist:u{head.pk}").exists()


def _keys():
    return sorted(Notification.objects.values_list("key", flat=True))


def test_clock_through_reminders_overdue_and_escalation(users, served_order, settings):
    settings.PENALTIES_ESCALATION_GRACE_DAYS = 15
    deadline, pk = served_order.deadline, served_order.pk
    inspector, head = users["education_inspector"], users["education_head"]

    chaser.chase_deadlines(now=at(deadline - datetime.timedelta(days=8)))
    assert _keys() == []

    chaser.chase_deadlines(now=at(deadline - datetime.timedelta(days=7)))
    assert _keys() == [f"order:{pk}:remind7:{deadline:%Y%m%d}:u{inspector.pk}"]
    chaser.chase_deadlines(now=at(deadline - datetime.timedelta(days=3)))
    assert len(_keys()) == 1

    chaser.chase_deadlines(now=at(deadline - datetime.timedelta(days=1)))
    chaser.chase_deadlines(now=at(deadline))
    assert len(_keys()) == 2 and f"order:{pk}:remind1:{deadline:%Y%m%d}:u{inspector.pk}" in _keys()
    assert RectificationOrder.objects.get(pk=pk).status == OrderStatus.SERVED

    stats = chaser.chase_deadlines(now=at(deadline + datetime.timedelta(days=1)))
    order = RectificationOrder.objects.get(pk=pk)
    assert order.status == OrderStatus.OVERDUE and order.overdue_at
    assert stats["orders_overdue"] == 1
    overdue = set(
        Notification.objects.filter(key__contains=":overdue:").values_list("recipient_id", flat=True)
    )
    assert overdue == {inspector.pk, head.pk}
    assert Notification.objects.filter(key=f"order:{pk}:reinspect:u{inspector.pk}").exists()

    state = (_keys(), AuditEvent.objects.count())
    chaser.chase_deadlines(now=at(deadline + datetime.timedelta(days=1), hour=15))
    chaser.chase_deadlines(now=at(deadline + datetime.timedelta(days=15)))
    assert (_keys(), AuditEvent.objects.count()) == state  # nothing new inside the grace period

    chaser.chase_deadlines(now=at(deadline + datetime.timedelta(days=16)))
    order.refresh_from_db()
    assert order.status == OrderStatus.ESCALATED
    case = PenaltyCase.objects.get(source_order=order)
    assert (case.source, case.status, case.department_id) == (
        CaseSource.OVERDUE_ORDER,
        CaseStatus.LEAD,
        order.department_id,
    )
    assert "问题1" in case.summary
    assert Notification.objects.filter(key__startswith=f"order:{pk}:escalated:").count() == 2
    assert _black_list_proposed(order, head)

    state = (_keys(), AuditEvent.objects.count(), PenaltyCase.objects.count())
    chaser.chase_deadlines(now=at(deadline + datetime.timedelta(days=17)))
    assert (_keys(), AuditEvent.objects.count(), PenaltyCase.objects.count()) == state


def test_a_missed_week_still_reaches_every_order(users, served_order):
    """The chaser did not run for 20 days: one run marks overdue and escalates, nothing skipped."""
    chaser.chase_deadlines(now=at(served_order.deadline + datetime.timedelta(days=20)))
    served_order.refresh_from_db()
    assert served_order.status == OrderStatus.ESCALATED


def test_extension_restarts_reminders_for_the_new_deadline(users, served_order):
    from penalties import services

    chaser.chase_deadlines(now=at(served_order.deadline - datetime.timedelta(days=7)))
    new = served_order.deadline + datetime.timedelta(days=20)
    services.order_extend(
        actor=users["education_head"], order_id=served_order.pk, new_deadline=new, reason="延期"
    )
    chaser.chase_deadlines(now=at(new - datetime.timedelta(days=7)))
    assert Notification.objects.filter(key__contains=f"remind7:{new:%Y%m%d}").count() == 1


def test_closed_orders_and_drafts_are_not_chased(users, institution, departments):
    past = timezone.localdate() - datetime.timedelta(days=3)
    for status in (OrderStatus.DRAFT, OrderStatus.CLOSED, OrderStatus.CANCELLED):
        RectificationOrderFactory(
            institution=institution,
            department=departments["education"],
            drafted_by=users["education_inspector"],
            status=status,
            deadline=past,
        )
    chaser.chase_deadlines(now=timezone.now())
    assert not Notification.objects.exists()
    assert not RectificationOrder.objects.filter(status=OrderStatus.OVERDUE).exists()


def test_case_time_limits_and_refunds_are_chased(users, institution, departments):
    due = timezone.localdate() + datetime.timedelta(days=5)
    case = PenaltyCaseFactory(  # filed 90 days before its decision is due, under investigation since
        institution=institution,
        department=departments["education"],
        opened_by=users["education_inspector"],
        status=CaseStatus.INVESTIGATION,
        now=at(due - datetime.timedelta(days=conf.decision_limit_days())),
    )
    assert (case.decision_due, case.investigation_by) == (due, users["education_inspector"])
    notice = SuspensionNoticeFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=SuspensionStatus.SERVED,
        refund_deadline=due,
    )
    chaser.chase_deadlines(now=at(due - datetime.timedelta(days=1)))
    assert Notification.objects.filter(key__startswith=f"case:{case.pk}:decision_remind1:").count() == 2
    assert Notification.objects.filter(key__startswith=f"suspension:{notice.pk}:refund_remind1:").count() == 1
    chaser.chase_deadlines(now=at(due + datetime.timedelta(days=1)))
    assert Notification.objects.filter(key__startswith=f"case:{case.pk}:decision_overdue:").count() == 2
    assert Notification.objects.filter(key__startswith=f"suspension:{notice.pk}:refund_overdue:").count() == 2
    count = Notification.objects.count()
    chaser.chase_deadlines(now=at(due + datetime.timedelta(days=2)))
    assert Notification.objects.count() == count


def test_batches_never_load_the_whole_table(users, institution, departments):
    past = timezone.localdate() - datetime.timedelta(days=1)
    orders = [
        RectificationOrderFactory(
            institution=institution,
            department=departments["education"],
            drafted_by=users["education_inspector"],
            status=OrderStatus.SERVED,
            deadline=past,
            items=1,
        )
        for _ in range(23)
    ]
    with CaptureQueriesContext(connection) as queries:
        stats = chaser.chase_deadlines(now=timezone.now(), batch_size=5)
    assert stats["orders_overdue"] == len(orders)
    order_selects = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "penalties_rectificationorder"' in q["sql"]
    ]
    assert order_selects and all("LIMIT" in sql for sql in order_selects)


def test_management_command_takes_now(users, served_order):
    out = io.StringIO()
    moment = (served_order.deadline + datetime.timedelta(days=1)).isoformat() + "T09:00"
    call_command("chase_deadlines", "--now", moment, stdout=out)
    assert "orders_overdue: 1" in out.getvalue()
    served_order.refresh_from_db()
    assert served_order.status == OrderStatus.OVERDUE


def test_celery_task_runs_the_chaser(users, served_order):
    from penalties.periodic import chase_deadlines

    chase_deadlines.delay(
        (served_order.deadline + datetime.timedelta(days=1)).isoformat() + "T09:00:00+08:00"
    )
    served_order.refresh_from_db()
    assert served_order.status == OrderStatus.OVERDUE


@contextlib.contextmanager
def _no_lock(name):
    yield True


def _run_two_at_once(now):
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            chaser.chase_deadlines(now=now, batch_size=4)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_lock", [True, False])
def test_two_chasers_at_once_notify_each_once(users, institution, departments, monkeypatch, with_lock):
    if not with_lock:  # without the advisory lock, skip_locked and the unique keys must still hold
        monkeypatch.setattr(chaser, "advisory_lock", _no_lock)
    past = timezone.localdate() - datetime.timedelta(days=1)
    soon = timezone.localdate() + datetime.timedelta(days=5)
    for _ in range(12):
        RectificationOrderFactory(
            institution=institution,
            department=departments["education"],
            drafted_by=users["education_inspector"],
            status=OrderStatus.SERVED,
            deadline=past,
            items=1,
        )
        RectificationOrderFactory(
            institution=institution,
            department=departments["education"],
            drafted_by=users["education_inspector"],
            status=OrderStatus.SERVED,
            deadline=soon,
            items=1,
        )
    _run_two_at_once(timezone.now())
    if with_lock and RectificationOrder.objects.filter(status=OrderStatus.SERVED, deadline=past).exists():
        chaser.chase_deadlines(now=timezone.now())  # the second run skipped while the first held the lock
    # 12 overdue × (inspector + head + re-inspection notice) + 12 reminders to the inspector
    assert Notification.objects.count() == 12 * 3 + 12
    assert AuditEvent.objects.filter(kind="order.overdue").count() == 12
    assert RectificationOrder.objects.filter(status=OrderStatus.OVERDUE).count() == 12
