"""On PostgreSQL, the audit trail partitioned by the year of created_at (issue 17, docs/operations.md).

A new table partitioned by RANGE (created_at), a partition for each year of the existing rows, this year and the
next, and a DEFAULT one; the rows copied in the order of their ids (the order of each chain) with their ids, the id
sequence going on where it was, the indexes, the actor's foreign key and the append-only trigger (migration 0010)
put back; then the names swapped, all in this migration's transaction with the table locked. The primary key is
(id, created_at): a partitioned table's keys must include its partition key, so `hash` is no longer unique either.
`regulator.tasks.ensure_partitions` makes the next years' partitions ahead of time. SQLite (the demo) keeps its plain
table: only the uniqueness of `hash` is dropped there.

It calls regulator.partitions, which reads the table's definition from the catalogue when it runs, so it copies
whatever indexes the migrations before it made.
"""

from django.db import migrations, models

TABLE = "regulator_auditevent"


def forwards(apps, schema_editor):
    from regulator.partitions import partition_by_year

    partition_by_year(schema_editor.connection, table=TABLE, column="created_at")


def backwards(apps, schema_editor):
    from regulator.partitions import unpartition

    unpartition(schema_editor.connection, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [("regulator", "0013_weekly_report_sign_off")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, verbose_name="哈希"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
