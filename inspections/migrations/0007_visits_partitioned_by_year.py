"""On PostgreSQL, the visits partitioned by the year of planned_on (issue 17, docs/operations.md).

The migrations before this one took the database constraint off every foreign key that references a visit
(inspections 0006, penalties 0015, institutions 0011): PostgreSQL lets a foreign key reference a partitioned table
only through a unique key that includes the partition key, and the referencing tables know a visit by its id alone.
Here: a new table partitioned by RANGE (planned_on), a partition for each year of the existing visits, this year
and the next, and a DEFAULT one; the rows copied with their ids, the id sequence going on where it was, the check
constraints, indexes and outgoing foreign keys put back, the names swapped, in this migration's transaction with
the table locked. The primary key is (id, planned_on); Django keeps `id` as the model's primary key, which the
sequence alone keeps unique. `regulator.tasks.ensure_partitions` makes the next years' partitions ahead of time.
SQLite (the demo) keeps its plain table: nothing happens there.
"""

from django.db import migrations

TABLE = "inspections_visit"


def forwards(apps, schema_editor):
    from regulator.partitions import partition_by_year

    partition_by_year(schema_editor.connection, table=TABLE, column="planned_on")


def backwards(apps, schema_editor):
    from regulator.partitions import unpartition

    unpartition(schema_editor.connection, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0006_visit_references_without_constraint"),
        ("penalties", "0015_visit_references_without_constraint"),
        ("institutions", "0011_site_visit_without_constraint"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
