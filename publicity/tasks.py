"""Thin Celery entry points for publicity."""

from celery import shared_task

from regulator.locks import advisory_lock

from .services import chase_report_deadlines as run


@shared_task(acks_late=True)
def chase_report_deadlines() -> int:
    with advisory_lock("publicity.chase_report_deadlines") as acquired:
        if not acquired:
            return 0
        return run()
