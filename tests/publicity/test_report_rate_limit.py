"""The public report form's per-address limit: decided from headers and the cache, before the upload is read."""

import pytest
from django.http.request import HttpRequest
from django.test import Client, override_settings
from django.urls import reverse

from publicity.models import Report
from publicity.views_public import REPORT_RATE_LIMIT

pytestmark = pytest.mark.django_db

DATA = {"subject_name": "某补课点", "subject_address": "某小区", "region": "370102", "content": "违规"}


@pytest.fixture
def county(regions):
    return regions["county"]


def post(client, **extra):
    return client.post(reverse("publicity:report_form"), DATA, **extra)


def use_up_the_limit(client, **extra):
    for _ in range(REPORT_RATE_LIMIT):
        assert post(client, **extra).status_code == 302


def test_over_the_limit_the_body_is_never_parsed(county, monkeypatch):
    client = Client(REMOTE_ADDR="203.0.113.9", enforce_csrf_checks=True)
    token_page = client.get(reverse("publicity:report_form"))
    token = token_page.cookies["csrftoken"].value
    for _ in range(REPORT_RATE_LIMIT):
        response = client.post(reverse("publicity:report_form"), {**DATA, "csrfmiddlewaretoken": token})
        assert response.status_code == 302

    def no_body(request):
        raise AssertionError("the request body was parsed before the rate limit refused it")

    monkeypatch.setattr(HttpRequest, "_load_post_and_files", no_body)
    # Not even the CSRF check (which looks for the token in the body) runs before the refusal.
    response = client.post(reverse("publicity:report_form"), {**DATA, "csrfmiddlewaretoken": token})
    assert response.status_code == 429
    body = response.content.decode()
    assert "您提交举报过于频繁" in body and "10分钟" in body
    assert response["Retry-After"] == "600"
    assert "no-store" in response["Cache-Control"]
    assert Report.objects.count() == REPORT_RATE_LIMIT


def test_a_body_that_cannot_be_parsed_still_gets_the_429(county):
    client = Client(REMOTE_ADDR="203.0.113.9")
    broken = "--nope\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n\r\n" + "x" * 100_000
    url = reverse("publicity:report_form")
    # Under the limit the same body is refused by the parser (a 400), proving it cannot be read...
    assert client.post(url, broken, content_type="multipart/form-data; boundary=").status_code == 400
    for _ in range(REPORT_RATE_LIMIT - 1):  # that refused attempt counted too
        assert post(client).status_code == 302
    # ...over it, it is refused before anyone tries.
    assert client.post(url, broken, content_type="multipart/form-data; boundary=").status_code == 429


def test_csrf_is_still_checked_under_the_limit(county):
    client = Client(REMOTE_ADDR="203.0.113.9", enforce_csrf_checks=True)
    assert post(client).status_code == 403
    assert Report.objects.count() == 0


def test_the_form_page_itself_is_never_limited(county):
    client = Client(REMOTE_ADDR="203.0.113.9")
    use_up_the_limit(client)
    assert client.get(reverse("publicity:report_form")).status_code == 200


def test_a_forged_forwarded_header_does_not_reset_the_limit(county):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(REPORT_RATE_LIMIT):
        assert post(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code == 302
    assert post(client, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(county):
    client = Client(REMOTE_ADDR="10.0.0.2")
    use_up_the_limit(client, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert post(client, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.9").status_code == 429
    assert post(client, HTTP_X_FORWARDED_FOR="198.51.100.10").status_code == 302
