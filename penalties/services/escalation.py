"""The chaser's escalation step, set-based: a batch of overdue orders past the grace period is escalated in one
statement, each gets its penalty-case lead (立案线索) in one INSERT, and the audit events of both are appended in
bulk (regulator.audit.record_events).

`order_escalate` (orders.py) is the same step for one locked order. On PostgreSQL the batch is one
`WITH picked AS (SELECT … FOR UPDATE SKIP LOCKED) UPDATE … RETURNING`, as the overdue step's (overdue.py): two
chasers at once never take the same order, and the case's unique source_order would refuse a second lead anyway.
Other databases (SQLite, the demo) serialise writers, so plain statements do.
"""

from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from regulator.audit import PendingEvent, record_events

from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseSource, ItemStatus, OrderItem, OrderStatus, PenaltyCase, RectificationOrder
from .common import _today
from .overdue import raw_snapshot, returning_columns, rows_to_orders


@dataclass(frozen=True)
class EscalatedOrder:
    """An order the batch escalated, the lead opened for it, and what the notices and proposals need."""

    order: RectificationOrder
    case: PenaltyCase
    institution_name: str
    region_id: str


def _take_postgresql(*, limit, now, size) -> list[tuple[RectificationOrder, dict, str, str]]:
    orders = connection.ops.quote_name(RectificationOrder._meta.db_table)
    institutions = connection.ops.quote_name(
        RectificationOrder._meta.get_field("institution").related_model._meta.db_table)
    sql = (
        f"WITH picked AS ("  # noqa: S608 - table and column names from the models, values as parameters
        f" SELECT o.id, o.status AS old_status, o.escalated_at AS old_escalated_at"
        f" FROM {orders} o WHERE o.status = %s AND o.deadline < %s"
        f" ORDER BY o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED)"
        f" UPDATE {orders} AS t SET status = %s, escalated_at = %s, updated_at = %s"
        f" FROM picked, {institutions} AS inst"
        f" WHERE t.id = picked.id AND inst.id = t.institution_id"
        f" RETURNING {returning_columns()}, picked.old_status, picked.old_escalated_at, inst.name, inst.region_id"
    )
    params = [OrderStatus.OVERDUE.value, limit, size, OrderStatus.ESCALATED.value, now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(order, {"status": status, "escalated_at": escalated_at}, name, region)
            for order, (status, escalated_at, name, region) in rows_to_orders(rows, 4)]


def _take_other(*, limit, now, size) -> list[tuple[RectificationOrder, dict, str, str]]:
    picked = list(RectificationOrder.objects.filter(status=OrderStatus.OVERDUE, deadline__lt=limit)
                  .order_by("pk").values("pk", "status", "escalated_at")[:size])
    if not picked:
        return []
    ids = [row["pk"] for row in picked]
    RectificationOrder.objects.filter(pk__in=ids).update(status=OrderStatus.ESCALATED, escalated_at=now,
                                                        updated_at=now)
    old = {row["pk"]: {"status": row["status"], "escalated_at": row["escalated_at"]} for row in picked}
    orders = RectificationOrder.objects.filter(pk__in=ids).select_related("institution").order_by("pk")
    return [(order, old[order.pk], order.institution.name, order.institution.region_id) for order in orders]


def orders_escalate_batch(*, limit, now, size: int) -> list[EscalatedOrder]:
    """Chaser step over the next `size` overdue orders whose deadline is before `limit` (the grace period over),
    in the caller's transaction: each is escalated and gets a penalty-case lead (CaseSource.OVERDUE_ORDER, no
    actor: the chaser), with the two audit events order_escalate and case_open write. Returns them by order id;
    [] when none is left.

    PostgreSQL: one UPDATE … RETURNING, one SELECT of the batch's open items, one INSERT of the cases and the
    three statements of record_events per batch."""
    taken = (_take_postgresql if connection.vendor == "postgresql" else _take_other)(limit=limit, now=now, size=size)
    if not taken:
        return []
    open_items: dict[int, list[str]] = {}
    for order_id, text in (OrderItem.objects.filter(order_id__in=[order.pk for order, *_rest in taken],
                                                    status=ItemStatus.OPEN)
                           .order_by("order_id", "position").values_list("order_id", "text")):
        open_items.setdefault(order_id, []).append(text)
    today = _today(now)
    summary = _("%(number)s 逾期未整改，未销号事项：%(items)s")
    cases = PenaltyCase.objects.bulk_create([
        PenaltyCase(institution_id=order.institution_id, department_id=order.department_id,
                    source=CaseSource.OVERDUE_ORDER, source_order_id=order.pk,
                    summary=summary % {"number": order.number, "items": "；".join(open_items.get(order.pk, []))},
                    opened_at=now)
        for order, *_rest in taken
    ])
    escalated_summary = _("逾期%(days)d天仍未整改，升级为处罚案件线索")
    opened_summary = _("登记案件线索（%(source)s）") % {"source": CaseSource.OVERDUE_ORDER.label}
    order_type, case_type = RectificationOrder._meta.label_lower, PenaltyCase._meta.label_lower
    events, escalated = [], []
    for (order, old, name, region), case in zip(taken, cases, strict=True):
        after = raw_snapshot(order)
        events.append(PendingEvent(kind=PenaltiesAuditKind.ORDER_ESCALATED, institution_id=order.institution_id,
                                   object_type=order_type, object_id=order.pk, before={**after, **old},
                                   after=after, summary=escalated_summary % {"days": (today - order.deadline).days}))
        events.append(PendingEvent(kind=PenaltiesAuditKind.CASE_OPENED, institution_id=order.institution_id,
                                   object_type=case_type, object_id=case.pk, after=raw_snapshot(case),
                                   summary=opened_summary))
        escalated.append(EscalatedOrder(order=order, case=case, institution_name=name, region_id=region))
    record_events(actor=None, events=events, now=now)
    return escalated
