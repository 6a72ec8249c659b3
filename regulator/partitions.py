"""Yearly range partitions of the big tables on PostgreSQL (docs/operations.md, "Data at scale").

`partition_by_year` turns a plain table into one partitioned by `RANGE (column)`, a partition a year and a DEFAULT
one (the audit trail's migration calls it; `unpartition` is its way back); `ensure_partitions` creates the
partitions of the coming years ahead of time (the daily beat job `regulator.tasks.ensure_partitions` and the
`ensure_partitions` command). A table that a foreign key references is refused: PostgreSQL lets a foreign key
reference a partitioned table only through a unique key that includes the partition key (docs/operations.md says
why the visits were left plain).

The tables are found in the catalogue (`pg_partitioned_table`), so this floor names no app's table. A partition of
`t` for year Y is `t_yY`, its bounds the first instant of the year in `settings.TIME_ZONE` for a timestamp column
(a date column: the dates); rows outside every year land in `t_default`. SQLite (the demo) keeps plain tables:
nothing here does anything there.

A table that foreign keys reference (the visits: fourteen tables point at them) is partitioned by its id instead
(`partition_by_id_year`): the ids a year are given come from that year's own range, `year × ID_YEAR_STRIDE` upwards
(a visit entered in 2027 gets 2027 0000000001, …), so a RANGE (id) partition a year holds the rows entered in that
year, the primary key stays `id` and every foreign key keeps its constraint. The column's default is a function
that takes the next id from the table's sequence and, on the first insert of a new year (local time), moves the
sequence up to the year's range under an advisory lock. Rows from before the partitioning keep their ids in
`t_before`; `t_later` (ids past the last year made) stands in for DEFAULT, which would keep PostgreSQL from reading
the partitions in id order (an ordered Append is what keeps "newest first" pages as cheap as on a plain table).
"""

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

from .audit import MAINTENANCE_SETTING
from .locks import advisory_lock

DEFAULT_SUFFIX = "_default"
# Years of existing rows further back than this get no partition of their own when a table is first partitioned
# (a mistyped 1900 would otherwise make a century of empty tables): their rows stay in the DEFAULT partition.
OLDEST_YEARS = 30


class PartitioningError(RuntimeError):
    """The table cannot be partitioned as it stands (a foreign key references it, a unique key lacks the partition
    key)."""


ID_YEAR_STRIDE = 10**10  # ids a year: ten thousand million, ~1,000 times a province's yearly visits
BEFORE_SUFFIX = "_before"
LATER_SUFFIX = "_later"


def partition_name(table: str, year: int) -> str:
    return f"{table}_y{year}"


def _is_postgresql(connection) -> bool:
    return connection.vendor == "postgresql"


def _bounds(column_type: str, year: int) -> tuple:
    if column_type == "bigint":  # partitioned by id: the year's range of ids
        return year * ID_YEAR_STRIDE, (year + 1) * ID_YEAR_STRIDE
    if column_type == "date":
        return f"{year}-01-01", f"{year + 1}-01-01"
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(year, 1, 1, tzinfo=zone).isoformat(), datetime(year + 1, 1, 1, tzinfo=zone).isoformat()


def _column_type(cursor, table: str, column: str) -> str:
    cursor.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
        [table, column])
    return cursor.fetchone()[0]


def _year_expression(quote, column: str, column_type: str) -> str:
    if column_type == "date":
        return f"extract(year FROM {quote(column)})::int"
    return f"extract(year FROM {quote(column)} AT TIME ZONE %s)::int"


def years_to_partition(connection, *, table: str, column: str, today=None, ahead: int = 1) -> list[int]:
    """The years a table's first partitioning gives a partition: every year its rows fall in (back to
    OLDEST_YEARS ago, up to next year), this year and the `ahead` years after it."""
    this_year = (today or timezone.localdate()).year
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        column_type = _column_type(cursor, table, column)
        params = [] if column_type == "date" else [settings.TIME_ZONE]
        cursor.execute(f"SELECT DISTINCT {_year_expression(quote, column, column_type)} FROM {quote(table)}",  # noqa: S608
                       params)
        existing = {row[0] for row in cursor.fetchall() if row[0] is not None}
    wanted = set(range(this_year, this_year + ahead + 1))
    wanted |= {year for year in existing if this_year - OLDEST_YEARS <= year <= this_year + ahead}
    return sorted(wanted)


def _definitions(cursor, table: str) -> dict:
    """What a rebuilt table must get back: its primary key's name, unique keys, foreign keys, indexes, triggers,
    and the state of its id sequence."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') AND conparentid = 0 ORDER BY conname",
        [table])
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid) "
        "ORDER BY i.relname", [table])
    indexes = cursor.fetchall()
    cursor.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
                   "AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname", [table])
    triggers = cursor.fetchall()
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a catalogue name
    last_value, is_called = cursor.fetchone()
    return {
        "primary_key": next(name for name, kind, _ in constraints if kind == "p"),
        "unique": [name for name, kind, _ in constraints if kind == "u"]
                  + [name for name, _, unique in indexes if unique],
        "foreign": [(name, definition) for name, kind, definition in constraints if kind == "f"],
        "indexes": [definition.replace(" ON ONLY ", " ON ") for _, definition, _ in indexes],
        "triggers": [definition for _, definition in triggers],
        "sequence": (last_value, is_called),
    }


def _restore(cursor, quote, *, table: str, found: dict, key: str) -> None:
    """What `_definitions` read, put back on the rebuilt table: the sequence's position, the primary key on `key`,
    the indexes, the outgoing foreign keys and the triggers."""
    last_value, is_called = found["sequence"]
    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [table, last_value, is_called])
    cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(found['primary_key'])} PRIMARY KEY ({key})")
    for definition in found["indexes"]:
        cursor.execute(definition)
    for name, definition in found["foreign"]:
        cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    for definition in found["triggers"]:
        cursor.execute(definition)


def _rebuild(connection, *, table: str, column: str | None, years: Iterable[int] = ()) -> None:
    """Replace `table` by a new one with the same columns, rows, id sequence, check constraints, indexes, foreign
    keys and triggers: partitioned by RANGE (column) with a partition for each of `years` and a DEFAULT one, its
    primary key (id, column); or, with column None, a plain table whose primary key is id again."""
    quote = connection.ops.quote_name
    staging = f"{table}__rebuilt"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '5s'")  # docs/operations.md: never queue every writer behind us
        cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                       "WHERE contype = 'f' AND confrelid = %s::regclass AND conparentid = 0", [table])
        incoming = cursor.fetchall()
        if incoming and column is not None:
            raise PartitioningError(
                f"{table} cannot be partitioned while foreign keys reference it: "
                + ", ".join(f"{name} on {referencing}" for referencing, name in incoming)
                + " (declare them with db_constraint=False first)")
        found = _definitions(cursor, table)
        if found["unique"] and column is not None:
            raise PartitioningError(f"{table} has unique keys without its partition key: {', '.join(found['unique'])}")
        partitioning = f" PARTITION BY RANGE ({quote(column)})" if column else ""
        cursor.execute(
            f"CREATE TABLE {quote(staging)} (LIKE {quote(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS){partitioning}")
        if column:
            column_type = _column_type(cursor, table, column)
            for year in years:
                low, high = _bounds(column_type, year)
                cursor.execute(f"CREATE TABLE {quote(partition_name(table, year))} PARTITION OF {quote(staging)} "
                               "FOR VALUES FROM (%s) TO (%s)", [low, high])
            cursor.execute(f"CREATE TABLE {quote(table + DEFAULT_SUFFIX)} PARTITION OF {quote(staging)} DEFAULT")
        # In the order of the ids, which is the order of the audit chains; the ids are copied as they are.
        cursor.execute(f"INSERT INTO {quote(staging)} OVERRIDING SYSTEM VALUE "  # noqa: S608 - constant names
                       f"SELECT * FROM {quote(table)} ORDER BY id")
        cursor.execute(f"DROP TABLE {quote(table)}")
        cursor.execute(f"ALTER TABLE {quote(staging)} RENAME TO {quote(table)}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {quote(table + '_id_seq')}")
        # The sequence goes on where the old one was, so no id is ever given twice (ids are unique by it alone
        # once the primary key includes the partition key).
        _restore(cursor, quote, table=table, found=found, key=f"id, {quote(column)}" if column else "id")


def partition_by_year(connection, *, table: str, column: str, years: Iterable[int] | None = None) -> None:
    """A migration's step (PostgreSQL; nothing on SQLite): `table` partitioned by the year of `column`."""
    if not _is_postgresql(connection):
        return
    if years is None:
        years = years_to_partition(connection, table=table, column=column)
    _rebuild(connection, table=table, column=column, years=years)


def unpartition(connection, *, table: str) -> None:
    """The way back (PostgreSQL; nothing on SQLite): `table` a plain table again, its rows kept."""
    if not _is_postgresql(connection):
        return
    _rebuild(connection, table=table, column=None)


# ---- tables that foreign keys reference: partitioned by their ids, a range of ids a year ---------------

def next_id_function(table: str) -> str:
    return f"{table}_next_id"


def _incoming_foreign_keys(cursor, table: str) -> list[tuple[str, str, str]]:
    """(referencing table, name, definition) of every foreign key of another table that references `table`."""
    cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE contype = 'f' AND confrelid = %s::regclass AND conrelid <> confrelid AND conparentid = 0 "
                   "ORDER BY 1, 2", [table])
    return cursor.fetchall()


def _create_next_id_function(cursor, quote, table: str) -> None:
    """The id column's default: the sequence's next value, moved up to this year's range on the year's first
    insert. Two sessions at the turn of the year: the lock and the second look make exactly one of them move it."""
    sequence = f"{table}_id_seq"
    cursor.execute(f"""
        CREATE OR REPLACE FUNCTION {quote(next_id_function(table))}() RETURNS bigint LANGUAGE plpgsql AS $body$
        DECLARE
            floor bigint := extract(year FROM now() AT TIME ZONE '{settings.TIME_ZONE}')::bigint * {ID_YEAR_STRIDE};
            given bigint := nextval('{sequence}');
        BEGIN
            IF given >= floor THEN
                RETURN given;
            END IF;
            PERFORM pg_advisory_xact_lock(hashtext('{sequence}'));
            given := nextval('{sequence}');
            IF given < floor THEN
                PERFORM setval('{sequence}', floor, false);
                given := nextval('{sequence}');
            END IF;
            RETURN given;
        END
        $body$""")


def _rebuild_by_id(connection, *, table: str, years: Iterable[int] | None) -> None:
    """Replace `table` by a new one with the same columns, rows, ids, indexes and triggers, and every foreign key
    from and to it: partitioned by RANGE (id) with `t_before` for the existing rows, a partition for each of
    `years` and `t_later`, its ids from `next_id_function`; or, with years None, a plain table with an identity
    column again."""
    quote = connection.ops.quote_name
    staging = f"{table}__rebuilt"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '5s'")
        cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
        found = _definitions(cursor, table)
        if found["unique"]:
            raise PartitioningError(f"{table} has unique keys without its partition key: {', '.join(found['unique'])}")
        incoming = _incoming_foreign_keys(cursor, table)
        for referencing, name, _ in incoming:
            cursor.execute(f"ALTER TABLE {quote(referencing)} DROP CONSTRAINT {quote(name)}")
        if years is not None:
            # Ids already given from a year's range (the table was partitioned before) keep their year's partition.
            cursor.execute(f"SELECT DISTINCT id / {ID_YEAR_STRIDE} FROM {quote(table)} "  # noqa: S608
                           f"WHERE id >= {ID_YEAR_STRIDE}")
            coded = {row[0] for row in cursor.fetchall()}
            if coded and min(coded) < 1000:
                raise PartitioningError(f"{table} holds ids that belong to no year's range (from "
                                        f"{min(coded) * ID_YEAR_STRIDE})")
            years = sorted(set(years) | coded)
            cursor.execute(f"CREATE TABLE {quote(staging)} (LIKE {quote(table)} INCLUDING DEFAULTS "
                           "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (id)")
            cursor.execute(f"CREATE TABLE {quote(table + BEFORE_SUFFIX)} PARTITION OF {quote(staging)} "
                           "FOR VALUES FROM (MINVALUE) TO (%s)", [years[0] * ID_YEAR_STRIDE])
            low = years[0]
            for year in range(years[0], years[-1] + 1):
                cursor.execute(f"CREATE TABLE {quote(partition_name(table, year))} PARTITION OF {quote(staging)} "
                               "FOR VALUES FROM (%s) TO (%s)", _bounds("bigint", year))
                low = year + 1
            cursor.execute(f"CREATE TABLE {quote(table + LATER_SUFFIX)} PARTITION OF {quote(staging)} "
                           "FOR VALUES FROM (%s) TO (MAXVALUE)", [low * ID_YEAR_STRIDE])
        else:
            cursor.execute(f"CREATE TABLE {quote(staging)} (LIKE {quote(table)} INCLUDING DEFAULTS "
                           "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)")
            cursor.execute(f"ALTER TABLE {quote(staging)} ALTER COLUMN id DROP DEFAULT")
        cursor.execute(f"INSERT INTO {quote(staging)} SELECT * FROM {quote(table)} ORDER BY id")  # noqa: S608
        cursor.execute(f"DROP TABLE {quote(table)}")  # its sequence (identity or owned) goes with it
        cursor.execute(f"DROP FUNCTION IF EXISTS {quote(next_id_function(table))}()")
        cursor.execute(f"ALTER TABLE {quote(staging)} RENAME TO {quote(table)}")
        if years is not None:
            sequence = quote(f"{table}_id_seq")
            cursor.execute(f"CREATE SEQUENCE {sequence} AS bigint OWNED BY {quote(table)}.id")
            _create_next_id_function(cursor, quote, table)
            cursor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN id SET DEFAULT "
                           f"{quote(next_id_function(table))}()")
        else:
            # Made after the rename, so its sequence is `t_id_seq` again.
            cursor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        _restore(cursor, quote, table=table, found=found, key="id")
        for referencing, name, definition in incoming:
            cursor.execute(f"ALTER TABLE {quote(referencing)} ADD CONSTRAINT {quote(name)} {definition}")


def partition_by_id_year(connection, *, table: str, years: Iterable[int] | None = None, today=None,
                         ahead: int = 1) -> None:
    """A migration's step (PostgreSQL; nothing on SQLite): `table`, which foreign keys may reference, partitioned
    by RANGE (id), a range of ids a year, from this year and `ahead` years after it (or `years`)."""
    if not _is_postgresql(connection):
        return
    if years is None:
        this_year = (today or timezone.localdate()).year
        years = range(this_year, this_year + ahead + 1)
    _rebuild_by_id(connection, table=table, years=years)


def unpartition_by_id(connection, *, table: str) -> None:
    """The way back (PostgreSQL; nothing on SQLite): a plain table with an identity column, rows and ids kept."""
    if not _is_postgresql(connection):
        return
    _rebuild_by_id(connection, table=table, years=None)


# ---- partitions ahead of time ------------------------------------------------------------------

def partitioned_tables(connection=None) -> list[tuple[str, str, str]]:
    """(table, column, column type) of each table of the schema partitioned by RANGE of one column."""
    connection = connection or default_connection
    if not _is_postgresql(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_partitioned_table p "
            "JOIN pg_class c ON c.oid = p.partrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0] "
            "WHERE p.partstrat = 'r' AND p.partnatts = 1 AND c.relnamespace = current_schema()::regnamespace "
            "ORDER BY c.relname")
        return cursor.fetchall()


def partitions_of(table: str, connection=None) -> list[str]:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass ORDER BY c.relname", [table])
        return [row[0] for row in cursor.fetchall()]


def _create_id_partition(cursor, quote, *, table: str, year: int) -> bool:
    """The partition of `year`'s ids, cut from the bottom of the empty `t_later` (made again above it). Ids of a
    year beyond every partition (the job missed a whole year) sit in `t_later`: rows that foreign keys reference
    cannot be moved by a job, so it refuses and says what to do (docs/operations.md)."""
    low, high = _bounds("bigint", year)
    later = table + LATER_SUFFIX
    cursor.execute("SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.oid = to_regclass(%s)",
                   [quote(later)])
    row = cursor.fetchone()
    if row is None:
        raise PartitioningError(f"{table} has no {later} partition")
    later_low = int(row[0].split("FROM (")[1].split(")")[0].strip("'"))
    if later_low > low:  # a year before the partitioning (its ids are in t_before) or between made ones
        return False
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(later)})")  # noqa: S608 - a catalogue name
    if cursor.fetchone()[0]:
        raise PartitioningError(
            f"{later} holds rows: ids were given past the last yearly partition; create the missing years by hand "
            "(docs/operations.md, 'Visits in t_later')")
    cursor.execute(f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(later)}")
    cursor.execute(f"DROP TABLE {quote(later)}")
    if later_low < low:  # years skipped below this one (a gap asked for by --year): one partition each
        for gap in range(later_low // ID_YEAR_STRIDE, year):
            cursor.execute(f"CREATE TABLE {quote(partition_name(table, gap))} PARTITION OF {quote(table)} "
                           "FOR VALUES FROM (%s) TO (%s)", _bounds("bigint", gap))
    cursor.execute(f"CREATE TABLE {quote(partition_name(table, year))} PARTITION OF {quote(table)} "
                   "FOR VALUES FROM (%s) TO (%s)", [low, high])
    cursor.execute(f"CREATE TABLE {quote(later)} PARTITION OF {quote(table)} FOR VALUES FROM (%s) TO (MAXVALUE)",
                   [high])
    return True


def _create_partition(cursor, quote, *, table: str, column: str, column_type: str, year: int) -> bool:
    """The partition of `year`, if it is missing; rows of that year already in the DEFAULT partition (a row dated
    years ahead) are moved into it. Returns whether it was created."""
    name = partition_name(table, year)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [quote(name)])
    if cursor.fetchone()[0]:
        return False
    if column_type == "bigint":
        return _create_id_partition(cursor, quote, table=table, year=year)
    low, high = _bounds(column_type, year)
    default = quote(table + DEFAULT_SUFFIX)
    in_range = f"{quote(column)} >= %s AND {quote(column)} < %s"
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {in_range})", [low, high])  # noqa: S608
    if not cursor.fetchone()[0]:
        cursor.execute(f"CREATE TABLE {quote(name)} PARTITION OF {quote(table)} FOR VALUES FROM (%s) TO (%s)",
                       [low, high])
        return True
    # PostgreSQL refuses a partition whose rows the DEFAULT one holds: move them, then attach. On the audit table
    # such a row means a clock gone wrong, and its trigger lets the move through only for a superuser in the
    # maintenance hatch (docs/audit.md): any other role gets the trigger's refusal, not a silent move.
    cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(f"INSERT INTO {quote(name)} SELECT * FROM {default} WHERE {in_range}", [low, high])  # noqa: S608
    cursor.execute("SELECT set_config(%s, 'on', true)", [MAINTENANCE_SETTING])
    cursor.execute(f"DELETE FROM {default} WHERE {in_range}", [low, high])  # noqa: S608
    cursor.execute("SELECT set_config(%s, 'off', true)", [MAINTENANCE_SETTING])
    cursor.execute(f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} FOR VALUES FROM (%s) TO (%s)",
                   [low, high])
    return True


def ensure_partitions(*, years: Iterable[int] | None = None, ahead: int = 1, today=None) -> dict[str, list[str]]:
    """Create the missing partitions of every partitioned table for this year and the `ahead` next ones (or for
    `years`). Idempotent: an existing partition is left as it is. Returns the partitions created, per table."""
    if not _is_postgresql(default_connection):
        return {}
    if years is None:
        this_year = (today or timezone.localdate()).year
        years = range(this_year, this_year + ahead + 1)
    quote = default_connection.ops.quote_name
    created: dict[str, list[str]] = {}
    for table, column, column_type in partitioned_tables():
        made = []
        for year in sorted(set(years)):
            with transaction.atomic(), default_connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                if _create_partition(cursor, quote, table=table, column=column, column_type=column_type, year=year):
                    made.append(partition_name(table, year))
        created[table] = made
    return created


def ensure_partitions_run(*, ahead: int = 1, today=None) -> dict:
    """The daily job: next year's partitions ahead of time, under an advisory lock so a second beat does nothing."""
    with advisory_lock("regulator.ensure_partitions") as acquired:
        if not acquired:
            return {"skipped": True}
        created = ensure_partitions(ahead=ahead, today=today)
    return {"created": sum(len(names) for names in created.values()), "tables": len(created)}
