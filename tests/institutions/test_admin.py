"""Django admin edits of institutions and their licences, sites and teachers go through the register's services:
validated, audited, and a refusal is a message with nothing written."""

import pytest
from django.urls import reverse

from institutions.audit_kinds import InstitutionsAuditKind as Kind
from institutions.models import Institution, Licence, OperatingState, Site, Teacher
from regulator.models import AuditEvent
from tests.admin_forms import admin_form
from tests.factories import InstitutionFactory, LicenceFactory, SiteFactory, TeacherFactory, valid_credit_code

pytestmark = pytest.mark.django_db


def _kinds(institution) -> list[str]:
    return list(AuditEvent.objects.filter(institution_id=institution.pk).order_by("id").values_list("kind", flat=True))


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_admin_edit_of_an_institution_is_audited(admin_client_, users, regions):
    institution = InstitutionFactory(region=regions["township"], name="旧名称培训")
    url = _change_url(institution)
    response = admin_client_.post(url, admin_form(admin_client_, url, "institution_form", name="新名称培训",
                                                  operating_state=OperatingState.SUSPENDED))
    assert response.status_code == 302
    event = AuditEvent.objects.get(institution_id=institution.pk)
    assert event.kind == Kind.INSTITUTION_UPDATED and event.actor_id == users["admin"].pk
    assert (event.before["name"], event.after["name"]) == ("旧名称培训", "新名称培训")
    assert event.after["operating_state"] == OperatingState.SUSPENDED


def test_admin_move_to_another_region_is_an_institution_moved(admin_client_, regions):
    institution = InstitutionFactory(region=regions["township"])
    url = _change_url(institution)
    admin_client_.post(url, admin_form(admin_client_, url, "institution_form", region=regions["county"].code))
    assert _kinds(institution) == [Kind.INSTITUTION_MOVED]
    assert Institution.objects.get(pk=institution.pk).region_id == regions["county"].code


def test_admin_add_and_delete_of_an_institution_are_audited(admin_client_, regions):
    url = reverse("admin:institutions_institution_add")
    data = admin_form(admin_client_, url, "institution_form", name="后台新增培训", address="文化路1号",
                      credit_code=valid_credit_code("370102", 4242), region=regions["township"].code,
                      category="arts")
    assert admin_client_.post(url, data).status_code == 302
    institution = Institution.objects.get(name="后台新增培训")
    assert _kinds(institution) == [Kind.INSTITUTION_CREATED]
    delete = reverse("admin:institutions_institution_delete", args=[institution.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert not Institution.objects.filter(pk=institution.pk).exists()
    assert _kinds(institution) == [Kind.INSTITUTION_CREATED, Kind.INSTITUTION_DELETED]


def test_admin_inline_edits_are_audited_one_event_per_row(admin_client_, regions):
    institution = InstitutionFactory(region=regions["township"])
    site = SiteFactory(institution=institution, address="旧地址1号")
    teacher = TeacherFactory(institution=institution)
    url = _change_url(institution)
    data = admin_form(admin_client_, url, "institution_form", **{
        "sites-0-address": "新地址2号",
        "teachers-0-DELETE": "on",
        "licences-TOTAL_FORMS": "1",
        "licences-0-kind": "business", "licences-0-number": "LIC-ADMIN-1", "licences-0-issued_on": "2024-01-02",
        "licences-0-state": "valid", "licences-0-institution": str(institution.pk),
    })
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Site.objects.get(pk=site.pk).address == "新地址2号"
    assert not Teacher.objects.filter(pk=teacher.pk).exists()
    licence = Licence.objects.get(number="LIC-ADMIN-1")
    kinds = _kinds(institution)
    assert kinds.count(Kind.TEACHER_DELETED) == kinds.count(Kind.SITE_UPDATED) == kinds.count(Kind.LICENCE_CREATED) == 1
    assert Kind.INSTITUTION_STANDING_CHANGED in kinds  # the new valid business licence changes the standing
    created = AuditEvent.objects.get(kind=Kind.LICENCE_CREATED)
    assert created.object_id == str(licence.pk) and created.after["number"] == "LIC-ADMIN-1"


def test_admin_edit_of_a_licence_on_its_own_page_is_audited(admin_client_, regions):
    licence = LicenceFactory(institution=InstitutionFactory(region=regions["township"]), scope="美术")
    url = _change_url(licence)
    response = admin_client_.post(url, admin_form(admin_client_, url, "licence_form", scope="美术、书法"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind=Kind.LICENCE_UPDATED)
    assert (event.before["scope"], event.after["scope"]) == ("美术", "美术、书法")
    assert event.institution_id == licence.institution_id


@pytest.mark.parametrize("model", ["site", "teacher"])
def test_admin_delete_of_a_site_or_teacher_on_its_own_page_is_audited(admin_client_, regions, model):
    institution = InstitutionFactory(region=regions["township"])
    obj = (SiteFactory if model == "site" else TeacherFactory)(institution=institution)
    delete = reverse(f"admin:institutions_{model}_delete", args=[obj.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 302
    assert _kinds(institution) == [Kind.SITE_DELETED if model == "site" else Kind.TEACHER_DELETED]


def test_a_refused_admin_save_is_a_message_and_writes_nothing(admin_client_, regions):
    institution = InstitutionFactory(region=regions["township"])
    site = SiteFactory(institution=institution, address="旧地址1号")
    url = _change_url(institution)
    # A site must lie in the institution's county (institutions.services.site_save).
    data = admin_form(admin_client_, url, "institution_form", name="不会保存的名称",
                      **{"sites-0-region": regions["far_county"].code, "sites-0-address": "外地1号"})
    response = admin_client_.post(url, data, follow=True)
    assert response.status_code == 200
    assert "办学点应位于机构所在县（区）内" in response.content.decode()
    assert Institution.objects.get(pk=institution.pk).name == institution.name
    assert Site.objects.get(pk=site.pk).address == "旧地址1号"
    assert not AuditEvent.objects.filter(institution_id=institution.pk).exists()


def test_file_page_history_shows_labels_not_stored_names(admin_client_, education_head_client, regions):
    institution = InstitutionFactory(region=regions["township"])
    LicenceFactory(institution=institution, issuer_name="历下区市场监管局")
    url = _change_url(institution)
    admin_client_.post(url, admin_form(admin_client_, url, "institution_form",
                                       operating_state=OperatingState.SUSPENDED,
                                       **{"licences-0-issuer_name": "济南市市场监管局"}))
    page = education_head_client.get(institution.get_absolute_url()).content.decode()
    history = page[page.index('id="history"'):]
    assert "修改机构信息" in history and "修改证照" in history  # the kinds' labels
    assert "经营状态" in history and "停办整改" in history  # verbose_name and the choice's label
    assert "发证机关名称" in history
    for raw in ("operating_state", "suspended", "issuer_name", "institution.updated", "licence.updated"):
        assert raw not in history, raw
