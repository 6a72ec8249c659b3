"""Thin Celery entry points for the register."""

from celery import shared_task


@shared_task(acks_late=True)
def expire_licences() -> int:
    from regulator.locks import advisory_lock

    from .services import expire_licences as run

    with advisory_lock("institutions.expire_licences") as acquired:
        if not acquired:
            return 0
        return run()


@shared_task(acks_late=True)
def validate_import(job_id: int) -> None:
    from .ledger.jobs import validate_job

    validate_job(job_id)


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    from .ledger.jobs import import_job

    import_job(job_id)
