"""Institution.has_public_page for what was published before the column: a list entry once published (current,
corrected or removed), a published spot-check result, a result in a published annual-inspection batch."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def backfill(apps, schema_editor):
    database = schema_editor.connection.alias
    Institution = apps.get_model("institutions", "Institution")
    ListEntry = apps.get_model("publicity", "ListEntry")
    Visit = apps.get_model("inspections", "Visit")
    AnnualInspection = apps.get_model("institutions", "AnnualInspection")
    sources = [
        ListEntry.objects.using(database).filter(status__in=("published", "removal_proposed", "removed")),
        Visit.objects.using(database).filter(status="submitted", draw__published_at__isnull=False),
        AnnualInspection.objects.using(database).filter(plan__status="published", plan__canonical_json__gt=""),
    ]
    for source in sources:
        (Institution.objects.using(database).filter(has_public_page=False)
         .filter(Exists(source.filter(institution_id=OuterRef("pk")))).update(has_public_page=True))


class Migration(migrations.Migration):
    dependencies = [
        ("publicity", "0007_merge_bulk_files_and_off_account"),
        ("institutions", "0014_has_public_page"),
        ("inspections", "0006_visits_partitioned_by_id_year"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
