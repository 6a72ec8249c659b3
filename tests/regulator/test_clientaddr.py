"""The client's address: REMOTE_ADDR unless trusted proxies are declared; a forged X-Forwarded-For never counts."""

import logging

import pytest
from django.test import RequestFactory, override_settings

from regulator.clientaddr import client_ip

PROXY = "10.0.0.2"


def request(remote=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    assert client_ip(request("203.0.113.7")) == "203.0.113.7"
    forged = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1", HTTP_X_REAL_IP="198.51.100.2",
        HTTP_CLIENT_IP="198.51.100.3", HTTP_FORWARDED="for=198.51.100.4", HTTP_CF_CONNECTING_IP="198.51.100.5",
    )
    assert client_ip(forged) == "203.0.113.7"


def test_no_address_at_all_is_none():
    assert client_ip(request(remote="")) is None


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_proxy_the_entry_it_appended_is_the_client():
    assert client_ip(request(forwarded="203.0.113.7")) == "203.0.113.7"
    # What the client wrote itself comes first; nginx appends the real peer at the end.
    assert client_ip(request(forwarded="198.51.100.1, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request(forwarded="junk, 198.51.100.1,,203.0.113.7")) == "203.0.113.7"
    assert client_ip(request(forwarded="2001:db8::1, 2001:db8::7")) == "2001:db8::7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_proxy_other_forwarding_headers_stay_ignored():
    forged = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7", HTTP_X_REAL_IP="198.51.100.2",
        HTTP_CLIENT_IP="198.51.100.3",
    )
    assert client_ip(forged) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_proxy_without_the_header_falls_back_to_the_peer():
    assert client_ip(request()) == PROXY


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_two_proxies_the_client_is_second_from_the_right():
    assert client_ip(request(forwarded="198.51.100.1, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    assert client_ip(request(forwarded="203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    # Fewer entries than proxies: the request skipped the outer proxy; only the peer is known.
    assert client_ip(request(forwarded="203.0.113.7")) == PROXY


@override_settings(TRUSTED_PROXY_CIDRS=["10.0.0.0/24"])
def test_networks_the_header_is_believed_only_from_a_trusted_peer():
    assert client_ip(request(PROXY, "198.51.100.1, 203.0.113.7")) == "203.0.113.7"
    # A client that reaches the application directly cannot choose its address.
    assert client_ip(request("203.0.113.66", "203.0.113.7")) == "203.0.113.66"
    assert client_ip(request("10.0.1.2", "203.0.113.7")) == "10.0.1.2"


@override_settings(TRUSTED_PROXY_CIDRS=["10.0.0.0/24"], TRUSTED_PROXY_COUNT=2)
def test_networks_and_count_together():
    assert client_ip(request(PROXY, "198.51.100.1, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    assert client_ip(request("203.0.113.66", "198.51.100.1, 203.0.113.7, 10.0.0.1")) == "203.0.113.66"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_refused_access_is_logged_with_the_client_address(other_county_client, regions, caplog):
    from tests.factories import InstitutionFactory

    institution = InstitutionFactory(region=regions["township"])
    with caplog.at_level(logging.WARNING, logger="regulator.access"):
        response = other_county_client.get(
            institution.get_absolute_url(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"
        )
    assert response.status_code == 403
    assert any("ip=203.0.113.7" in record.getMessage() for record in caplog.records)
