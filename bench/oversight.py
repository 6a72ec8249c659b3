"""Benchmark of the oversight pages: `python -m bench.oversight` (after `make bench` has seeded institutions).

Seeds, once, submitted visits (spread over four years, led by the education department of each institution's
county), problem items on every fifth visit, and rectification orders (a quarter closed, a quarter overdue),
through the apps' bench hooks plus a few set-based UPDATEs; then measures in-process with django.test.Client:

- bench_summary: the nightly summary behind the dashboard (regulator.oversight.summary): a full back-fill, then
  the nightly run that rewrites the last seven days;
- bench_dashboard: the dashboard of the bench prefecture (广州市) for the last year, for its joint office, with
  the summary and, beside it, with every figure counted live;
- bench_weekly: one county's weekly figures (the selector the Friday job runs), the weekly report page, and
  rendering its PDF and .xlsx;
- beside each: the same SQL re-run bare through psycopg2 (the floor), and Django admin's visit changelist
  as the baseline a user would otherwise have.

Median and p95 server time over --runs, query counts; EXPLAIN (ANALYZE, BUFFERS) of the slowest query of any
page over --slow-ms. Writes bench/results-oversight.json; docs/bench-oversight.md discusses the figures.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.run import HEADER, Bench, _format_row, _read_only, client_for, ensure_database, percentile, setup_django

RESULTS = Path(__file__).resolve().parent / "results-oversight.json"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.oversight", description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=200_000, help="submitted visits the database must hold")
    parser.add_argument("--orders", type=int, default=50_000, help="rectification orders the database must hold")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--slow-ms", type=float, default=100.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


# ---- seeding -------------------------------------------------------------------------------------------


def _county_departments_sql() -> str:
    return ("SELECT id, region_id FROM regulator_department WHERE kind = 'education' "
            "AND length(region_id) = 6")


YEARS_OF_VISITS = 4


def _year_chunks(n: int) -> list[tuple[int, tuple[int, int], int | None]]:
    """The visits to seed as (count, days_back, first id) chunks. On a plain table: one chunk over four years, ids
    from the sequence. With the visits partitioned by their ids (regulator.partitions.partition_by_id_year), a
    deployment four years on: each year's visits take their ids from a year's range of its own (this year's and
    the next three, made here), so the pages read four partitions of data as they would then."""
    from inspections.models import Visit
    from regulator import partitions

    if (Visit._meta.db_table, "id", "bigint") not in partitions.partitioned_tables():
        return [(n, (1, 365 * YEARS_OF_VISITS), None)]
    this_year = datetime.date.today().year
    partitions.ensure_partitions(years=[this_year + YEARS_OF_VISITS - 1])
    return [(n // YEARS_OF_VISITS + (1 if k < n % YEARS_OF_VISITS else 0),
             (1 + (YEARS_OF_VISITS - 1 - k) * 365, 365),  # oldest first
             (this_year + k) * partitions.ID_YEAR_STRIDE)
            for k in range(YEARS_OF_VISITS)]


def _move_visit_ids_to(first_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('inspections_visit', 'id'), "
                       "greatest(%s, (SELECT coalesce(max(id), 0) FROM inspections_visit)))", [first_id])


def seed_visits(n: int) -> int:
    """Top the database up to n submitted visits (inspections.bench hook), then spread and attribute them."""
    from django.db import connection

    from inspections.bench import seed_past_visits
    from inspections.models import ChecklistTemplate, Visit
    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from institutions.models import Institution
    from regulator.models import User

    existing = Visit.objects.count()
    if existing >= n:
        return 0
    inspector = User.objects.get(username=username_for(BENCH_COUNTY, "edu_inspector"))
    ids = list(Institution.objects.order_by("id").values_list("id", flat=True))
    before = Visit.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(f"seeding {n - existing:,} visits", flush=True)
    for size, days_back, first_id in _year_chunks(n - existing):
        if first_id is not None:
            _move_visit_ids_to(first_id)
        seed_past_visits(n=size, institution_ids=ids[::-1] if existing else ids, department=inspector.department,
                         inspector=inspector, answers_every=1000, days_back=days_back)
    template = ChecklistTemplate.objects.get(code="campaign", is_current=True)
    with connection.cursor() as cursor:
        # The hook stamps every visit submitted now: submit each on its planned day, led by its county's
        # education department (so the by-department and by-county breakdowns have many groups).
        cursor.execute(f"""
            UPDATE inspections_visit v
               SET submitted_at = (v.planned_on + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                   started_at = (v.planned_on + time '09:00') AT TIME ZONE 'Asia/Shanghai',
                   lead_department_id = d.id
              FROM institutions_institution i, ({_county_departments_sql()}) d
             WHERE v.id > %s AND v.institution_id = i.id AND d.region_id = substr(i.region_id, 1, 6)
        """, [before])
        # A failed item on every fifth visit, cycling through the checklist.
        cursor.execute("""
            INSERT INTO inspections_problemitem (created_at, updated_at, institution_id, visit_id,
                   checklist_item_id, item_code, item_text, finding, department_id, status)
            SELECT v.submitted_at, v.submitted_at, v.institution_id, v.id, ci.id, ci.code, ci.text, '',
                   v.lead_department_id, 'open'
              FROM inspections_visit v
              JOIN inspections_checklistitem ci ON ci.template_id = %s AND ci.position = 1 + (v.id %% 11)
             WHERE v.id > %s AND v.id %% 5 = 0
        """, [template.pk, before])
        cursor.execute("ANALYZE inspections_visit; ANALYZE inspections_problemitem")
    return n - existing


def seed_orders(n: int) -> int:
    """Top up to n orders (penalties.bench hook), then spread approval dates and close or overdue some."""
    from django.db import connection

    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from institutions.models import Institution
    from penalties.bench import seed_due_orders
    from penalties.models import RectificationOrder
    from regulator.models import User

    existing = RectificationOrder.objects.count()
    if existing >= n:
        return 0
    inspector = User.objects.get(username=username_for(BENCH_COUNTY, "edu_inspector"))
    ids = list(Institution.objects.order_by("?").values_list("id", flat=True)[: n - existing])
    before = RectificationOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(f"seeding {n - existing:,} orders", flush=True)
    seed_due_orders(n=n - existing, institution_ids=ids, department=inspector.department, inspector=inspector)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE penalties_rectificationorder o
               SET approved_at = now() - ((o.id %% 1400) || ' days')::interval,
                   served_at = now() - ((o.id %% 1400) || ' days')::interval + interval '1 day',
                   deadline = (now() - ((o.id %% 1400) || ' days')::interval + interval '30 days')::date,
                   department_id = d.id
              FROM institutions_institution i, ({_county_departments_sql()}) d
             WHERE o.id > %s AND o.institution_id = i.id AND d.region_id = substr(i.region_id, 1, 6)
        """, [before])
        cursor.execute("""
            UPDATE penalties_rectificationorder
               SET status = 'closed', closed_at = approved_at + ((id %% 40) || ' days')::interval
             WHERE id > %s AND id %% 4 = 0
        """, [before])
        cursor.execute("""
            UPDATE penalties_rectificationorder
               SET status = 'overdue', overdue_at = deadline + time '01:00'
             WHERE id > %s AND id %% 4 = 1
        """, [before])
        cursor.execute("ANALYZE penalties_rectificationorder")
    return n - existing


# ---- measuring -----------------------------------------------------------------------------------------


def measure_call(bench: Bench, label: str, who: str, call, runs: int) -> dict:
    """Like Bench.page, for a function (the weekly report's selector and renderers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        result = call()
    statements = [query["sql"] for query in captured.captured_queries]
    reads = [statement for statement in statements if _read_only(statement)]
    row = {"page": label, "user": who, "url": "", "median_ms": round(statistics.median(times), 1),
           "p95_ms": round(percentile(times, 0.95), 1), "queries": len(statements),
           "floor_ms": round(bench.floor.run(reads, runs), 1) if reads else 0.0,
           "bytes": len(result) if isinstance(result, bytes | str) else 0, "runs": runs}
    bench.rows.append(row)
    print(_format_row(row), flush=True)
    if bench.args.explain and row["median_ms"] > bench.args.slow_ms and reads:
        ms, statement = bench.floor.slowest(reads)
        bench.explains.append({"page": label, "user": who, "query_ms": round(ms, 1), "sql": statement,
                               "plan": bench.floor.explain(statement)})
    return row


def bench_summary(bench: Bench, *, today: datetime.date) -> dict:
    """The nightly summary behind the dashboard: a full back-fill once, then the nightly run (last 7 days)."""
    from regulator.models import DailyFigure
    from regulator.oversight import summary

    started = time.perf_counter()
    result = summary.refresh(today=today, full=True)
    ms = round((time.perf_counter() - started) * 1000, 1)
    row = {"page": "summary: back-fill (--full)", "user": "command", "url": "", "median_ms": ms, "p95_ms": ms,
           "queries": 0, "floor_ms": 0.0, "bytes": 0, "runs": 1, "rows_written": result["rows"]}
    bench.rows.append(row)
    print(_format_row(row), flush=True)
    measure_call(bench, "summary: nightly run (7 days)", "beat job", lambda: summary.refresh(today=today),
                 max(3, bench.args.runs // 4))
    measure_call(bench, "summary: institution snapshot", "beat job", summary.refresh_institutions,
                 max(3, bench.args.runs // 4))
    return {"rows": DailyFigure.objects.count(), "back_fill_ms": ms}


def _figures_of_viewers(today: datetime.date) -> dict:
    """Every figure (as the weekly report keeps them) for a few viewers, regions and periods."""
    from institutions.management.commands.seed_scale import (
        ADMIN_USERNAME,
        BENCH_COUNTY,
        BENCH_PREFECTURE,
        username_for,
    )
    from regulator.models import User
    from regulator.oversight.dashboard import dashboard_figures

    viewers = [(username_for(BENCH_PREFECTURE, "joint_office"), BENCH_PREFECTURE),
               (username_for(BENCH_COUNTY, "joint_office"), BENCH_COUNTY),
               (username_for(BENCH_COUNTY, "edu_head"), BENCH_COUNTY), (ADMIN_USERNAME, BENCH_PREFECTURE[:2])]
    periods = [(today - datetime.timedelta(days=364), today), (today.replace(month=1, day=1) -
               datetime.timedelta(days=400), today - datetime.timedelta(days=100)),
               (today - datetime.timedelta(days=10), today)]
    figures = {(username, code, str(start)): dashboard_figures(user=User.objects.get(username=username),
                                                               region_code=code, start=start, end=end).as_json()
               for username, code in viewers for start, end in periods}
    for one in figures.values():  # the trends are read from the summary only: none without it
        one["sections"] = [section for section in one["sections"] if section["key"] != "trends"]
    return figures


def bench_dashboard(bench: Bench, *, today: datetime.date) -> None:
    from institutions.management.commands.seed_scale import (
        ADMIN_USERNAME,
        BENCH_COUNTY,
        BENCH_PREFECTURE,
        username_for,
    )
    from regulator.models import User

    start = today - datetime.timedelta(days=364)
    year = f"start={start.isoformat()}&end={today.isoformat()}"
    prefecture = client_for(User.objects.get(username=username_for(BENCH_PREFECTURE, "joint_office")))
    county = client_for(User.objects.get(username=username_for(BENCH_COUNTY, "joint_office")))
    admin = client_for(User.objects.get(username=ADMIN_USERNAME))
    bench.page("dashboard: prefecture, 1 year", "pref. office", prefecture,
               f"/dashboard/?region={BENCH_PREFECTURE}&{year}")
    bench.page("dashboard: county, 1 year", "county office", county, f"/dashboard/?region={BENCH_COUNTY}&{year}")
    province = BENCH_PREFECTURE[:2]
    bench.page("dashboard: province, 1 year", "admin", admin, f"/dashboard/?region={province}&{year}")
    # The same two pages with every figure counted live, as before the nightly summary (regulator.oversight.summary).
    from regulator.models import DailyFigureState

    through, taken = DailyFigureState.objects.values_list("through", "institutions_at").get(pk=1)
    summarised = _figures_of_viewers(today)
    DailyFigureState.objects.filter(pk=1).update(through=None, institutions_at=None)
    try:
        live = _figures_of_viewers(today)
        differing = [key for key in summarised if summarised[key] != live[key]]
        bench.checks["summary_equals_live"] = {"cases": len(summarised), "differing": differing}
        print(f"summary == live for {len(summarised) - len(differing)} of {len(summarised)} viewer × region × "
              f"period cases" + (f"; DIFFERING: {differing}" if differing else ""), flush=True)
        live_runs = max(3, bench.args.runs // 4)
        bench.page("dashboard: prefecture, live (no summary)", "pref. office", prefecture,
                   f"/dashboard/?region={BENCH_PREFECTURE}&{year}", runs=live_runs)
        bench.page("dashboard: county, live (no summary)", "county office", county,
                   f"/dashboard/?region={BENCH_COUNTY}&{year}", runs=live_runs)
        bench.page("dashboard: province, live (no summary)", "admin", admin,
                   f"/dashboard/?region={province}&{year}", runs=live_runs)
    finally:
        DailyFigureState.objects.filter(pk=1).update(through=through, institutions_at=taken)
    bench.page("ledger: prefecture visits done, 1 yr", "pref. office", prefecture,
               f"/ledger/visits/?region={BENCH_PREFECTURE}&measure=done&{year}")
    bench.page("Django admin: visits changelist", "admin", admin, "/admin/inspections/visit/")


def bench_weekly(bench: Bench, *, today: datetime.date) -> None:
    from django.utils import timezone

    from institutions.management.commands.seed_scale import BENCH_COUNTY, BENCH_PREFECTURE, username_for
    from regulator.models import Region, User, WeeklyReport
    from regulator.oversight.dashboard import week_of
    from regulator.oversight.weekly import weekly_figures, weekly_report_generate
    from regulator.oversight.weekly_files import render_pdf, render_xlsx

    week_start = week_of(today)[0] - datetime.timedelta(days=7)  # last week: a complete one
    runs = bench.args.runs
    measure_call(bench, "weekly: one county's figures", "beat job",
                 lambda: weekly_figures(region_code=BENCH_COUNTY, week_start=week_start), runs)
    report, _created = weekly_report_generate(region=Region.objects.get(code=BENCH_COUNTY), week_start=week_start,
                                              now=timezone.now())
    report = WeeklyReport.objects.select_related("region").get(pk=report.pk)
    measure_call(bench, "weekly: render PDF", "worker", lambda: render_pdf(report), max(3, runs // 4))
    measure_call(bench, "weekly: render .xlsx", "worker", lambda: render_xlsx(report), runs)
    county = client_for(User.objects.get(username=username_for(BENCH_COUNTY, "joint_office")))
    prefecture = client_for(User.objects.get(username=username_for(BENCH_PREFECTURE, "joint_office")))
    bench.page("weekly: report page", "county office", county, f"/weekly/{report.pk}/")
    bench.page("weekly: prefecture status", "pref. office", prefecture,
               f"/weekly/status/?region={BENCH_PREFECTURE}&week={week_start.isoformat()}")


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL=postgres://…/regulator_bench (after `make bench`).", file=sys.stderr)
        return 2
    ensure_database(url)
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from inspections.models import Visit
    from institutions.models import Institution
    from penalties.models import RectificationOrder

    call_command("migrate", verbosity=0, interactive=False)
    if not Institution.objects.exists():
        print("No institutions: run `make bench` (python -m bench.run) first.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    seeded = {"visits": seed_visits(args.visits), "orders": seed_orders(args.orders)}
    seed_seconds = round(time.perf_counter() - started, 1)
    # The seeding UPDATEs leave dead index entries stamped today (the hooks create rows "now" before spreading
    # them in time) and COPY leaves the visibility map empty: vacuum as autovacuum would have by the next day,
    # or the "today" part of the dashboard and the index-only scans measure the seeding, not the application.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) institutions_institution, inspections_visit, inspections_problemitem, "
                       "penalties_rectificationorder")
    counts = {"institutions": Institution.objects.count(), "visits": Visit.objects.count(),
              "orders": RectificationOrder.objects.count()}
    print(f"\n{counts['institutions']:,} institutions, {counts['visits']:,} visits, {counts['orders']:,} orders; "
          f"{args.runs} runs; times in ms\n")
    bench = Bench(args)
    print(HEADER)
    today = timezone.localdate()
    summarised = bench_summary(bench, today=today)
    bench_dashboard(bench, today=today)
    bench_weekly(bench, today=today)
    from bench.run import machine_info

    results = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), **counts,
               "seeded": seeded, "seed_seconds": seed_seconds, "summary": summarised, "runs": args.runs,
               "machine": machine_info(),
               "pages": bench.rows, "explain": bench.explains, "checks": bench.checks}
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
    for item in bench.explains:
        print(f"\n--- {item['page']} ({item['user']}): slowest query {item['query_ms']} ms\n{item['sql']}\n"
              f"{item['plan']}")
    print(f"\nwritten {args.output}")
    return 1 if any(check.get("differing") for check in bench.checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
