"""The audit trail partitioned by year on PostgreSQL (regulator.partitions, issue 17); the visits stay plain.

Partitions of years far ahead (2040…) are made inside each test's transaction, so the tests do not depend on
today's date and leave nothing behind.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from inspections.models import Visit
from institutions.audit_kinds import InstitutionsAuditKind
from regulator import audit, partitions
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory
from tests.regulator.test_summary import lock_held_elsewhere

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite (the demo) keeps plain tables"),
]

AUDIT = AuditEvent._meta.db_table
VISITS = Visit._meta.db_table
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _event(institution_id: int, at: datetime, summary: str = "") -> AuditEvent:
    return audit.record_event(actor=None, kind=InstitutionsAuditKind.INSTITUTION_UPDATED,
                              object_type="institutions.institution", object_id=institution_id,
                              institution_id=institution_id, summary=summary, now=at)


def _as_insider(sql: str, params=()) -> None:
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def far_years():
    partitions.ensure_partitions(years=[2040, 2041])
    return 2040, 2041


# ---- the tables ----------------------------------------------------------------------------------

def test_the_audit_table_is_partitioned_by_year_and_the_visits_are_not():
    assert partitions.partitioned_tables() == [(AUDIT, "created_at", "timestamp with time zone")]
    this_year = date.today().year
    names = partitions.partitions_of(AUDIT)
    assert f"{AUDIT}_default" in names
    assert {f"{AUDIT}_y{this_year}", f"{AUDIT}_y{this_year + 1}"} <= set(names)
    assert partitions.partitions_of(VISITS) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' "
                       "AND conrelid = %s::regclass", [AUDIT])
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, created_at)"
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [AUDIT])
        assert cursor.fetchone()[0] == 1  # the append-only trigger, on the partitioned table


def test_a_table_that_foreign_keys_reference_is_refused():
    """Why the visits stay plain (docs/operations.md): fourteen foreign keys reference them."""
    with pytest.raises(partitions.PartitioningError, match="foreign keys reference it") as error:
        partitions.partition_by_year(connection, table=VISITS, column="planned_on", years=[2040])
    assert "inspections_checklistanswer" in str(error.value) and "penalties_rectificationorder" in str(error.value)
    assert partitions.partitions_of(VISITS) == []


def test_audit_rows_land_in_the_partition_of_their_local_year(far_years):
    last_of_2040 = _event(1, datetime(2040, 12, 31, 23, 30, tzinfo=SHANGHAI))  # 15:30 UTC, still 2040 in China
    first_of_2041 = _event(1, datetime(2041, 1, 1, 0, 10, tzinfo=SHANGHAI))  # 2040-12-31 16:10 UTC
    long_ago = _event(1, datetime(1999, 5, 1, tzinfo=SHANGHAI))
    assert _partition_of(AUDIT, last_of_2040.pk) == f"{AUDIT}_y2040"
    assert _partition_of(AUDIT, first_of_2041.pk) == f"{AUDIT}_y2041"
    assert _partition_of(AUDIT, long_ago.pk) == f"{AUDIT}_default"


def test_a_year_filter_reads_one_partition(far_years):
    plan = AuditEvent.objects.filter(created_at__year=2040).explain()  # Django makes __year a BETWEEN
    assert set(re.findall(rf"{AUDIT}_(y\d+|default)", plan)) == {"y2040"}
    plan = AuditEvent.objects.filter(institution_id=1).order_by("-id")[:1].explain()  # the chain's head: all
    assert {"y2040", "y2041", "default"} <= set(re.findall(rf"{AUDIT}_(y\d+|default)", plan))


# ---- the chain across partitions -----------------------------------------------------------------

def _chain_across_years():
    """One institution's chain: two rows in 2040, two in 2041, in the order of their ids."""
    institution = InstitutionFactory()
    times = [datetime(2040, 6, 1, tzinfo=SHANGHAI), datetime(2040, 12, 31, 23, 59, tzinfo=SHANGHAI),
             datetime(2041, 1, 1, 0, 1, tzinfo=SHANGHAI), datetime(2041, 3, 1, tzinfo=SHANGHAI)]
    events = [_event(institution.pk, at, f"第{n}次") for n, at in enumerate(times, start=1)]
    assert [_partition_of(AUDIT, event.pk).rsplit("_", 1)[1] for event in events] == ["y2040", "y2040", "y2041",
                                                                                       "y2041"]
    return institution, events


def test_audit_verify_passes_over_a_chain_spanning_two_partitions(far_years, capsys):
    institution, events = _chain_across_years()
    assert events[2].prev_hash == events[1].hash  # the link crosses the year
    assert list(audit.verify_chains()) == []
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_tampering_in_either_partition_is_still_detected(far_years, capsys):
    from regulator.audit_checkpoints import checkpoint_take

    institution, events = _chain_across_years()
    checkpoint_take()
    _as_insider(f"UPDATE {AUDIT} SET summary = 'forged' WHERE id = %s", [events[1].pk])  # noqa: S608 - 2040's
    _as_insider(f"DELETE FROM {AUDIT} WHERE id = %s", [events[3].pk])  # noqa: S608 - 2041's last row
    problems = [str(problem) for problem in audit.verify_chains() if problem.chain == institution.pk]
    assert problems[0].startswith(f"chain {institution.pk}, position 2, id {events[1].pk}: content changed")
    with pytest.raises(CommandError):
        call_command("audit_verify")
    out = capsys.readouterr().out
    assert f"chain {institution.pk}, position 2, id {events[1].pk}: content changed" in out
    assert f"chain {institution.pk}, position 4, id {events[3].pk}: 1 row(s) deleted at the tail" in out


def test_deleting_the_row_at_the_year_boundary_breaks_the_link(far_years, capsys):
    institution, events = _chain_across_years()
    _as_insider(f"DELETE FROM {AUDIT} WHERE id = %s", [events[1].pk])  # noqa: S608
    with pytest.raises(CommandError):
        call_command("audit_verify")
    assert f"chain {institution.pk}, position 2, id {events[2].pk}: link broken" in capsys.readouterr().out


# ---- partitions ahead of time --------------------------------------------------------------------

def test_the_partition_job_is_idempotent(capsys):
    first = partitions.ensure_partitions(years=[2045, 2046])
    assert first == {AUDIT: [f"{AUDIT}_y2045", f"{AUDIT}_y2046"]}
    assert partitions.ensure_partitions(years=[2045, 2046]) == {AUDIT: []}
    call_command("ensure_partitions", "--year", "2045")
    out = capsys.readouterr().out
    assert "created" not in out and f"{AUDIT}_y2045, {AUDIT}_y2046" in out


def test_the_beat_job_makes_this_and_next_years_partitions_under_a_lock():
    from regulator.tasks import ensure_partitions

    assert ensure_partitions.delay().get() == {"created": 0, "tables": 1}  # the migration made them already
    result = partitions.ensure_partitions_run(today=date(2047, 7, 1))
    assert result == {"created": 2, "tables": 1}
    assert {f"{AUDIT}_y2047", f"{AUDIT}_y2048"} <= set(partitions.partitions_of(AUDIT))
    with lock_held_elsewhere("regulator.ensure_partitions"):
        assert partitions.ensure_partitions_run(today=date(2049, 7, 1)) == {"skipped": True}
    assert f"{AUDIT}_y2049" not in partitions.partitions_of(AUDIT)


def test_a_new_partition_takes_its_rows_out_of_the_default_one():
    """A row dated past every partition (a clock gone wrong) waits in DEFAULT and moves when its year is made
    (through the maintenance hatch: the tests' role is a superuser, as the owner running the job should be)."""
    institution = InstitutionFactory()
    events = [_event(institution.pk, datetime(2050, month, 1, tzinfo=SHANGHAI)) for month in (5, 6)]
    assert {_partition_of(AUDIT, event.pk) for event in events} == {f"{AUDIT}_default"}
    assert partitions.ensure_partitions(years=[2050]) == {AUDIT: [f"{AUDIT}_y2050"]}
    assert {_partition_of(AUDIT, event.pk) for event in events} == {f"{AUDIT}_y2050"}
    assert list(audit.verify_chains()) == []
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AUDIT} WHERE id = %s", [events[0].pk])  # noqa: S608 - the new one's trigger


# ---- the migration's way there and back ----------------------------------------------------------

def test_the_migration_moves_the_rows_and_its_reverse_brings_them_back(far_years):
    institution, events = _chain_across_years()
    last_year = date.today().year - 1  # no partition of its own yet: the migration of the test database had no rows
    old = _event(institution.pk, datetime(last_year, 3, 1, tzinfo=SHANGHAI))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending deferred checks, before a DROP
    partitions.unpartition(connection, table=AUDIT)
    assert partitions.partitioned_tables() == []
    assert _partition_of(AUDIT, events[3].pk) == AUDIT
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AUDIT} WHERE id = %s", [events[0].pk])  # noqa: S608
    partitions.partition_by_year(connection, table=AUDIT, column="created_at")  # the years are read from the rows
    assert _partition_of(AUDIT, old.pk) == f"{AUDIT}_y{last_year}"
    assert _partition_of(AUDIT, events[0].pk) == f"{AUDIT}_default"  # 2040 is past next year: no partition yet
    partitions.ensure_partitions(years=[2040, 2041])
    assert _partition_of(AUDIT, events[0].pk) == f"{AUDIT}_y2040"
    assert _partition_of(AUDIT, events[3].pk) == f"{AUDIT}_y2041"
    assert list(audit.verify_chains()) == []
    later = _event(institution.pk, datetime(2041, 6, 1, tzinfo=SHANGHAI))
    assert later.pk > max(old.pk, events[3].pk) and later.prev_hash == old.hash  # the sequence and the chain go on
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AUDIT} WHERE id = %s", [events[0].pk])  # noqa: S608
