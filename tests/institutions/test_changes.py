"""Changes as reviewed requests with their approval document, the subject-class address/branch rule, and 注销."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from institutions import changes
from institutions.models import (
    Category,
    ChangeStatus,
    Licence,
    LicenceKind,
    LicenceState,
    OperatingState,
    RegisterChange,
    Site,
)
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, PenaltyCaseFactory, RectificationOrderFactory, licensed_institution

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def arts(regions):
    return licensed_institution(regions["township"], category=Category.ARTS, address="文化路1号")


@pytest.fixture
def academic(regions):
    return InstitutionFactory(region=regions["township"], category=Category.ACADEMIC, address="经十路1号")


def test_a_change_is_requested_then_approved_with_its_document(users, arts):
    change = changes.change_request(actor=users["education_inspector"], institution_id=arts.pk, field="relocation",
                                    new_value="泉城路8号")
    arts.refresh_from_db()
    assert arts.address == "文化路1号"  # not an edit of the row
    changes.change_approve(actor=users["education_head"], change_id=change.pk, approval_document="历教变〔2026〕2号")
    arts.refresh_from_db()
    change.refresh_from_db()
    assert arts.address == "泉城路8号"
    assert (change.status, change.old_value, change.approval_document) == (
        ChangeStatus.APPROVED, "文化路1号", "历教变〔2026〕2号")
    assert AuditEvent.objects.filter(kind="register_change.approved", institution_id=arts.pk).exists()


def test_approval_needs_a_document_and_a_head(users, arts):
    change = changes.change_request(actor=users["education_inspector"], institution_id=arts.pk, field="rename",
                                    new_value="历下新名称培训学校")
    with pytest.raises(ActionForbidden):
        changes.change_approve(actor=users["education_inspector"], change_id=change.pk, approval_document="x")
    with pytest.raises(ServiceError, match="批准文件"):
        changes.change_approve(actor=users["education_head"], change_id=change.pk, approval_document=" ")
    change.refresh_from_db()
    assert change.status == ChangeStatus.REQUESTED


@pytest.mark.parametrize("status", [ChangeStatus.APPROVED, ChangeStatus.REFUSED])
def test_a_decided_change_cannot_be_decided_again(users, arts, status):
    change = changes.change_request(actor=users["education_inspector"], institution_id=arts.pk, field="new_organiser",
                                    new_value="王五")
    RegisterChange.objects.filter(pk=change.pk).update(status=status)
    with pytest.raises(TransitionNotAllowed):
        changes.change_approve(actor=users["education_head"], change_id=change.pk, approval_document="x")
    with pytest.raises(TransitionNotAllowed):
        changes.change_refuse(actor=users["education_head"], change_id=change.pk, note="x")


def test_refusal_needs_reasons_and_leaves_the_row(users, arts):
    change = changes.change_request(actor=users["education_inspector"], institution_id=arts.pk,
                                    field="new_legal_representative", new_value="赵六")
    with pytest.raises(ServiceError, match="理由"):
        changes.change_refuse(actor=users["education_head"], change_id=change.pk, note="")
    changes.change_refuse(actor=users["education_head"], change_id=change.pk, note="材料不全")
    arts.refresh_from_db()
    assert arts.legal_representative != "赵六"


def test_subject_class_address_change_is_refused_with_the_rule(users, academic):
    with pytest.raises(ServiceError, match="不再批准办学地址变更"):
        changes.change_request(actor=users["education_inspector"], institution_id=academic.pk, field="relocation",
                               new_value="泉城路8号")
    assert not RegisterChange.objects.exists()


def test_subject_class_address_edit_and_new_branch_are_refused(education_inspector_client, academic):
    response = education_inspector_client.post(
        reverse("institutions:child_create", args=[academic.pk, "site"]),
        {"address": "分校地址1号", "region": academic.region_id, "premises_type": "commercial"})
    assert response.status_code == 200 and "不再批准设立分支机构" in response.content.decode()
    assert not Site.objects.exists()
    response = education_inspector_client.post(reverse("institutions:change_request", args=[academic.pk]),
                                               {"field": "relocation", "new_value": "新地址"})
    assert "不再批准办学地址变更" in response.content.decode()


def test_same_value_and_empty_value_are_refused(users, arts):
    with pytest.raises(ServiceError, match="相同"):
        changes.change_request(actor=users["education_inspector"], institution_id=arts.pk, field="relocation",
                               new_value="文化路1号")
    with pytest.raises(ServiceError, match="变更后"):
        changes.change_request(actor=users["education_inspector"], institution_id=arts.pk, field="relocation",
                               new_value="")


def test_changes_show_on_the_file(education_head_client, users, arts):
    change = changes.change_request(actor=users["education_inspector"], institution_id=arts.pk, field="rename",
                                    new_value="历下更名培训学校")
    page = education_head_client.get(arts.get_absolute_url()).content.decode()
    assert "历下更名培训学校" in page and "待审核" in page
    response = education_head_client.post(reverse("institutions:change_decide", args=[arts.pk, change.pk]),
                                          {"decision": "approve", "approval_document": "历教变〔2026〕9号"})
    assert response.status_code == 302
    arts.refresh_from_db()
    assert arts.name == "历下更名培训学校"


# ---- 注销 ------------------------------------------------------------------------------------------------

def test_cancel_sets_the_state_date_reason_and_cancels_valid_licences(users, arts):
    changes.institution_cancel(actor=users["education_head"], institution_id=arts.pk, cancelled_on=TODAY,
                               reason="举办者申请注销")
    arts.refresh_from_db()
    assert (arts.operating_state, arts.cancelled_on, arts.cancellation_reason) == (
        OperatingState.CANCELLED, TODAY, "举办者申请注销")
    assert Licence.objects.get(institution=arts, kind=LicenceKind.SCHOOL_RUNNING).state == LicenceState.CANCELLED
    assert arts.licence_standing == "none"
    with pytest.raises(ServiceError, match="已于"):
        changes.institution_cancel(actor=users["education_head"], institution_id=arts.pk, cancelled_on=TODAY,
                                   reason="again")


def test_cancel_with_open_orders_or_cases_is_refused_with_the_list(users, arts):
    order = RectificationOrderFactory(institution=arts)
    PenaltyCaseFactory(institution=arts)
    with pytest.raises(ServiceError) as refusal:
        changes.institution_cancel(actor=users["education_head"], institution_id=arts.pk, cancelled_on=TODAY,
                                   reason="申请注销")
    assert "整改通知" in refusal.value.message and "处罚案件" in refusal.value.message
    assert str(order.pk) in refusal.value.message or order.number in refusal.value.message
    arts.refresh_from_db()
    assert arts.operating_state == OperatingState.OPERATING
    assert Licence.objects.filter(institution=arts, state=LicenceState.VALID).exists()


def test_cancel_input_and_permission(users, arts):
    with pytest.raises(ActionForbidden):
        changes.institution_cancel(actor=users["education_inspector"], institution_id=arts.pk, cancelled_on=TODAY,
                                   reason="x")
    with pytest.raises(ServiceError, match="原因"):
        changes.institution_cancel(actor=users["education_head"], institution_id=arts.pk, cancelled_on=TODAY,
                                   reason=" ")
    with pytest.raises(ServiceError, match="晚于今天"):
        changes.institution_cancel(actor=users["education_head"], institution_id=arts.pk,
                                   cancelled_on=TODAY + datetime.timedelta(days=1), reason="x")


def test_cancel_page_lists_open_matters_and_the_file_shows_the_cancellation(education_head_client, arts):
    RectificationOrderFactory(institution=arts)
    url = reverse("institutions:cancel", args=[arts.pk])
    page = education_head_client.get(url).content.decode()
    assert 'id="open-matters"' in page
    response = education_head_client.post(url, {"cancelled_on": TODAY.isoformat(), "reason": "申请"})
    assert response.status_code == 200 and "未办结" in response.content.decode()
