"""Working days on the official calendar (法定节假日 and 调休), through the chinesecalendar package.

Years the package does not cover yet (it is updated when the State Council publishes each year's
arrangement) fall back to Monday–Friday, and the fallback is logged once per year.
"""

import datetime
import functools
import logging

import chinese_calendar

logger = logging.getLogger(__name__)


@functools.cache
def _warn_uncovered(year: int) -> None:
    logger.warning("official holiday calendar has no data for %s; counting Monday-Friday as working days", year)


def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_uncovered(day.year)
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
