"""On PostgreSQL, refuse UPDATE and DELETE on the audit trail and its checkpoints (issue 11), in the database itself.

A plain trigger rather than django-pgtrigger: it is one function and three triggers, written once, and a package
would add a dependency and its own migration machinery for that. SQLite (the demo) has no such trigger.

The maintenance escape hatch (docs/audit.md): a transaction may change rows only if the role running it is a
superuser *and* it has set the session variable `regulator.audit_maintenance` to `on` (regulator.audit's
maintenance(), used by `audit_rekey`). The application's own database role should not be a superuser, so with
its credentials alone the rows cannot be changed. TRUNCATE is not refused here, because Django's test runner
empties tables with it; revoke TRUNCATE from the application's role in production instead (docs/audit.md), and a
truncated table is noticed by `audit_verify` against a checkpoint.
"""

from django.db import migrations

TABLES = ["regulator_auditevent", "regulator_auditcheckpoint", "regulator_auditcheckpointchain"]

FUNCTION = """
CREATE OR REPLACE FUNCTION regulator_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('regulator.audit_maintenance', true), '') = 'on'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'see docs/audit.md (maintenance escape hatch)';
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # its RAISE uses %, which is no parameter
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION regulator_audit_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS regulator_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("regulator", "0009_audit_kinds_and_hmac")]

    operations = [migrations.RunPython(forwards, backwards)]
