"""Benchmark of issue 13, second part: the set-based chaser, two-character search and the register's rows, each
a ratio to its baseline measured in the same run.

`python -m bench.run --suite scale` (or `make bench BENCH_ARGS="--suite scale"`), on the bench database:

1. **chaser vs bare UPDATE**: --orders served orders whose deadline was yesterday (one open item each,
   penalties.bench.seed_due_orders, in 荔湾区 as bench/penalties.py), per round: one bare
   `UPDATE … SET status = 'overdue' … WHERE status IN (…) AND deadline < today` of those rows, timed, the rows
   put back (untimed), then `chase_deadlines` over the same rows, timed (every second round the other way
   round); medians over --chaser-rounds, the ratio of the rates (goal ≥ 1/15). Memory: peak Python
   allocations (tracemalloc) of the chaser at --orders / 4 and --orders: equal peaks mean memory flat in n.
   Then, for reference, the escalation of as many orders past the grace period (each its case, black-list
   proposal and notices) against one bare UPDATE of their status, per round.
   The bench orders are deleted afterwards with their audit events, notifications, cases and proposals.
2. **two-character search**: the staff register of the bench county's head (/register/?q=…) for the
   two-character terms 英语, 数学, 舞蹈 against four-character terms (培训学校, 艺术培训, 教育咨询),
   interleaved, server time (django.test.Client) and the SQL floor (bench.run.Bench); the ratio of the
   2-character median to the 4-character median (goal ≤ 1.5×); the same for the public search (/public/search/,
   anonymous, uncached: the public cache version bumped before each request), after seeding the published list
   entries as the speed suite does.
3. **register rows vs their SQL floor**: the county head's register page, server time / bare SQL (goal ≤ 2×),
   and the same through the Django admin changelist for reference; also timed at the WSGI call (bench.run.WsgiCall:
   the application called as gunicorn calls it, without django.test.Client's own bookkeeping), for reference.
"""

import datetime
import os
import statistics
import time
import tracemalloc

from bench.run import Bench, WsgiCall, client_for

TWO_CHARACTER = ("英语", "数学", "舞蹈")
FOUR_CHARACTER = ("培训学校", "艺术培训", "教育咨询")


def _median(values):
    return statistics.median(values)


# ---- 1. the chaser ----------------------------------------------------------------------------------------

def _bare_update(department, today) -> tuple[float, int]:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE penalties_rectificationorder SET status = 'overdue', overdue_at = now(), updated_at = now() "
            "WHERE status IN ('approved', 'served') AND deadline < %s AND department_id = %s",
            [today, department.pk],
        )
        rows = cursor.rowcount
    return time.perf_counter() - started, rows


def _put_back(department) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE penalties_rectificationorder SET status = 'served', overdue_at = NULL "
                       "WHERE department_id = %s AND number LIKE 'BENCH%%'", [department.pk])


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE penalties_rectificationorder")


def _chase(now) -> tuple[float, int]:
    from penalties.chaser import chase_deadlines

    started = time.perf_counter()
    stats = chase_deadlines(now=now)
    return time.perf_counter() - started, stats.get("orders_overdue", 0)


def measure_chaser(orders: int, rounds: int) -> dict:
    from django.utils import timezone

    from bench.penalties import CHASER_COUNTY, _department_and_people, remove_bench_orders
    from institutions.models import Institution
    from penalties import conf
    from penalties.bench import seed_due_orders

    department, _head, inspector = _department_and_people()
    remove_bench_orders(department)
    institution_ids = list(Institution.objects.filter(region__code__startswith=CHASER_COUNTY)
                           .order_by("pk").values_list("pk", flat=True))
    people = {"institution_ids": institution_ids, "department": department, "inspector": inspector}
    runs = []
    try:
        for index in range(rounds):
            seed_due_orders(n=orders, **people)
            _vacuum()
            now = timezone.now()
            today = timezone.localdate(now)
            order = ("bare", "chaser") if index % 2 == 0 else ("chaser", "bare")
            run = {}
            for what in order:
                if what == "bare":
                    if "chaser_seconds" in run:
                        _put_back(department)
                        _vacuum()
                    run["bare_seconds"], rows = _bare_update(department, today)
                    if rows != orders:
                        raise SystemExit(f"the bare UPDATE changed {rows} of {orders} rows")
                    _put_back(department)
                    _vacuum()
                else:
                    run["chaser_seconds"], overdue = _chase(now)
                    if overdue != orders:
                        raise SystemExit(f"the chaser marked {overdue} of {orders} orders overdue")
            run["bare_rows_per_second"] = round(orders / run["bare_seconds"])
            run["chaser_orders_per_second"] = round(orders / run["chaser_seconds"])
            run["ratio"] = round(run["chaser_orders_per_second"] / run["bare_rows_per_second"], 4)
            print(f"chaser round {index + 1}: {run['chaser_orders_per_second']:,} orders/s, bare UPDATE "
                  f"{run['bare_rows_per_second']:,} rows/s: 1/{1 / run['ratio']:.1f}", flush=True)
            runs.append(run)
            remove_bench_orders(department)
        peaks = {}
        for n in (max(1, orders // 4), orders):
            seed_due_orders(n=n, **people)
            _vacuum()
            tracemalloc.start()
            _seconds, overdue = _chase(timezone.now())
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks[n] = round(peak / 2**20, 1)
            remove_bench_orders(department)
        print(f"chaser peak Python allocations: {peaks} MB", flush=True)
    finally:
        remove_bench_orders(department)
    chaser = _median([run["chaser_orders_per_second"] for run in runs])
    bare = _median([run["bare_rows_per_second"] for run in runs])
    return {"orders": orders, "rounds": runs, "batch_size": conf.overdue_batch_size(),
            "chaser_orders_per_second": chaser, "bare_rows_per_second": bare,
            "ratio": round(_median([run["ratio"] for run in runs]), 4),
            "peak_python_mb": {f"{n}": mb for n, mb in peaks.items()}}


def _make_long_overdue(department, today) -> None:
    """The bench orders made overdue 60 days ago (past the grace period): what the escalation step takes."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE penalties_rectificationorder SET status = 'overdue', overdue_at = now(), "
                       "deadline = %s WHERE department_id = %s AND number LIKE 'BENCH%%'",
                       [today - datetime.timedelta(days=60), department.pk])


def _bare_escalate(department, today) -> tuple[float, int]:
    """One bare UPDATE of the rows' status, timed; the rows put back afterwards, untimed."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE penalties_rectificationorder SET status = 'escalated', escalated_at = now(), "
                       "updated_at = now() WHERE status = 'overdue' AND deadline < %s AND department_id = %s",
                       [today - datetime.timedelta(days=30), department.pk])
        rows = cursor.rowcount
    seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE penalties_rectificationorder SET status = 'overdue', escalated_at = NULL "
                       "WHERE department_id = %s AND number LIKE 'BENCH%%'", [department.pk])
    return seconds, rows


def measure_escalation(orders: int, rounds: int) -> dict:
    """The escalation step over `orders` orders overdue past the grace period: each gets its case, its black-list
    proposal and its notices (the chaser's whole work for it), against one bare UPDATE of the same rows' status."""
    from django.utils import timezone

    from bench.penalties import CHASER_COUNTY, _department_and_people, remove_bench_orders
    from institutions.models import Institution
    from penalties.bench import seed_due_orders
    from penalties.chaser import chase_deadlines

    department, _head, inspector = _department_and_people()
    remove_bench_orders(department)
    institution_ids = list(Institution.objects.filter(region__code__startswith=CHASER_COUNTY)
                           .order_by("pk").values_list("pk", flat=True))
    runs = []
    try:
        for index in range(rounds):
            seed_due_orders(n=orders, institution_ids=institution_ids, department=department, inspector=inspector)
            now = timezone.now()
            _make_long_overdue(department, timezone.localdate(now))
            _vacuum()
            run = {}
            run["bare_seconds"], rows = _bare_escalate(department, timezone.localdate(now))
            if rows != orders:
                raise SystemExit(f"the bare UPDATE changed {rows} of {orders} rows")
            _vacuum()
            started = time.perf_counter()
            stats = chase_deadlines(now=now)
            run["chaser_seconds"] = time.perf_counter() - started
            if stats.get("orders_escalated") != orders or stats.get("black_list_proposals") != orders:
                raise SystemExit(f"the chaser escalated {stats} of {orders} orders")
            run["bare_rows_per_second"] = round(orders / run["bare_seconds"])
            run["escalations_per_second"] = round(orders / run["chaser_seconds"])
            run["ratio"] = round(run["escalations_per_second"] / run["bare_rows_per_second"], 4)
            print(f"escalation round {index + 1}: {run['escalations_per_second']:,} orders/s (case, proposal, "
                  f"notices), bare UPDATE {run['bare_rows_per_second']:,} rows/s: 1/{1 / run['ratio']:.1f}",
                  flush=True)
            runs.append(run)
            remove_bench_orders(department)
    finally:
        remove_bench_orders(department)
    return {"orders": orders, "rounds": runs,
            "escalations_per_second": _median([run["escalations_per_second"] for run in runs]),
            "bare_rows_per_second": _median([run["bare_rows_per_second"] for run in runs]),
            "ratio": round(_median([run["ratio"] for run in runs]), 4)}


# ---- 2. two-character search, 3. register rows ---------------------------------------------------------------

def _head():
    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from regulator.models import User

    return User.objects.get(username=username_for(BENCH_COUNTY, "edu_head"))


def measure_search(bench: Bench, rounds: int) -> dict:
    """The register for the county head with 2- and 4-character terms, interleaved over `rounds`."""
    from urllib.parse import quote

    client = client_for(_head())
    rows = {term: [] for term in TWO_CHARACTER + FOUR_CHARACTER}
    for _ in range(rounds):
        for two, four in zip(TWO_CHARACTER, FOUR_CHARACTER, strict=True):
            for term in (two, four):
                rows[term].append(bench.page(f"register ?q={term}", "county head", client,
                                             f"/register/?q={quote(term)}", runs=max(5, bench.args.runs // 3)))
    two = round(_median([row["median_ms"] for term in TWO_CHARACTER for row in rows[term]]), 1)
    four = round(_median([row["median_ms"] for term in FOUR_CHARACTER for row in rows[term]]), 1)
    two_floor = round(_median([row["floor_ms"] for term in TWO_CHARACTER for row in rows[term]]), 1)
    four_floor = round(_median([row["floor_ms"] for term in FOUR_CHARACTER for row in rows[term]]), 1)
    result = {"two_character_ms": two, "four_character_ms": four, "ratio": round(two / four, 2),
              "two_character_floor_ms": two_floor, "four_character_floor_ms": four_floor,
              "terms": {term: [{k: row[k] for k in ("median_ms", "p95_ms", "floor_ms", "queries")}
                               for row in found] for term, found in rows.items()}}
    print(f"register search: 2 characters {two} ms (SQL {two_floor}), 4 characters {four} ms (SQL {four_floor}): "
          f"{result['ratio']}×", flush=True)
    return result


def measure_public_search(runs: int, rounds: int) -> dict:
    """The public search (/public/search/?q=…, anonymous) with the same 2- and 4-character terms, uncached (the
    public cache version bumped before every request, as a publication does: bench.publicity.measure),
    interleaved over `rounds`; needs the published list entries (bench.publicity.seed_entries, idempotent)."""
    from urllib.parse import quote

    from django.test import Client

    from bench.publicity import measure, seed_entries
    from bench.run import Floor

    seed_entries()
    client, floor, rows = Client(), Floor(), []
    found = {term: [] for term in TWO_CHARACTER + FOUR_CHARACTER}
    for _ in range(rounds):
        for two, four in zip(TWO_CHARACTER, FOUR_CHARACTER, strict=True):
            for term in (two, four):
                found[term].append(measure(rows, floor, f"public search {term}", client,
                                           f"/public/search/?q={quote(term)}", max(5, runs // 3), cached=False))

    def median_of(terms, key):
        return round(_median([row[key] for term in terms for row in found[term]]), 1)

    two, four = median_of(TWO_CHARACTER, "median_ms"), median_of(FOUR_CHARACTER, "median_ms")
    result = {"two_character_ms": two, "four_character_ms": four, "ratio": round(two / four, 2),
              "two_character_floor_ms": median_of(TWO_CHARACTER, "floor_ms"),
              "four_character_floor_ms": median_of(FOUR_CHARACTER, "floor_ms"),
              "terms": {term: [{k: row[k] for k in ("median_ms", "p95_ms", "floor_ms", "queries")} for row in got]
                        for term, got in found.items()}}
    print(f"public search: 2 characters {two} ms (SQL {result['two_character_floor_ms']}), 4 characters {four} ms "
          f"(SQL {result['four_character_floor_ms']}): {result['ratio']}×", flush=True)
    return result


def measure_register(bench: Bench, rounds: int) -> dict:
    """The county head's register page (50 rows) against its own SQL run bare, and, for reference, the admin
    changelist of the same rows and a signed-in hello world (bench/urls.py: the session, the user's query and the
    middleware stack of every staff page, and nothing else), interleaved in each round."""
    from django.test.utils import override_settings

    from regulator.models import User

    client = client_for(_head())
    wsgi = WsgiCall(client)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    pages, admins, hellos, bare, at_wsgi = [], [], [], [], []
    with override_settings(ROOT_URLCONF="bench.urls"):  # the project's URLs and the hello views
        for _ in range(rounds):
            pages.append(bench.page("register", "county head", client, "/register/"))
            at_wsgi.append(bench.page("register at the WSGI call", "county head", wsgi, "/register/",
                                      capture_with=client))
            hellos.append(bench.page("hello world, signed in", "county head", client, "/bench/hello-user/"))
            bare.append(bench.page("register rows alone", "county head", client, "/bench/register-rows/"))
            if admin is not None:
                admins.append(bench.page("admin changelist", "superuser", client_for(admin),
                                         "/admin/institutions/institution/"))
    server = _median([row["median_ms"] for row in pages])
    floor = _median([row["floor_ms"] for row in pages])
    hello = _median([row["median_ms"] for row in hellos])
    hello_floor = _median([row["floor_ms"] for row in hellos])
    result = {"server_ms": server, "floor_ms": floor, "ratio": round(server / floor, 2),
              "queries": pages[-1]["queries"],
              "hello_user_ms": hello, "hello_user_floor_ms": hello_floor,
              "hello_user_ratio": round(hello / hello_floor, 2) if hello_floor else None,
              "over_hello_user": round(server / hello, 2) if hello else None,
              "admin_changelist_ms": _median([row["median_ms"] for row in admins]) if admins else None}
    at_wsgi_ms, at_wsgi_floor = (_median([row["median_ms"] for row in at_wsgi]),
                                 _median([row["floor_ms"] for row in at_wsgi]))
    result.update({"wsgi_ms": at_wsgi_ms, "wsgi_floor_ms": at_wsgi_floor,
                   "wsgi_ratio": round(at_wsgi_ms / at_wsgi_floor, 2) if at_wsgi_floor else None})
    rows_alone, rows_floor = _median([row["median_ms"] for row in bare]), _median([row["floor_ms"] for row in bare])
    result.update({"rows_alone_ms": rows_alone, "rows_alone_floor_ms": rows_floor,
                   "rows_alone_ratio": round(rows_alone / rows_floor, 2) if rows_floor else None})
    print(f"register page: {server} ms on a {floor} ms SQL floor: {result['ratio']}×; a signed-in hello world "
          f"{hello} ms on {hello_floor} ms ({result['hello_user_ratio']}×)", flush=True)
    return result


def run_suite(args) -> dict:
    from django.urls import reverse

    reverse("institutions:list")  # the URL resolver loaded before the first timed request
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    bench = Bench(args)
    register = measure_register(bench, 3)
    search = measure_search(bench, 2)
    public_search = measure_public_search(args.runs, 2)
    chaser = measure_chaser(args.orders, args.chaser_rounds) if args.orders else None
    escalation = measure_escalation(args.orders, args.chaser_rounds) if args.orders else None
    return {"runs": args.runs, "chaser": chaser, "escalation": escalation, "search": search,
            "public_search": public_search, "register": register,
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()]}


def markdown(result: dict) -> str:
    lines = [
        f"Measured {result.get('date', '')} on {result.get('institutions', 0):,} institutions; load average "
        f"{result['load_average_at_start']} at the start, {result['load_average_at_end']} at the end.",
        "",
        "| measure | now | baseline in the same run | ratio | goal |",
        "| --- | --- | --- | ---: | --- |",
    ]
    register = result["register"]
    lines.append(f"| county head's register page, server time vs its SQL run bare | {register['server_ms']} ms "
                 f"({register['queries']} queries) | SQL floor {register['floor_ms']} ms | {register['ratio']}× | "
                 f"≤ 2× |")
    if register.get("wsgi_ms"):
        lines.append(f"| (reference) the same page timed at the WSGI call, as gunicorn calls the application (no "
                     f"test-client bookkeeping) | {register['wsgi_ms']} ms | SQL floor {register['wsgi_floor_ms']} ms "
                     f"| {register['wsgi_ratio']}× | ≤ 2× |")
    if register.get("hello_user_ms"):
        lines.append(f"| (reference) a signed-in hello world: session, user, middleware | {register['hello_user_ms']} "
                     f"ms (1 query) | SQL floor {register['hello_user_floor_ms']} ms | {register['hello_user_ratio']}× "
                     f"| the register is {register['over_hello_user']}× it |")
    if register.get("rows_alone_ms"):
        lines.append(f"| (reference) the register's rows alone: its queries and its rows' HTML, no page template, no "
                     f"form, no navigation (bench/urls.py) | {register['rows_alone_ms']} ms | SQL floor "
                     f"{register['rows_alone_floor_ms']} ms | {register['rows_alone_ratio']}× | the framework's "
                     f"ceiling for this page |")
    search = result["search"]
    lines.append(f"| register search, 2-character terms ({'、'.join(TWO_CHARACTER)}) | {search['two_character_ms']} ms "
                 f"(SQL {search['two_character_floor_ms']} ms) | 4-character terms: {search['four_character_ms']} ms "
                 f"(SQL {search['four_character_floor_ms']} ms) | {search['ratio']}× | ≤ 1.5× |")
    public = result.get("public_search")
    if public:
        lines.append(f"| public search (uncached), 2-character terms | {public['two_character_ms']} ms (SQL "
                     f"{public['two_character_floor_ms']} ms) | 4-character terms: {public['four_character_ms']} ms "
                     f"(SQL {public['four_character_floor_ms']} ms) | {public['ratio']}× | ≤ 1.5× |")
    chaser = result.get("chaser")
    if chaser:
        peaks = ", ".join(f"{int(n):,} orders: {mb} MB" for n, mb in chaser["peak_python_mb"].items())
        lines.append(f"| deadline chaser, {chaser['orders']:,} overdue orders, batches of {chaser['batch_size']} | "
                     f"{chaser['chaser_orders_per_second']:,} orders/s (peak Python allocations {peaks}) | bare "
                     f"UPDATE of the same rows: {chaser['bare_rows_per_second']:,} rows/s | "
                     f"1/{1 / chaser['ratio']:.1f} | ≥ 1/15 |")
    escalation = result.get("escalation")
    if escalation:
        lines.append(f"| (reference) escalation, {escalation['orders']:,} orders past the grace period: case, "
                     f"black-list proposal, notices | {escalation['escalations_per_second']:,} orders/s | bare "
                     f"UPDATE of their status: {escalation['bare_rows_per_second']:,} rows/s | "
                     f"1/{1 / escalation['ratio']:.1f} | — |")
    return "\n".join(lines)
