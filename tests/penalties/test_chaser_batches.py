"""The chaser's set-based overdue step: a constant number of queries per batch, the audit chains whole after a
bulk append, the same events and notices as one order at a time."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from penalties import chaser, services
from penalties.audit_kinds import PenaltiesAuditKind
from penalties.models import ClosingMethod, ItemStatus, OrderItem, OrderStatus, RectificationOrder
from penalties.services.common import _snap
from regulator.audit import GENESIS_HASH, PendingEvent, record_event, record_events, verify_chains
from regulator.models import AuditEvent, Notification
from tests.factories import InstitutionFactory, RectificationOrderFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pins are PostgreSQL's statements")


def _due_orders(n, *, institutions, departments, users):
    past = timezone.localdate() - datetime.timedelta(days=1)
    return [
        RectificationOrderFactory(
            institution=institutions[i % len(institutions)],
            department=departments["education"],
            drafted_by=users["education_inspector"],
            status=OrderStatus.SERVED,
            deadline=past,
            items=1,
        )
        for i in range(n)
    ]


def _chase_queries(batch_size):
    with CaptureQueriesContext(connection) as queries:
        stats = chaser.chase_deadlines(now=timezone.now(), batch_size=batch_size)
    return len(queries.captured_queries), stats


def test_queries_per_batch_are_constant(users, institution, departments):
    """Each further batch of overdue orders costs the same few statements, whatever it holds."""
    institutions = [institution, InstitutionFactory(region=institution.region)]
    _due_orders(5, institutions=institutions, departments=departments, users=users)
    one_batch, stats = _chase_queries(5)
    assert stats["orders_overdue"] == 5
    _due_orders(15, institutions=institutions, departments=departments, users=users)
    three_batches, stats = _chase_queries(5)
    assert stats["orders_overdue"] == 15
    # SAVEPOINT, UPDATE … RETURNING, the chains' locks, their heads, the audit INSERT, the notices' INSERT,
    # RELEASE SAVEPOINT (the savepoints are the test's: in production the batch is the outermost transaction)
    assert three_batches - one_batch == 2 * 7


def test_a_batch_is_four_statements(users, institution, departments):
    institutions = [institution, InstitutionFactory(region=institution.region)]
    _due_orders(6, institutions=institutions, departments=departments, users=users)
    today = timezone.localdate()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        marked = services.orders_mark_overdue_batch(today=today, now=timezone.now(), size=100)
    assert len(marked) == 6 and all(row.overdue for row in marked)
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements == ["WITH", "SELECT", "SELECT", "INSERT"]


def test_bulk_append_keeps_every_chain_whole(users, institution, departments):
    institutions = [institution, *(InstitutionFactory(region=institution.region) for _ in range(2))]
    orders = _due_orders(7, institutions=institutions, departments=departments, users=users)
    stats = chaser.chase_deadlines(now=timezone.now(), batch_size=3)
    assert stats["orders_overdue"] == 7
    assert list(verify_chains()) == []
    events = AuditEvent.objects.filter(kind="order.overdue").order_by("id")
    assert sorted(int(event.object_id) for event in events) == sorted(order.pk for order in orders)
    event = events.first()
    order = RectificationOrder.objects.get(pk=event.object_id)
    assert event.before["status"] == OrderStatus.SERVED and event.before["overdue_at"] is None
    assert event.after["status"] == OrderStatus.OVERDUE and event.after["overdue_at"] is not None
    assert event.summary == f"整改期限（{order.deadline}）已过，逾期未整改"
    assert event.after == _snap(order)  # what order_mark_overdue would have recorded
    # a later single append continues the chain the bulk one wrote
    with transaction.atomic():
        record_event(actor=users["education_head"], kind=PenaltiesAuditKind.ORDER_OVERDUE, obj=order,
                     institution_id=order.institution_id, summary="after the chaser")
    assert list(verify_chains()) == []


def test_bulk_append_links_in_order_within_a_batch(users, institution):
    with transaction.atomic():
        ids = record_events(
            actor=None,
            events=[PendingEvent(kind=PenaltiesAuditKind.ORDER_OVERDUE, institution_id=chain,
                                 object_type="penalties.test", object_id=i, summary=str(i))
                    for i, chain in enumerate([institution.pk, None, institution.pk, None])],
        )
    rows = list(AuditEvent.objects.filter(pk__in=ids).order_by("id"))
    assert [row.summary for row in rows] == ["0", "1", "2", "3"]
    assert rows[2].prev_hash == rows[0].hash and rows[3].prev_hash == rows[1].hash
    assert rows[1].prev_hash in {GENESIS_HASH, *AuditEvent.objects.values_list("hash", flat=True)}
    assert list(verify_chains()) == []


def test_order_with_every_item_closed_is_closed_not_overdue(users, institution, departments):
    order, still_open = _due_orders(2, institutions=[institution], departments=departments, users=users)
    # closed by hand in the database (the service would have closed the order too): the chaser closes the order
    OrderItem.objects.filter(order=order).update(
        status=ItemStatus.CLOSED, closed_at=timezone.now(), closing_method=ClosingMethod.DOCUMENTS
    )
    stats = chaser.chase_deadlines(now=timezone.now())
    order.refresh_from_db()
    still_open.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.closed_at is not None
    assert still_open.status == OrderStatus.OVERDUE
    assert stats["orders_overdue"] == 1
    assert AuditEvent.objects.filter(kind="order.closed", object_id=str(order.pk)).count() == 1
    assert not Notification.objects.filter(key__startswith=f"order:{order.pk}:").exists()
    inspector, head = users["education_inspector"], users["education_head"]
    keys = Notification.objects.filter(key__startswith=f"order:{still_open.pk}:").values_list("key", flat=True)
    assert set(keys) == {
        f"order:{still_open.pk}:overdue:u{inspector.pk}",
        f"order:{still_open.pk}:overdue:u{head.pk}",
        f"order:{still_open.pk}:reinspect:u{inspector.pk}",
    }
    assert list(verify_chains()) == []
