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
        from .tasks import send_notification_email

        # Queued, not sent inline: a chaser run that notifies thousands never waits on the mail server.
        transaction.on_commit(lambda: send_notification_email.delay(notification.pk))
    return notification


def send_email(notification_id: int) -> None:
    """Send the e-mail of one notification once; a transient SMTP failure raises for the task to retry."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True).select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True).first()
        )
        if notification is None:
            return
        link = notification.link
        send_mail(notification.subject, notification.body + ("\n\n" + link if link else ""),
                  settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


def mark_read(*, user, notification_ids) -> int:
    return Notification.objects.filter(recipient=user, pk__in=notification_ids, read_at__isnull=True).update(
        read_at=timezone.now())
