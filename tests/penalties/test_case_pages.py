"""The case page at every step (its clock and next actions), steps taken through the page with their refusals
shown as messages, the rights-notice service page and the interview pages (list pinned)."""

import datetime

import pytest
from django.utils import timezone

from penalties.models import CaseStatus, Hearing, HearingStatus, Interview, PenaltyCase
from regulator.models import AuditEvent, Role
from tests.factories import PenaltyCaseFactory, UserFactory

from .conftest import decision_data


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.parametrize("status", CaseStatus.values)
def test_case_page_shows_the_step_at_every_status(users, institution, departments, education_head_client,
                                                  education_inspector_client, status):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=status)
    for client in (education_head_client, education_inspector_client):
        response = client.get(f"/penalties/cases/{case.pk}/")
        assert response.status_code == 200
        assert "当前步骤" in response.content.decode()
    steps = {row["action"].step for row in education_head_client.get(f"/penalties/cases/{case.pk}/").context["actions"]}
    expected = {
        CaseStatus.PRELIMINARY_REVIEW: "file",
        CaseStatus.INVESTIGATED: "adjudicate",
        CaseStatus.EXECUTED: "close",
    }.get(status)
    if expected:
        assert expected in steps


def test_the_clock_of_an_investigation_and_of_the_statement_period(users, institution, departments,
                                                                   education_inspector_client):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.INVESTIGATION)
    clock = education_inspector_client.get(f"/penalties/cases/{case.pk}/").context["clock"]
    assert clock.due == case.decision_due and clock.days_left == 90 and not clock.overdue
    told = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.NOTICE_OF_RIGHTS)
    clock = education_inspector_client.get(f"/penalties/cases/{told.pk}/").context["clock"]
    assert clock.due == told.statement_due and "陈述申辩" in str(clock.label)


def test_filing_through_the_page_past_the_limitation_is_a_message(users, institution, departments,
                                                                  education_head_client):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.PRELIMINARY_REVIEW)
    old = (timezone.localdate() - datetime.timedelta(days=800)).isoformat()
    events = AuditEvent.objects.count()
    response = education_head_client.post(f"/penalties/cases/{case.pk}/file/", {"violation_ended_on": old},
                                          follow=True)
    assert response.status_code == 200 and any("追责期限" in m for m in _messages(response))
    assert PenaltyCase.objects.get(pk=case.pk).status == CaseStatus.PRELIMINARY_REVIEW
    assert AuditEvent.objects.count() == events
    response = education_head_client.post(f"/penalties/cases/{case.pk}/file/", {}, follow=True)
    assert any("违法行为发生（终了）日期" in m for m in _messages(response))


def test_adjudication_through_the_page_checks_the_article(users, institution, departments, education_head_client):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.INVESTIGATED)
    url = f"/penalties/cases/{case.pk}/adjudicate/"
    response = education_head_client.post(
        url, {**decision_data(("fine", "60000")), "outcome": "penalty"}, follow=True)
    assert any("超出" in m for m in _messages(response))
    assert PenaltyCase.objects.get(pk=case.pk).status == CaseStatus.INVESTIGATED
    response = education_head_client.post(
        url, {**decision_data(("warning", ""), ("fine", "20000")), "outcome": "penalty", "reason": "事实清楚"},
        follow=True)
    assert "审理意见已记录。" in _messages(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.PROPOSED and case.proposed_penalties.startswith("警告/通报批评、罚款")


def test_rights_notice_served_through_its_page(users, institution, departments, education_inspector_client):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.PROPOSED)
    education_inspector_client.post(f"/penalties/cases/{case.pk}/rights/", follow=True)
    body = education_inspector_client.get(f"/penalties/cases/{case.pk}/").content.decode()
    assert "送达事先告知书" in body
    served = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = education_inspector_client.post(
        f"/penalties/cases/{case.pk}/serve-rights/",
        {"served_at": served, "method": "in_person", "receiver_name": "王某", "receiver_relation": "法定代表人"},
        follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.rights_served_at is not None and case.statement_due is not None


def test_an_investigator_as_chair_through_the_page_is_a_message(users, institution, departments,
                                                               education_inspector_client):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.NOTICE_OF_RIGHTS,
                              penalties=[{"kind": "licence_revocation"}])
    Hearing.objects.create(case=case, requested_on=timezone.localdate(), updated_at=timezone.now(),
                           updated_by=users["education_inspector"])
    soon = timezone.localtime() + datetime.timedelta(days=30)
    response = education_inspector_client.post(
        f"/penalties/cases/{case.pk}/hearing_notify/",
        {"scheduled_for": soon.strftime("%Y-%m-%dT%H:%M"), "place": "会议室", "chair": case.opened_by_id,
         "notice_served_on": timezone.localdate().isoformat()}, follow=True)
    assert any("不能担任听证主持人" in m for m in _messages(response))
    assert Hearing.objects.get(case=case).status == HearingStatus.REQUESTED


def test_steps_are_forbidden_to_the_wrong_role(users, institution, departments, education_inspector_client,
                                               police_inspector_client):
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.INVESTIGATED)
    assert education_inspector_client.post(f"/penalties/cases/{case.pk}/adjudicate/").status_code == 403
    assert police_inspector_client.post(f"/penalties/cases/{case.pk}/conclude/").status_code == 403
    assert education_inspector_client.post(f"/penalties/cases/{case.pk}/nonsense/").status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_interview_pages_and_the_list_query_count(users, institution, departments, education_inspector_client,
                                                  rows, django_assert_num_queries):
    inspector = users["education_inspector"]
    url = f"/penalties/interviews/new/{institution.pk}/"
    assert education_inspector_client.get(url).status_code == 200
    held = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    data = {"held_at": held, "place": "局会议室", "staff": "张三", "interviewees": "王某（法定代表人）",
            "said": "指出问题", "promised": "立即整改"}
    response = education_inspector_client.post(url, {**data, "said": ""})
    assert response.status_code == 200 and not Interview.objects.exists()
    for _ in range(rows):
        response = education_inspector_client.post(url, data)
    interview = Interview.objects.first()
    assert response.status_code == 302 and interview.department == inspector.department
    assert education_inspector_client.get(interview.get_absolute_url()).status_code == 200
    education_inspector_client.get("/penalties/interviews/")
    with django_assert_num_queries(3):  # session, user, the interviews with institution and case
        response = education_inspector_client.get("/penalties/interviews/")
    assert len(response.context["rows"]) == rows


def test_legal_reviewer_sees_the_review_step(users, institution, departments, client):
    from penalties.models import LegalQualification

    reviewer = UserFactory(username="reviewer2", department=departments["education"], role=Role.INSPECTOR)
    LegalQualification.objects.create(user=reviewer, granted_on=datetime.date(2020, 1, 1))
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.PROPOSED)
    client.force_login(reviewer)
    steps = {row["action"].step for row in client.get(f"/penalties/cases/{case.pk}/").context["actions"]}
    assert "legal_review" in steps
