"""The in-app inbox: `notify` writes once per key and e-mails after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from . import hooks
from .models import Notification


def notify(*, recipient, key: str, subject: str, body: str = "", link: str = "", now=None) -> Notification | None:
    """Create the notification `key` for `recipient` unless it exists; returns None if it already did.

    One statement (INSERT … ON CONFLICT DO NOTHING RETURNING): no savepoint round trips, so a chaser that
    notifies thousands of people pays one query per notification, and two chasers never both insert."""
    now = now or timezone.now()
    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (recipient_id, key, subject, body, link, created_at) "  # noqa: S608 - constant
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING RETURNING id",
            [recipient.pk, key, subject, body, link, now],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    hooks.work_changed()  # the recipient's unread count
    notification = Notification(id=row[0], recipient=recipient, key=key, subject=subject, body=body, link=link,
                                created_at=now)
    if recipient.email:
        from .tasks import send_notification_email

        # Queued, not sent inline: a chaser run that notifies thousands never waits on the mail server.
        transaction.on_commit(lambda: send_notification_email.delay(notification.pk))
    return notification


def send_email(notification_id: int, *, now=None) -> bool:
    """Send the e-mail of one notification at most once; True if this call sent it.

    The row is claimed first — locked with skip_locked, `emailed_at` set, committed — and only then is the mail
    handed to the server. A redelivered or concurrent task (acks_late: a worker killed mid-task has its message
    delivered again) finds `emailed_at` set and sends nothing, whether the first worker died before, during or
    after the send (a worker that died before the claim was committed left the row unclaimed: the next one sends).
    The choice is at-most-once: a worker killed between the claim and the end of the send loses
    that e-mail (the notification itself stays in the in-app inbox, which is the record), where at-least-once
    (send, then mark) would e-mail the same reminder twice. A send that fails with an error of its own (connection
    refused, timeout: OSError, of which smtplib's errors are subclasses) releases the claim and re-raises, so the
    task's retry sends it."""
    claimed_at = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True).select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True).first()
        )
        if notification is None:
            return False
        notification.emailed_at = claimed_at
        notification.save(update_fields=["emailed_at"])
    link = notification.link
    try:
        send_mail(notification.subject, notification.body + ("\n\n" + link if link else ""),
                  settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
    except Exception:
        # Not sent (as far as this worker can tell): give the claim back, only if it is still ours.
        Notification.objects.filter(pk=notification_id, emailed_at=claimed_at).update(emailed_at=None)
        raise
    return True


def mark_read(*, user, notification_ids) -> int:
    count = Notification.objects.filter(recipient=user, pk__in=notification_ids, read_at__isnull=True).update(
        read_at=timezone.now())
    if count:
        hooks.work_changed()
    return count
