"""Trigram GIN indexes for Chinese substring search (PostgreSQL only; SQLite scans, which is fine for a demo)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS inst_name_trgm ON institutions_institution USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS inst_address_trgm ON institutions_institution USING gin (address gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS inst_credit_code_pattern ON institutions_institution (credit_code varchar_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS inst_name_trgm",
    "DROP INDEX IF EXISTS inst_address_trgm",
    "DROP INDEX IF EXISTS inst_credit_code_pattern",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("institutions", "0002_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
