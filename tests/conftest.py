"""Fixtures: a small prefecture with two counties, departments, and a client per role."""

import datetime

import pytest
from django.core.cache import cache

from regulator.models import DepartmentKind, RegionLevel, Role
from tests.factories import DepartmentFactory, RegionFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _s3_bucket():
    """Under TEST_STORAGE=s3 the default storage is a bucket of the local S3 server: create it, private."""
    from django.core.files.storage import default_storage

    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:
        client = default_storage.connection.meta.client
        if bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
            client.create_bucket(Bucket=bucket)
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in the default language: LocaleMiddleware leaves a request's language (say
    English from a cookie) active in the thread, and a later test on the same xdist worker would inherit it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (Redis keeps keys across tests otherwise), and without the navigation
    entries a process keeps by version (a version restarted from the clock could meet an earlier test's)."""
    from regulator.oversight.context_processors import clear_local

    cache.clear()
    clear_local()
    yield
    cache.clear()
    clear_local()


@pytest.fixture(autouse=True)
def _official_calendar(request):
    """The holiday arrangements of migration 0012 are in the database, and read afresh by each test.

    A transactional test's flush empties every table, the migration's rows with them: they are entered again
    (outside the test's transaction, so they stay). The calendar is loaded here, before the test, so that the
    first working-day count inside a test costs no query of its own (pages pin their query counts)."""
    from regulator import calendar

    calendar.forget()
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if uses_db:
        from regulator.models import CalendarArrangement, CalendarDay

        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            if not CalendarArrangement.objects.filter(source=CalendarArrangement.Source.PACKAGE).exists():
                calendar.seed_from_package(CalendarArrangement, CalendarDay)
            calendar.is_working_day(datetime.date(2026, 1, 1))
    yield
    calendar.forget()


@pytest.fixture
def regions(db):
    province = RegionFactory(code="37", name="山东省", level=RegionLevel.PROVINCE)
    prefecture = RegionFactory(code="3701", name="济南市", level=RegionLevel.PREFECTURE, parent=province,
                               abbreviation="济")
    county = RegionFactory(code="370102", name="历下区", level=RegionLevel.COUNTY, parent=prefecture)
    other_county = RegionFactory(code="370103", name="市中区", level=RegionLevel.COUNTY, parent=prefecture)
    township = RegionFactory(code="370102001", name="解放路街道", level=RegionLevel.TOWNSHIP, parent=county)
    other_township = RegionFactory(code="370103001", name="大观园街道", level=RegionLevel.TOWNSHIP,
                                   parent=other_county)
    far_county = RegionFactory(code="370202", name="市南区", level=RegionLevel.COUNTY,
                               parent=RegionFactory(code="3702", name="青岛市", level=RegionLevel.PREFECTURE,
                                                    parent=province))
    return {
        "province": province, "prefecture": prefecture, "county": county, "other_county": other_county,
        "township": township, "other_township": other_township, "far_county": far_county,
    }


@pytest.fixture
def departments(regions):
    county = regions["county"]
    return {
        "education": DepartmentFactory(kind=DepartmentKind.EDUCATION, region=county, name="历下区教育局",
                                       is_joint_office_seat=True),
        "market": DepartmentFactory(kind=DepartmentKind.MARKET, region=county, name="历下区市场监督管理局"),
        "police": DepartmentFactory(kind=DepartmentKind.POLICE, region=county, name="历下区公安分局"),
        "other_education": DepartmentFactory(kind=DepartmentKind.EDUCATION, region=regions["other_county"],
                                             name="市中区教育局"),
        "prefecture_education": DepartmentFactory(kind=DepartmentKind.EDUCATION, region=regions["prefecture"],
                                                  name="济南市教育局"),
    }


@pytest.fixture
def users(departments):
    return {
        "education_inspector": UserFactory(username="edu_inspector", department=departments["education"],
                                           role=Role.INSPECTOR),
        "education_head": UserFactory(username="edu_head", department=departments["education"], role=Role.HEAD),
        "market_head": UserFactory(username="market_head", department=departments["market"], role=Role.HEAD),
        "market_inspector": UserFactory(username="market_inspector", department=departments["market"],
                                        role=Role.INSPECTOR),
        "police_inspector": UserFactory(username="police_inspector", department=departments["police"],
                                        role=Role.INSPECTOR),
        "joint_office": UserFactory(username="joint_office", department=departments["education"],
                                    role=Role.JOINT_OFFICE),
        "other_county_inspector": UserFactory(username="other_inspector", department=departments["other_education"],
                                              role=Role.INSPECTOR),
        "prefecture_head": UserFactory(username="pref_head", department=departments["prefecture_education"],
                                       role=Role.HEAD),
        "admin": UserFactory(username="admin", department=None, role=Role.ADMIN, is_staff=True, is_superuser=True),
    }


def _client_for(client_class, user):
    from django.test import Client

    client = client_class() if client_class else Client()
    client.force_login(user)
    return client


@pytest.fixture
def education_inspector_client(users):
    return _client_for(None, users["education_inspector"])


@pytest.fixture
def education_head_client(users):
    return _client_for(None, users["education_head"])


@pytest.fixture
def market_head_client(users):
    return _client_for(None, users["market_head"])


@pytest.fixture
def police_inspector_client(users):
    return _client_for(None, users["police_inspector"])


@pytest.fixture
def joint_office_client(users):
    return _client_for(None, users["joint_office"])


@pytest.fixture
def other_county_client(users):
    return _client_for(None, users["other_county_inspector"])


@pytest.fixture
def prefecture_head_client(users):
    return _client_for(None, users["prefecture_head"])


@pytest.fixture
def admin_client_(users):
    return _client_for(None, users["admin"])
