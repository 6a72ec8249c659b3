"""Enter the official holiday arrangements the chinesecalendar package knows (2004 to its last year).

Later years are entered in admin (年度节假日安排) or, once a newer package is installed, by
`manage.py calendar_seed`. Reversing leaves the rows (they may have been edited since)."""

from django.db import migrations


def seed(apps, schema_editor):
    from regulator.calendar import seed_from_package

    seed_from_package(apps.get_model("regulator", "CalendarArrangement"), apps.get_model("regulator", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("regulator", "0011_calendar")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
