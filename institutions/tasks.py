"""Thin Celery entry points for the register (the ledger import's two tasks live in ledger/tasks.py)."""

from celery import shared_task

from regulator.locks import advisory_lock

from .annual import tasks as annual_tasks  # noqa: F401 - registers the notice's task with Celery's autodiscovery
from .ledger import tasks as ledger_tasks  # noqa: F401 - registers the import's tasks with Celery's autodiscovery
from .services import expire_licences as run


@shared_task(acks_late=True)
def expire_licences() -> int:
    with advisory_lock("institutions.expire_licences") as acquired:
        if not acquired:
            return 0
        return run()
