"""Demo data of the register through time, in 历下区, made through the register's services: an annual inspection
of last year with every result (合格, 基本合格, 不合格; one awaiting its result, the rest pending), a
re-registration campaign half done, a cancelled (注销) institution and a blacklisted teacher; changes of the
principal and the scope (approved, awaiting review, refused); licence renewals (a valid licence extended, an
expired one renewed under a new number); a teacher who moved between institutions, one who left; and the
in-service teacher roster in two versions (the first superseded), one teacher flagged, one flag cleared; the
results of the year before imported and published as a numbered batch (the public 年检结果 page). Each recorded
result has its numbered 年检结论通知书 (rendered by the worker). The black list's entries from penalty decisions are
made with the cases (regulator/demo/cases.py)."""

import datetime

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from institutions import campaigns, changes, employment, roster, services, teachers
from institutions.annual import results_io
from institutions.annual import services as annual
from institutions.models import (
    AnnualMaterialKind,
    AnnualResult,
    BanKind,
    CampaignItem,
    CampaignItemRecord,
    ChangeField,
    Institution,
    Licence,
    LicenceKind,
    LicenceState,
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
    counts = {"annual_inspections": len(inspections), "campaign_items": CampaignItemRecord.objects.count(),
              "cancelled": 1 if cancelled else 0, "bans": 1 if ban else 0}
    counts.update(_changes_and_renewals(users, today))
    counts.update(_teachers_and_roster(users, today))
    return counts


def _operating(count: int) -> list[Institution]:
    return list(Institution.objects.filter(region__code__startswith=MAIN_COUNTY,
                                           operating_state=OperatingState.OPERATING).order_by("id")[:count])


def _changes_and_renewals(users, today) -> dict:
    head, inspector = users["edu_head"], users["edu_inspector"]
    first, second, third = _operating(3)
    # 校长 changed (approved), 办学内容 awaiting review, another 办学内容 refused.
    change = changes.change_request(actor=inspector, institution_id=first.pk, field=ChangeField.PRINCIPAL,
                                    new_value="刘建华")
    changes.change_approve(actor=head, change_id=change.pk, approval_document=f"历教变〔{today.year}〕3号")
    changes.change_request(actor=inspector, institution_id=second.pk, field=ChangeField.SCOPE,
                           new_value="少儿美术、书法、硬笔书法培训", approval_document=f"历教变〔{today.year}〕4号")
    change = changes.change_request(actor=inspector, institution_id=third.pk, field=ChangeField.SCOPE,
                                    new_value="义务教育阶段学科类培训")
    changes.change_refuse(actor=head, change_id=change.pk, note="新增学科类培训内容不予审批")

    # 续期: a valid school-running licence extended; an expired one renewed under a new number.
    school = Licence.objects.filter(institution__region__code__startswith=MAIN_COUNTY, kind=LicenceKind.SCHOOL_RUNNING,
                                    institution__operating_state=OperatingState.OPERATING,
                                    valid_until__isnull=False, issuer_id=head.department_id).order_by("id")
    renewed = 0
    valid = school.filter(state=LicenceState.VALID, valid_until__gt=today).first()
    if valid is not None:
        changes.licence_renew(actor=head, licence_id=valid.pk, renewed_on=today - datetime.timedelta(days=2),
                              new_valid_until=valid.valid_until + datetime.timedelta(days=365 * 3),
                              approval_document=f"历教许续〔{today.year}〕11号")
        renewed += 1
    expired = school.filter(state=LicenceState.EXPIRED).first()
    if expired is not None:
        changes.licence_renew(actor=head, licence_id=expired.pk, renewed_on=today,
                              new_valid_until=today + datetime.timedelta(days=365 * 3),
                              approval_document=f"历教许续〔{today.year}〕12号",
                              new_number=f"教民{MAIN_COUNTY}9{expired.pk:07d}号")
        renewed += 1
    return {"register_changes": 3, "licence_renewals": renewed}


def _teachers_and_roster(users, today) -> dict:
    head, inspector = users["edu_head"], users["edu_inspector"]
    a, b, c = _operating(6)[3:6]
    # 调动: recorded at one institution a year ago, moved to another last month; a second one left.
    mover = services.teacher_save(actor=inspector, institution_id=a.pk, data={
        "name": "邵文静", "id_number": _id_number(21), "subject": "美术", "qualification_number": "20193701020001",
        "started_on": today - datetime.timedelta(days=400)})
    employment.teacher_move(actor=inspector, institution_id=a.pk, teacher_id=mover.pk, to_institution_id=b.pk,
                            moved_on=today - datetime.timedelta(days=30))
    leaver = services.teacher_save(actor=inspector, institution_id=c.pk, data={
        "name": "霍建军", "id_number": _id_number(22), "subject": "编程",
        "started_on": today - datetime.timedelta(days=200)})
    employment.teacher_leave(actor=inspector, institution_id=c.pk, teacher_id=leaver.pk,
                             ended_on=today - datetime.timedelta(days=10), reason="合同到期")
    # Two teachers who are also public-school teachers: the first roster names both, the second only one.
    moonlighter = services.teacher_save(actor=inspector, institution_id=c.pk, data={
        "name": "葛晓东", "id_number": _id_number(23), "subject": "数学"})
    services.teacher_save(actor=inspector, institution_id=a.pk, data={
        "name": "尹春梅", "id_number": _id_number(24), "subject": "英语"})
    head.user_permissions.add(Permission.objects.get(codename="keep_in_service_roster"))
    head = type(head).objects.get(pk=head.pk)

    def _file(name, rows):
        text = "姓名,身份证号,任职学校\n" + "".join(f"{n},{i},{school}\n" for n, i, school in rows)
        return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")

    roster.roster_import(actor=head, uploaded_file=_file("历下区在职中小学教师名单（春季）.csv", [
        ("葛晓东", _id_number(23), "历下区第一中学"), ("尹春梅", _id_number(24), "历下区实验小学"),
        ("冯丽", _id_number(25), "历下区第二中学")]))
    roster.roster_import(actor=head, uploaded_file=_file("历下区在职中小学教师名单（秋季）.csv", [
        ("葛晓东", _id_number(23), "历下区第一中学"), ("冯丽", _id_number(25), "历下区第二中学")]))
    moonlighter.refresh_from_db()
    return {"employment_records": 5, "in_service_flagged": 1 if moonlighter.in_service_flagged_at else 0}
