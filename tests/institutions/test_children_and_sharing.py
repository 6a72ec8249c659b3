"""Sites and teachers of an institution, deletion, and sharing a file with a department of another region."""

import pytest
from django.urls import reverse

from institutions import services
from institutions.models import Institution, Site, Teacher
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, SiteFactory, TeacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"])


def test_add_site_and_teacher(education_inspector_client, institution, regions):
    response = education_inspector_client.post(
        reverse("institutions:child_create", args=[institution.pk, "site"]),
        {"address": "经十路88号", "region": regions["township"].code, "premises_type": "commercial", "approved": "on",
         "approval_reference": "历教审〔2026〕3号"})
    assert response.status_code == 302
    response = education_inspector_client.post(
        reverse("institutions:child_create", args=[institution.pk, "teacher"]),
        {"name": "王老师", "subject": "美术", "qualification_number": "20193700000001"})
    assert response.status_code == 302
    assert Site.objects.filter(institution=institution).count() == 1
    assert Teacher.objects.filter(institution=institution, name="王老师").exists()
    kinds = set(AuditEvent.objects.filter(institution_id=institution.pk).values_list("object_type", flat=True))
    assert {"institutions.site", "institutions.teacher"} <= kinds


def test_site_outside_the_institutions_county_is_refused(education_inspector_client, institution, regions):
    response = education_inspector_client.post(
        reverse("institutions:child_create", args=[institution.pk, "site"]),
        {"address": "外区1号", "region": regions["other_township"].code, "premises_type": "commercial"})
    assert response.status_code == 200
    assert not Site.objects.exists()


def test_police_cannot_add_teacher(police_inspector_client, institution):
    response = police_inspector_client.post(
        reverse("institutions:child_create", args=[institution.pk, "teacher"]), {"name": "李老师"})
    assert response.status_code == 403
    assert not Teacher.objects.exists()


def test_delete_child_records_history(education_head_client, institution):
    teacher = TeacherFactory(institution=institution)
    response = education_head_client.post(
        reverse("institutions:child_delete", args=[institution.pk, "teacher", teacher.pk]))
    assert response.status_code == 302
    assert not Teacher.objects.exists()
    assert AuditEvent.objects.filter(institution_id=institution.pk, kind="teacher.deleted").exists()


def test_child_of_another_institution_is_404(education_head_client, institution, regions):
    other = InstitutionFactory(region=regions["township"])
    site = SiteFactory(institution=other)
    response = education_head_client.post(
        reverse("institutions:child_delete", args=[institution.pk, "site", site.pk]))
    assert response.status_code == 404
    assert Site.objects.filter(pk=site.pk).exists()


@pytest.mark.parametrize(("client_fixture", "allowed"), [
    ("education_inspector_client", False), ("market_head_client", False), ("education_head_client", True),
])
def test_only_education_heads_delete_institutions(request, institution, client_fixture, allowed):
    client = request.getfixturevalue(client_fixture)
    response = client.post(reverse("institutions:delete", args=[institution.pk]))
    assert response.status_code == (302 if allowed else 403)
    assert Institution.objects.filter(pk=institution.pk).exists() is (not allowed)


def test_sharing_grants_another_region_the_file_and_nothing_else(users, departments, regions,
                                                                 other_county_client, django_assert_num_queries):
    shared = InstitutionFactory(region=regions["township"], name="共享机构")
    InstitutionFactory(region=regions["township"], name="未共享机构")
    assert other_county_client.get(shared.get_absolute_url()).status_code == 403
    services.institution_share(actor=users["education_head"], institution=shared,
                               department=departments["other_education"])
    assert other_county_client.get(shared.get_absolute_url()).status_code == 200
    response = other_county_client.get(reverse("institutions:list"))
    names = {row.name for row in response.context["rows"]}
    assert "共享机构" in names and "未共享机构" not in names
    # still read-only: the other county may not edit the shared file
    assert other_county_client.get(reverse("institutions:edit", args=[shared.pk])).status_code == 403


def test_inspector_cannot_share(users, departments, regions):
    from regulator.errors import ActionForbidden

    institution = InstitutionFactory(region=regions["township"])
    with pytest.raises(ActionForbidden):
        services.institution_share(actor=users["education_inspector"], institution=institution,
                                   department=departments["other_education"])
