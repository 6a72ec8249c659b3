"""Recompute every audit chain and report rows that were changed, deleted or inserted behind its back."""

from django.core.management.base import BaseCommand, CommandError

from regulator.audit import verify_chains
from regulator.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the SHA-256 chains of the audit trail; exits non-zero if any row was tampered with."

    def handle(self, *args, **options):
        problems = 0
        for event, problem in verify_chains():
            problems += 1
            self.stdout.write(
                f"audit #{event.pk} (institution {event.institution_id}, {event.kind} "
                f"{event.object_type}#{event.object_id}): {problem}"
            )
        total = AuditEvent.objects.count()
        if problems:
            raise CommandError(f"{problems} problem(s) found in {total} audit rows")
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {total} rows verified"))
