"""The audit trail and the visits partitioned by year on PostgreSQL (regulator.partitions, issue 17): the audit
trail by its created_at, the visits (which fourteen tables reference) by their ids, a range of ids a year.

Partitions of years far ahead (2040…) are made inside each test's transaction, so the tests do not depend on
today's date and leave nothing behind.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from inspections.models import Visit
from institutions.audit_kinds import InstitutionsAuditKind
from regulator import audit, partitions
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, VisitFactory
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

def _visit_years(*years: int) -> list[str]:
    return [f"{VISITS}_y{year}" for year in years]


def test_the_audit_table_and_the_visits_are_partitioned_by_year():
    assert partitions.partitioned_tables() == [(VISITS, "id", "bigint"),
                                               (AUDIT, "created_at", "timestamp with time zone")]
    this_year = date.today().year
    names = partitions.partitions_of(AUDIT)
    assert f"{AUDIT}_default" in names
    assert {f"{AUDIT}_y{this_year}", f"{AUDIT}_y{this_year + 1}"} <= set(names)
    assert set(partitions.partitions_of(VISITS)) >= {f"{VISITS}_before", f"{VISITS}_later",
                                                      *_visit_years(this_year, this_year + 1)}
    assert f"{VISITS}_default" not in partitions.partitions_of(VISITS)  # it would spoil the ordered scans
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' "
                       "AND conrelid = %s::regclass", [AUDIT])
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, created_at)"
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [AUDIT])
        assert cursor.fetchone()[0] == 1  # the append-only trigger, on the partitioned table
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' "
                       "AND conrelid = %s::regclass", [VISITS])
        assert cursor.fetchone()[0] == "PRIMARY KEY (id)"
        cursor.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                       "AND confrelid = %s::regclass AND conparentid = 0", [VISITS])
        referencing = {row[0] for row in cursor.fetchall()}
    # Every foreign key to a visit kept its constraint.
    assert len(referencing) == 14 and {"inspections_checklistanswer", "penalties_rectificationorder",
                                       "institutions_annualinspection", VISITS} <= referencing


def test_a_visit_takes_its_id_from_this_years_range_and_its_partition():
    this_year = date.today().year
    # The turn of a year: the sequence still in last year's ids (here below every range) is moved up to this
    # year's range by the year's first insert.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), 41)", [VISITS])
    first = VisitFactory()
    assert first.pk == this_year * partitions.ID_YEAR_STRIDE
    assert _partition_of(VISITS, first.pk) == f"{VISITS}_y{this_year}"
    assert VisitFactory().pk == first.pk + 1


def test_the_foreign_keys_to_a_visit_still_hold():
    from django.utils import timezone

    from inspections.models import VisitAmendment
    from tests.factories import UserFactory

    user = UserFactory()
    missing = (date.today().year + 1) * partitions.ID_YEAR_STRIDE + 999
    with pytest.raises(IntegrityError, match="inspections_visit"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        VisitAmendment.objects.create(visit_id=missing, reason="更正", created_at=timezone.now(), created_by=user)


def test_a_visit_by_id_reads_one_partition_and_newest_first_reads_them_in_order():
    this_year = date.today().year
    visit = VisitFactory()
    plan = Visit.objects.filter(pk=visit.pk).explain()
    assert set(re.findall(rf"{VISITS}_(y\d+|before|later)", plan)) == {f"y{this_year}"}
    plan = Visit.objects.order_by("-id")[:50].explain()
    assert "Merge Append" not in plan and "Sort" not in plan  # the partitions read one after another, newest first


def test_a_table_that_foreign_keys_reference_is_refused_a_partition_by_date():
    """A partition key other than the id would cut every foreign key that references the table."""
    with pytest.raises(partitions.PartitioningError, match="foreign keys reference it") as error:
        partitions.partition_by_year(connection, table="institutions_institution", column="created_at", years=[2040])
    assert "institutions_licence" in str(error.value)
    assert partitions.partitions_of("institutions_institution") == []


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
    assert first == {AUDIT: [f"{AUDIT}_y2045", f"{AUDIT}_y2046"], VISITS: _visit_years(2045, 2046)}
    # The visits' ranges of ids follow one another: the years between next year and 2045 were made too.
    assert set(_visit_years(*range(date.today().year, 2047))) <= set(partitions.partitions_of(VISITS))
    assert partitions.ensure_partitions(years=[2045, 2046]) == {AUDIT: [], VISITS: []}
    call_command("ensure_partitions", "--year", "2045")
    out = capsys.readouterr().out
    assert "created" not in out and f"{AUDIT}_y2045, {AUDIT}_y2046" in out
    assert f"{VISITS}_y2046, {VISITS}_later" not in out  # sorted by name: later comes before the years
    assert f"{VISITS}: {VISITS}_before, {VISITS}_later, " in out


def test_a_visit_year_before_the_partitioning_needs_no_partition():
    assert partitions.ensure_partitions(years=[2001]) == {AUDIT: [f"{AUDIT}_y2001"], VISITS: []}


def test_ids_past_every_visit_partition_stop_the_job_with_a_reason():
    """The job missed a whole year: the ids went on into `t_later`, rows that foreign keys reference, which a job
    must not move. It refuses, and the visit is still there to read."""
    beyond = date.today().year + 2  # the migration made this year's and next year's
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM inspections_visit_id_seq")
        was = cursor.fetchone()[0]
        cursor.execute("SELECT setval('inspections_visit_id_seq', %s)", [beyond * partitions.ID_YEAR_STRIDE])
    try:
        visit = VisitFactory()
        assert _partition_of(VISITS, visit.pk) == f"{VISITS}_later"
        with pytest.raises(partitions.PartitioningError, match="_later holds rows"):
            partitions.ensure_partitions(years=[beyond])
        assert Visit.objects.get(pk=visit.pk) == visit
    finally:  # a sequence is outside the test's transaction: the other tests' visits are this year's again
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('inspections_visit_id_seq', %s)", [was])


def test_the_beat_job_makes_this_and_next_years_partitions_under_a_lock():
    from regulator.tasks import ensure_partitions

    assert ensure_partitions.delay().get() == {"created": 0, "tables": 2}  # the migration made them already
    result = partitions.ensure_partitions_run(today=date(2047, 7, 1))
    assert result == {"created": 4, "tables": 2}
    assert {f"{AUDIT}_y2047", f"{AUDIT}_y2048"} <= set(partitions.partitions_of(AUDIT))
    assert set(_visit_years(2047, 2048)) <= set(partitions.partitions_of(VISITS))
    with lock_held_elsewhere("regulator.ensure_partitions"):
        assert partitions.ensure_partitions_run(today=date(2049, 7, 1)) == {"skipped": True}
    assert f"{AUDIT}_y2049" not in partitions.partitions_of(AUDIT)


def test_a_new_partition_takes_its_rows_out_of_the_default_one():
    """A row dated past every partition (a clock gone wrong) waits in DEFAULT and moves when its year is made
    (through the maintenance hatch: the tests' role is a superuser, as the owner running the job should be)."""
    institution = InstitutionFactory()
    events = [_event(institution.pk, datetime(2050, month, 1, tzinfo=SHANGHAI)) for month in (5, 6)]
    assert {_partition_of(AUDIT, event.pk) for event in events} == {f"{AUDIT}_default"}
    assert partitions.ensure_partitions(years=[2050]) == {AUDIT: [f"{AUDIT}_y2050"], VISITS: _visit_years(2050)}
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
    assert partitions.partitioned_tables() == [(VISITS, "id", "bigint")]
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


def test_the_visits_migration_and_its_reverse_keep_the_rows_their_ids_and_every_foreign_key():
    from inspections.models import VisitAmendment
    from tests.factories import UserFactory

    this_year = date.today().year
    visit = VisitFactory()
    user = UserFactory()
    amendment = VisitAmendment.objects.create(visit=visit, reason="更正", created_at=visit.created_at, created_by=user)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    partitions.unpartition_by_id(connection, table=VISITS)
    assert partitions.partitions_of(VISITS) == []
    assert Visit.objects.get(pk=visit.pk) == visit and amendment.visit_id == visit.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT attidentity FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'id'",
                       [VISITS])
        assert cursor.fetchone()[0] == "d"  # Django's identity column again
    plain = VisitFactory()
    assert plain.pk == visit.pk + 1  # the sequence went on where it was
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitAmendment.objects.create(visit_id=plain.pk + 100, reason="更正", created_at=visit.created_at,
                                      created_by=user)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    partitions.partition_by_id_year(connection, table=VISITS)
    assert {_partition_of(VISITS, visit.pk), _partition_of(VISITS, plain.pk)} == {f"{VISITS}_y{this_year}"}
    assert VisitFactory().pk == plain.pk + 1
    assert VisitAmendment.objects.get(pk=amendment.pk).visit == visit
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitAmendment.objects.create(visit_id=plain.pk + 100, reason="更正", created_at=visit.created_at,
                                      created_by=user)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
