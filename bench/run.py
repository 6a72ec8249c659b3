"""Benchmarks at scale: `python -m bench.run --institutions N [--suite S]` (what `make bench` runs).

--suite register (the default) measures the register as described below; inspections, penalties,
publicity, speed, scale and funds run bench/inspections.py, bench/penalties.py, bench/publicity.py, bench/speed.py,
bench/scale.py and bench/funds.py (issues 3, 4, 5, 13 and 15); all runs them in turn. Each suite writes its figures into
bench/results.json: the register at the top level (the structure it always had), every other suite under its
own key; a run keeps what the other suites wrote.

Creates the database if it is missing, migrates, seeds 广东省 until it holds N institutions
(`seed_scale`), then measures in-process with django.test.Client and DEBUG off, for a county head, a
prefecture head and an administrator:

- server time: wall time of `client.get` (median and p95 over --runs, after two warm-up requests);
- queries: how many the page runs (CaptureQueriesContext);
- floor: the same page's SQL, captured and re-run bare through a raw psycopg2 connection (the sum of
  their times, median over --runs, one bare run after each timed request): what the database alone needs,
  without Django;
- baseline: Django admin's changelist of the same rows (same filters and search) for a superuser;
- ledger import: a 5,000-row workbook through the real ImportJob flow (upload + validate, confirm + import).

Prints a table and writes bench/results.json (figures, date, N, machine). With --explain, the slowest query
of every page over --slow-ms is shown with EXPLAIN (ANALYZE, BUFFERS).
"""

import argparse
import html
import importlib
import json
import math
import os
import platform
import re
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
SUITES = ("register", "inspections", "penalties", "publicity", "speed", "scale", "funds")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=100_000,
                        help="institutions the database must hold")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--import-rows", type=int, default=5000, help="rows of the import workbook (0: skip)")
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True,
                        help="EXPLAIN ANALYZE the slowest query of every page slower than --slow-ms")
    parser.add_argument("--slow-ms", type=float, default=100.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--suite", choices=SUITES + ("all",), default="register",
                        help="what to measure (default: register)")
    # inspections
    parser.add_argument("--visits", type=int, default=1_000_000, help="submitted past visits to hold")
    parser.add_argument("--visit-runs", type=int, default=20, help="visits planned, filled and submitted")
    parser.add_argument("--photo-kb", type=int, default=200, help="size of each of the 3 photos")
    # penalties
    parser.add_argument("--orders", type=int, default=10_000, help="overdue orders for the chaser")
    parser.add_argument("--pdf-runs", type=int, default=11)
    parser.add_argument("--chaser-rounds", type=int, default=3, help="scale: chaser vs bare UPDATE rounds")
    # publicity
    parser.add_argument("--gunicorn", action=argparse.BooleanOptionalAction, default=True,
                        help="requests/second of the public list through gunicorn and wrk")
    parser.add_argument("--wrk-seconds", type=int, default=15, help="duration of each wrk run (max 15)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--proposed-indexes", action="store_true",
                        help="publicity: create the index proposed in docs/bench.md for the run, then drop it")
    # funds
    parser.add_argument("--statement-rows", type=int, default=50_000, help="funds: rows of the statement workbook")
    parser.add_argument("--statement-runs", type=int, default=3, help="funds: interleaved runs of each")
    parser.add_argument("--memory-rows", default="10000,50000", help="funds: sizes whose memory peaks are measured")
    return parser.parse_args(argv)


# ---- setting up ---------------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    """Create the benchmark database (UTF-8 collation, for trigram search in Chinese) if it is missing."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    params = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None,
              "password": config["PASSWORD"] or None}
    connection = psycopg2.connect(dbname="postgres", **params)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            print(f"creating database {config['NAME']}")
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' "
                                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
            cursor.execute(statement.format(sql.Identifier(config["NAME"])))
    connection.close()


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulator.settings.base")
    os.environ["DEBUG"] = "false"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # the import's tasks run in-process, as measured work
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: collectstatic not run
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def machine_info() -> dict:
    from django import get_version
    from django.db import connection

    cpu = ""
    memory_gb = None
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {"load_average": [round(load, 2) for load in os.getloadavg()], "platform": platform.platform(),
            "python": platform.python_version(), "django": get_version(),
            "cpu": cpu, "cpus": os.cpu_count(), "memory_gb": memory_gb, "postgresql": postgres,
            "shared_buffers": shared_buffers}


# ---- measuring ----------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def timing(times: list[float]) -> dict:
    """Median and p95 (ms, one decimal) of a list of millisecond timings."""
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
            "runs": len(times)}


def sql_ms(captured) -> float:
    """Database time inside the request: the sum of the captured queries' own durations (ms)."""
    return round(sum(float(query.get("time") or 0) for query in captured.captured_queries) * 1000, 1)


def read_results(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_suite(path: Path, suite: str, data: dict) -> None:
    """Store one suite's figures, keeping every other suite's (the register's live at the top level)."""
    results = read_results(path)
    if suite == "register":
        results = {**data, **{key: value for key, value in results.items() if key.startswith(SUITES[1:])}}
    else:
        results[suite] = data
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


class Floor:
    """Re-runs captured SQL on a connection of its own, outside Django."""

    def __init__(self):
        import psycopg2
        from django.db import connection

        params = connection.get_connection_params()
        self.connection = psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
        self.connection.autocommit = True

    def run(self, statements: list[str], runs: int) -> float:
        totals = []
        with self.connection.cursor() as cursor:
            for _ in range(runs + 1):
                total = 0.0
                for statement in statements:
                    started = time.perf_counter()
                    cursor.execute(statement)
                    if cursor.description is not None:
                        cursor.fetchall()
                    total += time.perf_counter() - started
                totals.append(total * 1000)
        return statistics.median(totals[1:])  # the first round warms the cache

    def once(self, statements: list[str]) -> float:
        """One bare run of the statements (ms)."""
        with self.connection.cursor() as cursor:
            started = time.perf_counter()
            for statement in statements:
                cursor.execute(statement)
                if cursor.description is not None:
                    cursor.fetchall()
            return (time.perf_counter() - started) * 1000

    def explain(self, statement: str) -> str:
        with self.connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            return "\n".join(row[0] for row in cursor.fetchall())

    def slowest(self, statements: list[str]) -> tuple[float, str]:
        timed = []
        with self.connection.cursor() as cursor:
            for statement in statements:
                started = time.perf_counter()
                cursor.execute(statement)
                if cursor.description is not None:
                    cursor.fetchall()
                timed.append(((time.perf_counter() - started) * 1000, statement))
        return max(timed)


def _read_only(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH"))


class Bench:
    def __init__(self, args):
        self.args = args
        self.floor = Floor()
        self.rows: list[dict] = []
        self.explains: list[dict] = []
        self.checks: dict = {}  # correctness checks run alongside (e.g. summary == live)

    def page(self, label: str, who: str, client, url: str, runs: int | None = None, capture_with=None) -> dict:
        """Time `client.get(url)` over --runs, each followed by one bare run of the page's SQL (captured through
        `capture_with.get`, by default the same client)."""
        from contextlib import ExitStack

        from django.db import connections
        from django.test.utils import CaptureQueriesContext

        for _ in range(2):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{label} ({who}) {url}: HTTP {response.status_code}")
        # Every database's queries (with a replica configured the public pages, dashboards and ledgers read from
        # it); the floor re-runs them all on the primary, which holds the same rows.
        with ExitStack() as stack:
            captures = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
            response = (capture_with or client).get(url)
        statements = [query["sql"] for captured in captures for query in captured.captured_queries]
        reads = [statement for statement in statements if _read_only(statement)]
        runs = runs or self.args.runs
        # Interleaved: each request is followed by one bare run of its SQL, so that the page and its floor see the
        # same minute of a shared machine (timed one block after the other, the floor of one page moved by 1.5×
        # between rounds of the same run).
        times, floors = [], []
        self.floor.run(reads, 1)  # its first round warms the floor's connection
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            floors.append(self.floor.once(reads))
        row = {
            "page": label, "user": who, "url": url,
            "median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
            "queries": len(statements), "floor_ms": round(statistics.median(floors), 1),
            "bytes": len(response.content), "runs": runs,
        }
        self.rows.append(row)
        print(_format_row(row), flush=True)
        if self.args.explain and row["median_ms"] > self.args.slow_ms and reads:
            ms, statement = self.floor.slowest(reads)
            self.explains.append({"page": label, "user": who, "query_ms": round(ms, 1), "sql": statement,
                                  "plan": self.floor.explain(statement)})
        return row


class WsgiCall:
    """A GET through the WSGI application itself, as gunicorn calls it, with a test client's cookies: the server's
    time without django.test.Client's own bookkeeping (its per-request signal connections, the request it builds
    and the response it decorates, its cookie jar)."""

    def __init__(self, client):
        from django.core.handlers.wsgi import WSGIHandler

        self.client = client
        self.application = WSGIHandler()

    def get(self, url: str):
        from types import SimpleNamespace
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        environ = self.client._base_environ(PATH_INFO=parts.path, QUERY_STRING=parts.query)
        started = []
        body = self.application(environ, lambda status, headers, exc_info=None: started.append(status))
        try:
            content = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        return SimpleNamespace(status_code=int(started[0].split()[0]), content=content)


def _format_row(row: dict) -> str:
    return (f"{row['page']:<40} {row['user']:<13} {row['median_ms']:>9.1f} {row['p95_ms']:>9.1f} "
            f"{row['queries']:>7} {row['floor_ms']:>9.1f}")


HEADER = f"{'page':<40} {'user':<13} {'median ms':>9} {'p95 ms':>9} {'queries':>7} {'floor ms':>9}"


def next_link(content: bytes) -> str:
    match = re.search(rb'<a href="([^"]*)" rel="next"', content)
    if not match:
        raise SystemExit("the register's first page has no next link: too few institutions?")
    return html.unescape(match.group(1).decode())


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def measure_pages(bench: Bench) -> None:
    from institutions.management.commands.seed_scale import (
        ADMIN_USERNAME,
        BENCH_COUNTY,
        BENCH_PREFECTURE,
        username_for,
    )
    from institutions.models import Institution
    from regulator.models import User

    users = {
        "county head": User.objects.get(username=username_for(BENCH_COUNTY, "edu_head")),
        "pref. head": User.objects.get(username=username_for(BENCH_PREFECTURE, "edu_head")),
        "admin": User.objects.get(username=ADMIN_USERNAME),
    }
    # An institution every user may see, with a full file: licences, sites and teachers.
    sample = (Institution.objects.filter(region__code__startswith=BENCH_COUNTY, sites__isnull=False,
                                         teachers__isnull=False, licences__isnull=False)
              .exclude(credit_code="").order_by("-id").first())
    searches = [("search 2 chars 英语", "英语"), ("search 4 chars 美术培训", "美术培训"),
                ("search, no match 无此机构", "无此机构"), ("search credit code (exact)", sample.credit_code)]
    print(HEADER)
    for who, user in users.items():
        client = client_for(user)
        bench.page("register: first page", who, client, "/register/")
        bench.page("register: academic + 无证无照", who, client,
                   "/register/?category=academic&licence_standing=none")
        for label, term in searches:
            bench.page(f"register: {label}", who, client, f"/register/?q={term}")
        bench.page("register: page 2 (next link)", who, client,
                   "/register/" + next_link(client.get("/register/").content))
        bench.page("institution file page", who, client, f"/register/{sample.pk}/")

    admin = client_for(users["admin"])
    base = "/admin/institutions/institution/"
    bench.page("Django admin: first page", "admin", admin, base)
    bench.page("Django admin: academic + 无证无照", "admin", admin,
               f"{base}?category__exact=academic&licence_standing__exact=none")
    for label, term in searches:
        bench.page(f"Django admin: {label}", "admin", admin, f"{base}?q={term}")
    bench.page("Django admin: page 2", "admin", admin, f"{base}?p=2")
    # Seconds per request (every inline renders <select>s of all staff): a few runs are enough.
    bench.page("Django admin: change page", "admin", admin, f"{base}{sample.pk}/change/", runs=3)


# ---- the ledger import ---------------------------------------------------------------------------------

def import_rows(count: int, seed: int) -> list[dict]:
    """Workbook rows for new institutions in the bench county, with serials no seeded row has used."""
    from django.utils import timezone, translation

    from institutions.fake import InstitutionFaker
    from institutions.ledger import columns as ledger
    from institutions.management.commands.seed_scale import (
        BENCH_COUNTY,
        areas_of,
        province_layout,
        reserve_ids,
    )
    from institutions.models import (
        Category,
        Delivery,
        LicenceKind,
        LicenceState,
        OperatingState,
        PremisesType,
        ProfitType,
        StudentStage,
    )

    areas, _weights = areas_of(province_layout())
    area = next(a for a in areas if a.county_code == BENCH_COUNTY)
    faker = InstitutionFaker(seed=seed, today=timezone.localdate())

    def label(choices, value):
        return re.split(r"[（(]", str(choices(value).label))[0]

    rows = []
    with translation.override("zh-hans"):
        for serial in reserve_ids(count):
            fake = faker.institution(serial=serial, area=area)
            data = fake.fields
            stages = [label(StudentStage, stage) for stage in StudentStage.values if data[f"serves_{stage}"]]
            row = {
                ledger.NAME: data["name"], ledger.CREDIT_CODE: data["credit_code"],
                ledger.ORGANISER: data["organiser"], ledger.LEGAL_REP: data["legal_representative"],
                ledger.PHONE: data["contact_phone"], ledger.ADDRESS: data["address"],
                ledger.REGION: data["region_id"],
                ledger.PREMISES: label(PremisesType, data["premises_type"]),
                ledger.CATEGORY: str(Category(data["category"]).label),
                ledger.STAGES: "、".join(stages),
                ledger.DELIVERY: label(Delivery, data["delivery"]),
                ledger.PROFIT: label(ProfitType, data["profit_type"]),
                ledger.STATE: label(OperatingState, data["operating_state"]),
            }
            for licence in fake.licences:
                if licence.state != LicenceState.VALID:
                    continue
                if licence.kind == LicenceKind.SCHOOL_RUNNING:
                    row.update({ledger.SCHOOL_NO: licence.number,
                                ledger.SCHOOL_ISSUED: licence.issued_on,
                                ledger.SCHOOL_UNTIL: licence.valid_until})
                elif licence.kind in (LicenceKind.BUSINESS, LicenceKind.NON_ENTERPRISE):
                    row.update({ledger.BUSINESS_NO: licence.number,
                                ledger.BUSINESS_ISSUED: licence.issued_on,
                                ledger.BUSINESS_UNTIL: licence.valid_until})
            rows.append(row)
    return rows


def measure_import(bench: Bench) -> dict | None:
    try:
        from institutions.ledger import jobs, template
    except ImportError:
        print("institutions.ledger is not there yet: import not measured")
        return None
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from institutions.models import ImportJobState, Institution
    from regulator.models import User

    args = bench.args
    actor = User.objects.get(username=username_for(BENCH_COUNTY, "edu_inspector"))
    validate_ms, import_ms, queries = [], [], {}
    for run in range(args.import_runs):
        content = template.write_workbook(import_rows(args.import_rows, seed=args.seed + 100 + run))
        before = Institution.objects.aggregate(top=Max("id"))["top"] or 0
        with CaptureQueriesContext(connection) as validating:
            started = time.perf_counter()
            upload = SimpleUploadedFile("bench.xlsx", content, content_type=XLSX)
            job = jobs.import_upload(actor=actor, uploaded_file=upload)
            validate_ms.append((time.perf_counter() - started) * 1000)
        job.refresh_from_db()
        if job.state != ImportJobState.VALIDATED or job.valid_rows != args.import_rows:
            raise SystemExit(f"import validation: state {job.state}, {job.valid_rows} valid of "
                             f"{job.total_rows}; {job.file_error} {job.report[:3]}")
        with CaptureQueriesContext(connection) as importing:
            started = time.perf_counter()
            jobs.import_confirm(actor=actor, job_id=job.pk)
            import_ms.append((time.perf_counter() - started) * 1000)
        job.refresh_from_db()
        if job.state != ImportJobState.DONE or job.imported_rows != args.import_rows:
            raise SystemExit(f"import: state {job.state}, {job.imported_rows} imported; {job.file_error}")
        queries = {"validate": len(validating.captured_queries), "import": len(importing.captured_queries)}
        _remove_import(job, before)
        print(f"import run {run + 1}: validate {validate_ms[-1]:.0f} ms, import {import_ms[-1]:.0f} ms",
              flush=True)
    return {
        "rows": args.import_rows, "runs": args.import_runs,
        "validate_median_ms": round(statistics.median(validate_ms)),
        "validate_max_ms": round(max(validate_ms)),
        "import_median_ms": round(statistics.median(import_ms)), "import_max_ms": round(max(import_ms)),
        "validate_queries": queries["validate"], "import_queries": queries["import"],
        "rows_per_second": round(args.import_rows / (statistics.median(import_ms) / 1000)),
    }


def _remove_import(job, before_id: int) -> None:
    """Take the imported rows out again so the database keeps N institutions (benchmark data only)."""
    from django.db import connection, transaction

    from institutions.models import Institution, Licence
    from regulator.audit import maintenance
    from regulator.models import AuditEvent

    # The audit table refuses DELETE except through its maintenance hatch (docs/audit.md).
    with transaction.atomic(), maintenance(), connection.cursor() as cursor:
        # Each imported institution's audit chain is its own, so removing whole chains breaks no other.
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE institution_id > %s", [before_id])
        cursor.execute(f"DELETE FROM {Licence._meta.db_table} WHERE institution_id > %s", [before_id])
        cursor.execute(f"DELETE FROM {Institution._meta.db_table} WHERE id > %s", [before_id])
    job.file.delete(save=False)
    job.delete()


# ---- main ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL=postgres://…/regulator_bench (see `make bench`).", file=sys.stderr)
        return 2
    ensure_database(url)
    setup_django()
    from django.core.management import call_command

    from institutions.models import Institution

    call_command("migrate", verbosity=0, interactive=False)
    existing = Institution.objects.count()
    seed_seconds = None
    if existing < args.institutions:
        print(f"seeding {args.institutions - existing:,} institutions (database holds {existing:,})",
              flush=True)
        started = time.perf_counter()
        call_command("seed_scale", institutions=args.institutions - existing, seed=args.seed)
        seed_seconds = round(time.perf_counter() - started, 1)
    total = Institution.objects.count()
    suites = SUITES if args.suite == "all" else (args.suite,)
    for suite in suites:
        if suite == "register":
            run_register(args, total=total, seed_seconds=seed_seconds)
        else:
            module = importlib.import_module(f"bench.{suite}")
            started = time.perf_counter()
            data = module.run_suite(args)
            data.update({"date": datetime.now(UTC).isoformat(timespec="seconds"), "institutions": total,
                         "suite_seconds": round(time.perf_counter() - started, 1),
                         "machine": machine_info()})
            key = f"{suite}_with_proposed_indexes" if data.get("proposed_indexes") else suite
            write_suite(args.output, key, data)
            print(f"\n{suite}: {data['suite_seconds']} s; written {args.output} ({key})\n")
            print(module.markdown(data), flush=True)
    return 0


def run_register(args, *, total: int, seed_seconds) -> None:
    print(f"\n{total:,} institutions; {args.runs} runs per page; times in ms (server time = client.get)\n")

    load_at_start = [round(load, 2) for load in os.getloadavg()]
    bench = Bench(args)
    measure_pages(bench)
    imported = measure_import(bench) if args.import_rows else None
    if imported:
        print(f"\nimport of {imported['rows']:,} rows: validate {imported['validate_median_ms']} ms, "
              f"import {imported['import_median_ms']} ms (median of {imported['runs']}), "
              f"{imported['rows_per_second']:,} rows/s")

    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "institutions": total,
        "runs": args.runs, "seed_seconds": seed_seconds, "load_average_at_start": load_at_start,
        "machine": machine_info(),
        "pages": bench.rows, "import": imported, "explain": bench.explains,
    }
    write_suite(args.output, "register", results)
    for item in bench.explains:
        print(f"\n--- {item['page']} ({item['user']}): slowest query {item['query_ms']} ms\n{item['sql']}\n"
              f"{item['plan']}")
    print(f"\nwritten {args.output}")


if __name__ == "__main__":
    sys.exit(main())
