"""Seed a whole province at scale for the benchmark: 广东省 (44), 21 prefectures, ~6 counties each, 8
townships per county, departments and bench accounts per county, and N institutions with licences
(~1.6 each), sites (~0.3) and teachers (~3).

Fast and flat in memory: institutions are generated one batch at a time in worker processes while the
main process streams the previous batch into PostgreSQL with COPY (bulk_create on other databases),
under ids reserved from the table's own sequence. No audit events are written at scale: a file page
then shows an empty history, which costs the same query as a full one. Staff accounts share one
precomputed password hash (hashing ~700 passwords one by one would take minutes).
"""

import io
import multiprocessing
import os
import random
import time
from datetime import date, datetime

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from institutions.fake import Area, InstitutionFaker
from institutions.models import (
    Institution,
    InstitutionGroupObjectPermission,
    InstitutionUserObjectPermission,
    Licence,
    Site,
    Teacher,
)
from regulator import hooks
from regulator.models import Department, DepartmentKind, Region, RegionLevel, Role, User
from regulator.services import department_create

PROVINCE = ("44", "广东省", "粤")
PREFECTURES = [
    ("4401", "广州市"), ("4402", "韶关市"), ("4403", "深圳市"), ("4404", "珠海市"), ("4405", "汕头市"),
    ("4406", "佛山市"), ("4407", "江门市"), ("4408", "湛江市"), ("4409", "茂名市"), ("4412", "肇庆市"),
    ("4413", "惠州市"), ("4414", "梅州市"), ("4415", "汕尾市"), ("4416", "河源市"), ("4417", "阳江市"),
    ("4418", "清远市"), ("4419", "东莞市"), ("4420", "中山市"), ("4451", "潮州市"), ("4452", "揭阳市"),
    ("4453", "云浮市"),
]
# The two big cities get their real districts and four times the institutions of any other county.
REAL_COUNTIES = {
    "4401": [("440103", "荔湾区"), ("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区"),
             ("440111", "白云区"), ("440112", "黄埔区"), ("440113", "番禺区"), ("440114", "花都区")],
    "4403": [("440303", "罗湖区"), ("440304", "福田区"), ("440305", "南山区"), ("440306", "宝安区"),
             ("440307", "龙岗区"), ("440309", "龙华区")],
}
BIG_CITY_WEIGHT = 4
SYLLABLES_A = "东西南北新永清安龙凤金石平丰兴和长乐英德阳"
SYLLABLES_B = "江山城宁源川阳平华丰海湖岭溪塘沙"
ROADS = (
    "中山路", "人民路", "建设路", "解放路", "新华路", "东风路", "环城路", "滨江路", "文明路", "工业大道",
    "体育东路", "天河路", "黄埔大道", "南华路", "沿江路", "府前路", "迎宾大道", "教育路", "学府路", "朝阳路",
)

# The county and prefecture whose accounts the benchmark uses (Guangzhou, the busiest).
BENCH_COUNTY = "440106"
BENCH_PREFECTURE = "4401"
BENCH_PASSWORD = "Bench-2026-pass"
ADMIN_USERNAME = "s44_admin"

COUNTY_DEPARTMENTS = [
    (DepartmentKind.EDUCATION, "教育局", "教", True),
    (DepartmentKind.MARKET, "市场监督管理局", "市监", False),
    (DepartmentKind.POLICE, "公安分局", "公", False),
    (DepartmentKind.FIRE, "消防救援大队", "消", False),
    (DepartmentKind.CIVIL_AFFAIRS, "民政局", "民", False),
]
PREFECTURE_DEPARTMENTS = [
    (DepartmentKind.EDUCATION, "教育局", "教", True),
    (DepartmentKind.MARKET, "市场监督管理局", "市监", False),
    (DepartmentKind.POLICE, "公安局", "公", False),
]
# (slug, department kind, role, title) of the bench accounts of every county and of every prefecture.
COUNTY_ACCOUNTS = [
    ("edu_inspector", DepartmentKind.EDUCATION, Role.INSPECTOR, "教育执法员"),
    ("edu_head", DepartmentKind.EDUCATION, Role.HEAD, "教育局负责人"),
    ("joint_office", DepartmentKind.EDUCATION, Role.JOINT_OFFICE, "治理办"),
    ("market_head", DepartmentKind.MARKET, Role.HEAD, "市场监管局负责人"),
    ("police_head", DepartmentKind.POLICE, Role.HEAD, "公安负责人"),
]
PREFECTURE_ACCOUNTS = [
    ("edu_head", DepartmentKind.EDUCATION, Role.HEAD, "教育局负责人"),
    ("joint_office", DepartmentKind.EDUCATION, Role.JOINT_OFFICE, "治理办"),
]
MODELS = (Institution, Licence, Site, Teacher)


def username_for(region_code: str, slug: str) -> str:
    return f"s{region_code}_{slug}"


def _stem(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "市区县" else name


def province_layout() -> list[dict]:
    """Prefectures → counties → townships, with official-looking codes; deterministic."""
    rng = random.Random(44)

    def two_syllables():
        return rng.choice(SYLLABLES_A) + rng.choice(SYLLABLES_B)

    layout = []
    for pref_code, pref_name in PREFECTURES:
        counties = REAL_COUNTIES.get(pref_code)
        if counties is None:
            names: list[str] = []
            while len(names) < 6:
                name = two_syllables()
                if name not in names:
                    names.append(name)
            counties = [(f"{pref_code}{code:02d}", name + ("区" if index < 2 else "县"))
                        for index, (code, name) in enumerate(zip((2, 3, 21, 22, 23, 24), names, strict=True))]
        county_rows = []
        for county_code, county_name in counties:
            townships, seen = [], set()
            for index in range(8):
                name = two_syllables()
                while name in seen:
                    name = two_syllables()
                seen.add(name)
                suffix = f"{index + 1:03d}" if index < 5 else f"{100 + index - 5:03d}"
                townships.append((county_code + suffix, name + ("街道" if index < 5 else "镇")))
            county_rows.append({"code": county_code, "name": county_name, "townships": townships,
                                "roads": tuple(rng.sample(ROADS, 6)),
                                "weight": BIG_CITY_WEIGHT if pref_code in REAL_COUNTIES else 1})
        layout.append({"code": pref_code, "name": pref_name, "counties": county_rows})
    return layout


def areas_of(layout: list[dict]) -> tuple[list[Area], list[int]]:
    areas, weights = [], []
    for prefecture in layout:
        for county in prefecture["counties"]:
            areas.append(Area(county_code=county["code"], county_name=county["name"],
                              city_name=_stem(prefecture["name"]),
                              townships=tuple(code for code, _ in county["townships"]),
                              roads=county["roads"], province_abbreviation=PROVINCE[2]))
            weights.append(county["weight"])
    return areas, weights


# ---- generating rows --------------------------------------------------------------------------------

def _attrs(fake, institution_id: int) -> dict:
    row = {name: getattr(fake, name) for name in fake.__slots__}
    row["institution_id"] = institution_id
    return row


def generate_batch(*, seed: int, index: int, ids: range, areas: list[Area], weights: list[int], issuers: dict,
                   today: date) -> dict:
    """Rows (dicts keyed by attname) of one batch per model. Each batch has its own random stream, so
    batches can be generated in parallel and the data still depends only on the seed and the ids."""
    faker = InstitutionFaker(seed=seed * 1_000_003 + index, today=today, issuers=issuers)
    picked = random.Random(seed * 1_000_033 + index).choices(areas, weights=weights, k=len(ids))
    rows = {model: [] for model in MODELS}
    for institution_id, area in zip(ids, picked, strict=True):
        # The id is the serial: credit codes and licence numbers stay unique across runs.
        fake = faker.institution(serial=institution_id, area=area)
        rows[Institution].append({"id": institution_id, **fake.fields})
        rows[Licence] += [_attrs(licence, institution_id) for licence in fake.licences]
        rows[Site] += [_attrs(site, institution_id) for site in fake.sites]
        rows[Teacher] += [_attrs(teacher, institution_id) for teacher in fake.teachers]
    return rows


# ---- writing rows with COPY ---------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.attname != "id" or model is Institution]


def copy_payload(rows: dict, now: datetime) -> dict:
    """COPY text (tab-separated, PostgreSQL escapes) of one batch: {model label: (row count, text)}."""
    defaults = {"created_at": now, "updated_at": now, "created_by_id": None, "updated_by_id": None,
                # Columns the faker does not fill: never cancelled (注销), teachers without an ID number (so no
                # identity), current employment records of unknown start, not flagged by a roster,
                "cancelled_on": None, "cancellation_reason": "", "id_number": "", "identity_id": None,
                "started_on": None, "ended_on": None, "end_reason": "", "in_service_flagged_at": None,
                "in_service_roster_id": None,
                # No public page until something about the institution is published (bench/publicity.py's seed).
                "has_public_page": False}
    payload = {}
    for model, model_rows in rows.items():
        attnames = [f.attname for f in _fields(model)]
        lines = ["\t".join(_copy_value(row[name] if name in row else defaults[name]) for name in attnames)
                 for row in model_rows]
        payload[model._meta.label] = (len(model_rows), "\n".join(lines) + "\n" if lines else "")
    return payload


def copy_into(model, text: str) -> None:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _fields(model))
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {model._meta.db_table} ({columns}) FROM STDIN", io.StringIO(text))


_WORKER: dict = {}


def _worker_init(context: dict) -> None:
    _WORKER.update(context)


def _worker_batch(task: tuple[int, range]) -> dict:
    index, ids = task
    context = _WORKER
    rows = generate_batch(seed=context["seed"], index=index, ids=ids, areas=context["areas"],
                          weights=context["weights"], issuers=context["issuers"], today=context["today"])
    return copy_payload(rows, context["now"])


def reserve_ids(count: int) -> range:
    """A contiguous block of institution ids, taken from the table's own sequence."""
    table = Institution._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Inserts elsewhere wait for this lock, so no other row takes an id inside the block.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
            start = cursor.fetchone()[0]
            if count > 1:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                               [start + count - 1])
        else:
            start = (Institution.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    return range(start, start + count)


class Command(BaseCommand):
    help = "Seed 广东省 (44) with N institutions and their licences, sites and teachers, for the benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--institutions", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1,
                            help="random seed: the same seed gives the same data on a fresh database")
        parser.add_argument("--reset", action="store_true", help="delete the province's institutions first")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--method", choices=["auto", "copy", "bulk"], default="auto",
                            help="auto: COPY on PostgreSQL, bulk_create elsewhere")
        parser.add_argument("--prefectures", type=int, default=len(PREFECTURES),
                            help="seed only the first K prefectures (quick runs and tests)")
        parser.add_argument("--workers", type=int, default=max(1, min(4, (os.cpu_count() or 2) - 1)),
                            help="processes generating rows while the main one writes (COPY only)")

    def handle(self, *args, institutions, seed, reset, batch_size, method, workers, prefectures, **options):
        if institutions < 0 or batch_size < 1 or workers < 1 or not 1 <= prefectures <= len(PREFECTURES):
            raise CommandError(f"--institutions must be ≥ 0, --batch-size and --workers ≥ 1, "
                               f"--prefectures between 1 and {len(PREFECTURES)}")
        use_copy = method == "copy" or (method == "auto" and connection.vendor == "postgresql")
        if use_copy and connection.vendor != "postgresql":
            raise CommandError("COPY needs PostgreSQL; use --method bulk")
        started = time.perf_counter()
        if reset:
            self._reset()
            self._say(f"reset: {time.perf_counter() - started:.1f}s")
        layout = province_layout()[:prefectures]
        issuers = self._organisation(layout)
        self._say(f"regions, departments and accounts: {time.perf_counter() - started:.1f}s")
        counts = self._institutions(layout, issuers, total=institutions, seed=seed, batch_size=batch_size,
                                    use_copy=use_copy, workers=workers)
        if connection.vendor == "postgresql" and institutions:
            # Fresh statistics and visibility map: the first queries after seeding run like later ones.
            # (VACUUM cannot run inside a caller's transaction, e.g. a test's; ANALYZE alone can.)
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in MODELS:
                    cursor.execute(f"{verb} {model._meta.db_table}")
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"seeded {counts['institutions']:,} institutions, {counts['licences']:,} licences, "
            f"{counts['sites']:,} sites, {counts['teachers']:,} teachers in {seconds:.1f}s "
            f"({'COPY' if use_copy else 'bulk_create'}). Accounts: {username_for(BENCH_COUNTY, 'edu_head')}, "
            f"{username_for(BENCH_PREFECTURE, 'edu_head')}, {ADMIN_USERNAME} … password {BENCH_PASSWORD}"
        ))

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    # ---- reset --------------------------------------------------------------------------------------
    @transaction.atomic
    def _reset(self) -> None:
        prefix = PROVINCE[0] + "%"
        table = Institution._meta.db_table
        scoped = f"SELECT id FROM {table} WHERE region_id LIKE %s"
        children = [(Licence, "institution_id"), (Site, "institution_id"), (Teacher, "institution_id"),
                    (InstitutionGroupObjectPermission, "content_object_id"),
                    (InstitutionUserObjectPermission, "content_object_id")]
        with connection.cursor() as cursor:
            for model, column in children:
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({scoped})", [prefix])
            cursor.execute(f"DELETE FROM {table} WHERE region_id LIKE %s", [prefix])
            if connection.vendor == "postgresql":
                # Restart the id sequence after what is left, so --seed gives the same codes again.
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )

    # ---- organisation -------------------------------------------------------------------------------
    @transaction.atomic
    def _organisation(self, layout: list[dict]) -> dict:
        province_code, province_name, abbreviation = PROVINCE
        wanted = [Region(code=province_code, name=province_name, level=RegionLevel.PROVINCE,
                         abbreviation=abbreviation)]
        for prefecture in layout:
            wanted.append(Region(code=prefecture["code"], name=prefecture["name"], parent_id=province_code,
                                 level=RegionLevel.PREFECTURE, abbreviation=prefecture["name"][:1]))
            for county in prefecture["counties"]:
                wanted.append(Region(code=county["code"], name=county["name"], level=RegionLevel.COUNTY,
                                     parent_id=prefecture["code"]))
                wanted += [Region(code=code, name=name, level=RegionLevel.TOWNSHIP, parent_id=county["code"])
                           for code, name in county["townships"]]
        present = set(Region.objects.filter(code__startswith=province_code).values_list("code", flat=True))
        if Region.objects.bulk_create([region for region in wanted if region.code not in present]):
            transaction.on_commit(hooks.regions_changed)

        existing = {(d.region_id, d.kind): d
                    for d in Department.objects.filter(region__code__startswith=province_code)}
        regions = {r.code: r for r in
                   Region.objects.filter(code__startswith=province_code, level__lte=RegionLevel.COUNTY)}
        wanted_users = [(ADMIN_USERNAME, None, Role.ADMIN, "广东省系统管理员")]

        def department(region_code, stem, kind, name, short_name, seat, accounts):
            key = (region_code, kind)
            if key not in existing:
                existing[key] = department_create(kind=kind, region=regions[region_code], name=name,
                                                  short_name=short_name, is_joint_office_seat=seat)
            wanted_users.extend((username_for(region_code, slug), existing[key], role, stem + title)
                                for slug, account_kind, role, title in accounts if account_kind == kind)

        for prefecture in layout:
            stem = _stem(prefecture["name"])
            for kind, suffix, short, seat in PREFECTURE_DEPARTMENTS:
                department(prefecture["code"], stem, kind, prefecture["name"] + suffix, stem[:1] + short,
                           seat, PREFECTURE_ACCOUNTS)
            for county in prefecture["counties"]:
                county_stem = _stem(county["name"])
                for kind, suffix, short, seat in COUNTY_DEPARTMENTS:
                    if kind == DepartmentKind.POLICE and county["name"].endswith("县"):
                        suffix = "公安局"  # counties have a 公安局, city districts a 公安分局
                    department(county["code"], county_stem, kind, county["name"] + suffix,
                               county_stem + short, seat, COUNTY_ACCOUNTS)

        taken = set(User.objects.filter(username__in=[row[0] for row in wanted_users])
                    .values_list("username", flat=True))
        password = make_password(BENCH_PASSWORD)
        User.objects.bulk_create([
            User(username=username, department=dept, role=role, full_name=full_name, password=password,
                 is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
            for username, dept, role, full_name in wanted_users if username not in taken
        ])
        return {key: (dept.pk, dept.name) for key, dept in existing.items()}

    # ---- institutions -------------------------------------------------------------------------------
    def _institutions(self, layout, issuers, *, total: int, seed: int, batch_size: int, use_copy: bool,
                      workers: int) -> dict:
        areas, weights = areas_of(layout)
        context = {"seed": seed, "areas": areas, "weights": weights, "issuers": issuers,
                   "today": timezone.localdate(), "now": timezone.now()}
        ids = reserve_ids(total) if total else range(0)
        tasks = [(index, ids[offset:offset + batch_size])
                 for index, offset in enumerate(range(0, total, batch_size))]
        counts = dict.fromkeys(["institutions", "licences", "sites", "teachers"], 0)
        self._started = time.perf_counter()
        if not use_copy:
            for index, batch_ids in tasks:
                rows = generate_batch(seed=seed, index=index, ids=batch_ids, areas=areas, weights=weights,
                                      issuers=issuers, today=context["today"])
                stamps = {"created_at": context["now"], "updated_at": context["now"]}
                with transaction.atomic():
                    for model, model_rows in rows.items():
                        model.objects.bulk_create([model(**stamps, **row) for row in model_rows],
                                                  batch_size=2000)
                self._count(counts, {model._meta.label: (len(r), "") for model, r in rows.items()}, total)
            return counts
        _worker_init(context)
        if len(tasks) <= 1:
            for payload in map(_worker_batch, tasks):
                self._copy_batch(payload, counts, total)
            return counts
        # Worker processes generate batch n+1 while this one streams batch n into PostgreSQL. They never
        # touch the database; the connection is closed first anyway unless a caller's transaction holds it.
        if not connection.in_atomic_block:
            connection.close()
        with multiprocessing.get_context("fork").Pool(workers, _worker_init, (context,)) as pool:
            with connection.cursor() as cursor:
                # Losing the last batch on a crash is harmless here.
                cursor.execute("SET synchronous_commit TO off")
            try:
                for payload in pool.imap(_worker_batch, tasks):
                    self._copy_batch(payload, counts, total)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
        return counts

    def _copy_batch(self, payload: dict, counts: dict, total: int) -> None:
        with transaction.atomic():
            for model in MODELS:
                count, text = payload[model._meta.label]
                if count:
                    copy_into(model, text)
        self._count(counts, payload, total)

    def _count(self, counts: dict, payload: dict, total: int) -> None:
        for key, model in zip(counts, MODELS, strict=True):
            counts[key] += payload[model._meta.label][0]
        done = counts["institutions"]
        if done == total or done % 50_000 < payload[Institution._meta.label][0]:
            elapsed = time.perf_counter() - self._started
            rate = done / max(elapsed, 0.001)
            self._say(f"  {done:,}/{total:,} institutions, {elapsed:.1f}s ({rate:,.0f}/s)")
