"""限制从业 of a penalty decision on the teacher black list: the person named with a valid identity number and the
period, the ban written in the deciding transaction (once), lifted when the decision is annulled and moved when
its period is changed on review or by a court; the ban refuses the person as an institution's teacher."""

import datetime

import pytest
from django.utils import timezone

from institutions import services as register_services
from institutions import teachers
from institutions.models import BanKind, Teacher, TeacherBan
from penalties import services
from penalties.models import CaseStatus, Decision, LegalQualification, Penalty, PenaltyKind
from regulator.errors import ServiceError
from regulator.models import AuditEvent, Role, User
from tests.factories import PenaltyCaseFactory, UserFactory
from tests.factories.penalties import RESTRICTED_PERSON_ID, provision, serve_data

pytestmark = pytest.mark.django_db

OTHER_ID = "110105199001011232"


def _restriction(**extra):
    return {"kind": PenaltyKind.TRADE_RESTRICTION, "provision_id": provision("校外培训行政处罚暂行办法", "第二十条").pk,
            "period_months": 12, "person_name": "孟某", "person_id_number": RESTRICTED_PERSON_ID, **extra}


def _told(institution, departments, users):
    """Told and served, the statement recorded; 限制从业 is heavy (Art 63): legally reviewed and discussed."""
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.NOTICE_OF_RIGHTS,
                              statement_recorded=True, penalties=[_restriction()])
    reviewer = User.objects.filter(username="legal_reviewer").first() or UserFactory(
        username="legal_reviewer", department=departments["education"], role=Role.INSPECTOR)
    LegalQualification.objects.get_or_create(user=reviewer, defaults={"granted_on": datetime.date(2020, 1, 1)})
    services.legal_review_record(actor=reviewer, case_id=case.pk, conclusion="agree", opinion="事实清楚，程序合法")
    services.discussion_record(actor=users["education_head"], case_id=case.pk, held_at=None,
                               attendees="局长、副局长、法规科长", conclusion="同意拟处罚意见")
    return case


def _decide(case, users, rows):
    return services.case_decide(actor=users["education_head"], case_id=case.pk, facts="经查，在职教师违规有偿补课",
                                statement_adopted=True, penalties=rows)


def test_the_decision_puts_the_restricted_person_on_the_black_list(users, institution, departments):
    case = _told(institution, departments, users)
    decision = _decide(case, users, [_restriction(person_id_number=RESTRICTED_PERSON_ID.lower())])
    penalty = decision.penalties.get()
    assert (penalty.person_name, penalty.person_id_number) == ("孟某", RESTRICTED_PERSON_ID)
    ban = TeacherBan.objects.get()
    start = timezone.localdate(decision.decided_at)
    assert (ban.name, ban.id_number, ban.kind, ban.starts_on) == ("孟某", RESTRICTED_PERSON_ID, BanKind.RESTRICTED,
                                                                  start)
    assert ban.ends_on == teachers.add_months(start, 12) and ban.ends_on < start.replace(year=start.year + 1)
    assert (ban.source, ban.penalty_id, ban.case_id, ban.department_id) == (
        decision.number, penalty.pk, case.pk, case.department_id)
    assert AuditEvent.objects.filter(kind="teacher_ban.created", object_id=str(ban.pk)).exists()
    # Idempotent: the same penalty again adds nothing.
    again = teachers.ban_from_penalty(actor=users["education_head"], penalty_id=penalty.pk, case_id=case.pk,
                                      department=case.department, name="孟某", id_number=RESTRICTED_PERSON_ID,
                                      starts_on=start, months=12, source=decision.number, reason="")
    assert again == ban and TeacherBan.objects.count() == 1


def test_the_banned_person_cannot_be_recorded_as_a_teacher(users, institution, departments):
    _decide(_told(institution, departments, users), users, [_restriction()])
    with pytest.raises(ServiceError, match="已列入教师黑名单"):
        register_services.teacher_save(actor=users["education_inspector"], institution_id=institution.pk,
                                       data={"name": "孟某", "id_number": RESTRICTED_PERSON_ID})
    assert not Teacher.objects.exists()


def test_the_months_run_to_the_day_before():
    assert teachers.add_months(datetime.date(2026, 3, 15), 12) == datetime.date(2027, 3, 14)
    assert teachers.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 27)
    assert teachers.add_months(datetime.date(2026, 11, 1), 3) == datetime.date(2027, 1, 31)


@pytest.mark.parametrize("change, message", [
    ({"person_name": ""}, "姓名"),
    ({"person_id_number": ""}, "身份证号"),
    ({"person_id_number": RESTRICTED_PERSON_ID[:17] + "1"}, "校验位错误"),
    ({"person_id_number": "1101051949"}, "18位"),
    ({"period_months": None}, "限制期限"),
])
def test_a_restriction_without_a_valid_person_or_period_is_refused(users, institution, departments, change,
                                                                   message):
    case = _told(institution, departments, users)
    with pytest.raises(ServiceError, match=message):
        _decide(case, users, [_restriction(**change)])
    case.refresh_from_db()
    assert case.status == CaseStatus.NOTICE_OF_RIGHTS
    assert not Decision.objects.exists() and not Penalty.objects.exists() and not TeacherBan.objects.exists()


def _served(institution, departments, users):
    case = _told(institution, departments, users)
    _decide(case, users, [_restriction()])
    services.case_serve(actor=users["education_inspector"], case_id=case.pk, data=serve_data(timezone.now()))
    return case, TeacherBan.objects.get(case_id=case.pk)


def _revise(case, users, **changes):
    data = {"revision": "annulled", "body_kind": "review", "body": "济南市历下区人民政府",
            "revised_on": timezone.localdate(), "reference": "历政复决字〔2026〕第3号", **changes}
    return services.decision_record_revision(actor=users["education_head"], case_id=case.pk, **data)


def test_an_annulment_lifts_the_ban(users, institution, departments):
    case, ban = _served(institution, departments, users)
    _revise(case, users)
    ban.refresh_from_db()
    assert ban.lifted_at is not None
    teachers.refuse_if_banned(RESTRICTED_PERSON_ID)  # no longer refused
    assert AuditEvent.objects.filter(kind="teacher_ban.lifted", object_id=str(ban.pk)).exists()


def test_a_change_moves_the_end_or_lifts_at_zero(users, institution, departments):
    case, ban = _served(institution, departments, users)
    _revise(case, users, revision="changed", restriction_months=6)
    ban.refresh_from_db()
    assert ban.ends_on == teachers.add_months(ban.starts_on, 6) and ban.lifted_at is None
    assert AuditEvent.objects.filter(kind="teacher_ban.changed", object_id=str(ban.pk)).exists()
    other, other_ban = _served(institution, departments, users)
    _revise(other, users, revision="changed", restriction_months=0)
    other_ban.refresh_from_db()
    assert other_ban.lifted_at is not None


def test_a_change_without_a_new_period_leaves_the_ban(users, institution, departments):
    case, ban = _served(institution, departments, users)
    _revise(case, users, revision="changed")
    ban.refresh_from_db()
    assert ban.lifted_at is None and ban.ends_on == teachers.add_months(ban.starts_on, 12)


@pytest.mark.parametrize("changes, message", [
    ({"restriction_months": 6}, "决定被撤销时"),
    ({"revision": "changed", "restriction_months": 601}, "0至600"),
])
def test_a_bad_revised_period_is_refused_and_changes_nothing(users, institution, departments, changes, message):
    case, ban = _served(institution, departments, users)
    with pytest.raises(ServiceError, match=message):
        _revise(case, users, **changes)
    ban.refresh_from_db()
    assert ban.lifted_at is None and not Decision.objects.get(case=case).revision


def test_a_revised_period_for_a_decision_without_a_restriction_is_refused(users, institution, departments):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.SERVED)
    with pytest.raises(ServiceError, match="没有限制从业"):
        _revise(case, users, revision="changed", restriction_months=3)
    assert not Decision.objects.get(case=case).revision


def test_the_pages_name_the_person_link_the_decision_and_take_the_changed_period(users, institution, departments,
                                                                                  education_head_client):
    from django.urls import reverse

    case, ban = _served(institution, departments, users)
    page = education_head_client.get(reverse("penalties:case_detail", args=[case.pk])).content.decode()
    assert "被限制从业人员：孟某" in page and RESTRICTED_PERSON_ID not in page
    bans = education_head_client.get(reverse("institutions:teacher_bans")).content.decode()
    assert reverse("penalties:case_detail", args=[case.pk]) in bans and RESTRICTED_PERSON_ID not in bans
    url = reverse("penalties:case_step", args=[case.pk, "revision"])
    data = {"revision": "annulled", "body_kind": "review", "body": "济南市历下区人民政府",
            "revised_on": timezone.localdate().isoformat(), "reference": "历政复决字〔2026〕第3号",
            "restriction_months": "6"}
    refused = education_head_client.post(url, data, follow=True).content.decode()
    assert "决定被撤销时不填写变更后的限制从业期限" in refused
    ban.refresh_from_db()
    assert ban.lifted_at is None
    education_head_client.post(url, {**data, "revision": "changed"})
    ban.refresh_from_db()
    assert ban.ends_on == teachers.add_months(ban.starts_on, 6)
