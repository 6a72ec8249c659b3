"""`{% load official_calendar %}{% calendar_warning start end … %}`: a warning where a period (from the earliest
to the latest of the dates given; empty ones ignored) reaches into a year with no holiday arrangement entered,
whose working days are counted Monday–Friday until one is."""

import datetime

from django import template
from django.utils import timezone

from regulator import calendar

register = template.Library()


def _date(value):
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value if isinstance(value, datetime.date) else None


@register.inclusion_tag("regulator/_calendar_warning.html")
def calendar_warning(*dates):
    dates = [day for day in map(_date, dates) if day is not None]
    if not dates:
        return {"years": []}
    return {"years": calendar.uncovered_years(min(dates), max(dates))}
