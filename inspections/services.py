"""Writes of the inspections app. Each function is one transaction: it checks permission and state, saves,
records its audit event, and raises regulator.errors.ServiceError (a message for the user) when it refuses."""

import base64
import binascii
import io
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from institutions.models import Institution
from regulator import uploads
from regulator.audit import PendingEvent, record_event, record_events, snapshot
from regulator.errors import ActionForbidden, ServiceError, require_status
from regulator.models import Department, Role

from . import conf, files, permissions
from .audit_kinds import InspectionsAuditKind
from .models import (
    AnswerResult,
    Campaign,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistTemplate,
    Evidence,
    InspectionKind,
    ProblemItem,
    ProblemStatus,
    Signature,
    SyncedMutation,
    SyncKind,
    SyncVerdict,
    Visit,
    VisitAmendment,
    VisitInspector,
    VisitOutcome,
    VisitStatus,
)


class IncompleteChecklistError(ServiceError):
    """The visit cannot be submitted while items are unanswered; `missing` lists them."""

    def __init__(self, message, missing: list[ChecklistItem]):
        super().__init__(message)
        self.missing = missing


def _lock_visit(visit_id: int) -> Visit:
    try:
        return Visit.objects.select_for_update().get(pk=visit_id)
    except Visit.DoesNotExist as error:
        raise ServiceError(_("检查记录不存在。")) from error


def _require_editable(actor, visit: Visit) -> None:
    require_status(
        visit,
        (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS),
        message=_("该检查已提交，不能再修改；如需更正请提交更正说明。"),
    )
    if not permissions.is_assigned(actor, visit):
        raise ActionForbidden(_("只有被指派的检查人员可以填写该检查。"))


# ---- checklist templates ------------------------------------------------------------------------


@transaction.atomic
def checklist_template_revise(
    *, template: ChecklistTemplate, items: list[dict], actor, notes: str = "", name: str | None = None
) -> ChecklistTemplate:
    """Editing a template makes a new version; visits keep the version they were planned with."""
    if not (actor.is_admin_role or actor.role == Role.JOINT_OFFICE):
        raise ActionForbidden()
    if not items:
        raise ServiceError(_("检查清单至少需要一个检查项。"))
    codes = [item["code"] for item in items]
    if len(set(codes)) != len(codes):
        raise ServiceError(_("检查项代码不能重复。"))
    current = (
        ChecklistTemplate.objects.select_for_update().filter(code=template.code, is_current=True).first()
    )
    latest = ChecklistTemplate.objects.filter(code=template.code).order_by("-version").first()
    if current:
        current.is_current = False
        current.updated_by = actor
        current.save(update_fields=["is_current", "updated_by", "updated_at"])
    new = ChecklistTemplate.objects.create(
        code=template.code,
        version=latest.version + 1,
        name=name or template.name,
        is_current=True,
        notes=notes,
        created_by=actor,
        updated_by=actor,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=new,
            position=position,
            code=item["code"],
            text=item["text"],
            guidance=item.get("guidance", ""),
        )
        for position, item in enumerate(items, start=1)
    )
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.CHECKLIST_TEMPLATE_REVISED,
        obj=new,
        after={"version": new.version, "items": codes},
        summary=_("检查清单修订为第%(v)s版") % {"v": new.version},
    )
    return new


def current_template(code: str | None = None) -> ChecklistTemplate:
    code = code or conf.get("INSPECTIONS_DEFAULT_TEMPLATE_CODE")
    template = ChecklistTemplate.objects.filter(code=code, is_current=True).first()
    if template is None:
        raise ServiceError(_("未找到现行检查清单。"))
    return template


# ---- campaigns -----------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    kind: str,
    region,
    starts_on: date,
    ends_on: date,
    lead_department,
    departments=(),
    category: str = "",
    students_served: str = "",
    licence_standing: str = "",
    checklist_template: ChecklistTemplate | None = None,
    description: str = "",
    now: datetime | None = None,
) -> Campaign:
    if not permissions.can_create_campaign(actor) or not permissions.can_lead_campaign_as(
        actor, lead_department
    ):
        raise ActionForbidden(_("只有专项治理办公室或部门负责人可以创建检查行动，且只能以本部门（或本区域部门）牵头。"))
    if not actor.is_admin_role and not region.code.startswith(actor.region_code):
        raise ActionForbidden(_("检查范围超出您的管辖区域。"))
    if kind not in InspectionKind.values or kind == InspectionKind.REINSPECTION:
        raise ServiceError(_("检查类型无效。"))
    if ends_on < starts_on:
        raise ServiceError(_("结束日期不能早于开始日期。"), field="ends_on")
    campaign = Campaign.objects.create(
        name=name,
        kind=kind,
        region=region,
        category=category,
        students_served=students_served,
        licence_standing=licence_standing,
        starts_on=starts_on,
        ends_on=ends_on,
        lead_department=lead_department,
        checklist_template=checklist_template or current_template(),
        description=description,
        created_by=actor,
        updated_by=actor,
    )
    others = [d for d in departments if d.pk != lead_department.pk]
    campaign.departments.set([lead_department, *others])
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.CAMPAIGN_CREATED,
        obj=campaign,
        after={**snapshot(campaign), "departments": sorted(d.pk for d in [lead_department, *others])},
        summary=_("创建检查行动：%(name)s") % {"name": name},
        now=now,
    )
    return campaign


# ---- visits: planning ----------------------------------------------------------------------------


def _check_inspectors(inspectors, departments_ids: set[int]) -> list:
    inspectors = list(inspectors)
    if not inspectors:
        raise ServiceError(_("请至少指派一名检查人员。"))
    ids = [u.pk for u in inspectors]
    if len(set(ids)) != len(ids):
        raise ServiceError(_("同一检查人员不能在同一检查中重复指派。"))
    for user in inspectors:
        if user.department_id not in departments_ids or not user.is_active:
            raise ServiceError(_("%(name)s 不属于参与检查的部门，不能指派。") % {"name": user})
    return inspectors


@transaction.atomic
def visit_plan(
    *,
    actor,
    institution: Institution,
    lead_department: Department,
    planned_on: date,
    inspectors,
    kind: str = InspectionKind.SWEEP,
    departments=(),
    campaign: Campaign | None = None,
    draw=None,
    previous_visit: Visit | None = None,
    template: ChecklistTemplate | None = None,
    carry_forward: list[ChecklistAnswer] | None = None,
    check_permission: bool = True,
    now: datetime | None = None,
) -> Visit:
    """Plan a visit, assign its inspectors and open a blank answer for each of its items."""
    if check_permission and not permissions.can_plan_visit(actor, lead_department):
        raise ActionForbidden()
    if kind not in InspectionKind.values:
        raise ServiceError(_("检查类型无效。"))
    departments = [d for d in departments if d.pk != lead_department.pk]
    inspectors = _check_inspectors(inspectors, {lead_department.pk, *(d.pk for d in departments)})
    if departments and kind not in (InspectionKind.REINSPECTION, InspectionKind.SPOT_CHECK):
        kind = InspectionKind.JOINT if kind == InspectionKind.SWEEP else kind
    template = template or (campaign.checklist_template if campaign else None) or current_template()
    visit = Visit.objects.create(
        campaign=campaign,
        draw=draw,
        institution=institution,
        kind=kind,
        lead_department=lead_department,
        checklist_template=template,
        previous_visit=previous_visit,
        planned_on=planned_on,
        created_by=actor,
        updated_by=actor,
    )
    if departments:
        visit.departments.set(departments)
    VisitInspector.objects.bulk_create(
        VisitInspector(visit=visit, inspector=user, is_lead=(index == 0))
        for index, user in enumerate(inspectors)
    )
    if carry_forward is not None:
        answers = [ChecklistAnswer(visit=visit, item_id=a.item_id, carried_from=a) for a in carry_forward]
    else:
        answers = [ChecklistAnswer(visit=visit, item=item) for item in template.items.all()]
    ChecklistAnswer.objects.bulk_create(answers)
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.VISIT_PLANNED,
        obj=visit,
        institution_id=institution.pk,
        after={
            **snapshot(visit),
            "inspectors": [u.pk for u in inspectors],
            "departments": [d.pk for d in departments],
        },
        summary=_("计划检查：%(date)s") % {"date": planned_on.isoformat()},
        now=now,
    )
    return visit


@transaction.atomic
def visit_assign_inspectors(*, actor, visit_id: int, inspectors) -> Visit:
    visit = _lock_visit(visit_id)
    if not permissions.can_plan_visit(actor, visit.lead_department):
        raise ActionForbidden()
    require_status(visit, (VisitStatus.PLANNED,), message=_("检查已开始，不能再调整检查人员。"))
    allowed = {visit.lead_department_id, *visit.departments.values_list("pk", flat=True)}
    inspectors = _check_inspectors(inspectors, allowed)
    before = list(visit.assignments.values_list("inspector_id", flat=True))
    visit.assignments.all().delete()
    VisitInspector.objects.bulk_create(
        VisitInspector(visit=visit, inspector=user, is_lead=(index == 0))
        for index, user in enumerate(inspectors)
    )
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.VISIT_INSPECTORS_ASSIGNED,
        obj=visit,
        institution_id=visit.institution_id,
        before={"inspectors": before},
        after={"inspectors": [u.pk for u in inspectors]},
        summary=_("调整检查人员"),
    )
    return visit


@transaction.atomic
def reinspection_create(
    *, actor, previous_visit_id: int, planned_on: date, inspectors=None, now: datetime | None = None
) -> Visit:
    """A re-inspection carries forward only the items that failed last time."""
    previous = Visit.objects.select_related("lead_department").get(pk=previous_visit_id)
    if not permissions.can_plan_reinspection(actor, previous):
        raise ActionForbidden()
    failed = list(
        previous.answers.filter(result=AnswerResult.FAIL).select_related("item").order_by("item__position")
    )
    if not failed:
        raise ServiceError(_("原检查没有不符合项，无需复查。"))
    if inspectors is None:
        inspectors = [a.inspector for a in previous.assignments.select_related("inspector")]
    return visit_plan(
        actor=actor,
        institution=previous.institution,
        lead_department=previous.lead_department,
        planned_on=planned_on,
        inspectors=inspectors,
        kind=InspectionKind.REINSPECTION,
        departments=list(previous.departments.all()),
        campaign=previous.campaign,
        previous_visit=previous,
        template=previous.checklist_template,
        carry_forward=failed,
        now=now,
    )


def reinspections_plan_many(*, plans, planned_on: date, now: datetime | None = None) -> list:
    """reinspection_create for many previous visits at once (the chaser's re-inspections for a batch of overdue
    orders), in the caller's transaction. `plans` holds (actor, previous_visit_id); each re-inspection has the
    previous visit's inspectors, departments, campaign and template and carries forward its failed answers.

    The previous visits with what is carried over are read in four queries, the new visits, their departments,
    assignments and answers written in one INSERT each, their audit events in one bulk append per actor.
    Returns, in order, the visit planned or the ServiceError that refused the plan."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reinspections_plan_many must run inside the caller's transaction")
    now = now or timezone.now()
    previous = (
        Visit.objects.select_related("lead_department", "checklist_template")
        .prefetch_related(
            "departments",
            Prefetch("assignments", queryset=VisitInspector.objects.select_related("inspector")),
            Prefetch("answers", queryset=ChecklistAnswer.objects.filter(result=AnswerResult.FAIL)
                     .select_related("item").order_by("item__position"), to_attr="failed_answers"),
        )
        .in_bulk({visit_id for _actor, visit_id in plans})
    )
    results, planned = [], []
    for actor, visit_id in plans:
        old = previous.get(visit_id)
        try:
            if old is None or not permissions.can_plan_reinspection(actor, old):
                raise ActionForbidden()
            if not old.failed_answers:
                raise ServiceError(_("原检查没有不符合项，无需复查。"))
            departments = [d for d in old.departments.all() if d.pk != old.lead_department_id]
            inspectors = _check_inspectors([a.inspector for a in old.assignments.all()],
                                           {old.lead_department_id, *(d.pk for d in departments)})
        except ServiceError as error:
            results.append(error)
            continue
        visit = Visit(campaign_id=old.campaign_id, institution_id=old.institution_id, kind=InspectionKind.REINSPECTION,
                      lead_department_id=old.lead_department_id,
                      checklist_template=old.checklist_template or current_template(), previous_visit=old,
                      planned_on=planned_on, created_by=actor, updated_by=actor)
        results.append(visit)
        planned.append((actor, visit, old, departments, inspectors))
    if not planned:
        return results
    Visit.objects.bulk_create([visit for _actor, visit, *_rest in planned])
    Visit.departments.through.objects.bulk_create([
        Visit.departments.through(visit_id=visit.pk, department_id=department.pk)
        for _actor, visit, _old, departments, _inspectors in planned for department in departments
    ])
    VisitInspector.objects.bulk_create([
        VisitInspector(visit=visit, inspector=user, is_lead=(index == 0))
        for _actor, visit, _old, _departments, inspectors in planned for index, user in enumerate(inspectors)
    ])
    ChecklistAnswer.objects.bulk_create([
        ChecklistAnswer(visit=visit, item_id=answer.item_id, carried_from=answer)
        for _actor, visit, old, _departments, _inspectors in planned for answer in old.failed_answers
    ])
    by_actor: dict[int, list] = {}
    object_type = Visit._meta.label_lower
    summary = _("计划检查：%(date)s") % {"date": planned_on.isoformat()}
    for actor, visit, _old, departments, inspectors in planned:
        by_actor.setdefault(actor.pk, [actor, []])[1].append(PendingEvent(
            kind=InspectionsAuditKind.VISIT_PLANNED, institution_id=visit.institution_id, object_type=object_type,
            object_id=visit.pk, summary=summary,
            after={**snapshot(visit), "inspectors": [u.pk for u in inspectors],
                   "departments": [d.pk for d in departments]}))
    for actor, events in by_actor.values():
        record_events(actor=actor, events=events, now=now)
    return results


# ---- visits: on site -----------------------------------------------------------------------------


def _decimal_or_none(value, low, high):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return None
    return number if low <= number <= high else None


def _start(
    visit: Visit, actor, now: datetime, latitude=None, longitude=None, accuracy=None, offline: dict | None = None
) -> None:
    visit.status = VisitStatus.IN_PROGRESS
    visit.started_at = now
    visit.started_by = actor
    visit.latitude = _decimal_or_none(latitude, -90, 90)
    visit.longitude = _decimal_or_none(longitude, -180, 180)
    if visit.latitude is None or visit.longitude is None:
        visit.latitude = visit.longitude = None
    try:
        visit.position_accuracy_m = max(0, int(float(accuracy))) if accuracy not in (None, "") else None
    except ValueError:
        visit.position_accuracy_m = None
    visit.updated_by = actor
    visit.save(
        update_fields=[
            "status",
            "started_at",
            "started_by",
            "latitude",
            "longitude",
            "position_accuracy_m",
            "updated_by",
            "updated_at",
        ]
    )
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.VISIT_STARTED,
        obj=visit,
        institution_id=visit.institution_id,
        now=now,
        after={
            **snapshot(visit, ["status", "started_at", "latitude", "longitude"]),
            **({"offline": offline} if offline else {}),
        },
        summary=_("开始检查"),
    )


@transaction.atomic
def visit_start(
    *, actor, visit_id: int, latitude=None, longitude=None, accuracy=None, now: datetime | None = None,
    offline: dict | None = None,
) -> Visit:
    """Record the start time (and the position when the browser granted it). Idempotent."""
    visit = _lock_visit(visit_id)
    _require_editable(actor, visit)
    if visit.status == VisitStatus.PLANNED:
        _start(visit, actor, now or timezone.now(), latitude, longitude, accuracy, offline=offline)
    return visit


@transaction.atomic
def answer_save(
    *, actor, visit_id: int, item_id: int, result: str, remark: str, now: datetime | None = None,
    offline: dict | None = None,
) -> ChecklistAnswer:
    """Autosave one answer. Saving the same values again writes nothing (idempotent).

    `offline` (from the outbox sync, inspections/sync.py) is kept in the audit event: the phone's time and the
    server's receipt time of the change."""
    now = now or timezone.now()
    visit = _lock_visit(visit_id)
    _require_editable(actor, visit)
    if result not in ("", *AnswerResult.values):
        raise ServiceError(_("检查结论无效。"))
    remark = (remark or "")[:4000]
    answer = ChecklistAnswer.objects.filter(visit=visit, item_id=item_id).select_related("item").first()
    if answer is None:
        raise ServiceError(_("该检查项不属于本次检查所用的清单版本。"))
    if visit.status == VisitStatus.PLANNED:
        _start(visit, actor, now)
    if answer.result == result and answer.remark == remark:
        return answer
    before = {"result": answer.result, "remark": answer.remark}
    answer.result, answer.remark = result, remark
    answer.answered_at, answer.answered_by = now, actor
    answer.save(update_fields=["result", "remark", "answered_at", "answered_by"])
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.CHECKLIST_ANSWER_SAVED,
        obj=answer,
        institution_id=visit.institution_id,
        now=now,
        before=before,
        after={"result": result, "remark": remark, **({"offline": offline} if offline else {})},
        summary=_("填写检查项 %(code)s") % {"code": answer.item.code},
    )
    return answer


@transaction.atomic
def evidence_upload(
    *,
    actor,
    visit_id: int,
    upload,
    client_id: str = "",
    item_id: int | None = None,
    now: datetime | None = None,
    offline: dict | None = None,
) -> Evidence:
    """Store a photo/video/document checked by its content. Same client_id: same row."""
    now = now or timezone.now()
    visit = _lock_visit(visit_id)
    _require_editable(actor, visit)
    client_id = (client_id or uuid.uuid4().hex)[:64]
    existing = Evidence.objects.filter(visit=visit, client_id=client_id).first()
    if existing:
        return existing
    if item_id is not None and not visit.answers.filter(item_id=item_id).exists():
        raise ServiceError(_("该检查项不属于本次检查所用的清单版本。"))
    try:
        checked = files.check(upload)
    except uploads.UploadRefused as error:
        raise ServiceError(error.message) from None
    evidence = Evidence(
        visit=visit,
        item_id=item_id,
        kind=files.EVIDENCE_KIND[checked.kind],
        client_id=client_id,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        original_name=(getattr(upload, "name", "") or "")[:200],
        uploaded_at=now,
        uploaded_by=actor,
    )
    stem = uuid.uuid4().hex
    with uploads.stored_files() as store:
        store(evidence.original, checked.content, f"{stem}.{checked.extension}")
        if checked.display is not None:
            store(evidence.display, checked.display, f"{stem}.{checked.display_extension}")
        try:
            with transaction.atomic():
                evidence.save()
        except IntegrityError:
            # A retry with the same client_id won the race: its row stands, our copies go.
            evidence.original.delete(save=False)
            if evidence.display:
                evidence.display.delete(save=False)
            return Evidence.objects.get(visit=visit, client_id=client_id)
        record_event(
            actor=actor,
            kind=InspectionsAuditKind.EVIDENCE_UPLOADED,
            obj=evidence,
            institution_id=visit.institution_id,
            now=now,
            after={
                "kind": evidence.kind,
                "sha256": checked.sha256,
                "size": evidence.size,
                "item": item_id,
                # What the phone sent, before photos were re-encoded.
                "received_sha256": checked.received_sha256,
                "received_size": checked.received_size,
                **({"offline": offline} if offline else {}),
            },
            summary=_("上传证据"),
        )
    return evidence


_DATA_URL_PREFIX = "data:image/png;base64,"
_MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
# A phone's signature canvas at three device pixels per CSS pixel is about 2 megapixels.
_MAX_SIGNATURE_PIXELS = 8_000_000


@transaction.atomic
def signature_save(
    *,
    actor,
    visit_id: int,
    signer_name: str = "",
    signer_role: str = "",
    data_url: str = "",
    refused: bool = False,
    refusal_reason: str = "",
    now: datetime | None = None,
    offline: dict | None = None,
) -> Signature:
    now = now or timezone.now()
    visit = _lock_visit(visit_id)
    _require_editable(actor, visit)
    refusal_reason = (refusal_reason or "").strip()
    signature = Signature.objects.filter(visit=visit).first() or Signature(visit=visit)
    before = _signature_snapshot(signature) if signature.pk else None
    signature.signer_name, signature.signer_role = (signer_name or "").strip()[:40], (signer_role or "")[:40]
    signature.refused, signature.signed_at, signature.recorded_by = refused, now, actor
    if refused:
        if not refusal_reason:
            raise ServiceError(_("记录拒签时必须说明原因。"), field="refusal_reason")
        signature.refusal_reason = refusal_reason
        signature.image = ""
    else:
        if not signature.signer_name:
            raise ServiceError(_("请填写签字人姓名。"), field="signer_name")
        if not data_url.startswith(_DATA_URL_PREFIX):
            raise ServiceError(_("签名无效：请在签名框内签字。"))
        try:
            png = base64.b64decode(data_url[len(_DATA_URL_PREFIX) :], validate=True)
        except (binascii.Error, ValueError) as error:
            raise ServiceError(_("签名无效：请在签名框内签字。")) from error
        png = _clean_signature(png)
        if png is None:
            raise ServiceError(_("签名无效：请在签名框内签字。"))
        signature.refusal_reason = ""
        signature.image.save(f"{uuid.uuid4().hex}.png", ContentFile(png), save=False)
    signature.save()
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.SIGNATURE_SAVED,
        obj=signature,
        institution_id=visit.institution_id,
        now=now,
        before=before,
        after={**_signature_snapshot(signature), **({"offline": offline} if offline else {})},
        summary=_("记录拒签") if refused else _("现场签字"),
    )
    return signature


def _signature_snapshot(signature: Signature) -> dict:
    # regulator.audit.snapshot trips over an empty FileField: name the file ourselves.
    data = snapshot(signature, ["signer_name", "signer_role", "refused", "refusal_reason", "signed_at"])
    return {**data, "image": signature.image.name or ""}


def _clean_signature(png: bytes) -> bytes | None:
    """The signature decoded (within a pixel cap, regulator.uploads) and re-encoded as a fresh PNG, or None if
    it is not a PNG, does not decode, or is a blank canvas."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) > _MAX_SIGNATURE_BYTES:
        return None
    try:
        image, _icc = uploads.decode_image(io.BytesIO(png), max_pixels=_MAX_SIGNATURE_PIXELS)
    except uploads.UploadRefused:
        return None
    if not _has_ink(image):
        return None
    return uploads.encode_image(image, lossless=True)[0]


def _has_ink(image) -> bool:
    """A blank canvas is no signature."""
    image = image.convert("LA")
    alpha_extrema = image.getchannel("A").getextrema()
    lum_extrema = image.getchannel("L").getextrema()
    return alpha_extrema[1] > 0 and (alpha_extrema[0] < 255 or lum_extrema[0] < lum_extrema[1])


@transaction.atomic
def visit_submit(
    *, actor, visit_id: int, summary: str = "", now: datetime | None = None, offline: dict | None = None
) -> Visit:
    """Submit: every item answered, signed or refusal recorded; each failed item becomes a problem item.

    A second submit (double tap) returns the same visit and writes nothing. The audit event lists the items
    whose answers came from the phone's outbox later than they were captured (offline), with both times.
    """
    now = now or timezone.now()
    visit = _lock_visit(visit_id)
    if not permissions.is_assigned(actor, visit):
        raise ActionForbidden(_("只有被指派的检查人员可以提交该检查。"))
    if visit.status == VisitStatus.SUBMITTED:
        return visit
    answers = list(visit.answers.select_related("item").order_by("item__position"))
    missing = [a.item for a in answers if not a.result]
    if missing:
        names = "；".join(f"{item.position}. {item.text[:24]}" for item in missing)
        raise IncompleteChecklistError(
            _("还有 %(n)s 个检查项未填写：%(names)s") % {"n": len(missing), "names": names}, missing
        )
    if not Signature.objects.filter(visit=visit).exists():
        raise ServiceError(_("请机构负责人签字，或记录拒签及原因后再提交。"))
    if visit.started_at is None:
        visit.started_at, visit.started_by = now, actor
    visit.status, visit.submitted_at, visit.submitted_by = VisitStatus.SUBMITTED, now, actor
    visit.summary, visit.updated_by = (summary or "").strip(), actor
    visit.save(
        update_fields=[
            "status",
            "started_at",
            "started_by",
            "submitted_at",
            "submitted_by",
            "summary",
            "updated_by",
            "updated_at",
        ]
    )
    failed = [a for a in answers if a.result == AnswerResult.FAIL]
    problems = ProblemItem.objects.bulk_create(_problem_for(visit, answer, actor) for answer in failed)
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.VISIT_SUBMITTED,
        obj=visit,
        institution_id=visit.institution_id,
        now=now,
        after={
            "status": visit.status,
            "failed_items": [a.item.code for a in failed],
            "problem_items": [p.pk for p in problems],
            "offline_items": _offline_items(visit, answers),
            **({"offline": offline} if offline else {}),
        },
        summary=_("提交检查，不符合项 %(n)s 个") % {"n": len(failed)},
    )
    return visit


# An answer received this long after the phone recorded it was captured without a connection.
OFFLINE_DELAY_SECONDS = 60


def _offline_items(visit: Visit, answers: list[ChecklistAnswer]) -> list[dict]:
    """The items whose current answer came through the outbox late: code, the phone's and the server's time."""
    codes = {a.item_id: a.item.code for a in answers}
    # The latest accepted answer of each item, picked here rather than with DISTINCT ON, which the demo's SQLite
    # lacks: a visit has a few dozen such rows at most.
    latest = {}
    for item_id, device_time, received_at in (
        SyncedMutation.objects.filter(visit_id=visit.pk, kind=SyncKind.ANSWER, verdict=SyncVerdict.ACCEPTED)
        .order_by("item_id", "-device_time")
        .values_list("item_id", "device_time", "received_at")
    ):
        latest.setdefault(item_id, (device_time, received_at))
    return [
        {"item": codes.get(item_id, item_id), "device_time": device_time, "received_at": received_at}
        for item_id, (device_time, received_at) in latest.items()
        if (received_at - device_time).total_seconds() > OFFLINE_DELAY_SECONDS
    ]


def _problem_for(visit: Visit, answer: ChecklistAnswer, actor) -> ProblemItem:
    return ProblemItem(
        institution_id=visit.institution_id,
        visit=visit,
        answer=answer,
        checklist_item=answer.item,
        item_code=answer.item.code,
        item_text=answer.item.text,
        finding=answer.remark,
        department_id=visit.lead_department_id,
        created_by=actor,
        updated_by=actor,
    )


# ---- after submission ----------------------------------------------------------------------------


@transaction.atomic
def visit_amend(
    *, actor, visit_id: int, reason: str, changes: dict[int, dict], now: datetime | None = None
) -> VisitAmendment:
    """Correct a submitted visit: `changes` maps item id to {"result", "remark"}. Kept in the history."""
    now = now or timezone.now()
    visit = _lock_visit(visit_id)
    require_status(visit, (VisitStatus.SUBMITTED,), message=_("检查尚未提交，可直接修改，无需更正。"))
    if not permissions.can_amend_visit(actor, visit):
        raise ActionForbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写更正原因。"), field="reason")
    answers = {a.item_id: a for a in visit.answers.select_related("item")}
    records = []
    for item_id, change in changes.items():
        answer = answers.get(int(item_id))
        if answer is None:
            raise ServiceError(_("该检查项不属于本次检查所用的清单版本。"))
        result = change.get("result", answer.result)
        remark = change.get("remark", answer.remark)
        if result not in AnswerResult.values:
            raise ServiceError(_("检查结论无效。"))
        if (result, remark) == (answer.result, answer.remark):
            continue
        records.append(
            {
                "item": answer.item.code,
                "before": {"result": answer.result, "remark": answer.remark},
                "after": {"result": result, "remark": remark},
            }
        )
        was_failed = answer.result == AnswerResult.FAIL
        answer.result, answer.remark, answer.answered_at, answer.answered_by = result, remark, now, actor
        answer.save(update_fields=["result", "remark", "answered_at", "answered_by"])
        problem = ProblemItem.objects.filter(answer=answer).first()
        if result == AnswerResult.FAIL and problem is None:
            _problem_for(visit, answer, actor).save()
        elif result == AnswerResult.FAIL and problem is not None:
            problem.finding, problem.updated_by = remark, actor
            problem.save(update_fields=["finding", "updated_by", "updated_at"])
        elif was_failed and problem is not None and problem.status == ProblemStatus.OPEN:
            problem.status, problem.closed_at, problem.closed_by = ProblemStatus.CLOSED, now, actor
            problem.updated_by = actor
            problem.save(update_fields=["status", "closed_at", "closed_by", "updated_by", "updated_at"])
    if not records:
        raise ServiceError(_("没有需要更正的内容。"))
    amendment = VisitAmendment.objects.create(
        visit=visit, reason=reason, changes=records, created_at=now, created_by=actor
    )
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.VISIT_AMENDED,
        obj=visit,
        institution_id=visit.institution_id,
        now=now,
        after={"reason": reason, "changes": records},
        summary=_("更正检查：%(r)s") % {"r": reason[:60]},
    )
    return amendment


@transaction.atomic
def visit_set_outcome(
    *,
    actor,
    visit_id: int,
    outcome: str,
    note: str = "",
    referred_department: Department | None = None,
    now: datetime | None = None,
) -> Visit:
    """Record the outcome. A referral shares the visit and its problem items with the other department."""
    now = now or timezone.now()
    visit = _lock_visit(visit_id)
    require_status(visit, (VisitStatus.SUBMITTED,), message=_("检查提交后才能确定处理结果。"))
    if not permissions.can_set_outcome(actor, visit):
        raise ActionForbidden()
    if outcome not in VisitOutcome.values or outcome == VisitOutcome.NONE:
        raise ServiceError(_("请选择处理结果。"))
    has_problems = visit.problem_items.filter(status=ProblemStatus.OPEN).exists()
    if outcome == VisitOutcome.NO_PROBLEM and has_problems:
        raise ServiceError(_("本次检查有不符合项，不能选择“未发现问题”。"))
    if outcome == VisitOutcome.REFERRAL:
        if referred_department is None:
            raise ServiceError(_("移送时请选择接收部门。"), field="referred_department")
        if referred_department.pk == visit.lead_department_id:
            raise ServiceError(_("不能移送给本部门。"))
    else:
        referred_department = None
    before = snapshot(visit, ["outcome", "outcome_note", "referred_department"])
    visit.outcome, visit.outcome_note, visit.outcome_at = outcome, (note or "").strip(), now
    visit.referred_department, visit.updated_by = referred_department, actor
    visit.save(
        update_fields=[
            "outcome",
            "outcome_note",
            "outcome_at",
            "referred_department",
            "updated_by",
            "updated_at",
        ]
    )
    if referred_department is not None:
        group = referred_department.group
        assign_perm(permissions.VIEW_VISIT, group, visit)
        for problem in visit.problem_items.all():
            assign_perm(permissions.VIEW_PROBLEM_ITEM, group, problem)
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.VISIT_OUTCOME_RECORDED,
        obj=visit,
        institution_id=visit.institution_id,
        now=now,
        before=before,
        after=snapshot(visit, ["outcome", "outcome_note", "referred_department"]),
        summary=_("处理结果：%(o)s") % {"o": VisitOutcome(outcome).label},
    )
    return visit


@transaction.atomic
def problem_item_close(*, actor, problem_item_id: int, now: datetime | None = None) -> ProblemItem:
    """销号 of one problem item by the issuing department (used by the penalties app's verification)."""
    now = now or timezone.now()
    problem = ProblemItem.objects.select_for_update().get(pk=problem_item_id)
    require_status(problem, (ProblemStatus.OPEN,), message=_("该问题项已销号。"))
    if not (actor.is_admin_role or actor.department_id == problem.department_id):
        raise ActionForbidden()
    problem.status, problem.closed_at, problem.closed_by, problem.updated_by = (
        ProblemStatus.CLOSED,
        now,
        actor,
        actor,
    )
    problem.save(update_fields=["status", "closed_at", "closed_by", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.PROBLEM_ITEM_CLOSED,
        obj=problem,
        institution_id=problem.institution_id,
        now=now,
        after={"status": problem.status},
        summary=_("问题项销号：%(c)s") % {"c": problem.item_code},
    )
    return problem


def visit_open_for_report(*, report, actor, planned_on: date | None = None) -> Visit | None:
    """Plan a complaint-verification visit (举报核查) for a public report about a registered institution.

    Called by publicity.services.report_verify inside its transaction; the handling department leads it
    and the member of staff who starts the verification is its first inspector (the head can reassign).
    """
    if not report.institution_id or actor.department_id != report.department_id:
        return None
    institution = Institution.objects.get(pk=report.institution_id)
    return visit_plan(
        actor=actor,
        institution=institution,
        lead_department=actor.department,
        planned_on=planned_on or timezone.localdate(),
        inspectors=[actor],
        kind=InspectionKind.COMPLAINT,
    )


# ---- direct edits by an administrator (Django admin) ----------------------------------------------

def _admin_snapshot(obj) -> dict:
    return {**snapshot(obj), "departments": sorted(obj.departments.values_list("pk", flat=True))} if obj.pk else {}


def _admin_save(*, actor, model, pk: int | None, data: dict, kinds: tuple, institution_of):
    """Save an administrator's correction of a row as the admin form validated it; audited like any change.

    The workflow's own steps (planning, submitting, outcomes) are not bypassed: the admin shows their fields
    read-only, so this saves only the descriptive ones."""
    if not actor.is_admin_role:
        raise ActionForbidden(_("只有系统管理员可以在后台直接修改。"))
    instance = model.objects.select_for_update().get(pk=pk) if pk else model(created_by=actor)
    before = _admin_snapshot(instance)
    departments = data.pop("departments", None)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.updated_by = actor
    instance.full_clean()
    instance.save()
    if departments is not None:
        instance.departments.set(departments)
    after = _admin_snapshot(instance)
    if before != after:
        record_event(actor=actor, kind=kinds[1] if pk else kinds[0], obj=instance,
                     institution_id=institution_of(instance), before=before or None, after=after,
                     summary=_("后台修改：%(name)s") % {"name": instance})
    return instance


def _admin_delete(*, actor, model, pk: int, kind, institution_of) -> None:
    if not actor.is_admin_role:
        raise ActionForbidden(_("只有系统管理员可以在后台直接删除。"))
    instance = model.objects.select_for_update().get(pk=pk)
    before, name, institution_id = _admin_snapshot(instance), str(instance), institution_of(instance)
    instance.delete()
    record_event(actor=actor, kind=kind, object_type=model._meta.label_lower, object_id=pk,
                 institution_id=institution_id, before=before, summary=_("后台删除：%(name)s") % {"name": name})


@transaction.atomic
def campaign_admin_save(*, actor, campaign_id: int | None, data: dict) -> Campaign:
    return _admin_save(actor=actor, model=Campaign, pk=campaign_id, data=data,
                       kinds=(InspectionsAuditKind.CAMPAIGN_CREATED, InspectionsAuditKind.CAMPAIGN_UPDATED),
                       institution_of=lambda campaign: None)


@transaction.atomic
def campaign_admin_delete(*, actor, campaign_id: int) -> None:
    _admin_delete(actor=actor, model=Campaign, pk=campaign_id, kind=InspectionsAuditKind.CAMPAIGN_DELETED,
                  institution_of=lambda campaign: None)


@transaction.atomic
def visit_admin_save(*, actor, visit_id: int | None, data: dict) -> Visit:
    return _admin_save(actor=actor, model=Visit, pk=visit_id, data=data,
                       kinds=(InspectionsAuditKind.VISIT_PLANNED, InspectionsAuditKind.VISIT_UPDATED),
                       institution_of=lambda visit: visit.institution_id)


@transaction.atomic
def visit_admin_delete(*, actor, visit_id: int) -> None:
    _admin_delete(actor=actor, model=Visit, pk=visit_id, kind=InspectionsAuditKind.VISIT_DELETED,
                  institution_of=lambda visit: visit.institution_id)
