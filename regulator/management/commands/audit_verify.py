"""Recompute every audit chain and report rows that were changed, deleted or inserted behind its back."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from regulator.audit import verify_chains
from regulator.audit_checkpoints import CheckpointFileError, checkpoint_file_heads, checkpoint_heads, verify_checkpoints
from regulator.models import AuditCheckpoint, AuditEvent


class Command(BaseCommand):
    help = ("Verify the HMAC chains of the audit trail and their lengths against the latest checkpoint (or a "
            "checkpoint file); names the first row that does not hold and exits non-zero if any.")

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", metavar="FILE",
                            help="compare the chains with this file (from `audit_checkpoint --export`) instead of "
                                 "the latest checkpoint in the database")

    def handle(self, *args, **options):
        problems = []
        if options["checkpoint"]:
            try:
                meta, heads = checkpoint_file_heads(options["checkpoint"])
            except CheckpointFileError as error:
                raise CommandError(str(error)) from error
            against = (f"checkpoint file {options['checkpoint']} "
                       f"(checkpoint #{meta['checkpoint']} of {meta['created_at']})")
        else:
            problems.extend(verify_checkpoints())
            latest = AuditCheckpoint.objects.order_by("-id").first()
            heads = checkpoint_heads(latest) if latest else ()
            against = (f"checkpoint #{latest.pk} of {timezone.localtime(latest.created_at):%Y-%m-%d %H:%M}"
                       if latest else "no checkpoint")
        problems.extend(verify_chains(heads=heads))
        for problem in problems:
            self.stdout.write(f"audit {problem}")
        total = AuditEvent.objects.count()
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found in {total} audit rows (against {against}); "
                               f"first: {problems[0]}")
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {total} rows verified against {against}"))
