"""The factories reach every state through the services: each trait's row is one the application wrote."""

import datetime

import pytest
from django.utils import timezone

from inspections.models import ProblemItem, Signature, VisitOutcome, VisitStatus
from penalties.models import (
    CaseStatus,
    Decision,
    ItemStatus,
    OrderStatus,
    PenaltyCase,
    ServiceRecord,
    SuspensionStatus,
)
from publicity.models import Batch, EntryStatus, ListKind, ReportStatus, ReportStep
from regulator.models import AuditEvent, VerificationRecord
from tests.factories import (
    CampaignFactory,
    InstitutionFactory,
    ListEntryFactory,
    PenaltyCaseFactory,
    RectificationOrderFactory,
    ReportFactory,
    SpotCheckDrawFactory,
    SuspensionNoticeFactory,
    VisitFactory,
    at,
)


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"], name="阳光艺术培训学校")


def _events(obj) -> list[str]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
                .order_by("id").values_list("kind", flat=True))


def test_visit_traits(users, institution):
    planned = VisitFactory(institution=institution)
    assert planned.status == VisitStatus.PLANNED and planned.lead_department.name == "历下区教育局"
    assert [a.inspector for a in planned.assignments.all()] == [users["education_inspector"]]
    assert planned.answers.count() == 11 and _events(planned) == ["visit.planned"]
    started = VisitFactory(institution=institution, in_progress=True)
    assert started.status == VisitStatus.IN_PROGRESS and started.started_by == users["education_inspector"]
    clean = VisitFactory(institution=institution, submitted=True)
    assert clean.status == VisitStatus.SUBMITTED and not clean.problem_items.exists()
    assert Signature.objects.filter(visit=clean, refused=False).exists()
    failed = VisitFactory(institution=institution, with_problems=True)
    assert list(failed.problem_items.values_list("checklist_item__position", flat=True)) == [3]
    decided = VisitFactory(institution=institution, with_problems=True, with_outcome=True)
    assert decided.outcome == VisitOutcome.RECTIFICATION and decided.outcome_at
    assert VisitFactory(institution=institution, with_outcome=True).outcome == VisitOutcome.NO_PROBLEM
    assert ProblemItem.objects.count() == 2


def test_visit_clock_is_now(users, institution):
    moment = at(datetime.date(2025, 5, 14), hour=10)
    visit = VisitFactory(institution=institution, with_problems=True, now=moment)
    assert visit.planned_on == datetime.date(2025, 5, 14)
    assert visit.started_at == visit.submitted_at == moment
    assert AuditEvent.objects.filter(object_id=str(visit.pk), kind="visit.submitted").get().created_at == moment


def test_campaign_is_created_by_the_joint_office(users, departments):
    campaign = CampaignFactory(lead_department=departments["education"])
    assert campaign.created_by == users["joint_office"]
    assert list(campaign.departments.all()) == [departments["education"]]


@pytest.mark.parametrize("status", OrderStatus.values)
def test_order_reaches_every_status(users, institution, status):
    order = RectificationOrderFactory(institution=institution, status=status)
    assert order.status == status and order.drafted_by == users["education_inspector"]
    issued = status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)
    assert bool(order.number) is issued
    assert VerificationRecord.objects.filter(object_id=str(order.pk)).exists() is issued
    assert (order.approved_by == users["education_head"]) is issued
    served = status in (OrderStatus.SERVED, OrderStatus.CLOSED, OrderStatus.OVERDUE, OrderStatus.ESCALATED)
    assert ServiceRecord.objects.filter(document_id=order.pk).exists() is served
    assert (order.overdue_at is not None) is (status in (OrderStatus.OVERDUE, OrderStatus.ESCALATED))
    assert order.overdue_at is None or order.overdue_at < timezone.now()
    assert order.escalated_at is None or order.escalated_at < timezone.now()
    assert PenaltyCase.objects.filter(source_order=order).exists() is (status == OrderStatus.ESCALATED)
    closed = status == OrderStatus.CLOSED
    assert all((item.status == ItemStatus.CLOSED) is closed for item in order.items.all())
    assert _events(order)[0] == "order.drafted"


def test_order_moments_are_the_services_clock(users, institution):
    approved = at(datetime.date(2025, 5, 14))
    order = RectificationOrderFactory(institution=institution, closed=True, approved_at=approved,
                                      deadline=datetime.date(2025, 6, 30), closed_at=at(datetime.date(2025, 6, 1)))
    assert (order.approved_at, order.served_at) == (approved, approved)
    assert order.closed_at == at(datetime.date(2025, 6, 1))
    assert order.number.endswith("第1号") and "责改字〔" in order.number
    overdue = RectificationOrderFactory(institution=institution, overdue=True, deadline=datetime.date(2025, 5, 10))
    assert overdue.overdue_at == at(datetime.date(2025, 5, 11), hour=1)


@pytest.mark.parametrize("status", SuspensionStatus.values)
def test_notice_reaches_every_status(users, institution, status):
    notice = SuspensionNoticeFactory(institution=institution, status=status)
    assert notice.status == status
    assert bool(notice.number) is (status != SuspensionStatus.DRAFT)
    served = status in (SuspensionStatus.SERVED, SuspensionStatus.COMPLETED)
    assert (notice.served_at is not None) is served
    institution.refresh_from_db()
    assert (institution.operating_state == "suspended") is served


@pytest.mark.parametrize("status", CaseStatus.values)
def test_case_reaches_every_status(users, institution, status):
    case = PenaltyCaseFactory(institution=institution, status=status)
    assert case.status == status and case.opened_by == users["education_inspector"]
    decided = status in (CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.ENFORCEMENT, CaseStatus.EXECUTED,
                         CaseStatus.CLOSED)
    assert Decision.objects.filter(case=case).exists() is decided
    assert (case.statement_recorded_at is not None) is decided


@pytest.mark.parametrize("status", EntryStatus.values)
def test_entry_reaches_every_status(users, institution, status):
    entry = ListEntryFactory(institution=institution, status=status)
    assert entry.status == status and entry.proposed_by == users["education_inspector"]
    published = status in (EntryStatus.PUBLISHED, EntryStatus.REMOVAL_PROPOSED, EntryStatus.REMOVED)
    assert Batch.objects.filter(entries=entry).exists() is published
    assert (entry.approved_by == users["joint_office"]) is (published or status == EntryStatus.APPROVED)


def test_black_entry(users, institution):
    entry = ListEntryFactory(institution=institution, black=True, published=True)
    assert (entry.list_kind, entry.black_category, entry.status) == (ListKind.BLACK, "unlicensed",
                                                                      EntryStatus.PUBLISHED)


@pytest.mark.parametrize("status", ReportStatus.values)
def test_report_reaches_every_status(users, departments, regions, status):
    report = ReportFactory(region=regions["township"], status=status)
    assert report.status == status
    assert list(ReportStep.objects.filter(report=report).values_list("status", flat=True))[-1] == status
    assert (report.department == departments["education"]) is (status != ReportStatus.REGISTERED)


def test_report_with_a_past_deadline_is_filed_before_it(users, regions, institution):
    deadline = timezone.localdate() - datetime.timedelta(days=1)
    report = ReportFactory(institution=institution, verifying=True, deadline=deadline)
    assert report.deadline == deadline and timezone.localdate(report.received_at) < deadline
    assert report.region == institution.region


def test_published_draw(users, departments, regions):
    InstitutionFactory.create_batch(3, region=regions["township"])
    draw = SpotCheckDrawFactory(campaign__lead_department=departments["education"],
                                campaign__departments=[departments["market"]], sample_size=2, published=True)
    assert draw.published_at and draw.visits.count() == 2
    assert set(draw.visits.values_list("status", "outcome")) == {(VisitStatus.SUBMITTED, VisitOutcome.NO_PROBLEM)}
