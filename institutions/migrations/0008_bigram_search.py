"""Character bigrams of name and address under a GIN index, for two-character Chinese search (英语, 数学, 舞蹈).

pg_trgm cannot serve a term under three characters (it has no trigram to look up), so those searches scanned a
county's rows; pg_bigm is not available on every platform. `institution_bigrams(name, address, region_id)` is an
IMMUTABLE SQL function giving the distinct two-character substrings of name and address, and '#' + every prefix
of the region code (2 digits and more: no bigram looks like it); the expression index on it answers
`institution_bigrams(…) @> ARRAY[term, '#440106']`, which for a two-character term is exactly "name or address
contains term, under region 440106" (institutions.filters.search_q), intersected inside one index scan. No column
is stored: PostgreSQL computes the array on write.
PostgreSQL only; SQLite keeps LIKE, which is fine for the demo. docs/search.md has the figures.
"""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS inst_bigrams",
    "DROP FUNCTION IF EXISTS institution_bigrams(text, text)",
    """
    CREATE OR REPLACE FUNCTION institution_bigrams(name text, address text, region text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
      SELECT coalesce(array_agg(DISTINCT gram), '{}') FROM (
        SELECT substr(name, i, 2) AS gram FROM generate_series(1, char_length(name) - 1) AS i
        UNION ALL
        SELECT substr(address, i, 2) FROM generate_series(1, char_length(address) - 1) AS i
        UNION ALL
        SELECT '#' || left(region, i) FROM generate_series(2, char_length(region)) AS i
      ) AS grams
    $$
    """,
    "CREATE INDEX IF NOT EXISTS inst_bigrams ON institutions_institution "
    "USING gin (institution_bigrams(name, address, region_id))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS inst_bigrams",
    "DROP FUNCTION IF EXISTS institution_bigrams(text, text, text)",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("institutions", "0007_dashboard_indexes")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
