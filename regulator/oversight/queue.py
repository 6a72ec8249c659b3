"""The heads' queue (待办): everything awaiting a department's action, from every app, in one UNION query.

Each kind is registered by the app that owns it (QueueKind in regulator/registry.py, declared in `<app>/oversight.py`):
a queryset over the app's model, filtered by the user's department (or, for the joint office's kinds, by its region)
and by the awaiting status, reduced to the same columns (COLUMNS) and combined with UNION ALL. A page is ordered in
the database and cut with LIMIT/OFFSET; each branch is cut to the same limit first, so PostgreSQL keeps a top-N per
branch instead of sorting the whole backlog, and nothing counts the union. The navigation's figures are one query
of capped counts (nav_counts).

Assigning rows to an inspector (queue_assign) writes QueueAssignment rows, keyed by the subject and its
id so that the assignment follows an order from due soon to overdue to escalated (one subject, several kinds).
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulator import calendar
from regulator.audit import record_event
from regulator.audit_kinds import RegulatorAuditKind
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import CODE_LENGTH, Notification, QueueAssignment, Region, Role, User
from regulator.params import parse_id, parse_page
from regulator.registry import QueueKind, registry
from regulator.scope import is_staff_member

COLUMNS = ("q_kind", "q_id", "q_step", "q_inst", "q_name", "q_since", "q_due", "q_region", "q_assignee")
PAGE_SIZE = 30
MAX_PAGE = 200  # OFFSET beyond 6,000 rows helps nobody; narrow the filters instead
NAV_CAP = 999  # the navigation shows "999+" above this (counts stop at cap + 1 rows per kind)
MAX_ASSIGN_ROWS = 200
AMBER_DAYS = 3  # rows due within 3 days are amber


class Lateness:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"
    CHOICES = (
        (OVERDUE, _("已逾期")),
        (DUE_SOON, _("3 天内到期")),
        (ON_TIME, _("未到期/无期限")),
    )


SORTS = (
    ("due", _("按期限（最紧迫在前）")),
    ("since", _("按等待时间（最久在前）")),
    ("-since", _("按等待时间（最新在前）")),
)


# ---- the kinds -------------------------------------------------------------------------------------------
# Each app declares its kinds (regulator/registry.py QueueKind) in its own oversight.py: the rows
# awaiting action, when they began waiting, their deadline, and what exactly each status awaits.


def kinds() -> dict[str, QueueKind]:
    """Every kind registered by the apps, by code, in the order of registration."""
    return registry.queue_kinds


def link(kind: QueueKind, object_id: int) -> str:
    return reverse(kind.detail_url, args=[object_id])


def can_assign(user) -> bool:
    return is_staff_member(user) and bool(user.department_id) and user.role in (Role.HEAD, Role.JOINT_OFFICE)


def kinds_for(user) -> list[QueueKind]:
    """The kinds in the user's queue: heads see their department's; the joint office also its region's;
    an inspector sees the department's rows assigned to them (我的待办)."""
    if not is_staff_member(user) or not user.department_id:
        return []
    if user.role in (Role.HEAD, Role.JOINT_OFFICE):
        return [kind for kind in kinds().values() if kind.audience == QueueKind.DEPARTMENT or kind.admits(user)]
    if user.role == Role.INSPECTOR:
        return [kind for kind in kinds().values() if kind.audience == QueueKind.DEPARTMENT]
    return []


def is_personal(user) -> bool:
    """An inspector's queue holds only the rows assigned to them."""
    return user.role == Role.INSPECTOR


# ---- filters ---------------------------------------------------------------------------------------------


@dataclass
class Filters:
    kind: str = ""
    region: str = ""
    assignee: str = ""  # "", "none" or a user id
    lateness: str = ""
    sort: str = "due"
    page: int = 1


@dataclass
class Options:
    kinds: list
    regions: list
    inspectors: list

    @property
    def inspector_names(self) -> dict[int, str]:
        return {user.pk: str(user) for user in self.inspectors}


def filter_options(user) -> Options:
    """What the filters offer: the user's kinds, their region and its children, the department's inspectors."""
    kinds = [(kind.code, kind.label) for kind in kinds_for(user)]
    if not kinds:
        return Options(kinds=[], regions=[], inspectors=[])
    prefix = user.region_code
    regions = list(Region.objects.filter(Q(code=prefix) | Q(parent_id=prefix)).order_by("code").only("code", "name"))
    inspectors = list(
        User.objects.filter(department_id=user.department_id, role=Role.INSPECTOR, is_active=True)
        .order_by("full_name", "username")
        .only("pk", "username", "full_name")
    )
    return Options(kinds=kinds, regions=regions, inspectors=inspectors)


def parse_filters(user, data, options: Options) -> tuple[Filters, list[str]]:
    """Read the GET filters; every unknown or out-of-scope value becomes a message and nothing is listed."""
    errors: list[str] = []
    filters = Filters()
    kind = (data.get("kind") or "").strip()
    if kind:
        if kind not in dict(options.kinds):
            errors.append(str(_("未知的待办类别：%(value)s") % {"value": kind[:40]}))
        filters.kind = kind
    region = (data.get("region") or "").strip()
    if region:
        known = {r.code for r in options.regions}
        if region not in known:
            inside = region.isdigit() and region.startswith(user.region_code) and len(region) in CODE_LENGTH.values()
            if not inside:
                errors.append(str(_("区划 %(value)s 不在您的管辖范围内。") % {"value": region[:12]}))
            elif not Region.objects.filter(code=region).exists():
                errors.append(str(_("未知的区划代码：%(value)s") % {"value": region[:12]}))
        filters.region = region
    assignee = (data.get("assignee") or "").strip()
    if assignee:
        ids = {str(user_.pk) for user_ in options.inspectors}
        if assignee != "none" and assignee not in ids:
            errors.append(str(_("承办人不是本部门的检查人员：%(value)s") % {"value": assignee[:20]}))
        filters.assignee = assignee
    lateness = (data.get("lateness") or "").strip()
    if lateness:
        if lateness not in dict(Lateness.CHOICES):
            errors.append(str(_("未知的期限状态：%(value)s") % {"value": lateness[:20]}))
        filters.lateness = lateness
    sort = (data.get("sort") or "due").strip()
    if sort not in dict(SORTS):
        errors.append(str(_("未知的排序方式：%(value)s") % {"value": sort[:20]}))
    else:
        filters.sort = sort
    page = (data.get("page") or "1").strip()
    if parse_page(page, maximum=MAX_PAGE) is None:
        errors.append(str(_("页码无效（1–%(max)s）。") % {"max": MAX_PAGE}))
    else:
        filters.page = int(page)
    return filters, errors


# ---- the selector ------------------------------------------------------------------------------------------


def _assignment(kind: QueueKind):
    # order_by(): (subject, object_id) is unique, so no sort by Meta.ordering is needed.
    return QueueAssignment.objects.filter(subject=kind.subject, object_id=OuterRef("pk")).order_by()


def _branch(kind: QueueKind, user, today: datetime.date, filters: Filters | None = None) -> QuerySet | None:
    """One kind's awaiting rows for the user, with the filters applied; None when the filters exclude it."""
    queryset = kind.rows(user, today)
    filters = filters or Filters()
    if is_personal(user):
        queryset = queryset.filter(Exists(_assignment(kind).filter(assignee_id=user.pk)))
    if filters.region:
        queryset = queryset.filter(**{f"{kind.region_path}__code__startswith": filters.region})
    if filters.assignee == "none":
        queryset = queryset.filter(~Exists(_assignment(kind)))
    elif filters.assignee:
        queryset = queryset.filter(Exists(_assignment(kind).filter(assignee_id=int(filters.assignee))))
    if filters.lateness:
        if kind.due is None:
            if filters.lateness != Lateness.ON_TIME:
                return None
        else:
            queryset = queryset.alias(q_due_filter=kind.due)
            soon = today + datetime.timedelta(days=AMBER_DAYS)
            if filters.lateness == Lateness.OVERDUE:
                queryset = queryset.filter(q_due_filter__lt=today)
            elif filters.lateness == Lateness.DUE_SOON:
                queryset = queryset.filter(q_due_filter__gte=today, q_due_filter__lte=soon)
            else:
                queryset = queryset.filter(Q(q_due_filter__isnull=True) | Q(q_due_filter__gt=soon))
    return queryset


def _reduce(kind: QueueKind, queryset: QuerySet) -> QuerySet:
    """The kind's rows reduced to the queue's columns, in COLUMNS order, so that the branches can be unioned."""
    assignee = _assignment(kind).values("assignee_id")[:1]
    return queryset.annotate(
        q_kind=Value(kind.code, output_field=CharField()),
        q_id=F("pk"),
        q_step=F("status"),
        q_inst=F("institution_id"),
        q_name=kind.name,
        q_since=kind.since,
        q_due=kind.due if kind.due is not None else Cast(Value(None), output_field=DateField()),
        q_region=F(f"{kind.region_path}_id"),
        q_assignee=Subquery(assignee, output_field=BigIntegerField()),
    ).values(*COLUMNS)


def _ordering(sort: str) -> list:
    # The ORDER BY of the UNION refers to its columns. Undated rows (无期限) go after every dated one, said
    # explicitly: PostgreSQL sorts NULLs last in ascending order but SQLite (the demo) sorts them first.
    if sort == "since":
        return ["q_since", "q_kind", "q_id"]
    if sort == "-since":
        return ["-q_since", "q_kind", "q_id"]
    return [F("q_due").asc(nulls_last=True), "q_since", "q_kind", "q_id"]


def branches(user, filters: Filters | None = None,
             today: datetime.date | None = None) -> list[tuple[QueueKind, QuerySet]]:
    today = today or timezone.localdate()
    filters = filters or Filters()
    result = []
    for kind in kinds_for(user):
        if filters.kind and kind.code != filters.kind:
            continue
        queryset = _branch(kind, user, today, filters)
        if queryset is not None:
            result.append((kind, queryset))
    return result


def queue_queryset(user, filters: Filters | None = None, *, limit: int | None = None, today=None) -> QuerySet | None:
    """The user's queue as one ordered query (UNION ALL of the kinds); each branch cut to `limit` rows where
    the database allows ORDER BY/LIMIT inside a compound statement (PostgreSQL; SQLite, the demo, does not)."""
    filters = filters or Filters()
    ordering = _ordering(filters.sort)
    parts = [_reduce(kind, queryset) for kind, queryset in branches(user, filters, today)]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0].order_by(*ordering)
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [part.order_by(*ordering) for part in parts]
        if limit is not None:
            parts = [part[:limit] for part in parts]
    else:
        parts = [part.order_by() for part in parts]
    return parts[0].union(*parts[1:], all=True).order_by(*ordering)


@dataclass
class QueuePage:
    rows: list
    page: int
    has_next: bool


def queue_page(user, filters: Filters, *, size: int = PAGE_SIZE, today=None, names: dict | None = None) -> QueuePage:
    """One page of the queue: one query, LIMIT size + 1 (to know whether a next page exists), no COUNT(*)."""
    today = today or timezone.localdate()
    offset = (filters.page - 1) * size
    queryset = queue_queryset(user, filters, limit=offset + size + 1, today=today)
    rows = list(queryset[offset : offset + size + 1]) if queryset is not None else []
    has_next = len(rows) > size
    return QueuePage(rows=[describe(row, today, names or {}) for row in rows[:size]], page=filters.page,
                     has_next=has_next)


def lateness_of(due: datetime.date | None, today: datetime.date) -> tuple[str, str]:
    """(css class, words) for a deadline: overdue red, due within 3 days amber, else normal."""
    if due is None:
        return "", str(_("无期限"))
    days = (due - today).days
    if days < 0:
        return "late", str(_("逾期 %(n)s 天") % {"n": -days})
    if days == 0:
        return "soon", str(_("今天到期"))
    words = str(_("%(n)s 天后到期") % {"n": days})
    return ("soon" if days <= AMBER_DAYS else ""), words


def describe(row: dict, today: datetime.date, names: dict) -> dict:
    """Presentation of one row already read (labels, link, lateness): no query."""
    kind = kinds()[row["q_kind"]]
    css, words = lateness_of(row["q_due"], today)
    assignee = row["q_assignee"]
    return {
        "key": f"{kind.code}:{row['q_id']}",
        "kind": kind.code,
        "kind_label": kind.label,
        "awaited": kind.awaited.get(row["q_step"], kind.label),
        "object_id": row["q_id"],
        "institution_id": row["q_inst"],
        "institution_name": row["q_name"] or "—",
        "since": row["q_since"],
        "due": row["q_due"],
        "region": row["q_region"],
        "lateness_class": css,
        "lateness": words,
        # the deadline lies in a year with no holiday arrangement entered: counted Monday–Friday, to be checked
        "calendar_guess": bool(row["q_due"] and calendar.uncovered_years(today, row["q_due"])),
        "assignee_id": assignee,
        "assignee_name": names.get(assignee, f"#{assignee}") if assignee else "",
        "link": link(kind, row["q_id"]),
    }


# ---- navigation counts -----------------------------------------------------------------------------------


def nav_counts(user) -> dict:
    """Unread notifications and, per kind, the user's queue rows — capped, in ONE query."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).order_by().values("pk")[:100]
    parts = [("unread", unread)]
    parts += [(kind.code, queryset.order_by().values("pk")[: NAV_CAP + 1]) for kind, queryset in branches(user)]
    selects, params = [], []
    for _key, queryset in parts:
        sql, sql_params = queryset.query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        values = cursor.fetchone()
    counts = dict(zip([key for key, _queryset in parts], values, strict=True))
    unread_count = counts.pop("unread")
    per_kind = [
        {"kind": code, "label": kinds()[code].label, "count": n, "display": f"{NAV_CAP}+" if n > NAV_CAP else n}
        for code, n in counts.items()
    ]
    total = sum(counts.values())
    capped = any(n > NAV_CAP for n in counts.values())
    return {
        "unread": unread_count,
        "has_queue": bool(per_kind),
        "queue": [row for row in per_kind if row["count"]],
        "queue_total": total,
        "queue_total_display": f"{total}+" if capped else total,
    }


# ---- assigning rows ------------------------------------------------------------------------------------


def parse_row_keys(values) -> list[tuple[str, int]]:
    rows = []
    for value in values:
        kind, _sep, object_id = (value or "").partition(":")
        if kind not in kinds() or parse_id(object_id) is None:
            raise ServiceError(_("待办条目无效：%(value)s") % {"value": (value or "")[:40]})
        rows.append((kind, parse_id(object_id)))
    return rows


def rows_in_queue(user, rows: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """Which of `rows` (kind, id) are in the user's queue now: one UNION query over the kinds named."""
    wanted: dict[str, set[int]] = {}
    for kind, object_id in rows:
        wanted.setdefault(kind, set()).add(object_id)
    parts = [
        _reduce(kind, queryset.filter(pk__in=sorted(wanted[kind.code]))).order_by()
        for kind, queryset in branches(user)
        if kind.code in wanted
    ]
    if not parts:
        return {}
    # An explicit ORDER BY on the union: otherwise the first model's Meta.ordering would be applied to it.
    queryset = parts[0].union(*parts[1:], all=True).order_by("q_kind", "q_id") if len(parts) > 1 else parts[0]
    return {(row["q_kind"], row["q_id"]): row for row in queryset}


@transaction.atomic
def queue_assign(*, actor, rows: list[tuple[str, int]], assignee, now=None) -> int:
    """Assign rows of the actor's queue to an active inspector of the actor's department; all or nothing.

    A kind whose app keeps an assignment of its own (a visit's inspectors) is told of each row through its
    `on_assign`, in this transaction, so that the inspector also finds a visit among today's visits.
    """
    if not can_assign(actor):
        raise ActionForbidden(_("只有部门负责人或专项治理办公室可以分派待办。"))
    rows = list(dict.fromkeys(rows))
    if not rows:
        raise ServiceError(_("请至少选择一条待办。"))
    if len(rows) > MAX_ASSIGN_ROWS:
        raise ServiceError(_("一次最多分派 %(n)s 条待办。") % {"n": MAX_ASSIGN_ROWS})
    if (
        assignee is None
        or not assignee.is_active
        or assignee.role != Role.INSPECTOR
        or assignee.department_id != actor.department_id
    ):
        raise ServiceError(_("承办人须为本部门在岗的检查人员。"))
    found = rows_in_queue(actor, rows)
    missing = [row for row in rows if row not in found]
    if missing:
        raise ServiceError(
            _("有 %(n)s 条所选待办不在您的待办中（可能已办理或无权处理），未作任何分派。") % {"n": len(missing)}
        )
    now = now or timezone.now()
    for kind_code, object_id in rows:
        kind = kinds()[kind_code]
        if kind.on_assign is not None:
            kind.on_assign(actor, object_id, assignee)
    QueueAssignment.objects.bulk_create(
        [
            QueueAssignment(
                subject=kinds()[kind].subject, object_id=object_id, assignee=assignee, assigned_by=actor,
                assigned_at=now,
            )
            for kind, object_id in rows
        ],
        update_conflicts=True,
        unique_fields=["subject", "object_id"],
        update_fields=["assignee", "assigned_by", "assigned_at"],
    )
    for kind_code, object_id in rows:
        row = found[(kind_code, object_id)]
        record_event(
            actor=actor,
            kind=RegulatorAuditKind.QUEUE_ITEM_ASSIGNED,
            object_type=f"queue.{kinds()[kind_code].subject}",
            object_id=object_id,
            institution_id=row["q_inst"],
            before={"assignee": row["q_assignee"]},
            after={"assignee": assignee.pk, "kind": kind_code},
            summary=_("分派待办（%(kind)s）给 %(name)s") % {"kind": kinds()[kind_code].label, "name": assignee},
            now=now,
        )
    return len(rows)
