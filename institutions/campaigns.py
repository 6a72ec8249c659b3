"""Campaigns of the joint office over a set of institutions, each institution with a checklist of items:

- 重新审核登记 (营转非): "对现有学科类校外培训机构，对照标准重新审核登记，建立第三方监管账户，颁发新的办学许可证；……
  统一登记为非营利性机构；……在完成非营利性机构登记前，应暂停招生及收费行为". Until its items are complete an
  institution carries the 暂停招生及收费 mark (`suspended_enrolment_ids`); not complete by the deadline, it
  becomes a penalty case lead (`sweep_overdue`, daily).
- 回头看: closed, banned and cancelled institutions checked to stay closed (门头招牌、户外广告清理); an item found
  not met (a reopening) becomes a lead at once.

Each item is recorded by the department in whose remit it lies (models.CAMPAIGN_ITEM_REMIT), with its document
and date.
"""

from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from penalties.models import CaseSource
from penalties.services import case_open
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, require_status
from regulator.models import Region

from . import permissions
from .audit_kinds import InstitutionsAuditKind as Kind
from .models import (
    CAMPAIGN_ITEM_REMIT,
    ENDED_STATES,
    CampaignEnrolment,
    CampaignItem,
    CampaignItemRecord,
    CampaignStatus,
    Category,
    Institution,
    RegisterCampaign,
    RegisterCampaignKind,
)


def _pool(kind: str, region_code: str):
    queryset = Institution.objects.filter(region__code__startswith=region_code)
    if kind == RegisterCampaignKind.RE_REGISTRATION:
        return queryset.filter(category=Category.ACADEMIC).exclude(operating_state__in=ENDED_STATES)
    return queryset.filter(operating_state__in=ENDED_STATES)


@transaction.atomic
def campaign_open(*, actor, kind: str, name: str, deadline: date, today: date | None = None) -> RegisterCampaign:
    """Open a campaign over every institution of the kind's pool in the joint office's region."""
    if not permissions.can_open_register_campaign(actor):
        raise ActionForbidden(_("只有专项治理办公室可以发起专项工作。"))
    if kind not in RegisterCampaignKind.values:
        raise ServiceError(_("请选择专项工作类型。"), field="kind")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写名称。"), field="name")
    today = today or timezone.localdate()
    if deadline is None or deadline <= today:
        raise ServiceError(_("完成期限应晚于今天。"), field="deadline")
    region = actor.department.region
    ids = list(_pool(kind, region.code).order_by("id").values_list("id", flat=True))
    if not ids:
        raise ServiceError(_("辖区内没有符合条件的机构，未发起。"))
    campaign = RegisterCampaign.objects.create(kind=kind, name=name[:120], region=region, department=actor.department,
                                               deadline=deadline, created_by=actor, updated_by=actor)
    CampaignEnrolment.objects.bulk_create(
        CampaignEnrolment(campaign=campaign, institution_id=pk, created_by=actor, updated_by=actor) for pk in ids)
    record_event(actor=actor, kind=Kind.CAMPAIGN_OPENED, obj=campaign,
                 after={"kind": kind, "deadline": deadline, "institutions": len(ids)},
                 summary=_("发起%(kind)s“%(name)s”：%(count)d家机构，期限%(deadline)s") % {
                     "kind": campaign.get_kind_display(), "name": campaign.name, "count": len(ids),
                     "deadline": deadline.isoformat()})
    return campaign


@transaction.atomic
def item_record(*, actor, enrolment_id: int, item: str, document: str, done_on: date, passed: bool = True,
                today: date | None = None) -> CampaignItemRecord:
    enrolment = (CampaignEnrolment.objects.select_for_update().select_related("campaign", "institution")
                 .get(pk=enrolment_id))
    campaign = enrolment.campaign
    if item not in campaign.items:
        raise ServiceError(_("该事项不属于本专项工作。"), field="item")
    if not permissions.can_record_campaign_item(actor, enrolment.institution, item):
        raise ActionForbidden(_("该事项不在您部门的职责范围内。"))
    require_status(campaign, [CampaignStatus.OPEN], _("登记事项"))
    document = (document or "").strip()
    if not document:
        raise ServiceError(_("请填写文件（文号）。"), field="document")
    today = today or timezone.localdate()
    if done_on is None or done_on > today:
        raise ServiceError(_("日期不能为空或晚于今天。"), field="done_on")
    if CampaignItemRecord.objects.filter(enrolment=enrolment, item=item).exists():
        raise ServiceError(_("该事项已登记。"), field="item")
    if not passed and campaign.kind == RegisterCampaignKind.RE_REGISTRATION:
        raise ServiceError(_("重新审核登记的事项只登记已完成的。"), field="passed")
    record = CampaignItemRecord.objects.create(enrolment=enrolment, item=item, passed=passed,
                                               document=document[:120], done_on=done_on,
                                               department=actor.department, created_by=actor, updated_by=actor)
    record_event(actor=actor, kind=Kind.CAMPAIGN_ITEM_RECORDED, obj=enrolment,
                 institution_id=enrolment.institution_id,
                 after={"item": item, "passed": passed, "document": document, "date": done_on},
                 summary=_("%(campaign)s：%(item)s%(outcome)s（%(document)s）") % {
                     "campaign": campaign.name, "item": record.get_item_display(),
                     "outcome": "" if passed else _("——未通过"), "document": document})
    if not passed and enrolment.lead_case_id is None:
        _make_lead(actor, enrolment, _("回头看发现：%(item)s未通过（%(document)s），疑似复办。") % {
            "item": record.get_item_display(), "document": document})
    recorded = set(CampaignItemRecord.objects.filter(enrolment=enrolment, passed=True).values_list("item", flat=True))
    if enrolment.completed_at is None and recorded >= set(campaign.items):
        enrolment.completed_at, enrolment.updated_by = timezone.now(), actor
        enrolment.save(update_fields=["completed_at", "updated_by", "updated_at"])
        record_event(actor=actor, kind=Kind.CAMPAIGN_COMPLETED, obj=enrolment,
                     institution_id=enrolment.institution_id,
                     summary=_("完成%(campaign)s的全部事项") % {"campaign": campaign.name})
    return record


def _make_lead(actor, enrolment: CampaignEnrolment, summary: str) -> None:
    case = case_open(actor=None, institution_id=enrolment.institution_id, summary=summary,
                     source=CaseSource.INSPECTION, department=enrolment.campaign.department,
                     source_reference=enrolment.campaign.name)
    enrolment.lead_case_id, enrolment.updated_by = case.pk, actor
    enrolment.save(update_fields=["lead_case_id", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.CAMPAIGN_LEAD, obj=enrolment, institution_id=enrolment.institution_id,
                 after={"case": case.pk}, summary=summary)


def sweep_overdue(*, today: date | None = None) -> int:
    """Daily: every open campaign past its deadline is closed; each institution that did not complete it becomes
    a penalty case lead (once). Idempotent; one transaction per campaign."""
    today = today or timezone.localdate()
    leads = 0
    for campaign_id in RegisterCampaign.objects.filter(status=CampaignStatus.OPEN, deadline__lt=today).values_list(
            "id", flat=True):
        with transaction.atomic():
            campaign = RegisterCampaign.objects.select_for_update(skip_locked=True).filter(
                pk=campaign_id, status=CampaignStatus.OPEN).first()
            if campaign is None:
                continue
            for enrolment in (CampaignEnrolment.objects.select_for_update().select_related("campaign")
                              .filter(campaign=campaign, completed_at__isnull=True, lead_case_id__isnull=True)):
                _make_lead(None, enrolment, _("%(campaign)s逾期未完成（期限%(deadline)s）。") % {
                    "campaign": campaign.name, "deadline": campaign.deadline.isoformat()})
                leads += 1
            campaign.status, campaign.swept_at = CampaignStatus.CLOSED, timezone.now()
            campaign.save(update_fields=["status", "swept_at", "updated_at"])
    return leads


# ---- reads ------------------------------------------------------------------------------------------------

def suspended_enrolment_q(prefix: str = "") -> Q:
    """Institutions carrying 暂停招生及收费: in a re-registration campaign not yet completed."""
    return Q(**{f"{prefix}campaign_enrolments__campaign__kind": RegisterCampaignKind.RE_REGISTRATION,
                f"{prefix}campaign_enrolments__completed_at__isnull": True})


def enrolment_suspends(institution_id: int) -> bool:
    return CampaignEnrolment.objects.filter(
        institution_id=institution_id, campaign__kind=RegisterCampaignKind.RE_REGISTRATION,
        completed_at__isnull=True).exists()


def institution_enrolments(institution_id: int) -> list[dict]:
    """The institution's campaigns with their checklist: each item, who records it, and what is recorded."""
    enrolments = list(CampaignEnrolment.objects.filter(institution_id=institution_id)
                      .select_related("campaign").order_by("-id"))
    records = {}
    for record in CampaignItemRecord.objects.filter(enrolment__in=enrolments).select_related("department"):
        records[(record.enrolment_id, record.item)] = record
    out = []
    for enrolment in enrolments:
        items = [{"code": code, "label": CampaignItem(code).label, "remit": CAMPAIGN_ITEM_REMIT[code],
                  "record": records.get((enrolment.pk, code))} for code in enrolment.campaign.items]
        out.append({"enrolment": enrolment, "items": items})
    return out


def campaign_progress(campaign: RegisterCampaign) -> list[dict]:
    """Per county (the region's level below the campaign's, or the campaign's own): enrolled, completed, leads."""
    depth = 6 if len(campaign.region_id) < 6 else 9
    rows = (CampaignEnrolment.objects.filter(campaign=campaign)
            .annotate(area=Substr("institution__region_id", 1, depth)).values("area")
            .annotate(total=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)),
                      leads=Count("pk", filter=Q(lead_case_id__isnull=False)))
            .order_by("area"))
    names = dict(Region.objects.filter(code__in=[row["area"] for row in rows]).values_list("code", "name"))
    return [{**row, "name": names.get(row["area"], row["area"])} for row in rows]


def enrolled_with_flags(campaign: RegisterCampaign):
    return (CampaignEnrolment.objects.filter(campaign=campaign).select_related("institution__region")
            .annotate(recorded=Count("records", filter=Q(records__passed=True)),
                      failed=Exists(CampaignItemRecord.objects.filter(enrolment=OuterRef("pk"), passed=False)))
            .order_by("institution__region_id", "institution__name"))
