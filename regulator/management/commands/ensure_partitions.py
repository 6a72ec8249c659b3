"""Create the coming years' partitions of the partitioned tables now (as the daily job does), list them, and check
the references the database no longer checks (docs/operations.md, "Data at scale")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from regulator.partitions import dangling_references, ensure_partitions, partitioned_tables, partitions_of


class Command(BaseCommand):
    help = ("Create the missing yearly partitions of every partitioned table for this year and the next ones "
            "(idempotent); with --check, also count rows that reference a missing row of a partitioned table.")

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=1, help="years after this one to create (default 1)")
        parser.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR",
                            help="create this year's partitions instead (repeatable)")
        parser.add_argument("--check", action="store_true",
                            help="count references to missing rows of partitioned tables; exit non-zero if any")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("not PostgreSQL: the tables are not partitioned, nothing to do")
            return
        created = ensure_partitions(years=options["years"], ahead=options["ahead"])
        for table, _column, _type in partitioned_tables():
            made = created.get(table, [])
            self.stdout.write(f"{table}: {', '.join(partitions_of(table))}"
                              + (f" (created {', '.join(made)})" if made else ""))
        if options["check"]:
            dangling = {name: count for name, count in dangling_references().items() if count}
            for name, count in dangling.items():
                self.stderr.write(f"{name}: {count} row(s) reference a missing row")
            if dangling:
                raise CommandError(f"{sum(dangling.values())} dangling reference(s)")
            self.stdout.write("references: none dangling")
