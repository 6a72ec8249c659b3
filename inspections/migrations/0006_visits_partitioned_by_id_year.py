"""On PostgreSQL, the visits partitioned by year through their ids (issue 17, docs/operations.md).

Fourteen tables reference a visit by its id, and PostgreSQL lets a foreign key reference a partitioned table only
through a key that includes the partition key; so the partition key is the id itself, and each year gives its ids
from its own range (year × 10¹⁰ upwards, `regulator.partitions.ID_YEAR_STRIDE`): a partition a year, every foreign
key kept. The existing rows keep their ids, in `inspections_visit_before`; this year's and next year's partitions and
`inspections_visit_later` are made, the id column's default becomes `inspections_visit_next_id()`. All in this
migration's transaction with the table locked; the referencing tables' foreign keys are dropped and made again (and
checked) around the copy. `regulator.tasks.ensure_partitions` makes the next years' partitions ahead of time. SQLite
(the demo) keeps its plain table.
"""

from django.db import migrations

TABLE = "inspections_visit"


def forwards(apps, schema_editor):
    from regulator.partitions import partition_by_id_year

    partition_by_id_year(schema_editor.connection, table=TABLE)


def backwards(apps, schema_editor):
    from regulator.partitions import unpartition_by_id

    unpartition_by_id(schema_editor.connection, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0005_offline_sync"),
        ("institutions", "0013_merge_register_review"),
        ("penalties", "0015_restricted_person"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
