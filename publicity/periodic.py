"""Publicity's beat job (a thin Celery entry point, apart from tasks.py): each night, the open-data bulk files per
county are written (publicity/bulk.py, which takes the advisory lock itself)."""

from celery import shared_task

from .bulk import write_bulk_files as run


@shared_task(acks_late=True)
def write_bulk_files() -> int:
    """The number of files written (0 when nothing changed or another run holds the lock)."""
    return run().written
