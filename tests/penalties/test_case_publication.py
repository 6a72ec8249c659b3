"""The decision's publication wired to the case (行政处罚法 Art 48): a decision marked as having social impact
opens its publication when it is made; a decision changed or annulled on review or by a court is recorded on the
case and its publication becomes due for withdrawal within 3 working days."""

import datetime

import pytest
from django.utils import timezone

from penalties import services
from penalties.models import CaseStatus, Decision, PenaltyCase
from publicity import publications
from publicity.models import DecisionPublication, PublicationStatus
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests.factories import PenaltyCaseFactory
from tests.factories.penalties import provision

from .conftest import decision_data


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _told(institution, departments, users):
    """A case told and served, the party's statement recorded (the period waived): ready for the decision."""
    return PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.NOTICE_OF_RIGHTS,
                              statement_recorded=True)


def _decide(case, users, **extra):
    return services.case_decide(
        actor=users["education_head"], case_id=case.pk, facts="经查，该机构超标准收费", statement_adopted=True,
        penalties=[{"kind": "warning", "provision_id": provision("民办教育促进法", "第六十二条").pk}], **extra)


def _publication(case):
    return DecisionPublication.objects.filter(source_type="penalty_decision", source_id=str(case.pk)).first()


# ---- 决定: social impact opens the publication -------------------------------------------------------


def test_a_decision_with_social_impact_opens_its_publication(users, institution, departments):
    case = _told(institution, departments, users)
    decision = _decide(case, users, social_impact=True)
    assert decision.social_impact is True
    publication = _publication(case)
    assert publication is not None and publication.status == PublicationStatus.PENDING
    assert publication.document_number == decision.number
    assert publication.publish_due == add_working_days(timezone.localdate(decision.decided_at), 7)
    assert AuditEvent.objects.filter(kind="publication.opened", object_id=str(publication.pk)).exists()
    assert AuditEvent.objects.get(kind="case.decided", object_id=str(case.pk)).after["social_impact"] is True


def test_a_decision_without_social_impact_opens_nothing(users, institution, departments):
    case = _told(institution, departments, users)
    decision = _decide(case, users)
    assert decision.social_impact is False
    assert _publication(case) is None
    assert not AuditEvent.objects.filter(kind="publication.opened").exists()


def test_a_no_penalty_decision_is_not_published_as_having_social_impact(users, institution, departments):
    case = _told(institution, departments, users)
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as error:
        services.case_decide(actor=users["education_head"], case_id=case.pk, facts="事实", kind="no_penalty",
                             no_penalty_ground="first_minor", statement_adopted=True, social_impact=True)
    assert error.value.field == "social_impact"
    assert PenaltyCase.objects.get(pk=case.pk).status == CaseStatus.NOTICE_OF_RIGHTS
    assert not Decision.objects.filter(case=case).exists() and _publication(case) is None
    assert AuditEvent.objects.count() == events


def test_social_impact_ticked_on_the_decision_form(users, institution, departments, education_head_client):
    case = _told(institution, departments, users)
    page = education_head_client.get(f"/penalties/cases/{case.pk}/").content.decode()
    assert "具有一定社会影响，依法公开" in page
    response = education_head_client.post(
        f"/penalties/cases/{case.pk}/decide/",
        {**decision_data(("warning", ""), facts="负责人李大宝在家中办班"), "social_impact": "on",
         "person_names": "李大宝、王二"}, follow=True)
    assert "决定已作出并编号，PDF正在生成。" in _messages(response)
    assert Decision.objects.get(case=case).social_impact is True
    publication = _publication(case)
    assert publication.status == PublicationStatus.PENDING
    assert "李**" in publication.text and "李大宝" not in publication.text
    body = response.content.decode()
    assert 'id="decision-publication"' in body and 'id="publication-open-form"' not in body
    assert f"{publication.publish_due:%Y-%m-%d}" in body


# ---- 决定被变更或撤销: the publication is withdrawn -----------------------------------------------------


@pytest.fixture
def served(users, institution, departments):
    return PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.SERVED, social_impact=True)


def _revise(case, users, *, actor="education_head", **changes):
    data = {"revision": "annulled", "body_kind": "court", "body": "济南市历下区人民法院",
            "revised_on": timezone.localdate(), "reference": "（2026）鲁0102行初15号", "note": "判决撤销",
            **changes}
    return services.decision_record_revision(actor=users[actor], case_id=case.pk, **data)


def test_an_annulment_by_a_court_makes_the_published_decision_due_for_withdrawal(users, institution, departments):
    head = users["education_head"]
    zone = timezone.get_current_timezone()
    served = PenaltyCaseFactory(institution=institution, department=departments["education"],
                                opened_by=users["education_inspector"], status=CaseStatus.SERVED, social_impact=True,
                                now=datetime.datetime(2026, 9, 1, 10, tzinfo=zone))
    publication = _publication(served)
    publications.publication_publish(publication_id=publication.pk, actor=head)
    ordered_on = datetime.date(2026, 9, 30)  # before National Day: the 3 working days run past the holiday
    now = datetime.datetime(2026, 10, 9, 10, tzinfo=zone)
    decision = _revise(served, users, revised_on=ordered_on, now=now)
    assert (decision.revision, decision.revision_body_kind, decision.revision_on) == ("annulled", "court", ordered_on)
    assert decision.revision_recorded_by == head and decision.revision_recorded_at == now
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.WITHDRAWAL_DUE
    assert publication.withdrawal_reason == "annulled_by_court" and publication.withdrawal_ordered_on == ordered_on
    assert publication.withdraw_due == add_working_days(ordered_on, 3) > datetime.date(2026, 10, 8)
    assert "（2026）鲁0102行初15号" in publication.withdrawal_note
    event = AuditEvent.objects.get(kind="case.decision_revised", object_id=str(served.pk))
    assert event.after["revision"] == "annulled" and "鲁0102行初15号" in event.summary
    assert PenaltyCase.objects.get(pk=served.pk).status == CaseStatus.SERVED
    with pytest.raises(TransitionNotAllowed, match="不能再次登记"):
        _revise(served, users, revision="changed", body_kind="review")


@pytest.mark.parametrize("revision, body_kind, reason", [
    ("changed", "review", "changed"), ("annulled", "review", "annulled_on_review"),
    ("changed", "court", "changed"),
])
def test_the_withdrawal_reason_follows_what_was_done_and_by_whom(served, users, revision, body_kind, reason):
    publication = _publication(served)
    publications.publication_publish(publication_id=publication.pk, actor=users["education_head"])
    _revise(served, users, revision=revision, body_kind=body_kind, body="济南市历下区人民政府")
    publication.refresh_from_db()
    assert publication.withdrawal_reason == reason and publication.status == PublicationStatus.WITHDRAWAL_DUE


def test_a_pending_publication_is_withdrawn_at_once_and_none_is_no_matter(served, users, institution, departments):
    _revise(served, users)
    assert _publication(served).status == PublicationStatus.WITHDRAWN
    quiet = PenaltyCaseFactory(institution=institution, department=departments["education"],
                               opened_by=users["education_inspector"], status=CaseStatus.SERVED)
    decision = _revise(quiet, users, revision="changed", body_kind="review", body="济南市历下区人民政府")
    assert decision.revision == "changed" and _publication(quiet) is None


@pytest.mark.parametrize("changes, field", [
    ({"revision": "kept"}, "revision"),
    ({"body_kind": "party"}, "body_kind"),
    ({"body": " "}, "body"),
    ({"revised_on": None}, "revised_on"),
    ({"revised_on": timezone.localdate() + datetime.timedelta(days=1)}, "revised_on"),
    ({"revised_on": datetime.date(2020, 1, 1)}, "revised_on"),
    ({"reference": ""}, "reference"),
])
def test_bad_input_is_refused_and_nothing_is_written(served, users, changes, field):
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as error:
        _revise(served, users, **changes)
    assert error.value.field == field
    assert not Decision.objects.get(case=served).revision and AuditEvent.objects.count() == events
    assert _publication(served).status == PublicationStatus.PENDING


def test_only_the_head_records_it_and_only_once_the_decision_was_served(served, users, institution, departments):
    with pytest.raises(ActionForbidden):
        _revise(served, users, actor="education_inspector")
    decided = PenaltyCaseFactory(institution=institution, department=departments["education"],
                                 opened_by=users["education_inspector"], status=CaseStatus.DECIDED, social_impact=True)
    with pytest.raises(TransitionNotAllowed):
        _revise(decided, users)
    assert not Decision.objects.filter(revision__gt="").exists()


def test_recorded_from_the_case_page(served, users, education_head_client):
    page = education_head_client.get(f"/penalties/cases/{served.pk}/").content.decode()
    assert "登记决定被变更或撤销" in page
    url = f"/penalties/cases/{served.pk}/revision/"
    data = {"revision": "annulled", "body_kind": "review", "body": "济南市历下区人民政府",
            "revised_on": timezone.localdate().isoformat(), "reference": "历政复决字〔2026〕第3号"}
    response = education_head_client.post(url, {**data, "reference": ""}, follow=True)
    assert any("文号" in m for m in _messages(response))
    response = education_head_client.post(url, data, follow=True)
    assert any("三个工作日内撤回" in m for m in _messages(response))
    body = response.content.decode()
    assert "本决定已被济南市历下区人民政府撤销" in body and "历政复决字〔2026〕第3号" in body
    publication = _publication(served)
    assert publication.withdrawal_reason == "annulled_on_review"
    assert publication.get_status_display() in body
    steps = {row["action"].step for row in response.context["actions"]}
    assert "revision" not in steps
