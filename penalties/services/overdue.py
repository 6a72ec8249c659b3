"""The chaser's overdue step, set-based: a batch of running orders past their deadline changes state in one
statement, and its audit events are appended in bulk (regulator.audit.record_events).

`order_mark_overdue` (orders.py) is the same step for one order; this is what the daily chaser runs over
thousands. On PostgreSQL a batch is one `WITH picked AS (SELECT … FOR UPDATE SKIP LOCKED) UPDATE … RETURNING`:
the rows are taken, re-checked and changed in one statement, so two chasers at once never take the same row and
a row changed by someone else since it was found drops out (EvalPlanQual re-evaluates the filter on the locked
row). Other databases (SQLite, the demo) serialise writers, so three plain statements do.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Exists, OuterRef, Value, When
from django.utils.translation import gettext as _

from regulator.audit import PendingEvent, record_events

from ..audit_kinds import PenaltiesAuditKind
from ..models import ORDER_RUNNING, ItemStatus, OrderItem, OrderStatus, RectificationOrder


@dataclass(frozen=True)
class MarkedOrder:
    """An order the batch changed: the row after the change, and whether it went overdue (else: closed)."""

    order: RectificationOrder
    institution_name: str
    overdue: bool


def _fields():
    return list(RectificationOrder._meta.concrete_fields)


def _batch_postgresql(*, today, now, size) -> list[tuple[RectificationOrder, dict, str]]:
    orders = connection.ops.quote_name(RectificationOrder._meta.db_table)
    items = connection.ops.quote_name(OrderItem._meta.db_table)
    institutions = connection.ops.quote_name(RectificationOrder._meta.get_field("institution").related_model
                                             ._meta.db_table)
    returning = returning_columns()
    running = list(ORDER_RUNNING)
    sql = (
        f"WITH picked AS ("  # noqa: S608 - table and column names from the models, values as parameters
        f" SELECT o.id, o.status AS old_status, o.overdue_at AS old_overdue_at, o.closed_at AS old_closed_at,"
        f" EXISTS (SELECT 1 FROM {items} i WHERE i.order_id = o.id AND i.status = %s) AS has_open"
        f" FROM {orders} o WHERE o.status = ANY(%s) AND o.deadline < %s"
        f" ORDER BY o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED)"
        f" UPDATE {orders} AS t SET"
        f" status = CASE WHEN picked.has_open THEN %s ELSE %s END,"
        f" overdue_at = CASE WHEN picked.has_open THEN %s ELSE t.overdue_at END,"
        f" closed_at = CASE WHEN picked.has_open THEN t.closed_at ELSE %s END,"
        f" updated_at = %s"
        f" FROM picked, {institutions} AS inst"
        f" WHERE t.id = picked.id AND inst.id = t.institution_id"
        f" RETURNING {returning}, picked.old_status, picked.old_overdue_at, picked.old_closed_at, inst.name"
    )
    params = [ItemStatus.OPEN.value, running, today, size, OrderStatus.OVERDUE.value, OrderStatus.CLOSED.value,
              now, now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    changed = []
    for order, (old_status, old_overdue_at, old_closed_at, name) in rows_to_orders(rows, 4):
        changed.append((order, {"status": old_status, "overdue_at": old_overdue_at, "closed_at": old_closed_at},
                        name))
    return changed


def _batch_other(*, today, now, size) -> list[tuple[RectificationOrder, dict, str]]:
    due = RectificationOrder.objects.filter(status__in=ORDER_RUNNING, deadline__lt=today)
    picked = list(
        due.order_by("pk")
        .annotate(has_open=Exists(OrderItem.objects.filter(order=OuterRef("pk"), status=ItemStatus.OPEN)))
        .values("pk", "status", "overdue_at", "closed_at", "has_open")[:size]
    )
    if not picked:
        return []
    ids = [row["pk"] for row in picked]
    open_ids = [row["pk"] for row in picked if row["has_open"]]
    RectificationOrder.objects.filter(pk__in=ids).update(
        status=Case(When(pk__in=open_ids, then=Value(OrderStatus.OVERDUE.value)),
                    default=Value(OrderStatus.CLOSED.value)),
        overdue_at=Case(When(pk__in=open_ids, then=Value(now)), default="overdue_at"),
        closed_at=Case(When(pk__in=open_ids, then="closed_at"), default=Value(now)),
        updated_at=now,
    )
    old = {row["pk"]: row for row in picked}
    orders = RectificationOrder.objects.filter(pk__in=ids).select_related("institution").order_by("pk")[:size]
    return [
        (order, {key: old[order.pk][key] for key in ("status", "overdue_at", "closed_at")}, order.institution.name)
        for order in orders
    ]


_NOT_SNAPSHOT = {"created_at", "updated_at", "created_by", "updated_by"}  # as regulator.audit.snapshot


def raw_snapshot(instance) -> dict:
    """penalties.services.common._snap of a row, before its JSON round trip (record_events makes that once for
    the whole batch): every concrete field by name, foreign keys by id, files by their stored name."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in _NOT_SNAPSHOT:
            continue
        value = instance.__dict__.get(field.attname)
        data[field.name] = str(getattr(value, "name", value) or "") if field.get_internal_type() == "FileField" \
            else value
    return data


def rows_to_orders(rows, extra: int) -> list[tuple[RectificationOrder, tuple]]:
    """The rows of an `UPDATE … RETURNING t.<every column>, <extra more>` as (order, the extra values), by id."""
    fields = _fields()
    attnames = [field.attname for field in fields]
    width = len(fields)
    return [(RectificationOrder.from_db(connection.alias, attnames, row[:width]), tuple(row[width:]))
            for row in sorted(rows, key=lambda row: row[0])]


def returning_columns(alias: str = "t") -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in _fields())


def orders_mark_overdue_batch(*, today, now, size: int) -> list[MarkedOrder]:
    """Chaser step over the next `size` running orders whose deadline has passed, in the caller's transaction:
    those with items open go overdue, the others are closed (all items were closed by hand); one audit event
    each, as order_mark_overdue writes. Returns the orders changed, by id; [] when none is left.

    PostgreSQL: one UPDATE … RETURNING and the three statements of record_events per batch."""
    batch = (_batch_postgresql if connection.vendor == "postgresql" else _batch_other)(
        today=today, now=now, size=size
    )
    events, marked = [], []
    overdue_summary, closed_summary = _("整改期限（%(d)s）已过，逾期未整改"), _("全部事项已销号，整改通知书办结")
    object_type = RectificationOrder._meta.label_lower
    for order, old, name in batch:
        overdue = order.status == OrderStatus.OVERDUE
        after = raw_snapshot(order)
        before = {**after, **old}  # only these three fields changed
        if overdue:
            kind, summary = PenaltiesAuditKind.ORDER_OVERDUE, overdue_summary % {"d": order.deadline}
        else:
            kind, summary = PenaltiesAuditKind.ORDER_CLOSED, closed_summary
        events.append(PendingEvent(kind=kind, institution_id=order.institution_id, object_type=object_type,
                                   object_id=order.pk, before=before, after=after, summary=summary))
        marked.append(MarkedOrder(order=order, institution_name=name, overdue=overdue))
    record_events(actor=None, events=events, now=now)
    return marked
