"""Penalty cases through every step, heads decide, fines are checked, a revocation changes the register;
suspension notices and refunds. The time limits and bad inputs of each step: test_case_procedure.py."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from institutions.models import LicenceKind, LicenceStanding, LicenceState
from penalties import services
from penalties.models import CaseStatus, Decision, LegalQualification, PenaltyCase, SuspensionStatus
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent, Role
from tests.factories import LicenceFactory, PenaltyCaseFactory, SuspensionNoticeFactory, UserFactory
from tests.factories.penalties import provision


def _serve_data():
    return {"served_at": timezone.now(), "method": "in_person", "receiver_name": "王某"}


@pytest.fixture
def case_at_rights(users, institution, departments):
    """A case whose 事先告知书 (warning, fine, revocation proposed) was served now; the party has a hearing right."""
    inspector, head = users["education_inspector"], users["education_head"]
    case = services.case_open(
        actor=inspector,
        institution_id=institution.pk,
        summary="举报其违规收费",
        source="complaint",
        source_reference="JB2026-0001",
    )
    services.case_review(actor=inspector, case_id=case.pk)
    services.case_file(actor=head, case_id=case.pk,
                       violation_ended_on=timezone.localdate() - datetime.timedelta(days=3))
    services.case_investigate(actor=inspector, case_id=case.pk)
    services.case_evidence_add(actor=inspector, case_id=case.pk, description="现场照片")
    services.case_conclude_investigation(actor=inspector, case_id=case.pk, report="预收费超过三个月")
    services.case_adjudicate(actor=head, case_id=case.pk, outcome="penalty", reason="事实清楚", penalties=PROPOSED())
    services.case_notify_rights(actor=inspector, case_id=case.pk)
    services.case_serve_rights_notice(actor=inspector, case_id=case.pk, data=_serve_data())
    return case


def _art(law, article):
    return provision(law, article)


def PROPOSED():  # noqa: N802 - a constant built on demand (the provisions exist only inside a test)
    return [
        {"kind": "warning", "provision_id": _art("民办教育促进法", "第六十二条").pk},
        {"kind": "fine", "amount": Decimal("30000.50"),
         "provision_id": _art("校外培训行政处罚暂行办法", "第十八条").pk},
        {"kind": "licence_revocation", "provision_id": _art("民办教育促进法", "第六十二条").pk},
    ]


def test_full_procedure_with_revocation_changes_the_register(users, institution, departments, case_at_rights):
    inspector, head = users["education_inspector"], users["education_head"]
    reviewer = UserFactory(username="legal", department=departments["education"], role=Role.INSPECTOR)
    LegalQualification.objects.create(user=reviewer, granted_on=datetime.date(2020, 1, 1))
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
    assert case.hearing_right  # a revocation (Art 63)
    services.case_record_statement(actor=inspector, case_id=case.pk, statement="请求从轻", waived=True)
    services.legal_review_record(actor=reviewer, case_id=case.pk, conclusion="agree", opinion="事实清楚，程序合法")
    services.discussion_record(actor=head, case_id=case.pk, held_at=None, attendees="局长、副局长、法规科长",
                               conclusion="同意拟处罚意见")
    decision = services.case_decide(
        actor=head, case_id=case.pk, facts="经查，该机构预收费超过三个月", penalties=PROPOSED(),
        statement_adopted=False, statement_reasons="无从轻情节",
    )
    assert decision.number.endswith("第1号") and "罚字〔" in decision.number
    assert [(p.kind, str(p.amount) if p.amount else None) for p in decision.penalties.all()] == [
        ("warning", None),
        ("fine", "30000.50"),
        ("licence_revocation", None),
    ]
    assert decision.statement_summary == "请求从轻" and decision.statement_adopted is False
    services.case_serve(actor=inspector, case_id=case.pk, data=_serve_data())
    case.refresh_from_db()
    assert case.payment_due == timezone.localdate() + datetime.timedelta(days=15)
    with pytest.raises(TransitionNotAllowed, match="尚未缴清"):
        services.case_execute(actor=inspector, case_id=case.pk, note="许可证已收回")
    services.payment_record(actor=inspector, case_id=case.pk, amount=Decimal("30000.50"),
                            paid_on=timezone.localdate(), receipt="FS-001")
    services.case_execute(actor=inspector, case_id=case.pk, note="罚款已缴纳，许可证已收回")
    institution.refresh_from_db()
    assert institution.licences.get(kind=LicenceKind.SCHOOL_RUNNING).state == LicenceState.REVOKED
    assert institution.licence_standing == LicenceStanding.BUSINESS_ONLY
    assert AuditEvent.objects.filter(kind="licence.revoked", institution_id=institution.pk).exists()
    services.case_close(actor=head, case_id=case.pk, report="处罚决定已执行完毕")
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
        "case.investigation_closed",
        "case.adjudicated",
        "case.rights_notified",
        "case.rights_served",
        "case.statement_recorded",
        "case.legal_reviewed",
        "case.discussed",
        "case.decided",
        "case.served",
        "case.payment_recorded",
        "case.executed",
        "case.closed",
    ]


@pytest.fixture
def warned(users, institution, departments):
    """A case with a warning proposed (no hearing right), its notice served, the party having waived."""
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.NOTICE_OF_RIGHTS,
                              statement_recorded=True)
    return case


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
def test_bad_fine_is_refused_and_nothing_written(users, warned, amount, message):
    count = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match=message):
        services.case_decide(
            actor=users["education_head"],
            case_id=warned.pk,
            facts="事实",
            penalties=[{"kind": "fine", "amount": amount,
                        "provision_id": _art("校外培训行政处罚暂行办法", "第十八条").pk}],
        )
    assert AuditEvent.objects.count() == count and not Decision.objects.exists()
    assert PenaltyCase.objects.get(pk=warned.pk).status == CaseStatus.NOTICE_OF_RIGHTS


def test_penalty_needs_a_penalty_article(users, warned):
    with pytest.raises(ServiceError, match="请选择依据的罚则条款"):
        services.case_decide(
            actor=users["education_head"], case_id=warned.pk, facts="事实",
            penalties=[{"kind": "warning", "legal_basis": "第62条"}],
        )
    assert not Decision.objects.exists()


@pytest.mark.parametrize("who", ["education_inspector", "market_head", "police_inspector", "prefecture_head"])
def test_only_the_head_of_the_department_decides(users, warned, who):
    with pytest.raises(ActionForbidden):
        services.case_decide(
            actor=users[who], case_id=warned.pk, facts="事实",
            penalties=[{"kind": "warning", "provision_id": _art("民办教育促进法", "第六十二条").pk}],
        )
    assert not Decision.objects.exists()


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
        services.case_file(actor=users["education_inspector"], case_id=case.pk,
                           violation_ended_on=timezone.localdate())


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
