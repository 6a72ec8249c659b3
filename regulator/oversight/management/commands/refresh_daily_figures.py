"""Bring the dashboard's nightly summary (regulator/oversight/summary.py) up to yesterday, as the beat job does."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from regulator.oversight.summary import refresh, refresh_institutions


class Command(BaseCommand):
    help = ("Rewrite the daily figures behind the dashboard up to yesterday: the last few days (as the nightly job "
            "does), every day from --since, or every day (--full: after importing history); and retake the "
            "institution counts of the provinces' dashboards.")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every day from the first event")
        parser.add_argument("--since", type=datetime.date.fromisoformat, help="rewrite from this day (YYYY-MM-DD)")
        parser.add_argument("--today", type=datetime.date.fromisoformat,
                            help="act as if today were this day (YYYY-MM-DD); default: the local date")

    def handle(self, *args, full=False, since=None, today=None, **options):
        result = refresh(today=today, full=full, since=since)
        if result["skipped"]:
            raise CommandError("another refresh of the daily figures is running; nothing done")
        institutions = refresh_institutions()
        if not institutions["skipped"]:
            self.stdout.write(f"institution counts retaken: {institutions['rows']} rows in {institutions['seconds']} s")
        first = result["first"] or "the first event"
        self.stdout.write(self.style.SUCCESS(
            f"daily figures rewritten from {first} to {result['last']}: "
            f"{result['rows']} rows in {result['seconds']} s"))
