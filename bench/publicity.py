"""Benchmark of issue 5: the public white/black list and an institution's public page.

`python -m bench.run --suite publicity` (or `make bench BENCH_ARGS="--suite publicity"`):

1. seeds, once, published list entries in one batch (marked by its number, so a re-run finds it and adds
   nothing): every operating institution with both licences on the white list (≈37,700 of 100,000), every
   unlicensed one still operating or banned on the black list (≈12,500, one in 50 a typical case) — bulk
   inserts of publicity.models.ListEntry, status published; then the public cache version is bumped;
2. measures in-process, anonymous django.test.Client, DEBUG off (median/p95 over --runs, queries, SQL floor =
   the captured SQL re-run bare): the white list's first page, a 2-character search (英语), a 4-character
   search (美术培训), a no-match search, a credit-code search, the black list, and an institution's public
   page — uncached (the public cache version bumped before every request, which is what publishing a batch
   does: every page misses once) and cached (the same URL again, served from Redis);
   With --proposed-indexes the index proposed in docs/bench.md is created for the run and dropped after it,
   and the figures go to the key "publicity_with_proposed_indexes" of bench/results.json;
3. with --gunicorn (default): starts `gunicorn regulator.wsgi:application --workers 2` on 127.0.0.1:--port
   (DEBUG=false, REDIS_URL=redis://127.0.0.1:6379/11, the same database), and drives the list page with
   `wrk -t2 -c8 -d15s --latency`: cached (one URL again and again) and uncached (a Lua script adds a
   counter parameter, so every request's cache key is new: the full page is built and stored each time);
   requests/second and latency percentiles; gunicorn is stopped afterwards, always.
Loopback only, each wrk run bounded to --wrk-seconds (at most 15).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

from bench.run import Floor, read_results, timing

# Proposed in docs/bench.md (finding P1): the public lists' order, over the public rows only. With
# --proposed-indexes it is created for the run and dropped afterwards (bench database only).
PROPOSED_INDEXES = {
    "entry_public_order": "CREATE INDEX IF NOT EXISTS entry_public_order ON publicity_listentry "
    "(list_kind, published_at DESC, id DESC) WHERE status IN ('published', 'removal_proposed') "
    "AND superseded_at IS NULL",
}
SEED_BATCH_NUMBER = "BENCH 公示〔bench〕第900001批"
SEED_SERIAL = 900_001
WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN_REDIS = "redis://127.0.0.1:6379/11"
SEARCHES = [("search 2 chars 英语", "英语"), ("search 4 chars 美术培训", "美术培训"),
            ("search, no match 无此机构", "无此机构")]


# ---- seeding ------------------------------------------------------------------------------------------

def seed_entries() -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from institutions.management.commands.seed_scale import ADMIN_USERNAME
    from institutions.models import Institution, LicenceStanding, OperatingState
    from institutions.services import mark_public_pages
    from publicity.cache import bump_version
    from publicity.models import Batch, BlackCategory, EntrySource, EntryStatus, ListEntry, ListKind
    from regulator.models import Department, DepartmentKind, User

    existing = Batch.objects.filter(number=SEED_BATCH_NUMBER).first()
    if existing is not None:
        count = ListEntry.objects.filter(batch=existing).count()
        print(f"list entries already seeded: {count:,} in batch {existing.number}", flush=True)
        return {"entries": count, "seconds": None}
    started = time.perf_counter()
    now = timezone.now()
    admin = User.objects.get(username=ADMIN_USERNAME)
    publisher = Department.objects.filter(is_joint_office_seat=True).order_by("region_id", "pk").first()
    departments = dict(Department.objects.filter(kind=DepartmentKind.EDUCATION)
                       .values_list("region_id", "pk"))
    content = {"number": SEED_BATCH_NUMBER, "bench": True, "entries": []}
    body = json.dumps(content, ensure_ascii=False, sort_keys=True)
    with transaction.atomic():
        batch = Batch.objects.create(
            department=publisher, year=now.year, serial=SEED_SERIAL, number=SEED_BATCH_NUMBER,
            title="校外培训机构黑白名单公示（性能测试数据）", as_of=now.date(), published_at=now,
            published_by=admin, canonical_json=body, sha256=hashlib.sha256(body.encode()).hexdigest(),
            created_by=admin, updated_by=admin)
        white = Institution.objects.filter(licence_standing=LicenceStanding.BOTH,
                                           operating_state=OperatingState.OPERATING)
        black = Institution.objects.filter(licence_standing=LicenceStanding.NONE,
                                           operating_state__in=[OperatingState.OPERATING, OperatingState.BANNED])
        written = 0
        for kind, queryset in ((ListKind.WHITE, white), (ListKind.BLACK, black)):
            rows = queryset.order_by("pk").values_list("pk", "region_id")
            chunk = []
            for pk, region in rows.iterator(chunk_size=5000):
                is_black = kind == ListKind.BLACK
                chunk.append(ListEntry(
                    institution_id=pk, list_kind=kind,
                    black_category=BlackCategory.UNLICENSED if is_black else "",
                    reason="未取得办学许可证和营业执照擅自开展校外培训" if is_black
                    else "证照齐全，近一年检查未发现问题",
                    handling_result="责令停止办学，依法查处" if is_black else "",
                    source_type=EntrySource.INSPECTION, status=EntryStatus.PUBLISHED,
                    is_typical_case=is_black and pk % 50 == 0,
                    proposing_department_id=departments.get(region[:6]) or publisher.pk,
                    proposed_by=admin, proposed_at=now, reviewed_by=admin, reviewed_at=now,
                    approved_by=admin, approved_at=now, batch=batch, published_at=now,
                    created_by=admin, updated_by=admin,
                ))
                if len(chunk) == 5000:
                    ListEntry.objects.bulk_create(chunk)
                    written += len(chunk)
                    chunk = []
            ListEntry.objects.bulk_create(chunk)
            written += len(chunk)
        mark_public_pages(ListEntry.objects.filter(batch=batch).values("institution_id"))  # as batch_publish does
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE publicity_listentry")
        cursor.execute("VACUUM ANALYZE institutions_institution")
    bump_version()
    seconds = time.perf_counter() - started
    print(f"seeded {written:,} published list entries in {seconds:.1f} s", flush=True)
    return {"entries": written, "seconds": round(seconds, 1)}


# ---- in-process ---------------------------------------------------------------------------------------

def measure(rows: list, floor: Floor, label: str, client, url: str, runs: int, *, cached: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from publicity.cache import bump_version

    def get():
        if not cached:
            bump_version()  # outside the timer: the next request misses, as after a publication
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return elapsed

    for _ in range(2):
        get()
    times = [get() for _ in range(runs)]
    if not cached:
        bump_version()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    statements = [query["sql"] for query in captured.captured_queries]
    row = {"page": label, "cache": "cached" if cached else "uncached", "url": url, **timing(times),
           "queries": len(statements), "floor_ms": round(floor.run(statements, runs), 1) if statements else 0.0,
           "bytes": len(response.content)}
    rows.append(row)
    print(f"{label:<34} {row['cache']:<9} {row['median_ms']:>9.1f} {row['p95_ms']:>9.1f} {row['queries']:>7} "
          f"{row['floor_ms']:>9.1f}", flush=True)
    return row


def in_process(args) -> tuple[list, list]:
    from django.test import Client

    from institutions.models import Licence
    from publicity.models import EntryStatus, ListEntry, ListKind

    sample = (ListEntry.objects.filter(list_kind=ListKind.WHITE, status=EntryStatus.PUBLISHED,
                                       institution__region__code__startswith="440106")
              .exclude(institution__credit_code="")
              .filter(institution_id__in=Licence.objects.values("institution_id"))
              .select_related("institution").order_by("-institution_id").first().institution)
    black = (ListEntry.objects.filter(list_kind=ListKind.BLACK, status=EntryStatus.PUBLISHED)
             .order_by("-institution_id").values_list("institution_id", flat=True).first())
    pages = [("white list: first page", "/public/white/")]
    pages += [(f"white list: {label}", f"/public/white/?q={quote(term)}") for label, term in SEARCHES]
    pages += [("white list: search credit code", f"/public/white/?q={sample.credit_code}"),
              ("black list: first page", "/public/black/"),
              ("institution page (white list)", f"/public/institutions/{sample.pk}/"),
              ("institution page (black list)", f"/public/institutions/{black}/")]
    client, floor, rows = Client(), Floor(), []
    explains = []
    print(f"\n{'page':<34} {'cache':<9} {'median ms':>9} {'p95 ms':>9} {'queries':>7} {'floor ms':>9}")
    for cached in (False, True):
        for label, url in pages:
            row = measure(rows, floor, label, client, url, args.runs, cached=cached)
            if not cached and args.explain and row["median_ms"] > args.slow_ms:
                captured = _captured(client, url)
                reads = [s for s in captured if s.lstrip().upper().startswith(("SELECT", "WITH"))]
                if reads:
                    ms, statement = floor.slowest(reads)
                    explains.append({"page": label, "query_ms": round(ms, 1), "sql": statement,
                                     "plan": floor.explain(statement)})
    return rows, explains


def _captured(client, url) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from publicity.cache import bump_version

    bump_version()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return [query["sql"] for query in captured.captured_queries]


# ---- gunicorn + wrk -----------------------------------------------------------------------------------

UNCACHED_LUA = """
-- A new query parameter on every request: every cache key is new, so every request builds the page. The key holds
-- the run's token (args[2], new for every wrk run: a later run must not find an earlier run's pages in Redis), the
-- thread (each thread's Lua counts from 1) and the request's number.
local counter = 0
local tid = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  base = args[1]
  run = args[2]
end
function request()
  counter = counter + 1
  return wrk.format("GET", base .. "&nc=" .. run .. "-" .. tid .. "-" .. counter)
end
"""


def uncached_arguments(path: str) -> list[str]:
    """wrk's arguments after the URL for UNCACHED_LUA: the path and a token new for this run."""
    return ["--", path, uuid.uuid4().hex[:12]]


def _to_ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(match.group(1)), match.group(2)
    return round(value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


def parse_wrk(output: str) -> dict:
    result = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
              "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    result["latency_avg_ms"], result["latency_max_ms"] = _to_ms(latency.group(1)), _to_ms(latency.group(3))
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        if match:
            result[f"p{pct}_ms"] = _to_ms(match.group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    socket = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = socket.group(1).strip() if socket else ""
    return result


def _wait_until_up(url: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def _stop(process) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the group of gunicorn's master, started by us
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def through_gunicorn(args) -> dict:
    if not Path(WRK).exists():
        print("wrk is not installed: requests/second not measured", flush=True)
        return {}
    port, seconds = args.port, max(1, min(args.wrk_seconds, 15))
    base = f"http://127.0.0.1:{port}"
    try:
        with urllib.request.urlopen(base + "/", timeout=1):
            raise SystemExit(f"something already listens on port {port}")
    except (urllib.error.URLError, ConnectionError):
        pass
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "regulator.settings.base", "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1", "REDIS_URL": GUNICORN_REDIS}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
    command = [gunicorn, "regulator.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    results = {"command": " ".join(command[1:]), "seconds": seconds, "runs": []}
    try:
        paths = [("list page, search 英语", "/public/white/?q=" + quote("英语")),
                 ("list page, first page", "/public/white/?page=1")]
        _wait_until_up(base + paths[0][1], process)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(UNCACHED_LUA)
        for label, path in paths:
            for cached in (True, False):
                for _ in range(2):  # both workers have the page in Redis (cached) and are warm
                    urllib.request.urlopen(base + path, timeout=30).read()
                command = [WRK, "-t2", "-c8", f"-d{seconds}s", "--latency", "--timeout", "10s"]
                command += [base + path] if cached else ["-s", script.name, base + path, *uncached_arguments(path)]
                output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30,
                                        check=True).stdout
                run = {"page": label, "path": path, "cache": "cached" if cached else "uncached",
                       **parse_wrk(output)}
                results["runs"].append(run)
                print(f"wrk {label:<26} {run['cache']:<9} {run['requests_per_second']:>8.1f} req/s, "
                      f"p50 {run.get('p50_ms')} ms, p99 {run.get('p99_ms')} ms, non-2xx {run['non_2xx']}",
                      flush=True)
        os.unlink(script.name)
    finally:
        _stop(process)
        log.close()
    results["gunicorn_log_tail"] = Path(log.name).read_text()[-2000:]
    os.unlink(log.name)
    return results


def _indexes(create: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name, statement in PROPOSED_INDEXES.items():
            cursor.execute(statement if create else f"DROP INDEX IF EXISTS {name}")
        cursor.execute("ANALYZE publicity_listentry")


def run_suite(args) -> dict:
    from publicity.models import ListEntry, ListKind

    seeded = seed_entries()
    if seeded["seconds"] is None:  # keep the figures of the run that did seed
        earlier = (read_results(args.output).get("publicity") or {}).get("seed") or {}
        seeded["earlier"] = earlier.get("earlier") or (earlier if earlier.get("seconds") else None)
    _indexes(create=args.proposed_indexes)
    try:
        rows, explains = in_process(args)
        load = [round(value, 2) for value in os.getloadavg()]
        served = through_gunicorn(args) if args.gunicorn else {}
    finally:
        if args.proposed_indexes:
            _indexes(create=False)

    counts = {kind: ListEntry.objects.filter(list_kind=kind).count() for kind in ListKind.values}
    return {"seed": seeded, "entries": counts, "runs": args.runs,
            "proposed_indexes": list(PROPOSED_INDEXES) if args.proposed_indexes else [],
            "pages": rows, "explain": explains,
            "wrk": served, "load_average_after_pages": load,
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()]}


def markdown(result: dict) -> str:
    entries = result["entries"]
    seed = result["seed"]
    lines = [
        ("With the proposed index " + ", ".join(f"`{name}`" for name in result["proposed_indexes"]) + ". "
         if result.get("proposed_indexes") else "")
        + f"Measured {result.get('date', '')} on {result.get('institutions', 0):,} institutions with "
        f"{entries.get('white', 0):,} white-list and {entries.get('black', 0):,} black-list entries published"
        + (f" (seeded in {seed['seconds']} s)" if seed.get("seconds") else "")
        + (f" (seeded earlier in {seed['earlier']['seconds']} s)" if (seed.get("earlier") or {}).get("seconds")
           else "")
        + f"; {result['runs']} runs per page, anonymous; load average after the pages "
        f"{result.get('load_average_after_pages')}.",
        "",
        "| page | cache | median ms | p95 ms | queries | SQL floor ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in result["pages"]:
        lines.append(f"| {row['page']} | {row['cache']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | "
                     f"{row['queries']} | {row['floor_ms']:.1f} |")
    served = result.get("wrk") or {}
    if served.get("runs"):
        lines += [
            "",
            f"Through `gunicorn {served['command']}` (sync workers), `wrk -t2 -c8 -d{served['seconds']}s "
            f"--latency` on the same machine:",
            "",
            "| page | cache | requests/s | p50 ms | p75 ms | p90 ms | p99 ms | requests | non-2xx |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in served["runs"]:
            lines.append(f"| {run['page']} | {run['cache']} | {run['requests_per_second']:.1f} | "
                         f"{run.get('p50_ms')} | {run.get('p75_ms')} | {run.get('p90_ms')} | {run.get('p99_ms')} | "
                         f"{run['requests']:,} | {run['non_2xx']} |")
    return "\n".join(lines)

