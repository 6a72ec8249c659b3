"""Ledgers of the oversight pages (visits, problems, orders, suspensions, cases, penalties, reports, list entries).

One `Ledger` per kind, declared by the app that owns its rows (`<app>/oversight.py`, see regulator/registry.py),
says how its rows are scoped (the app's own visible_* function), where its region and department sit, which measures it
has (the same Q that the dashboard counts with, so a figure and the rows behind its link always agree), which
filters it accepts, and its columns. The HTML ledger and the .xlsx export share the filtered queryset; the
export streams it with `.iterator()` into a write-only workbook.
"""

import datetime
from collections.abc import Iterator
from operator import itemgetter

from django import forms
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from regulator.models import Department, Region
from regulator.paging import keyset_page
from regulator.registry import Ledger, registry
from regulator.scope import in_region
from regulator.spreadsheets import xlsx_file

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
    if (start and start.year < 2) or (end and end.year > 9998):  # the calendar's edges: no day before or after
        return str(_("日期超出可统计的范围，请重新选择统计期间。"))
    if start and end and end < start:
        return str(_("结束日期早于开始日期，请重新选择统计期间。"))
    if start and end and (end - start).days + 1 > PERIOD_MAX_DAYS:
        return str(_("统计期间不能超过3年，请缩短期间后重试。"))
    return ""


# ---- ledger specifications -----------------------------------------------------------------------------


def ledgers() -> dict[str, Ledger]:
    """Every ledger the apps registered (their own <app>/oversight.py), in the order of registration."""
    return registry.ledgers


def get_ledger(kind: str) -> Ledger | None:
    return registry.ledgers.get(kind)


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
        if not self.ledger.department_field:
            raise forms.ValidationError(_("该台账不按部门统计，请清除部门条件。"))
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
    paths = [path for _header, path in ledger.columns]
    labels = {path: make() for path, make in ledger.choice_labels.items()}
    fetched, next_after = keyset_page(queryset.values_list("pk", *paths), after=after, size=size or PAGE_SIZE,
                                      key=itemgetter(0))
    rows = [[_display(value, labels.get(path)) for path, value in zip(paths, values[1:], strict=True)]
            for values in fetched]
    return rows, next_after


def exceeds_limit(queryset: QuerySet, limit: int = EXPORT_MAX_ROWS) -> bool:
    return queryset.order_by().values("pk")[limit : limit + 1].exists()


def ledger_xlsx(queryset: QuerySet, ledger: Ledger, *, caption=()):
    """A temporary file holding the ledger workbook (under its title block), rewound; the caller streams and
    closes it."""
    with translation.override("zh-hans"):
        headers = [str(header) for header, _path in ledger.columns]
        title = str(ledger.title)
    return xlsx_file(sheets=[(title, headers, iter_rows(queryset, ledger))], caption=caption)
