"""Write the open-data bulk files per county now, as the nightly beat job does (publicity/bulk.py): only what
changed is written; a run already in progress elsewhere makes this one stop at once."""

from django.core.management.base import BaseCommand, CommandError

from publicity.bulk import write_bulk_files


class Command(BaseCommand):
    help = "Write the open-data bulk files (CSV and JSON) of every county with public data."

    def handle(self, *args, **options):
        outcome = write_bulk_files()
        if outcome.skipped:
            raise CommandError("Another run holds the lock (publicity.write_bulk_files); nothing written.")
        self.stdout.write(f"{outcome.written} written, {outcome.unchanged} unchanged, {outcome.deleted} deleted")
