"""The heads' queue (待办): everything awaiting a department's action, from every app, in one UNION query.

Each kind is a queryset over the owning app's model, filtered by the user's department (or, for the joint
office's kinds, by its region) and by the awaiting status, reduced to the same columns (COLUMNS) and
combined with UNION ALL. A page is ordered in the database and cut with LIMIT/OFFSET; each branch is cut
to the same limit first, so PostgreSQL keeps a top-N per branch instead of sorting the whole backlog, and
nothing counts the union. The navigation's figures are one query of capped counts (nav_counts).

Assigning rows to an inspector (queue_assign) writes QueueAssignment rows, keyed by the subject and its
id so that the assignment follows an order from "due soon" to "overdue" to "escalated".
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import record_event
from .models import CODE_LENGTH, Notification, QueueAssignment, Region, Role, User
from .scope import is_staff_member

COLUMNS = ("q_kind", "q_id", "q_step", "q_inst", "q_name", "q_since", "q_due", "q_region", "q_assignee")
PAGE_SIZE = 30
MAX_PAGE = 200  # OFFSET beyond 6,000 rows helps nobody; narrow the filters instead
NAV_CAP = 999  # the navigation shows "999+" above this (counts stop at cap + 1 rows per kind)
MAX_ASSIGN_ROWS = 200
DUE_SOON_DAYS = 7  # "orders due within 7 days"
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


class QueueError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class QueuePermissionError(QueueError):
    pass


# ---- the kinds -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of awaited work: where its rows live and how they map onto the queue's columns."""

    code: str
    label: object
    subject: str
    audience: str  # "department": the user's department's rows; "joint_office": rows of the joint office's region
    rows: Callable  # (user, today) -> QuerySet of the owning model, filtered to awaiting rows
    since: object
    due: object = None
    name: object = field(default_factory=lambda: F("institution__name"))
    region_path: str = "institution__region"  # the foreign key to Region

    def link(self, object_id: int) -> str:
        return reverse(SUBJECT_URLS[self.subject], args=[object_id])


SUBJECT_URLS = {
    "visit": "inspections:visit_detail",
    "order": "penalties:order_detail",
    "suspension": "penalties:suspension_detail",
    "case": "penalties:case_detail",
    "report": "publicity:report_detail",
    "entry": "publicity:entry_detail",
}


def _visits(**filters):
    def rows(user, today):
        from inspections.models import Visit

        return Visit.objects.filter(lead_department_id=user.department_id, **filters)

    return rows


def _unassigned_visits(user, today):
    from inspections.models import Visit, VisitInspector, VisitStatus

    return Visit.objects.filter(lead_department_id=user.department_id, status=VisitStatus.PLANNED).filter(
        ~Exists(VisitInspector.objects.filter(visit_id=OuterRef("pk")))
    )


def _model_rows(model_path: str, department_field: str = "department_id", **filters):
    def rows(user, today):
        from django.apps import apps

        model = apps.get_model(model_path)
        return model.objects.filter(**{department_field: user.department_id}, **filters)

    return rows


def _orders_due_soon(user, today):
    from penalties.models import ORDER_RUNNING, RectificationOrder

    return RectificationOrder.objects.filter(
        department_id=user.department_id,
        status__in=ORDER_RUNNING,
        deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
    )


def _reports_to_assign(user, today):
    from publicity.models import Report, ReportStatus

    return Report.objects.filter(status=ReportStatus.REGISTERED, region__code__startswith=user.region_code)


def _entries_to_approve(user, today):
    from publicity.models import EntryStatus, ListEntry

    return ListEntry.objects.filter(
        status=EntryStatus.REVIEWED, institution__region__code__startswith=user.region_code
    )


# Penalty cases: which step each status waits for, when it began and which legal time limit runs.
CASE_STEP_STATUSES = ("lead", "filed", "investigation", "decided", "served")
CASE_DECISION_STATUSES = ("preliminary_review", "notice_of_rights", "executed")
_CASE_SINCE = Coalesce(
    Case(
        When(status="lead", then=F("opened_at")),
        When(status="preliminary_review", then=F("reviewed_at")),
        When(status="filed", then=F("filed_at")),
        When(status="investigation", then=F("investigation_at")),
        When(status="notice_of_rights", then=Coalesce(F("statement_recorded_at"), F("rights_notified_at"))),
        When(status="decided", then=F("decided_at")),
        When(status="served", then=F("served_at")),
        When(status="executed", then=F("executed_at")),
        output_field=DateTimeField(),
    ),
    F("created_at"),
)
_CASE_DUE = Case(
    When(status__in=("filed", "investigation", "notice_of_rights"), then=F("decision_due")),  # 行政处罚法 Art 60
    When(status="decided", then=F("service_due")),  # Art 61
    When(status="served", then=F("payment_due")),  # Art 67
    default=None,
    output_field=DateField(),
)

KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        Kind("visit_unassigned", _("检查待分派"), "visit", "department", _unassigned_visits,
             since=F("created_at"), due=F("planned_on")),
        Kind("visit_outcome", _("检查待定处理结果"), "visit", "department",
             _visits(status="submitted", outcome=""), since=F("submitted_at")),
        Kind("order_approval", _("整改通知书待批准"), "order", "department",
             _model_rows("penalties.RectificationOrder", status="draft"), since=F("created_at")),
        Kind("order_due_soon", _("整改 7 日内到期"), "order", "department", _orders_due_soon,
             since=Coalesce(F("served_at"), F("approved_at"), F("created_at")), due=F("deadline")),
        Kind("order_overdue", _("整改逾期"), "order", "department",
             _model_rows("penalties.RectificationOrder", status="overdue"),
             since=Coalesce(F("overdue_at"), F("created_at")), due=F("deadline")),
        Kind("order_escalated", _("整改已升级"), "order", "department",
             _model_rows("penalties.RectificationOrder", status="escalated"),
             since=Coalesce(F("escalated_at"), F("created_at")), due=F("deadline")),
        Kind("refund_outstanding", _("停办退费未完成"), "suspension", "department",
             _model_rows("penalties.SuspensionNotice", status__in=("approved", "served")),
             since=Coalesce(F("served_at"), F("approved_at"), F("created_at")), due=F("refund_deadline")),
        Kind("case_step", _("处罚案件待办理"), "case", "department",
             _model_rows("penalties.PenaltyCase", status__in=CASE_STEP_STATUSES), since=_CASE_SINCE, due=_CASE_DUE),
        Kind("case_decision", _("处罚案件待决定"), "case", "department",
             _model_rows("penalties.PenaltyCase", status__in=CASE_DECISION_STATUSES),
             since=_CASE_SINCE, due=_CASE_DUE),
        Kind("report_assignment", _("举报待分办"), "report", "joint_office", _reports_to_assign,
             since=F("received_at"), due=F("deadline"),
             name=Coalesce(F("institution__name"), F("subject_name")), region_path="region"),
        Kind("report_reply", _("举报待答复"), "report", "department",
             _model_rows("publicity.Report", status__in=("assigned", "verifying", "handling")),
             since=Coalesce(F("assigned_at"), F("received_at")), due=F("deadline"),
             name=Coalesce(F("institution__name"), F("subject_name")), region_path="region"),
        Kind("entry_review", _("名单条目待审核"), "entry", "department",
             _model_rows("publicity.ListEntry", "proposing_department_id", status="proposed"),
             since=F("proposed_at")),
        Kind("entry_approval", _("名单条目待批准"), "entry", "joint_office", _entries_to_approve,
             since=Coalesce(F("reviewed_at"), F("proposed_at"))),
    )
}

# What exactly is awaited, by kind and the row's status (step).
AWAITED = {
    ("visit_unassigned", "planned"): _("待分派检查人员"),
    ("visit_outcome", "submitted"): _("已提交，待确定处理结果"),
    ("order_approval", "draft"): _("待负责人批准"),
    ("order_due_soon", "approved"): _("已批准，待送达，期限将至"),
    ("order_due_soon", "served"): _("待整改销号，期限将至"),
    ("order_overdue", "overdue"): _("逾期未整改，待复查或升级"),
    ("order_escalated", "escalated"): _("已升级处理，待销号或处罚"),
    ("refund_outstanding", "approved"): _("已批准，待送达"),
    ("refund_outstanding", "served"): _("待退费完成"),
    ("case_step", "lead"): _("待初核"),
    ("case_step", "filed"): _("已立案，待调查取证"),
    ("case_step", "investigation"): _("调查中，待告知陈述申辩"),
    ("case_step", "decided"): _("已决定，待送达决定书"),
    ("case_step", "served"): _("已送达，待执行"),
    ("case_decision", "preliminary_review"): _("初核完毕，待决定是否立案"),
    ("case_decision", "notice_of_rights"): _("已告知，待作出处罚决定"),
    ("case_decision", "executed"): _("已执行，待结案"),
    ("report_assignment", "registered"): _("待分办"),
    ("report_reply", "assigned"): _("已分办，待核查"),
    ("report_reply", "verifying"): _("核查中，待答复"),
    ("report_reply", "handling"): _("处理中，待答复"),
    ("entry_review", "proposed"): _("待提出部门负责人审核"),
    ("entry_approval", "reviewed"): _("待专项治理办公室批准"),
}


def is_joint_office_user(user) -> bool:
    from publicity.permissions import is_joint_office_user as publicity_joint_office

    return user.role in (Role.HEAD, Role.JOINT_OFFICE) and publicity_joint_office(user)


def can_assign(user) -> bool:
    return is_staff_member(user) and bool(user.department_id) and user.role in (Role.HEAD, Role.JOINT_OFFICE)


def kinds_for(user) -> list[Kind]:
    """The kinds in the user's queue: heads see their department's; the joint office also its region's;
    an inspector sees the department's rows assigned to them (我的待办)."""
    if not is_staff_member(user) or not user.department_id:
        return []
    if user.role in (Role.HEAD, Role.JOINT_OFFICE):
        joint = is_joint_office_user(user)
        return [kind for kind in KINDS.values() if kind.audience == "department" or joint]
    if user.role == Role.INSPECTOR:
        return [kind for kind in KINDS.values() if kind.audience == "department"]
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
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        errors.append(str(_("页码无效（1–%(max)s）。") % {"max": MAX_PAGE}))
    else:
        filters.page = int(page)
    return filters, errors


# ---- the selector ------------------------------------------------------------------------------------------


def _assignment(kind: Kind):
    # order_by(): (subject, object_id) is unique, so no sort by Meta.ordering is needed.
    return QueueAssignment.objects.filter(subject=kind.subject, object_id=OuterRef("pk")).order_by()


def _branch(kind: Kind, user, today: datetime.date, filters: Filters | None = None) -> QuerySet | None:
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


def _reduce(kind: Kind, queryset: QuerySet) -> QuerySet:
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


def _ordering(sort: str) -> list[str]:
    # Plain column names, so the ORDER BY of the UNION refers to its columns; PostgreSQL sorts NULLs last
    # in ascending order, so undated rows come after every dated one.
    if sort == "since":
        return ["q_since", "q_kind", "q_id"]
    if sort == "-since":
        return ["-q_since", "q_kind", "q_id"]
    return ["q_due", "q_since", "q_kind", "q_id"]


def branches(user, filters: Filters | None = None, today: datetime.date | None = None) -> list[tuple[Kind, QuerySet]]:
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
    kind = KINDS[row["q_kind"]]
    css, words = lateness_of(row["q_due"], today)
    assignee = row["q_assignee"]
    return {
        "key": f"{kind.code}:{row['q_id']}",
        "kind": kind.code,
        "kind_label": kind.label,
        "awaited": AWAITED.get((kind.code, row["q_step"]), kind.label),
        "object_id": row["q_id"],
        "institution_id": row["q_inst"],
        "institution_name": row["q_name"] or "—",
        "since": row["q_since"],
        "due": row["q_due"],
        "region": row["q_region"],
        "lateness_class": css,
        "lateness": words,
        "assignee_id": assignee,
        "assignee_name": names.get(assignee, f"#{assignee}") if assignee else "",
        "link": kind.link(row["q_id"]),
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
        {"kind": code, "label": KINDS[code].label, "count": n, "display": f"{NAV_CAP}+" if n > NAV_CAP else n}
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
        if kind not in KINDS or not object_id.isdigit():
            raise QueueError(_("待办条目无效：%(value)s") % {"value": (value or "")[:40]})
        rows.append((kind, int(object_id)))
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

    A visit still without inspectors also gets the inspector through inspections.services (the visit's own
    assignment), so the inspector finds it among today's visits.
    """
    if not can_assign(actor):
        raise QueuePermissionError(_("只有部门负责人或专项治理办公室可以分派待办。"))
    rows = list(dict.fromkeys(rows))
    if not rows:
        raise QueueError(_("请至少选择一条待办。"))
    if len(rows) > MAX_ASSIGN_ROWS:
        raise QueueError(_("一次最多分派 %(n)s 条待办。") % {"n": MAX_ASSIGN_ROWS})
    if (
        assignee is None
        or not assignee.is_active
        or assignee.role != Role.INSPECTOR
        or assignee.department_id != actor.department_id
    ):
        raise QueueError(_("承办人须为本部门在岗的检查人员。"))
    found = rows_in_queue(actor, rows)
    missing = [row for row in rows if row not in found]
    if missing:
        raise QueueError(
            _("有 %(n)s 条所选待办不在您的待办中（可能已办理或无权处理），未作任何分派。") % {"n": len(missing)}
        )
    now = now or timezone.now()
    for kind_code, object_id in rows:
        if kind_code == "visit_unassigned":
            from inspections.services import InspectionError, visit_assign_inspectors

            try:
                visit_assign_inspectors(actor=actor, visit_id=object_id, inspectors=[assignee])
            except InspectionError as error:
                raise QueueError(error.args[0]) from error
    QueueAssignment.objects.bulk_create(
        [
            QueueAssignment(
                subject=KINDS[kind].subject, object_id=object_id, assignee=assignee, assigned_by=actor,
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
            kind="queue_assigned",
            object_type=f"queue.{KINDS[kind_code].subject}",
            object_id=object_id,
            institution_id=row["q_inst"],
            before={"assignee": row["q_assignee"]},
            after={"assignee": assignee.pk, "kind": kind_code},
            summary=_("分派待办（%(kind)s）给 %(name)s") % {"kind": KINDS[kind_code].label, "name": assignee},
            now=now,
        )
    return len(rows)
