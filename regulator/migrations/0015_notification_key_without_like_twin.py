"""Notification.key: a unique constraint instead of unique=True, which on PostgreSQL also made a varchar_pattern_ops
twin index (for LIKE 'prefix%') that no query uses; and no index of its own on Notification.recipient, which
notification_inbox (recipient, read_at, -id) begins with. Two indexes fewer to write on every notice (the deadline
chaser writes thousands a minute). The new constraint is made before the old one goes, in the migration's one
transaction. (AuditEvent.hash lost its uniqueness, twin index included, when the table was partitioned by year:
0014_audit_partitioned_by_year.)"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("regulator", "0014_audit_partitioned_by_year"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(fields=("key",), name="notification_key_unique"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="key",
            field=models.CharField(max_length=200, verbose_name="去重键"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="notifications",
                to=settings.AUTH_USER_MODEL, verbose_name="收件人",
            ),
        ),
    ]
