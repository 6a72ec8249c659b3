"""Changes of a registered institution over time: change requests with their approval document (变更), licence
renewal (续期/换证), and cancellation (注销) as a procedure.

A change is not an edit of the row: it is requested, then approved (the row changes, the history keeps the
change) or refused. For subject-class institutions the seed's rule "不再批准设立分支机构，不再批准办学地址变更"
is enforced here and in institutions.services.site_save: an address change or a new site is refused.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from penalties.models import (
    ORDER_OPEN,
    CaseStatus,
    OrderStatus,
    PenaltyCase,
    RectificationOrder,
    SuspensionNotice,
    SuspensionStatus,
)
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, require_status

from . import permissions
from .audit_kinds import InstitutionsAuditKind as Kind
from .models import (
    CHANGED_FIELD,
    ChangeField,
    ChangeStatus,
    Institution,
    Licence,
    LicenceRenewal,
    LicenceState,
    OperatingState,
    RegisterChange,
)
from .rules import refuse_subject_class_address_change
from .services import refresh_standing


@transaction.atomic
def change_request(*, actor, institution_id: int, field: str, new_value: str,
                   approval_document: str = "") -> RegisterChange:
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    if not permissions.can_change_institution(actor, institution):
        raise ActionForbidden(_("您无权变更该机构的登记信息。"))
    if field not in ChangeField.values:
        raise ServiceError(_("请选择变更事项。"), field="field")
    new_value = (new_value or "").strip()
    if not new_value:
        raise ServiceError(_("请填写变更后的内容。"), field="new_value")
    attribute = CHANGED_FIELD[field]
    max_length = Institution._meta.get_field(attribute).max_length
    if len(new_value) > max_length:
        raise ServiceError(_("变更后的内容不能超过%(max)d字。") % {"max": max_length}, field="new_value")
    old_value = getattr(institution, attribute)
    if new_value == old_value:
        raise ServiceError(_("变更后的内容与现登记内容相同。"), field="new_value")
    if field == ChangeField.ADDRESS:
        refuse_subject_class_address_change(institution)
    if institution.operating_state == OperatingState.CANCELLED:
        raise ServiceError(_("机构已注销，不能再变更登记信息。"))
    change = RegisterChange.objects.create(
        institution=institution, field=field, old_value=old_value, new_value=new_value,
        approval_document=(approval_document or "").strip()[:120], created_by=actor, updated_by=actor,
    )
    record_event(actor=actor, kind=Kind.CHANGE_REQUESTED, obj=change, institution_id=institution.pk,
                 before={attribute: old_value}, after={attribute: new_value},
                 summary=_("申请变更%(field)s：%(old)s → %(new)s") % {
                     "field": change.get_field_display(), "old": old_value or "—", "new": new_value})
    return change


@transaction.atomic
def change_approve(*, actor, change_id: int, approval_document: str, note: str = "") -> RegisterChange:
    change = RegisterChange.objects.select_for_update().get(pk=change_id)
    institution = Institution.objects.select_for_update().get(pk=change.institution_id)
    if not permissions.can_decide_change(actor, institution):
        raise ActionForbidden(_("只有部门负责人或专项治理办公室可以审核登记变更。"))
    require_status(change, [ChangeStatus.REQUESTED], _("批准"))
    approval_document = (approval_document or change.approval_document or "").strip()
    if not approval_document:
        raise ServiceError(_("批准变更须填写批准文件（文号）。"), field="approval_document")
    if change.field == ChangeField.ADDRESS:
        refuse_subject_class_address_change(institution)
    attribute = CHANGED_FIELD[change.field]
    current = getattr(institution, attribute)
    if current != change.old_value:
        raise ServiceError(_("申请提出后该项已被修改（现为“%(current)s”），请重新申请。") % {"current": current})
    setattr(institution, attribute, change.new_value)
    institution.updated_by = actor
    institution.save(update_fields=[attribute, "updated_by", "updated_at"])
    change.status, change.decided_at, change.decided_by = ChangeStatus.APPROVED, timezone.now(), actor
    change.approval_document, change.decision_note = approval_document[:120], (note or "").strip()[:300]
    change.save(update_fields=["status", "decided_at", "decided_by", "approval_document", "decision_note",
                               "updated_at"])
    record_event(actor=actor, kind=Kind.CHANGE_APPROVED, obj=change, institution_id=institution.pk,
                 before={attribute: change.old_value}, after={attribute: change.new_value},
                 summary=_("批准变更%(field)s（%(document)s）") % {
                     "field": change.get_field_display(), "document": approval_document})
    return change


@transaction.atomic
def change_refuse(*, actor, change_id: int, note: str) -> RegisterChange:
    change = RegisterChange.objects.select_for_update().get(pk=change_id)
    institution = change.institution
    if not permissions.can_decide_change(actor, institution):
        raise ActionForbidden(_("只有部门负责人或专项治理办公室可以审核登记变更。"))
    require_status(change, [ChangeStatus.REQUESTED], _("不予批准"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("不予批准须写明理由。"), field="note")
    change.status, change.decided_at, change.decided_by = ChangeStatus.REFUSED, timezone.now(), actor
    change.decision_note = note[:300]
    change.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "updated_at"])
    record_event(actor=actor, kind=Kind.CHANGE_REFUSED, obj=change, institution_id=institution.pk,
                 after={"reason": note}, summary=_("不予批准变更%(field)s：%(reason)s") % {
                     "field": change.get_field_display(), "reason": note})
    return change


# ---- 续期/换证 ---------------------------------------------------------------------------------------------

RENEWABLE_STATES = frozenset({LicenceState.VALID, LicenceState.EXPIRED})


def renewal_backdate_days() -> int:
    """How far back a renewal's approval date may lie: one recorded late, not a history rewritten."""
    return settings.LICENCE_RENEWAL_BACKDATE_DAYS


@transaction.atomic
def licence_renew(*, actor, licence_id: int, renewed_on: date, new_valid_until: date, approval_document: str,
                  new_number: str = "", today: date | None = None) -> LicenceRenewal:
    """续期 (the validity extended) or 换证 (re-issued under a new number), by the licence's department with its
    approval document. The licence's validity moves forward, never back; an expired licence is valid again."""
    licence = Licence.objects.select_for_update().get(pk=licence_id)
    institution = Institution.objects.select_for_update().get(pk=licence.institution_id)
    if not permissions.can_change_licence(actor, institution, licence.kind, licence.issuer_id):
        raise ActionForbidden(_("该证照不在您部门的职责范围内。"))
    today = today or timezone.localdate()
    if institution.operating_state == OperatingState.CANCELLED:
        raise ServiceError(_("机构已注销，证照不能续期。"))
    if licence.state not in RENEWABLE_STATES:
        raise ServiceError(_("证照已%(state)s，不能续期；%(hint)s") % {
            "state": licence.get_state_display(),
            "hint": _("暂扣的证照须先解除暂扣。") if licence.state == LicenceState.SUSPENDED
            else _("须重新申请办证。")})
    if licence.valid_until is None:
        raise ServiceError(_("该证照长期有效，无需续期。"))
    approval_document = (approval_document or "").strip()
    if not approval_document:
        raise ServiceError(_("续期须填写批准文件（文号）。"), field="approval_document")
    if renewed_on is None:
        raise ServiceError(_("请填写续期批准日期。"), field="renewed_on")
    if renewed_on > today:
        raise ServiceError(_("续期批准日期不能晚于今天。"), field="renewed_on")
    earliest = max(licence.issued_on, today - timedelta(days=renewal_backdate_days()))
    if renewed_on < earliest:
        raise ServiceError(_("续期批准日期不能早于%(date)s（发证日期，或今天往前%(days)d天以内）："
                             "更早的续期请按新证登记。") % {"date": earliest.isoformat(),
                                                            "days": renewal_backdate_days()}, field="renewed_on")
    if new_valid_until is None:
        raise ServiceError(_("请填写新的有效期。"), field="new_valid_until")
    if new_valid_until <= licence.valid_until:
        raise ServiceError(_("续期后的有效期（%(new)s）须晚于原有效期（%(old)s）：续期不能缩短有效期。") % {
            "new": new_valid_until.isoformat(), "old": licence.valid_until.isoformat()}, field="new_valid_until")
    if new_valid_until <= today:
        raise ServiceError(_("续期后的有效期须晚于今天。"), field="new_valid_until")
    new_number = (new_number or "").strip() or licence.number
    if new_number != licence.number and Licence.objects.filter(kind=licence.kind, number=new_number).exists():
        raise ServiceError(_("同类证照的证号已存在。"), field="new_number")
    renewal = LicenceRenewal.objects.create(
        licence=licence, institution=institution, renewed_on=renewed_on, old_valid_until=licence.valid_until,
        new_valid_until=new_valid_until, old_number=licence.number, new_number=new_number[:60],
        approval_document=approval_document[:120], old_state=licence.state, created_by=actor, updated_by=actor)
    before = {"valid_until": licence.valid_until, "number": licence.number, "state": licence.state}
    licence.valid_until, licence.number, licence.state = new_valid_until, new_number[:60], LicenceState.VALID
    licence.updated_by = actor
    licence.save(update_fields=["valid_until", "number", "state", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.LICENCE_RENEWED, obj=licence, institution_id=institution.pk, before=before,
                 after={"valid_until": new_valid_until, "number": licence.number, "state": LicenceState.VALID,
                        "approval_document": approval_document},
                 summary=_("%(licence)s续期至%(date)s（%(document)s）") % {
                     "licence": licence.get_kind_display(), "date": new_valid_until.isoformat(),
                     "document": approval_document})
    refresh_standing(institution=institution, actor=actor, today=today)
    return renewal


# ---- 注销 ------------------------------------------------------------------------------------------------

def open_matters(institution_id: int) -> list[str]:
    """What is still open against the institution (orders, suspension notices, penalty cases), as readable lines.

    The penalties app keeps them; the register reads its models here only to refuse a cancellation."""
    lines = []
    for order in RectificationOrder.objects.filter(
            institution_id=institution_id, status__in=[*ORDER_OPEN, OrderStatus.DRAFT]).order_by("id"):
        lines.append(_("整改通知 %(number)s（%(status)s）") % {
            "number": order.number or f"#{order.pk}", "status": order.get_status_display()})
    for notice in SuspensionNotice.objects.filter(
            institution_id=institution_id,
            status__in=[SuspensionStatus.DRAFT, SuspensionStatus.APPROVED, SuspensionStatus.SERVED]).order_by("id"):
        lines.append(_("停办通知 %(number)s（%(status)s）") % {
            "number": notice.number or f"#{notice.pk}", "status": notice.get_status_display()})
    for case in PenaltyCase.objects.filter(institution_id=institution_id).exclude(
            status__in=[CaseStatus.CLOSED, CaseStatus.DROPPED]).order_by("id"):
        lines.append(_("处罚案件 #%(id)s（%(status)s）") % {"id": case.pk, "status": case.get_status_display()})
    return lines


@transaction.atomic
def institution_cancel(*, actor, institution_id: int, cancelled_on: date, reason: str) -> Institution:
    """注销: the institution stops existing as a registered one; its licences are cancelled with it. Refused,
    with the list, while orders, notices or cases are open: they are finished first."""
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    if not permissions.can_delete_institution(actor, institution):
        raise ActionForbidden(_("只有教育部门负责人或专项治理办公室可以注销机构。"))
    if institution.operating_state == OperatingState.CANCELLED:
        raise ServiceError(_("该机构已于%(date)s注销。") % {"date": institution.cancelled_on or "—"})
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写注销原因。"), field="reason")
    if cancelled_on is None:
        raise ServiceError(_("请填写注销日期。"), field="cancelled_on")
    if cancelled_on > timezone.localdate():
        raise ServiceError(_("注销日期不能晚于今天。"), field="cancelled_on")
    return _cancel(actor=actor, institution=institution, cancelled_on=cancelled_on, reason=reason)


def _cancel(*, actor, institution: Institution, cancelled_on: date, reason: str) -> Institution:
    """Inside the caller's transaction, the row locked and the actor's right checked."""
    matters = open_matters(institution.pk)
    if matters:
        raise ServiceError(_("该机构仍有未办结的事项，不能注销：%(list)s。请先办结或撤销。") % {
            "list": "；".join(matters)})
    before = {"operating_state": institution.operating_state}
    institution.operating_state = OperatingState.CANCELLED
    institution.cancelled_on, institution.cancellation_reason = cancelled_on, reason[:200]
    institution.updated_by = actor
    institution.save(update_fields=["operating_state", "cancelled_on", "cancellation_reason", "updated_by",
                                    "updated_at"])
    for licence in Licence.objects.select_for_update().filter(institution=institution, state=LicenceState.VALID):
        licence.state, licence.updated_by = LicenceState.CANCELLED, actor
        licence.save(update_fields=["state", "updated_by", "updated_at"])
        record_event(actor=actor, kind=Kind.LICENCE_CANCELLED, obj=licence, institution_id=institution.pk,
                     before={"state": LicenceState.VALID}, after={"state": LicenceState.CANCELLED},
                     summary=_("随机构注销：%(licence)s") % {"licence": str(licence)})
    record_event(actor=actor, kind=Kind.INSTITUTION_CANCELLED, obj=institution, institution_id=institution.pk,
                 before=before, after={"operating_state": OperatingState.CANCELLED, "date": cancelled_on,
                                       "reason": reason},
                 summary=_("注销机构（%(date)s）：%(reason)s") % {"date": cancelled_on.isoformat(), "reason": reason})
    refresh_standing(institution=institution, actor=actor)
    return institution
