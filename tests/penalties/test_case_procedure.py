"""The steps of a penalty case against the law's time limits (a moving clock passed as now=) and the bad inputs
of issue 12: each refusal is a clear Chinese message and writes nothing.

The clock starts on Monday 2 March 2026 (no holiday until Qingming): 5 working days after it is 9 March."""

import datetime
from decimal import Decimal

import pytest

from penalties import services
from penalties.models import (
    CasePeriodChange,
    CaseStatus,
    Decision,
    DecisionKind,
    Hearing,
    HearingStatus,
    Interview,
    LegalQualification,
    Payment,
    PenaltyCase,
    PenaltyKind,
)
from penalties.services.execution import outstanding, surcharge
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent, Role
from tests.factories import PenaltyCaseFactory, UserFactory
from tests.factories.organisation import at
from tests.factories.penalties import provision, serve_data

MON = datetime.date(2026, 3, 2)
T0 = at(MON, hour=10)


def _art(law, article):
    return provision(law, article)


def p62():
    return _art("民办教育促进法", "第六十二条")


def art18():
    return _art("校外培训行政处罚暂行办法", "第十八条")


def _audits():
    return AuditEvent.objects.count()


@pytest.fixture
def people(users, departments):
    """The inspector (investigates), the head, a second inspector who did not investigate (a hearing chair),
    and a legally qualified reviewer."""
    education = departments["education"]
    chair = UserFactory(username="chair", department=education, role=Role.INSPECTOR, full_name="李主持")
    reviewer = UserFactory(username="reviewer", department=education, role=Role.INSPECTOR)
    LegalQualification.objects.create(user=reviewer, certificate="A20190001", granted_on=datetime.date(2020, 1, 1))
    return {"inspector": users["education_inspector"], "head": users["education_head"], "chair": chair,
            "reviewer": reviewer}


def _investigated(institution, departments, people, **kwargs):
    return PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=people["inspector"], status=CaseStatus.INVESTIGATED, now=T0, **kwargs)


def _notified(case, people, penalties, *, served_on=MON):
    """Adjudicated at T0 with `penalties`, the 事先告知书 made at T0 and served on `served_on` at 10:00."""
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="penalty", reason="事实清楚",
                             penalties=penalties, now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    served = at(served_on, hour=10)
    services.case_serve_rights_notice(actor=people["inspector"], case_id=case.pk, data=serve_data(served), now=served)
    return PenaltyCase.objects.get(pk=case.pk)


WARNING = lambda: [{"kind": "warning", "provision_id": p62().pk}]  # noqa: E731
REVOCATION = lambda: [{"kind": "warning", "provision_id": p62().pk},  # noqa: E731
                      {"kind": "licence_revocation", "provision_id": p62().pk}]
FINE = lambda amount="20000": [{"kind": "fine", "amount": Decimal(amount), "provision_id": art18().pk}]  # noqa: E731


# ---- 立案: the limitation period (Art 36) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "ended, safety, ok",
    [
        (datetime.date(2024, 3, 2), False, True),   # exactly two years: the last day
        (datetime.date(2024, 3, 1), False, False),  # two years and a day
        (datetime.date(2022, 3, 1), True, True),    # four years, endangering safety: five
        (datetime.date(2021, 3, 1), True, False),
        (datetime.date(2026, 3, 3), False, False),  # in the future
    ],
)
def test_filing_checks_the_limitation_period(users, institution, departments, ended, safety, ok):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.PRELIMINARY_REVIEW, now=T0)
    count = _audits()
    call = lambda: services.case_file(actor=users["education_head"], case_id=case.pk,  # noqa: E731
                                      violation_ended_on=ended, endangers_safety=safety, now=T0)
    if ok:
        assert call().status == CaseStatus.FILED
        return
    with pytest.raises(ServiceError) as error:
        call()
    assert error.value.field == "violation_ended_on"
    assert PenaltyCase.objects.get(pk=case.pk).status == CaseStatus.PRELIMINARY_REVIEW and _audits() == count


# ---- 调查: records, report and illegal income ---------------------------------------------------------


def test_records_join_the_numbered_evidence_list_and_refusals_are_explained(users, institution, departments):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.INVESTIGATION, now=T0)
    inspector = users["education_inspector"]
    services.case_evidence_add(actor=inspector, case_id=case.pk, description="营业执照复印件", now=T0)
    record = services.case_record_add(
        actor=inspector, case_id=case.pk, kind="on_site", started_at=T0 - datetime.timedelta(hours=1), ended_at=T0,
        place="历下区某小区3号楼", officers="张三（37010001）、李四（37010002）", subject_name="王某",
        content="现场有学员12名", signed=False, refusal_note="当事人拒绝签名，执法记录仪全程记录", now=T0)
    assert [e.position for e in case.evidence.all()] == [1, 2] and record.evidence.position == 2
    count = _audits()
    with pytest.raises(ServiceError, match="拒绝签名"):
        services.case_record_add(actor=inspector, case_id=case.pk, kind="inquiry", started_at=T0, ended_at=T0,
                                 place="办公室", officers="张三", subject_name="王某", content="问答", signed=False,
                                 now=T0)
    with pytest.raises(ServiceError, match="结束时间不能早于"):
        services.case_record_add(actor=inspector, case_id=case.pk, kind="inquiry", started_at=T0,
                                 ended_at=T0 - datetime.timedelta(hours=1), place="办公室", officers="张三",
                                 subject_name="王某", content="问答", now=T0)
    assert _audits() == count and case.evidence.count() == 2


def test_investigation_report_computes_the_illegal_income(users, institution, departments, people):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.INVESTIGATED, now=T0,
                              income_taken=Decimal("46580"), refunds_made=Decimal("43580"))
    assert case.illegal_income == Decimal("3000.00")
    art17 = _art("校外培训行政处罚暂行办法", "第十七条")
    with pytest.raises(ServiceError, match="超出"):
        services.case_adjudicate(actor=people["head"], case_id=case.pk,
                                 outcome="penalty", penalties=[
                                     {"kind": "fine", "amount": Decimal("20000"), "provision_id": art17.pk}], now=T0)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="penalty", penalties=[
        {"kind": "stop_running", "provision_id": art17.pk},
        {"kind": "fine", "amount": Decimal("15000"), "provision_id": art17.pk}], now=T0)
    assert PenaltyCase.objects.get(pk=case.pk).hearing_right  # 责令停止举办


@pytest.mark.parametrize(
    "penalties, message",
    [
        (lambda: [{"kind": "licence_revocation", "provision_id": art18().pk}], "未规定"),  # kind not allowed
        (lambda: FINE("50000.01"), "超出"),  # above the range
        (lambda: [{"kind": "fine", "amount": Decimal("60000"), "provision_id": art18().pk,
                   "especially_serious": True}], None),  # within the especially serious range
        (lambda: [{"kind": "warning", "provision_id": _art("价格法", "第十三条").pk}], "不是罚则条款"),
        (lambda: [{"kind": "trade_restriction", "provision_id": _art("校外培训行政处罚暂行办法", "第二十条").pk}],
         "限制期限"),
    ],
)
def test_adjudication_checks_kinds_and_ranges(users, institution, departments, people, penalties, message):
    case = _investigated(institution, departments, people)
    count = _audits()
    call = lambda: services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="penalty",  # noqa: E731
                                            penalties=penalties(), now=T0)
    if message is None:
        assert call().status == CaseStatus.PROPOSED
        return
    with pytest.raises(ServiceError, match=message):
        call()
    assert PenaltyCase.objects.get(pk=case.pk).status == CaseStatus.INVESTIGATED and _audits() == count


def test_withdrawal_and_referral_end_the_case(users, institution, departments, people):
    case = _investigated(institution, departments, people)
    with pytest.raises(ServiceError, match="司法机关"):
        services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="refer", reason="涉嫌犯罪", now=T0)
    case = services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="refer", reason="涉嫌诈骗",
                                    referred_to="历下区公安分局", now=T0)
    assert case.status == CaseStatus.REFERRED and case.referred_to == "历下区公安分局"
    other = _investigated(institution, departments, people)
    withdrawn = services.case_adjudicate(actor=people["head"], case_id=other.pk, outcome="withdraw",
                                         reason="违法事实不能成立", now=T0)
    assert withdrawn.status == CaseStatus.WITHDRAWN


# ---- 事先告知: the statement period runs from service -----------------------------------------------------


def test_statement_period_runs_from_service_not_from_the_click(users, institution, departments, people):
    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="penalty", penalties=WARNING(), now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    decide = lambda now: services.case_decide(actor=people["head"], case_id=case.pk, facts="事实",  # noqa: E731
                                              penalties=WARNING(), now=now)
    later = at(MON + datetime.timedelta(days=30))
    with pytest.raises(TransitionNotAllowed, match="尚未送达"):
        decide(later)  # a month after the click, but never served
    served_on = datetime.date(2026, 3, 16)  # Monday
    services.case_serve_rights_notice(actor=people["inspector"], case_id=case.pk,
                                      data=serve_data(at(served_on, hour=15)), now=at(served_on, hour=16))
    case.refresh_from_db()
    assert case.statement_due == add_working_days(served_on, 5) == datetime.date(2026, 3, 23)
    count = _audits()
    with pytest.raises(TransitionNotAllowed, match="陈述申辩期限"):
        decide(at(datetime.date(2026, 3, 23), hour=17))  # the last day of the period
    assert _audits() == count and not Decision.objects.exists()
    assert decide(at(datetime.date(2026, 3, 24))).case_id == case.pk


def test_a_statement_before_service_is_refused(users, institution, departments, people):
    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="penalty", penalties=WARNING(), now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    with pytest.raises(TransitionNotAllowed, match="尚未送达"):
        services.case_record_statement(actor=people["inspector"], case_id=case.pk, statement="无异议", now=T0)


# ---- 听证 ------------------------------------------------------------------------------------------------


def test_hearing_request_within_five_working_days_of_service(users, institution, departments, people):
    case = _notified(_investigated(institution, departments, people), people, REVOCATION())
    assert case.hearing_right
    last = datetime.date(2026, 3, 9)  # Monday + 5 working days
    with pytest.raises(ServiceError, match="五个工作日"):
        services.hearing_request(actor=people["inspector"], case_id=case.pk, requested_on=last + datetime.timedelta(1),
                                 now=at(last + datetime.timedelta(1)))
    assert not Hearing.objects.exists()
    hearing = services.hearing_request(actor=people["inspector"], case_id=case.pk, requested_on=last, now=at(last))
    assert hearing.status == HearingStatus.REQUESTED


def test_no_hearing_where_art_63_does_not_apply(users, institution, departments, people):
    case = _notified(_investigated(institution, departments, people), people, WARNING())
    assert not case.hearing_right
    with pytest.raises(TransitionNotAllowed, match="听证范围"):
        services.hearing_request(actor=people["inspector"], case_id=case.pk, requested_on=MON, now=T0)


def test_large_fines_give_the_hearing_right_by_the_province_threshold(users, institution, departments, people,
                                                                      settings):
    settings.PENALTIES_HEARING_THRESHOLDS = {"37": {"person": 2000, "organisation": 20000},
                                             "default": {"person": 10000, "organisation": 100000}}
    case = _notified(_investigated(institution, departments, people), people, FINE("20000"))
    assert case.hearing_right
    other = _notified(_investigated(institution, departments, people), people, FINE("19999"))
    assert not other.hearing_right


@pytest.fixture
def requested(institution, departments, people):
    case = _notified(_investigated(institution, departments, people), people, REVOCATION())
    services.hearing_request(actor=people["inspector"], case_id=case.pk, requested_on=MON, now=T0)
    return case


def test_decision_refused_while_a_requested_hearing_is_not_held(requested, people):
    count = _audits()
    with pytest.raises(TransitionNotAllowed, match="听证"):
        services.case_decide(actor=people["head"], case_id=requested.pk, facts="事实", penalties=REVOCATION(),
                             now=at(MON + datetime.timedelta(days=20)))
    assert _audits() == count and not Decision.objects.exists()


@pytest.mark.parametrize(
    "hearing_day, ok",
    [(datetime.date(2026, 3, 10), False),  # notice served 2 March: 6 working days before
     (datetime.date(2026, 3, 11), True)],  # 7 working days
)
def test_hearing_notice_at_least_seven_working_days_ahead(requested, people, hearing_day, ok):
    call = lambda: services.hearing_notify(  # noqa: E731
        actor=people["inspector"], case_id=requested.pk, scheduled_for=at(hearing_day, hour=9), place="局三楼会议室",
        chair=people["chair"], notice_served_on=MON, now=T0)
    if ok:
        assert call().status == HearingStatus.NOTIFIED
        return
    with pytest.raises(ServiceError, match="七个工作日"):
        call()
    assert Hearing.objects.get(case=requested).status == HearingStatus.REQUESTED


def test_an_investigator_cannot_chair_the_hearing(requested, people):
    with pytest.raises(ServiceError, match="不能担任听证主持人"):
        services.hearing_notify(actor=people["inspector"], case_id=requested.pk,
                                scheduled_for=at(datetime.date(2026, 3, 20)), place="会议室",
                                chair=people["inspector"], notice_served_on=MON, now=T0)
    assert Hearing.objects.get(case=requested).chair_id is None


def _notify(case, people):
    return services.hearing_notify(actor=people["inspector"], case_id=case.pk,
                                   scheduled_for=at(datetime.date(2026, 3, 20), hour=9), place="局三楼会议室",
                                   chair=people["chair"], notice_served_on=MON, now=T0)


def test_hearing_held_reported_then_reviewed_discussed_and_decided(requested, people):
    _notify(requested, people)
    hearing_day = at(datetime.date(2026, 3, 20), hour=9)
    services.hearing_recusal(actor=people["inspector"], case_id=requested.pk,
                             note="当事人申请记录员回避，经负责人决定不予回避", now=T0)
    with pytest.raises(ServiceError, match="不能担任"):
        services.hearing_recusal(actor=people["inspector"], case_id=requested.pk, note="更换",
                                 new_chair=people["inspector"], now=T0)
    with pytest.raises(TransitionNotAllowed, match="尚未到"):
        services.hearing_hold(actor=people["inspector"], case_id=requested.pk, record="笔录", party_signed=True,
                              now=at(datetime.date(2026, 3, 19)))
    with pytest.raises(ServiceError, match="拒绝签字"):
        services.hearing_hold(actor=people["inspector"], case_id=requested.pk, record="笔录", party_signed=False,
                              now=hearing_day)
    services.hearing_hold(actor=people["inspector"], case_id=requested.pk, record="调查人员陈述……当事人申辩……",
                          party_signed=False, signature_refusal="当事人拒绝在笔录上签字", now=hearing_day)
    with pytest.raises(TransitionNotAllowed, match="听证"):
        services.case_decide(actor=people["head"], case_id=requested.pk, facts="事实", penalties=REVOCATION(),
                             now=hearing_day)
    services.hearing_report(actor=people["chair"], case_id=requested.pk, report="建议维持拟处罚意见", now=hearing_day)
    later = at(datetime.date(2026, 3, 23))
    with pytest.raises(TransitionNotAllowed, match="法制审核"):
        services.case_decide(actor=people["head"], case_id=requested.pk, facts="事实", penalties=REVOCATION(),
                             now=later)
    with pytest.raises(ActionForbidden, match="法制审核资格"):
        services.legal_review_record(actor=people["chair"], case_id=requested.pk, conclusion="agree", opinion="同意",
                                     now=later)
    LegalQualification.objects.create(user=people["inspector"], granted_on=MON)
    with pytest.raises(ActionForbidden, match="参与本案调查"):
        services.legal_review_record(actor=people["inspector"], case_id=requested.pk, conclusion="agree",
                                     opinion="同意", now=later)
    services.legal_review_record(actor=people["reviewer"], case_id=requested.pk, conclusion="agree", opinion="同意",
                                 now=later)
    with pytest.raises(TransitionNotAllowed, match="集体讨论"):
        services.case_decide(actor=people["head"], case_id=requested.pk, facts="事实", penalties=REVOCATION(),
                             now=later)
    services.discussion_record(actor=people["head"], case_id=requested.pk, held_at=later, attendees="局长、副局长",
                               conclusion="同意吊销", now=later)
    decision = services.case_decide(actor=people["head"], case_id=requested.pk, facts="事实", penalties=REVOCATION(),
                                    now=later)
    assert decision.kind == DecisionKind.PENALTY
    kinds = set(AuditEvent.objects.filter(object_id=str(requested.pk)).values_list("kind", flat=True))
    assert {"case.hearing_requested", "case.hearing_notified", "case.hearing_recusal", "case.hearing_held",
            "case.hearing_reported", "case.legal_reviewed", "case.discussed", "case.decided"} <= kinds


def test_a_party_absent_without_reason_has_waived_the_hearing(requested, people):
    _notify(requested, people)
    with pytest.raises(TransitionNotAllowed, match="时间未到"):
        services.hearing_absent(actor=people["inspector"], case_id=requested.pk, note="未到场",
                                now=at(datetime.date(2026, 3, 19)))
    hearing = services.hearing_absent(actor=people["inspector"], case_id=requested.pk, note="当事人无正当理由未到场",
                                      now=at(datetime.date(2026, 3, 20), hour=10))
    assert hearing.status == HearingStatus.WAIVED and hearing.concluded


# ---- 决定: Art 45 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decided, message",
    [
        (lambda: FINE("25000"), "金额高于"),
        (lambda: FINE("20000") + [{"kind": "warning", "provision_id": art18().pk}], "没有“警告/通报批评”"),
    ],
)
def test_no_heavier_penalty_than_the_party_was_told(users, institution, departments, people, decided, message):
    case = _notified(_investigated(institution, departments, people), people, FINE("20000"))
    services.case_record_statement(actor=people["inspector"], case_id=case.pk, statement="申辩：已全部退费", now=T0)
    after = at(datetime.date(2026, 3, 10))
    with pytest.raises(ServiceError, match=message):
        services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", penalties=decided(),
                             statement_adopted=False, statement_reasons="退费不影响违法事实", now=after)
    with pytest.raises(ServiceError, match="是否采纳"):
        services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", penalties=FINE("10000"), now=after)
    decision = services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", penalties=FINE("10000"),
                                    statement_adopted=True, now=after)
    assert decision.statement_summary == "申辩：已全部退费" and decision.statement_adopted is True


def test_no_penalty_path_is_told_decided_served_and_closed(users, institution, departments, people):
    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="no_penalty",
                             reason="初次违法且危害后果轻微并及时改正", now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    services.case_serve_rights_notice(actor=people["inspector"], case_id=case.pk, data=serve_data(T0), now=T0)
    services.case_record_statement(actor=people["inspector"], case_id=case.pk, waived=True, now=T0)
    with pytest.raises(TransitionNotAllowed, match="拟不予行政处罚"):
        services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", penalties=WARNING(), now=T0)
    with pytest.raises(ServiceError, match="不予行政处罚的理由"):
        services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", kind="no_penalty", now=T0)
    decision = services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", kind="no_penalty",
                                    no_penalty_ground="first_minor", correction_order="立即停止超前培训", now=T0)
    assert decision.kind == DecisionKind.NO_PENALTY and not decision.penalties.exists()
    services.case_serve(actor=people["inspector"], case_id=case.pk, data=serve_data(T0), now=T0)
    closed = services.case_close(actor=people["head"], case_id=case.pk, report="不予处罚决定已送达", now=T0)
    assert closed.status == CaseStatus.CLOSED


# ---- 执行: payments, surcharge, reminder, court ----------------------------------------------------------


@pytest.fixture
def fined(users, institution, departments, people):
    """A fine of ¥20,000 served on Monday 2 March 2026: due by 17 March (15 days)."""
    case = _notified(_investigated(institution, departments, people), people, FINE("20000"))
    services.case_record_statement(actor=people["inspector"], case_id=case.pk, statement="", waived=True, now=T0)
    services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", penalties=FINE("20000"), now=T0)
    services.case_serve(actor=people["inspector"], case_id=case.pk, data=serve_data(T0), now=T0)
    case = PenaltyCase.objects.get(pk=case.pk)
    assert case.payment_due == datetime.date(2026, 3, 17)
    return case


def test_surcharge_three_percent_a_day_after_the_due_date_capped_at_the_fine(fined):
    due = fined.payment_due
    assert surcharge(fined, on=due) == 0
    assert surcharge(fined, on=due + datetime.timedelta(days=1)) == Decimal("600.00")
    assert surcharge(fined, on=due + datetime.timedelta(days=10)) == Decimal("6000.00")
    assert surcharge(fined, on=due + datetime.timedelta(days=100)) == Decimal("20000.00")  # never above the fine
    assert outstanding(fined, on=due + datetime.timedelta(days=2)) == Decimal("21200.00")


def test_payment_larger_than_due_is_refused(fined, people):
    inspector = people["inspector"]
    count = _audits()
    with pytest.raises(ServiceError, match="大于应缴金额"):
        services.payment_record(actor=inspector, case_id=fined.pk, amount=Decimal("20000.01"),
                                paid_on=datetime.date(2026, 3, 10), receipt="R1", now=at(datetime.date(2026, 3, 10)))
    assert not Payment.objects.exists() and _audits() == count
    late = datetime.date(2026, 3, 19)  # two days late: ¥1,200 surcharge
    services.payment_record(actor=inspector, case_id=fined.pk, amount=Decimal("10000"), paid_on=late, receipt="R1",
                            now=at(late))
    # Half the fine paid on the 19th: from then 3% of ¥10,000 a day.
    assert surcharge(fined, on=datetime.date(2026, 3, 20)) == Decimal("1500.00")
    with pytest.raises(ServiceError, match="大于应缴金额"):
        services.payment_record(actor=inspector, case_id=fined.pk, amount=Decimal("11500.01"),
                                paid_on=datetime.date(2026, 3, 20), receipt="R2", now=at(datetime.date(2026, 3, 20)))
    services.payment_record(actor=inspector, case_id=fined.pk, amount=Decimal("11500"),
                            paid_on=datetime.date(2026, 3, 20), receipt="R2", now=at(datetime.date(2026, 3, 20)))
    assert outstanding(fined, on=datetime.date(2026, 3, 20)) == 0
    case = services.case_execute(actor=inspector, case_id=fined.pk, note="罚款及加处罚款已缴清",
                                 now=at(datetime.date(2026, 3, 21)))
    assert case.status == CaseStatus.EXECUTED


def test_reminder_then_court_ten_days_later_and_after_the_lawsuit_period(fined, people):
    inspector = people["inspector"]
    with pytest.raises(TransitionNotAllowed, match="未满"):
        services.case_remind(actor=inspector, case_id=fined.pk, served_on=datetime.date(2026, 3, 17),
                             now=at(datetime.date(2026, 3, 17)))
    with pytest.raises(TransitionNotAllowed, match="催告书"):
        services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                        now=at(datetime.date(2026, 10, 1)))
    reminded = datetime.date(2026, 9, 1)
    services.case_remind(actor=inspector, case_id=fined.pk, served_on=reminded, now=at(reminded))
    with pytest.raises(TransitionNotAllowed, match="满十日"):
        services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                        now=at(datetime.date(2026, 9, 10)))
    case = services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                           now=at(datetime.date(2026, 9, 11)))
    assert case.status == CaseStatus.ENFORCEMENT and case.enforcement_applied_on == datetime.date(2026, 9, 11)
    # Within the lawsuit period (six months after service) the court is not applied to, whatever the reminder.
    fined2 = PenaltyCase.objects.get(pk=fined.pk)
    assert fined2.reminder_served_on == reminded


def test_reminder_within_six_months_waits_for_the_lawsuit_period(fined, people):
    inspector = people["inspector"]
    services.case_remind(actor=inspector, case_id=fined.pk, served_on=datetime.date(2026, 3, 20),
                         now=at(datetime.date(2026, 3, 20)))
    with pytest.raises(TransitionNotAllowed, match="诉讼期限"):
        services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                        now=at(datetime.date(2026, 4, 10)))
    assert PenaltyCase.objects.get(pk=fined.pk).status == CaseStatus.SERVED


# ---- 期限: suspension and extension (Art 60) -------------------------------------------------------------


def test_period_suspended_resumed_and_extended_with_a_reason(users, institution, departments, people):
    case = _investigated(institution, departments, people)
    head = people["head"]
    due = case.decision_due
    with pytest.raises(ServiceError, match="理由"):
        services.case_period_suspend(actor=head, case_id=case.pk, reason="", now=T0)
    services.case_period_suspend(actor=head, case_id=case.pk, reason="等待价格鉴定", now=T0)
    with pytest.raises(TransitionNotAllowed, match="已中止"):
        services.case_period_extend(actor=head, case_id=case.pk, new_due=due + datetime.timedelta(days=30),
                                    reason="复杂", now=T0)
    resumed = services.case_period_resume(actor=head, case_id=case.pk, now=T0 + datetime.timedelta(days=12))
    assert resumed.decision_due == due + datetime.timedelta(days=12)
    with pytest.raises(ServiceError, match="须晚于"):
        services.case_period_extend(actor=head, case_id=case.pk, new_due=due, reason="复杂", now=T0)
    services.case_period_extend(actor=head, case_id=case.pk, new_due=due + datetime.timedelta(days=60),
                                reason="案情复杂，经负责人批准", now=T0)
    assert CasePeriodChange.objects.filter(case=case).count() == 2
    with pytest.raises(ActionForbidden):
        services.case_period_suspend(actor=people["inspector"], case_id=case.pk, reason="x", now=T0)


# ---- consequences that are not penalties -----------------------------------------------------------------


def test_old_kinds_are_not_penalties():
    assert not {"talk", "ban", "credit_sanction", "refund_order"} & set(PenaltyKind.values)
    assert {"confiscate_property", "stop_running", "trade_restriction"} <= set(PenaltyKind.values)


def test_interview_with_or_without_a_case(users, institution, departments, other_institution):
    inspector = users["education_inspector"]
    alone = services.interview_record(actor=inspector, institution_id=institution.pk, held_at=T0, place="局会议室",
                                      staff="张三、李四", interviewees="王某（法定代表人）", said="指出超前培训问题",
                                      promised="一周内停止", now=T0)
    assert alone.case is None and alone.department == inspector.department
    case = PenaltyCaseFactory(institution=institution, department=departments["education"], opened_by=inspector)
    with_case = services.interview_record(actor=inspector, institution_id=institution.pk, case_id=case.pk,
                                          held_at=T0, place="局会议室", staff="张三", interviewees="王某",
                                          said="告知调查情况", now=T0)
    assert with_case.case == case
    with pytest.raises(ServiceError, match="约谈内容"):
        services.interview_record(actor=inspector, institution_id=institution.pk, held_at=T0, place="x", staff="x",
                                  interviewees="x", said="", now=T0)
    with pytest.raises(ActionForbidden):
        services.interview_record(actor=inspector, institution_id=other_institution.pk, held_at=T0, place="x",
                                  staff="x", interviewees="x", said="x", now=T0)
    assert Interview.objects.count() == 2


def test_credit_sanction_recorded_after_the_decision(fined, people):
    decision = services.decision_record_credit_sanction(actor=people["head"], case_id=fined.pk,
                                                        note="推送信用平台，列入失信名单", now=T0)
    assert decision.credit_sanction_at == T0


# ---- the documents' contexts (rendered by the documents helper) ------------------------------------------


def test_every_document_context_reads_a_case_at_its_step(requested, people, fined):
    from penalties.services import case_documents as docs

    _notify(requested, people)
    hearing_day = at(datetime.date(2026, 3, 20), hour=9)
    services.hearing_hold(actor=people["inspector"], case_id=requested.pk, record="笔录", party_signed=True,
                          now=hearing_day)
    services.hearing_report(actor=people["chair"], case_id=requested.pk, report="报告", now=hearing_day)
    services.legal_review_record(actor=people["reviewer"], case_id=requested.pk, conclusion="agree", opinion="同意",
                                 now=hearing_day)
    services.discussion_record(actor=people["head"], case_id=requested.pk, held_at=hearing_day, attendees="局长",
                               conclusion="同意", now=hearing_day)
    case = PenaltyCase.objects.get(pk=requested.pk)
    assert docs.filing_approval_context(case)["limitation_ends"] == datetime.date(2028, 1, 31)
    assert docs.rights_notice_context(case)["hearing_request_due"] == datetime.date(2026, 3, 9)
    assert [p["kind"] for p in docs.rights_notice_context(case)["proposed"]] == ["警告/通报批评", "吊销许可证件"]
    assert docs.hearing_notice_context(case)["chair"] == "李主持"
    assert docs.hearing_record_context(case)["party_signed"] is True
    assert docs.hearing_report_context(case)["report"] == "报告"
    assert docs.legal_review_context(case)["conclusion"] == "同意"
    assert docs.discussion_context(case)["attendees"] == "局长"
    assert docs.investigation_report_context(case)["evidence"][0]["number"] == 1
    record = case.records.first()
    assert docs.investigation_record_context(case, record.pk)["title"] == "询问笔录"
    owed = docs.reminder_context(fined, on=datetime.date(2026, 3, 18))
    assert (owed["fine"], owed["surcharge"], owed["outstanding"]) == (Decimal("20000"), Decimal("600.00"),
                                                                      Decimal("20600.00"))
    assert set(docs.CASE_DOCUMENTS) == set(docs.CaseDocumentKind)


def test_hearing_steps_refused_from_every_disallowed_hearing_status(users, institution, departments, people):
    """Each hearing step over every hearing status it is not allowed from (hearings walked through the services):
    TransitionNotAllowed and nothing written."""
    from django.db import transaction

    day = at(datetime.date(2026, 3, 20), hour=9)
    walk = [
        (HearingStatus.REQUESTED, []),
        (HearingStatus.NOTIFIED, ["notify"]),
        (HearingStatus.HELD, ["notify", "hold"]),
        (HearingStatus.REPORTED, ["notify", "hold", "report"]),
        (HearingStatus.WAIVED, ["notify", "absent"]),
    ]
    inspector = people["inspector"]
    steps = {
        "notify": ({HearingStatus.REQUESTED}, lambda c: services.hearing_notify(
            actor=inspector, case_id=c.pk, scheduled_for=day, place="会议室", chair=people["chair"],
            notice_served_on=MON, now=T0)),
        "recusal": ({HearingStatus.REQUESTED, HearingStatus.NOTIFIED}, lambda c: services.hearing_recusal(
            actor=inspector, case_id=c.pk, note="申请回避", now=day)),
        "hold": ({HearingStatus.NOTIFIED}, lambda c: services.hearing_hold(
            actor=inspector, case_id=c.pk, record="笔录", party_signed=True, now=day)),
        "absent": ({HearingStatus.NOTIFIED}, lambda c: services.hearing_absent(
            actor=inspector, case_id=c.pk, note="未到场", now=day)),
        "report": ({HearingStatus.HELD}, lambda c: services.hearing_report(
            actor=inspector, case_id=c.pk, report="报告", now=day)),
    }
    cases = {}
    for status, path in walk:
        case = _notified(_investigated(institution, departments, people), people, REVOCATION())
        services.hearing_request(actor=inspector, case_id=case.pk, requested_on=MON, now=T0)
        for name in path:
            steps[name][1](case)
        assert Hearing.objects.get(case=case).status == status
        cases[status] = case
    failures = []
    for name, (allowed, call) in steps.items():
        for status, case in cases.items():
            if status in allowed:
                continue
            hearing, count = Hearing.objects.filter(case=case).values().get(), _audits()
            try:
                with transaction.atomic():
                    call(case)
            except TransitionNotAllowed:
                pass
            else:
                failures.append(f"{name} from {status}: allowed")
                continue
            if Hearing.objects.filter(case=case).values().get() != hearing or _audits() != count:
                failures.append(f"{name} from {status}: wrote something")
    assert not failures, "\n".join(failures)


def test_migration_moves_the_old_kinds_out_of_the_penalties(users, institution, departments):
    import importlib

    from django.apps import apps

    from penalties.models import Penalty

    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.DECIDED)
    decision = case.decision
    for position, (kind, amount, note) in enumerate(
        [("refund_order", Decimal("500"), ""), ("credit_sanction", None, "列入失信名单"), ("talk", None, "约谈负责人"),
         ("ban", None, "")], start=10,
    ):
        Penalty.objects.create(decision=decision, position=position, kind=kind, amount=amount, legal_basis="依据",
                               note=note)
    importlib.import_module("penalties.migrations.0007_move_old_penalty_kinds").forward(apps, None)
    decision.refresh_from_db()
    assert sorted(decision.penalties.values_list("kind", flat=True)) == ["stop_running", "warning"]
    assert decision.refund_ordered and decision.refund_amount == Decimal("500")
    assert decision.credit_sanction_at == decision.decided_at and "失信" in decision.credit_sanction_note
    assert Interview.objects.get(case=case).said == "约谈负责人"


def test_the_chaser_reminds_of_unpaid_fines_only(fined, people, users, institution, departments):
    from penalties import chaser
    from regulator.models import Notification

    late = at(datetime.date(2026, 3, 19), hour=1)
    chaser.chase_deadlines(now=late)
    assert Notification.objects.filter(key__startswith=f"case:{fined.pk}:payment_overdue:").exists()
    Notification.objects.all().delete()
    services.payment_record(actor=people["inspector"], case_id=fined.pk, amount=Decimal("20000"),
                            paid_on=datetime.date(2026, 3, 16), receipt="R1", now=at(datetime.date(2026, 3, 16)))
    chaser.chase_deadlines(now=at(datetime.date(2026, 3, 20), hour=1))
    assert not Notification.objects.filter(key__startswith=f"case:{fined.pk}:payment_overdue:").exists()
