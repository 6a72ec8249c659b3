"""Log in and out, password change, throttled failures, expiring sessions, logged 403s."""

import logging

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_and_logout(client, users):
    response = client.post(reverse("login"), {"username": "edu_inspector", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get(reverse("institutions:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("institutions:list")).status_code == 302


def test_wrong_password_is_explained(client, users):
    response = client.post(reverse("login"), {"username": "edu_inspector", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode() or "正确" in response.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "edu_inspector", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "edu_inspector", "password": "pass-word-123"})
    assert response.status_code in (403, 429)
    assert "登录失败次数过多" in response.content.decode()
    assert client.get(reverse("institutions:list")).status_code == 302


def test_password_change(education_inspector_client, users):
    response = education_inspector_client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026"})
    assert response.status_code == 302
    users["education_inspector"].refresh_from_db()
    assert users["education_inspector"].check_password("Another-pass-2026")


def test_sessions_expire(client, users):
    client.post(reverse("login"), {"username": "edu_inspector", "password": "pass-word-123"})
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_refused_access_is_logged(other_county_client, regions, caplog):
    from tests.factories import InstitutionFactory

    institution = InstitutionFactory(region=regions["township"])
    with caplog.at_level(logging.WARNING, logger="regulator.access"):
        response = other_county_client.get(institution.get_absolute_url())
    assert response.status_code == 403
    assert any("403 refused" in r.getMessage() and "other_inspector" in r.getMessage() for r in caplog.records)
