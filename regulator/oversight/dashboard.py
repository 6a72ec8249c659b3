"""The joint office's dashboard: figures of a region over a period, side by side per sub-region and department.

The sections are the apps' (regulator/registry.py: MeasureSection, BreakdownSection, ItemSection, StateSection, each
declared in `<app>/oversight.py`), drawn in their order. Every figure is counted in the database: one GROUP BY
query per ledger, grouped by the sub-region (a prefix of the region code: the counties of a prefecture, the
townships of a county) and the department, with the measures as filtered counts (COUNT(*) FILTER (WHERE …)).
The measures are the ledgers' own (exports.py), so each figure links to a ledger page whose rows are exactly
the ones counted. The page costs the same dozen queries for ten rows or ten million; nothing loops over rows
in Python.

Above the sections, the trends (registry.Trend: summarised figures the apps chose) month by month over the last
twelve months, read from the nightly summary's month rows in one query, and beside the previous period (the same
days of the previous month or year, or the days just before), read like the period itself: mostly month rows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from regulator.models import CODE_LENGTH, Region, RegionLevel, Role
from regulator.registry import (
    BreakdownSection,
    CountSection,
    ItemSection,
    MeasureSection,
    StateSection,
    Trend,
    registry,
)
from regulator.scope import in_region, is_staff_member

from . import charts, summary
from .exports import get_ledger, period_bounds, period_error

# The sub-region a figure is broken down by: the next level down (code length), per length of the region code.
_CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9}
TOTAL = object()  # the key of a table's total row
_AMOUNT = "amount"  # the column of a BreakdownSection's summed amount
_CHILD_NAME = {0: _("省份"), 2: _("市（州）"), 4: _("县（区）"), 6: _("乡镇（街道）"), 9: _("区划")}


def can_view_dashboard(user) -> bool:
    """The joint office, department heads and administrators; inspectors work from their own lists."""
    return bool(is_staff_member(user) and (user.is_admin_role or user.role in (Role.JOINT_OFFICE, Role.HEAD)))


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The reporting week holding `day`: Saturday to Friday (周报 are sent on Fridays)."""
    saturday = day - datetime.timedelta(days=(day.weekday() - 5) % 7)
    return saturday, saturday + datetime.timedelta(days=6)


def region_options(user) -> list[tuple[str, str]]:
    """The regions a user may pick: their own, then the levels below it down to counties (townships for a county)."""
    code = user.region_code
    qs = Region.objects.only("code", "name", "level")
    if code:
        qs = qs.filter(code__startswith=code)
    deepest = RegionLevel.TOWNSHIP if len(code) >= CODE_LENGTH[RegionLevel.COUNTY] else RegionLevel.COUNTY
    lengths = [2, 4, 6, 9]
    top = lengths.index(len(code)) if len(code) in lengths else -1
    options = [] if code else [("", str(_("全国")))]
    for region in qs.filter(level__lte=deepest).order_by("code"):
        depth = lengths.index(len(region.code)) - top if len(region.code) in lengths else 0
        options.append((region.code, "\u3000" * max(0, depth - (0 if code else 1)) + region.name))
    return options


class DashboardForm(forms.Form):
    """Region and period of the dashboard. Defaults: the user's own region, 1 January to today."""

    region = forms.CharField(label=_("区划"), required=False, max_length=12)
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)

    def __init__(self, data=None, *, user, today: datetime.date | None = None):
        super().__init__(data)
        self.user = user
        self.today = today or timezone.localdate()

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip()
        if not code:
            return self.user.region_code
        if not code.isdigit() or not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(_("区划代码“%(code)s”不存在。"), params={"code": code})
        if not in_region(self.user, code):
            raise forms.ValidationError(_("所选区划不在您的管辖范围内，只能查看本辖区的统计。"))
        return code

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["start"] = data.get("start") or self.today.replace(month=1, day=1)
        data["end"] = data.get("end") or self.today
        error = period_error(data["start"], data["end"])
        if error:
            raise forms.ValidationError(error)
        return data


# ---- the figures ---------------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object
    url: str = ""
    previous: object = None  # the figure of the previous period, where the dashboard compares (a headline figure)

    @property
    def change(self) -> str:
        """The change since the previous period, signed ("+3", "-2"), or 持平."""
        if self.previous is None:
            return ""
        delta = (self.value or 0) - (self.previous or 0)
        return f"{delta:+,}" if delta else str(_("持平"))


@dataclass
class Row:
    label: str
    cells: list[Cell]
    is_total: bool = False


@dataclass
class Table:
    caption: str
    head: str
    columns: list[str]
    rows: list[Row]


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    note: str = ""  # a sentence under the title (where the figures come from, or why there are none)


@dataclass
class Dashboard:
    region_code: str
    region_name: str
    start: datetime.date
    end: datetime.date
    breakdown: str
    headline: list[tuple[str, str, Cell]]
    sections: list[Section]
    # Days start..summary_through come from the nightly summary (summary.py); later days are counted live.
    summary_through: datetime.date | None = None
    # When the institution counts were taken, if they come from the snapshot (a prefecture or larger); None: live.
    institutions_at: datetime.datetime | None = None
    previous: tuple[datetime.date, datetime.date] | None = None  # the period the trends compare with

    def as_json(self) -> dict:
        """Plain JSON (labels in Chinese, no links): what a weekly report keeps."""

        def value(cell):
            return f"{cell.value:.2f}" if isinstance(cell.value, Decimal) else cell.value

        return {
            "region_code": self.region_code,
            "region_name": self.region_name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "headline": [[label, value(cell)] for _key, label, cell in self.headline],
            "sections": [
                {
                    "key": section.key,
                    "title": section.title,
                    "note": section.note,
                    "tables": [
                        {
                            "caption": table.caption,
                            "head": table.head,
                            "columns": table.columns,
                            "rows": [[row.label, *[value(c) for c in row.cells]] for row in table.rows],
                        }
                        for table in section.tables
                    ],
                }
                for section in self.sections
            ],
        }


class _Links:
    """Builds the URL of the rows behind a figure (nothing for a system report, which has no reader)."""

    def __init__(self, *, user, code: str, start, end):
        self.user, self.code = user, code
        self.period = {"start": start.isoformat(), "end": end.isoformat()}

    def ledger(self, kind: str, *, area: str | None = None, dept: int | None = None, **filters) -> str:
        if self.user is None:
            return ""
        params = {"region": area if area is not None else self.code, **self.period, **filters}
        if dept:
            params["department"] = dept
        return reverse("ledger", args=[kind]) + "?" + urlencode({k: v for k, v in params.items() if v not in ("",
                                                                                                            None)})

    def state(self, spec: StateSection, *, area: str | None = None, **filters) -> str:
        """The register's list of the rows behind a figure of its current state (the app builds the URL)."""
        if self.user is None:
            return ""
        return spec.link(self.user, area if area is not None else self.code, filters)


def _grouped(kind: str, *, user, code: str, length: int, low, high, measures: list[str], dimension: str = "",
             dept_name: str = "", amount: str = "") -> list[dict]:
    """One GROUP BY (sub-region, department[, dimension]) query with one filtered count per measure."""
    ledger = get_ledger(kind)
    queryset = ledger.scoped(None).filter(ledger.dashboard_scope_q(user))
    if code:
        queryset = queryset.filter(**{f"{ledger.region_field}__startswith": code})
    any_measure = Q()
    annotations = {}
    for measure in measures:
        q = ledger.measure_q(measure, low, high)
        any_measure |= q
        annotations[f"m_{measure}"] = Count("pk", filter=q)
    if amount:
        annotations["m_amount"] = Sum(amount, filter=ledger.measure_q(measures[0], low, high))
    keys = ["area", "dept", "dept_name", *([dimension] if dimension else [])]
    return list(
        queryset.filter(any_measure)
        .annotate(area=Substr(ledger.region_field, 1, length), dept=F(ledger.department_field),
                  dept_name=F(dept_name))
        .values(*keys)
        .annotate(**annotations)
        .order_by()
    )


class _Folded:
    """Aggregated rows folded into (sub-region, column) and (department, column) sums."""

    def __init__(self):
        self.by_area = defaultdict(lambda: defaultdict(int))
        self.by_dept = defaultdict(lambda: defaultdict(int))
        self.total = defaultdict(int)
        self.dept_names: dict[int | None, str] = {}

    def departments(self) -> list:
        """By name, then id (departments of the same name in different prefectures keep one order); None last."""
        return sorted(self.by_dept, key=lambda d: (d is None, self.dept_names.get(d, ""), d or 0))

    def add(self, row: dict, column: str, value) -> None:
        value = value or 0
        self.by_area[row["area"]][column] += value
        self.by_dept[row.get("dept")][column] += value
        self.total[column] += value
        self.dept_names[row.get("dept")] = row.get("dept_name") or ""


def previous_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """The period a dashboard's figures are compared with: the same days of the previous month for a period
    inside one month from its 1st (本月: 上月同期), the same dates of the previous year for one inside a year from
    1 January (本年: 上年同期), otherwise as many days just before it. None before the calendar's first year."""
    if start.year < 2:
        return None
    if start.day == 1 and (end.year, end.month) == (start.year, start.month):
        last_of_previous = start - datetime.timedelta(days=1)
        first = last_of_previous.replace(day=1)
        return first, min(last_of_previous, first + (end - start))
    if (start.month, start.day) == (1, 1) and end.year == start.year:
        day = end.day if (end.month, end.day) != (2, 29) else 28
        return start.replace(year=start.year - 1), end.replace(year=end.year - 1, day=day)
    days = end - start + datetime.timedelta(days=1)
    return start - days, start - datetime.timedelta(days=1)


def dashboard_figures(*, user, region_code: str, start: datetime.date, end: datetime.date,
                      previous: tuple[datetime.date, datetime.date] | None = None) -> Dashboard:
    """Every figure of the dashboard (and of a weekly report, with user=None: no permission scope); the trends
    compare with `previous` (default: previous_period)."""
    with translation.override(translation.get_language() if user is not None else "zh-hans"):
        return _Builder(user=user, code=region_code, start=start, end=end,
                        previous=previous or previous_period(start, end)).build()


class _Builder:
    def __init__(self, *, user, code, start, end, previous=None, state=None):
        self.user, self.code, self.start, self.end, self.previous = user, code, start, end, previous
        self.length = _CHILD_LENGTH.get(len(code), len(code))
        self.low, self.high = period_bounds(start, end)
        self.links = _Links(user=user, code=code, start=start, end=end)
        self.totals: dict[str, object] = {}  # "<ledger>.<measure>" -> its total over the period, as counted
        # The nightly summary holds days up to `through`: the period's days up to it are read from there (one
        # query per range of rows for every figure at once), the later ones (today) are counted live.
        self.state = state = state or summary.current()
        through = state["through"]
        # A prefecture's (or larger) institutions are counted from the snapshot retaken every ten minutes.
        self.institutions_at = state["institutions_at"] if len(code) <= summary.SNAPSHOT_CODE_LENGTH else None
        self.summary_last = min(end, through) if through is not None and through >= start else None
        self.live_low = period_bounds(self.summary_last + datetime.timedelta(days=1), None)[0] if (
            self.summary_last) else self.low
        self._summary_rows = None

    def _rows(self, kind: str, measures: list[str], *, dimension: str = "", dept_name: str = "",
              amount: str = "") -> list[dict]:
        """The rows of _grouped for the period: summarised days from DailyFigure plus the rest counted live."""
        summed = [m for m in measures if self.summary_last and summary.summarised(kind, m)]
        rest = [m for m in measures if m not in summed]
        def live(low, wanted):
            return _grouped(kind, user=self.user, code=self.code, length=self.length, low=low, high=self.high,
                            measures=wanted, dimension=dimension, dept_name=dept_name, amount=amount)

        rows = []
        if summed:
            if self._summary_rows is None:
                self._summary_rows = defaultdict(list)
                for row in summary.summary_rows(user=self.user, code=self.code, length=self.length,
                                                first=self.start, last=self.summary_last):
                    self._summary_rows[row["figure"]].append(row)
            for measure in summed:
                for row in self._summary_rows[f"{kind}.{measure}"]:
                    rows.append({"area": row["area"], "dept": row["dept"], "dept_name": row["dept_name"],
                                 **({dimension: row["dimension"]} if dimension else {}),
                                 **{f"m_{m}": 0 for m in measures}, f"m_{measure}": row["n"],
                                 **({"m_amount": row["amount"]} if amount else {})})
            if self.live_low < self.high:
                rows += live(self.live_low, summed)
        if rest:
            rows += live(self.low, rest)
        if summed and rest:
            # A ledger with summarised and live measures (say, filings received summarised, decided live): each
            # row counts only its own measures, the others are zero in it (the folding adds them up).
            for row in rows:
                for measure in measures:
                    row.setdefault(f"m_{measure}", 0)
        for measure in measures:  # what the trends compare with the previous period
            self.totals[f"{kind}.{measure}"] = sum(row.get(f"m_{measure}") or 0 for row in rows)
        return rows

    # -- helpers ------------------------------------------------------------------------------------------

    def _regions(self) -> tuple[str, list[tuple[str, str]]]:
        """The region's own name and its sub-regions, in one query."""
        wanted = Q(code=self.code) if self.code else Q(pk__in=[])
        if self.length != len(self.code):
            wanted |= Q(code__startswith=self.code, level__in=_levels_of_length(self.length))
        rows = list(Region.objects.filter(wanted).order_by("code").values_list("code", "name"))
        own = next((name for code, name in rows if code == self.code), self.code) if self.code else str(_("全国"))
        return own, [(code, name) for code, name in rows if code != self.code]

    def _area_rows(self, folded: _Folded) -> list[tuple[str, str]]:
        """Every sub-region (zeros included, so they stand side by side), then any other code seen in the data."""
        rows = list(self.areas)
        known = {code for code, _name in rows}
        for area in sorted(a for a in folded.by_area if a not in known):
            rows.append((area, str(_("本级")) if area == self.code else area))
        return rows

    def _table(self, caption, head, row_keys, columns, value, url, *, total_label=None) -> Table:
        """Rows × columns of figures; value(row, col) and url(row, col) get TOTAL as the row of the total."""
        rows = [Row(label, [Cell(value(key, col), url(key, col)) for col, _l in columns]) for key, label in row_keys]
        if total_label:
            rows.append(Row(str(total_label), [Cell(value(TOTAL, col), url(TOTAL, col)) for col, _l in columns],
                            is_total=True))
        return Table(str(caption), str(head), [str(label) for _c, label in columns], rows)

    def _region_and_department_tables(self, folded: _Folded, columns, url_for) -> list[Table]:
        """The standard pair of tables: sub-regions side by side, then departments; both with a total row."""
        tables = []
        if self.length != len(self.code):
            tables.append(self._table(
                _("按%(level)s") % {"level": self.breakdown}, self.breakdown, self._area_rows(folded), columns,
                lambda area, col: folded.total[col] if area is TOTAL else folded.by_area[area][col],
                lambda area, col: url_for(col) if area is TOTAL else url_for(col, area=area),
                total_label=_("合计"),
            ))
        depts = folded.departments()
        dept_rows = [(d, folded.dept_names.get(d) or str(_("未分办"))) for d in depts]

        def dept_url(dept, col):
            if dept is TOTAL:
                return url_for(col)
            return "" if dept is None else url_for(col, dept=dept)  # no filter for "not yet assigned"

        tables.append(self._table(
            _("按部门"), _("部门"), dept_rows, columns,
            lambda dept, col: folded.total[col] if dept is TOTAL else folded.by_dept[dept][col],
            dept_url, total_label=_("合计"),
        ))
        return tables

    def _chart_by_area(self, folded: _Folded, columns, url_for, *, stacked=False, title="", tones=None) -> str:
        groups = [
            (label, [(folded.by_area[code][col], url_for(col, area=code)) for col, _l in columns])
            for code, label in self._area_rows(folded)
        ]
        return charts.bar_chart(groups, series=[str(label) for _c, label in columns], stacked=stacked,
                                title=str(title), tones=[(tones or {}).get(col) for col, _l in columns])

    # -- sections -----------------------------------------------------------------------------------------

    def build(self) -> Dashboard:
        self.breakdown = str(_CHILD_NAME.get(len(self.code), _("区划")))
        region_name, self.areas = self._regions()
        self.headline: list[tuple[str, str, Cell]] = []
        draw = {StateSection: self._state, MeasureSection: self._measures, BreakdownSection: self._breakdown,
                ItemSection: self._items, CountSection: self._count}
        sections = [draw[type(spec)](spec) for spec in registry.sections()]
        if registry.trends():
            sections.insert(0, self._trends(registry.trends()))
        return Dashboard(self.code, region_name or self.code, self.start, self.end, self.breakdown,
                         self.headline, sections, summary_through=self.summary_last,
                         institutions_at=self.institutions_at, previous=self.previous)

    def _state(self, spec: StateSection) -> Section:
        """A register's current state: one table (and for the chart dimension a stacked chart) per dimension."""
        fields = [field for field, _choices, _caption in spec.dimensions]
        if self.institutions_at:
            rows = summary.institution_rows(code=self.code, length=self.length)
        else:
            queryset = spec.rows()
            if self.code:
                queryset = queryset.filter(**{f"{spec.region_field}__startswith": self.code})
            rows = list(
                queryset.annotate(area=Substr(spec.region_field, 1, self.length))
                .values("area", *fields)
                .annotate(n=Count("*"))  # COUNT(*): an index-only scan of inst_region_figures; COUNT(id) reads rows
                .order_by()
            )
        section = Section(spec.code, str(spec.title))
        total = 0
        for dimension, choices, caption in spec.dimensions:
            folded = _Folded()
            for row in rows:
                folded.add(row, row[dimension], row["n"])
            columns = list(choices)

            def url_for(col, area=None, dept=None, _dimension=dimension):
                return self.links.state(spec, area=area, **{_dimension: col})

            area_rows = self._area_rows(folded) if self.length != len(self.code) else [(self.code, self.breakdown)]
            section.tables.append(self._table(
                caption, self.breakdown, area_rows, columns,
                lambda area, col, f=folded: f.total[col] if area is TOTAL else f.by_area[area][col],
                lambda area, col, u=url_for: u(col) if area is TOTAL else u(col, area=area),
                total_label=str(_("合计")) if self.length != len(self.code) else None,
            ))
            if dimension == spec.chart_dimension:
                section.charts.append(self._chart_by_area(folded, columns, url_for, stacked=True,
                                                          title=spec.chart_title, tones=spec.chart_tones))
                total = sum(folded.total.values())
        self.headline.append((spec.headline.key, str(spec.headline.label), Cell(total, self.links.state(spec))))
        return section

    def _measures(self, spec: MeasureSection) -> Section:
        """Columns of measures, each ledger counted in one query (its columns together)."""
        by_ledger: dict[str, list] = {}
        for column in spec.columns:
            by_ledger.setdefault(column.ledger, []).append(column)
        folded = _Folded()
        for kind, ledger_columns in by_ledger.items():
            rows = self._rows(kind, [column.measure for column in ledger_columns],
                              dept_name=get_ledger(kind).department_name_field)
            for row in rows:
                for column in ledger_columns:
                    folded.add(row, column.code, row[f"m_{column.measure}"])
        by_code = {column.code: column for column in spec.columns}
        columns = [(column.code, column.label) for column in spec.columns]

        def url_for(col, area=None, dept=None):
            column = by_code[col]
            return self.links.ledger(column.ledger, area=area, dept=dept, measure=column.measure)

        section = Section(spec.code, str(spec.title))
        section.tables = self._region_and_department_tables(folded, columns, url_for)
        charted = [(code, label) for code, label in columns if not spec.chart_columns or code in spec.chart_columns]
        section.charts.append(self._chart_by_area(folded, charted, url_for, title=spec.chart_title))
        for headline in spec.headline:
            label = headline.label or by_code[headline.column].label
            self.headline.append((headline.key, str(label),
                                  Cell(folded.total[headline.column], url_for(headline.column))))
        return section

    def _breakdown(self, spec: BreakdownSection) -> Section:
        """One measure by the values of a field (the columns), and the sum of an amount in a last column."""
        ledger = get_ledger(spec.ledger)
        rows = self._rows(spec.ledger, [spec.measure], dimension=spec.dimension,
                          dept_name=ledger.department_name_field, amount=spec.amount)
        counted = f"m_{spec.measure}"
        folded = _Folded()
        for row in rows:
            folded.add(row, row[spec.dimension], row[counted])
            if spec.amount:
                folded.add(row, _AMOUNT, row["m_amount"] or Decimal("0"))
        values = [(value, label) for value, label in spec.choices if not spec.only_seen or folded.total.get(value)]
        columns = [*values, *([(_AMOUNT, spec.amount_label)] if spec.amount else [])]

        def url_for(col, area=None, dept=None):
            return self.links.ledger(spec.ledger, area=area, dept=dept, measure=spec.measure,
                                     **{spec.link_filter: "" if col == _AMOUNT else col})

        section = Section(spec.code, str(spec.title))
        section.tables = self._region_and_department_tables(folded, columns, url_for)
        if spec.chart == BreakdownSection.BY_VALUE:
            section.charts.append(charts.bar_chart(
                [(str(label), [(folded.total[value], url_for(value))]) for value, label in values],
                series=[str(spec.chart_series)], title=str(spec.chart_title),
            ))
        else:
            section.charts.append(self._chart_by_area(folded, columns, url_for, stacked=True,
                                                      title=spec.chart_title))
        count = sum(v for k, v in folded.total.items() if k != _AMOUNT)
        whole = self.links.ledger(spec.ledger, measure=spec.measure)
        self.headline.append((spec.headline.key, str(spec.headline.label), Cell(count, whole)))
        if spec.amount_headline is not None:
            amount = Decimal(folded.total[_AMOUNT] or 0)
            self.headline.append((spec.amount_headline.key, str(spec.amount_headline.label), Cell(amount, whole)))
        return section

    def _items(self, spec: ItemSection) -> Section:
        """One measure by an open-ended code: a row per code seen (most frequent first), sub-regions as columns."""
        rows = self._rows(spec.ledger, [spec.measure], dimension=spec.dimension,
                          dept_name=get_ledger(spec.ledger).department_name_field)
        counted = f"m_{spec.measure}"
        folded = _Folded()
        for row in rows:
            folded.add(row, row[spec.dimension], row[counted])
        codes = sorted(folded.total, key=lambda c: (-folded.total[c], c))
        texts = spec.texts()

        def item_label(code):
            text = texts.get(code, "")
            return f"{code} {text[:18]}…" if len(text) > 18 else f"{code} {text}"

        def url_for(col, area=None, dept=None):
            return self.links.ledger(spec.ledger, area=area, dept=dept, measure=spec.measure,
                                     **{spec.link_filter: col or ""})

        section = Section(spec.code, str(spec.title))
        item_rows = [(code, item_label(code)) for code in codes]
        area_columns = [(code, name) for code, name in self._area_rows(folded)] if self.length != len(
            self.code) else []
        columns = [*area_columns, ("__all__", _("合计"))]

        def value(item, area):
            if area == "__all__":
                return sum(folded.total.values()) if item is TOTAL else folded.total[item]
            return sum(folded.by_area[area].values()) if item is TOTAL else folded.by_area[area][item]

        def link(item, area):
            return url_for("" if item is TOTAL else item, area=None if area == "__all__" else area)

        section.tables.append(self._table(spec.caption % {"level": self.breakdown}, spec.head,
                                          item_rows, columns, value, link, total_label=str(_("合计"))))
        depts = folded.departments()
        section.tables.append(self._table(
            _("按部门"), _("部门"), [(d, folded.dept_names.get(d, "")) for d in depts], [("n", spec.count_label)],
            lambda dept, col: sum(folded.total.values()) if dept is TOTAL else sum(folded.by_dept[dept].values()),
            lambda dept, col: self.links.ledger(spec.ledger, dept=None if dept is TOTAL else dept,
                                                measure=spec.measure),
            total_label=_("合计"),
        ))
        section.charts.append(charts.bar_chart(
            [(item_label(code), [(folded.total[code], url_for(code))]) for code in codes],
            series=[str(spec.count_label)], title=str(spec.chart_title),
        ))
        self.headline.append((spec.headline.key, str(spec.headline.label),
                              Cell(sum(folded.total.values()), self.links.ledger(spec.ledger, measure=spec.measure))))
        return section


    def _count(self, spec: CountSection) -> Section:
        """A current count by a value, per sub-region (the app counts, one query); no period."""
        folded = _Folded()
        for row in spec.counts(self.code, self.length):
            folded.add(row, row["value"], row["n"])
        columns = list(spec.choices)

        def url_for(col, area=None, dept=None):
            return self.links.ledger(spec.ledger, area=area, measure=spec.measure, **{spec.link_filter: col})

        by_area = self.length != len(self.code)
        section = Section(spec.code, str(spec.title))
        section.tables.append(self._table(
            spec.caption, self.breakdown, self._area_rows(folded) if by_area else [(self.code, self.breakdown)],
            columns, lambda area, col: folded.total[col] if area is TOTAL else folded.by_area[area][col],
            lambda area, col: url_for(col) if area is TOTAL else url_for(col, area=area),
            total_label=_("合计") if by_area else None,
        ))
        section.charts.append(self._chart_by_area(folded, columns, url_for, stacked=True, title=spec.chart_title,
                                                  tones=spec.chart_tones))
        counted = spec.headline_values or [value for value, _label in columns]
        self.headline.append((spec.headline.key, str(spec.headline.label), Cell(
            sum(folded.total[value] for value in counted),
            self.links.ledger(spec.ledger, measure=spec.headline_measure or spec.measure))))
        return section

    # -- trends -------------------------------------------------------------------------------------------

    def _trends(self, trends: list[Trend]) -> Section:
        """The trends: this period beside the previous one, and the last twelve months (from the summary)."""
        section = Section("trends", str(_("变化趋势")))
        through = self.state["through"]
        if through is None or self.previous is None:
            section.note = str(_("按月趋势和与上期比较取自每日夜间汇总，首次汇总后显示。"))
            return section
        by_ledger: dict[str, list[str]] = {}
        for trend in trends:
            if trend.key not in self.totals:  # no section counted it: count it the same way
                by_ledger.setdefault(trend.ledger, []).append(trend.measure)
        for kind, measures in by_ledger.items():
            self._rows(kind, measures, dept_name=get_ledger(kind).department_name_field)
        section.tables.append(self._comparison(trends))
        months_table, chart = self._months(trends, through)
        section.tables.append(months_table)
        section.charts.append(chart)
        section.note = str(_("按月数字取自每日夜间汇总（截至%(through)s），本期与上期按统计期间计算。") % {
            "through": _date(through)})
        return section

    def _comparison(self, trends: list[Trend]) -> Table:
        """Each trend's figure of this period beside the previous period's, read like the period's (summary
        rows, and the days after the summary live), with the change."""
        first, last = self.previous
        before = _Builder(user=self.user, code=self.code, start=first, end=last, state=self.state)
        by_ledger: dict[str, list[str]] = {}
        for trend in trends:
            by_ledger.setdefault(trend.ledger, []).append(trend.measure)
        for kind, measures in by_ledger.items():
            before._rows(kind, measures, dept_name=get_ledger(kind).department_name_field)
        headline = {key: cell for key, _label, cell in self.headline}
        columns = [("now", _("本期")), ("before", _("上期")), ("change", _("增减")), ("rate", _("增减率（%）"))]

        def value(trend, col):
            now, then = self.totals.get(trend.key, 0), before.totals.get(trend.key, 0)
            if col == "now":
                return now
            if col == "before":
                return then
            if col == "change":
                return now - then
            return round((now - then) * 100 / then) if then else None  # whole per cent; none against zero

        def url(trend, col):
            if col == "now":
                return self.links.ledger(trend.ledger, measure=trend.measure)
            if col == "before":
                return before.links.ledger(trend.ledger, measure=trend.measure)
            return ""

        for trend in trends:
            if trend.headline in headline:
                headline[trend.headline].previous = before.totals.get(trend.key, 0)
        caption = _("本期与上期比较（上期：%(start)s至%(end)s）") % {"start": _date(first), "end": _date(last)}
        return self._table(caption, _("指标"), [(trend, str(trend.label)) for trend in trends], columns, value, url)

    def _months(self, trends: list[Trend], through: datetime.date) -> tuple[Table, str]:
        """The last twelve months up to the period's end, from the month rows (one query); a month after the
        summary has no figure yet."""
        last = self.end.replace(day=1)
        months = [last]
        while len(months) < 12:
            months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
        counts = summary.month_totals(user=self.user, code=self.code, first=months[0], last=last,
                                      figures=[trend.key for trend in trends])

        def label(month):
            return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month} if (
                month == months[0] or month.month == 1) else _("%(month)s月") % {"month": month.month}

        def value(trend, month):
            return counts.get((trend.key, month), 0) if month <= through else None

        def url(trend, month):
            if month > through:
                return ""
            month_end = summary._next_month(month) - datetime.timedelta(days=1)
            links = _Links(user=self.user, code=self.code, start=month, end=month_end)
            return links.ledger(trend.ledger, measure=trend.measure)

        columns = [(month, label(month)) for month in months]
        caption = _("近12个月（%(first)s至%(last)s）") % {"first": _month(months[0]), "last": _month(last)}
        table = self._table(caption, _("指标"), [(trend, str(trend.label)) for trend in trends], columns, value, url)
        charted = [trend for trend in trends if trend.chart] or trends[:1]
        chart = charts.bar_chart(
            [(str(label(month)), [(value(trend, month) or 0, url(trend, month)) for trend in charted])
             for month in months],
            series=[str(trend.label) for trend in charted], title=str(_("近12个月趋势")),
            tones=[trend.tone or None for trend in charted])
        return table, chart


def _date(day: datetime.date) -> str:
    return _("%(year)s年%(month)s月%(day)s日") % {"year": day.year, "month": day.month, "day": day.day}


def _month(day: datetime.date) -> str:
    return _("%(year)s年%(month)s月") % {"year": day.year, "month": day.month}


def _levels_of_length(length: int) -> list[int]:
    return [level for level, size in CODE_LENGTH.items() if size == length]
