"""The in-app inbox: `notify` writes once per key and e-mails after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification


def notify(*, recipient, key: str, subject: str, body: str = "", link: str = "", now=None) -> Notification | None:
    """Create the notification `key` for `recipient` unless it exists; returns None if it already did."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, key=key, subject=subject, body=body, link=link, created_at=now
            )
    except IntegrityError:
        return None
    if recipient.email:
        transaction.on_commit(lambda: _send_email(notification.pk))
    return notification


def _send_email(notification_id: int) -> None:
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if notification.emailed_at:
        return
    send_mail(notification.subject, notification.body + ("\n\n" + notification.link if notification.link else ""),
              settings.DEFAULT_FROM_EMAIL, [notification.recipient.email], fail_silently=True)
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())


def mark_read(*, user, notification_ids) -> int:
    return Notification.objects.filter(recipient=user, pk__in=notification_ids, read_at__isnull=True).update(
        read_at=timezone.now())
