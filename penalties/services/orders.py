"""Writes for rectification orders, suspension notices and penalty cases.

Each transition is one function: it locks the row (select_for_update), checks the allowed source
statuses, sets the status and its *_at/*_by, records the audit event in the same transaction, and queues
side effects (PDF rendering) on commit. A refused change raises PenaltiesError (or TransitionNotAllowed,
or Django's PermissionDenied) and writes nothing.
"""

import datetime
import hashlib
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import Institution, Licence, LicenceKind, LicenceState
from regulator.audit import record_event, snapshot
from regulator.calendar import add_working_days
from regulator.documents import format_document_number, next_document_number, register_document
from regulator.models import VerificationRecord

from .. import conf, permissions
from ..models import (
    MONETARY_PENALTIES,
    ORDER_OPEN,
    CaseEvidence,
    CaseSource,
    CaseStatus,
    ClosingMethod,
    Decision,
    DocumentKind,
    Extension,
    ItemStatus,
    OrderItem,
    OrderStatus,
    Penalty,
    PenaltyCase,
    PenaltyKind,
    RectificationOrder,
    Refund,
    ServedDocument,
    ServiceMethod,
    ServiceRecord,
    SuspensionNotice,
    SuspensionStatus,
)

# The word inside a document number; numbers are never translated.
NUMBER_LABELS = {
    DocumentKind.RECTIFICATION_ORDER: "整改",
    DocumentKind.SUSPENSION_NOTICE: "停办",
    DocumentKind.PENALTY_DECISION: "罚字",
}
# Licence kinds a revocation (吊销办学许可证) applies to.
REVOCABLE_LICENCE_KINDS = (LicenceKind.SCHOOL_RUNNING,)


class PenaltiesError(Exception):
    """A change refused with a message for the user; nothing was written."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field


class TransitionNotAllowed(PenaltiesError):
    """The object is not in a status from which this step may be taken."""


# ---- helpers ---------------------------------------------------------------------------------------


def _snap(instance) -> dict:
    """regulator.audit.snapshot, except that an empty file field (which it cannot read) is written as ""."""
    concrete = instance._meta.concrete_fields
    files = [f.name for f in concrete if isinstance(f, models.FileField)]
    data = snapshot(instance, fields=[f.name for f in concrete if f.name not in files])
    for field in concrete:
        if field.name in files:
            # The stored name, not getattr(): a FieldFile bound to the row makes a reference cycle that keeps
            # every order of a chaser run alive until the next full garbage collection.
            raw = instance.__dict__.get(field.attname)
            data[field.name] = str(getattr(raw, "name", raw) or "")
    return data


def _now(now=None) -> datetime.datetime:
    return now or timezone.now()


def _today(now=None) -> datetime.date:
    return timezone.localdate(_now(now))


def _require_status(obj, allowed, action) -> None:
    if obj.status not in allowed:
        raise TransitionNotAllowed(
            _("当前状态为“%(status)s”，不能%(action)s。")
            % {"status": obj.get_status_display(), "action": action}
        )


def _deny_unless(allowed: bool, message) -> None:
    if not allowed:
        raise PermissionDenied(message)


def validate_deadline(deadline, today: datetime.date) -> datetime.date:
    if not isinstance(deadline, datetime.date):
        raise PenaltiesError(_("请填写有效的整改期限（日期）。"), field="deadline")
    days = (deadline - today).days
    if days < 1:
        raise PenaltiesError(_("整改期限不能早于明天（不能是过去或今天）。"), field="deadline")
    if days > conf.max_deadline_days():
        raise PenaltiesError(
            _("整改期限最长为%(days)d天。") % {"days": conf.max_deadline_days()}, field="deadline"
        )
    return deadline


def parse_amount(value, *, field_label, required=True) -> Decimal | None:
    """A money amount in yuan: a finite, non-negative number with at most two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PenaltiesError(_("请填写%(field)s。") % {"field": field_label}, field="amount")
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise PenaltiesError(_("%(field)s必须是数字。") % {"field": field_label}, field="amount") from None
    if not amount.is_finite():
        raise PenaltiesError(_("%(field)s必须是数字。") % {"field": field_label}, field="amount")
    if amount < 0:
        raise PenaltiesError(_("%(field)s不能为负数。") % {"field": field_label}, field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise PenaltiesError(_("%(field)s最多保留两位小数。") % {"field": field_label}, field="amount")
    if amount >= Decimal("10000000000"):
        raise PenaltiesError(_("%(field)s超出范围。") % {"field": field_label}, field="amount")
    return amount


def _assign_number(obj, *, kind: str, department, now) -> None:
    """Take the next gap-free number in the approving transaction (rolled back with it)."""
    year = _today(now).year
    serial = next_document_number(department=department, kind=kind, year=year)
    obj.year, obj.serial = year, serial
    obj.number = format_document_number(
        department=department, kind_label=NUMBER_LABELS[kind], year=year, number=serial
    )


def _queue_pdf(kind: str, object_id: int) -> None:
    from ..tasks import render_pdf

    transaction.on_commit(lambda: render_pdf.delay(kind, object_id))


def _validate_service(*, data: dict, issued_at, now) -> dict:
    """送达回证 rules: time to the minute, not in the future or before issue; refusal needs a witness."""
    served_at = data.get("served_at")
    if not isinstance(served_at, datetime.datetime):
        raise PenaltiesError(_("请填写送达时间。"), field="served_at")
    if timezone.is_naive(served_at):
        served_at = timezone.make_aware(served_at)
    served_at = served_at.replace(second=0, microsecond=0)
    if served_at > _now(now) + datetime.timedelta(minutes=5):
        raise PenaltiesError(_("送达时间不能晚于现在。"), field="served_at")
    if issued_at and served_at < issued_at.replace(second=0, microsecond=0):
        raise PenaltiesError(_("送达时间不能早于文书批准时间。"), field="served_at")
    method = data.get("method")
    if method not in ServiceMethod.values:
        raise PenaltiesError(_("请选择送达方式。"), field="method")
    refused = bool(data.get("refused"))
    witness = (data.get("witness_name") or "").strip()
    receiver = (data.get("receiver_name") or "").strip()
    if refused and not witness:
        raise PenaltiesError(_("拒绝签收的，须有见证人在场并填写见证人（留置送达）。"), field="witness_name")
    if refused and method != ServiceMethod.LEFT_WITH_WITNESS:
        raise PenaltiesError(_("拒绝签收的，送达方式应为留置送达。"), field="method")
    if method in (ServiceMethod.IN_PERSON, ServiceMethod.POST) and not refused and not receiver:
        raise PenaltiesError(_("请填写签收人。"), field="receiver_name")
    return {
        "served_at": served_at,
        "method": method,
        "refused": refused,
        "witness_name": witness,
        "receiver_name": receiver,
        "receiver_relation": (data.get("receiver_relation") or "").strip(),
        "place": (data.get("place") or "").strip(),
        "remarks": (data.get("remarks") or "").strip(),
        "photo": data.get("photo"),
    }


def _record_service(*, actor, document_type, document_id, number, institution, data, now) -> ServiceRecord:
    if ServiceRecord.objects.filter(document_type=document_type, document_id=document_id).exists():
        raise TransitionNotAllowed(_("该文书已送达，不能重复送达。"))
    photo = data.pop("photo", None)
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                document_type=document_type,
                document_id=document_id,
                document_number=number,
                institution=institution,
                server=actor,
                recorded_at=_now(now),
                **data,
            )
    except IntegrityError:
        raise TransitionNotAllowed(_("该文书已送达，不能重复送达。")) from None
    if photo:
        record.photo.save(photo.name, photo, save=False)
        record.save(update_fields=["photo"])
    return record


# ---- rectification orders -------------------------------------------------------------------------


def _clean_items(items) -> list[dict]:
    cleaned = []
    for raw in items:
        text = (raw.get("text") or "").strip()
        basis = (raw.get("legal_basis") or "").strip()
        if not text and not basis:
            continue
        if not text:
            raise PenaltiesError(_("每个整改事项都要写明问题。"), field="items")
        if not basis:
            raise PenaltiesError(_("整改事项“%(text)s”缺少法律依据。") % {"text": text[:20]}, field="items")
        if len(basis) > 300:
            raise PenaltiesError(_("法律依据不能超过300字。"), field="items")
        cleaned.append({"text": text, "legal_basis": basis, "problem_item": raw.get("problem_item")})
    if not cleaned:
        raise PenaltiesError(_("至少需要一个整改事项。"), field="items")
    return cleaned


@transaction.atomic
def order_draft(
    *,
    actor,
    institution_id: int,
    items: list[dict],
    deadline: datetime.date | None = None,
    requirements: str = "",
    visit=None,
    now=None,
) -> RectificationOrder:
    """Draft an order: items (text, legal_basis[, problem_item]), deadline (default 30 days, 1–90 allowed)."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    _deny_unless(
        permissions.can_draft_for(actor, institution), _("该机构不在您的管辖范围内，不能下达整改通知。")
    )
    today = _today(now)
    deadline = validate_deadline(
        deadline or today + datetime.timedelta(days=conf.default_deadline_days()), today
    )
    cleaned = _clean_items(items)
    order = RectificationOrder.objects.create(
        institution=institution,
        department=actor.department,
        visit=visit,
        deadline=deadline,
        requirements=requirements.strip(),
        drafted_by=actor,
        created_by=actor,
        updated_by=actor,
    )
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                position=index,
                text=item["text"],
                legal_basis=item["legal_basis"],
                problem_item=item["problem_item"],
            )
            for index, item in enumerate(cleaned, start=1)
        ]
    )
    record_event(
        actor=actor,
        kind="order_drafted",
        obj=order,
        institution_id=institution.pk,
        after={
            **_snap(order),
            "items": [{"text": i["text"], "legal_basis": i["legal_basis"]} for i in cleaned],
        },
        summary=_("拟制限期整改通知书（%(n)d项）") % {"n": len(cleaned)},
        now=now,
    )
    return order


@transaction.atomic
def order_draft_from_visit(
    *,
    actor,
    visit_id: int,
    problem_item_ids: list[int],
    legal_bases: dict,
    deadline: datetime.date | None = None,
    requirements: str = "",
    now=None,
) -> RectificationOrder:
    """Draft an order from open problem items of one submitted visit, for the actor's own department."""
    from inspections.models import ProblemItem, ProblemStatus, Visit, VisitStatus

    visit = Visit.objects.select_related("institution").get(pk=visit_id)
    if visit.status != VisitStatus.SUBMITTED:
        raise TransitionNotAllowed(_("检查尚未提交，不能据此下达整改通知。"))
    if not problem_item_ids:
        raise PenaltiesError(_("请至少选择一个问题项。"), field="items")
    problems = list(ProblemItem.objects.filter(visit=visit, pk__in=problem_item_ids).order_by("id"))
    if len(problems) != len(set(problem_item_ids)):
        raise PenaltiesError(_("所选问题项不属于该次检查。"), field="items")
    for problem in problems:
        if problem.status != ProblemStatus.OPEN:
            raise PenaltiesError(_("问题项“%(code)s”已销号。") % {"code": problem.item_code}, field="items")
        if problem.department_id != actor.department_id:
            raise PermissionDenied(_("问题项“%(code)s”由其他部门负责。") % {"code": problem.item_code})
    on_open_order = (
        OrderItem.objects.filter(
            problem_item__in=problems, order__status__in=(OrderStatus.DRAFT, *ORDER_OPEN)
        )
        .values_list("problem_item__item_code", flat=True)
        .first()
    )
    if on_open_order:
        raise PenaltiesError(
            _("问题项“%(code)s”已在另一份整改通知书中。") % {"code": on_open_order}, field="items"
        )
    items = []
    for problem in problems:
        text = problem.item_text + (f"（{problem.finding}）" if problem.finding else "")
        items.append(
            {
                "text": text,
                "legal_basis": legal_bases.get(problem.pk) or legal_bases.get(str(problem.pk)),
                "problem_item": problem,
            }
        )
    return order_draft(
        actor=actor,
        institution_id=visit.institution_id,
        items=items,
        deadline=deadline,
        requirements=requirements,
        visit=visit,
        now=now,
    )


def _locked_order(order_id: int) -> RectificationOrder:
    return (
        RectificationOrder.objects.select_for_update()
        .select_related("institution", "department")
        .get(pk=order_id)
    )


def _serve_document(document, *, actor, data, now, status, served_kind, event: str, summary: str):
    """The service step (送达) shared by orders and suspension notices, on a locked, approved row: validate
    the proof of service, record it, set the status, write the audit event. Returns the ServiceRecord."""
    cleaned = _validate_service(data=data, issued_at=document.approved_at, now=now)
    record = _record_service(
        actor=actor,
        document_type=served_kind,
        document_id=document.pk,
        number=document.number,
        institution=document.institution,
        data=cleaned,
        now=now,
    )
    before = _snap(document)
    document.status, document.served_at, document.updated_by = status, record.served_at, actor
    document.save(update_fields=["status", "served_at", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=event,
        obj=document,
        institution_id=document.institution_id,
        before=before,
        after={**_snap(document), "service": _snap(record)},
        summary=summary % {"method": record.get_method_display()},
        now=now,
    )
    return record


def _approve_document(document, *, actor, now, status, number_kind, served_kind, event: str, summary: str) -> None:
    """The approval step shared by orders and suspension notices, on a locked row: the gap-free number
    (in this transaction), the status, the public verification record and the audit event."""
    before = _snap(document)
    _assign_number(document, kind=number_kind, department=document.department, now=now)
    document.status, document.approved_at, document.approved_by, document.updated_by = status, now, actor, actor
    document.save(
        update_fields=["status", "approved_at", "approved_by", "year", "serial", "number", "updated_by", "updated_at"]
    )
    register_document(
        obj=document,
        kind=served_kind,
        number=document.number,
        title=str(served_kind.label),
        issuer_name=document.department.name,
        subject_name=document.institution.name,
        issued_at=now,
    )
    record_event(
        actor=actor,
        kind=event,
        obj=document,
        institution_id=document.institution_id,
        before=before,
        after=_snap(document),
        summary=summary % {"number": document.number},
        now=now,
    )


@transaction.atomic
def order_approve(*, actor, order_id: int, now=None) -> RectificationOrder:
    order = _locked_order(order_id)
    _deny_unless(permissions.is_issuing_head(actor, order), _("只有下达部门的负责人可以批准整改通知书。"))
    _require_status(order, (OrderStatus.DRAFT,), _("批准"))
    _deny_unless(permissions.can_approve(actor, order), _("不能批准自己拟制的文书，请由其他负责人批准。"))
    validate_deadline(order.deadline, _today(now))
    now = _now(now)
    _approve_document(
        order, actor=actor, now=now, status=OrderStatus.APPROVED, number_kind=DocumentKind.RECTIFICATION_ORDER,
        served_kind=ServedDocument.RECTIFICATION_ORDER, event="order_approved",
        summary=_("批准整改通知书 %(number)s"),
    )
    _queue_pdf("order", order.pk)
    return order


@transaction.atomic
def order_serve(*, actor, order_id: int, data: dict, now=None) -> ServiceRecord:
    order = _locked_order(order_id)
    _deny_unless(permissions.can_serve(actor, order), _("只有下达部门可以送达该整改通知书。"))
    if order.served_at:
        raise TransitionNotAllowed(
            _("该整改通知书已于%(at)s送达，不能重复送达。")
            % {"at": timezone.localtime(order.served_at).strftime("%Y-%m-%d %H:%M")}
        )
    _require_status(order, (OrderStatus.APPROVED,), _("送达"))
    record = _serve_document(
        order, actor=actor, data=data, now=now, status=OrderStatus.SERVED,
        served_kind=ServedDocument.RECTIFICATION_ORDER, event="order_served",
        summary=_("送达整改通知书（%(method)s）"),
    )
    return record


def _close_problem_item(problem_item_id, *, actor, now) -> None:
    """Close the inspections ProblemItem behind an order item through inspections' own service."""
    from inspections import services as inspection_services
    from inspections.models import ProblemItem, ProblemStatus

    if ProblemItem.objects.filter(pk=problem_item_id, status=ProblemStatus.OPEN).exists():
        inspection_services.problem_item_close(actor=actor, problem_item_id=problem_item_id, now=now)


@transaction.atomic
def order_item_close(
    *, actor, item_id: int, method: str, note: str = "", evidence=None, now=None
) -> OrderItem:
    """销号 one item. The order row is locked first, so of two concurrent closes one wins, one is told."""
    order_id = OrderItem.objects.values_list("order_id", flat=True).get(pk=item_id)
    order = _locked_order(order_id)
    item = OrderItem.objects.select_for_update().get(pk=item_id)
    _deny_unless(permissions.can_close_items(actor, order), _("只有下达整改通知书的部门可以销号。"))
    if item.status == ItemStatus.CLOSED:
        closer = item.closed_by.full_name or item.closed_by.username if item.closed_by_id else ""
        raise TransitionNotAllowed(
            _("该事项已由%(who)s于%(at)s销号，无需重复操作。")
            % {"who": closer, "at": timezone.localtime(item.closed_at).strftime("%Y-%m-%d %H:%M")}
        )
    _require_status(order, ORDER_OPEN, _("销号"))
    if method not in ClosingMethod.values:
        raise PenaltiesError(_("请选择核实方式（复查或书面材料）。"), field="method")
    note = (note or "").strip()
    if method == ClosingMethod.DOCUMENTS and not evidence:
        raise PenaltiesError(_("书面材料核实须上传机构提交的整改材料。"), field="evidence")
    if method == ClosingMethod.REINSPECTION and not note:
        raise PenaltiesError(_("请填写复查核实情况。"), field="note")
    now = _now(now)
    before = _snap(item)
    item.status, item.closed_at, item.closed_by = ItemStatus.CLOSED, now, actor
    item.closing_method, item.closing_note = method, note
    if evidence:
        item.evidence.save(evidence.name, evidence, save=False)
    item.save(
        update_fields=["status", "closed_at", "closed_by", "closing_method", "closing_note", "evidence"]
    )
    record_event(
        actor=actor,
        kind="order_item_closed",
        obj=item,
        institution_id=order.institution_id,
        before=before,
        after=_snap(item),
        summary=_("整改事项%(n)d销号（%(how)s）")
        % {"n": item.position, "how": item.get_closing_method_display()},
        now=now,
    )
    if item.problem_item_id:
        _close_problem_item(item.problem_item_id, actor=actor, now=now)
    if not order.items.filter(status=ItemStatus.OPEN).exists():
        before = _snap(order)
        order.status, order.closed_at, order.updated_by = OrderStatus.CLOSED, now, actor
        order.save(update_fields=["status", "closed_at", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            kind="order_closed",
            obj=order,
            institution_id=order.institution_id,
            before=before,
            after=_snap(order),
            summary=_("全部事项已销号，整改通知书办结"),
            now=now,
        )
    return item


@transaction.atomic
def order_extend(*, actor, order_id: int, new_deadline, reason: str, now=None) -> Extension:
    order = _locked_order(order_id)
    _deny_unless(permissions.can_extend(actor, order), _("只有下达部门的负责人可以批准延期。"))
    _require_status(order, (OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.OVERDUE), _("延期"))
    if Extension.objects.filter(order=order).exists():
        raise TransitionNotAllowed(_("整改期限只能延长一次。"))
    reason = (reason or "").strip()
    if not reason:
        raise PenaltiesError(_("请填写延期理由。"), field="reason")
    validate_deadline(new_deadline, _today(now))
    if new_deadline <= order.deadline:
        raise PenaltiesError(
            _("新的整改期限必须晚于原期限（%(old)s）。") % {"old": order.deadline}, field="deadline"
        )
    now = _now(now)
    before = _snap(order)
    extension = Extension.objects.create(
        order=order,
        old_deadline=order.deadline,
        new_deadline=new_deadline,
        reason=reason,
        created_at=now,
        created_by=actor,
    )
    order.original_deadline, order.deadline, order.updated_by = order.deadline, new_deadline, actor
    if order.status == OrderStatus.OVERDUE:
        order.status = OrderStatus.SERVED if order.served_at else OrderStatus.APPROVED
    order.save(update_fields=["original_deadline", "deadline", "status", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind="order_extended",
        obj=order,
        institution_id=order.institution_id,
        before=before,
        after={**_snap(order), "reason": reason},
        summary=_("整改期限由%(old)s延至%(new)s") % {"old": extension.old_deadline, "new": new_deadline},
        now=now,
    )
    return extension


@transaction.atomic
def order_cancel(*, actor, order_id: int, reason: str, now=None) -> RectificationOrder:
    order = _locked_order(order_id)
    _deny_unless(permissions.can_cancel(actor, order), _("只有下达部门的负责人可以撤销整改通知书。"))
    _require_status(order, (OrderStatus.DRAFT, OrderStatus.APPROVED), _("撤销"))
    reason = (reason or "").strip()
    if not reason:
        raise PenaltiesError(_("请填写撤销原因。"), field="reason")
    now = _now(now)
    before = _snap(order)
    order.status, order.cancelled_at, order.cancelled_by = OrderStatus.CANCELLED, now, actor
    order.cancel_reason, order.updated_by = reason[:200], actor
    order.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_by", "updated_at"]
    )
    VerificationRecord.objects.filter(object_type=order._meta.label_lower, object_id=str(order.pk)).update(
        revoked_at=now, revoked_reason=reason[:200]
    )
    record_event(
        actor=actor,
        kind="order_cancelled",
        obj=order,
        institution_id=order.institution_id,
        before=before,
        after=_snap(order),
        summary=_("撤销整改通知书：%(r)s") % {"r": reason[:80]},
        now=now,
    )
    return order


def order_mark_overdue(*, order: RectificationOrder, now) -> bool:
    """Chaser step on a row it has locked: the day after the deadline with items open → overdue."""
    if order.status not in (OrderStatus.APPROVED, OrderStatus.SERVED) or order.deadline >= _today(now):
        return False
    before = _snap(order)
    if not order.items.filter(status=ItemStatus.OPEN).exists():
        order.status, order.closed_at = OrderStatus.CLOSED, now
        order.save(update_fields=["status", "closed_at", "updated_at"])
        record_event(
            actor=None,
            kind="order_closed",
            obj=order,
            institution_id=order.institution_id,
            before=before,
            after=_snap(order),
            summary=_("全部事项已销号，整改通知书办结"),
            now=now,
        )
        return False
    order.status, order.overdue_at = OrderStatus.OVERDUE, now
    order.save(update_fields=["status", "overdue_at", "updated_at"])
    record_event(
        actor=None,
        kind="order_overdue",
        obj=order,
        institution_id=order.institution_id,
        before=before,
        after=_snap(order),
        summary=_("整改期限（%(d)s）已过，逾期未整改") % {"d": order.deadline},
        now=now,
    )
    return True


def order_escalate(*, order: RectificationOrder, now) -> PenaltyCase | None:
    """Chaser step on a locked overdue order past the grace period: open a penalty case as a lead."""
    if order.status != OrderStatus.OVERDUE:
        return None
    before = _snap(order)
    order.status, order.escalated_at = OrderStatus.ESCALATED, now
    order.save(update_fields=["status", "escalated_at", "updated_at"])
    record_event(
        actor=None,
        kind="order_escalated",
        obj=order,
        institution_id=order.institution_id,
        before=before,
        after=_snap(order),
        summary=_("逾期%(days)d天仍未整改，升级为处罚案件线索")
        % {"days": (_today(now) - order.deadline).days},
        now=now,
    )
    open_items = "；".join(order.items.filter(status=ItemStatus.OPEN).values_list("text", flat=True))
    return case_open(
        actor=None,
        institution_id=order.institution_id,
        department=order.department,
        source=CaseSource.OVERDUE_ORDER,
        source_order=order,
        summary=_("%(number)s 逾期未整改，未销号事项：%(items)s")
        % {"number": order.number, "items": open_items},
        now=now,
    )


# ---- suspension notices and refunds -----------------------------------------------------------------


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
    _deny_unless(
        permissions.can_draft_for(actor, institution), _("该机构不在您的管辖范围内，不能下达停办通知。")
    )
    facts, legal_basis = (facts or "").strip(), (legal_basis or "").strip()
    if not facts:
        raise PenaltiesError(_("请填写违法事实。"), field="facts")
    if not legal_basis:
        raise PenaltiesError(_("请填写法律依据。"), field="legal_basis")
    if not (stop_enrolment or stop_training or refund_all):
        raise PenaltiesError(_("请至少选择一项停办要求。"))
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
        kind="suspension_drafted",
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
    _deny_unless(permissions.is_issuing_head(actor, notice), _("只有下达部门的负责人可以批准停办通知书。"))
    _require_status(notice, (SuspensionStatus.DRAFT,), _("批准"))
    _deny_unless(permissions.can_approve(actor, notice), _("不能批准自己拟制的文书，请由其他负责人批准。"))
    validate_deadline(notice.refund_deadline, _today(now))
    now = _now(now)
    _approve_document(
        notice, actor=actor, now=now, status=SuspensionStatus.APPROVED, number_kind=DocumentKind.SUSPENSION_NOTICE,
        served_kind=ServedDocument.SUSPENSION_NOTICE, event="suspension_approved",
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
        kind="suspension_completed",
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
    _deny_unless(permissions.can_serve(actor, notice), _("只有下达部门可以送达该停办通知书。"))
    if notice.served_at:
        raise TransitionNotAllowed(_("该停办通知书已送达，不能重复送达。"))
    _require_status(notice, (SuspensionStatus.APPROVED,), _("送达"))
    record = _serve_document(
        notice, actor=actor, data=data, now=now, status=SuspensionStatus.SERVED,
        served_kind=ServedDocument.SUSPENSION_NOTICE, event="suspension_served",
        summary=_("送达停办通知书（%(method)s）"),
    )
    # Served: the institution stops running (停办整改) on the register.
    from institutions.services import institution_set_operating_state

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
    amount_due,
    amount_refunded,
    students=0,
    evidence=None,
    now=None,
) -> Refund:
    """Create or update the refund line of one student group; completes the notice when all is refunded."""
    notice = _locked_notice(notice_id)
    _deny_unless(permissions.can_record_refund(actor, notice), _("只有下达部门可以登记退费。"))
    _require_status(notice, (SuspensionStatus.APPROVED, SuspensionStatus.SERVED), _("登记退费"))
    group = (student_group or "").strip()
    if not group:
        raise PenaltiesError(_("请填写学员群体（如班级名称）。"), field="student_group")
    if len(group) > 120:
        raise PenaltiesError(_("学员群体名称不能超过120字。"), field="student_group")
    due = parse_amount(amount_due, field_label=_("应退金额"))
    refunded = parse_amount(amount_refunded, field_label=_("已退金额"), required=False) or Decimal("0")
    if refunded > due:
        raise PenaltiesError(_("已退金额不能大于应退金额。"), field="amount_refunded")
    try:
        students = int(students or 0)
    except (TypeError, ValueError):
        raise PenaltiesError(_("学员人数必须是整数。"), field="students") from None
    if students < 0:
        raise PenaltiesError(_("学员人数不能为负数。"), field="students")
    now = _now(now)
    refund = Refund.objects.select_for_update().filter(notice=notice, student_group=group).first()
    before = _snap(refund) if refund else None
    if refund is None:
        refund = Refund(notice=notice, student_group=group)
    elif refunded < refund.amount_refunded:
        raise PenaltiesError(
            _("已退金额不能比上次登记（%(old)s元）少。") % {"old": refund.amount_refunded},
            field="amount_refunded",
        )
    refund.students, refund.amount_due, refund.amount_refunded = students, due, refunded
    refund.updated_at, refund.updated_by = now, actor
    if evidence:
        refund.evidence.save(evidence.name, evidence, save=False)
    refund.save()
    record_event(
        actor=actor,
        kind="refund_recorded",
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


# ---- penalty cases ----------------------------------------------------------------------------------


def _locked_case(case_id: int) -> PenaltyCase:
    return PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)


@transaction.atomic
def case_open(
    *,
    actor,
    institution_id: int,
    summary: str,
    source: str,
    department=None,
    source_order=None,
    source_visit=None,
    source_reference: str = "",
    now=None,
) -> PenaltyCase:
    """Register a lead (线索). The chaser calls this with actor=None when an order escalates."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if actor is not None:
        _deny_unless(
            permissions.can_draft_for(actor, institution), _("该机构不在您的管辖范围内，不能登记案件线索。")
        )
        department = actor.department
    if source not in CaseSource.values:
        raise PenaltiesError(_("请选择案件来源。"), field="source")
    summary = (summary or "").strip()
    if not summary:
        raise PenaltiesError(_("请填写案情摘要。"), field="summary")
    now = _now(now)
    case = PenaltyCase.objects.create(
        institution=institution,
        department=department,
        source=source,
        source_order=source_order,
        source_visit=source_visit,
        source_reference=(source_reference or "").strip()[:80],
        summary=summary,
        opened_at=now,
        opened_by=actor,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        kind="case_opened",
        obj=case,
        institution_id=institution.pk,
        after=_snap(case),
        summary=_("登记案件线索（%(source)s）") % {"source": case.get_source_display()},
        now=now,
    )
    return case


def _case_step(
    *, actor, case_id, allowed, action, permission, denied_message, changes: dict, kind, summary, now
):
    case = _locked_case(case_id)
    _deny_unless(permission(actor, case), denied_message)
    _require_status(case, allowed, action)
    before = _snap(case)
    for name, value in changes.items():
        setattr(case, name, value(case) if callable(value) else value)
    case.updated_by = actor
    case.save(update_fields=[*changes, "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=kind,
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after=_snap(case),
        summary=summary,
        now=now,
    )
    return case


_WORK_DENIED = _("只有承办部门的执法人员可以办理该案件。")
_DECIDE_DENIED = _("该步骤须由承办部门负责人决定。")


@transaction.atomic
def case_review(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.LEAD,),
        action=_("开始初核"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={"status": CaseStatus.PRELIMINARY_REVIEW, "reviewed_at": now, "reviewed_by": actor},
        kind="case_reviewed",
        summary=_("开始初核"),
        now=now,
    )


@transaction.atomic
def case_file(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    due = _today(now) + datetime.timedelta(days=conf.decision_limit_days())
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.PRELIMINARY_REVIEW,),
        action=_("立案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.FILED, "filed_at": now, "filed_by": actor, "decision_due": due},
        kind="case_filed",
        summary=_("立案，应于%(due)s前作出决定") % {"due": due},
        now=now,
    )


@transaction.atomic
def case_drop(*, actor, case_id: int, reason: str, now=None) -> PenaltyCase:
    reason = (reason or "").strip()
    if not reason:
        raise PenaltiesError(_("请填写不予立案的理由。"), field="reason")
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.LEAD, CaseStatus.PRELIMINARY_REVIEW),
        action=_("不予立案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.DROPPED, "dropped_at": now, "dropped_by": actor, "drop_reason": reason},
        kind="case_dropped",
        summary=_("不予立案"),
        now=now,
    )


@transaction.atomic
def case_investigate(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.FILED,),
        action=_("开始调查取证"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={"status": CaseStatus.INVESTIGATION, "investigation_at": now, "investigation_by": actor},
        kind="case_investigation",
        summary=_("开始调查取证"),
        now=now,
    )


@transaction.atomic
def case_evidence_add(*, actor, case_id: int, description: str, file=None, now=None) -> CaseEvidence:
    case = _locked_case(case_id)
    _deny_unless(permissions.can_work_case(actor, case), _WORK_DENIED)
    _require_status(case, (CaseStatus.FILED, CaseStatus.INVESTIGATION), _("提交证据"))
    description = (description or "").strip()
    if not description:
        raise PenaltiesError(_("请填写证据名称。"), field="description")
    position = (case.evidence.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    evidence = CaseEvidence(
        case=case, position=position, description=description[:200], added_at=_now(now), added_by=actor
    )
    if file:
        digest = hashlib.sha256()
        for chunk in file.chunks():
            digest.update(chunk)
        evidence.sha256 = digest.hexdigest()
        file.seek(0)
        evidence.file.save(file.name, file, save=False)
    evidence.save()
    record_event(
        actor=actor,
        kind="case_evidence_added",
        obj=evidence,
        institution_id=case.institution_id,
        after=_snap(evidence),
        summary=_("证据%(n)d：%(d)s") % {"n": position, "d": description[:60]},
        now=now,
    )
    return evidence


@transaction.atomic
def case_notify_rights(
    *, actor, case_id: int, findings: str, proposed_penalties: str, now=None
) -> PenaltyCase:
    """Tell the party the facts and the intended penalty, and its right to state, defend or be heard."""
    findings, proposed = (findings or "").strip(), (proposed_penalties or "").strip()
    if not findings:
        raise PenaltiesError(_("请填写调查终结报告（查明的事实）。"), field="findings")
    if not proposed:
        raise PenaltiesError(_("请填写拟作出的处罚。"), field="proposed_penalties")
    now = _now(now)
    due = add_working_days(_today(now), conf.statement_working_days())
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.INVESTIGATION,),
        action=_("告知权利"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={
            "status": CaseStatus.NOTICE_OF_RIGHTS,
            "rights_notified_at": now,
            "rights_notified_by": actor,
            "investigation_findings": findings,
            "proposed_penalties": proposed,
            "statement_due": due,
        },
        kind="case_rights_notified",
        summary=_("告知陈述申辩/听证权利，期限至%(due)s") % {"due": due},
        now=now,
    )


@transaction.atomic
def case_record_statement(
    *, actor, case_id: int, statement: str, hearing_requested: bool, now=None
) -> PenaltyCase:
    statement = (statement or "").strip()
    if not statement and not hearing_requested:
        raise PenaltiesError(_("请记录当事人的陈述申辩内容，或注明要求听证。"), field="statement")
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.NOTICE_OF_RIGHTS,),
        action=_("记录陈述申辩"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={
            "statement": statement,
            "hearing_requested": bool(hearing_requested),
            "statement_recorded_at": now,
            "statement_recorded_by": actor,
        },
        kind="case_statement_recorded",
        summary=_("记录当事人陈述申辩%(h)s") % {"h": _("（要求听证）") if hearing_requested else ""},
        now=now,
    )


def _clean_penalties(penalties) -> list[dict]:
    cleaned = []
    for raw in penalties:
        kind = raw.get("kind") or ""
        if not kind:
            continue
        if kind not in PenaltyKind.values:
            raise PenaltiesError(_("未知的处罚种类。"), field="penalties")
        label = PenaltyKind(kind).label
        basis = (raw.get("legal_basis") or "").strip()
        if not basis:
            raise PenaltiesError(_("“%(kind)s”缺少法律依据。") % {"kind": label}, field="penalties")
        amount = None
        if kind in MONETARY_PENALTIES:
            amount = parse_amount(raw.get("amount"), field_label=_("%(kind)s金额") % {"kind": label})
            if amount == 0 and kind == PenaltyKind.FINE:
                raise PenaltiesError(_("罚款金额必须大于零。"), field="amount")
        cleaned.append(
            {
                "kind": kind,
                "amount": amount,
                "legal_basis": basis[:300],
                "note": (raw.get("note") or "").strip()[:200],
            }
        )
    if not cleaned:
        raise PenaltiesError(_("请至少选择一项处罚。"), field="penalties")
    return cleaned


@transaction.atomic
def case_decide(*, actor, case_id: int, facts: str, penalties: list[dict], now=None) -> Decision:
    """处罚决定 by the department head: numbered (罚字) here, PDF rendered after commit."""
    case = _locked_case(case_id)
    _deny_unless(permissions.can_decide_case(actor, case), _("只有承办部门负责人可以作出处罚决定。"))
    _require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("作出处罚决定"))
    today = _today(now)
    if case.statement_recorded_at is None and case.statement_due and today <= case.statement_due:
        raise TransitionNotAllowed(
            _("当事人陈述申辩期限（%(due)s）未满且未记录其意见，暂不能作出决定。")
            % {"due": case.statement_due}
        )
    facts = (facts or "").strip()
    if not facts:
        raise PenaltiesError(_("请填写经查明的事实。"), field="facts")
    cleaned = _clean_penalties(penalties)
    now = _now(now)
    before = _snap(case)
    decision = Decision(case=case, facts=facts, decided_at=now, decided_by=actor)
    _assign_number(decision, kind=DocumentKind.PENALTY_DECISION, department=case.department, now=now)
    decision.save()
    Penalty.objects.bulk_create(
        [Penalty(decision=decision, position=i, **p) for i, p in enumerate(cleaned, 1)]
    )
    case.status, case.decided_at, case.decided_by, case.updated_by = CaseStatus.DECIDED, now, actor, actor
    case.service_due = add_working_days(today, conf.service_working_days())
    case.save(update_fields=["status", "decided_at", "decided_by", "service_due", "updated_by", "updated_at"])
    register_document(
        obj=decision,
        kind=ServedDocument.PENALTY_DECISION,
        number=decision.number,
        title=str(ServedDocument.PENALTY_DECISION.label),
        issuer_name=case.department.name,
        subject_name=case.institution.name,
        issued_at=now,
    )
    record_event(
        actor=actor,
        kind="case_decided",
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after={
            **_snap(case),
            "decision": decision.number,
            "penalties": [
                {**p, "amount": str(p["amount"]) if p["amount"] is not None else None} for p in cleaned
            ],
        },
        summary=_("作出处罚决定 %(number)s") % {"number": decision.number},
        now=now,
    )
    _queue_pdf("decision", decision.pk)
    return decision


@transaction.atomic
def case_serve(*, actor, case_id: int, data: dict, now=None) -> ServiceRecord:
    case = _locked_case(case_id)
    _deny_unless(permissions.can_work_case(actor, case), _WORK_DENIED)
    _require_status(case, (CaseStatus.DECIDED,), _("送达决定书"))
    decision = case.decision
    cleaned = _validate_service(data=data, issued_at=decision.decided_at, now=now)
    record = _record_service(
        actor=actor,
        document_type=ServedDocument.PENALTY_DECISION,
        document_id=decision.pk,
        number=decision.number,
        institution=case.institution,
        data=cleaned,
        now=now,
    )
    before = _snap(case)
    case.status, case.served_at, case.updated_by = CaseStatus.SERVED, record.served_at, actor
    fields = ["status", "served_at", "updated_by", "updated_at"]
    if decision.penalties.filter(kind=PenaltyKind.FINE).exists():
        case.payment_due = timezone.localdate(record.served_at) + datetime.timedelta(
            days=conf.fine_payment_days()
        )
        fields.append("payment_due")
    case.save(update_fields=fields)
    record_event(
        actor=actor,
        kind="case_served",
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after={**_snap(case), "service": _snap(record)},
        summary=_("送达处罚决定书 %(number)s") % {"number": decision.number},
        now=now,
    )
    return record


def _revoke_licences(*, case: PenaltyCase, actor, now) -> int:
    """吊销办学许可证: institutions.services has no revocation call yet, so the state change is made here
    on locked rows, recorded, and the register standing re-derived through institutions.services."""
    from institutions import services as institution_services

    revoke = getattr(institution_services, "licence_revoke", None)
    licences = list(
        Licence.objects.select_for_update().filter(
            institution_id=case.institution_id,
            kind__in=REVOCABLE_LICENCE_KINDS,
            state__in=(LicenceState.VALID, LicenceState.SUSPENDED, LicenceState.EXPIRED),
        )
    )
    reason = _("处罚决定 %(number)s 吊销") % {"number": case.decision.number}
    for licence in licences:
        if revoke is not None:
            revoke(actor=actor, licence_id=licence.pk, reason=reason)
            continue
        before = {"state": licence.state}
        licence.state, licence.updated_by = LicenceState.REVOKED, actor
        licence.save(update_fields=["state", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            kind="licence_revoked",
            obj=licence,
            institution_id=case.institution_id,
            before=before,
            after={"state": LicenceState.REVOKED},
            summary=f"{licence}：{reason}",
            now=now,
        )
    if revoke is None:
        institution = Institution.objects.select_for_update().get(pk=case.institution_id)
        institution_services.refresh_standing(institution=institution, actor=actor, today=_today(now))
    return len(licences)


@transaction.atomic
def case_execute(*, actor, case_id: int, note: str, now=None) -> PenaltyCase:
    """Record execution (执行); a licence revocation takes effect on the register here."""
    case = _locked_case(case_id)
    _deny_unless(permissions.can_work_case(actor, case), _WORK_DENIED)
    _require_status(case, (CaseStatus.SERVED,), _("记录执行"))
    note = (note or "").strip()
    if not note:
        raise PenaltiesError(_("请填写执行情况。"), field="note")
    now = _now(now)
    kinds = set(case.decision.penalties.values_list("kind", flat=True))
    if PenaltyKind.LICENCE_REVOCATION in kinds:
        _revoke_licences(case=case, actor=actor, now=now)
    if PenaltyKind.BAN in kinds:
        from institutions.services import institution_set_operating_state

        institution_set_operating_state(actor=actor, institution_id=case.institution_id, state="banned",
                                        reason=str(_("处罚决定 %(number)s 取缔") % {"number": case.decision.number}))
    before = _snap(case)
    case.status, case.executed_at, case.executed_by = CaseStatus.EXECUTED, now, actor
    case.execution_note, case.updated_by = note, actor
    case.save(
        update_fields=["status", "executed_at", "executed_by", "execution_note", "updated_by", "updated_at"]
    )
    record_event(
        actor=actor,
        kind="case_executed",
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after=_snap(case),
        summary=_("处罚决定执行完毕"),
        now=now,
    )
    return case


@transaction.atomic
def case_close(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.EXECUTED,),
        action=_("结案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.CLOSED, "closed_at": now, "closed_by": actor},
        kind="case_closed",
        summary=_("结案"),
        now=now,
    )
