"""The penalties app's beat job (a thin Celery entry point), apart from tasks.py: the chaser calls the
services, which queue the tasks there."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from .chaser import chase_deadlines as run


@shared_task(name="penalties.tasks.chase_deadlines")
def chase_deadlines(now: str | None = None) -> dict:
    """Daily (beat): reminders, overdue, escalation, case time limits, refunds. `now` is ISO 8601 if given."""
    return run(now=parse_datetime(now) if now else None)
