"""seed_scale: N institutions with valid unique credit codes and standings derived from their licences."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from institutions.fake import InstitutionFaker, credit_code
from institutions.management.commands.seed_scale import (
    ADMIN_USERNAME,
    BENCH_COUNTY,
    province_layout,
    username_for,
)
from institutions.models import Institution, Licence, LicenceStanding, Site, Teacher
from institutions.services import compute_standing
from institutions.validators import validate_credit_code
from regulator.models import Department, Region, Role, User

pytestmark = pytest.mark.django_db


def _check(institutions):
    today = timezone.localdate()
    codes = [i.credit_code for i in institutions if i.credit_code]
    assert len(codes) == len(set(codes))
    for code in codes:
        validate_credit_code(code)
    for institution in institutions:
        assert institution.licence_standing == compute_standing(institution.licences.all(), today)
        assert institution.region_id.startswith("44") and len(institution.region_id) == 9


@pytest.mark.parametrize("method", ["copy", "bulk"])
def test_seeds_n_institutions_with_valid_codes_and_derived_standing(method):
    call_command("seed_scale", institutions=300, batch_size=120, method=method, seed=7, prefectures=1,
                 stdout=StringIO())
    institutions = list(Institution.objects.prefetch_related("licences"))
    assert len(institutions) == 300
    _check(institutions)
    assert Licence.objects.count() > 300 and Teacher.objects.count() > 300 and Site.objects.exists()
    assert len({i.licence_standing for i in institutions}) == len(LicenceStanding.values)
    assert Region.objects.filter(code__startswith="44", level=3).count() == 8
    assert Department.objects.filter(region_id=BENCH_COUNTY).count() == 5
    head = User.objects.get(username=username_for(BENCH_COUNTY, "edu_head"))
    assert head.role == Role.HEAD and head.department.region_id == BENCH_COUNTY
    assert head.check_password("Bench-2026-pass")
    assert User.objects.get(username=ADMIN_USERNAME).is_superuser


def test_second_run_adds_more_without_clashes_and_reset_starts_over():
    call_command("seed_scale", institutions=150, prefectures=1, stdout=StringIO())
    users = User.objects.count()
    call_command("seed_scale", institutions=150, seed=2, prefectures=2, stdout=StringIO())
    assert Institution.objects.count() == 300
    assert User.objects.count() == users + 6 * 5 + 2  # only the second prefecture's accounts are new
    _check(list(Institution.objects.prefetch_related("licences")))
    call_command("seed_scale", institutions=50, reset=True, prefectures=1, stdout=StringIO())
    assert Institution.objects.count() == 50
    assert not Licence.objects.exclude(institution__in=Institution.objects.all()).exists()


def test_rejects_bad_arguments():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_scale", institutions=-1, stdout=StringIO())
    assert not Institution.objects.exists()


def test_province_layout_has_official_looking_codes():
    layout = province_layout()
    assert len(layout) == 21
    counties = [county for prefecture in layout for county in prefecture["counties"]]
    assert 120 <= len(counties) <= 135
    codes = [prefecture["code"] for prefecture in layout] + [county["code"] for county in counties]
    codes += [code for county in counties for code, _ in county["townships"]]
    assert len(codes) == len(set(codes))
    for county in counties:
        assert len(county["code"]) == 6 and county["code"].startswith("44")
        assert all(code.startswith(county["code"]) and len(code) == 9 for code, _ in county["townships"])


def test_credit_codes_are_unique_per_serial_and_valid():
    codes = {credit_code(county_code="440106", serial=n) for n in range(20_000)}
    assert len(codes) == 20_000
    for code in list(codes)[:500]:
        validate_credit_code(code)


def test_generator_is_deterministic_for_a_seed():
    from institutions.fake import Area

    area = Area(county_code="440106", county_name="天河区", city_name="广州", townships=("440106001",),
                roads=("天河路",))
    today = timezone.localdate()
    first = [InstitutionFaker(seed=3, today=today).institution(serial=n, area=area).fields for n in range(5)]
    again = [InstitutionFaker(seed=3, today=today).institution(serial=n, area=area).fields for n in range(5)]
    assert first == again
