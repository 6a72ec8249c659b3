"""Login throttling: per username across addresses, per address across usernames, unlock by an administrator."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
LIMIT = settings.AXES_FAILURE_LIMIT


def attempt(username, password, address="203.0.113.1", **extra):
    """One login from a fresh browser at that address; True when it logged in."""
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )
    return response


def logged_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def test_wrong_passwords_from_many_addresses_lock_the_username(users):
    for n in range(30):
        attempt("edu_inspector", "wrong", address=f"198.51.100.{n + 1}")
    response = attempt("edu_inspector", PASSWORD, address="203.0.113.200")
    assert response.status_code == 429 and not logged_in(response)
    body = response.content.decode()
    assert "登录失败次数过多" in body and "30分钟" in body
    assert response["Retry-After"] == "1800"
    # Another account is not affected by that lock.
    assert logged_in(attempt("edu_head", PASSWORD, address="203.0.113.200"))


def test_the_limit_is_reached_across_addresses(users):
    for n in range(LIMIT - 1):
        attempt("edu_inspector", "wrong", address=f"198.51.100.{n + 1}")
    assert logged_in(attempt("edu_inspector", PASSWORD, address="203.0.113.200"))
    for n in range(LIMIT):
        attempt("edu_inspector", "wrong", address=f"198.51.100.{n + 1}")
    assert not logged_in(attempt("edu_inspector", PASSWORD, address="203.0.113.200"))


def test_wrong_passwords_across_usernames_lock_the_address(users):
    for n in range(LIMIT):
        attempt(f"guess{n}", "wrong", address="198.51.100.9")
    # Even a real account with its right password is refused from that address...
    response = attempt("edu_inspector", PASSWORD, address="198.51.100.9")
    assert response.status_code == 429 and not logged_in(response)
    # ...and logs in from anywhere else.
    assert logged_in(attempt("edu_inspector", PASSWORD, address="198.51.100.10"))


def test_logging_in_to_ones_own_account_does_not_wipe_the_address_failures(users):
    for n in range(LIMIT - 1):
        attempt(f"guess{n}", "wrong", address="198.51.100.9")
    assert logged_in(attempt("edu_head", PASSWORD, address="198.51.100.9"))
    attempt("guess-last", "wrong", address="198.51.100.9")
    assert not logged_in(attempt("edu_head", PASSWORD, address="198.51.100.9"))


def test_a_successful_login_forgets_that_accounts_failures(users):
    for _ in range(LIMIT - 1):
        attempt("edu_inspector", "wrong")
    assert logged_in(attempt("edu_inspector", PASSWORD))
    assert not AccessAttempt.objects.filter(username="edu_inspector").exists()
    for _ in range(LIMIT - 1):
        attempt("edu_inspector", "wrong", address="203.0.113.2")
    assert logged_in(attempt("edu_inspector", PASSWORD, address="203.0.113.2"))


def _lock_out_edu_inspector():
    for n in range(LIMIT):
        attempt("edu_inspector", "wrong", address=f"198.51.100.{n + 1}")
    assert not logged_in(attempt("edu_inspector", PASSWORD))


def test_an_administrator_unlocks_in_the_admin(users, admin_client):
    _lock_out_edu_inspector()
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin_client.get(changelist, {"q": "edu_inspector"})
    assert page.status_code == 200 and "访问尝试" in page.content.decode()
    ids = list(AccessAttempt.objects.filter(username="edu_inspector").values_list("pk", flat=True))
    assert ids
    response = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="edu_inspector").exists()
    assert logged_in(attempt("edu_inspector", PASSWORD))


def test_an_administrator_unlocks_with_the_command(users):
    _lock_out_edu_inspector()
    call_command("axes_reset_username", "edu_inspector", stdout=open("/dev/null", "w"))
    assert logged_in(attempt("edu_inspector", PASSWORD))


def test_the_admin_is_not_open_to_staff_who_are_not_administrators(users, education_head_client):
    response = education_head_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code in (302, 403)


def test_a_forged_forwarded_header_does_not_escape_the_address_lock(users):
    for n in range(LIMIT):
        attempt(f"guess{n}", "wrong", address="198.51.100.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    response = attempt("edu_inspector", PASSWORD, address="198.51.100.9", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_clients_are_throttled_apart(users):
    proxy = "10.0.0.2"
    for n in range(LIMIT):
        attempt(f"guess{n}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9")
    # The locked client stays locked, whatever it writes in front of the proxy's entry...
    locked = attempt("edu_inspector", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9")
    assert locked.status_code == 429
    # ...while another client behind the same proxy logs in.
    assert logged_in(attempt("edu_inspector", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.10"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.9"}


def test_the_lockout_page_is_chinese_and_english(users):
    for _ in range(LIMIT):
        attempt("edu_inspector", "wrong")
    chinese = attempt("edu_inspector", PASSWORD).content.decode()
    assert "请30分钟后再试" in chinese and "Too many" not in chinese
    english = attempt("edu_inspector", PASSWORD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too many failed logins" in english and "try again in 30 minutes" in english.lower()
