"""Create the coming years' partitions of the partitioned tables now (as the daily job does) and list them
(docs/operations.md, "Data at scale")."""

from django.core.management.base import BaseCommand
from django.db import connection

from regulator.partitions import ensure_partitions, partitioned_tables, partitions_of


class Command(BaseCommand):
    help = ("Create the missing yearly partitions of every partitioned table for this year and the next ones "
            "(idempotent), and list each table's partitions.")

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=1, help="years after this one to create (default 1)")
        parser.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR",
                            help="create this year's partitions instead (repeatable)")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("not PostgreSQL: the tables are not partitioned, nothing to do")
            return
        created = ensure_partitions(years=options["years"], ahead=options["ahead"])
        for table, _column, _type in partitioned_tables():
            made = created.get(table, [])
            self.stdout.write(f"{table}: {', '.join(partitions_of(table))}"
                              + (f" (created {', '.join(made)})" if made else ""))
