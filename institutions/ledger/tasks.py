"""The ledger import's two Celery tasks (thin: they take the job's id; both phases are idempotent).

Queued by the services in jobs.py; their work is in work.py. Registered under the names they had in
institutions/tasks.py, so queued messages and the time-limit settings keep finding them.
"""

from celery import shared_task

from .work import import_job, validate_job


@shared_task(name="institutions.tasks.validate_import", acks_late=True)
def validate_import(job_id: int) -> None:
    validate_job(job_id)


@shared_task(name="institutions.tasks.run_import", acks_late=True)
def run_import(job_id: int) -> None:
    import_job(job_id)
