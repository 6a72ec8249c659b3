"""Benchmark of issue 13 (speed where users feel it): every figure a ratio to its baseline, measured in one run.

`python -m bench.run --suite speed` (or `make bench BENCH_ARGS="--suite speed"`), on the bench database:

1. **PDF**: one rectification order notice (the real template, a seeded institution and department, rendered
   once to HTML), turned into PDF alternately by bare WeasyPrint (`HTML(string).write_pdf()`, which embeds
   WeasyPrint's own subset of the whole CJK faces, with retained glyph ids) and by regulator/pdf.py
   (`write_pdf`: the faces cut down to the document's characters first), --pdf-runs times each after one
   warm-up of each; median seconds, the ratio, the size of each file, and `pdffonts` of ours (every face
   must be embedded and subset);
2. **public page vs hello world**: the cached public white list (`/public/white/?page=1`, served from Redis)
   against `/bench/hello/` (bench/urls.py: a view returning "hello, world" through the project's own
   middleware stack), in-process (django.test.Client, DEBUG off, medians over --runs, interleaved) and, with
   --gunicorn and wrk installed, through `gunicorn --workers 2` (settings bench.settings) and
   `wrk -t2 -c8 -d<--wrk-seconds>s` on 127.0.0.1, hello and the pages alternately, two rounds: requests/second and
   the page's share of hello's; the same public list uncached (a wrk script makes every request a new page); and
   the county head's register against Django admin's changelist of the institutions (signed-in sessions made by the
   bench); Redis commands per cached page request are counted in-process;
3. **navigation counts**: the context processor's figures for the county head, cached (one MGET) against
   computed live (the queue's capped counts, one query), interleaved medians.
The public entries are seeded as by the publicity suite (bench/publicity.py seed_entries: once, idempotent).
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.run import timing

WRK = shutil.which("wrk") or "/usr/bin/wrk"
PUBLIC_PATH = "/public/white/?page=1"
HELLO_PATH = "/bench/hello/"


def _median(values) -> float:
    return statistics.median(values)


# ---- 1. the PDF -----------------------------------------------------------------------------------------

def order_notice_html() -> tuple[str, str]:
    """(HTML, base URL) of a two-item rectification order of the bench county, rendered by the real template."""
    import datetime

    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    from institutions.management.commands.seed_scale import BENCH_COUNTY
    from institutions.models import Institution
    from penalties import conf
    from penalties.models import OrderItem, RectificationOrder
    from penalties.pdf import KINDS, qr_data_uri
    from regulator.models import Department, DepartmentKind

    institution = Institution.objects.filter(region__code__startswith=BENCH_COUNTY).order_by("pk").first()
    department = Department.objects.get(kind=DepartmentKind.EDUCATION, region_id=BENCH_COUNTY)
    today = timezone.localdate()
    order = RectificationOrder(institution=institution, department=department,
                               number=f"BENCH〔{today.year}〕整改第0042号",
                               deadline=today + datetime.timedelta(days=30), approved_at=timezone.now())
    items = [OrderItem(position=1, text="未公示收费项目和标准", legal_basis="《价格法》第十三条"),
             OrderItem(position=2, text="消防通道堵塞，疏散指示标志损坏", legal_basis="《消防法》第二十八条")]
    verify_url = conf.public_base_url() + "/verify/AbCdEfGhIjKlMnOpQrStUvWx/"
    with translation.override("zh-hans"):
        # The context penalties.pdf gives every document (letterhead, review body, fonts …), then the order's own.
        html = render_to_string(KINDS["order"].template, {
            **_document_context(department),
            "doc": order, "now": timezone.localtime(), "institution": institution, "department": department,
            "items": items, "extension": None, "verify_url": verify_url, "qr": qr_data_uri(verify_url)})
    return html, str(conf.public_base_url())


def _document_context(department) -> dict:
    from penalties import pdf

    return {"letterhead": pdf.DocumentLetterhead.objects.filter(department=department).first(),
            "review_body": pdf.review_body(department), "document_word": pdf.KINDS["order"].document_word,
            "fonts": pdf.document_fonts(), "officers": [], "contact_phone": ""}


def pdffonts(content: bytes) -> list[dict]:
    if not shutil.which("pdffonts"):
        return []
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        output = subprocess.run(["pdffonts", handle.name], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in output.splitlines()[2:]:
        match = re.match(r"^(\S+)\s.*\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if match:
            rows.append({"name": match.group(1), "emb": match.group(2), "sub": match.group(3), "uni": match.group(4)})
    return rows


def measure_pdf(runs: int) -> dict:
    from weasyprint import HTML

    from regulator.pdf import write_pdf

    html, base_url = order_notice_html()

    def bare() -> bytes:
        return HTML(string=html, base_url=base_url).write_pdf()

    def ours() -> bytes:
        return write_pdf(html, base_url=base_url)

    started = time.perf_counter()
    bare()
    first_bare = time.perf_counter() - started
    started = time.perf_counter()
    ours()  # the process's first: loads HarfBuzz and maps the faces
    first_ours = time.perf_counter() - started
    times = {"bare": [], "ours": []}
    sizes = {}
    for _ in range(runs):
        for name, render in (("bare", bare), ("ours", ours)):
            started = time.perf_counter()
            content = render()
            times[name].append(time.perf_counter() - started)
            sizes[name] = content
    fonts = pdffonts(sizes["ours"])
    result = {
        "runs": runs,
        "bare_median_s": round(_median(times["bare"]), 3), "ours_median_s": round(_median(times["ours"]), 3),
        "ratio": round(_median(times["ours"]) / _median(times["bare"]), 2),
        "bare_bytes": len(sizes["bare"]), "ours_bytes": len(sizes["ours"]),
        "first_bare_s": round(first_bare, 3), "first_ours_s": round(first_ours, 3),
        "fonts": fonts, "every_face_embedded_and_subset": bool(fonts) and all(
            (font["emb"], font["sub"]) == ("yes", "yes") for font in fonts),
    }
    print(f"order notice PDF: bare WeasyPrint {result['bare_median_s']} s, {result['bare_bytes']:,} bytes; "
          f"subset first {result['ours_median_s']} s, {result['ours_bytes']:,} bytes; ratio {result['ratio']}; "
          f"faces {[font['name'] for font in fonts]} embedded+subset {result['every_face_embedded_and_subset']}",
          flush=True)
    return result


# ---- 2. the public page against hello world -------------------------------------------------------------

def redis_commands_per_cached_page() -> list[str]:
    import redis
    from django.test import Client

    client = Client()
    client.get(PUBLIC_PATH)
    sent = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(str(args[0]).upper())
        return execute(self, *args, **options)

    redis.Redis.execute_command = counting
    try:
        client.get(PUBLIC_PATH)
    finally:
        redis.Redis.execute_command = execute
    return sent


def in_process(runs: int) -> dict:
    from django.test import Client, override_settings

    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        for path in (HELLO_PATH, PUBLIC_PATH, HELLO_PATH, PUBLIC_PATH):
            if client.get(path).status_code != 200:
                raise SystemExit(f"{path}: not 200")
        times = {HELLO_PATH: [], PUBLIC_PATH: []}
        for _ in range(runs):
            for path in times:
                started = time.perf_counter()
                client.get(path)
                times[path].append((time.perf_counter() - started) * 1000)
        commands = redis_commands_per_cached_page()
    hello, page = timing(times[HELLO_PATH]), timing(times[PUBLIC_PATH])
    result = {"hello": hello, "cached_page": page,
              "page_share_of_hello": round(hello["median_ms"] / page["median_ms"], 3),
              "redis_commands_per_cached_page": commands}
    print(f"in-process: hello {hello['median_ms']} ms, cached public page {page['median_ms']} ms: the page at "
          f"{result['page_share_of_hello']:.0%} of hello's rate; Redis commands per cached page {commands}",
          flush=True)
    return result


def through_gunicorn(args) -> dict:
    from bench.publicity import _stop, _wait_until_up, parse_wrk, uncached_arguments

    if not Path(WRK).exists():
        print("wrk is not installed (apt-get install -y wrk): requests/second not measured", flush=True)
        return {}
    port, seconds = args.port, max(1, min(args.wrk_seconds, 15))
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "regulator.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning"]
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pages = _served_pages()
    runs = []
    try:
        _wait_until_up(base + HELLO_PATH, process)
        for path in (HELLO_PATH, PUBLIC_PATH) * 3:  # both workers warm, the page in Redis
            urllib.request.urlopen(base + path, timeout=30).read()
        for _round in range(2):
            for label, path, cookie, script in pages:
                command_line = [WRK, "-t2", "-c8", f"-d{seconds}s", "--latency", "--timeout", "10s"]
                if cookie:
                    command_line += ["-H", f"Cookie: {cookie}"]
                arguments = []
                if script:  # every request a page never asked for before, in this run or an earlier one
                    command_line += ["-s", script]
                    arguments = uncached_arguments(path)
                output = subprocess.run([*command_line, base + path, *arguments], capture_output=True, text=True,
                                        timeout=seconds + 30, check=True).stdout
                run = {"page": label, "path": path, **parse_wrk(output)}
                runs.append(run)
                print(f"wrk {label:<28} {run['requests_per_second']:>8.1f} req/s, p50 {run.get('p50_ms')} ms, "
                      f"non-2xx {run['non_2xx']}", flush=True)
    finally:
        _stop(process)
        log.close()
        for _label, _path, _cookie, script in pages:
            if script:
                os.unlink(script)
    tail = Path(log.name).read_text()[-2000:]
    os.unlink(log.name)

    def rps(label):
        values = [run["requests_per_second"] for run in runs if run["page"] == label]
        return round(_median(values), 1) if values else None

    hello, page, uncached = rps("hello world"), rps("public white list, cached"), rps("public white list, uncached")
    register, admin = rps("register, county head"), rps("admin changelist")
    result = {"command": " ".join(command[1:]), "seconds": seconds, "runs": runs,
              "hello_rps": hello, "cached_page_rps": page, "page_share_of_hello": round(page / hello, 3),
              "uncached_page_rps": uncached,
              "uncached_share_of_hello": round(uncached / hello, 3) if uncached else None,
              "register_rps": register, "admin_changelist_rps": admin,
              "register_over_admin": round(register / admin, 2) if register and admin else None,
              "gunicorn_log_tail": tail}
    print(f"through gunicorn: hello {hello:.0f} req/s, cached public page {page:.0f} req/s: "
          f"{result['page_share_of_hello']:.0%} of hello; uncached {uncached} req/s "
          f"({result['uncached_share_of_hello']}); register {register} req/s, admin changelist {admin} req/s "
          f"({result['register_over_admin']}×)", flush=True)
    return result


def _served_pages() -> list[tuple[str, str, str, str]]:
    """(label, path, Cookie header, wrk script) of each page measured through gunicorn: hello world, the public white
    list cached and uncached, and, with the seeded accounts, the county head's register against Django admin's
    changelist of the institutions for the superuser (sessions made here, in the database and Redis gunicorn uses)."""
    from django.conf import settings

    from bench.publicity import UNCACHED_LUA
    from bench.run import client_for
    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from regulator.models import User

    script = tempfile.NamedTemporaryFile("w", prefix="bench-uncached-", suffix=".lua", delete=False)
    script.write(UNCACHED_LUA)
    script.close()
    pages = [("hello world", HELLO_PATH, "", ""), ("public white list, cached", PUBLIC_PATH, "", ""),
             ("public white list, uncached", PUBLIC_PATH, "", script.name)]
    head = User.objects.filter(username=username_for(BENCH_COUNTY, "edu_head")).first()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if head is not None and admin is not None:
        name = settings.SESSION_COOKIE_NAME
        for label, path, user in (("register, county head", "/register/", head),
                                  ("admin changelist", "/admin/institutions/institution/", admin)):
            pages.append((label, path, f"{name}={client_for(user).cookies[name].value}", ""))
    return pages


# ---- 3. the navigation counts ----------------------------------------------------------------------------

def measure_nav_counts(runs: int) -> dict:
    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from regulator.models import User
    from regulator.oversight import context_processors
    from regulator.oversight.queue import nav_counts

    head = User.objects.select_related("department").get(username=username_for(BENCH_COUNTY, "edu_head"))
    context_processors.cached_counts(head)
    times = {"live": [], "cached": []}
    for _ in range(runs):
        for name, fetch in (("live", nav_counts), ("cached", context_processors.cached_counts)):
            started = time.perf_counter()
            fetch(head)
            times[name].append((time.perf_counter() - started) * 1000)
    result = {"live": timing(times["live"]), "cached": timing(times["cached"])}
    result["cached_share_of_live"] = round(result["cached"]["median_ms"] / result["live"]["median_ms"], 3)
    print(f"navigation counts (county head): live {result['live']['median_ms']} ms, cached "
          f"{result['cached']['median_ms']} ms", flush=True)
    return result


def run_suite(args) -> dict:
    from bench.publicity import seed_entries

    seed_entries()
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    pdf = measure_pdf(max(args.pdf_runs, 3))
    nav = measure_nav_counts(args.runs)
    public = {"in_process": in_process(args.runs)}
    load_before_wrk = [round(value, 2) for value in os.getloadavg()]
    if args.gunicorn:
        public["gunicorn"] = through_gunicorn(args)
    return {"runs": args.runs, "pdf": pdf, "navigation_counts": nav, "public": public,
            "load_average_at_start": load_at_start, "load_average_before_wrk": load_before_wrk,
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()]}


def markdown(result: dict) -> str:
    pdf, nav, public = result["pdf"], result["navigation_counts"], result["public"]
    lines = [
        f"Measured {result.get('date', '')} on {result.get('institutions', 0):,} institutions; load average "
        f"{result['load_average_at_start']} at the start, {result['load_average_at_end']} at the end.",
        "",
        "| measure | now | baseline in the same run | ratio |",
        "| --- | --- | --- | ---: |",
        f"| one-page order notice PDF: size | {pdf['ours_bytes'] / 1024:.0f} KB, every face embedded and subset: "
        f"{pdf['every_face_embedded_and_subset']} | bare WeasyPrint {pdf['bare_bytes'] / 1024:.0f} KB | "
        f"{pdf['ours_bytes'] / pdf['bare_bytes']:.2f} |",
        f"| the same: render time (median of {pdf['runs']}) | {pdf['ours_median_s']} s | bare WeasyPrint "
        f"{pdf['bare_median_s']} s | {pdf['ratio']:.2f}× |",
        f"| navigation counts, county head | cached {nav['cached']['median_ms']} ms | live "
        f"{nav['live']['median_ms']} ms | {nav['cached_share_of_live']:.2f} |",
    ]
    in_proc = public["in_process"]
    lines.append(f"| cached public white list, in-process | {in_proc['cached_page']['median_ms']} ms, Redis commands "
                 f"{in_proc['redis_commands_per_cached_page']} | hello world {in_proc['hello']['median_ms']} ms | "
                 f"{in_proc['page_share_of_hello']:.0%} of hello's rate |")
    served = public.get("gunicorn") or {}
    if served.get("runs"):
        lines.append(f"| cached public white list, gunicorn 2 workers + wrk -t2 -c8 -d{served['seconds']}s | "
                     f"{served['cached_page_rps']:.0f} req/s | hello world {served['hello_rps']:.0f} req/s | "
                     f"{served['page_share_of_hello']:.0%} |")
        if served.get("uncached_page_rps"):
            lines.append(f"| public white list, uncached (every request a new page), the same gunicorn | "
                         f"{served['uncached_page_rps']:.0f} req/s | hello world {served['hello_rps']:.0f} req/s | "
                         f"{served['uncached_share_of_hello']:.1%} (goal ≥ 10 %) |")
        if served.get("register_rps"):
            lines.append(f"| county head's register page, the same gunicorn | {served['register_rps']:.0f} req/s | "
                         f"Django admin changelist of the institutions: {served['admin_changelist_rps']:.0f} req/s | "
                         f"{served['register_over_admin']}× (goal ≥ 4×) |")
    return "\n".join(lines)
