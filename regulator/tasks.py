"""Thin Celery entry points of the organisation app."""

from celery import shared_task

from .audit_checkpoints import checkpoint_run
from .mail import send_email
from .partitions import ensure_partitions_run


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id: int) -> None:
    """E-mail one inbox notification at most once (regulator.mail.send_email claims the row first)."""
    send_email(notification_id)


@shared_task(acks_late=True)
def audit_checkpoint() -> dict:
    """Nightly (beat, 03:30): each audit chain's length and head, signed (regulator.audit_checkpoints); holds an
    advisory lock."""
    return checkpoint_run()


@shared_task(acks_late=True)
def ensure_partitions() -> dict:
    """Daily (beat, 04:00): the yearly partitions of this year and the next, for every partitioned table
    (regulator.partitions); idempotent, holds an advisory lock. Nothing on SQLite."""
    return ensure_partitions_run()
