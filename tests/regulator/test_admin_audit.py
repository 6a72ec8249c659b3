"""Django admin changes to accounts go through regulator.services and are audited; the admin's read-only audit
view shows labels instead of stored names."""

import pytest
from django.urls import reverse

from institutions import services as register
from regulator.audit_kinds import RegulatorAuditKind
from regulator.models import AuditEvent, Role, User
from tests.admin_forms import admin_form
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def _user_url(user) -> str:
    return reverse("admin:regulator_user_change", args=[user.pk])


def test_admin_role_and_department_change_is_audited(admin_client_, users, departments):
    user = users["education_inspector"]
    url = _user_url(user)
    response = admin_client_.post(url, admin_form(admin_client_, url, "user_form", role=Role.HEAD,
                                                  department=str(departments["market"].pk)))
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.department_id) == (Role.HEAD, departments["market"].pk)
    event = AuditEvent.objects.get(kind=RegulatorAuditKind.USER_ROLE_CHANGED)
    assert event.actor_id == users["admin"].pk and event.object_id == str(user.pk)
    assert event.before == {"role": "inspector", "department": departments["education"].pk}
    assert event.after == {"role": "head", "department": departments["market"].pk}


def test_admin_deactivation_and_group_change_are_audited(admin_client_, users, departments):
    user = users["education_inspector"]
    url = _user_url(user)
    admin_client_.post(url, admin_form(admin_client_, url, "user_form", is_active=None))
    assert not User.objects.get(pk=user.pk).is_active
    assert AuditEvent.objects.filter(kind=RegulatorAuditKind.USER_DEACTIVATED, object_id=str(user.pk)).count() == 1
    group = departments["market"].group
    admin_client_.post(url, admin_form(admin_client_, url, "user_form", groups=str(group.pk)))
    assert list(User.objects.get(pk=user.pk).groups.values_list("pk", flat=True)) == [group.pk]
    event = AuditEvent.objects.get(kind=RegulatorAuditKind.USER_ROLE_CHANGED)
    assert event.after == {"groups": [group.pk]}


def test_admin_add_of_an_account_is_audited(admin_client_, users, departments):
    url = reverse("admin:regulator_user_add")
    data = admin_form(admin_client_, url, "user_form", username="new_staff", password1="Long-enough-2026",
                      password2="Long-enough-2026", usable_password="true", full_name="新同事",
                      department=str(departments["education"].pk), role=Role.INSPECTOR)
    assert admin_client_.post(url, data).status_code == 302
    user = User.objects.get(username="new_staff")
    assert user.check_password("Long-enough-2026")
    event = AuditEvent.objects.get(kind=RegulatorAuditKind.USER_CREATED)
    assert event.object_id == str(user.pk) and event.after["department"] == departments["education"].pk


def test_admin_password_set_is_audited(admin_client_, users):
    user = users["education_inspector"]
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client_.post(url, {"password1": "Reset-by-admin-2026", "password2": "Reset-by-admin-2026",
                                        "usable_password": "true", "set-password": "1"})
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("Reset-by-admin-2026")
    event = AuditEvent.objects.get(kind=RegulatorAuditKind.USER_PASSWORD_SET)
    assert event.actor_id == users["admin"].pk and event.object_id == str(user.pk)
    assert "Reset-by-admin" not in str(event.after)


def test_audit_admin_shows_labels(admin_client_, users, regions):
    institution = InstitutionFactory(region=regions["township"])
    register.institution_set_operating_state(actor=users["admin"], institution_id=institution.pk,
                                             state="suspended", reason="停办整改通知")
    event = AuditEvent.objects.get(institution_id=institution.pk)
    changelist = admin_client_.get(reverse("admin:regulator_auditevent_changelist")).content.decode()
    assert "经营状态变更" in changelist and "institution.operating_state_changed" not in changelist.split("<tbody>")[1]
    page = admin_client_.get(reverse("admin:regulator_auditevent_change", args=[event.pk])).content.decode()
    table = page[page.index("变更内容"):]
    assert "经营状态" in table and "停办整改" in table and "正常经营" in table and "原因" in table
    filtered = admin_client_.get(reverse("admin:regulator_auditevent_changelist"),
                                 {"kind": "institution.operating_state_changed"})
    assert filtered.status_code == 200 and f"/{event.pk}/change/" in filtered.content.decode()
