"""Licences: remit by department, dates, and the derived standing."""

import datetime

import pytest
from django.urls import reverse

from institutions.models import Licence, LicenceStanding, LicenceState
from institutions.services import expire_licences
from tests.factories import InstitutionFactory, LicenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"])


def _licence_post(kind, **overrides):
    data = {"kind": kind, "number": f"NO-{kind}", "issuer_name": "历下区", "issued_on": "2024-01-01",
            "valid_until": "2027-12-31", "scope": "艺术培训", "state": "valid"}
    data.update(overrides)
    return data


def _url(institution):
    return reverse("institutions:child_create", args=[institution.pk, "licence"])


def test_market_adds_business_licence_and_standing_follows(market_head_client, education_head_client, institution):
    assert market_head_client.post(_url(institution), _licence_post("business")).status_code == 302
    institution.refresh_from_db()
    assert institution.licence_standing == LicenceStanding.BUSINESS_ONLY
    assert education_head_client.post(_url(institution), _licence_post("school_running")).status_code == 302
    institution.refresh_from_db()
    assert institution.licence_standing == LicenceStanding.BOTH


def test_market_cannot_record_school_licence(market_head_client, institution):
    response = market_head_client.post(_url(institution), _licence_post("school_running"))
    assert response.status_code == 403
    assert not Licence.objects.exists()


def test_police_cannot_add_business_licence(police_inspector_client, institution):
    response = police_inspector_client.post(_url(institution), _licence_post("business"))
    assert response.status_code == 403
    assert not Licence.objects.exists()


def test_licence_expiring_before_issue_is_refused(market_head_client, institution):
    response = market_head_client.post(_url(institution), _licence_post("business", valid_until="2023-01-01"))
    assert response.status_code == 200
    assert "早于发证日期" in response.content.decode()
    assert not Licence.objects.exists()


def test_expiry_job_expires_and_rederives_standing(institution):
    from institutions.services import refresh_standing

    LicenceFactory(institution=institution, kind="business", valid_until=datetime.date(2026, 1, 31))
    refresh_standing(institution=institution, today=datetime.date(2026, 1, 1))
    institution.refresh_from_db()
    assert institution.licence_standing == LicenceStanding.BUSINESS_ONLY
    assert expire_licences(today=datetime.date(2026, 2, 1)) == 1
    assert expire_licences(today=datetime.date(2026, 2, 1)) == 0
    institution.refresh_from_db()
    assert institution.licence_standing == LicenceStanding.NONE
    assert Licence.objects.get().state == LicenceState.EXPIRED
