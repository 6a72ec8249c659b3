"""Annual inspection (年检) writes: the plan, each institution's materials, desk review, site visit, result.

Consequences of a result (the seed: "严格落实对校外培训机构的年检等监管制度"):
- 不合格 drafts a rectification order (penalties.services.order_draft) with the reasons as its item;
- `settings.ANNUAL_FAILS_FOR_REVOCATION` 不合格 in a row (default 2), or a refused inspection, opens a penalty
  case lead proposing revocation of the licence (penalties.services.case_open).
Every function is one transaction: it locks the row, checks the allowed statuses, writes and records its event.
"""

import hashlib
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections.models import ChecklistTemplate, InspectionKind
from inspections.services import visit_plan
from penalties.models import CaseSource
from penalties.services import case_open, order_draft
from publicity.cache import bump_version as bump_public_version
from publicity.services import canonical_json
from regulator.audit import record_event
from regulator.documents import next_document_number, register_document
from regulator.errors import ActionForbidden, ServiceError, require_status

from .. import permissions
from ..audit_kinds import InstitutionsAuditKind as Kind
from ..models import (
    ENDED_STATES,
    AnnualInspection,
    AnnualInspectionPlan,
    AnnualInspectionStatus,
    AnnualMaterialKind,
    AnnualMaterialReceipt,
    AnnualPlanStatus,
    AnnualResult,
    Category,
    Institution,
    Licence,
    LicenceKind,
    LicenceState,
)
from ..services import mark_public_pages
from .notice import fails_for_revocation
from .tasks import render_annual_notice

ANNUAL_CHECKLIST_CODE = "annual_inspection"  # the template added by migration institutions 0008


NOTICE_DOCUMENT_KIND = "annual_notice"  # the DocumentSequence kind of 年检结论通知书
BATCH_DOCUMENT_KIND = "annual_batch"  # the verification kind of a published batch
CONCLUDED = (AnnualInspectionStatus.DECIDED, AnnualInspectionStatus.REFUSED, AnnualInspectionStatus.CANCELLED)


def order_legal_basis() -> str:
    return getattr(settings, "ANNUAL_ORDER_LEGAL_BASIS", "《中华人民共和国民办教育促进法》第六十二条；年检制度")


def _has_school_licence(institution_id: int) -> bool:
    return Licence.objects.filter(institution_id=institution_id, kind=LicenceKind.SCHOOL_RUNNING,
                                  state=LicenceState.VALID).exists()


def _institutions_of(plan: AnnualInspectionPlan):
    """The licensed institutions a plan inspects: the department's region, education or HR by category."""
    queryset = Institution.objects.filter(
        region__code__startswith=plan.department.region_id,
        licences__kind=LicenceKind.SCHOOL_RUNNING, licences__state=LicenceState.VALID,
    ).exclude(operating_state__in=ENDED_STATES)
    if plan.department.kind == "hr":
        queryset = queryset.filter(category=Category.VOCATIONAL)
    else:
        queryset = queryset.exclude(category=Category.VOCATIONAL)
    return queryset.distinct().order_by("id")


def _locked_inspection(inspection_id: int) -> AnnualInspection:
    return AnnualInspection.objects.select_for_update().select_related("plan", "institution").get(pk=inspection_id)


def _check_worker(actor, plan) -> None:
    if not permissions.can_work_on_annual_plan(actor, plan):
        raise ActionForbidden(_("该年检计划不属于您的部门。"))


def _check_decider(actor, plan) -> None:
    if not permissions.can_decide_annual_inspection(actor, plan):
        raise ActionForbidden(_("只有年检部门的负责人或专项治理办公室可以作出年检结论。"))


@transaction.atomic
def plan_create(*, actor, year: int, deadline: date, materials, today: date | None = None) -> AnnualInspectionPlan:
    """A department's plan of the year, with every licensed institution of its remit and region enrolled."""
    if not permissions.can_plan_annual_inspection(actor):
        raise ActionForbidden(_("只有教育或人社部门的负责人、专项治理办公室可以制定年检计划。"))
    today = today or timezone.localdate()
    if not year or year < 2000 or year > today.year:
        raise ServiceError(_("年检年度应为2000年至今年之间。"), field="year")
    if deadline is None or deadline < today:
        raise ServiceError(_("截止日期不能早于今天。"), field="deadline")
    materials = [kind for kind in materials if kind.is_active]
    if not materials:
        raise ServiceError(_("请至少选择一项报送材料。"), field="materials")
    if AnnualInspectionPlan.objects.filter(department=actor.department, year=year).exists():
        raise ServiceError(_("本部门%(year)s年度的年检计划已存在。") % {"year": year}, field="year")
    plan = AnnualInspectionPlan.objects.create(department=actor.department, year=year, deadline=deadline,
                                               created_by=actor, updated_by=actor)
    plan.materials.set(materials)
    ids = list(_institutions_of(plan).values_list("id", flat=True))
    AnnualInspection.objects.bulk_create(
        AnnualInspection(plan=plan, institution_id=pk, created_by=actor, updated_by=actor) for pk in ids)
    record_event(actor=actor, kind=Kind.ANNUAL_PLAN_CREATED, obj=plan,
                 after={"year": year, "deadline": deadline, "materials": [m.name for m in materials],
                        "institutions": len(ids)},
                 summary=_("%(year)s年度年检计划：%(count)d家机构，截止%(deadline)s") % {
                     "year": year, "count": len(ids), "deadline": deadline.isoformat()})
    return plan


@transaction.atomic
def inspection_add(*, actor, plan_id: int, institution_id: int) -> AnnualInspection:
    plan = AnnualInspectionPlan.objects.select_for_update().select_related("department").get(pk=plan_id)
    _check_worker(actor, plan)
    require_status(plan, [AnnualPlanStatus.OPEN], _("增加年检机构"))
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    if not institution.region_id.startswith(plan.department.region_id):
        raise ServiceError(_("该机构不在年检部门的辖区内。"))
    if not _has_school_licence(institution.pk):
        raise ServiceError(_("“%(name)s”没有有效的办学许可证，不能列入年检（无证机构应依法查处）。")
                           % {"name": institution.name})
    try:
        with transaction.atomic():
            inspection = AnnualInspection.objects.create(plan=plan, institution=institution, created_by=actor,
                                                         updated_by=actor)
    except IntegrityError as error:
        raise ServiceError(_("该机构已在本年度年检计划中。")) from error
    record_event(actor=actor, kind=Kind.ANNUAL_INSPECTION_ADDED, obj=inspection, institution_id=institution.pk,
                 summary=_("列入%(plan)s") % {"plan": str(plan)})
    return inspection


@transaction.atomic
def material_receive(*, actor, inspection_id: int, kind_id: int, received_on: date, note: str = "",
                     today: date | None = None) -> AnnualMaterialReceipt:
    inspection = _locked_inspection(inspection_id)
    _check_worker(actor, inspection.plan)
    require_status(inspection, [AnnualInspectionStatus.PENDING], _("登记收到材料"))
    kind = inspection.plan.materials.filter(pk=kind_id).first()
    if kind is None:
        raise ServiceError(_("该材料不在本年检计划的报送材料中。"), field="kind")
    today = today or timezone.localdate()
    if received_on is None or received_on > today:
        raise ServiceError(_("收到日期不能为空或晚于今天。"), field="received_on")
    if AnnualMaterialReceipt.objects.filter(inspection=inspection, kind=kind).exists():
        raise ServiceError(_("“%(name)s”已登记收到。") % {"name": kind.name}, field="kind")
    receipt = AnnualMaterialReceipt.objects.create(inspection=inspection, kind=kind, received_on=received_on,
                                                   note=(note or "").strip()[:200], recorded_by=actor)
    record_event(actor=actor, kind=Kind.ANNUAL_MATERIAL_RECEIVED, obj=inspection,
                 institution_id=inspection.institution_id, after={"item": kind.name, "date": received_on},
                 summary=_("收到年检材料：%(name)s") % {"name": kind.name})
    return receipt


def missing_materials(inspection: AnnualInspection) -> list[AnnualMaterialKind]:
    received = set(inspection.receipts.values_list("kind_id", flat=True))
    return [kind for kind in inspection.plan.materials.all() if kind.pk not in received]


@transaction.atomic
def desk_review(*, actor, inspection_id: int, note: str) -> AnnualInspection:
    inspection = _locked_inspection(inspection_id)
    _check_worker(actor, inspection.plan)
    require_status(inspection, [AnnualInspectionStatus.PENDING], _("书面审查"))
    missing = missing_materials(inspection)
    if missing:
        raise ServiceError(_("材料不齐，不能书面审查：尚缺%(list)s。") % {
            "list": "、".join(kind.name for kind in missing)})
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写书面审查意见。"), field="note")
    inspection.status, inspection.review_note = AnnualInspectionStatus.REVIEWED, note
    inspection.reviewed_at, inspection.reviewed_by, inspection.updated_by = timezone.now(), actor, actor
    inspection.save(update_fields=["status", "review_note", "reviewed_at", "reviewed_by", "updated_by",
                                   "updated_at"])
    record_event(actor=actor, kind=Kind.ANNUAL_REVIEWED, obj=inspection, institution_id=inspection.institution_id,
                 before={"status": AnnualInspectionStatus.PENDING}, after={"status": inspection.status},
                 summary=_("年检书面审查：%(note)s") % {"note": note[:60]})
    return inspection


@transaction.atomic
def site_visit_plan(*, actor, inspection_id: int, planned_on: date, inspectors) -> AnnualInspection:
    """A site visit through the inspections app's pages, with the annual-inspection checklist."""
    inspection = _locked_inspection(inspection_id)
    _check_worker(actor, inspection.plan)
    require_status(inspection, [AnnualInspectionStatus.PENDING, AnnualInspectionStatus.REVIEWED],
                   _("安排实地核查"))
    if inspection.site_visit_id:
        raise ServiceError(_("已安排实地核查。"))
    template = ChecklistTemplate.objects.filter(code=ANNUAL_CHECKLIST_CODE, is_current=True).first()
    if template is None:
        raise ServiceError(_("未找到年检实地核查清单模板，请联系管理员。"))
    if planned_on is None or planned_on < timezone.localdate():
        raise ServiceError(_("核查日期不能早于今天。"), field="planned_on")
    visit = visit_plan(actor=actor, institution=inspection.institution, lead_department=inspection.plan.department,
                       planned_on=planned_on, inspectors=inspectors, kind=InspectionKind.SWEEP, template=template)
    inspection.site_visit, inspection.updated_by = visit, actor
    inspection.save(update_fields=["site_visit", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.ANNUAL_VISIT_PLANNED, obj=inspection,
                 institution_id=inspection.institution_id, after={"visit": visit.pk, "date": planned_on},
                 summary=_("安排年检实地核查：%(date)s") % {"date": planned_on.isoformat()})
    return inspection


def _previous_results(inspection: AnnualInspection, count: int) -> list[str]:
    """The results of the institution's `count` latest earlier annual inspections, newest first."""
    return list(AnnualInspection.objects.filter(
        institution_id=inspection.institution_id, plan__year__lt=inspection.plan.year,
        status=AnnualInspectionStatus.DECIDED,
    ).order_by("-plan__year").values_list("result", flat=True)[:count])


@transaction.atomic
def notice_number(*, department, year: int) -> str:
    """The next 年检结论通知书 number, e.g. 历下教年检字〔2026〕第3号 (gap-free per department and year, taken in the
    deciding transaction: regulator.documents.next_document_number)."""
    serial = next_document_number(department=department, kind=NOTICE_DOCUMENT_KIND, year=year)
    return f"{department.short_name or department.name}年检字〔{year}〕第{serial}号"


def _issue_notice(inspection: AnnualInspection, today: date) -> None:
    """Number the conclusion notice and render its PDF after commit (institutions.annual.tasks)."""
    inspection.notice_number = notice_number(department=inspection.plan.department, year=today.year)
    pk = inspection.pk
    transaction.on_commit(lambda: render_annual_notice.delay(pk))


@transaction.atomic
def decide(*, actor, inspection_id: int, result: str, reasons: str = "",
           today: date | None = None) -> AnnualInspection:
    inspection = _locked_inspection(inspection_id)
    _check_decider(actor, inspection.plan)
    require_status(inspection, [AnnualInspectionStatus.REVIEWED], _("作出年检结论"),
                   message=_("当前状态为“%(status)s”，须先完成书面审查才能作出年检结论。"))
    if result not in AnnualResult.values:
        raise ServiceError(_("请选择年检结论（合格、基本合格或不合格）。"), field="result")
    reasons = (reasons or "").strip()
    if result != AnnualResult.PASS and not reasons:
        raise ServiceError(_("年检结论为“%(result)s”时须写明理由。") % {"result": AnnualResult(result).label},
                           field="reasons")
    today = today or timezone.localdate()
    inspection.status, inspection.result, inspection.reasons = AnnualInspectionStatus.DECIDED, result, reasons
    inspection.decided_on, inspection.decided_by, inspection.updated_by = today, actor, actor
    after = {"status": inspection.status, "result": result, "reasons": reasons}
    if result == AnnualResult.FAIL:
        order = order_draft(actor=actor, institution_id=inspection.institution_id,
                            items=[{"text": _("年检不合格：%(reasons)s") % {"reasons": reasons[:200]},
                                    "legal_basis": order_legal_basis()}],
                            requirements=_("%(plan)s结论为不合格，限期整改。") % {"plan": str(inspection.plan)})
        inspection.order_id = order.pk
        after["order"] = order.pk
        earlier = _previous_results(inspection, fails_for_revocation() - 1)
        if len(earlier) == fails_for_revocation() - 1 and all(r == AnnualResult.FAIL for r in earlier):
            inspection.case_id = _revocation_lead(
                actor, inspection, _("连续%(count)d年年检不合格，建议吊销办学许可证。") % {
                    "count": fails_for_revocation()})
            after["case"] = inspection.case_id
    _issue_notice(inspection, today)
    after["notice"] = inspection.notice_number
    inspection.save(update_fields=["status", "result", "reasons", "decided_on", "decided_by", "notice_number",
                                   "order_id", "case_id", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.ANNUAL_DECIDED, obj=inspection, institution_id=inspection.institution_id,
                 before={"status": AnnualInspectionStatus.REVIEWED}, after=after,
                 summary=_("%(plan)s结论：%(result)s") % {"plan": str(inspection.plan),
                                                      "result": inspection.get_result_display()})
    return inspection


def _revocation_lead(actor, inspection: AnnualInspection, summary: str) -> int:
    case = case_open(actor=actor, institution_id=inspection.institution_id, summary=summary,
                     source=CaseSource.INSPECTION, department=inspection.plan.department,
                     source_reference=str(inspection.plan))
    return case.pk


@transaction.atomic
def refuse(*, actor, inspection_id: int, note: str) -> AnnualInspection:
    """The institution refused the inspection (拒不接受年检): a lead proposing revocation."""
    inspection = _locked_inspection(inspection_id)
    _check_decider(actor, inspection.plan)
    require_status(inspection, [AnnualInspectionStatus.PENDING, AnnualInspectionStatus.REVIEWED],
                   _("登记拒绝年检"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请写明机构拒绝接受年检的情况。"), field="note")
    before = {"status": inspection.status}
    inspection.status, inspection.reasons, inspection.updated_by = AnnualInspectionStatus.REFUSED, note, actor
    inspection.case_id = _revocation_lead(actor, inspection, _("拒绝接受年检，建议吊销办学许可证：%(note)s") % {
        "note": note[:100]})
    inspection.save(update_fields=["status", "reasons", "case_id", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.ANNUAL_REFUSED, obj=inspection, institution_id=inspection.institution_id,
                 before=before, after={"status": inspection.status, "case": inspection.case_id, "reason": note},
                 summary=_("拒绝接受年检：%(note)s") % {"note": note[:60]})
    return inspection


def batch_number(plan: AnnualInspectionPlan) -> str:
    return f"NJ{plan.year}-{plan.department.region_id}-{plan.pk:04d}"


@transaction.atomic
def plan_publish(*, actor, plan_id: int) -> AnnualInspectionPlan:
    """Publish the results as a numbered batch; every inspection of the plan must be concluded."""
    plan = AnnualInspectionPlan.objects.select_for_update().select_related("department").get(pk=plan_id)
    _check_decider(actor, plan)
    require_status(plan, [AnnualPlanStatus.OPEN], _("公布年检结果"))
    open_count = plan.inspections.exclude(
        status__in=CONCLUDED).count()
    if open_count:
        raise ServiceError(_("还有%(count)d家机构未作出年检结论，不能公布。") % {"count": open_count})
    plan.status, plan.published_at = AnnualPlanStatus.PUBLISHED, timezone.now()
    plan.batch_number, plan.updated_by = batch_number(plan), actor
    plan.canonical_json = canonical_json(batch_content(plan))
    plan.sha256 = hashlib.sha256(plan.canonical_json.encode()).hexdigest()
    plan.save(update_fields=["status", "published_at", "batch_number", "canonical_json", "sha256", "updated_by",
                             "updated_at"])
    mark_public_pages(plan.inspections.values_list("institution_id", flat=True))
    register_document(obj=plan, kind=BATCH_DOCUMENT_KIND, number=plan.batch_number, title=batch_title(plan),
                      issuer_name=plan.department.name, sha256=plan.sha256, issued_at=plan.published_at)
    record_event(actor=actor, kind=Kind.ANNUAL_PLAN_PUBLISHED, obj=plan,
                 after={"batch": plan.batch_number, "sha256": plan.sha256},
                 summary=_("公布%(plan)s结果，批次号%(batch)s") % {"plan": str(plan), "batch": plan.batch_number})
    transaction.on_commit(bump_public_version)
    return plan


def batch_title(plan: AnnualInspectionPlan) -> str:
    return _("%(year)s年度校外培训机构年检结果") % {"year": plan.year}


def _public_result(inspection: AnnualInspection) -> str:
    if inspection.status == AnnualInspectionStatus.DECIDED:
        return str(inspection.get_result_display())
    return str(inspection.get_status_display())  # 拒绝接受年检, 机构已注销


def batch_content(plan: AnnualInspectionPlan) -> dict:
    """What a published batch says, as the public page shows it and as its SHA-256 is taken (canonical JSON,
    publicity.services.canonical_json): number, issuer, date and one row per institution with its result."""
    inspections = list(plan.inspections.select_related("institution__region")
                       .order_by("institution__region_id", "institution__name", "id"))
    licences = {}  # the school-running licence's number: a valid one, else the first recorded
    for institution_id, number, state in Licence.objects.filter(
            institution_id__in=[i.institution_id for i in inspections], kind=LicenceKind.SCHOOL_RUNNING,
    ).order_by("id").values_list("institution_id", "number", "state"):
        if state == LicenceState.VALID or institution_id not in licences:
            licences[institution_id] = number
    return {
        "number": plan.batch_number,
        "title": batch_title(plan),
        "year": plan.year,
        "issuer": plan.department.name,
        "published_at": plan.published_at.isoformat(),
        "entries": [
            {
                "institution_id": inspection.institution_id,
                "institution_name": inspection.institution.name,
                "credit_code": inspection.institution.credit_code,
                "licence_number": licences.get(inspection.institution_id, ""),
                "region": inspection.institution.region.name,
                "result": inspection.result or inspection.status,
                "result_label": _public_result(inspection),
                "reasons": inspection.reasons if inspection.result in (AnnualResult.BASIC_PASS, AnnualResult.FAIL)
                else "",
                "notice_number": inspection.notice_number,
            }
            for inspection in inspections
        ],
    }
