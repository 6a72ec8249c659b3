"""Benchmark of issue 4: the deadline chaser, one PDF notice, and the penalties pages.

`python -m bench.run --suite penalties` (or `make bench BENCH_ARGS="--suite penalties"`), on the
100,000-institution database, in the education bureau of 荔湾区 (440103; no other bench uses it):

1. the chaser over served orders whose deadline was yesterday, one open item each (bulk-inserted by
   penalties.bench.seed_due_orders), three runs, each on fresh orders:
   - --orders / 10 through `chase_deadlines` with no tracing: the true rate (orders/second);
   - --orders / 10 and --orders through the hook penalties.bench.bench_chaser, which traces Python
     allocations (tracemalloc: peak MB) and so runs slower; equal peaks at both sizes show the memory is
     constant in n (the chaser works in fixed batches by id).
   Beside each, the growth of the process's resident set (VmHWM after the run minus VmRSS before it, the
   peak reset through /proc/self/clear_refs; the hook's runs include its own seeding). The 100,000 figure is
   extrapolated: the big traced run's rate times the tracing slowdown measured at the small size;
2. one rectification order rendered to PDF (penalties.bench.bench_pdf, WeasyPrint): median of --pdf-runs;
3. with the overdue orders of those runs in place (1.2 × --orders), through django.test.Client with DEBUG
   off (bench.run.Bench: median/p95 over --runs, queries, SQL floor): an order's page, and the penalties
   home queue (all orders, overdue, due within 7 days, second page) for the county's head.
At the end (and at the start, should an earlier run have died) the bench orders of that department are
deleted with their items, notifications and audit events, so every run starts from the same database.
"""

import os
import re
import time
from pathlib import Path

from bench.run import HEADER, Bench, client_for

CHASER_COUNTY = "440103"


def _department_and_people():
    from institutions.management.commands.seed_scale import username_for
    from regulator.models import Department, DepartmentKind, User

    department = Department.objects.get(kind=DepartmentKind.EDUCATION, region_id=CHASER_COUNTY)
    head = User.objects.get(username=username_for(CHASER_COUNTY, "edu_head"))
    inspector = User.objects.get(username=username_for(CHASER_COUNTY, "edu_inspector"))
    return department, head, inspector


def remove_bench_orders(department) -> int:
    """Delete the bench's orders of `department` (number BENCH…), with what the chaser wrote about them: notices,
    audit events, and the escalations' cases and black-list proposals."""
    from django.db import connection, transaction

    from penalties.models import PenaltyCase, RectificationOrder
    from publicity.models import ListEntry
    from regulator.audit import maintenance
    from regulator.models import AuditEvent, Notification

    ids = list(RectificationOrder.objects.filter(department=department, number__startswith="BENCH")
               .values_list("pk", flat=True))
    if not ids:
        return 0
    # The audit table refuses DELETE except through its maintenance hatch (docs/audit.md).
    with transaction.atomic(), maintenance(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Notification._meta.db_table} WHERE key LIKE 'order:%%' "
                       f"AND split_part(key, ':', 2) = ANY(%s)", [[str(pk) for pk in ids]])
        cases = list(PenaltyCase.objects.filter(source_order_id__in=ids).values_list("pk", flat=True))
        keys = [str(pk) for pk in ids]
        entries = list(ListEntry.objects.filter(source_type="overdue_order", source_object_id__in=keys)
                       .values_list("pk", flat=True))
        # The events of the orders, their cases and proposals are the tails of their institutions' chains (nothing
        # else writes about this county's institutions), so removing them leaves every chain whole.
        for model, pks in ((RectificationOrder, ids), (PenaltyCase, cases), (ListEntry, entries)):
            cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE object_type = %s "
                           f"AND object_id = ANY(%s)", [model._meta.label_lower, [str(pk) for pk in pks]])
        cursor.execute(f"DELETE FROM {ListEntry._meta.db_table} WHERE id = ANY(%s)", [entries])
        cursor.execute(f"DELETE FROM {PenaltyCase._meta.db_table} WHERE id = ANY(%s)", [cases])
        cursor.execute("DELETE FROM penalties_orderitem WHERE order_id = ANY(%s)", [ids])
        cursor.execute(f"DELETE FROM {RectificationOrder._meta.db_table} WHERE id = ANY(%s)", [ids])
    return len(ids)


def _rss_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set (VmHWM)
        return True
    except OSError:
        return False


def chase(n: int, *, institution_ids, department, inspector, traced: bool) -> dict:
    """One chaser run over n fresh due orders: through the hook (tracemalloc on) or bare (no tracing)."""
    from django.utils import timezone

    from penalties.bench import bench_chaser, seed_due_orders
    from penalties.chaser import chase_deadlines

    reset = _reset_peak_rss()
    before = _rss_kb("VmRSS")
    if traced:
        result = bench_chaser(n=n, institution_ids=institution_ids, department=department, inspector=inspector)
    else:
        seed_due_orders(n=n, institution_ids=institution_ids, department=department, inspector=inspector)
        reset = _reset_peak_rss()
        before = _rss_kb("VmRSS")
        started = time.perf_counter()
        stats = chase_deadlines(now=timezone.now())
        seconds = time.perf_counter() - started
        overdue = stats.get("orders_overdue", 0)
        result = {"orders": n, "overdue": overdue, "seconds": round(seconds, 1),
                  "orders_per_second": round(overdue / seconds, 1), "peak_python_mb": None}
    result["tracemalloc"] = traced
    if reset:
        result["peak_rss_growth_mb"] = round(max(0, _rss_kb("VmHWM") - before) / 1024, 1)
    result["rss_before_mb"] = round(before / 1024, 1)
    if result["overdue"] != n:
        raise SystemExit(f"the chaser marked {result['overdue']} of {n} orders overdue")
    print(f"chaser over {n:,} due orders ({'tracemalloc' if traced else 'no tracing'}): {result['seconds']} s, "
          f"{result['orders_per_second']} orders/s, peak Python allocations {result['peak_python_mb']} MB, "
          f"peak RSS growth {result.get('peak_rss_growth_mb')} MB", flush=True)
    return result


def run_suite(args) -> dict:
    from django.db import connection
    from django.urls import reverse

    from institutions.models import Institution
    from penalties.bench import bench_pdf
    from penalties.models import OrderStatus, RectificationOrder
    from regulator.models import Notification

    department, head, inspector = _department_and_people()
    removed = remove_bench_orders(department)
    if removed:
        print(f"removed {removed:,} orders of an earlier run", flush=True)
    institution_ids = list(Institution.objects.filter(region__code__startswith=CHASER_COUNTY)
                           .order_by("pk").values_list("pk", flat=True))
    notifications_before = Notification.objects.count()
    try:
        reverse("penalties:home")  # load the URL resolver before the first timed run
        small = max(1, args.orders // 10)
        people = {"institution_ids": institution_ids, "department": department, "inspector": inspector}
        # The bare run first (its rate is the throughput), then the hook, traced, at two sizes (memory).
        chaser = [chase(small, traced=False, **people), chase(small, traced=True, **people),
                  chase(args.orders, traced=True, **people)]
        notifications = Notification.objects.count() - notifications_before
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE penalties_rectificationorder")
            cursor.execute("ANALYZE penalties_orderitem")
        bare, traced_small, traced_large = chaser
        slowdown = traced_small["seconds"] / bare["seconds"] if bare["seconds"] else 1
        extrapolated = {
            "orders": 100_000,
            # the bare rate, corrected by how much faster the big traced run went than the small one
            "orders_per_second": round(traced_large["orders_per_second"] * slowdown, 1),
            "peak_python_mb": max(run["peak_python_mb"] for run in chaser[1:]),
            "tracemalloc_slowdown": round(slowdown, 2),
        }
        extrapolated["seconds"] = round(100_000 / extrapolated["orders_per_second"])

        order = RectificationOrder.objects.filter(department=department, number__startswith="BENCH",
                                                  status=OrderStatus.OVERDUE).order_by("-pk").first()
        cold = bench_pdf(order_id=order.pk, runs=1)  # the process's first PDF: fonts and Pango set up
        pdf = {**bench_pdf(order_id=order.pk, runs=args.pdf_runs), "first_seconds": cold["median_seconds"]}
        print(f"PDF of a rectification order: first {pdf['first_seconds']} s, then median "
              f"{pdf['median_seconds']} s, {pdf['bytes']:,} bytes", flush=True)

        bench = Bench(args)
        client = client_for(head)
        print("\n" + HEADER)
        bench.page("order page (overdue)", "county head", client, order.get_absolute_url())
        bench.page("order page (overdue)", "inspector", client_for(inspector), order.get_absolute_url())
        bench.page("penalties home: all orders", "county head", client, "/penalties/")
        bench.page("penalties home: overdue", "county head", client, "/penalties/?queue=overdue")
        bench.page("penalties home: due within 7 days", "county head", client, "/penalties/?queue=due_soon")
        second = _next_after(client.get("/penalties/?queue=overdue").content)
        bench.page("penalties home: overdue, page 2", "county head", client,
                   f"/penalties/?queue=overdue&after={second}")
        bench.page("penalties home: cases", "county head", client, "/penalties/?tab=cases")
    finally:
        removed = remove_bench_orders(department)
        print(f"removed the {removed:,} bench orders again", flush=True)
    return {
        "department": str(department), "chaser": chaser, "chaser_100k_extrapolated": extrapolated,
        "notifications_written": notifications, "pdf": pdf, "runs": args.runs, "pages": bench.rows,
        "explain": bench.explains,
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
    }


def _next_after(content: bytes) -> str:
    match = re.search(rb"after=(\d+)", content)
    if not match:
        raise SystemExit("the overdue queue has no next page")
    return match.group(1).decode()


def markdown(result: dict) -> str:
    lines = [
        f"Measured {result.get('date', '')} on {result.get('institutions', 0):,} institutions, in "
        f"{result['department']}; load average at end {result.get('load_average_at_end')}.",
        "",
        "| chaser: due orders | run | seconds | orders/s | peak Python allocations MB | peak RSS growth MB |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for run in result["chaser"]:
        how = "bench_chaser (tracemalloc on)" if run.get("tracemalloc") else "chase_deadlines, no tracing"
        peak = run["peak_python_mb"] if run["peak_python_mb"] is not None else "–"
        lines.append(f"| {run['orders']:,} | {how} | {run['seconds']} | {run['orders_per_second']} | "
                     f"{peak} | {run.get('peak_rss_growth_mb', '')} |")
    extra = result["chaser_100k_extrapolated"]
    traced = [run for run in result["chaser"] if run.get("tracemalloc")]
    small, large = traced[0]["peak_python_mb"], traced[-1]["peak_python_mb"]
    memory = (f"not constant: {small} → {large} MB for {traced[0]['orders']:,} → {traced[-1]['orders']:,}"
              if large > 1.5 * small else f"~{large} (constant)")
    lines.append(f"| 100,000 | extrapolated, no tracing | ~{extra['seconds']:,} | ~{extra['orders_per_second']} "
                 f"| {memory} | |")
    pdf = result["pdf"]
    lines += [
        "",
        f"Notifications written by the chaser runs: {result['notifications_written']:,}. "
        f"PDF of one rectification order (WeasyPrint): median {pdf['median_seconds']} s over {pdf['runs']} "
        f"renders, {pdf['bytes']:,} bytes; the process's first render {pdf.get('first_seconds')} s (font set-up, "
        f"paid once per worker).",
        "",
        "| page | user | median ms | p95 ms | queries | SQL floor ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in result["pages"]:
        lines.append(f"| {row['page']} | {row['user']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | "
                     f"{row['queries']} | {row['floor_ms']:.1f} |")
    return "\n".join(lines)
