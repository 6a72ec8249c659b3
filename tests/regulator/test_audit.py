import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from institutions import services
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def _make_history(users, regions):
    institution = InstitutionFactory(region=regions["township"])
    for name in ["一", "二", "三"]:
        services.institution_update(actor=users["education_head"], institution_id=institution.pk,
                                    data={"name": f"机构{name}"})
    return institution


def test_chain_links_each_row_to_the_previous(users, regions):
    institution = _make_history(users, regions)
    rows = list(AuditEvent.objects.filter(institution_id=institution.pk).order_by("id"))
    assert len(rows) == 3
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


def test_audit_verify_passes_on_an_untouched_trail(users, regions, capsys):
    _make_history(users, regions)
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_audit_verify_reports_edited_row(users, regions):
    institution = _make_history(users, regions)
    row = AuditEvent.objects.filter(institution_id=institution.pk).order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE regulator_auditevent SET summary = 'forged' WHERE id = %s", [row.pk])
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")


def test_audit_verify_reports_deleted_row(users, regions):
    institution = _make_history(users, regions)
    row = AuditEvent.objects.filter(institution_id=institution.pk).order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM regulator_auditevent WHERE id = %s", [row.pk])
    with pytest.raises(CommandError, match="problem"):
        call_command("audit_verify")


def test_admin_cannot_change_or_delete_audit_rows(admin_client_, users, regions):
    institution = _make_history(users, regions)
    row = AuditEvent.objects.filter(institution_id=institution.pk).first()
    assert admin_client_.post(f"/admin/regulator/auditevent/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=row.pk).exists()
