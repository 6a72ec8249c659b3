"""Rectification orders (责令限期整改通知书): drafting (by hand or from a visit's problem items), approval,
service, item-by-item closing (销号), one extension, cancellation, and the chaser's overdue and escalation steps.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import services as inspection_services
from inspections.models import ProblemItem, ProblemStatus, Visit, VisitStatus
from institutions.models import Institution
from publicity import publications
from regulator import uploads
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status
from regulator.models import VerificationRecord

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import (
    ORDER_OPEN,
    CaseSource,
    ClosingMethod,
    DocumentKind,
    Extension,
    ItemStatus,
    OrderItem,
    OrderStatus,
    PenaltyCase,
    Provision,
    ProvisionRole,
    RectificationOrder,
    ServedDocument,
    ServiceRecord,
)
from .cases import case_open
from .common import _checked_file, _now, _snap, _today, validate_deadline
from .documents import _approve_document, _queue_pdf, _serve_document


def _provisions(ids) -> list[Provision]:
    """The active library provisions of `ids` (ints, strings or Provision rows), in the order given."""
    wanted = [getattr(value, "pk", value) for value in ids or ()]
    try:
        wanted = list(dict.fromkeys(int(value) for value in wanted))
    except (TypeError, ValueError):
        raise ServiceError(_("所选法律条款无效。"), field="items") from None
    found = Provision.objects.in_bulk(wanted)
    if len(found) != len(wanted) or not all(provision.active for provision in found.values()):
        raise ServiceError(_("所选法律条款不存在或已停用。"), field="items")
    return [found[pk] for pk in wanted]


def checklist_provisions(item_code: str) -> list[Provision]:
    """The library's obligation articles mapped to a checklist item (Provision.checklist_codes)."""
    # In Python, not a JSON `contains` lookup: the library is small and SQLite (the demo) has no such lookup.
    library = Provision.objects.filter(active=True, role=ProvisionRole.OBLIGATION).order_by("position", "id")
    return [provision for provision in library if item_code in (provision.checklist_codes or [])]


def _clean_items(items) -> list[dict]:
    cleaned = []
    for raw in items:
        text = (raw.get("text") or "").strip()
        basis = (raw.get("legal_basis") or "").strip()
        provisions = _provisions(raw.get("provisions"))
        if not text and not basis and not provisions:
            continue
        if not text:
            raise ServiceError(_("每个整改事项都要写明问题。"), field="items")
        if not basis and not provisions:
            raise ServiceError(
                _("整改事项“%(text)s”缺少法律依据：请从条款库选择违反的规定，或填写补充依据。") % {"text": text[:20]},
                field="items",
            )
        if len(basis) > 300:
            raise ServiceError(_("法律依据不能超过300字。"), field="items")
        cleaned.append(
            {"text": text, "legal_basis": basis, "provisions": provisions, "problem_item": raw.get("problem_item")}
        )
    if not cleaned:
        raise ServiceError(_("至少需要一个整改事项。"), field="items")
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
    if not permissions.can_draft_for(actor, institution):
        raise ActionForbidden(_("该机构不在您的管辖范围内，不能下达整改通知。"))
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
    rows = OrderItem.objects.bulk_create(
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
    OrderItem.provisions.through.objects.bulk_create(
        [
            OrderItem.provisions.through(orderitem_id=row.pk, provision_id=provision.pk)
            for row, item in zip(rows, cleaned, strict=True)
            for provision in item["provisions"]
        ]
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.ORDER_DRAFTED,
        obj=order,
        institution_id=institution.pk,
        after={
            **_snap(order),
            "items": [
                {"text": i["text"], "legal_basis": i["legal_basis"],
                 "provisions": [p.citation for p in i["provisions"]]}
                for i in cleaned
            ],
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
    legal_bases: dict | None = None,
    provisions: dict | None = None,
    deadline: datetime.date | None = None,
    requirements: str = "",
    now=None,
) -> RectificationOrder:
    """Draft an order from open problem items of one submitted visit, for the actor's own department.

    Each item's legal basis: the provisions picked (`provisions`: problem id → provision ids; where none is given
    for a problem, the library's articles mapped to its checklist item), with `legal_bases` (problem id → free
    text) only as a supplement."""
    legal_bases, provisions = legal_bases or {}, provisions

    visit = Visit.objects.select_related("institution").get(pk=visit_id)
    require_status(visit, (VisitStatus.SUBMITTED,), message=_("检查尚未提交，不能据此下达整改通知。"))
    if not problem_item_ids:
        raise ServiceError(_("请至少选择一个问题项。"), field="items")
    problems = list(ProblemItem.objects.filter(visit=visit, pk__in=problem_item_ids).order_by("id"))
    if len(problems) != len(set(problem_item_ids)):
        raise ServiceError(_("所选问题项不属于该次检查。"), field="items")
    for problem in problems:
        if problem.status != ProblemStatus.OPEN:
            raise ServiceError(_("问题项“%(code)s”已销号。") % {"code": problem.item_code}, field="items")
        if problem.department_id != actor.department_id:
            raise ActionForbidden(_("问题项“%(code)s”由其他部门负责。") % {"code": problem.item_code})
    on_open_order = (
        OrderItem.objects.filter(
            problem_item__in=problems, order__status__in=(OrderStatus.DRAFT, *ORDER_OPEN)
        )
        .values_list("problem_item__item_code", flat=True)
        .first()
    )
    if on_open_order:
        raise ServiceError(
            _("问题项“%(code)s”已在另一份整改通知书中。") % {"code": on_open_order}, field="items"
        )
    items = []
    for problem in problems:
        # The violation found (the inspector's finding), not the checklist's standard; the standard only
        # where the inspector wrote nothing.
        text = problem.finding.strip() or problem.item_text
        items.append(
            {
                "text": text,
                "legal_basis": legal_bases.get(problem.pk) or legal_bases.get(str(problem.pk)),
                "provisions": (
                    provisions.get(problem.pk, provisions.get(str(problem.pk)))
                    if provisions is not None and (problem.pk in provisions or str(problem.pk) in provisions)
                    else checklist_provisions(problem.item_code)
                ),
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


@transaction.atomic
def order_approve(*, actor, order_id: int, now=None) -> RectificationOrder:
    order = _locked_order(order_id)
    if not permissions.is_issuing_head(actor, order):
        raise ActionForbidden(_("只有下达部门的负责人可以批准整改通知书。"))
    require_status(order, (OrderStatus.DRAFT,), _("批准"))
    if not permissions.can_approve(actor, order):
        raise ActionForbidden(_("不能批准自己拟制的文书，请由其他负责人批准。"))
    validate_deadline(order.deadline, _today(now))
    now = _now(now)
    _approve_document(
        order, actor=actor, now=now, status=OrderStatus.APPROVED, number_kind=DocumentKind.RECTIFICATION_ORDER,
        served_kind=ServedDocument.RECTIFICATION_ORDER, event=PenaltiesAuditKind.ORDER_APPROVED,
        summary=_("批准整改通知书 %(number)s"),
    )
    _queue_pdf("order", order.pk)
    return order


@transaction.atomic
def order_serve(*, actor, order_id: int, data: dict, now=None) -> ServiceRecord:
    order = _locked_order(order_id)
    if not permissions.can_serve(actor, order):
        raise ActionForbidden(_("只有下达部门可以送达该整改通知书。"))
    if order.served_at:
        raise TransitionNotAllowed(
            _("该整改通知书已于%(at)s送达，不能重复送达。")
            % {"at": timezone.localtime(order.served_at).strftime("%Y-%m-%d %H:%M")}
        )
    require_status(order, (OrderStatus.APPROVED,), _("送达"))
    record = _serve_document(
        order, actor=actor, data=data, now=now, status=OrderStatus.SERVED,
        served_kind=ServedDocument.RECTIFICATION_ORDER, event=PenaltiesAuditKind.ORDER_SERVED,
        summary=_("送达整改通知书（%(method)s）"),
    )
    return record


def _close_problem_item(problem_item_id, *, actor, now) -> None:
    """Close the inspections ProblemItem behind an order item through inspections' own service."""

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
    if not permissions.can_close_items(actor, order):
        raise ActionForbidden(_("只有下达整改通知书的部门可以销号。"))
    if item.status == ItemStatus.CLOSED:
        closer = item.closed_by.full_name or item.closed_by.username if item.closed_by_id else ""
        raise TransitionNotAllowed(
            _("该事项已由%(who)s于%(at)s销号，无需重复操作。")
            % {"who": closer, "at": timezone.localtime(item.closed_at).strftime("%Y-%m-%d %H:%M")}
        )
    require_status(order, ORDER_OPEN, _("销号"))
    if method not in ClosingMethod.values:
        raise ServiceError(_("请选择核实方式（复查或书面材料）。"), field="method")
    note = (note or "").strip()
    if method == ClosingMethod.DOCUMENTS and not evidence:
        raise ServiceError(_("书面材料核实须上传机构提交的整改材料。"), field="evidence")
    if method == ClosingMethod.REINSPECTION and not note:
        raise ServiceError(_("请填写复查核实情况。"), field="note")
    evidence = _checked_file(evidence, accept={uploads.IMAGE, uploads.PDF}, field="evidence")
    now = _now(now)
    before = _snap(item)
    item.status, item.closed_at, item.closed_by = ItemStatus.CLOSED, now, actor
    item.closing_method, item.closing_note = method, note
    if evidence:
        item.evidence.save(uploads.new_name(evidence.extension), evidence.content, save=False)
    item.save(
        update_fields=["status", "closed_at", "closed_by", "closing_method", "closing_note", "evidence"]
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.ORDER_ITEM_CLOSED,
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
            kind=PenaltiesAuditKind.ORDER_CLOSED,
            obj=order,
            institution_id=order.institution_id,
            before=before,
            after=_snap(order),
            summary=_("全部事项已销号，整改通知书办结"),
            now=now,
        )
        _publish_result(order, actor=actor)
    return item


def _publish_result(order: RectificationOrder, *, actor) -> None:
    """A closed order's rectification result goes on the public site (publicity.publications)."""
    publications.order_result_publish(
        order_id=order.pk, institution=order.institution, department_id=order.department_id,
        number=order.number, closed_at=order.closed_at, actor=actor,
        items=list(order.items.order_by("position").values_list("text", flat=True)),
    )


@transaction.atomic
def order_extend(*, actor, order_id: int, new_deadline, reason: str, now=None) -> Extension:
    order = _locked_order(order_id)
    if not permissions.can_extend(actor, order):
        raise ActionForbidden(_("只有下达部门的负责人可以批准延期。"))
    require_status(order, (OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.OVERDUE), _("延期"))
    if Extension.objects.filter(order=order).exists():
        raise TransitionNotAllowed(_("整改期限只能延长一次。"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写延期理由。"), field="reason")
    validate_deadline(new_deadline, _today(now))
    if new_deadline <= order.deadline:
        raise ServiceError(
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
        kind=PenaltiesAuditKind.ORDER_EXTENDED,
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
    if not permissions.can_cancel(actor, order):
        raise ActionForbidden(_("只有下达部门的负责人可以撤销整改通知书。"))
    require_status(order, (OrderStatus.DRAFT, OrderStatus.APPROVED), _("撤销"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写撤销原因。"), field="reason")
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
        kind=PenaltiesAuditKind.ORDER_CANCELLED,
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
            kind=PenaltiesAuditKind.ORDER_CLOSED,
            obj=order,
            institution_id=order.institution_id,
            before=before,
            after=_snap(order),
            summary=_("全部事项已销号，整改通知书办结"),
            now=now,
        )
        _publish_result(order, actor=None)
        return False
    order.status, order.overdue_at = OrderStatus.OVERDUE, now
    order.save(update_fields=["status", "overdue_at", "updated_at"])
    record_event(
        actor=None,
        kind=PenaltiesAuditKind.ORDER_OVERDUE,
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
        kind=PenaltiesAuditKind.ORDER_ESCALATED,
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
