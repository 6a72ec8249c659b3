"""Enter the holiday arrangements the installed chinesecalendar package knows, for the years not entered yet.

    manage.py calendar_seed                 # every year the package covers and the database lacks
    manage.py calendar_seed --year 2027     # one year
    manage.py calendar_seed --year 2026 --replace   # overwrite what was entered (audited)
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from regulator import calendar, services
from regulator.models import CalendarArrangement, CalendarDay


class Command(BaseCommand):
    help = "Enter holiday arrangements from the chinesecalendar package (years not yet entered)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years")
        parser.add_argument("--replace", action="store_true")

    def handle(self, *args, years=None, replace=False, **options):
        known = calendar.package_years()
        missing = sorted(set(years or ()) - set(known))
        if missing:
            raise CommandError(
                f"chinesecalendar has no arrangement for {missing} (it covers {min(known)}-{max(known)}); "
                "enter it in admin"
            )
        with transaction.atomic():
            before = {
                arrangement.year: services.calendar_arrangement_snapshot(arrangement)
                for arrangement in CalendarArrangement.objects.filter(year__in=years or known)
            } if replace else {}
            written = calendar.seed_from_package(
                CalendarArrangement, CalendarDay, years=set(years) if years else None, replace=replace
            )
            for arrangement in CalendarArrangement.objects.filter(year__in=written):
                services.calendar_arrangement_record(
                    actor=None, arrangement=arrangement, before=before.get(arrangement.year)
                )
        self.stdout.write(f"entered: {written or 'nothing new'}")
