"""Annual inspection (年检): plan, materials, desk review, site visit, result and its consequences, publication."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from institutions.annual import services
from institutions.models import (
    AnnualInspection,
    AnnualInspectionPlan,
    AnnualInspectionStatus,
    AnnualMaterialKind,
    AnnualMaterialReceipt,
    AnnualPlanStatus,
    AnnualResult,
    Category,
    OperatingState,
)
from penalties.models import CaseStatus, PenaltyCase, RectificationOrder
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, licensed_institution

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def licensed(regions):
    return licensed_institution(regions["township"])


def _plan(user, year=None, materials=None):
    return services.plan_create(actor=user, year=year or TODAY.year - 1,
                                deadline=TODAY + datetime.timedelta(days=30),
                                materials=materials or list(AnnualMaterialKind.objects.all()))


def _reviewed(user, inspection):
    for kind in inspection.plan.materials.all():
        services.material_receive(actor=user, inspection_id=inspection.pk, kind_id=kind.pk, received_on=TODAY)
    return services.desk_review(actor=user, inspection_id=inspection.pk, note="材料齐全，内容属实")


def test_default_materials_are_the_configurable_list():
    assert list(AnnualMaterialKind.objects.values_list("name", flat=True)) == [
        "年度工作报告", "年度财务审计报告", "资金监管账户对账单", "教职工（培训人员）名册", "安全管理记录"]


def test_plan_enrols_the_licensed_institutions_of_the_region_only(users, regions, licensed):
    InstitutionFactory(region=regions["township"])  # no licence: not inspected
    licensed_institution(regions["other_township"])  # another county
    licensed_institution(regions["township"], operating_state=OperatingState.CLOSED)
    licensed_institution(regions["township"], category=Category.VOCATIONAL)  # the HR department's
    plan = _plan(users["education_head"])
    assert list(plan.inspections.values_list("institution_id", flat=True)) == [licensed.pk]
    assert AuditEvent.objects.filter(kind="annual_plan.created", object_id=str(plan.pk)).exists()


def test_only_heads_of_education_or_hr_plan(users, licensed):
    for user in (users["education_inspector"], users["market_head"]):
        with pytest.raises(ActionForbidden):
            _plan(user)
    assert not AnnualInspectionPlan.objects.exists()


@pytest.mark.parametrize("year, days, message", [
    (TODAY.year + 1, 30, "年检年度"), (TODAY.year - 1, -1, "截止日期"),
])
def test_bad_plan_input_is_refused(users, licensed, year, days, message):
    with pytest.raises(ServiceError, match=message):
        services.plan_create(actor=users["education_head"], year=year,
                             deadline=TODAY + datetime.timedelta(days=days),
                             materials=list(AnnualMaterialKind.objects.all()))
    assert not AnnualInspectionPlan.objects.exists()


def test_a_second_plan_of_the_same_year_is_refused(users, licensed):
    _plan(users["education_head"])
    with pytest.raises(ServiceError, match="已存在"):
        _plan(users["education_head"])


def test_an_institution_without_a_licence_cannot_be_added(users, regions, licensed):
    plan = _plan(users["education_head"])
    unlicensed = InstitutionFactory(region=regions["township"])
    with pytest.raises(ServiceError, match="没有有效的办学许可证"):
        services.inspection_add(actor=users["education_head"], plan_id=plan.pk, institution_id=unlicensed.pk)
    assert plan.inspections.count() == 1


def test_desk_review_needs_every_material_and_lists_the_missing(users, licensed):
    user = users["education_inspector"]
    plan = _plan(users["education_head"])
    inspection = plan.inspections.get()
    first = plan.materials.first()
    services.material_receive(actor=user, inspection_id=inspection.pk, kind_id=first.pk, received_on=TODAY)
    with pytest.raises(ServiceError, match="尚缺年度财务审计报告"):
        services.desk_review(actor=user, inspection_id=inspection.pk, note="审查")
    inspection.refresh_from_db()
    assert inspection.status == AnnualInspectionStatus.PENDING


def test_a_material_twice_or_in_the_future_is_refused(users, licensed):
    user = users["education_inspector"]
    inspection = _plan(users["education_head"]).inspections.get()
    kind = inspection.plan.materials.first()
    services.material_receive(actor=user, inspection_id=inspection.pk, kind_id=kind.pk, received_on=TODAY)
    with pytest.raises(ServiceError, match="已登记收到"):
        services.material_receive(actor=user, inspection_id=inspection.pk, kind_id=kind.pk, received_on=TODAY)
    other = inspection.plan.materials.last()
    with pytest.raises(ServiceError, match="晚于今天"):
        services.material_receive(actor=user, inspection_id=inspection.pk, kind_id=other.pk,
                                  received_on=TODAY + datetime.timedelta(days=1))
    assert AnnualMaterialReceipt.objects.count() == 1


def test_pass_closes_the_inspection_without_consequences(users, licensed):
    inspection = _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=AnnualResult.PASS)
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result, inspection.order_id) == (
        AnnualInspectionStatus.DECIDED, AnnualResult.PASS, None)
    assert not RectificationOrder.objects.exists()


@pytest.mark.parametrize("result", [AnnualResult.FAIL, AnnualResult.BASIC_PASS])
def test_a_result_short_of_pass_without_reasons_is_refused(users, licensed, result):
    inspection = _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    with pytest.raises(ServiceError, match="须写明理由"):
        services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=result, reasons="  ")
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result) == (AnnualInspectionStatus.REVIEWED, "")
    assert not RectificationOrder.objects.exists()


def test_fail_drafts_a_rectification_order(users, licensed):
    inspection = _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=AnnualResult.FAIL,
                    reasons="未按规定使用资金监管账户")
    inspection.refresh_from_db()
    order = RectificationOrder.objects.get(pk=inspection.order_id)
    assert order.institution_id == licensed.pk
    assert "未按规定使用资金监管账户" in order.items.get().text
    assert inspection.case_id is None  # the first 不合格


def test_two_fails_in_a_row_propose_revocation_through_a_case(users, licensed):
    head, inspector = users["education_head"], users["education_inspector"]
    last_year = _reviewed(inspector, _plan(head, year=TODAY.year - 2).inspections.get())
    services.decide(actor=head, inspection_id=last_year.pk, result=AnnualResult.FAIL, reasons="账户问题")
    this_year = _reviewed(inspector, _plan(head, year=TODAY.year - 1).inspections.get())
    services.decide(actor=head, inspection_id=this_year.pk, result=AnnualResult.FAIL, reasons="仍未整改")
    this_year.refresh_from_db()
    case = PenaltyCase.objects.get(pk=this_year.case_id)
    assert case.status == CaseStatus.LEAD and "连续2年年检不合格" in case.summary


def test_a_refused_inspection_becomes_a_revocation_lead(users, licensed):
    inspection = _plan(users["education_head"]).inspections.get()
    services.refuse(actor=users["education_head"], inspection_id=inspection.pk, note="拒不提交材料")
    inspection.refresh_from_db()
    assert inspection.status == AnnualInspectionStatus.REFUSED
    assert "拒绝接受年检" in PenaltyCase.objects.get(pk=inspection.case_id).summary


@pytest.mark.parametrize("status", [s for s in AnnualInspectionStatus.values if s != AnnualInspectionStatus.REVIEWED])
def test_decide_is_refused_from_every_other_status(users, licensed, status):
    inspection = _plan(users["education_head"]).inspections.get()
    AnnualInspection.objects.filter(pk=inspection.pk).update(status=status)
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionNotAllowed):
        services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=AnnualResult.PASS)
    assert AuditEvent.objects.count() == before


def test_an_inspector_cannot_decide_and_another_department_cannot_work(users, licensed):
    inspection = _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    with pytest.raises(ActionForbidden):
        services.decide(actor=users["education_inspector"], inspection_id=inspection.pk, result=AnnualResult.PASS)
    with pytest.raises(ActionForbidden):
        services.desk_review(actor=users["market_head"], inspection_id=inspection.pk, note="x")


def test_site_visit_uses_the_annual_checklist(users, licensed):
    inspection = _plan(users["education_head"]).inspections.get()
    services.site_visit_plan(actor=users["education_inspector"], inspection_id=inspection.pk, planned_on=TODAY,
                             inspectors=[users["education_inspector"]])
    inspection.refresh_from_db()
    assert inspection.site_visit.checklist_template.code == "annual_inspection"
    assert inspection.site_visit.answers.count() == 6
    assert inspection.site_visit.institution_id == licensed.pk


def test_publication_needs_every_result_then_numbers_the_batch(users, licensed):
    head = users["education_head"]
    plan = _plan(head)
    with pytest.raises(ServiceError, match="未作出年检结论"):
        services.plan_publish(actor=head, plan_id=plan.pk)
    inspection = _reviewed(users["education_inspector"], plan.inspections.get())
    services.decide(actor=head, inspection_id=inspection.pk, result=AnnualResult.BASIC_PASS, reasons="安全记录不全")
    plan = services.plan_publish(actor=head, plan_id=plan.pk)
    assert plan.status == AnnualPlanStatus.PUBLISHED and plan.batch_number.startswith(f"NJ{plan.year}-370102-")


# ---- pages -----------------------------------------------------------------------------------------------

def test_plan_to_result_through_the_pages(education_head_client, users, licensed):
    response = education_head_client.post(reverse("institutions:annual_plan_create"), {
        "year": TODAY.year - 1, "deadline": (TODAY + datetime.timedelta(days=10)).isoformat(),
        "materials": [m.pk for m in AnnualMaterialKind.objects.all()]})
    plan = AnnualInspectionPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    inspection = plan.inspections.get()
    url = inspection.get_absolute_url()
    for kind in plan.materials.all():
        assert education_head_client.post(url, {"action": "receive", "receive-kind": kind.pk,
                                                "receive-received_on": TODAY.isoformat()}).status_code == 302
    education_head_client.post(url, {"action": "review", "review-note": "齐全"})
    page = education_head_client.post(url, {"action": "decide", "decide-result": "fail", "decide-reasons": ""})
    assert page.status_code == 200 and "须写明理由" in page.content.decode()
    education_head_client.post(url, {"action": "decide", "decide-result": "fail", "decide-reasons": "无安全记录"})
    inspection.refresh_from_db()
    assert inspection.result == AnnualResult.FAIL and inspection.order_id
    assert "不合格" in education_head_client.get(plan.get_absolute_url()).content.decode()


def test_other_county_cannot_open_the_plan(education_head_client, other_county_client, users, licensed):
    plan = _plan(users["education_head"])
    assert other_county_client.get(plan.get_absolute_url()).status_code == 404


def test_plan_list_and_dashboard_figure(education_head_client, joint_office_client, users, licensed):
    inspection = _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=AnnualResult.PASS)
    assert education_head_client.get(reverse("institutions:annual_plans")).status_code == 200
    page = joint_office_client.get(reverse("dashboard")).content.decode()
    assert "年检结论" in page


def test_annual_results_in_the_queue(education_head_client, users, licensed):
    _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    page = education_head_client.get(reverse("queue")).content.decode()
    assert "年检待作出结论" in page


def test_the_new_ledgers_list_and_export(joint_office_client, users, regions, licensed):
    from institutions import campaigns

    inspection = _reviewed(users["education_inspector"], _plan(users["education_head"]).inspections.get())
    services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=AnnualResult.FAIL,
                    reasons="账户问题")
    InstitutionFactory(region=regions["township"], category=Category.ACADEMIC, name="历下学科培训")
    campaigns.campaign_open(actor=users["joint_office"], kind="re_registration", name="重新审核登记",
                            deadline=TODAY + datetime.timedelta(days=5))
    page = joint_office_client.get(reverse("ledger", args=["annual_inspections"]), {"result": "fail"})
    assert page.status_code == 200 and licensed.name in page.content.decode()
    page = joint_office_client.get(reverse("ledger", args=["register_campaigns"]))
    assert page.status_code == 200 and "历下学科培训" in page.content.decode()
    export = joint_office_client.get(reverse("export_ledger", args=["annual_inspections"]))
    assert export.status_code == 200
