"""Demo data for `make demo`: 济南市 with its twelve counties, their departments, one account per role,
and about 400 institutions in every operating state and licence standing, each with its audit history,
then the casework of 历下区 (regulator/demo/cases.py: campaign, visits, orders, lists, reports).

Idempotent: when the demo is already loaded it creates nothing and prints the accounts again.
"""

import unicodedata

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from institutions.audit_kinds import InstitutionsAuditKind
from institutions.fake import (
    CATEGORIES,
    OPERATING_STATES,
    PREMISES,
    STAGES,
    STANDINGS,
    Area,
    InstitutionFaker,
)
from institutions.models import Institution, Licence, Site, Teacher
from publicity.bulk import write_bulk_files
from regulator import hooks
from regulator.audit import record_event, snapshot
from regulator.demo.cases import load_cases
from regulator.demo.funds import load_funds
from regulator.demo.ledger_import import load_ledger_import
from regulator.demo.regions import COUNTIES, MAIN_COUNTY, PREFECTURE, PROVINCE, SECOND_COUNTY, county_stem
from regulator.demo.register_time import CIVIL_ACCOUNT, load_register_time
from regulator.models import Department, DepartmentKind, Region, RegionLevel, Role, User
from regulator.oversight.summary import refresh as refresh_daily_figures
from regulator.oversight.summary import refresh_institutions
from regulator.services import department_create, staff_create

DEMO_PASSWORD = "Demo-2026-pass"
INSTITUTIONS = 400
# Institutions per county: the main county (where most demo accounts sit) gets the most.
COUNTY_SHARE = {MAIN_COUNTY: 80, SECOND_COUNTY: 50}

# Departments of every county: (kind, name suffix, short-name suffix, joint office seat)
COUNTY_DEPARTMENTS = [
    (DepartmentKind.EDUCATION, "教育局", "教", True),
    (DepartmentKind.MARKET, "市场监督管理局", "市监", False),
    (DepartmentKind.POLICE, "公安分局", "公", False),
    (DepartmentKind.FIRE, "消防救援大队", "消", False),
    (DepartmentKind.CIVIL_AFFAIRS, "民政局", "民", False),
]
PREFECTURE_DEPARTMENTS = [
    (DepartmentKind.EDUCATION, "济南市教育局", "济教", True),
    (DepartmentKind.MARKET, "济南市市场监督管理局", "济市监", False),
    (DepartmentKind.POLICE, "济南市公安局", "济公", False),
]

# (username, role, region code of the department or None, department kind, full name)
ACCOUNTS = [
    ("admin", Role.ADMIN, None, None, "系统管理员"),
    ("edu_inspector", Role.INSPECTOR, MAIN_COUNTY, DepartmentKind.EDUCATION, "王志强"),
    ("edu_inspector2", Role.INSPECTOR, MAIN_COUNTY, DepartmentKind.EDUCATION, "李秀梅"),
    ("edu_head", Role.HEAD, MAIN_COUNTY, DepartmentKind.EDUCATION, "张建国"),
    ("joint_office", Role.JOINT_OFFICE, MAIN_COUNTY, DepartmentKind.EDUCATION, "刘晓燕"),
    ("market_head", Role.HEAD, MAIN_COUNTY, DepartmentKind.MARKET, "陈卫东"),
    ("market_inspector", Role.INSPECTOR, MAIN_COUNTY, DepartmentKind.MARKET, "杨帆"),
    ("police_inspector", Role.INSPECTOR, MAIN_COUNTY, DepartmentKind.POLICE, "赵磊"),
    ("police_head", Role.HEAD, MAIN_COUNTY, DepartmentKind.POLICE, "孙海涛"),
    ("pref_joint_office", Role.JOINT_OFFICE, PREFECTURE["code"], DepartmentKind.EDUCATION, "周敏"),
    ("pref_head", Role.HEAD, PREFECTURE["code"], DepartmentKind.EDUCATION, "吴国平"),
    ("shizhong_edu_inspector", Role.INSPECTOR, SECOND_COUNTY, DepartmentKind.EDUCATION, "郑丽娟"),
    ("shizhong_market_inspector", Role.INSPECTOR, SECOND_COUNTY, DepartmentKind.MARKET, "马俊"),
]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Load the demo (济南市: regions, departments, accounts, ~400 institutions); prints the accounts."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (the demo is deterministic)")

    def handle(self, *args, seed, **options):
        if Region.objects.filter(code=PREFECTURE["code"]).exists():
            self.stdout.write("演示数据已存在，未重复创建。/ Demo data already loaded; nothing created.")
        else:
            started = timezone.now()
            counts = self._load(seed=seed)
            write_bulk_files()  # the open-data bulk files, as the nightly job would have left them
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(self.style.SUCCESS(
                f"演示数据已创建 / demo loaded in {seconds:.1f}s: {counts['institutions']} institutions, "
                f"{counts['licences']} licences, {counts['sites']} sites, {counts['teachers']} teachers; "
                f"{counts['visits']} visits, {counts['orders']} orders, {counts['entries']} list entries, "
                f"{counts['reports']} reports."
            ))
        self._print_accounts()

    # ---- building ---------------------------------------------------------------------------------
    @transaction.atomic
    def _load(self, *, seed: int) -> dict:
        areas = self._regions()
        departments = self._departments()
        admin = self._accounts(departments)
        counts = self._institutions(areas, departments, admin=admin, seed=seed)
        counts.update(load_cases(seed=seed))
        counts.update(load_funds())
        counts.update(load_register_time(password=DEMO_PASSWORD))
        counts.update(load_ledger_import())
        refresh_daily_figures(full=True)  # the dashboard's nightly summary, as the beat jobs would have left it
        refresh_institutions()
        return counts

    def _regions(self) -> list[Area]:
        province = Region.objects.create(code=PROVINCE["code"], name=PROVINCE["name"],
                                         level=RegionLevel.PROVINCE, abbreviation=PROVINCE["abbreviation"])
        prefecture = Region.objects.create(code=PREFECTURE["code"], name=PREFECTURE["name"], parent=province,
                                           level=RegionLevel.PREFECTURE,
                                           abbreviation=PREFECTURE["abbreviation"])
        areas = []
        for code, name, townships, roads in COUNTIES:
            county = Region.objects.create(code=code, name=name, level=RegionLevel.COUNTY, parent=prefecture,
                                           abbreviation=county_stem(name)[:1])
            Region.objects.bulk_create([
                Region(code=code + suffix, name=township, level=RegionLevel.TOWNSHIP, parent=county)
                for suffix, township in townships
            ])
            areas.append(Area(county_code=code, county_name=name, city_name=PREFECTURE["city"],
                              townships=tuple(code + suffix for suffix, _ in townships), roads=tuple(roads),
                              province_abbreviation=PROVINCE["abbreviation"]))
        transaction.on_commit(hooks.regions_changed)
        return areas

    def _departments(self) -> dict[tuple[str, str], Department]:
        departments = {}
        prefecture = Region.objects.get(code=PREFECTURE["code"])
        for kind, name, short_name, seat in PREFECTURE_DEPARTMENTS:
            departments[prefecture.code, kind] = department_create(
                kind=kind, region=prefecture, name=name, short_name=short_name, is_joint_office_seat=seat)
        for county in Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=PREFECTURE["code"]):
            stem = county_stem(county.name)
            for kind, suffix, short_suffix, seat in COUNTY_DEPARTMENTS:
                if kind == DepartmentKind.POLICE and county.name.endswith("县"):
                    suffix = "公安局"  # counties have a 公安局, city districts a 公安分局
                departments[county.code, kind] = department_create(
                    kind=kind, region=county, name=county.name + suffix, short_name=stem + short_suffix,
                    is_joint_office_seat=seat)
        return departments

    def _accounts(self, departments) -> User:
        admin = None
        for number, (username, role, region_code, kind, full_name) in enumerate(ACCOUNTS, start=1):
            department = departments[region_code, kind] if region_code else None
            extra = {}
            if role == Role.INSPECTOR:
                extra["enforcement_certificate"] = f"{region_code}2023{number:04d}"
            user = staff_create(username=username, password=DEMO_PASSWORD, department=department, role=role,
                                full_name=full_name, actor=admin, phone=f"0531-8{number:03d}6{number:03d}",
                                **extra)
            admin = admin or user
        return admin

    def _institutions(self, areas: list[Area], departments, *, admin: User, seed: int) -> dict:
        today = timezone.localdate()
        issuers = {key: (department.pk, department.name) for key, department in departments.items()}
        faker = InstitutionFaker(seed=seed, today=today, issuers=issuers)
        others = [area for area in areas if area.county_code not in COUNTY_SHARE]
        rest = INSTITUTIONS - sum(COUNTY_SHARE.values())
        share = {area.county_code: rest // len(others) + (1 if index < rest % len(others) else 0)
                 for index, area in enumerate(others)}
        share.update(COUNTY_SHARE)

        built = []
        serial = 1
        for area in areas:
            for index in range(share[area.county_code]):
                built.append(faker.institution(serial=serial, area=area, force=_coverage(index)))
                serial += 1

        now = timezone.now()
        institutions = Institution.objects.bulk_create([
            Institution(**fake.fields, created_by=admin, updated_by=admin, created_at=now, updated_at=now)
            for fake in built
        ])
        licences, sites, teachers = [], [], []
        for institution, fake in zip(institutions, built, strict=True):
            common = {"institution": institution, "created_by": admin, "updated_by": admin}
            licences += [Licence(**_values(licence), **common) for licence in fake.licences]
            sites += [Site(**_values(site), **common) for site in fake.sites]
            teachers += [Teacher(**_values(teacher), **common) for teacher in fake.teachers]
        Licence.objects.bulk_create(licences)
        Site.objects.bulk_create(sites)
        Teacher.objects.bulk_create(teachers)

        # Each file page starts with its history: the institution, then each licence, as registered.
        for institution in institutions:
            record_event(actor=admin, kind=InstitutionsAuditKind.INSTITUTION_CREATED, obj=institution,
                         institution_id=institution.pk, after=snapshot(institution),
                         summary=f"登记机构：{institution.name}")
        for licence in licences:
            record_event(actor=admin, kind=InstitutionsAuditKind.LICENCE_CREATED, obj=licence,
                         institution_id=licence.institution_id, after=snapshot(licence), summary=f"新增证照：{licence}")
        return {"institutions": len(institutions), "licences": len(licences), "sites": len(sites),
                "teachers": len(teachers)}

    # ---- output ------------------------------------------------------------------------------------
    def _print_accounts(self) -> None:
        names = [row[0] for row in ACCOUNTS] + [CIVIL_ACCOUNT[0]]
        users = {user.username: user for user in
                 User.objects.filter(username__in=names).select_related("department")}
        header = ("账号 username", "密码 password", "角色 role", "部门 department")
        rows = [
            (user.username, DEMO_PASSWORD, str(user.get_role_display()),
             user.department.name if user.department_id else "—")
            for username in names if (user := users.get(username))
        ]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(4)]
        self.stdout.write("")
        for row in [header, tuple("-" * width for width in widths), *rows]:
            self.stdout.write("  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)))
        self.stdout.write("")


def _values(fake) -> dict:
    return {name: getattr(fake, name) for name in fake.__slots__}


def _coverage(index: int) -> dict | None:
    """The first institutions of each county cover every standing, state, premises, category and stage."""
    if index >= 8:
        return None
    return {
        "profile": STANDINGS[index % 4],
        "operating_state": OPERATING_STATES[(index + 1) % 4],
        "premises_type": PREMISES[index % 4],
        "category": CATEGORIES[index % 5],
        "stage": STAGES[index % 3],
        "sites": 2 if index % 3 == 0 else 0,
        "teachers": 2 + index % 4,
    }
