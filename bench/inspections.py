"""Benchmark of issue 3: the inspector's visit page and a whole visit submitted from a phone.

`python -m bench.run --suite inspections` (or `make bench BENCH_ARGS="--suite inspections"`):

1. tops the database up to --visits submitted past visits (default 1,000,000) with
   inspections.bench.seed_past_visits, spread over every county in proportion to its institutions (about ten
   per institution), each county's visits led by its education bureau and its bench inspector; skipped when
   the database already holds them; the seeding time is reported;
2. for --visit-runs visits (after two warm-up visits): the county head of 天河区 plans a fresh visit
   (inspections.services.visit_plan) to one of the county's institutions for the county's inspector, who
   then, through django.test.Client with DEBUG off, as the phone's page does:
   - GET the visit page (inspections:visit_detail, the fill-in form);
   - POST the 11 answers one by one (inspections:answer_save; item 3 fails with a remark);
   - POST 3 photos of about --photo-kb KB each (inspections:evidence_upload, real JPEGs made with Pillow);
   - POST the representative's signature (inspections:signature_save, a PNG data URL);
   - POST the submission (inspections:visit_submit), which makes the failed item a problem item;
   and then opens the submitted visit's (read-only) page.
   Server time = wall time of each client call; the whole sequence = the 16 POSTs from the first answer
   to the submission. Queries and the SQL time inside the request come from one more, captured, visit;
   the SQL floor of the two GET pages is their captured SQL re-run bare (bench.run.Floor).
Files go to a temporary MEDIA_ROOT on disk, removed afterwards.
"""

import io
import math
import os
import statistics
import tempfile
import time
import uuid

from bench.run import Floor, read_results, sql_ms, timing

SUBMIT_STEPS = ("answer", "photo", "signature", "submit")
FAILED_POSITION = 3


# ---- seeding ------------------------------------------------------------------------------------------

def seed(target: int) -> dict:
    """Top the database up to `target` submitted visits, spread over the counties by institution count."""
    from django.db import connection

    from inspections.bench import seed_past_visits
    from inspections.models import Visit, VisitStatus
    from institutions.management.commands.seed_scale import username_for
    from institutions.models import Institution
    from regulator.models import Department, DepartmentKind, User

    have = Visit.objects.filter(status=VisitStatus.SUBMITTED).count()
    if have >= target:
        print(f"{have:,} submitted visits already there: not seeding", flush=True)
        return {"visits_before": have, "seeded": 0, "seconds": None}
    needed = target - have
    by_county: dict[str, list[int]] = {}
    for pk, region in Institution.objects.order_by("pk").values_list("pk", "region_id").iterator(chunk_size=20000):
        by_county.setdefault(region[:6], []).append(pk)
    total = sum(len(ids) for ids in by_county.values())
    departments = {d.region_id: d for d in Department.objects.filter(kind=DepartmentKind.EDUCATION,
                                                                     region_id__in=list(by_county))}
    inspectors = {u.username: u for u in User.objects.filter(
        username__in=[username_for(county, "edu_inspector") for county in by_county])}
    print(f"seeding {needed:,} past visits over {len(by_county)} counties ({have:,} there)", flush=True)
    started = time.perf_counter()
    written, left = 0, needed
    counties = sorted(by_county)
    for index, county in enumerate(counties):
        ids = by_county[county]
        share = left if index == len(counties) - 1 else min(left, round(needed * len(ids) / total))
        if share <= 0:
            continue
        written += seed_past_visits(n=share, institution_ids=ids, department=departments[county],
                                    inspector=inspectors[username_for(county, "edu_inspector")])
        left -= share
        if index % 16 == 15:
            rate = written / (time.perf_counter() - started)
            print(f"  {written:,} visits, {rate:,.0f}/s", flush=True)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in ("inspections_visit", "inspections_visitinspector", "inspections_checklistanswer"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    analysed = time.perf_counter() - started
    print(f"seeded {written:,} visits in {seconds:.0f} s ({written / seconds:,.0f}/s), "
          f"VACUUM ANALYZE {analysed - seconds:.0f} s", flush=True)
    return {"visits_before": have, "seeded": written, "seconds": round(seconds, 1),
            "with_vacuum_seconds": round(analysed, 1), "visits_per_second": round(written / seconds)}


# ---- the phone's requests -------------------------------------------------------------------------------

def photo_jpeg(seed: int, kb: int) -> bytes:
    """A real JPEG of about `kb` KB: three noise channels (noise barely compresses, like a busy photo)."""
    from PIL import Image

    side = max(64, int(300 * math.sqrt(kb / 66)))  # 300 px high ≈ 66 KB at quality 80
    size = (side * 4 // 3, side)
    image = Image.merge("RGB", [Image.effect_noise(size, 40 + 10 * channel + seed) for channel in range(3)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def signature_data_url() -> str:
    import base64

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 70), (80, 30), (140, 75), (200, 25), (280, 60)], fill=(0, 0, 0, 255),
                               width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


class Phone:
    """The requests the visit page's script sends, each timed (ms) and, when asked, its queries captured."""

    def __init__(self, client, photos: list[bytes], signature: str):
        self.client, self.photos, self.signature = client, photos, signature

    def _call(self, method, url, data, expect, steps, step, capture):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        call = self.client.get if method == "GET" else self.client.post
        if capture:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = call(url, data) if data is not None else call(url)
                ms = (time.perf_counter() - started) * 1000
            steps.append({"step": step, "ms": ms, "queries": len(captured.captured_queries),
                          "sql_ms": sql_ms(captured), "sql": [q["sql"] for q in captured.captured_queries]})
        else:
            started = time.perf_counter()
            response = call(url, data) if data is not None else call(url)
            steps.append({"step": step, "ms": (time.perf_counter() - started) * 1000})
        if response.status_code != expect:
            raise SystemExit(f"{step} {url}: HTTP {response.status_code} {response.content[:300]!r}")
        return response

    def visit(self, visit, *, capture: bool = False) -> list[dict]:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.urls import reverse

        steps: list[dict] = []
        page = reverse("inspections:visit_detail", args=[visit.pk])
        self._call("GET", page, None, 200, steps, "page", capture)
        answers = list(visit.answers.select_related("item").order_by("item__position"))
        failed_item = None
        for answer in answers:
            failed = answer.item.position == FAILED_POSITION
            failed_item = answer.item_id if failed else failed_item
            data = {"item": answer.item_id, "result": "fail" if failed else "pass",
                    "remark": "未在显著位置公示收费标准和退费办法" if failed else ""}
            self._call("POST", reverse("inspections:answer_save", args=[visit.pk]), data, 200, steps,
                       "answer", capture)
        for index, content in enumerate(self.photos):
            data = {"file": SimpleUploadedFile(f"IMG_{index:04d}.jpg", content, content_type="image/jpeg"),
                    "client_id": uuid.uuid4().hex, "item": failed_item if index == 0 else ""}
            self._call("POST", reverse("inspections:evidence_upload", args=[visit.pk]), data, 200, steps,
                       "photo", capture)
        self._call("POST", reverse("inspections:signature_save", args=[visit.pk]),
                   {"signer_name": "张负责人", "signer_role": "负责人", "data_url": self.signature}, 200, steps,
                   "signature", capture)
        self._call("POST", reverse("inspections:visit_submit", args=[visit.pk]),
                   {"summary": "现场检查完毕，发现1项问题。"}, 302, steps, "submit", capture)
        self._call("GET", page, None, 200, steps, "submitted page", capture)
        return steps


def _plan(head, inspector, department, institution_id):
    from django.utils import timezone

    from inspections import services
    from institutions.models import Institution

    return services.visit_plan(actor=head, institution=Institution.objects.get(pk=institution_id),
                               lead_department=department, planned_on=timezone.localdate(),
                               inspectors=[inspector])


def run_suite(args) -> dict:
    from django.test import override_settings

    from bench.run import client_for
    from inspections.models import Evidence, ProblemItem, Visit, VisitStatus
    from institutions.management.commands.seed_scale import BENCH_COUNTY, username_for
    from institutions.models import Institution
    from regulator.models import Department, DepartmentKind, User

    seeded = seed(args.visits)
    if not seeded["seeded"]:  # keep the figures of the run that did seed
        seeded["earlier"] = (read_results(args.output).get("inspections") or {}).get("seed", {}).get("earlier") \
            or (read_results(args.output).get("inspections") or {}).get("seed")
    department = Department.objects.get(kind=DepartmentKind.EDUCATION, region_id=BENCH_COUNTY)
    head = User.objects.get(username=username_for(BENCH_COUNTY, "edu_head"))
    inspector = User.objects.get(username=username_for(BENCH_COUNTY, "edu_inspector"))
    runs = args.visit_runs
    # Institutions of the county that already have past visits (about ten each), a different one per visit.
    institution_ids = list(Institution.objects.filter(region__code__startswith=BENCH_COUNTY)
                           .order_by("-id").values_list("pk", flat=True)[: runs + 3])
    photos = [photo_jpeg(seed, args.photo_kb) for seed in range(3)]
    phone = Phone(client_for(inspector), photos, signature_data_url())
    print(f"\n{Visit.objects.filter(status=VisitStatus.SUBMITTED).count():,} submitted visits; "
          f"{runs} visits of 11 items with 3 photos of {statistics.mean(map(len, photos)) / 1024:.0f} KB\n",
          flush=True)

    plan_ms, sequences = [], []
    with tempfile.TemporaryDirectory(prefix="bench-media-") as media, override_settings(MEDIA_ROOT=media):
        for index, institution_id in enumerate(institution_ids):
            started = time.perf_counter()
            visit = _plan(head, inspector, department, institution_id)
            planned = (time.perf_counter() - started) * 1000
            capture = index == len(institution_ids) - 1  # the last visit: queries, not times
            steps = phone.visit(visit, capture=capture)
            visit.refresh_from_db()
            if visit.status != VisitStatus.SUBMITTED or not ProblemItem.objects.filter(visit=visit).exists() \
                    or Evidence.objects.filter(visit=visit).count() != 3:
                raise SystemExit(f"visit {visit.pk} not submitted as expected: {visit.status}")
            if capture:
                captured = steps
            elif index >= 2:  # two warm-up visits
                plan_ms.append(planned)
                sequences.append(steps)
                done = len(sequences)
                total = sum(s["ms"] for s in steps if s["step"] in SUBMIT_STEPS)
                print(f"visit {done:>2}/{runs}: page {steps[0]['ms']:6.1f} ms, sequence {total:7.1f} ms",
                      flush=True)

    floor = Floor()
    rows = []

    def row(label, step_names, per_visit_sum=False):
        if per_visit_sum:
            times = [sum(s["ms"] for s in steps if s["step"] in step_names) for steps in sequences]
        else:
            times = [s["ms"] for steps in sequences for s in steps if s["step"] in step_names]
        mine = [s for s in captured if s["step"] in step_names]
        queries = sum(s["queries"] for s in mine)
        sql = round(sum(s["sql_ms"] for s in mine), 1)
        if not per_visit_sum:  # per request: the captured visit's figures for one request of the kind
            queries, sql = round(queries / len(mine), 1), round(sql / len(mine), 1)
        entry = {"step": label, **timing(times), "queries": queries, "sql_ms": sql}
        if step_names in (("page",), ("submitted page",)):
            reads = [q for s in mine for q in s["sql"] if q.lstrip().upper().startswith(("SELECT", "WITH"))]
            entry["floor_ms"] = round(floor.run(reads, 10), 1)
        rows.append(entry)
        return entry

    row("visit page (fill-in form, fresh visit)", ("page",))
    row("save one answer (×11)", ("answer",))
    row("upload one photo (×3)", ("photo",))
    row("signature", ("signature",))
    row("submit", ("submit",))
    row("whole submission: 11 answers + 3 photos + signature + submit", SUBMIT_STEPS, per_visit_sum=True)
    row("submitted visit page (read-only)", ("submitted page",))
    return {
        "runs": runs, "visits": Visit.objects.count(),
        "submitted_visits": Visit.objects.filter(status=VisitStatus.SUBMITTED).count(),
        "photo_bytes": [len(p) for p in photos], "seed": seeded,
        "plan_visit": timing(plan_ms), "steps": rows,
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
    }


def markdown(result: dict) -> str:
    seed = result["seed"]
    lines = [
        f"Measured {result.get('date', '')} on {result.get('institutions', 0):,} institutions and "
        f"{result['submitted_visits']:,} submitted visits; {result['runs']} visits, each 11 answers, "
        f"3 photos ({', '.join(f'{b / 1024:.0f} KB' for b in result['photo_bytes'])}), a signature and the "
        f"submission; load average at end {result.get('load_average_at_end')}.",
        "",
        "| step | median ms | p95 ms | queries | SQL ms in request | SQL floor ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["steps"]:
        floor = f"{row['floor_ms']:.1f}" if "floor_ms" in row else ""
        queries = int(row["queries"]) if float(row["queries"]).is_integer() else row["queries"]
        lines.append(f"| {row['step']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {queries} | "
                     f"{row['sql_ms']:.1f} | {floor} |")
    plan = result["plan_visit"]
    lines += ["", f"Planning the visit (services.visit_plan, not a request): median {plan['median_ms']} ms, "
              f"p95 {plan['p95_ms']} ms."]
    if seed.get("seeded"):
        lines.append(f"Seeding {seed['seeded']:,} past visits took {seed['seconds']} s "
                     f"({seed['visits_per_second']:,}/s; {seed['with_vacuum_seconds']} s with VACUUM ANALYZE).")
    elif seed.get("earlier") and seed["earlier"].get("seeded"):
        earlier = seed["earlier"]
        lines.append(f"Past visits were already there; the run that seeded them wrote {earlier['seeded']:,} in "
                     f"{earlier['seconds']} s ({earlier['visits_per_second']:,}/s; "
                     f"{earlier['with_vacuum_seconds']} s with VACUUM ANALYZE).")
    else:
        lines.append(f"Past visits were already seeded ({seed['visits_before']:,}).")
    return "\n".join(lines)

