"""Campaigns over institutions: 重新审核登记 (营转非) with its checklist by remit and the 暂停招生及收费 mark, the
overdue sweep into leads, and 回头看 over closed institutions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from institutions import campaigns
from institutions.models import (
    CampaignEnrolment,
    CampaignItem,
    CampaignItemRecord,
    CampaignStatus,
    Category,
    OperatingState,
    RegisterCampaign,
    RegisterCampaignKind,
)
from penalties.models import CaseStatus, PenaltyCase
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import DepartmentKind, Role
from tests.factories import DepartmentFactory, InstitutionFactory, ListEntryFactory, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def academic(regions):
    return InstitutionFactory(region=regions["township"], category=Category.ACADEMIC)


@pytest.fixture
def remit_users(users, departments, regions):
    civil = DepartmentFactory(kind=DepartmentKind.CIVIL_AFFAIRS, region=regions["county"], name="历下区民政局")
    return {
        "education": users["education_inspector"], "market": users["market_inspector"],
        "civil": UserFactory(department=civil, role=Role.INSPECTOR),
    }


def _open(user, kind=RegisterCampaignKind.RE_REGISTRATION, days=30):
    return campaigns.campaign_open(actor=user, kind=kind, name="2026年学科类机构重新审核登记",
                                   deadline=TODAY + datetime.timedelta(days=days))


def _record(user, enrolment, item, **kwargs):
    return campaigns.item_record(actor=user, enrolment_id=enrolment.pk, item=item, document="历教字〔2026〕1号",
                                 done_on=TODAY, **kwargs)


def test_opens_over_the_subject_class_institutions_of_the_county(users, regions, academic):
    InstitutionFactory(region=regions["township"], category=Category.ARTS)
    InstitutionFactory(region=regions["township"], category=Category.ACADEMIC, operating_state=OperatingState.BANNED)
    InstitutionFactory(region=regions["other_township"], category=Category.ACADEMIC)
    campaign = _open(users["joint_office"])
    assert list(campaign.enrolments.values_list("institution_id", flat=True)) == [academic.pk]


def test_only_the_joint_office_opens_and_bad_input_is_refused(users, academic):
    with pytest.raises(ActionForbidden):
        _open(users["education_head"])
    with pytest.raises(ServiceError, match="完成期限"):
        _open(users["joint_office"], days=0)
    with pytest.raises(ServiceError, match="没有符合条件"):
        _open(users["joint_office"], kind=RegisterCampaignKind.LOOK_BACK)
    assert not RegisterCampaign.objects.exists()


def test_each_item_is_recorded_by_its_remit_and_completion_lifts_the_mark(users, remit_users, academic):
    enrolment = _open(users["joint_office"]).enrolments.get()
    assert campaigns.enrolment_suspends(academic.pk)
    with pytest.raises(ActionForbidden):
        _record(remit_users["market"], enrolment, CampaignItem.NON_PROFIT)  # civil affairs' item
    _record(remit_users["education"], enrolment, CampaignItem.SCHOOL_LICENCE)
    _record(remit_users["civil"], enrolment, CampaignItem.NON_PROFIT)
    _record(remit_users["education"], enrolment, CampaignItem.FUND_ACCOUNT)
    assert campaigns.enrolment_suspends(academic.pk)
    _record(remit_users["market"], enrolment, CampaignItem.BUSINESS_SCOPE)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    assert not campaigns.enrolment_suspends(academic.pk)


def test_bad_item_input_is_refused_and_nothing_written(users, remit_users, academic):
    enrolment = _open(users["joint_office"]).enrolments.get()
    education = remit_users["education"]
    with pytest.raises(ServiceError, match="不属于本专项工作"):
        _record(education, enrolment, CampaignItem.SIGNBOARD)
    with pytest.raises(ServiceError, match="文件"):
        campaigns.item_record(actor=education, enrolment_id=enrolment.pk, item=CampaignItem.SCHOOL_LICENCE,
                              document=" ", done_on=TODAY)
    with pytest.raises(ServiceError, match="晚于今天"):
        campaigns.item_record(actor=education, enrolment_id=enrolment.pk, item=CampaignItem.SCHOOL_LICENCE,
                              document="x", done_on=TODAY + datetime.timedelta(days=1))
    _record(education, enrolment, CampaignItem.SCHOOL_LICENCE)
    with pytest.raises(ServiceError, match="已登记"):
        _record(education, enrolment, CampaignItem.SCHOOL_LICENCE)
    assert CampaignItemRecord.objects.count() == 1


def test_overdue_institutions_become_leads_once_and_the_campaign_closes(users, academic):
    campaign = _open(users["joint_office"])
    assert campaigns.sweep_overdue(today=campaign.deadline) == 0  # not yet past
    assert campaigns.sweep_overdue(today=campaign.deadline + datetime.timedelta(days=1)) == 1
    assert campaigns.sweep_overdue(today=campaign.deadline + datetime.timedelta(days=2)) == 0
    enrolment = CampaignEnrolment.objects.get()
    case = PenaltyCase.objects.get(pk=enrolment.lead_case_id)
    assert case.status == CaseStatus.LEAD and "逾期未完成" in case.summary
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED
    assert campaigns.enrolment_suspends(academic.pk)  # still not re-registered
    with pytest.raises(TransitionNotAllowed):
        _record(users["education_inspector"], enrolment, CampaignItem.SCHOOL_LICENCE)


def test_look_back_draws_closed_institutions_and_a_reopening_is_a_lead(users, regions):
    closed = InstitutionFactory(region=regions["township"], operating_state=OperatingState.CLOSED)
    InstitutionFactory(region=regions["township"])
    campaign = _open(users["joint_office"], kind=RegisterCampaignKind.LOOK_BACK)
    enrolment = campaign.enrolments.get()
    assert enrolment.institution_id == closed.pk
    _record(users["market_inspector"], enrolment, CampaignItem.SIGNBOARD)
    _record(users["education_inspector"], enrolment, CampaignItem.STILL_CLOSED, passed=False)
    enrolment.refresh_from_db()
    assert "疑似复办" in PenaltyCase.objects.get(pk=enrolment.lead_case_id).summary
    assert not campaigns.enrolment_suspends(closed.pk)  # 暂停招生及收费 is re-registration's


def test_mark_on_staff_and_public_pages_and_progress(joint_office_client, education_inspector_client, client,
                                                    users, academic):
    ListEntryFactory(institution=academic, published=True)  # a public page exists once an entry was published
    teacher = TeacherFactory(institution=academic, id_number="11010519491231002X")
    campaign = _open(users["joint_office"])
    page = education_inspector_client.get(academic.get_absolute_url()).content.decode()
    assert 'id="suspension-mark"' in page and "暂停招生及收费" in page
    assert 'name="document"' in page  # the education items are the inspector's to record
    public = client.get(reverse("publicity:institution_page", args=[academic.pk])).content.decode()
    assert 'id="public-suspension-mark"' in public
    assert teacher.qualification_number in public and teacher.id_number not in public
    detail = joint_office_client.get(campaign.get_absolute_url()).content.decode()
    assert "历下区" in detail and "0 / 4" in detail


def test_recording_through_the_page(education_inspector_client, users, academic):
    enrolment = _open(users["joint_office"]).enrolments.get()
    url = reverse("institutions:campaign_item_record", args=[academic.pk, enrolment.pk])
    response = education_inspector_client.post(url, {"item": "school_licence", "document": "历教许〔2026〕3号",
                                                     "done_on": TODAY.isoformat(), "passed": "1"})
    assert response.status_code == 302
    assert CampaignItemRecord.objects.filter(enrolment=enrolment, item="school_licence").exists()
    response = education_inspector_client.post(url, {"item": "non_profit", "document": "x",
                                                     "done_on": TODAY.isoformat(), "passed": "1"})
    assert response.status_code == 403


def test_campaign_figures_on_the_dashboard(joint_office_client, users, academic):
    _open(users["joint_office"])
    page = joint_office_client.get(reverse("dashboard")).content.decode()
    assert "重新审核登记与回头看" in page
