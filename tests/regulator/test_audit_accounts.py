"""Sign-ins, failed sign-ins, sign-outs, password changes and changes of role or department are audited."""

import pytest
from django.urls import reverse

from regulator import services
from regulator.audit_kinds import RegulatorAuditKind
from regulator.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _events(kind):
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def test_login_and_logout_are_audited_with_the_address(client, users):
    user = users["education_inspector"]
    client.post(reverse("login"), {"username": "edu_inspector", "password": "pass-word-123"},
                REMOTE_ADDR="198.51.100.7")
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.7")
    (login,) = _events(RegulatorAuditKind.USER_LOGGED_IN)
    (logout,) = _events(RegulatorAuditKind.USER_LOGGED_OUT)
    for event in (login, logout):
        assert event.actor_id == user.pk and event.object_type == "regulator.user"
        assert event.object_id == str(user.pk) and event.institution_id is None
        assert event.after == {"ip_address": "198.51.100.7"}


def test_failed_login_records_the_username_tried_never_the_password(client, users):
    client.post(reverse("login"), {"username": "edu_inspector", "password": "Secret-guess-1"},
                REMOTE_ADDR="198.51.100.8")
    client.post(reverse("login"), {"username": "nobody-here", "password": "Secret-guess-2"})
    known, unknown = _events(RegulatorAuditKind.USER_LOGIN_FAILED)
    assert known.after == {"username": "edu_inspector", "ip_address": "198.51.100.8"}
    assert known.object_id == str(users["education_inspector"].pk) and known.actor_id is None
    assert unknown.after["username"] == "nobody-here" and unknown.object_id == ""
    stored = str(AuditEvent.objects.values_list("before", "after", "summary"))
    assert "Secret-guess" not in stored
    assert not _events(RegulatorAuditKind.USER_LOGGED_IN)


def test_own_password_change_is_audited(education_inspector_client, users):
    response = education_inspector_client.post(reverse("password_change"), {
        "old_password": "pass-word-123", "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026"})
    assert response.status_code == 302
    (event,) = _events(RegulatorAuditKind.USER_PASSWORD_CHANGED)
    assert event.actor_id == users["education_inspector"].pk and event.object_id == str(users["education_inspector"].pk)
    assert "Another-pass" not in str(event.after)
    # Still signed in after the change (the session hash was updated).
    assert education_inspector_client.get(reverse("institutions:list")).status_code == 200


def test_refused_password_change_writes_nothing(education_inspector_client, users):
    response = education_inspector_client.post(reverse("password_change"), {
        "old_password": "wrong-old-one", "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026"})
    assert response.status_code == 200
    assert not _events(RegulatorAuditKind.USER_PASSWORD_CHANGED)
    users["education_inspector"].refresh_from_db()
    assert users["education_inspector"].check_password("pass-word-123")


def test_role_and_department_changes_are_audited(users, departments):
    user = users["education_inspector"]
    services.user_update(actor=users["admin"], user_id=user.pk,
                         data={"role": Role.HEAD, "department": departments["market"]})
    (event,) = _events(RegulatorAuditKind.USER_ROLE_CHANGED)
    assert event.actor_id == users["admin"].pk
    assert event.before == {"role": "inspector", "department": departments["education"].pk}
    assert event.after == {"role": "head", "department": departments["market"].pk}


def test_deactivation_and_plain_edits_have_their_own_kinds(users):
    user = users["education_inspector"]
    services.user_update(actor=users["admin"], user_id=user.pk, data={"is_active": False})
    services.user_update(actor=users["admin"], user_id=user.pk, data={"phone": "0531-1234567"})
    services.user_update(actor=users["admin"], user_id=user.pk, data={"phone": "0531-1234567"})  # no change
    assert [e.kind for e in AuditEvent.objects.filter(object_type="regulator.user").order_by("id")] == [
        RegulatorAuditKind.USER_DEACTIVATED, RegulatorAuditKind.USER_UPDATED]


def test_sign_in_events_record_the_client_behind_the_trusted_proxy(client, users, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # the same address axes throttles on (regulator.clientaddr)
    client.post(reverse("login"), {"username": "edu_inspector", "password": "wrong-one"},
                REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    (failed,) = _events(RegulatorAuditKind.USER_LOGIN_FAILED)
    assert failed.after["ip_address"] == "203.0.113.5"
