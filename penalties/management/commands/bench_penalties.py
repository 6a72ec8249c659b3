"""`manage.py bench_penalties --orders 100000`: chaser throughput and memory, one PDF (penalties.bench).

Writes rows: run it against a benchmark database, never production."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Benchmark the deadline chaser over N due orders and the rendering of one PDF."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100_000)
        parser.add_argument("--pdf-runs", type=int, default=5)

    def handle(self, *args, orders, pdf_runs, **options):
        from institutions.models import Institution
        from penalties.bench import bench_chaser, bench_pdf
        from regulator.models import Role, User

        inspector = (
            User.objects.filter(role=Role.INSPECTOR, department__isnull=False)
            .select_related("department")
            .first()
        )
        institution_ids = list(Institution.objects.order_by("id").values_list("id", flat=True)[:1000])
        if inspector is None or not institution_ids:
            raise CommandError("needs at least one inspector with a department and one institution")
        result = bench_chaser(
            n=orders, institution_ids=institution_ids, department=inspector.department, inspector=inspector
        )
        self.stdout.write(f"chaser: {result}")
        from penalties.models import RectificationOrder

        order = RectificationOrder.objects.exclude(number="").order_by("-id").first()
        self.stdout.write(f"pdf: {bench_pdf(order_id=order.pk, runs=pdf_runs)}")
