"""Thin Celery entry points of the organisation app."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id: int) -> None:
    """E-mail one inbox notification at most once (regulator.notifications.send_email claims the row first)."""
    from .notifications import send_email

    send_email(notification_id)
