"""The audit trail holds against an insider: keyed links, checkpoints against tail deletion, an append-only table."""

import hashlib
import importlib
import json
from datetime import UTC

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from institutions import services
from institutions.audit_kinds import InstitutionsAuditKind
from regulator import audit
from regulator.audit_checkpoints import checkpoint_export, checkpoint_take
from regulator.models import AuditCheckpoint, AuditCheckpointChain, AuditEvent
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table


def _make_history(users, regions):
    institution = InstitutionFactory(region=regions["township"])
    for name in ["一", "二", "三"]:
        services.institution_update(actor=users["education_head"], institution_id=institution.pk,
                                    data={"name": f"机构{name}"})
    return institution


def _chain_rows(institution):
    return list(AuditEvent.objects.filter(institution_id=institution.pk).order_by("id"))


def _as_insider(sql: str, params=()) -> None:
    """What someone with a superuser's database access can do: open the maintenance hatch and run SQL."""
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _plain_sha(event, *, summary=None, prev=None) -> str:
    """The link as it was before the key: SHA-256 over the same canonical JSON."""
    payload = json.dumps({
        "prev": event.prev_hash if prev is None else prev, "at": event.created_at.astimezone(UTC).isoformat(),
        "actor": event.actor_id, "institution": event.institution_id, "type": event.object_type,
        "id": str(event.object_id), "kind": event.kind, "summary": event.summary if summary is None else summary,
        "before": event.before, "after": event.after,
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _verify_output(capsys, *args) -> tuple[str, str]:
    with pytest.raises(CommandError) as error:
        call_command("audit_verify", *args)
    return capsys.readouterr().out, str(error.value)


# ---- links --------------------------------------------------------------------------------------

def test_chain_links_each_row_to_the_previous(users, regions):
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    assert len(rows) == 3
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


def test_links_are_keyed_not_plain_sha256(users, regions, settings):
    row = _chain_rows(_make_history(users, regions))[0]
    assert row.hash != _plain_sha(row)
    assert row.hash == audit.row_hash(tuple(getattr(row, name) for name in audit._ROW_FIELDS))
    settings.AUDIT_HMAC_KEY = "another-key"
    assert row.hash != audit.row_hash(tuple(getattr(row, name) for name in audit._ROW_FIELDS))


def test_audit_verify_passes_on_an_untouched_trail(users, regions, capsys):
    _make_history(users, regions)
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_audit_verify_reports_edited_row(users, regions, capsys):
    institution = _make_history(users, regions)
    row = _chain_rows(institution)[1]
    _as_insider(f"UPDATE {TABLE} SET summary = 'forged' WHERE id = %s", [row.pk])
    out, error = _verify_output(capsys)
    assert "1 problem" in error
    assert f"chain {institution.pk}, position 2, id {row.pk}: content changed" in out


def test_audit_verify_reports_deleted_row(users, regions, capsys):
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    _as_insider(f"DELETE FROM {TABLE} WHERE id = %s", [rows[1].pk])
    out, error = _verify_output(capsys)
    assert "problem" in error
    assert f"chain {institution.pk}, position 2, id {rows[2].pk}: link broken" in out


def test_edit_with_a_recomputed_plain_sha_chain_is_detected(users, regions, capsys):
    """The insider of issue 11: edits a row and recomputes every later link as the old code did."""
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    prev = rows[0].hash
    for position, row in enumerate(rows[1:], start=2):
        summary = "forged" if position == 2 else row.summary
        digest = _plain_sha(row, summary=summary, prev=prev)
        _as_insider(f"UPDATE {TABLE} SET summary = %s, prev_hash = %s, hash = %s WHERE id = %s",
                    [summary, prev, digest, row.pk])
        prev = digest
    out, error = _verify_output(capsys)
    assert "first: chain" in error and f"position 2, id {rows[1].pk}" in error
    assert f"chain {institution.pk}, position 2, id {rows[1].pk}: content changed" in out


def test_edit_with_a_chain_recomputed_under_a_guessed_key_is_detected(users, regions, capsys):
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    prev = rows[1].hash
    row = rows[2]
    forged = audit.compute_hash(
        prev_hash=prev, created_at=row.created_at, actor_id=row.actor_id, institution_id=row.institution_id,
        object_type=row.object_type, object_id=row.object_id, kind=row.kind, summary="forged", before=row.before,
        after=row.after, key="dev-only-audit-hmac-key-not-for-production")
    _as_insider(f"UPDATE {TABLE} SET summary = 'forged', hash = %s WHERE id = %s", [forged, row.pk])
    out, _error = _verify_output(capsys)
    assert f"position 3, id {row.pk}: content changed" in out


# ---- the database refuses -----------------------------------------------------------------------

@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize("sql", [f"UPDATE {TABLE} SET summary = 'forged' WHERE id = %s",
                                 f"DELETE FROM {TABLE} WHERE id = %s"])
def test_update_and_delete_are_refused_by_the_database(users, regions, sql):
    row = _chain_rows(_make_history(users, regions))[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).summary == row.summary


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_orm_update_and_delete_are_refused_too(users, regions):
    row = _chain_rows(_make_history(users, regions))[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(summary="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    checkpoint, _problems = checkpoint_take()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(rows=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpointChain.objects.filter(checkpoint=checkpoint).delete()
    assert AuditEvent.objects.filter(pk=row.pk, summary=row.summary).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_the_maintenance_hatch_needs_a_superuser(users, regions):
    """The application's role (no superuser) cannot open the hatch by setting the variable itself."""
    row = _chain_rows(_make_history(users, regions))[0]
    role = f"audit_app_{connection.cursor().connection.info.backend_pid}"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT, UPDATE, DELETE ON {TABLE} TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute("SELECT set_config(%s, 'on', true)", [audit.MAINTENANCE_SETTING])
        cursor.execute(f"UPDATE {TABLE} SET summary = 'forged' WHERE id = %s", [row.pk])
    assert AuditEvent.objects.get(pk=row.pk).summary == row.summary


def test_admin_cannot_change_or_delete_audit_rows(admin_client_, users, regions):
    institution = _make_history(users, regions)
    row = AuditEvent.objects.filter(institution_id=institution.pk).first()
    assert admin_client_.post(f"/admin/regulator/auditevent/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=row.pk).exists()


# ---- checkpoints ---------------------------------------------------------------------------------

def test_tail_deletion_is_detected_against_the_latest_checkpoint(users, regions, capsys):
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    call_command("audit_checkpoint")
    call_command("audit_verify")
    _as_insider(f"DELETE FROM {TABLE} WHERE id = %s", [rows[-1].pk])
    out, error = _verify_output(capsys)
    assert f"chain {institution.pk}, position 3, id {rows[-1].pk}: 1 row(s) deleted at the tail" in out
    assert "1 problem" in error


def test_deleting_a_whole_chain_is_detected(users, regions, capsys):
    institution = _make_history(users, regions)
    checkpoint_take()
    _as_insider(f"DELETE FROM {TABLE} WHERE institution_id = %s", [institution.pk])
    out, _error = _verify_output(capsys)
    assert f"chain {institution.pk}, position 1, id ?: all 3 row(s)" in out


def test_tail_deletion_and_a_new_row_after_it_is_detected(users, regions, capsys):
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    checkpoint_take()
    _as_insider(f"DELETE FROM {TABLE} WHERE id = %s", [rows[-1].pk])
    services.institution_update(actor=users["education_head"], institution_id=institution.pk, data={"name": "新名"})
    out, _error = _verify_output(capsys)
    assert f"chain {institution.pk}, position 3" in out and "not the one it recorded" in out
    # The next checkpoint does not vouch for the damaged chain.
    checkpoint, problems = checkpoint_take()
    assert [p.chain for p in problems] == [institution.pk]
    assert not checkpoint.entries.filter(chain=institution.pk).exists()
    out, _error = _verify_output(capsys)
    assert "not the one it recorded" in out


def test_checkpoints_record_only_grown_chains_and_keep_the_state(users, regions):
    first, second = _make_history(users, regions), _make_history(users, regions)
    one, _problems = checkpoint_take()
    assert {(e.chain, e.length) for e in one.entries.all()} >= {(first.pk, 3), (second.pk, 3)}
    services.institution_update(actor=users["education_head"], institution_id=first.pk, data={"name": "新名"})
    two, problems = checkpoint_take()
    assert not problems
    assert [(e.chain, e.length) for e in two.entries.all()] == [(first.pk, 4)]
    assert two.previous_signature == one.signature and two.rows == one.rows + 1
    from regulator.audit_checkpoints import checkpoint_heads

    heads = {head.chain: head.length for head in checkpoint_heads(two)}
    assert heads[first.pk] == 4 and heads[second.pk] == 3


def test_a_changed_or_deleted_checkpoint_is_detected(users, regions, capsys):
    _make_history(users, regions)
    first, _p = checkpoint_take()
    _make_history(users, regions)
    second, _p = checkpoint_take()
    _as_insider(f"UPDATE {AuditCheckpointChain._meta.db_table} SET length = length - 1 WHERE checkpoint_id = %s",
                [second.pk])
    out, _error = _verify_output(capsys)
    assert f"checkpoint #{second.pk}: its signature does not hold" in out
    _as_insider(f"DELETE FROM {AuditCheckpointChain._meta.db_table} WHERE checkpoint_id = %s", [first.pk])
    _as_insider(f"DELETE FROM {AuditCheckpoint._meta.db_table} WHERE id = %s", [first.pk])
    out, _error = _verify_output(capsys)
    assert f"checkpoint #{second.pk} does not follow the checkpoint before it" in out


def test_tail_deletion_is_detected_against_an_exported_file(users, regions, capsys, tmp_path):
    """The insider also deletes the checkpoints: the file kept elsewhere still tells."""
    institution = _make_history(users, regions)
    rows = _chain_rows(institution)
    path = tmp_path / "checkpoint.json"
    call_command("audit_checkpoint", "--export", str(path))
    exported = json.loads(path.read_text())
    assert exported["rows"] == 3 and [institution.pk, 3, rows[-1].pk, rows[-1].hash] in exported["chains"]
    call_command("audit_verify", "--checkpoint", str(path))
    _as_insider(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [rows[-1].pk, rows[-2].pk])
    _as_insider(f"DELETE FROM {AuditCheckpointChain._meta.db_table}")
    _as_insider(f"DELETE FROM {AuditCheckpoint._meta.db_table}")
    call_command("audit_verify")  # the database alone no longer knows
    out, error = _verify_output(capsys, "--checkpoint", str(path))
    assert f"chain {institution.pk}, position 2, id ?: 2 row(s) deleted at the tail" in out
    assert "checkpoint file" in error


def test_an_edited_checkpoint_file_is_refused(users, regions, tmp_path):
    _make_history(users, regions)
    checkpoint_take()
    path = tmp_path / "checkpoint.json"
    checkpoint_export(path)
    data = json.loads(path.read_text())
    data["chains"][0][1] -= 1
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="signature does not hold"):
        call_command("audit_verify", "--checkpoint", str(path))


def test_a_checkpoint_file_signed_with_another_key_is_named_so(users, regions, tmp_path, settings):
    _make_history(users, regions)
    checkpoint_take()
    path = tmp_path / "checkpoint.json"
    checkpoint_export(path)
    settings.AUDIT_HMAC_KEY = "a-rotated-key"
    with pytest.raises(CommandError, match="signed with another key"):
        call_command("audit_verify", "--checkpoint", str(path))


def test_beat_job_takes_a_checkpoint_under_an_advisory_lock(users, regions):
    from regulator.tasks import audit_checkpoint

    _make_history(users, regions)
    result = audit_checkpoint.delay().get()
    assert result["checkpoint"] == AuditCheckpoint.objects.get().pk and result["problems"] == []


# ---- key rotation --------------------------------------------------------------------------------

def test_rekey_relinks_everything_and_refuses_a_tampered_trail(users, regions, settings, monkeypatch, capsys):
    institution = _make_history(users, regions)
    checkpoint_take()
    old = settings.AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEY = "the-new-key"
    monkeypatch.setenv("AUDIT_HMAC_OLD_KEY", old)
    _verify_output(capsys)  # nothing verifies under the new key before the rotation
    call_command("audit_rekey")
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out
    # A tampered trail is not laundered by a rotation.
    row = _chain_rows(institution)[1]
    _as_insider(f"UPDATE {TABLE} SET summary = 'forged' WHERE id = %s", [row.pk])
    monkeypatch.setenv("AUDIT_HMAC_OLD_KEY", "the-new-key")
    settings.AUDIT_HMAC_KEY = "a-third-key"
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("audit_rekey")


# ---- kinds ----------------------------------------------------------------------------------------

def test_record_event_refuses_an_unregistered_or_literal_kind(users):
    with transaction.atomic():
        with pytest.raises(audit.UnregisteredAuditKind):
            audit.record_event(actor=users["admin"], kind="institution_updated")
        with pytest.raises(audit.UnregisteredAuditKind):
            audit.record_event(actor=users["admin"], kind="institution.updated")  # a string, not the member
        audit.record_event(actor=users["admin"], kind=InstitutionsAuditKind.INSTITUTION_UPDATED)


def test_every_app_registers_its_kinds_in_one_style():
    kinds = audit.registered_kinds()
    prefixes = {kind.split(".")[0] for kind in kinds}
    assert {"institution", "licence", "visit", "order", "case", "list_entry", "report", "user"} <= prefixes
    assert all(audit._KIND_STYLE.match(kind) for kind in kinds)
    assert audit.kind_label("list_entry.published") == "公示名单"


def _migration():
    return importlib.import_module("regulator.migrations.0009_audit_kinds_and_hmac")


def test_the_data_migration_renames_to_registered_kinds():
    migration = _migration()
    kinds = audit.registered_kinds()
    assert set(migration.BY_KIND.values()) <= set(kinds)
    assert set(migration.BY_TYPE.values()) <= set(kinds)
    assert "institution.moved" in kinds


def _old_row(prev: str, *, kind: str, institution_id: int, object_type="institutions.institution", before=None,
             after=None, summary="旧记录"):
    """A row as the code before the registry wrote it: old kind, plain SHA-256 link."""
    from django.utils import timezone

    event = AuditEvent(created_at=timezone.now(), actor_id=None, institution_id=institution_id,
                       object_type=object_type, object_id=str(institution_id), kind=kind, summary=summary,
                       before=before, after=after, prev_hash=prev)
    event.hash = _plain_sha(event)
    event.save()
    return event


def test_the_data_migration_renames_and_relinks_and_reverses(users):
    migration = _migration()
    first = _old_row("0" * 64, kind="created", institution_id=987654, after={"name": "甲"})
    second = _old_row(first.hash, kind="updated", institution_id=987654, before={"region": "1"},
                      after={"region": "2"})
    third = _old_row(second.hash, kind="operating_state_changed", institution_id=987654)
    other = _old_row("0" * 64, kind="case_investigation", institution_id=987655, object_type="penalties.penaltycase")
    with audit.maintenance():
        migration.forwards(_FakeApps(), None)
    kinds = dict(AuditEvent.objects.filter(pk__in=[first.pk, second.pk, third.pk, other.pk])
                 .values_list("pk", "kind"))
    assert kinds == {first.pk: "institution.created", second.pk: "institution.moved",
                     third.pk: "institution.operating_state_changed", other.pk: "case.investigation_started"}
    assert not list(audit.verify_chains())
    with audit.maintenance():
        migration.backwards(_FakeApps(), None)
    assert AuditEvent.objects.get(pk=second.pk).kind == "updated"
    assert AuditEvent.objects.get(pk=second.pk).hash == second.hash  # the plain link it had


def test_the_data_migration_refuses_to_relink_a_broken_chain(users):
    migration = _migration()
    first = _old_row("0" * 64, kind="created", institution_id=987654)
    _old_row(first.hash, kind="updated", institution_id=987654)
    _as_insider(f"UPDATE {TABLE} SET summary = 'forged' WHERE id = %s", [first.pk])
    with pytest.raises(RuntimeError, match=f"audit row {first.pk}"), audit.maintenance():
        migration.forwards(_FakeApps(), None)


class _FakeApps:
    """The migration's `apps` argument: the real model has the same fields as the historical one."""

    def get_model(self, app_label, name):
        return AuditEvent
