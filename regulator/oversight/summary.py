"""The nightly summary behind the dashboard: each day's figures per region × department, kept in DailyFigure.

At a province's scale (1,000,000 institutions, 2,000,000 visits) a prefecture's year of visits and orders is too
many rows to count on every page view (docs/bench-oversight.md). The measures whose rows never move once counted —
a visit submitted, a problem found, an order approved, closed or overdue, a suspension issued, a penalty decided, a
list entry published: each registered as a `Figure` by its app, on a measure with a `day_field` — are therefore
counted once per local day into DailyFigure by `refresh()`; the dashboard sums those days up to
`DailyFigureState.through` and counts only the later days (today) live. Reports are not summarised: whether a
report was handled in time changes after the day it was received.

`refresh()` rewrites whole days (DELETE, then INSERT … SELECT of the same GROUP BY the dashboard runs: no
row passes through Python), in one transaction under an advisory lock, so a repeated or concurrent run
changes nothing. The beat job rewrites the last REWRITE_DAYS days each night (late corrections land);
`manage.py refresh_daily_figures --full` rebuilds everything (after a bulk import of history).
An institution that moves to another region takes its past figures along (`institution_moved`, connected to
regulator.hooks.on_institution_moved by the floor's AppConfig).

The institutions' current state (standing × category × operating state) is not a daily figure: the dashboards
of prefectures and provinces read it from InstitutionFigure (per county), retaken every ten minutes
(`refresh_institutions`); a county's dashboard counts it live.
"""

import datetime
import logging
import time

from django.db import connection, transaction
from django.db.models import Count, DateField, DecimalField, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast, Substr, TruncDate, TruncMonth
from django.utils import timezone

from regulator.locks import advisory_lock
from regulator.models import DailyFigure, DailyFigureState, InstitutionFigure
from regulator.registry import Figure, registry

from .exports import get_ledger, period_bounds

logger = logging.getLogger(__name__)

LOCK_NAME = "regulator.summary.refresh"
INSTITUTIONS_LOCK_NAME = "regulator.summary.institutions"
# Regions whose code is at most this long (a prefecture, a province, the country) count institutions from
# InstitutionFigure, which is per county: a province's million institutions take seconds to count live, a
# prefecture's 190,000 an index-only scan of 90-150 ms; a county's (broken down by township) count live, ~14 ms.
SNAPSHOT_CODE_LENGTH = 4
COUNTY_CODE_LENGTH = 6
REWRITE_DAYS = 7  # the nightly run rewrites this many days back, so late corrections reach the summary


def figures():
    """The summarised measures (registry.Figure), as the apps registered them in their oversight.py."""
    return registry.figures.values()


def summarised(ledger: str, measure: str) -> bool:
    return f"{ledger}.{measure}" in registry.figures


def through() -> datetime.date | None:
    """The last day the summary holds (every earlier day is complete), or None before the first run."""
    return current()["through"]


def current() -> dict:
    """`through` and `institutions_at` (when the institution counts were taken), in one query."""
    return (DailyFigureState.objects.filter(pk=1).values("through", "institutions_at").first()
            or {"through": None, "institutions_at": None})


def _next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _stored(span: str, first: datetime.date | None, last: datetime.date, region_codes=None):
    """DailyFigure rows of one span dated [first, last] (first None: from the beginning), optionally of some regions."""
    rows = DailyFigure.objects.filter(span=span, day__lte=last)
    if first is not None:
        rows = rows.filter(day__gte=first)
    if region_codes is not None:
        rows = rows.filter(region_code__in=list(region_codes))
    return rows


def _counted(figure: Figure, *, low, high):
    """The rows the figure counts over [low, high) (every department's: the summary is for all users)."""
    ledger = get_ledger(figure.ledger)
    return ledger.scoped(None).filter(ledger.measure_q(figure.measure, low, high))


def _day(figure: Figure) -> TruncDate:
    return TruncDate(get_ledger(figure.ledger).measures[figure.measure].day_field, output_field=DateField())


def _source(figure: Figure, *, low, high, region_codes=None):
    """The GROUP BY (day, region, department, dimension) of one figure over [low, high), as a queryset."""
    ledger = get_ledger(figure.ledger)
    queryset = _counted(figure, low=low, high=high)
    if region_codes is not None:
        queryset = queryset.filter(**{f"{ledger.region_field}__in": list(region_codes)})
    return (
        queryset.annotate(
            s_day=_day(figure),
            s_area=F(ledger.region_field),
            s_dept=F(ledger.department_field),
            s_dim=F(figure.dimension) if figure.dimension else Value(""),
            s_figure=Value(figure.key),
        )
        .values("s_day", "s_figure", "s_area", "s_dept", "s_dim")
        .annotate(
            s_count=Count("pk", output_field=IntegerField()),
            s_amount=Sum(figure.amount) if figure.amount else Cast(Value(None), DecimalField(max_digits=18,
                                                                                           decimal_places=2)),
        )
        .order_by()
    )


def _insert(queryset, span: str) -> int:
    """INSERT … SELECT a grouped queryset (columns s_day, s_figure, …) into DailyFigure; returns the rows written."""
    sql, params = queryset.query.sql_with_params()
    table = DailyFigure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, span, figure, region_code, department_id, dimension, count, amount) "
            f"SELECT s.s_day, %s, s.s_figure, s.s_area, s.s_dept, s.s_dim, s.s_count, s.s_amount FROM ({sql}) s",
            [span, *params],
        )
        return max(cursor.rowcount, 0)


def _months(first: datetime.date | None, last: datetime.date, *, region_codes=None) -> int:
    """The month rows of the months holding days [first, last], summed again from their day rows."""
    month = first.replace(day=1) if first is not None else None
    _stored("month", month, last, region_codes).delete()
    return _insert(
        _stored("day", month, last, region_codes)
        .annotate(s_day=TruncMonth("day", output_field=DateField()), s_figure=F("figure"),
                  s_area=F("region_code"), s_dept=F("department_id"), s_dim=F("dimension"))
        .values("s_day", "s_figure", "s_area", "s_dept", "s_dim")
        .annotate(s_count=Sum("count"), s_amount=Sum("amount"))
        .order_by(),
        "month",
    )


def _rewrite(first: datetime.date | None, last: datetime.date, *, region_codes=None, months: bool = True) -> int:
    """Days [first, last] (first None: from the beginning) of every figure, rewritten, and their months;
    optionally only some regions."""
    low, high = period_bounds(first, last)
    _stored("day", first, last, region_codes).delete()
    rows = sum(_insert(_source(figure, low=low, high=high, region_codes=region_codes), "day") for figure in figures())
    return rows + (_months(first, last, region_codes=region_codes) if months else 0)


def refresh(*, today: datetime.date | None = None, full: bool = False, since: datetime.date | None = None) -> dict:
    """Bring the summary up to yesterday: the last REWRITE_DAYS days (or every day: `full`, or from `since`).

    Returns what was done; {"skipped": True} when another run holds the lock.
    """
    today = today or timezone.localdate()
    last = today - datetime.timedelta(days=1)
    started = time.monotonic()
    with advisory_lock(LOCK_NAME) as acquired:
        if not acquired:
            logger.info("daily figures: another refresh is running; skipped")
            return {"skipped": True}
        with transaction.atomic():
            state = DailyFigureState.objects.select_for_update().get_or_create(pk=1)[0]
            if full or state.through is None:
                first = None  # nothing summarised yet: every day from the first event
            elif since is not None:
                first = min(since, state.through + datetime.timedelta(days=1))
            else:
                first = min(state.through + datetime.timedelta(days=1), last - datetime.timedelta(
                    days=REWRITE_DAYS - 1))
            rows = _rewrite(first, last) if first is None or first <= last else 0
            state.through = last
            state.refreshed_from = first
            state.refreshed_at = timezone.now()
            state.rows = rows
            state.seconds = round(time.monotonic() - started, 3)
            state.save()
        _vacuum(DailyFigure)  # also ANALYZE: after a back-fill the planner must know the table's new size
    logger.info("daily figures: %s to %s rewritten, %s rows, %.1f s", first or "start", last, rows, state.seconds)
    return {"skipped": False, "first": first, "last": last, "rows": rows, "seconds": state.seconds}


def _vacuum(model) -> None:
    """VACUUM (ANALYZE) a summary table after rewriting it, outside any transaction (PostgreSQL only).

    The rewritten rows clear the visibility map of their pages, and the dashboard's reads are index-only scans
    that would then visit the table; autovacuum would come only after a fifth of the table changed (measured
    at 1,000,000 institutions: the prefecture's month rows 24 ms after a VACUUM, 66 ms after five nightly runs).
    Only the changed pages are visited, so this takes seconds even for the day rows of years.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def institution_moved(institution_id: int, old_region: str, new_region: str) -> int:
    """An institution changed region: rewrite, in both regions, the summarised days holding its rows.

    Called in the transaction of the change (institutions.services, through regulator.hooks), so the
    dashboard's figures keep agreeing with the ledgers, which count by the institution's current region.
    """
    last = through()
    if last is None or old_region == new_region:
        return 0
    _low, high = period_bounds(None, last)
    days = set()
    for figure in figures():
        institution = get_ledger(figure.ledger).region_field.removesuffix("region__code") + "id"
        days.update(_counted(figure, low=None, high=high).filter(**{institution: institution_id})
                    .annotate(s_day=_day(figure)).order_by().values_list("s_day", flat=True).distinct())
    rows = 0
    codes = [old_region, new_region]
    for day in sorted(days):
        rows += _rewrite(day, day, region_codes=codes, months=False)
    for month in sorted({day.replace(day=1) for day in days}):
        rows += _months(month, _next_month(month) - datetime.timedelta(days=1), region_codes=codes)
    return rows


def summary_q(user) -> Q:
    """What of DailyFigure a user's dashboard counts: the department kind of a head where the app scopes so."""
    q = Q()
    for figure in figures():
        scope = get_ledger(figure.ledger).dashboard_scope_q(user)
        if scope:
            q &= ~Q(figure=figure.key) | Q(department__kind=user.department_kind)
    return q


def _spans(first: datetime.date, last: datetime.date) -> list[Q]:
    """Days [first, last] as the fewest rows: month rows for the whole months inside, day rows for the days
    before and after them. One Q per contiguous range, each served alone by an index-only scan (an OR of the
    ranges makes PostgreSQL combine bitmaps and read the table's pages: 85 ms instead of ~15 for a prefecture)."""
    months_from = first if first.day == 1 else _next_month(first)
    after_last = last + datetime.timedelta(days=1)
    months_to = after_last if after_last.day == 1 else last.replace(day=1)  # exclusive
    if months_from >= months_to:
        return [Q(span="day", day__gte=first, day__lte=last)]
    ranges = [Q(span="day", day__gte=first, day__lt=months_from) if first < months_from else None,
              Q(span="month", day__gte=months_from, day__lt=months_to),
              Q(span="day", day__gte=months_to, day__lte=last) if months_to <= last else None]
    return [q for q in ranges if q is not None]


def summary_rows(*, user, code: str, length: int, first: datetime.date, last: datetime.date) -> list[dict]:
    """Days [first, last] of every figure summed per (figure, sub-region, department, dimension): one query per
    contiguous range of rows (whole months; days before and after them), at most three."""
    rows = []
    for span in _spans(first, last):
        queryset = DailyFigure.objects.filter(span, summary_q(user))
        if code:
            queryset = queryset.filter(region_code__startswith=code)
        rows += (
            queryset.annotate(area=Substr("region_code", 1, length), dept=F("department_id"),
                              dept_name=F("department__name"))
            .values("figure", "area", "dept", "dept_name", "dimension")
            .annotate(n=Sum("count"), amount=Sum("amount"))
            .order_by()
        )
    return rows


def month_totals(*, user, code: str, first: datetime.date, last: datetime.date, figures) -> dict:
    """{(figure, first day of the month): count} of the month rows of months [first, last] (first days of months)
    for the given figures, in one query: the dashboard's trends, whatever the size of the tables below."""
    queryset = DailyFigure.objects.filter(summary_q(user), span="month", day__gte=first, day__lte=last,
                                          figure__in=list(figures))
    if code:
        queryset = queryset.filter(region_code__startswith=code)
    return {(row["figure"], row["day"]): row["n"]
            for row in queryset.values("figure", "day").annotate(n=Sum("count")).order_by()}


def _state_fields() -> list[str]:
    """The fields of the registered StateSection (the register's): InstitutionFigure has a column of each."""
    state = registry.state_section()
    return [field for field, _choices, _caption in state.dimensions] if state is not None else []


def refresh_institutions() -> dict:
    """Retake InstitutionFigure (every institution counted per county × standing × category × state: the
    dimensions of the registered StateSection): one DELETE and one INSERT … SELECT in a transaction, under an
    advisory lock."""
    state = registry.state_section()
    started = time.monotonic()
    with advisory_lock(INSTITUTIONS_LOCK_NAME) as acquired:
        if not acquired:
            return {"skipped": True}
        with transaction.atomic():
            InstitutionFigure.objects.all().delete()
            rows = 0
            if state is not None:
                fields = _state_fields()
                aliases = [f"s_{field}" for field in fields]
                # Per county: the province's (and the country's) dashboard breaks down by prefecture at the finest.
                sql, params = (state.rows().annotate(s_region=Substr(state.region_field, 1, COUNTY_CODE_LENGTH),
                                                     **{alias: F(field) for alias, field in zip(aliases, fields,
                                                                                                strict=True)})
                               .values("s_region", *aliases)
                               .annotate(s_count=Count("*")).order_by().query.sql_with_params())
                columns = ", ".join(InstitutionFigure._meta.get_field(field).column for field in fields)
                selected = ", ".join(f"s.{alias}" for alias in aliases)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {InstitutionFigure._meta.db_table} (region_code, {columns}, count) "
                        f"SELECT s.s_region, {selected}, s.s_count FROM ({sql}) s", params)
                    rows = max(cursor.rowcount, 0)
            DailyFigureState.objects.get_or_create(pk=1)
            DailyFigureState.objects.filter(pk=1).update(institutions_at=timezone.now())
        _vacuum(InstitutionFigure)
    return {"skipped": False, "rows": rows, "seconds": round(time.monotonic() - started, 3)}


def institution_rows(*, code: str, length: int) -> list[dict]:
    """The snapshot's counts per (sub-region, standing, category, state): the shape of the dashboard's live query."""
    queryset = InstitutionFigure.objects.all()
    if code:
        queryset = queryset.filter(region_code__startswith=code)
    return list(
        queryset.annotate(area=Substr("region_code", 1, length))
        .values("area", *_state_fields())
        .annotate(n=Sum("count"))
        .order_by()
    )
