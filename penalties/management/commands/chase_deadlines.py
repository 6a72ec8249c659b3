"""`manage.py chase_deadlines [--now 2026-12-01T09:00]`: one run of the daily chaser, on demand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class Command(BaseCommand):
    help = "Chase rectification, penalty-case and refund deadlines (reminders, overdue, escalation)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="pretend it is this moment (ISO 8601, local time if no offset)")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, now=None, batch_size=None, **options):
        from penalties.chaser import chase_deadlines

        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None and parse_date(now):
                moment = parse_datetime(f"{now}T00:00")
            if moment is None:
                raise CommandError(f"--now: not a date/time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        stats = chase_deadlines(now=moment, batch_size=batch_size)
        for key in sorted(stats):
            self.stdout.write(f"{key}: {stats[key]}")
        if not stats:
            self.stdout.write("nothing to do")
