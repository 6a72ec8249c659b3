"""Take a checkpoint of the audit chains now (as the nightly job does) and optionally export it to a file."""

from django.core.management.base import BaseCommand, CommandError

from regulator.audit_checkpoints import CheckpointFileError, checkpoint_export, checkpoint_run
from regulator.models import AuditCheckpoint


class Command(BaseCommand):
    help = ("Record each audit chain's length and head in a signed checkpoint; with --export, also write the "
            "checkpoint's state to a signed JSON file to keep outside the database (docs/audit.md).")

    def add_arguments(self, parser):
        parser.add_argument("--export", metavar="FILE", help="write the checkpoint to FILE (JSON)")
        parser.add_argument("--no-take", action="store_true",
                            help="export the latest checkpoint without taking a new one")

    def handle(self, *args, **options):
        if not options["no_take"]:
            result = checkpoint_run()
            if result.get("skipped"):
                raise CommandError("another checkpoint is being taken right now; try again in a moment")
            for problem in result["problems"]:
                self.stderr.write(f"audit {problem}")
            self.stdout.write(f"checkpoint #{result['checkpoint']}: {result['chains']} chains, {result['rows']} rows")
        if options["export"]:
            try:
                meta = checkpoint_export(options["export"], checkpoint=AuditCheckpoint.objects.order_by("-id").first())
            except CheckpointFileError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"exported checkpoint #{meta['checkpoint']} to {options['export']}")
        if not options["no_take"] and result["problems"]:
            raise CommandError(f"{len(result['problems'])} chain(s) not recorded: run audit_verify")
