"""Django admin edits of visits and campaigns go through inspections.services and are audited."""

import pytest
from django.urls import reverse

from inspections.audit_kinds import InspectionsAuditKind as Kind
from inspections.models import Campaign, Visit
from regulator.models import AuditEvent
from tests.admin_forms import admin_form

pytestmark = pytest.mark.django_db


def test_admin_edit_of_a_visit_is_audited_in_its_institutions_chain(admin_client_, users, visit):
    url = reverse("admin:inspections_visit_change", args=[visit.pk])
    response = admin_client_.post(url, admin_form(admin_client_, url, "visit_form", planned_on="2025-06-01"))
    assert response.status_code == 302
    assert str(Visit.objects.get(pk=visit.pk).planned_on) == "2025-06-01"
    event = AuditEvent.objects.get(kind=Kind.VISIT_UPDATED)
    assert event.institution_id == visit.institution_id and event.actor_id == users["admin"].pk
    assert (event.before["planned_on"], event.after["planned_on"]) == ("2025-05-20", "2025-06-01")


def test_admin_delete_of_a_visit_is_audited(admin_client_, users, institution, departments, checklist):
    visit = Visit.objects.create(institution=institution, kind="sweep", lead_department=departments["education"],
                                 checklist_template=checklist, planned_on="2025-05-20")
    delete = reverse("admin:inspections_visit_delete", args=[visit.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert not Visit.objects.filter(pk=visit.pk).exists()
    event = AuditEvent.objects.get(kind=Kind.VISIT_DELETED)
    assert event.object_id == str(visit.pk) and event.institution_id == institution.pk


def test_admin_add_and_edit_of_a_campaign_are_audited(admin_client_, users, regions, departments, checklist):
    url = reverse("admin:inspections_campaign_add")
    data = admin_form(admin_client_, url, "campaign_form", name="后台检查行动", kind="sweep",
                      region=regions["county"].code, starts_on="2025-05-01", ends_on="2025-06-30",
                      lead_department=str(departments["education"].pk), checklist_template=str(checklist.pk),
                      departments=str(departments["market"].pk), status="active")
    assert admin_client_.post(url, data).status_code == 302
    campaign = Campaign.objects.get(name="后台检查行动")
    created = AuditEvent.objects.get(kind=Kind.CAMPAIGN_CREATED)
    assert created.object_id == str(campaign.pk) and created.after["departments"] == [departments["market"].pk]
    change = reverse("admin:inspections_campaign_change", args=[campaign.pk])
    admin_client_.post(change, admin_form(admin_client_, change, "campaign_form", ends_on="2025-07-31"))
    updated = AuditEvent.objects.get(kind=Kind.CAMPAIGN_UPDATED)
    assert (updated.before["ends_on"], updated.after["ends_on"]) == ("2025-06-30", "2025-07-31")
    assert updated.before["departments"] == updated.after["departments"] == [departments["market"].pk]
