"""The register's beat job for campaigns (a thin Celery entry point, apart from tasks.py): each day, open
campaigns past their deadline are closed and the institutions that did not complete them become leads."""

from celery import shared_task

from regulator.locks import advisory_lock

from .campaigns import sweep_overdue as run


@shared_task(name="institutions.tasks.sweep_register_campaigns", acks_late=True)
def sweep_register_campaigns() -> int:
    with advisory_lock("institutions.sweep_register_campaigns") as acquired:
        if not acquired:
            return 0
        return run()
