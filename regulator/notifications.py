"""The in-app inbox: `notify` writes once per key and e-mails after the transaction commits."""

from django.db import connection, transaction
from django.utils import timezone

from . import hooks
from .models import Notification
from .tasks import send_notification_email

# Rows per INSERT: 6 parameters each, under PostgreSQL's 65,535 and SQLite's 32,766 parameters a statement.
_CHUNK = 5000


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
        # Queued, not sent inline: a chaser run that notifies thousands never waits on the mail server.
        transaction.on_commit(lambda: send_notification_email.delay(notification.pk))
    return notification


def notify_many(rows, *, now=None) -> list[str]:
    """Create many notifications at once, each unless its key exists: one INSERT … VALUES … ON CONFLICT DO
    NOTHING RETURNING per 5,000 rows (a chaser batch of 500
    orders is one), the e-mails queued after the commit in one callback.

    `rows` holds (recipient, key, subject, body, link). Returns the keys written (rows whose key existed are
    left out). Two chasers at once never both insert a key: the unique index decides, as in notify."""
    now = now or timezone.now()
    rows = list(rows)
    table = connection.ops.quote_name(Notification._meta.db_table)
    written, mailed = [], []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        params = []
        for recipient, key, subject, body, link in chunk:
            params += [recipient.pk, key, subject, body, link, now]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (recipient_id, key, subject, body, link, created_at) "  # noqa: S608 - constant
                f"VALUES {values} ON CONFLICT (key) DO NOTHING RETURNING id, recipient_id, key",
                params,
            )
            inserted = cursor.fetchall()
        emails = {recipient.pk for recipient, *_rest in chunk if recipient.email}
        written += [key for _pk, _recipient, key in inserted]
        mailed += [pk for pk, recipient_id, _key in inserted if recipient_id in emails]
    if written:
        hooks.work_changed()  # the recipients' unread counts
    if mailed:
        transaction.on_commit(lambda: [send_notification_email.delay(pk) for pk in mailed])
    return written


def mark_read(*, user, notification_ids) -> int:
    count = Notification.objects.filter(recipient=user, pk__in=notification_ids, read_at__isnull=True).update(
        read_at=timezone.now())
    if count:
        hooks.work_changed()
    return count
