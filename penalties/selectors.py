"""Reads: queues and pages of orders, notices and cases, each a queryset filtered by what the user may see."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from publicity.models import DecisionPublication, PublicationSource
from regulator.models import AuditEvent, Notification
from regulator.paging import keyset_page

from . import permissions
from .models import (
    ORDER_RUNNING,
    CaseStatus,
    ElectronicServiceConsent,
    OrderStatus,
    PenaltyCase,
    Provision,
    ProvisionRole,
    RectificationOrder,
    ServedDocument,
    ServiceRecord,
    SuspensionNotice,
)

# Heads' queues of this issue (the queues issue gathers them): name → label lives in the template.
ORDER_QUEUES = ("awaiting_approval", "due_soon", "overdue", "escalated", "all")
CASE_QUEUES = ("awaiting_decision", "open", "all")


def order_queue(*, user, queue: str, today: datetime.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    queryset = permissions.visible_orders(user).select_related("institution", "department")
    if queue == "awaiting_approval":
        return queryset.filter(status=OrderStatus.DRAFT, department_id=user.department_id)
    if queue == "due_soon":
        return queryset.filter(status__in=ORDER_RUNNING, deadline__lte=today + datetime.timedelta(days=7))
    if queue == "overdue":
        return queryset.filter(status=OrderStatus.OVERDUE)
    if queue == "escalated":
        return queryset.filter(status=OrderStatus.ESCALATED)
    return queryset


def case_queue(*, user, queue: str) -> QuerySet:
    queryset = permissions.visible_cases(user).select_related("institution", "department")
    if queue == "awaiting_decision":
        return queryset.filter(
            department_id=user.department_id,
            status__in=(
                CaseStatus.LEAD,
                CaseStatus.PRELIMINARY_REVIEW,
                CaseStatus.INVESTIGATED,
                CaseStatus.NOTICE_OF_RIGHTS,
                CaseStatus.EXECUTED,
            ),
        )
    if queue == "open":
        return queryset.exclude(
            status__in=(CaseStatus.CLOSED, CaseStatus.DROPPED, CaseStatus.WITHDRAWN, CaseStatus.REFERRED)
        )
    return queryset


def suspension_list(*, user) -> QuerySet:
    return permissions.visible_suspensions(user).select_related("institution", "department")


def page(queryset: QuerySet, *, after: int | None, size: int = 30):
    return keyset_page(queryset, after=after, size=size)


def _history(obj, extra_types=()) -> list[AuditEvent]:
    types = [obj._meta.label_lower, *extra_types]
    return list(
        AuditEvent.objects.filter(object_type__in=types, institution_id=obj.institution_id)
        .filter(object_id=str(obj.pk))
        .order_by("id")[:200]
    )


def order_page(*, order: RectificationOrder) -> dict:
    return {
        "items": list(order.items.select_related("closed_by").prefetch_related("provisions")),
        "extension": getattr(order, "extension", None) if order.original_deadline else None,
        "service": ServiceRecord.objects.filter(
            document_type=ServedDocument.RECTIFICATION_ORDER, document_id=order.pk
        )
        .select_related("server")
        .first(),
        "history": _history(order),
        "case": PenaltyCase.objects.filter(source_order=order).first(),
    }


def suspension_page(*, notice: SuspensionNotice) -> dict:
    return {
        "refunds": list(notice.refunds.all()),
        "service": ServiceRecord.objects.filter(
            document_type=ServedDocument.SUSPENSION_NOTICE, document_id=notice.pk
        )
        .select_related("server")
        .first(),
        "history": _history(notice),
    }


def case_page(*, case: PenaltyCase) -> dict:
    decision = getattr(case, "decision", None) if case.decided_at else None
    return {
        "evidence": list(case.evidence.all()),
        "decision": decision,
        "penalties": list(decision.penalties.all()) if decision else [],
        "service": ServiceRecord.objects.filter(
            document_type=ServedDocument.PENALTY_DECISION, document_id=decision.pk
        ).first()
        if decision
        else None,
        "history": _history(case),
        "documents": list(case.documents.order_by("id")),
        "publication": DecisionPublication.objects.filter(
            source_type=PublicationSource.PENALTY_DECISION, source_id=str(case.pk)).first() if decision else None,
    }


def inbox(*, user, unread_only: bool = False) -> QuerySet:
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset


def electronic_consents(*, institution_id: int) -> list:
    """The institution's consents to electronic service (电子送达确认书), newest first, withdrawn ones included."""
    return list(ElectronicServiceConsent.objects.filter(institution_id=institution_id).order_by("-consented_at")[:10])


def obligation_provisions() -> list:
    """The active obligation articles of the provision library, for picking an order item's legal basis."""
    return list(Provision.objects.filter(active=True, role=ProvisionRole.OBLIGATION).order_by("position", "id"))
