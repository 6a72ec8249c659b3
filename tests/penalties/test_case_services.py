"""Penalty cases through every step, heads decide, fines are checked, a revocation changes the register;
suspension notices and refunds."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from institutions.models import LicenceKind, LicenceStanding, LicenceState
from penalties import services
from penalties.models import CaseStatus, Decision, PenaltyCase, SuspensionStatus
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests.factories import LicenceFactory, PenaltyCaseFactory, SuspensionNoticeFactory


def _serve_data():
    return {"served_at": timezone.now(), "method": "in_person", "receiver_name": "王某"}


@pytest.fixture
def case_at_rights(users, institution, departments):
    inspector, head = users["education_inspector"], users["education_head"]
    case = services.case_open(
        actor=inspector,
        institution_id=institution.pk,
        summary="举报其违规收费",
        source="complaint",
        source_reference="JB2026-0001",
    )
    services.case_review(actor=inspector, case_id=case.pk)
    services.case_file(actor=head, case_id=case.pk)
    services.case_investigate(actor=inspector, case_id=case.pk)
    services.case_evidence_add(actor=inspector, case_id=case.pk, description="现场检查笔录")
    services.case_notify_rights(
        actor=inspector, case_id=case.pk, findings="预收费超过三个月", proposed_penalties="警告、罚款"
    )
    return case


def test_full_procedure_with_revocation_changes_the_register(users, institution, case_at_rights):
    inspector, head = users["education_inspector"], users["education_head"]
    LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING)
    LicenceFactory(institution=institution, kind=LicenceKind.BUSINESS)
    from django.db import transaction

    from institutions.services import refresh_standing

    with transaction.atomic():
        refresh_standing(institution=institution)
    institution.refresh_from_db()
    assert institution.licence_standing == LicenceStanding.BOTH

    case = PenaltyCase.objects.get(pk=case_at_rights.pk)
    assert case.decision_due == timezone.localdate() + datetime.timedelta(days=90)
    assert case.statement_due == add_working_days(timezone.localdate(), 5)
    services.case_record_statement(
        actor=inspector, case_id=case.pk, statement="请求从轻", hearing_requested=True
    )
    decision = services.case_decide(
        actor=head,
        case_id=case.pk,
        facts="经查，该机构预收费超过三个月",
        penalties=[
            {"kind": "warning", "legal_basis": "《民办教育促进法》第六十二条"},
            {"kind": "fine", "amount": Decimal("30000.50"), "legal_basis": "《校外培训行政处罚暂行办法》第十八条"},
            {"kind": "licence_revocation", "legal_basis": "《民办教育促进法》第六十二条"},
        ],
    )
    assert decision.number.endswith("第1号") and "罚字〔" in decision.number
    assert [(p.kind, str(p.amount) if p.amount else None) for p in decision.penalties.all()] == [
        ("warning", None),
        ("fine", "30000.50"),
        ("licence_revocation", None),
    ]
    services.case_serve(actor=inspector, case_id=case.pk, data=_serve_data())
    case.refresh_from_db()
    assert case.payment_due == timezone.localdate() + datetime.timedelta(days=15)
    services.case_execute(actor=inspector, case_id=case.pk, note="罚款已缴纳，许可证已收回")
    institution.refresh_from_db()
    assert institution.licences.get(kind=LicenceKind.SCHOOL_RUNNING).state == LicenceState.REVOKED
    assert institution.licence_standing == LicenceStanding.BUSINESS_ONLY
    assert AuditEvent.objects.filter(kind="licence.revoked", institution_id=institution.pk).exists()
    services.case_close(actor=head, case_id=case.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_by == head
    kinds = list(
        AuditEvent.objects.filter(object_type="penalties.penaltycase")
        .values_list("kind", flat=True)
        .order_by("id")
    )
    assert kinds == [
        "case.opened",
        "case.reviewed",
        "case.filed",
        "case.investigation_started",
        "case.rights_notified",
        "case.statement_recorded",
        "case.decided",
        "case.served",
        "case.executed",
        "case.closed",
    ]


# Text that is not an amount ("abc", "NaN", "1.234", …) is refused by the forms' DecimalField before any
# service runs: tests/penalties/test_money_forms.py.
@pytest.mark.parametrize(
    "amount, message",
    [
        (Decimal("-1"), "不能为负数"),
        (None, "请填写"),
        (Decimal("0"), "大于零"),
    ],
)
def test_bad_fine_is_refused_and_nothing_written(users, case_at_rights, amount, message):
    services.case_record_statement(
        actor=users["education_inspector"], case_id=case_at_rights.pk, statement="无", hearing_requested=False
    )
    count = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match=message):
        services.case_decide(
            actor=users["education_head"],
            case_id=case_at_rights.pk,
            facts="事实",
            penalties=[{"kind": "fine", "amount": amount, "legal_basis": "第十八条"}],
        )
    assert AuditEvent.objects.count() == count and not Decision.objects.exists()
    assert PenaltyCase.objects.get(pk=case_at_rights.pk).status == CaseStatus.NOTICE_OF_RIGHTS


def test_penalty_needs_legal_basis(users, case_at_rights):
    services.case_record_statement(
        actor=users["education_inspector"], case_id=case_at_rights.pk, statement="无", hearing_requested=False
    )
    with pytest.raises(ServiceError, match="缺少法律依据"):
        services.case_decide(
            actor=users["education_head"],
            case_id=case_at_rights.pk,
            facts="事实",
            penalties=[{"kind": "warning", "legal_basis": ""}],
        )


@pytest.mark.parametrize("who", ["education_inspector", "market_head", "police_inspector", "prefecture_head"])
def test_only_the_head_of_the_department_decides(users, case_at_rights, who):
    services.case_record_statement(
        actor=users["education_inspector"], case_id=case_at_rights.pk, statement="无", hearing_requested=False
    )
    with pytest.raises(ActionForbidden):
        services.case_decide(
            actor=users[who],
            case_id=case_at_rights.pk,
            facts="事实",
            penalties=[{"kind": "warning", "legal_basis": "第62条"}],
        )
    assert not Decision.objects.exists()


def test_decision_waits_for_the_statement_period(users, case_at_rights):
    with pytest.raises(TransitionNotAllowed, match="陈述申辩期限"):
        services.case_decide(
            actor=users["education_head"],
            case_id=case_at_rights.pk,
            facts="事实",
            penalties=[{"kind": "warning", "legal_basis": "第62条"}],
        )
    later = timezone.now() + datetime.timedelta(days=14)
    decision = services.case_decide(
        actor=users["education_head"],
        case_id=case_at_rights.pk,
        facts="事实",
        penalties=[{"kind": "warning", "legal_basis": "第62条"}],
        now=later,
    )
    assert decision.pk


@pytest.mark.parametrize("who", ["police_inspector", "market_inspector"])
def test_other_departments_cannot_work_the_case(users, institution, departments, who):
    case = PenaltyCaseFactory(
        institution=institution, department=departments["education"], opened_by=users["education_inspector"]
    )
    with pytest.raises(ActionForbidden):
        services.case_review(actor=users[who], case_id=case.pk)
    assert PenaltyCase.objects.get(pk=case.pk).status == CaseStatus.LEAD


def test_inspector_cannot_file(users, institution, departments):
    case = PenaltyCaseFactory(
        institution=institution,
        department=departments["education"],
        opened_by=users["education_inspector"],
        status=CaseStatus.PRELIMINARY_REVIEW,
    )
    with pytest.raises(ActionForbidden):
        services.case_file(actor=users["education_inspector"], case_id=case.pk)


# ---- suspension notices and refunds ---------------------------------------------------------------------


def test_suspension_numbered_served_and_completed_by_refunds(users, institution):
    inspector, head = users["education_inspector"], users["education_head"]
    notice = services.suspension_draft(
        actor=inspector,
        institution_id=institution.pk,
        facts="无证办学",
        legal_basis="《民办教育促进法》第六十四条",
        refund_deadline=timezone.localdate() + datetime.timedelta(days=20),
    )
    services.suspension_approve(actor=head, notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.number.endswith("第1号") and "停办字〔" in notice.number
    services.refund_record(
        actor=inspector,
        notice_id=notice.pk,
        student_group="三年级数学班",
        students=12,
        amount_due=Decimal("36000"),
        amount_refunded=Decimal("10000"),
    )
    services.suspension_serve(actor=inspector, notice_id=notice.pk, data=_serve_data())
    notice.refresh_from_db()
    assert notice.status == SuspensionStatus.SERVED
    institution.refresh_from_db()
    assert institution.operating_state == "suspended"
    services.refund_record(
        actor=inspector,
        notice_id=notice.pk,
        student_group="三年级数学班",
        students=12,
        amount_due=Decimal("36000"),
        amount_refunded=Decimal("36000"),
    )
    notice.refresh_from_db()
    assert notice.status == SuspensionStatus.COMPLETED


@pytest.mark.parametrize(
    "due, refunded, message",
    [
        (Decimal("-5"), Decimal("0"), "应退金额不能为负数"),
        (Decimal("100"), Decimal("-1"), "已退金额不能为负数"),
        (None, Decimal("0"), "请填写应退金额"),
        (Decimal("100"), Decimal("200"), "不能大于应退金额"),
    ],
)
def test_bad_refund_amounts_are_refused(users, institution, departments, due, refunded, message):
    notice = SuspensionNoticeFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=SuspensionStatus.SERVED,
    )
    count = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match=message):
        services.refund_record(
            actor=users["education_inspector"],
            notice_id=notice.pk,
            student_group="一班",
            amount_due=due,
            amount_refunded=refunded,
        )
    assert AuditEvent.objects.count() == count and not notice.refunds.exists()


def test_refund_by_police_is_forbidden(users, institution, departments):
    notice = SuspensionNoticeFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=SuspensionStatus.SERVED,
    )
    with pytest.raises(ActionForbidden):
        services.refund_record(
            actor=users["police_inspector"],
            notice_id=notice.pk,
            student_group="一班",
            amount_due=Decimal("1"),
            amount_refunded=Decimal("1"),
        )


def test_operating_state_change_is_recorded_once_and_idempotent(users, institution):
    from institutions.services import institution_set_operating_state

    head = users["education_head"]
    institution_set_operating_state(actor=head, institution_id=institution.pk, state="banned", reason="测试")
    institution_set_operating_state(actor=head, institution_id=institution.pk, state="banned", reason="测试")
    institution.refresh_from_db()
    assert institution.operating_state == "banned"
    assert AuditEvent.objects.filter(kind="institution.operating_state_changed",
                                     institution_id=institution.pk).count() == 1
