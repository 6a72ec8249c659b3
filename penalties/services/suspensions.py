"""Suspension notices (停办通知书) and the refunds they order, tracked per student group: serving a notice
marks the institution 停办整改 on the register; the notice is completed when everything is refunded."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from institutions.models import Institution
from institutions.services import institution_set_operating_state
from regulator import uploads
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import DocumentKind, Refund, ServedDocument, ServiceRecord, SuspensionNotice, SuspensionStatus
from .common import _checked_file, _now, _snap, _today, validate_deadline
from .documents import _approve_document, _queue_pdf, _serve_document


def _locked_notice(notice_id: int) -> SuspensionNotice:
    return (
        SuspensionNotice.objects.select_for_update()
        .select_related("institution", "department")
        .get(pk=notice_id)
    )


@transaction.atomic
def suspension_draft(
    *,
    actor,
    institution_id: int,
    facts: str,
    legal_basis: str,
    refund_deadline=None,
    stop_enrolment: bool = True,
    stop_training: bool = True,
    refund_all: bool = True,
    visit=None,
    now=None,
) -> SuspensionNotice:
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_draft_for(actor, institution):
        raise ActionForbidden(_("该机构不在您的管辖范围内，不能下达停办通知。"))
    facts, legal_basis = (facts or "").strip(), (legal_basis or "").strip()
    if not facts:
        raise ServiceError(_("请填写违法事实。"), field="facts")
    if not legal_basis:
        raise ServiceError(_("请填写法律依据。"), field="legal_basis")
    if not (stop_enrolment or stop_training or refund_all):
        raise ServiceError(_("请至少选择一项停办要求。"))
    today = _today(now)
    refund_deadline = validate_deadline(
        refund_deadline or today + datetime.timedelta(days=conf.refund_default_days()), today
    )
    notice = SuspensionNotice.objects.create(
        institution=institution,
        department=actor.department,
        visit=visit,
        facts=facts,
        legal_basis=legal_basis,
        refund_deadline=refund_deadline,
        stop_enrolment=stop_enrolment,
        stop_training=stop_training,
        refund_all=refund_all,
        drafted_by=actor,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SUSPENSION_DRAFTED,
        obj=notice,
        institution_id=institution.pk,
        after=_snap(notice),
        summary=_("拟制停办通知书"),
        now=now,
    )
    return notice


@transaction.atomic
def suspension_approve(*, actor, notice_id: int, now=None) -> SuspensionNotice:
    notice = _locked_notice(notice_id)
    if not permissions.is_issuing_head(actor, notice):
        raise ActionForbidden(_("只有下达部门的负责人可以批准停办通知书。"))
    require_status(notice, (SuspensionStatus.DRAFT,), _("批准"))
    if not permissions.can_approve(actor, notice):
        raise ActionForbidden(_("不能批准自己拟制的文书，请由其他负责人批准。"))
    validate_deadline(notice.refund_deadline, _today(now))
    now = _now(now)
    _approve_document(
        notice, actor=actor, now=now, status=SuspensionStatus.APPROVED, number_kind=DocumentKind.SUSPENSION_NOTICE,
        served_kind=ServedDocument.SUSPENSION_NOTICE, event=PenaltiesAuditKind.SUSPENSION_APPROVED,
        summary=_("批准停办通知书 %(number)s"),
    )
    _queue_pdf("suspension", notice.pk)
    return notice


def _complete_if_refunded(notice: SuspensionNotice, *, actor, now) -> bool:
    if notice.status != SuspensionStatus.SERVED:
        return False
    refunds = list(notice.refunds.values_list("amount_due", "amount_refunded"))
    if notice.refund_all and (not refunds or any(refunded < due for due, refunded in refunds)):
        return False
    before = _snap(notice)
    notice.status, notice.completed_at = SuspensionStatus.COMPLETED, now
    notice.save(update_fields=["status", "completed_at", "updated_at"])
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SUSPENSION_COMPLETED,
        obj=notice,
        institution_id=notice.institution_id,
        before=before,
        after=_snap(notice),
        summary=_("退费全部完成"),
        now=now,
    )
    return True


@transaction.atomic
def suspension_serve(*, actor, notice_id: int, data: dict, now=None) -> ServiceRecord:
    notice = _locked_notice(notice_id)
    if not permissions.can_serve(actor, notice):
        raise ActionForbidden(_("只有下达部门可以送达该停办通知书。"))
    if notice.served_at:
        raise TransitionNotAllowed(_("该停办通知书已送达，不能重复送达。"))
    require_status(notice, (SuspensionStatus.APPROVED,), _("送达"))
    record = _serve_document(
        notice, actor=actor, data=data, now=now, status=SuspensionStatus.SERVED,
        served_kind=ServedDocument.SUSPENSION_NOTICE, event=PenaltiesAuditKind.SUSPENSION_SERVED,
        summary=_("送达停办通知书（%(method)s）"),
    )
    # Served: the institution stops running (停办整改) on the register.

    institution_set_operating_state(actor=actor, institution_id=notice.institution_id, state="suspended",
                                    reason=str(_("停办通知书 %(number)s") % {"number": notice.number}))
    _complete_if_refunded(notice, actor=actor, now=_now(now))
    return record


@transaction.atomic
def refund_record(
    *,
    actor,
    notice_id: int,
    student_group: str,
    amount_due: Decimal,
    amount_refunded: Decimal | None,
    students=0,
    evidence=None,
    now=None,
) -> Refund:
    """Create or update the refund line of one student group; completes the notice when all is refunded."""
    notice = _locked_notice(notice_id)
    if not permissions.can_record_refund(actor, notice):
        raise ActionForbidden(_("只有下达部门可以登记退费。"))
    require_status(notice, (SuspensionStatus.APPROVED, SuspensionStatus.SERVED), _("登记退费"))
    group = (student_group or "").strip()
    if not group:
        raise ServiceError(_("请填写学员群体（如班级名称）。"), field="student_group")
    if len(group) > 120:
        raise ServiceError(_("学员群体名称不能超过120字。"), field="student_group")
    if amount_due is None:
        raise ServiceError(_("请填写%(field)s。") % {"field": _("应退金额")}, field="amount_due")
    due, refunded = amount_due, amount_refunded or Decimal("0")
    for amount, name, field in ((due, _("应退金额"), "amount_due"), (refunded, _("已退金额"), "amount_refunded")):
        if amount < 0:
            raise ServiceError(_("%(field)s不能为负数。") % {"field": name}, field=field)
    if refunded > due:
        raise ServiceError(_("已退金额不能大于应退金额。"), field="amount_refunded")
    try:
        students = int(students or 0)
    except (TypeError, ValueError):
        raise ServiceError(_("学员人数必须是整数。"), field="students") from None
    if students < 0:
        raise ServiceError(_("学员人数不能为负数。"), field="students")
    evidence = _checked_file(evidence, accept={uploads.IMAGE, uploads.PDF}, field="evidence")
    now = _now(now)
    refund = Refund.objects.select_for_update().filter(notice=notice, student_group=group).first()
    before = _snap(refund) if refund else None
    if refund is None:
        refund = Refund(notice=notice, student_group=group)
    elif refunded < refund.amount_refunded:
        raise ServiceError(
            _("已退金额不能比上次登记（%(old)s元）少。") % {"old": refund.amount_refunded},
            field="amount_refunded",
        )
    refund.students, refund.amount_due, refund.amount_refunded = students, due, refunded
    refund.updated_at, refund.updated_by = now, actor
    if evidence:
        refund.evidence.save(uploads.new_name(evidence.extension), evidence.content, save=False)
    refund.save()
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.REFUND_RECORDED,
        obj=refund,
        institution_id=notice.institution_id,
        before=before,
        after=_snap(refund),
        summary=_("%(group)s：应退%(due)s元，已退%(refunded)s元")
        % {"group": group, "due": due, "refunded": refunded},
        now=now,
    )
    _complete_if_refunded(notice, actor=actor, now=now)
    return refund
