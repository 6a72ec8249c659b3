"""Every disallowed (transition, source status) pair is refused and writes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from penalties import services
from penalties.models import (
    CaseEvidence,
    CaseStatus,
    Decision,
    Extension,
    OrderStatus,
    PenaltyCase,
    RectificationOrder,
    Refund,
    ServiceRecord,
    SuspensionNotice,
    SuspensionStatus,
)
from regulator.errors import TransitionNotAllowed
from regulator.models import AuditEvent, DocumentSequence
from tests.factories import PenaltyCaseFactory, RectificationOrderFactory, SuspensionNoticeFactory


def _serve_data():
    return {"served_at": timezone.now(), "method": "in_person", "receiver_name": "王某"}


def _later():
    return timezone.localdate() + datetime.timedelta(days=60)


def _written():
    return (
        AuditEvent.objects.count(),
        ServiceRecord.objects.count(),
        Extension.objects.count(),
        DocumentSequence.objects.count(),
        Refund.objects.count(),
        Decision.objects.count(),
        CaseEvidence.objects.count(),
    )


def _row(model, pk):
    return model.objects.filter(pk=pk).values().get()


ORDER_TRANSITIONS = {
    "approve": (
        {OrderStatus.DRAFT},
        "education_head",
        lambda actor, order: services.order_approve(actor=actor, order_id=order.pk),
    ),
    "serve": (
        {OrderStatus.APPROVED},
        "education_inspector",
        lambda actor, order: services.order_serve(actor=actor, order_id=order.pk, data=_serve_data()),
    ),
    "extend": (
        {OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.OVERDUE},
        "education_head",
        lambda actor, order: services.order_extend(
            actor=actor, order_id=order.pk, new_deadline=_later(), reason="理由"
        ),
    ),
    "cancel": (
        {OrderStatus.DRAFT, OrderStatus.APPROVED},
        "education_head",
        lambda actor, order: services.order_cancel(actor=actor, order_id=order.pk, reason="理由"),
    ),
    "close_item": (
        {OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.OVERDUE, OrderStatus.ESCALATED},
        "education_inspector",
        lambda actor, order: services.order_item_close(
            actor=actor, item_id=order.items.first().pk, method="reinspection", note="已整改"
        ),
    ),
}
ORDER_CASES = [
    (name, status)
    for name, (allowed, _who, _call) in ORDER_TRANSITIONS.items()
    for status in OrderStatus.values
    if status not in allowed
]


@pytest.mark.parametrize("transition, status", ORDER_CASES)
def test_order_transition_refused_from_wrong_status(users, institution, departments, transition, status):
    _allowed, who, call = ORDER_TRANSITIONS[transition]
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=status,
    )
    row, items, written = _row(RectificationOrder, order.pk), list(order.items.values()), _written()
    with pytest.raises(TransitionNotAllowed):
        call(users[who], order)
    assert _row(RectificationOrder, order.pk) == row
    assert list(order.items.values()) == items
    assert _written() == written


NOTICE_TRANSITIONS = {
    "approve": (
        {SuspensionStatus.DRAFT},
        "education_head",
        lambda actor, notice: services.suspension_approve(actor=actor, notice_id=notice.pk),
    ),
    "serve": (
        {SuspensionStatus.APPROVED},
        "education_inspector",
        lambda actor, notice: services.suspension_serve(actor=actor, notice_id=notice.pk, data=_serve_data()),
    ),
    "refund": (
        {SuspensionStatus.APPROVED, SuspensionStatus.SERVED},
        "education_inspector",
        lambda actor, notice: services.refund_record(
            actor=actor, notice_id=notice.pk, student_group="一班", amount_due=Decimal("100"),
            amount_refunded=Decimal("50"),
        ),
    ),
}
NOTICE_CASES = [
    (name, status)
    for name, (allowed, _who, _call) in NOTICE_TRANSITIONS.items()
    for status in SuspensionStatus.values
    if status not in allowed
]


@pytest.mark.parametrize("transition, status", NOTICE_CASES)
def test_suspension_transition_refused_from_wrong_status(users, institution, departments, transition, status):
    _allowed, who, call = NOTICE_TRANSITIONS[transition]
    notice = SuspensionNoticeFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=status,
    )
    row, written = _row(SuspensionNotice, notice.pk), _written()
    with pytest.raises(TransitionNotAllowed):
        call(users[who], notice)
    assert _row(SuspensionNotice, notice.pk) == row
    assert _written() == written


CASE_TRANSITIONS = {
    "review": (
        {CaseStatus.LEAD},
        "education_inspector",
        lambda a, c: services.case_review(actor=a, case_id=c.pk),
    ),
    "file": (
        {CaseStatus.PRELIMINARY_REVIEW},
        "education_head",
        lambda a, c: services.case_file(actor=a, case_id=c.pk),
    ),
    "drop": (
        {CaseStatus.LEAD, CaseStatus.PRELIMINARY_REVIEW},
        "education_head",
        lambda a, c: services.case_drop(actor=a, case_id=c.pk, reason="证据不足"),
    ),
    "investigate": (
        {CaseStatus.FILED},
        "education_inspector",
        lambda a, c: services.case_investigate(actor=a, case_id=c.pk),
    ),
    "evidence": (
        {CaseStatus.FILED, CaseStatus.INVESTIGATION},
        "education_inspector",
        lambda a, c: services.case_evidence_add(actor=a, case_id=c.pk, description="现场检查笔录"),
    ),
    "rights": (
        {CaseStatus.INVESTIGATION},
        "education_inspector",
        lambda a, c: services.case_notify_rights(
            actor=a, case_id=c.pk, findings="事实", proposed_penalties="警告"
        ),
    ),
    "statement": (
        {CaseStatus.NOTICE_OF_RIGHTS},
        "education_inspector",
        lambda a, c: services.case_record_statement(
            actor=a, case_id=c.pk, statement="无异议", hearing_requested=False
        ),
    ),
    "decide": (
        {CaseStatus.NOTICE_OF_RIGHTS},
        "education_head",
        lambda a, c: services.case_decide(
            actor=a, case_id=c.pk, facts="事实", penalties=[{"kind": "warning", "legal_basis": "第62条"}]
        ),
    ),
    "serve": (
        {CaseStatus.DECIDED},
        "education_inspector",
        lambda a, c: services.case_serve(actor=a, case_id=c.pk, data=_serve_data()),
    ),
    "execute": (
        {CaseStatus.SERVED},
        "education_inspector",
        lambda a, c: services.case_execute(actor=a, case_id=c.pk, note="已执行"),
    ),
    "close": (
        {CaseStatus.EXECUTED},
        "education_head",
        lambda a, c: services.case_close(actor=a, case_id=c.pk),
    ),
}
CASE_CASES = [
    (name, status)
    for name, (allowed, _who, _call) in CASE_TRANSITIONS.items()
    for status in CaseStatus.values
    if status not in allowed
]


@pytest.mark.parametrize("transition, status", CASE_CASES)
def test_case_transition_refused_from_wrong_status(users, institution, departments, transition, status):
    _allowed, who, call = CASE_TRANSITIONS[transition]
    case = PenaltyCaseFactory(
        institution=institution,
        department=departments["education"],
        opened_by=users["education_inspector"],
        status=status,
    )
    row, written = _row(PenaltyCase, case.pk), _written()
    with pytest.raises(TransitionNotAllowed):
        call(users[who], case)
    assert _row(PenaltyCase, case.pk) == row
    assert _written() == written


def test_every_status_is_covered():
    """A new status must be added to the tables above (the lists are built from the enums)."""
    assert len(ORDER_CASES) == 5 * len(OrderStatus.values) - sum(
        len(a) for a, _w, _c in ORDER_TRANSITIONS.values()
    )
    assert {s for _n, s in CASE_CASES} == set(CaseStatus.values)
