"""Working days on the official calendar (法定节假日 and 调休), kept in the database and editable in admin.

Every legal period is computed here. A year counts its holidays and adjusted working days from its
CalendarArrangement's CalendarDay rows (seeded from the chinesecalendar package for the years it covers, by
migration 0011 and `manage.py calendar_seed`; a bureau enters a new year's State Council arrangement in admin the
day it is published). A year without an arrangement falls back to Monday–Friday: the fallback is logged once
per year, and `uncovered_years` tells the pages and the heads' queue which periods rely on it.

Each process keeps every year's days in memory (read in one query) for CACHE_SECONDS; a change in admin
(calendar_changed) drops this process's copy at once and on commit, and other processes pick the change up
within CACHE_SECONDS.
"""

import datetime
import functools
import logging
import threading
import time
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60

# chinesecalendar's English holiday names, as the arrangement notices name them.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass(frozen=True)
class _Year:
    covered: bool
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()


_UNCOVERED = _Year(covered=False)
_state: dict = {"years": None, "loaded_at": 0.0}  # {year: _Year} of every arrangement entered
_lock = threading.Lock()


def _load() -> dict[int, _Year]:
    """Every arrangement and its days in one query (a few hundred rows per decade)."""
    from .models import CalendarArrangement, CalendarDayKind

    days: dict[int, tuple[set, set]] = {}
    for year, date, kind in CalendarArrangement.objects.values_list("year", "days__date", "days__kind"):
        holidays, workdays = days.setdefault(year, (set(), set()))
        if date is not None:
            (holidays if kind == CalendarDayKind.HOLIDAY else workdays).add(date)
    return {year: _Year(True, frozenset(h), frozenset(w)) for year, (h, w) in days.items()}


def _years() -> dict[int, _Year]:
    years = _state["years"]
    if years is None or time.monotonic() - _state["loaded_at"] > CACHE_SECONDS:
        years = _load()
        with _lock:
            _state["years"], _state["loaded_at"] = years, time.monotonic()
    return years


def _year(year: int) -> _Year:
    entry = _years().get(year, _UNCOVERED)
    if not entry.covered:
        _warn_uncovered(year)
    return entry


@functools.cache
def _warn_uncovered(year: int) -> None:
    logger.warning("no holiday arrangement entered for %s; counting Monday-Friday as working days", year)


def forget() -> None:
    """Drop this process's copy of every year (the next read loads from the database)."""
    with _lock:
        _state["years"], _state["loaded_at"] = None, 0.0
    _warn_uncovered.cache_clear()


def calendar_changed() -> None:
    """Call in the transaction that changed an arrangement or its days: dropped now and again on commit."""
    forget()
    transaction.on_commit(forget)


def is_working_day(day: datetime.date) -> bool:
    year = _year(day.year)
    if day in year.holidays:
        return False
    if day in year.workdays:
        return True
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def is_covered(year: int) -> bool:
    return _year(year).covered


def uncovered_years(start: datetime.date, end: datetime.date) -> list[int]:
    """The years from `start` to `end` (either order) with no arrangement entered: a period there is a guess."""
    low, high = sorted((start, end))
    return [year for year in range(low.year, high.year + 1) if not _year(year).covered]


# ---- seeding from the chinesecalendar package ---------------------------------------------------------------


def package_years() -> dict[int, list[tuple[datetime.date, str, str]]]:
    """The arrangements the installed chinesecalendar package knows: {year: [(date, kind, name), ...]}."""
    from chinese_calendar import constants

    years: dict[int, list] = {}
    first, last = min(constants.holidays).year, max(constants.holidays).year
    for year in range(first, last + 1):
        years[year] = []
    for date, name in constants.holidays.items():
        years[date.year].append((date, "holiday", HOLIDAY_NAMES.get(str(name), str(name))))
    for date, name in constants.workdays.items():
        label = HOLIDAY_NAMES.get(str(name), str(name))
        years[date.year].append((date, "workday", f"{label}调休上班"))
    for days in years.values():
        days.sort()
    return years


def seed_from_package(arrangement_model, day_model, *, years=None, replace: bool = False) -> list[int]:
    """Enter the package's arrangements (the models passed in, so a migration can use its historical ones).

    Years already entered are left alone unless `replace`; returns the years written."""
    written = []
    for year, days in package_years().items():
        if years is not None and year not in years:
            continue
        existing = arrangement_model.objects.filter(year=year).first()
        if existing is not None and not replace:
            continue
        if existing is not None:
            existing.delete()
        arrangement = arrangement_model.objects.create(year=year, source="chinesecalendar")
        day_model.objects.bulk_create(
            [day_model(arrangement=arrangement, date=date, kind=kind, name=name[:60]) for date, kind, name in days]
        )
        written.append(year)
    return written
