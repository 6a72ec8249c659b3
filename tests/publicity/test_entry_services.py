"""List entries: propose → review → approve → publish → removal; corrections; refusals write nothing."""

import datetime
import hashlib
import json

import pytest
from django.core.cache import cache

from penalties.models import CaseStatus
from publicity import services
from publicity.cache import VERSION_KEY, current_version
from publicity.models import Batch, EntryStatus, ListEntry, ListKind, Removal, Statement
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent, VerificationRecord
from tests.factories import ListEntryFactory, PenaltyCaseFactory

ALL_STATUSES = [
    EntryStatus.PROPOSED,
    EntryStatus.REVIEWED,
    EntryStatus.REJECTED,
    EntryStatus.APPROVED,
    EntryStatus.PUBLISHED,
    EntryStatus.REMOVAL_PROPOSED,
    EntryStatus.REMOVED,
]


def _counts():
    return (
        ListEntry.objects.count(),
        Batch.objects.count(),
        Removal.objects.count(),
        Statement.objects.count(),
        AuditEvent.objects.count(),
        VerificationRecord.objects.count(),
    )


def _state(entry):
    entry.refresh_from_db()
    return entry.status, entry.reviewed_at, entry.approved_at, entry.batch_id, entry.removed_at


@pytest.mark.django_db
def test_full_lifecycle_publishes_a_verifiable_batch(institution, users):
    entry = ListEntryFactory(
        institution=institution,
        status=EntryStatus.APPROVED,
        list_kind=ListKind.BLACK,
        reason="超范围培训",
        black_category="licensed_violating",
    )
    batch = services.batch_publish(
        entry_ids=[entry.pk], actor=users["joint_office"], as_of=datetime.date(2026, 3, 1)
    )
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED and entry.batch == batch and entry.published_at
    assert batch.number.endswith("第1批") and f"〔{batch.year}〕" in batch.number
    assert hashlib.sha256(batch.canonical_json.encode()).hexdigest() == batch.sha256
    content = json.loads(batch.canonical_json)
    assert content["as_of"] == "2026-03-01"
    assert [e["entry_id"] for e in content["entries"]] == [entry.pk]
    assert "internal_remark" not in batch.canonical_json
    record = VerificationRecord.objects.get(object_type="publicity.batch", object_id=str(batch.pk))
    assert record.sha256 == batch.sha256 and record.number == batch.number
    assert AuditEvent.objects.filter(kind="list_entry.published", object_id=str(entry.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_publish_bumps_public_cache_version_on_commit(institution, users):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.APPROVED)
    before = current_version()
    services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
    assert cache.get(VERSION_KEY) == before + 1


@pytest.mark.django_db
def test_batch_numbers_are_sequential(institution, users, regions):
    from tests.factories import InstitutionFactory, ListEntryFactory

    first = ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED)
    second = ListEntryFactory(institution=InstitutionFactory(region=regions["county"]), status=EntryStatus.PUBLISHED)
    assert first.batch.serial + 1 == second.batch.serial


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != EntryStatus.APPROVED])
def test_publishing_an_entry_not_approved_is_refused_and_writes_nothing(institution, users, status):
    approved = ListEntryFactory(institution=institution, status=EntryStatus.APPROVED)
    other = ListEntryFactory(institution=institution, status=status)
    counts, approved_state, other_state = _counts(), _state(approved), _state(other)
    with pytest.raises(TransitionNotAllowed) as error:
        services.batch_publish(entry_ids=[approved.pk, other.pk], actor=users["joint_office"])
    assert f"#{other.pk}" in error.value.message
    assert _counts() == counts
    assert _state(approved) == approved_state and _state(other) == other_state


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_key",
    [
        "education_inspector",
        "market_head",
        "market_inspector",
        "police_inspector",
        "other_county_inspector",
        "prefecture_head",
    ],
)
def test_only_the_joint_office_publishes(institution, users, user_key):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.APPROVED)
    counts = _counts()
    with pytest.raises(ActionForbidden):
        services.batch_publish(entry_ids=[entry.pk], actor=users[user_key])
    assert _counts() == counts and _state(entry)[0] == EntryStatus.APPROVED


@pytest.mark.django_db
def test_head_of_joint_office_seat_may_publish(institution, users):
    # The education department seats the joint office; its head counts as the joint office.
    entry = ListEntryFactory(institution=institution, status=EntryStatus.APPROVED)
    batch = services.batch_publish(entry_ids=[entry.pk], actor=users["education_head"])
    entry.refresh_from_db()
    assert entry.batch == batch and entry.status == EntryStatus.PUBLISHED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != EntryStatus.PROPOSED])
def test_review_only_from_proposed(institution, users, status):
    entry = ListEntryFactory(institution=institution, status=status)
    counts, state = _counts(), _state(entry)
    with pytest.raises(TransitionNotAllowed):
        services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=True)
    assert _counts() == counts and _state(entry) == state


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_key", ["education_inspector", "market_head", "prefecture_head", "police_inspector"]
)
def test_review_only_by_head_of_proposing_department(institution, users, user_key):
    entry = ListEntryFactory(institution=institution)
    counts = _counts()
    with pytest.raises(ActionForbidden):
        services.list_entry_review(entry_id=entry.pk, actor=users[user_key], approve=True)
    assert _counts() == counts and _state(entry)[0] == EntryStatus.PROPOSED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != EntryStatus.REVIEWED])
def test_approve_only_from_reviewed(institution, users, status):
    entry = ListEntryFactory(institution=institution, status=status)
    counts, state = _counts(), _state(entry)
    with pytest.raises(TransitionNotAllowed):
        services.list_entry_approve(entry_id=entry.pk, actor=users["joint_office"])
    assert _counts() == counts and _state(entry) == state


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", ["education_inspector", "market_head", "police_inspector"])
def test_approve_only_by_joint_office(institution, users, user_key):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.REVIEWED)
    counts = _counts()
    with pytest.raises(ActionForbidden):
        services.list_entry_approve(entry_id=entry.pk, actor=users[user_key])
    assert _counts() == counts and _state(entry)[0] == EntryStatus.REVIEWED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != EntryStatus.PUBLISHED])
def test_removing_an_entry_not_published_is_refused(institution, users, status):
    entry = ListEntryFactory(institution=institution, status=status)
    counts, state = _counts(), _state(entry)
    with pytest.raises(TransitionNotAllowed):
        services.removal_propose(entry_id=entry.pk, actor=users["education_inspector"], reason="已整改")
    assert _counts() == counts and _state(entry) == state


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != EntryStatus.REMOVAL_PROPOSED])
def test_removal_approval_needs_a_pending_removal(institution, users, status):
    entry = ListEntryFactory(institution=institution, status=status)
    counts, state = _counts(), _state(entry)
    with pytest.raises(TransitionNotAllowed):
        services.removal_approve(entry_id=entry.pk, actor=users["joint_office"])
    assert _counts() == counts and _state(entry) == state


@pytest.mark.django_db(transaction=True)
def test_removal_takes_entry_off_and_records_date(institution, users):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.REMOVAL_PROPOSED)
    with pytest.raises(ActionForbidden):
        services.removal_approve(entry_id=entry.pk, actor=users["market_head"])
    before = current_version()
    removal = services.removal_approve(entry_id=entry.pk, actor=users["joint_office"])
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REMOVED and entry.removed_at
    assert removal.state == Removal.State.APPROVED and removal.removed_on and removal.reason == "已整改到位"
    assert cache.get(VERSION_KEY) == before + 1


@pytest.mark.django_db
def test_correction_is_a_new_version_and_the_old_one_never_changes(institution, users):
    entry = ListEntryFactory(
        institution=institution, status=EntryStatus.PUBLISHED, list_kind=ListKind.BLACK, reason="原因甲"
    )
    original = (entry.reason, entry.published_at, entry.batch_id, entry.status)
    correction = services.list_entry_correct(
        entry_id=entry.pk, actor=users["education_inspector"], reason="原因乙"
    )
    assert correction.version == 2 and correction.supersedes_id == entry.pk
    with pytest.raises(TransitionNotAllowed):
        services.list_entry_correct(entry_id=entry.pk, actor=users["education_inspector"], reason="原因丙")
    services.list_entry_review(entry_id=correction.pk, actor=users["education_head"], approve=True)
    services.list_entry_approve(entry_id=correction.pk, actor=users["joint_office"])
    services.batch_publish(entry_ids=[correction.pk], actor=users["joint_office"])
    entry.refresh_from_db()
    correction.refresh_from_db()
    assert (entry.reason, entry.published_at, entry.batch_id, entry.status) == original
    assert entry.superseded_at is not None
    assert correction.status == EntryStatus.PUBLISHED and correction.corrected_at == correction.published_at
    from publicity.selectors import published_entries

    assert list(published_entries().values_list("pk", flat=True)) == [correction.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [EntryStatus.APPROVED, EntryStatus.PUBLISHED, EntryStatus.REJECTED, EntryStatus.REMOVED]
)
def test_statement_only_before_decision(institution, users, status):
    entry = ListEntryFactory(institution=institution, status=status)
    counts = _counts()
    with pytest.raises(TransitionNotAllowed):
        services.statement_record(
            entry_id=entry.pk,
            actor=users["education_inspector"],
            text="我方已整改",
            received_on=datetime.date(2026, 1, 5),
        )
    assert _counts() == counts


@pytest.mark.django_db
def test_statement_recorded_with_answer(institution, users):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.REVIEWED)
    statement = services.statement_record(
        entry_id=entry.pk,
        actor=users["education_inspector"],
        text="我方已整改",
        answer="不予采纳：现场复查仍在违规",
        received_on=datetime.date(2026, 1, 5),
    )
    assert statement.entry == entry and statement.answer.startswith("不予采纳")


@pytest.mark.django_db
def test_propose_refused_outside_region_and_with_bad_input(institution, users):
    counts = _counts()
    with pytest.raises(ActionForbidden):
        services.list_entry_propose(
            institution=institution,
            list_kind="white",
            reason="x",
            source_type="manual",
            source_id=None,
            actor=users["other_county_inspector"],
        )
    with pytest.raises(ServiceError):
        services.list_entry_propose(
            institution=institution,
            list_kind="grey",
            reason="x",
            source_type="manual",
            source_id=None,
            actor=users["education_inspector"],
        )
    with pytest.raises(ServiceError):
        services.list_entry_propose(
            institution=institution,
            list_kind="black",
            reason="  ",
            source_type="manual",
            source_id=None,
            actor=users["education_inspector"],
        )
    assert _counts() == counts


@pytest.mark.django_db
def test_propose_from_penalty_decision_keeps_source(institution, users):
    case = PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED)
    entry = services.list_entry_propose(
        institution=institution,
        list_kind="black",
        reason="处罚决定",
        source_type="penalty_decision",
        source_id=case.pk,
        actor=users["education_head"],
    )
    assert (entry.source_type, entry.source_object_type, entry.source_object_id) == (
        "penalty_decision",
        "penalty_decision",
        str(case.pk),
    )
    assert entry.black_category == "other"
