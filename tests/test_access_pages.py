"""Page-level checks of the access rules fixed with the table in tests/test_access_rules.py: a department
acting on another department's object because it lies in its region is refused with a 403 and writes nothing."""

import datetime

import pytest
from django.urls import reverse

from inspections import services as inspection_services
from inspections.models import InspectionKind, SpotCheckDraw
from institutions.models import Licence, LicenceKind
from regulator.models import AuditEvent, Role
from tests.factories import InstitutionFactory, LicenceFactory, UserFactory
from tests.inspections.conftest import ensure_checklist

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"])


def _licence_form(licence, **overrides):
    data = {"kind": licence.kind, "number": licence.number, "issuer_name": "历下区教育局", "issued_on": "2024-01-01",
            "valid_until": "2027-12-31", "scope": "艺术培训", "state": "valid"}
    data.update(overrides)
    return data


def test_a_licence_with_a_recorded_issuer_is_changed_by_the_issuer_only(
    institution, departments, prefecture_head_client, education_inspector_client
):
    licence = LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING, number="教民137010270000009号",
                             issuer=departments["education"])
    edit = reverse("institutions:child_edit", args=[institution.pk, "licence", licence.pk])
    delete = reverse("institutions:child_delete", args=[institution.pk, "licence", licence.pk])
    events = AuditEvent.objects.count()
    # 济南市教育局 has the remit and the region, but the county bureau issued it (谁审批谁监管).
    assert edit not in prefecture_head_client.get(institution.get_absolute_url()).content.decode()
    assert prefecture_head_client.get(edit).status_code == 403
    assert prefecture_head_client.post(edit, _licence_form(licence, state="revoked")).status_code == 403
    assert prefecture_head_client.post(delete).status_code == 403
    licence.refresh_from_db()
    assert licence.state == "valid" and AuditEvent.objects.count() == events
    assert edit in education_inspector_client.get(institution.get_absolute_url()).content.decode()
    assert education_inspector_client.post(edit, _licence_form(licence, scope="美术")).status_code == 302
    assert Licence.objects.get(pk=licence.pk).scope == "美术"


def test_a_licence_without_a_recorded_issuer_follows_the_remit(institution, prefecture_head_client):
    licence = LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING, number="教民137010270000010号")
    edit = reverse("institutions:child_edit", args=[institution.pk, "licence", licence.pk])
    assert prefecture_head_client.post(edit, _licence_form(licence, scope="书法")).status_code == 302
    assert Licence.objects.get(pk=licence.pk).scope == "书法"


def test_county_office_cannot_draw_for_a_campaign_the_prefecture_leads(regions, departments, users,
                                                                        joint_office_client, prefecture_head_client):
    ensure_checklist()
    prefecture_head = users["prefecture_head"]
    for _ in range(2):
        UserFactory(department=departments["prefecture_education"], role=Role.INSPECTOR)
    InstitutionFactory(region=regions["township"])
    campaign = inspection_services.campaign_create(
        actor=prefecture_head, name="市级双随机抽查", kind=InspectionKind.SPOT_CHECK, region=regions["county"],
        starts_on=datetime.date(2025, 5, 1), ends_on=datetime.date(2025, 6, 30),
        lead_department=departments["prefecture_education"],
    )
    page = joint_office_client.get(reverse("inspections:campaign_detail", args=[campaign.pk]))
    assert page.status_code == 200  # the county office sees it (its region) …
    events = AuditEvent.objects.count()
    draw = {"sample_size": 1, "inspectors_per_visit": 2, "planned_on": "2025-05-20"}
    response = joint_office_client.post(reverse("inspections:draw_create", args=[campaign.pk]), draw)
    assert response.status_code == 403  # … but does not draw for the prefecture
    assert not SpotCheckDraw.objects.exists() and AuditEvent.objects.count() == events
    assert prefecture_head_client.post(reverse("inspections:draw_create", args=[campaign.pk]), draw).status_code == 302
    assert SpotCheckDraw.objects.filter(campaign=campaign).count() == 1
