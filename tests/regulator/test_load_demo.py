"""load_demo: every account with its role and department, every state and standing, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from institutions.models import (
    Institution,
    Licence,
    LicenceKind,
    LicenceStanding,
    OperatingState,
    PremisesType,
)
from institutions.services import compute_standing
from institutions.validators import validate_credit_code
from regulator.management.commands.load_demo import ACCOUNTS, DEMO_PASSWORD
from regulator.models import AuditEvent, Department, DepartmentKind, Region, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load once for the module (it is the slow part) and undo it afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        output = StringIO()
        atomic = transaction.atomic()
        atomic.__enter__()
        call_command("load_demo", stdout=output)
        yield output.getvalue()
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def test_every_account_has_its_role_and_department(demo):
    expected = {
        "admin": (Role.ADMIN, None),
        "edu_inspector": (Role.INSPECTOR, "历下区教育局"),
        "edu_inspector2": (Role.INSPECTOR, "历下区教育局"),
        "edu_head": (Role.HEAD, "历下区教育局"),
        "joint_office": (Role.JOINT_OFFICE, "历下区教育局"),
        "market_head": (Role.HEAD, "历下区市场监督管理局"),
        "market_inspector": (Role.INSPECTOR, "历下区市场监督管理局"),
        "police_inspector": (Role.INSPECTOR, "历下区公安分局"),
        "police_head": (Role.HEAD, "历下区公安分局"),
        "pref_joint_office": (Role.JOINT_OFFICE, "济南市教育局"),
        "shizhong_edu_inspector": (Role.INSPECTOR, "市中区教育局"),
    }
    users = {u.username: u for u in User.objects.select_related("department")}
    for username, (role, department) in expected.items():
        user = users[username]
        assert user.role == role, username
        assert (user.department.name if user.department else None) == department, username
        assert user.check_password(DEMO_PASSWORD), username
    assert users["admin"].is_superuser and users["admin"].is_admin_role
    for username, *_ in ACCOUNTS:
        assert username in demo  # the printed table lists every account


def test_region_tree_and_departments(demo):
    assert Region.objects.get(code="3701").abbreviation == "济"
    assert Region.objects.get(code="370102").name == "历下区"
    assert Region.objects.filter(parent_id="370102").count() >= 3
    assert all(len(code) == 9 for code in Region.objects.filter(level=4).values_list("code", flat=True))
    education = Department.objects.get(region_id="370102", kind=DepartmentKind.EDUCATION)
    assert education.is_joint_office_seat and education.short_name == "历下教"
    for county in Region.objects.filter(level=3):
        kinds = set(Department.objects.filter(region=county).values_list("kind", flat=True))
        assert {DepartmentKind.EDUCATION, DepartmentKind.MARKET, DepartmentKind.POLICE, DepartmentKind.FIRE,
                DepartmentKind.CIVIL_AFFAIRS} <= kinds


def test_every_state_standing_and_premises_is_present(demo):
    assert 350 <= Institution.objects.count() <= 450
    assert set(Institution.objects.values_list("operating_state", flat=True)) == set(OperatingState.values)
    assert set(Institution.objects.values_list("licence_standing", flat=True)) == set(LicenceStanding.values)
    assert set(Institution.objects.values_list("premises_type", flat=True)) == set(PremisesType.values)
    assert set(Licence.objects.values_list("state", flat=True)) >= {"valid", "expired", "revoked"}
    assert Institution.objects.filter(credit_code="").exists()
    assert Institution.objects.filter(sites__isnull=False).distinct().exists()
    assert Institution.objects.filter(teachers__qualification_number="").exists()
    assert Institution.objects.filter(teachers__is_in_service_teacher=True).exists()
    # The main county alone covers every state and standing, so its staff see them all.
    mine = Institution.objects.filter(region__code__startswith="370102")
    assert set(mine.values_list("operating_state", flat=True)) == set(OperatingState.values)
    assert set(mine.values_list("licence_standing", flat=True)) == set(LicenceStanding.values)


def test_standing_is_derived_from_licences_and_codes_are_valid(demo):
    today = timezone.localdate()
    for institution in Institution.objects.prefetch_related("licences"):
        assert institution.licence_standing == compute_standing(institution.licences.all(), today)
    codes = list(Institution.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    for code in codes:
        validate_credit_code(code)
    school = Licence.objects.filter(kind=LicenceKind.SCHOOL_RUNNING).first()
    assert school.number.startswith("教民") and school.issuer.kind == DepartmentKind.EDUCATION


def test_each_institution_has_its_created_event(demo):
    ids = set(Institution.objects.values_list("id", flat=True))
    created = set(AuditEvent.objects.filter(kind="created", object_type="institutions.institution")
                  .values_list("institution_id", flat=True))
    assert ids == created


def test_second_run_creates_nothing_and_prints_the_accounts(demo):
    counts = [model.objects.count() for model in (Region, Department, User, Institution, Licence, AuditEvent)]
    output = StringIO()
    call_command("load_demo", stdout=output)
    assert [m.objects.count() for m in (Region, Department, User, Institution, Licence, AuditEvent)] == counts
    assert "edu_inspector" in output.getvalue() and DEMO_PASSWORD in output.getvalue()
