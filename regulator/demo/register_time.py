"""Demo data of the register through time, in 历下区, made through the register's services: an annual inspection
of last year with every result (合格, 基本合格, 不合格; one awaiting its result, the rest pending), a
re-registration campaign half done, a cancelled (注销) institution and a blacklisted teacher; the results of the
year before imported and published as a numbered batch (the public 年检结果 page). Each recorded result has its
numbered 年检结论通知书 (rendered by the worker). The black list's entries from penalty decisions are made with
the cases (regulator/demo/cases.py)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from institutions import campaigns, changes, teachers
from institutions.annual import results_io
from institutions.annual import services as annual
from institutions.models import (
    AnnualMaterialKind,
    AnnualResult,
    BanKind,
    CampaignItem,
    CampaignItemRecord,
    Institution,
    OperatingState,
    RegisterCampaignKind,
)
from institutions.validators import id_number_check_char
from regulator.demo.regions import MAIN_COUNTY
from regulator.models import Department, DepartmentKind, Role, User
from regulator.services import staff_create
from regulator.spreadsheets import xlsx_bytes

CIVIL_ACCOUNT = ("civil_inspector", "何静")  # records the 民政 items of the re-registration campaign


def _id_number(serial: int) -> str:
    first17 = f"370102198{serial % 10}0101{serial:03d}"[:17]
    return first17 + id_number_check_char(first17)


def load_register_time(*, password: str) -> dict:
    today = timezone.localdate()
    users = {u.username: u for u in User.objects.filter(
        username__in=["edu_head", "edu_inspector", "joint_office", "market_inspector", "admin"])}
    civil = Department.objects.get(region_id=MAIN_COUNTY, kind=DepartmentKind.CIVIL_AFFAIRS)
    users["civil"] = staff_create(username=CIVIL_ACCOUNT[0], password=password, department=civil,
                                  role=Role.INSPECTOR, full_name=CIVIL_ACCOUNT[1], actor=users["admin"],
                                  phone="0531-88886666", enforcement_certificate=f"{MAIN_COUNTY}20230099")
    head, inspector = users["edu_head"], users["edu_inspector"]

    # 注销: an operating institution without orders or cases.
    cancelled = None
    for candidate in Institution.objects.filter(region__code__startswith=MAIN_COUNTY,
                                                operating_state=OperatingState.OPERATING).order_by("-id")[:40]:
        if not changes.open_matters(candidate.pk):
            cancelled = changes.institution_cancel(actor=head, institution_id=candidate.pk,
                                                   cancelled_on=today - datetime.timedelta(days=20),
                                                   reason="举办者申请终止办学，已完成学员退费")
            break

    # 年检 of last year: every result.
    plan = annual.plan_create(actor=head, year=today.year - 1, deadline=today + datetime.timedelta(days=30),
                              materials=list(AnnualMaterialKind.objects.filter(is_active=True)))
    inspections = list(plan.inspections.order_by("id"))
    outcomes = [(AnnualResult.PASS, ""), (AnnualResult.BASIC_PASS, "安全管理记录不完整"),
                (AnnualResult.FAIL, "未按规定使用资金监管账户，财务审计报告缺失"), (AnnualResult.PASS, "")]
    materials = list(plan.materials.all())
    for inspection, (result, reasons) in zip(inspections, outcomes, strict=False):
        for kind in materials:
            annual.material_receive(actor=inspector, inspection_id=inspection.pk, kind_id=kind.pk,
                                    received_on=today - datetime.timedelta(days=5))
        annual.desk_review(actor=inspector, inspection_id=inspection.pk, note="材料齐全，与实际相符")
        annual.decide(actor=head, inspection_id=inspection.pk, result=result, reasons=reasons)
    if len(inspections) > len(outcomes):  # one reviewed, waiting for its result in the head's queue
        waiting = inspections[len(outcomes)]
        for kind in materials:
            annual.material_receive(actor=inspector, inspection_id=waiting.pk, kind_id=kind.pk, received_on=today)
        annual.desk_review(actor=inspector, inspection_id=waiting.pk, note="待负责人审定")

    # 年检 of the year before, its results imported from the district's list and published as a numbered batch
    # (the public 年检结果 page); last year's plan above stays open, its notices printed as each result is recorded.
    published = annual.plan_create(actor=head, year=today.year - 2, deadline=today + datetime.timedelta(days=30),
                                   materials=list(AnnualMaterialKind.objects.filter(is_active=True))[:1])
    words = [("合格", ""), ("合格", ""), ("基本合格", "消防演练记录不全"), ("不合格", "未按规定使用资金监管账户")]
    rows = [[inspection.institution.name, inspection.institution.credit_code, *words[index % len(words)]]
            for index, inspection in enumerate(published.inspections.select_related("institution").order_by("id"))]
    upload = SimpleUploadedFile("历下区年检结果.xlsx", xlsx_bytes(sheets=[(
        "年检结果", [results_io.NAME, results_io.CODE, results_io.RESULT, results_io.REASONS], rows)]))
    if results_io.import_results(actor=head, plan_id=published.pk, uploaded_file=upload).written:
        annual.plan_publish(actor=head, plan_id=published.pk)

    # 重新审核登记 half done: every other institution complete, the rest part way (暂停招生及收费).
    campaign = campaigns.campaign_open(actor=users["joint_office"], kind=RegisterCampaignKind.RE_REGISTRATION,
                                       name=f"{today.year}年学科类校外培训机构重新审核登记（营转非）",
                                       deadline=today + datetime.timedelta(days=45))
    recorders = {CampaignItem.SCHOOL_LICENCE: inspector, CampaignItem.FUND_ACCOUNT: inspector,
                 CampaignItem.NON_PROFIT: users["civil"], CampaignItem.BUSINESS_SCOPE: users["market_inspector"]}
    for index, enrolment in enumerate(campaign.enrolments.order_by("id")):
        items = campaign.items if index % 2 == 0 else campaign.items[: index % 3]
        for item in items:
            campaigns.item_record(actor=recorders[item], enrolment_id=enrolment.pk, item=item,
                                  document=f"历{item[:2].upper()}〔{today.year}〕{enrolment.pk}号",
                                  done_on=today - datetime.timedelta(days=3))

    # 教师黑名单: a person barred from the trade by a penalty decision.
    ban = teachers.ban_create(actor=head, data={
        "name": "孟某", "id_number": _id_number(7), "kind": BanKind.PROHIBITED,
        "starts_on": today - datetime.timedelta(days=60), "ends_on": today + datetime.timedelta(days=365 * 3),
        "source": "历教罚字〔2025〕第12号", "reason": "在职中小学教师违规在校外培训机构有偿补课"})
    return {"annual_inspections": len(inspections), "campaign_items": CampaignItemRecord.objects.count(),
            "cancelled": 1 if cancelled else 0, "bans": 1 if ban else 0}
