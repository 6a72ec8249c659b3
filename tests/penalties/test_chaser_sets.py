"""The chaser's other steps set-based like the overdue one: escalations (cases and black-list proposals in bulk)
and the notice-only chases (reminders, case time limits, refunds) cost a constant number of statements per
batch, and stay exactly-once when two chasers run at once."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from penalties import chaser
from penalties.models import CaseSource, CaseStatus, OrderStatus, PenaltyCase, RectificationOrder
from publicity import services as publicity_services
from publicity.models import ListEntry
from regulator.audit import verify_chains
from regulator.errors import ServiceError
from regulator.models import AuditEvent, Notification
from tests.factories import InstitutionFactory, PenaltyCaseFactory, RectificationOrderFactory, SuspensionNoticeFactory
from tests.penalties.test_chaser import _no_lock, _run_two_at_once
from tests.penalties.test_chaser_batches import _chase_queries

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pins are PostgreSQL's statements")


def _orders(n, *, institutions, departments, users, status, deadline):
    with transaction.atomic():  # the factory of an overdue order records its audit event
        return [
            RectificationOrderFactory(
                institution=institutions[i % len(institutions)],
                department=departments["education"],
                drafted_by=users["education_inspector"],
                status=status,
                deadline=deadline,
                items=1,
            )
            for i in range(n)
        ]


def _long_overdue(n, **kwargs):
    return _orders(n, status=OrderStatus.OVERDUE, deadline=timezone.localdate() - datetime.timedelta(days=60),
                   **kwargs)


def test_escalation_costs_the_same_statements_per_batch(users, institution, departments):
    institutions = [institution, InstitutionFactory(region=institution.region)]
    people = {"institutions": institutions, "departments": departments, "users": users}
    _long_overdue(3, **people)
    one_batch, stats = _chase_queries(3)
    assert stats["orders_escalated"] == 3 and stats["black_list_proposals"] == 3
    _long_overdue(9, **people)
    three_batches, stats = _chase_queries(3)
    assert stats["orders_escalated"] == 9 and stats["escalation_notices"] == 9 * 2
    # per further batch: SAVEPOINT, UPDATE … RETURNING, the open items, the cases' INSERT, three of
    # record_events, the notices' INSERT, the proposals' ripeness, their INSERT, three of record_events,
    # RELEASE SAVEPOINT (the savepoints are the test's; in production the batch is the outermost transaction)
    assert three_batches - one_batch == 2 * 14
    assert PenaltyCase.objects.filter(source=CaseSource.OVERDUE_ORDER, status=CaseStatus.LEAD).count() == 12
    assert ListEntry.objects.filter(source_type="overdue_order", list_kind="black").count() == 12
    assert list(verify_chains()) == []


def test_escalation_records_what_one_order_at_a_time_did(users, institution, departments):
    (order,) = _long_overdue(1, institutions=[institution], departments=departments, users=users)
    chaser.chase_deadlines(now=timezone.now())
    order.refresh_from_db()
    case = PenaltyCase.objects.get(source_order=order)
    assert order.status == OrderStatus.ESCALATED and order.escalated_at is not None
    assert (case.department_id, case.institution_id, case.opened_by_id) == (
        order.department_id, order.institution_id, None)
    item = order.items.get()
    assert case.summary == f"{order.number} 逾期未整改，未销号事项：{item.text}"
    escalated = AuditEvent.objects.get(kind="order.escalated", object_id=str(order.pk))
    assert escalated.before["status"] == OrderStatus.OVERDUE and escalated.before["escalated_at"] is None
    assert escalated.after["status"] == OrderStatus.ESCALATED
    assert escalated.summary == "逾期60天仍未整改，升级为处罚案件线索"
    opened = AuditEvent.objects.get(kind="case.opened", object_id=str(case.pk))
    assert opened.after["source_order"] == order.pk and opened.actor_id is None
    entry = ListEntry.objects.get(source_object_id=str(order.pk))
    assert (entry.status, entry.proposed_by, entry.proposing_department_id) == (
        "proposed", users["education_inspector"], departments["education"].pk)
    proposed = AuditEvent.objects.get(kind="list_entry.proposed", object_id=str(entry.pk))
    assert proposed.actor_id == users["education_inspector"].pk
    assert set(Notification.objects.filter(key__startswith=f"order:{order.pk}:escalated:")
               .values_list("recipient_id", flat=True)) == {users["education_inspector"].pk,
                                                            users["education_head"].pk}
    assert list(verify_chains()) == []


def test_a_refused_proposal_goes_to_the_heads_instead(users, institution, departments, monkeypatch):
    monkeypatch.setattr("publicity.permissions.can_propose_entry", lambda user, institution: False)
    (order,) = _long_overdue(1, institutions=[institution], departments=departments, users=users)
    stats = chaser.chase_deadlines(now=timezone.now())
    assert stats["orders_escalated"] == 1 and "black_list_proposals" not in stats
    assert not ListEntry.objects.exists()
    head = users["education_head"]
    notice = Notification.objects.get(key=f"order:{order.pk}:blacklist:u{head.pk}")
    assert notice.subject == f"建议列入黑名单：{institution.name}"
    assert notice.link == PenaltyCase.objects.get(source_order=order).get_absolute_url()
    assert stats["black_list_notices"] == 1


def test_proposals_in_bulk_refuse_an_order_not_escalated(users, institution, departments):
    escalated, running = _orders(2, institutions=[institution], departments=departments, users=users,
                                 status=OrderStatus.SERVED, deadline=timezone.localdate())
    RectificationOrder.objects.filter(pk=escalated.pk).update(status=OrderStatus.ESCALATED, escalated_at=timezone.now())
    proposals = [{"institution": institution, "list_kind": "black", "actor": users["education_inspector"],
                  "reason": "逾期未整改", "source_type": "overdue_order", "source_id": order.pk}
                 for order in (escalated, running)]
    proposals.append({**proposals[0], "reason": " "})
    proposals.append({**proposals[0], "source_id": None})
    with transaction.atomic():
        made, refused, blank, sourceless = publicity_services.list_entries_propose_many(proposals=proposals)
    assert isinstance(made, ListEntry) and made.pk and made.source_object_id == str(escalated.pk)
    assert isinstance(refused, ServiceError) and "尚未逾期升级处理" in str(refused.message)
    assert isinstance(blank, ServiceError) and "请填写列入原因" in str(blank.message)
    assert isinstance(sourceless, ServiceError) and "请指明名单条目来源" in str(sourceless.message)
    assert list(ListEntry.objects.values_list("pk", flat=True)) == [made.pk]
    assert AuditEvent.objects.filter(kind="list_entry.proposed").count() == 1
    assert list(verify_chains()) == []


def test_notice_only_chases_cost_the_same_statements_per_batch(users, institution, departments):
    """Order reminders, case time limits and refund reminders: per batch one SELECT and one INSERT."""
    soon = timezone.localdate() + datetime.timedelta(days=1)
    people = {"institutions": [institution], "departments": departments, "users": users}

    def rows(n):
        _orders(n, status=OrderStatus.SERVED, deadline=soon, **people)
        for _ in range(n):
            PenaltyCaseFactory(institution=institution, department=departments["education"],
                               opened_by=users["education_inspector"], status=CaseStatus.INVESTIGATION,
                               now=timezone.now() - datetime.timedelta(days=120))
            SuspensionNoticeFactory(institution=institution, department=departments["education"],
                                    drafted_by=users["education_inspector"], status="served",
                                    refund_deadline=soon)

    rows(3)
    one_batch, stats = _chase_queries(3)
    assert (stats["order_reminders"], stats["case_notices"], stats["refund_reminders"]) == (3, 3 * 2, 3)
    rows(9)
    three_batches, stats = _chase_queries(3)
    assert (stats["order_reminders"], stats["case_notices"], stats["refund_reminders"]) == (9, 9 * 2, 9)
    # The second run reads 12 rows of each (the first run's 3 again: still due, their keys already written): three
    # batches more of each of the three chases, each batch its SELECT, SAVEPOINT, the notices' INSERT and RELEASE
    # SAVEPOINT (the savepoints are the test's)
    assert three_batches - one_batch == 3 * 3 * 4


@pytest.mark.django_db(transaction=True)
def test_two_chasers_without_the_lock_escalate_each_order_once(users, institution, departments, monkeypatch):
    monkeypatch.setattr(chaser, "advisory_lock", _no_lock)
    orders = _long_overdue(10, institutions=[institution, InstitutionFactory(region=institution.region)],
                           departments=departments, users=users)
    _run_two_at_once(timezone.now())
    assert PenaltyCase.objects.count() == 10
    assert ListEntry.objects.count() == 10
    assert AuditEvent.objects.filter(kind="order.escalated").count() == 10
    assert AuditEvent.objects.filter(kind="case.opened").count() == 10
    assert Notification.objects.filter(key__contains=":escalated:").count() == 10 * 2
    assert set(RectificationOrder.objects.values_list("status", flat=True)) == {OrderStatus.ESCALATED}
    assert sorted(PenaltyCase.objects.values_list("source_order_id", flat=True)) == sorted(o.pk for o in orders)
    assert list(verify_chains()) == []
