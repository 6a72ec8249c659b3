"""Benchmark of the heads' queue (待办): `python -m bench.queue --institutions N --visits V --orders O`.

Seeds, once, on top of `seed_scale --institutions N` (广东省; skipped when the database already holds N):

- V past visits through inspections.bench.seed_past_visits, all led by the bench county's education bureau
  (天河区教育局, the worst case for its head), then shaped with set-based UPDATEs: 1 in 100 still awaits its
  outcome, 1 in 1,000 is planned without inspectors, the rest are done;
- O rectification orders through penalties.bench.seed_due_orders (same department), shaped by id: 90 %
  closed, 3 % overdue, 1 % escalated, 2 % drafts awaiting approval, 4 % served with deadlines over the
  next 30 days (so about a quarter of those are due within 7 days).

Then measures in-process with django.test.Client and DEBUG off (bench.run.Bench): the queue page for the
county head, its filters and second page, the joint office and the prefecture head; the navigation counts
alone; beside each the same SQL re-run bare through psycopg2 (the floor); and, as the baseline a user would
otherwise have, Django admin's changelist of the same visits (there is no admin for orders).
With --partial-indexes the two partial indexes proposed in docs/bench-queue.md are created first, without it
they are dropped (bench database only), so their effect can be measured.
"""

import argparse
import datetime
import statistics
import time

import bench.run as bench_run
from bench.run import HEADER, Bench, client_for, ensure_database, percentile, setup_django


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--slow-ms", type=float, default=50.0)
    parser.add_argument("--partial-indexes", action="store_true")
    return parser.parse_args(argv)


def _bench_department():
    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from regulator.models import Department, User

    department = Department.objects.get(kind="education", region_id=BENCH_COUNTY)
    inspector = User.objects.get(username=username_for(BENCH_COUNTY, "edu_inspector"))
    return department, inspector


def seed(*, institutions: int, visits: int, orders: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from inspections.bench import seed_past_visits
    from inspections.models import Visit
    from institutions.management.commands.seed_scale import BENCH_COUNTY
    from institutions.models import Institution
    from penalties.bench import seed_due_orders
    from penalties.models import RectificationOrder

    timings = {}
    started = time.perf_counter()
    if Institution.objects.count() < institutions:
        call_command("seed_scale", institutions=institutions)
    timings["institutions_s"] = round(time.perf_counter() - started, 1)
    department, inspector = _bench_department()
    ids = list(Institution.objects.filter(region__code__startswith=BENCH_COUNTY).values_list("pk", flat=True))

    started = time.perf_counter()
    have = Visit.objects.filter(lead_department=department).count()
    if have < visits:
        seed_past_visits(n=visits - have, institution_ids=ids, department=department, inspector=inspector,
                         answers_every=1000)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inspections_visit SET outcome = 'no_problem', outcome_at = submitted_at "
            "WHERE lead_department_id = %s AND status = 'submitted' AND outcome = '' AND id %% 100 <> 0 "
            "AND id %% 1000 <> 7", [department.pk])
        cursor.execute(
            "UPDATE inspections_visit SET status = 'planned', submitted_at = NULL, started_at = NULL, "
            "planned_on = CURRENT_DATE + (id %% 20)::int WHERE lead_department_id = %s AND id %% 1000 = 7 "
            "AND status = 'submitted'", [department.pk])
        cursor.execute(
            "DELETE FROM inspections_visitinspector WHERE visit_id IN (SELECT id FROM inspections_visit "
            "WHERE lead_department_id = %s AND id %% 1000 = 7 AND status = 'planned')", [department.pk])
    timings["visits_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    have = RectificationOrder.objects.filter(department=department).count()
    if have < orders:
        seed_due_orders(n=orders - have, institution_ids=ids, department=department, inspector=inspector)
    with transaction.atomic(), connection.cursor() as cursor:
        shaped = "department_id = %s AND requirements = ''"
        cursor.execute(f"UPDATE penalties_rectificationorder SET status = 'closed', closed_at = now() "
                       f"WHERE {shaped} AND id %% 100 < 90", [department.pk])
        cursor.execute(f"UPDATE penalties_rectificationorder SET status = 'overdue', overdue_at = now(), "
                       f"deadline = CURRENT_DATE - (1 + id %% 30)::int WHERE {shaped} AND id %% 100 BETWEEN 90 AND 92",
                       [department.pk])
        cursor.execute(f"UPDATE penalties_rectificationorder SET status = 'escalated', overdue_at = now(), "
                       f"escalated_at = now(), deadline = CURRENT_DATE - (20 + id %% 30)::int "
                       f"WHERE {shaped} AND id %% 100 = 93", [department.pk])
        cursor.execute(f"UPDATE penalties_rectificationorder SET status = 'draft', approved_at = NULL, "
                       f"served_at = NULL, deadline = CURRENT_DATE + 30 WHERE {shaped} AND id %% 100 IN (94, 95)",
                       [department.pk])
        cursor.execute(f"UPDATE penalties_rectificationorder SET deadline = CURRENT_DATE + (id %% 30)::int "
                       f"WHERE {shaped} AND id %% 100 >= 96", [department.pk])
        cursor.execute(f"UPDATE penalties_rectificationorder SET requirements = 'bench' WHERE {shaped}",
                       [department.pk])
    timings["orders_s"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE inspections_visit")
        cursor.execute("VACUUM ANALYZE inspections_visitinspector")
        cursor.execute("VACUUM ANALYZE penalties_rectificationorder")
    return timings


PARTIAL_INDEXES = {
    # The "awaiting" rows are a sliver of each table: index only them, by department.
    "visit_awaiting_outcome": "CREATE INDEX IF NOT EXISTS visit_awaiting_outcome ON inspections_visit "
    "(lead_department_id, submitted_at) WHERE status = 'submitted' AND outcome = ''",
    "visit_planned_by_department": "CREATE INDEX IF NOT EXISTS visit_planned_by_department ON inspections_visit "
    "(lead_department_id, planned_on) WHERE status = 'planned'",
}


def queue_sizes(user) -> dict:
    """Exact sizes of each kind for the report (COUNT(*) here, never on a page view)."""
    from regulator.oversight import queue as work_queue

    return {kind.code: queryset.count() for kind, queryset in work_queue.branches(user)}


def time_nav_counts(user, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from regulator.oversight import queue as work_queue

    work_queue.nav_counts(user)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work_queue.nav_counts(user)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        work_queue.nav_counts(user)
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
            "queries": len(captured.captured_queries), "sql": captured.captured_queries[-1]["sql"]}


def bench_queue(*, institutions=100_000, visits=200_000, orders=50_000, runs=20, explain=True, slow_ms=50.0,
                partial_indexes=False) -> dict:
    """Seed (once) and measure; returns the rows printed, the seeding times and the queue's sizes."""
    from django.db import connection

    from institutions.management.commands.seed_scale import (
        ADMIN_USERNAME,
        BENCH_COUNTY,
        BENCH_PREFECTURE,
        username_for,
    )
    from regulator.models import User

    timings = seed(institutions=institutions, visits=visits, orders=orders)
    print("seeding:", timings, flush=True)
    with connection.cursor() as cursor:
        for name, statement in PARTIAL_INDEXES.items():
            cursor.execute(statement if partial_indexes else f"DROP INDEX IF EXISTS {name}")
        cursor.execute("ANALYZE inspections_visit")
    # The queue's page query is a UNION whose SQL starts with "(SELECT": count it as a read in the floor
    # (bench.run only re-runs statements starting with SELECT or WITH).
    bench_run._read_only = lambda statement: statement.lstrip().lstrip("(").upper().startswith(("SELECT", "WITH"))
    department, _inspector = _bench_department()
    head = User.objects.get(username=username_for(BENCH_COUNTY, "edu_head"))
    joint = User.objects.get(username=username_for(BENCH_COUNTY, "joint_office"))
    prefecture_head = User.objects.get(username=username_for(BENCH_PREFECTURE, "edu_head"))
    admin = User.objects.get(username=ADMIN_USERNAME)
    sizes = queue_sizes(head)
    print("queue sizes (county head):", sizes, flush=True)

    bench = Bench(argparse.Namespace(runs=runs, explain=explain, slow_ms=slow_ms))
    print(HEADER)
    client = client_for(head)
    bench.page("queue: first page", "county head", client, "/queue/")
    bench.page("queue: page 2", "county head", client, "/queue/?page=2")
    bench.page("queue: overdue only", "county head", client, "/queue/?lateness=overdue")
    bench.page("queue: orders overdue", "county head", client, "/queue/?kind=order_overdue")
    bench.page("queue: by waiting time", "county head", client, "/queue/?sort=since")
    bench.page("queue: unassigned", "county head", client, "/queue/?assignee=none")
    bench.page("queue: first page", "joint office", client_for(joint), "/queue/")
    bench.page("queue: first page", "pref. head", client_for(prefecture_head), "/queue/")
    admin_client = client_for(admin)
    base = "/admin/inspections/visit/"
    bench.page("Django admin: visits, first page", "admin", admin_client, base)
    bench.page("Django admin: visits awaiting outcome", "admin", admin_client,
               f"{base}?lead_department={department.pk}&status__exact=submitted&outcome__exact=")
    bench.page("Django admin: visits planned", "admin", admin_client,
               f"{base}?lead_department={department.pk}&status__exact=planned")
    nav = time_nav_counts(head, runs)
    print(f"nav counts alone (county head): median {nav['median_ms']} ms, p95 {nav['p95_ms']} ms, "
          f"{nav['queries']} query; floor {bench.floor.run([nav['sql']], runs):.1f} ms", flush=True)
    for item in bench.explains:
        print(f"\n--- {item['page']} ({item['user']}): slowest query {item['query_ms']} ms\n{item['plan']}")
    return {"rows": bench.rows, "seeding": timings, "sizes": sizes, "nav": nav, "explains": bench.explains,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}


def markdown(result: dict) -> str:
    lines = ["| page | user | median ms | p95 ms | queries | SQL floor ms |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for row in result["rows"]:
        lines.append(f"| {row['page']} | {row['user']} | {row['median_ms']} | {row['p95_ms']} | {row['queries']} "
                     f"| {row['floor_ms']} |")
    return "\n".join(lines)


def main(argv=None):
    import os

    args = parse_args(argv)
    ensure_database(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/regulator_bench"))
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = bench_queue(institutions=args.institutions, visits=args.visits, orders=args.orders, runs=args.runs,
                         explain=args.explain, slow_ms=args.slow_ms, partial_indexes=args.partial_indexes)
    print()
    print(markdown(result))


if __name__ == "__main__":
    main()
