"""Fixtures for the penalties tests: an institution in 历下区 and orders, notices, cases in any status."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from penalties.models import (
    CaseSource,
    CaseStatus,
    ItemStatus,
    OrderItem,
    OrderStatus,
    PenaltyCase,
    RectificationOrder,
    SuspensionNotice,
    SuspensionStatus,
)
from tests.factories import InstitutionFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = {"approved", "served", "closed", "overdue", "escalated"}


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    """A moment on a local calendar day, for moving the chaser's clock."""
    return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"], name="阳光艺术培训学校")


@pytest.fixture
def other_institution(regions):
    return InstitutionFactory(region=regions["other_township"], name="市中区某培训中心")


_serial = iter(range(1, 10_000_000))


def make_order(
    *, institution, department, drafted_by, status=OrderStatus.DRAFT, deadline=None, items=2, served=False
) -> RectificationOrder:
    today = timezone.localdate()
    number = ""
    serial = None
    if status in ISSUED or (status == OrderStatus.CANCELLED and served):
        serial = next(_serial)
        number = f"测试〔{today.year}〕整改第{serial:04d}号"
    now = timezone.now()
    order = RectificationOrder.objects.create(
        institution=institution,
        department=department,
        drafted_by=drafted_by,
        status=status,
        deadline=deadline or today + datetime.timedelta(days=30),
        number=number,
        serial=serial,
        year=today.year if serial else None,
        approved_at=now if number else None,
        served_at=now if status in {"served", "closed", "overdue", "escalated"} else None,
    )
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                position=i,
                text=f"问题{i}：未公示收费项目",
                legal_basis="《价格法》第十三条",
                status=ItemStatus.CLOSED if status == OrderStatus.CLOSED else ItemStatus.OPEN,
                closed_at=now if status == OrderStatus.CLOSED else None,
                closing_method="documents" if status == OrderStatus.CLOSED else "",
            )
            for i in range(1, items + 1)
        ]
    )
    return order


def make_notice(*, institution, department, drafted_by, status=SuspensionStatus.DRAFT, refund_deadline=None):
    today = timezone.localdate()
    serial = next(_serial) if status != SuspensionStatus.DRAFT else None
    return SuspensionNotice.objects.create(
        institution=institution,
        department=department,
        drafted_by=drafted_by,
        status=status,
        facts="在居民住宅内开展学科类培训",
        legal_basis="《民办教育促进法》第六十四条",
        refund_deadline=refund_deadline or today + datetime.timedelta(days=30),
        serial=serial,
        year=today.year if serial else None,
        number=f"测试〔{today.year}〕停办第{serial:04d}号" if serial else "",
        approved_at=timezone.now() if serial else None,
    )


def make_case(*, institution, department, opened_by, status=CaseStatus.LEAD) -> PenaltyCase:
    return PenaltyCase.objects.create(
        institution=institution,
        department=department,
        source=CaseSource.INSPECTION,
        summary="检查发现违规收费",
        status=status,
        opened_at=timezone.now(),
        opened_by=opened_by,
    )


@pytest.fixture
def draft_order(institution, departments, users):
    return make_order(
        institution=institution, department=departments["education"], drafted_by=users["education_inspector"]
    )


@pytest.fixture
def served_order(institution, departments, users):
    return make_order(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.SERVED,
    )


def decision_data(*rows, facts="事实") -> dict:
    """The POST of the decision form: facts and a formset of (kind, amount, legal basis) rows."""
    data = {"facts": facts, "penalties-TOTAL_FORMS": str(max(len(rows), 1)), "penalties-INITIAL_FORMS": "0"}
    for i, (kind, amount, basis) in enumerate(rows):
        data.update({f"penalties-{i}-kind": kind, f"penalties-{i}-amount": amount, f"penalties-{i}-legal_basis": basis})
    return data
