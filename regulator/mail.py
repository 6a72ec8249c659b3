"""E-mail of inbox notifications, sent by the Celery task `regulator.tasks.send_notification_email`.

Apart from regulator.notifications (which queues the task) so that the task and the module that queues it do
not import each other.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


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
