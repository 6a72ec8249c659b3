"""Every disallowed (transition, source status) pair is refused and writes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from penalties import services
from penalties.models import (
    CaseEvidence,
    CasePeriodChange,
    CaseStatus,
    CollectiveDiscussion,
    Decision,
    Extension,
    Hearing,
    InvestigationRecord,
    LegalQualification,
    LegalReview,
    OrderStatus,
    Payment,
    PenaltyCase,
    RectificationOrder,
    Refund,
    ServiceRecord,
    SuspensionNotice,
    SuspensionStatus,
)
from regulator.errors import TransitionNotAllowed
from regulator.models import AuditEvent, DocumentSequence, Role
from tests.factories import PenaltyCaseFactory, RectificationOrderFactory, SuspensionNoticeFactory, UserFactory
from tests.factories.penalties import provision


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


S = CaseStatus
RECORD = {"kind": "inquiry", "place": "机构", "officers": "张三（37010001）", "subject_name": "王某", "content": "问答"}
CASE_TRANSITIONS = {
    "review": ({S.LEAD}, "education_inspector", lambda a, c: services.case_review(actor=a, case_id=c.pk)),
    "file": ({S.PRELIMINARY_REVIEW}, "education_head", lambda a, c: services.case_file(
        actor=a, case_id=c.pk, violation_ended_on=timezone.localdate() - datetime.timedelta(days=10))),
    "drop": ({S.LEAD, S.PRELIMINARY_REVIEW}, "education_head",
             lambda a, c: services.case_drop(actor=a, case_id=c.pk, reason="证据不足")),
    "investigate": ({S.FILED}, "education_inspector", lambda a, c: services.case_investigate(actor=a, case_id=c.pk)),
    "evidence": ({S.FILED, S.INVESTIGATION}, "education_inspector",
                 lambda a, c: services.case_evidence_add(actor=a, case_id=c.pk, description="照片")),
    "record": ({S.FILED, S.INVESTIGATION}, "education_inspector", lambda a, c: services.case_record_add(
        actor=a, case_id=c.pk, started_at=timezone.now() - datetime.timedelta(hours=1), ended_at=timezone.now(),
        **RECORD)),
    "conclude": ({S.INVESTIGATION}, "education_inspector", lambda a, c: services.case_conclude_investigation(
        actor=a, case_id=c.pk, report="事实")),
    "adjudicate": ({S.INVESTIGATED}, "education_head", lambda a, c: services.case_adjudicate(
        actor=a, case_id=c.pk, outcome="withdraw", reason="事实不清")),
    "rights": ({S.PROPOSED}, "education_inspector", lambda a, c: services.case_notify_rights(actor=a, case_id=c.pk)),
    "serve_rights": ({S.NOTICE_OF_RIGHTS}, "education_inspector", lambda a, c: services.case_serve_rights_notice(
        actor=a, case_id=c.pk, data=_serve_data())),
    "statement": ({S.NOTICE_OF_RIGHTS}, "education_inspector", lambda a, c: services.case_record_statement(
        actor=a, case_id=c.pk, statement="无异议")),
    "hearing_request": ({S.NOTICE_OF_RIGHTS}, "education_inspector", lambda a, c: services.hearing_request(
        actor=a, case_id=c.pk, requested_on=timezone.localdate())),
    "hearing_report": ({S.NOTICE_OF_RIGHTS}, "education_inspector", lambda a, c: services.hearing_report(
        actor=a, case_id=c.pk, report="报告")),
    "legal_review": ({S.PROPOSED, S.NOTICE_OF_RIGHTS}, "reviewer", lambda a, c: services.legal_review_record(
        actor=a, case_id=c.pk, conclusion="agree", opinion="同意")),
    "discussion": ({S.PROPOSED, S.NOTICE_OF_RIGHTS}, "education_head", lambda a, c: services.discussion_record(
        actor=a, case_id=c.pk, held_at=None, attendees="局长、副局长", conclusion="同意")),
    "decide": ({S.NOTICE_OF_RIGHTS}, "education_head", lambda a, c: services.case_decide(
        actor=a, case_id=c.pk, facts="事实", penalties=[{"kind": "warning", "provision_id": _p62().pk}])),
    "serve": ({S.DECIDED}, "education_inspector",
              lambda a, c: services.case_serve(actor=a, case_id=c.pk, data=_serve_data())),
    "payment": ({S.SERVED, S.ENFORCEMENT}, "education_inspector", lambda a, c: services.payment_record(
        actor=a, case_id=c.pk, amount=Decimal("1"), paid_on=timezone.localdate(), receipt="R1")),
    "remind": ({S.SERVED}, "education_inspector", lambda a, c: services.case_remind(
        actor=a, case_id=c.pk, served_on=timezone.localdate())),
    "enforce": ({S.SERVED}, "education_inspector",
                lambda a, c: services.case_apply_enforcement(actor=a, case_id=c.pk, court="历下区人民法院")),
    "execute": ({S.SERVED, S.ENFORCEMENT}, "education_inspector",
                lambda a, c: services.case_execute(actor=a, case_id=c.pk, note="已执行")),
    "close": ({S.EXECUTED}, "education_head",
              lambda a, c: services.case_close(actor=a, case_id=c.pk, report="结案报告")),
    "extend": (set(services.cases.PERIOD_RUNNING), "education_head", lambda a, c: services.case_period_extend(
        actor=a, case_id=c.pk, new_due=timezone.localdate() + datetime.timedelta(days=400), reason="案情复杂")),
    "suspend": (set(services.cases.PERIOD_RUNNING), "education_head",
                lambda a, c: services.case_period_suspend(actor=a, case_id=c.pk, reason="鉴定")),
    "resume": (set(services.cases.PERIOD_RUNNING), "education_head",
               lambda a, c: services.case_period_resume(actor=a, case_id=c.pk)),
    "credit": ({S.DECIDED, S.SERVED, S.ENFORCEMENT, S.EXECUTED, S.CLOSED}, "education_head",
               lambda a, c: services.decision_record_credit_sanction(actor=a, case_id=c.pk, note="列入失信名单")),
    "revision": (set(services.revisions.REVISABLE), "education_head", lambda a, c: services.decision_record_revision(
        actor=a, case_id=c.pk, revision="annulled", body_kind="review", body="历下区人民政府",
        revised_on=timezone.localdate(), reference="历政复决字〔2026〕第1号")),
}
CASE_CASES = [
    (name, status)
    for name, (allowed, _who, _call) in CASE_TRANSITIONS.items()
    for status in CaseStatus.values
    if status not in allowed
]


def _p62():
    return provision("民办教育促进法", "第六十二条")


def _case_written():
    return (*_written(), InvestigationRecord.objects.count(), Hearing.objects.count(), LegalReview.objects.count(),
            CollectiveDiscussion.objects.count(), Payment.objects.count(), CasePeriodChange.objects.count())


def test_case_transitions_refused_from_every_disallowed_status(users, institution, departments):
    """Every (transition, disallowed status) pair: TransitionNotAllowed, the case row unchanged, nothing written.
    One case per status is built once (a case through the services costs seconds) and each refusal runs in
    its own savepoint."""
    reviewer = UserFactory(username="legal_reviewer", department=departments["education"], role=Role.INSPECTOR)
    LegalQualification.objects.create(user=reviewer, certificate="A2019", granted_on=datetime.date(2020, 1, 1))
    actors = {**users, "reviewer": reviewer}
    cases = {
        status: PenaltyCaseFactory(institution=institution, department=departments["education"],
                                   opened_by=users["education_inspector"], status=status)
        for status in CaseStatus.values
    }
    failures = []
    for transition, status in CASE_CASES:
        _allowed, who, call = CASE_TRANSITIONS[transition]
        case = cases[status]
        row, written = _row(PenaltyCase, case.pk), _case_written()
        try:
            with transaction.atomic():
                call(actors[who], case)
        except TransitionNotAllowed:
            pass
        except Exception as error:  # noqa: BLE001 - reported below with the pair that raised it
            failures.append(f"{transition} from {status}: {type(error).__name__} {error}")
            continue
        else:
            failures.append(f"{transition} from {status}: allowed")
            continue
        if _row(PenaltyCase, case.pk) != row or _case_written() != written:
            failures.append(f"{transition} from {status}: wrote something")
    assert not failures, "\n".join(failures)


def test_every_status_is_covered():
    """A new status must be added to the tables above (the lists are built from the enums)."""
    assert len(ORDER_CASES) == 5 * len(OrderStatus.values) - sum(
        len(a) for a, _w, _c in ORDER_TRANSITIONS.values()
    )
    assert {s for _n, s in CASE_CASES} == set(CaseStatus.values)
