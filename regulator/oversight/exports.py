"""Ledgers of the oversight pages (visits, problems, orders, suspensions, cases, penalties, reports, list entries).

One `Ledger` per kind says how its rows are scoped (each app's own visible_* function), where its region and
department sit, which measures it has (the same Q that the dashboard counts with, so a figure and the rows
behind its link always agree), which filters it accepts, and its columns. The HTML ledger and the .xlsx
export share the filtered queryset; the export streams it with `.iterator()` into a write-only workbook.
"""

import datetime
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django import forms
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import Department, Region
from .scope import in_region

EXPORT_MAX_ROWS = 100_000
ITERATOR_CHUNK = 2000
PAGE_SIZE = 50
PERIOD_MAX_DAYS = 3 * 366  # a period may span three years at most


# ---- periods -------------------------------------------------------------------------------------------


def period_bounds(start: datetime.date | None, end: datetime.date | None):
    """Local calendar days [start, end] as aware datetimes [start 00:00, end+1 00:00) in Asia/Shanghai."""
    tz = timezone.get_current_timezone()
    low = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min), tz) if start else None
    high = (
        timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min), tz)
        if end
        else None
    )
    return low, high


def period_error(start: datetime.date | None, end: datetime.date | None) -> str:
    """The reason a period is refused, or '' when it is acceptable."""
    if start and end and end < start:
        return str(_("结束日期早于开始日期，请重新选择统计期间。"))
    if start and end and (end - start).days + 1 > PERIOD_MAX_DAYS:
        return str(_("统计期间不能超过3年，请缩短期间后重试。"))
    return ""


def within(field_name: str, low, high) -> Q:
    """Rows whose datetime `field_name` falls in [low, high); open bounds only require it to be set."""
    q = Q(**{f"{field_name}__isnull": False})
    if low is not None:
        q &= Q(**{f"{field_name}__gte": low})
    if high is not None:
        q &= Q(**{f"{field_name}__lt": high})
    return q


# ---- ledger specifications -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    label: str
    q: Callable  # (low, high) -> Q on the ledger's model
    # The datetime whose local day the measure counts by, when a row once counted never moves (regulator.summary
    # keeps such measures per day); "" when later events change a past day's figure (reports handled in time).
    day_field: str = ""


@dataclass(frozen=True)
class ChoiceFilter:
    field: str
    label: str
    choices: Callable  # () -> list of (value, label)


@dataclass(frozen=True)
class Ledger:
    kind: str
    title: str
    scoped: Callable  # (user or None) -> QuerySet; None: every row (system jobs such as the weekly report)
    region_field: str
    department_field: str
    measures: dict[str, Measure]
    columns: list[tuple[str, str]]  # (header, values() path)
    filters: dict[str, ChoiceFilter] = field(default_factory=dict)
    choice_labels: dict[str, Callable] = field(default_factory=dict)  # path -> () -> {value: label}
    # Where the app scopes by department rather than region: the kind of the department (dashboard of heads).
    department_kind_field: str = ""

    def measure_q(self, measure: str, low, high) -> Q:
        return self.measures[measure].q(low, high)


def _labels(choices_class) -> Callable:
    return lambda: {value: str(label) for value, label in choices_class.choices}


def _visits(user):
    from inspections.models import Visit
    from inspections.permissions import visible_visits

    return Visit.objects.all() if user is None else visible_visits(user)


def _problems(user):
    from inspections.models import ProblemItem
    from inspections.permissions import visible_problem_items

    return ProblemItem.objects.all() if user is None else visible_problem_items(user)


def _orders(user):
    from penalties.models import RectificationOrder
    from penalties.permissions import visible_orders

    return RectificationOrder.objects.all() if user is None else visible_orders(user)


def _suspensions(user):
    from penalties.models import SuspensionNotice
    from penalties.permissions import visible_suspensions

    return SuspensionNotice.objects.all() if user is None else visible_suspensions(user)


def _cases(user):
    from penalties.models import PenaltyCase
    from penalties.permissions import visible_cases

    return PenaltyCase.objects.all() if user is None else visible_cases(user)


def _penalties(user):
    from penalties.models import Penalty

    if user is None:
        return Penalty.objects.all()
    return Penalty.objects.filter(decision__case_id__in=_cases(user).values("pk"))


def _reports(user):
    from publicity.models import Report
    from publicity.permissions import visible_reports

    return Report.objects.all() if user is None else visible_reports(user)


def _entries(user):
    from publicity.models import ListEntry
    from publicity.permissions import visible_entries

    return ListEntry.objects.all() if user is None else visible_entries(user)


def _checklist_codes():
    from inspections.models import ChecklistItem

    rows = ChecklistItem.objects.order_by("code", "-template_id").values_list("code", "text")
    seen = {}
    for code, text in rows:
        seen.setdefault(code, f"{code} {text[:20]}")
    return sorted(seen.items())


def _build_ledgers() -> dict[str, Ledger]:
    from inspections.models import InspectionKind, VisitOutcome, VisitStatus
    from penalties.models import CaseStatus, OrderStatus, PenaltyKind, SuspensionStatus
    from publicity.models import EntryStatus, ListKind, ReportStatus

    def handled(low, high):
        return within("received_at", low, high) & (Q(replied_at__isnull=False) | Q(closed_at__isnull=False))

    def handled_in_time(low, high):
        return within("received_at", low, high) & (
            Q(replied_at__date__lte=F("deadline")) | Q(replied_at__isnull=True, closed_at__date__lte=F("deadline"))
        )

    return {
        "visits": Ledger(
            kind="visits", title=_("检查台账"), scoped=_visits,
            region_field="institution__region__code", department_field="lead_department_id",
            department_kind_field="lead_department__kind",
            measures={
                "done": Measure(_("完成检查"), lambda lo, hi: Q(status=VisitStatus.SUBMITTED)
                                & within("submitted_at", lo, hi), day_field="submitted_at"),
                "planned": Measure(_("登记的检查"), lambda lo, hi: within("created_at", lo, hi)),
            },
            filters={
                "status": ChoiceFilter("status", _("状态"), lambda: VisitStatus.choices),
                "visit_kind": ChoiceFilter("kind", _("检查类型"), lambda: InspectionKind.choices),
            },
            columns=[(_("编号"), "id"), (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                     (_("牵头部门"), "lead_department__name"), (_("检查类型"), "kind"),
                     (_("计划日期"), "planned_on"), (_("状态"), "status"), (_("提交时间"), "submitted_at"),
                     (_("处理结果"), "outcome")],
            choice_labels={"kind": _labels(InspectionKind), "status": _labels(VisitStatus),
                           "outcome": _labels(VisitOutcome)},
        ),
        "problems": Ledger(
            kind="problems", title=_("问题项台账"), scoped=_problems,
            region_field="institution__region__code", department_field="department_id",
            department_kind_field="department__kind",
            measures={"found": Measure(_("发现问题"), lambda lo, hi: within("created_at", lo, hi),
                                       day_field="created_at")},
            filters={"item": ChoiceFilter("item_code", _("检查项"), _checklist_codes)},
            columns=[(_("编号"), "id"), (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                     (_("责任部门"), "department__name"), (_("检查项代码"), "item_code"),
                     (_("检查内容"), "item_text"), (_("发现问题"), "finding"), (_("发现时间"), "created_at"),
                     (_("状态"), "status")],
            choice_labels={"status": lambda: {"open": str(_("未销号")), "closed": str(_("已销号"))}},
        ),
        "orders": Ledger(
            kind="orders", title=_("整改通知书台账"), scoped=_orders,
            region_field="institution__region__code", department_field="department_id",
            measures={
                "issued": Measure(_("下达"), lambda lo, hi: within("approved_at", lo, hi), day_field="approved_at"),
                "closed": Measure(_("销号"), lambda lo, hi: within("closed_at", lo, hi), day_field="closed_at"),
                "closed_on_time": Measure(_("按期销号"), lambda lo, hi: within("closed_at", lo, hi)
                                          & Q(closed_at__date__lte=F("deadline")), day_field="closed_at"),
                "overdue": Measure(_("逾期"), lambda lo, hi: within("overdue_at", lo, hi), day_field="overdue_at"),
            },
            filters={"status": ChoiceFilter("status", _("状态"), lambda: OrderStatus.choices)},
            columns=[(_("文号"), "number"), (_("机构"), "institution__name"),
                     (_("区划"), "institution__region__name"), (_("下达部门"), "department__name"),
                     (_("状态"), "status"), (_("整改期限"), "deadline"), (_("批准时间"), "approved_at"),
                     (_("销号时间"), "closed_at"), (_("逾期时间"), "overdue_at")],
            choice_labels={"status": _labels(OrderStatus)},
        ),
        "suspensions": Ledger(
            kind="suspensions", title=_("停办通知书台账"), scoped=_suspensions,
            region_field="institution__region__code", department_field="department_id",
            measures={"issued": Measure(_("下达停办通知"), lambda lo, hi: within("approved_at", lo, hi),
                                        day_field="approved_at")},
            filters={"status": ChoiceFilter("status", _("状态"), lambda: SuspensionStatus.choices)},
            columns=[(_("文号"), "number"), (_("机构"), "institution__name"),
                     (_("区划"), "institution__region__name"), (_("下达部门"), "department__name"),
                     (_("状态"), "status"), (_("退费期限"), "refund_deadline"), (_("批准时间"), "approved_at")],
            choice_labels={"status": _labels(SuspensionStatus)},
        ),
        "cases": Ledger(
            kind="cases", title=_("行政处罚案件台账"), scoped=_cases,
            region_field="institution__region__code", department_field="department_id",
            measures={
                "opened": Measure(_("登记案件"), lambda lo, hi: within("opened_at", lo, hi)),
                "decided": Measure(_("作出决定"), lambda lo, hi: within("decided_at", lo, hi)),
                "closed": Measure(_("结案"), lambda lo, hi: within("closed_at", lo, hi)),
            },
            filters={"status": ChoiceFilter("status", _("状态"), lambda: CaseStatus.choices)},
            columns=[(_("编号"), "id"), (_("当事人"), "institution__name"),
                     (_("区划"), "institution__region__name"), (_("承办部门"), "department__name"),
                     (_("案件来源"), "source"), (_("状态"), "status"), (_("登记时间"), "opened_at"),
                     (_("决定时间"), "decided_at"), (_("结案时间"), "closed_at")],
            choice_labels={"status": _labels(CaseStatus)},
        ),
        "penalties": Ledger(
            kind="penalties", title=_("处罚决定台账"), scoped=_penalties,
            region_field="decision__case__institution__region__code",
            department_field="decision__case__department_id",
            measures={"decided": Measure(_("处罚"), lambda lo, hi: within("decision__decided_at", lo, hi),
                                         day_field="decision__decided_at")},
            filters={"penalty_kind": ChoiceFilter("kind", _("处罚种类"), lambda: PenaltyKind.choices)},
            columns=[(_("决定书文号"), "decision__number"), (_("当事人"), "decision__case__institution__name"),
                     (_("区划"), "decision__case__institution__region__name"),
                     (_("承办部门"), "decision__case__department__name"), (_("处罚种类"), "kind"),
                     (_("金额（元）"), "amount"), (_("法律依据"), "legal_basis"),
                     (_("决定时间"), "decision__decided_at")],
            choice_labels={"kind": _labels(PenaltyKind)},
        ),
        "reports": Ledger(
            kind="reports", title=_("举报台账"), scoped=_reports,
            region_field="region__code", department_field="department_id",
            measures={
                "received": Measure(_("收到举报"), lambda lo, hi: within("received_at", lo, hi)),
                "handled": Measure(_("已办理"), handled),
                "handled_in_time": Measure(_("按期办理"), handled_in_time),
            },
            filters={"status": ChoiceFilter("status", _("状态"), lambda: ReportStatus.choices)},
            # No reporter identity here: the ledger is seen by departments other than the handling one.
            columns=[(_("查询码"), "tracking_number"), (_("被举报对象"), "subject_name"),
                     (_("被举报机构"), "institution__name"), (_("区划"), "region__name"),
                     (_("承办部门"), "department__name"), (_("状态"), "status"), (_("登记时间"), "received_at"),
                     (_("办理期限"), "deadline"), (_("答复时间"), "replied_at"), (_("办结时间"), "closed_at")],
            choice_labels={"status": _labels(ReportStatus)},
        ),
        "entries": Ledger(
            kind="entries", title=_("黑白名单台账"), scoped=_entries,
            region_field="institution__region__code", department_field="proposing_department_id",
            measures={"published": Measure(_("公示"), lambda lo, hi: within("published_at", lo, hi),
                                           day_field="published_at")},
            filters={
                "list_kind": ChoiceFilter("list_kind", _("名单"), lambda: ListKind.choices),
                "status": ChoiceFilter("status", _("状态"), lambda: EntryStatus.choices),
            },
            columns=[(_("编号"), "id"), (_("名单"), "list_kind"), (_("机构"), "institution__name"),
                     (_("区划"), "institution__region__name"), (_("提出部门"), "proposing_department__name"),
                     (_("列入原因"), "reason"), (_("状态"), "status"), (_("版本"), "version"),
                     (_("公示时间"), "published_at")],
            choice_labels={"list_kind": _labels(ListKind), "status": _labels(EntryStatus)},
        ),
    }


_LEDGERS: dict[str, Ledger] | None = None


def ledgers() -> dict[str, Ledger]:
    global _LEDGERS
    if _LEDGERS is None:
        _LEDGERS = _build_ledgers()
    return _LEDGERS


def get_ledger(kind: str) -> Ledger | None:
    return ledgers().get(kind)


# ---- filters ---------------------------------------------------------------------------------------------


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LedgerFilterForm(forms.Form):
    """The filters every ledger accepts; an unknown value is refused with a message, never ignored."""

    region = forms.CharField(label=_("区划"), required=False, max_length=12)
    start = forms.DateField(label=_("开始日期"), required=False, widget=_DATE)
    end = forms.DateField(label=_("结束日期"), required=False, widget=_DATE)
    department = forms.IntegerField(label=_("部门"), required=False, min_value=1)
    measure = forms.ChoiceField(label=_("统计口径"), required=False)

    def __init__(self, data=None, *, user, ledger: Ledger):
        super().__init__(data)
        self.user, self.ledger = user, ledger
        self.fields["measure"].choices = [("", _("全部"))] + [(k, m.label) for k, m in ledger.measures.items()]
        for name, choice_filter in ledger.filters.items():
            self.fields[name] = forms.ChoiceField(
                label=choice_filter.label, required=False,
                choices=[("", _("全部")), *choice_filter.choices()],
                error_messages={"invalid_choice": _("筛选条件“%(value)s”不是有效的选项。")},
            )
        self.fields["measure"].error_messages["invalid_choice"] = _("统计口径“%(value)s”不是有效的选项。")

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip()
        if not code:
            return ""
        if not code.isdigit() or not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(_("区划代码“%(code)s”不存在。"), params={"code": code})
        if not in_region(self.user, code):
            raise forms.ValidationError(_("所选区划不在您的管辖范围内。"))
        return code

    def clean_department(self):
        department_id = self.cleaned_data.get("department")
        if department_id is None:
            return None
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            raise forms.ValidationError(_("所选部门不存在。"))
        return department

    def clean(self):
        data = super().clean()
        error = period_error(data.get("start"), data.get("end"))
        if error:
            raise forms.ValidationError(error)
        return data

    def query(self) -> dict[str, str]:
        """The valid filters as query parameters (for links and the export button)."""
        params = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            params[name] = str(value.pk) if isinstance(value, Department) else str(value)
        return params


def filtered_rows(*, user, ledger: Ledger, data: dict) -> QuerySet:
    """The ledger's rows the user may see, with the cleaned filters of LedgerFilterForm applied."""
    queryset = ledger.scoped(user)
    if data.get("region"):
        queryset = queryset.filter(**{f"{ledger.region_field}__startswith": data["region"]})
    if data.get("department"):
        queryset = queryset.filter(**{ledger.department_field: data["department"].pk})
    low, high = period_bounds(data.get("start"), data.get("end"))
    measure = data.get("measure") or next(iter(ledger.measures))
    if data.get("measure") or low or high:
        queryset = queryset.filter(ledger.measure_q(measure, low, high))
    for name, choice_filter in ledger.filters.items():
        if data.get(name):
            queryset = queryset.filter(**{choice_filter.field: data[name]})
    return queryset


# ---- rows ------------------------------------------------------------------------------------------------


def _display(value, labels: dict | None):
    if labels is not None:
        return labels.get(value, value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value


def iter_rows(queryset: QuerySet, ledger: Ledger, *, chunk_size: int = ITERATOR_CHUNK) -> Iterator[list]:
    """Display values of every row, in column order, streamed from the database (constant memory)."""
    paths = [path for _header, path in ledger.columns]
    with translation.override("zh-hans"):
        labels = {path: make() for path, make in ledger.choice_labels.items()}
    for values in queryset.order_by("-pk").values_list(*paths).iterator(chunk_size=chunk_size):
        yield [_display(value, labels.get(path)) for path, value in zip(paths, values, strict=True)]


def page_rows(queryset: QuerySet, ledger: Ledger, *, after: int | None, size: int | None = None):
    """One keyset page, newest first, without COUNT(*): (rows, next_after)."""
    size = size or PAGE_SIZE
    if after:
        queryset = queryset.filter(pk__lt=after)
    paths = [path for _header, path in ledger.columns]
    labels = {path: make() for path, make in ledger.choice_labels.items()}
    fetched = list(queryset.order_by("-pk").values_list("pk", *paths)[: size + 1])
    rows = [[_display(value, labels.get(path)) for path, value in zip(paths, values[1:], strict=True)]
            for values in fetched[:size]]
    next_after = fetched[size - 1][0] if len(fetched) > size else None
    return rows, next_after


def exceeds_limit(queryset: QuerySet, limit: int = EXPORT_MAX_ROWS) -> bool:
    return queryset.order_by().values("pk")[limit : limit + 1].exists()


def _cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text typed by the public or a user never becomes a formula
    elif isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_xlsx(target, *, sheets: list[tuple[str, list[str], Iterator[list]]]) -> None:
    """A write-only workbook: one sheet per (title, headers, rows); headers bold, first row frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = _cell(sheet, header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    workbook.save(target)


def ledger_xlsx(queryset: QuerySet, ledger: Ledger):
    """A temporary file holding the ledger workbook, rewound; the caller streams and closes it."""
    with translation.override("zh-hans"):
        headers = [str(header) for header, _path in ledger.columns]
        title = str(ledger.title)
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(target, sheets=[(title, headers, iter_rows(queryset, ledger))])
    target.seek(0)
    return target
