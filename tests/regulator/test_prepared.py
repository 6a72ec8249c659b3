"""Prepared reads (regulator/prepared.py): the signed-in user and the shared grants with their SQL compiled once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from institutions.models import Institution
from institutions.permissions import institution_scope_q, visible_institutions
from regulator.backends import StaffBackend
from regulator.models import User
from regulator.prepared import Prepared
from tests.factories.register import InstitutionFactory

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_the_department_in_one_query(users):
    head = users["education_head"]
    with CaptureQueriesContext(connection) as captured:
        user = StaffBackend().get_user(str(head.pk))
        assert user.department.name == head.department.name
        assert user.department.region_id == head.department.region_id
    assert len(captured) == 1
    assert user == head and user.username == "edu_head" and user.role == head.role
    assert not user._state.adding and user._state.db == "default"
    assert user.check_password("pass-word-123")


def test_dates_and_flags_are_python_values(users):
    """The backend's converters run: on SQLite a datetime column comes back as text without them."""
    head = users["education_head"]
    User.objects.filter(pk=head.pk).update(last_login=timezone.now())
    user = StaffBackend().get_user(str(head.pk))
    assert isinstance(user.last_login, datetime.datetime) and timezone.is_aware(user.last_login)
    assert isinstance(user.date_joined, datetime.datetime)
    assert user.is_active is True and user.is_superuser is False


def test_an_account_outside_any_department_has_none(users):
    admin = users["admin"]
    with CaptureQueriesContext(connection) as captured:
        user = StaffBackend().get_user(str(admin.pk))
        assert user.department is None
    assert len(captured) == 1
    assert user.is_superuser


def test_missing_inactive_and_malformed_ids_are_no_user(users):
    inspector = users["education_inspector"]
    backend = StaffBackend()
    assert backend.get_user("999999999") is None
    assert backend.get_user("not-a-number") is None
    User.objects.filter(pk=inspector.pk).update(is_active=False)
    assert backend.get_user(str(inspector.pk)) is None


def test_every_read_sees_the_row_as_it_is_now(users):
    """Only the SQL is kept, never a row: a rename shows on the next request."""
    head = users["education_head"]
    backend = StaffBackend()
    assert backend.get_user(str(head.pk)).first_name != "改名"
    User.objects.filter(pk=head.pk).update(first_name="改名")
    assert backend.get_user(str(head.pk)).first_name == "改名"


def test_shared_grants_widen_the_scope(users, regions):
    market_head = users["market_head"]
    elsewhere = InstitutionFactory(region=regions["other_county"])
    assert not visible_institutions(market_head).filter(pk=elsewhere.pk).exists()
    assign_perm("view_institution", market_head.department.group, elsewhere)
    assert visible_institutions(market_head).filter(pk=elsewhere.pk).exists()
    assert market_head._shared_institution_ids == [elsewhere.pk]
    assert Institution.objects.filter(institution_scope_q(users["police_inspector"]), pk=elsewhere.pk).count() == 0


def test_like_patterns_take_the_value_escaped_and_a_marker_the_sql_ignores_is_refused(users):
    contains = Prepared(User, lambda name: User.objects.filter(username__contains=name).values_list("username"),
                        {"name": "qzxmarker"})
    assert set(contains.rows(name="_head")) == {("edu_head",), ("market_head",), ("pref_head",)}
    assert contains.rows(name="%") == []  # a wildcard typed is a character searched for, as the ORM escapes it
    starts = Prepared(User, lambda name: User.objects.filter(username__startswith=name).values_list("username"),
                      {"name": "qzxmarker"})
    assert set(starts.rows(name="market")) == {("market_head",), ("market_inspector",)}
    ignored = Prepared(User, lambda name: User.objects.filter(username="edu_head").values_list("pk"),
                       {"name": "qzxmarker"})
    with pytest.raises(ValueError, match="name"):
        ignored.rows(name="edu")
    exact = Prepared(User, lambda name: User.objects.filter(username=name).values_list("pk"), {"name": "qzxmarker"})
    assert exact.rows(name="edu_head") == [(users["education_head"].pk,)]
    assert exact.rows(name="nobody") == []
