"""A black-list entry: proposed from a case only after its decision (or from an order only once escalated),
the institution told, and approved only after the statement period (5 working days) has run out."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from penalties.models import CaseStatus, OrderStatus
from publicity import services
from publicity.models import EntryStatus, ListEntry, ListKind
from regulator.calendar import add_working_days
from regulator.errors import ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests.factories import ListEntryFactory, PenaltyCaseFactory, RectificationOrderFactory

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()


def _moment(day: datetime.date, hour=10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


def _propose(institution, users, **kwargs):
    return services.list_entry_propose(
        institution=institution, list_kind=ListKind.BLACK, reason="无证无照擅自开展培训",
        actor=users["education_inspector"], **kwargs,
    )


@pytest.mark.parametrize("status", [CaseStatus.LEAD, CaseStatus.FILED, CaseStatus.INVESTIGATION,
                                    CaseStatus.NOTICE_OF_RIGHTS, CaseStatus.DROPPED])
def test_a_case_gives_a_proposal_only_after_its_decision(institution, users, status):
    case = PenaltyCaseFactory(institution=institution, status=status)
    count = ListEntry.objects.count()
    with pytest.raises(ServiceError, match="尚未作出行政处罚决定"):
        _propose(institution, users, source_type="penalty_decision", source_id=case.pk)
    assert ListEntry.objects.count() == count


def test_a_decided_case_and_an_escalated_order_give_proposals(institution, users):
    case = PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED)
    assert _propose(institution, users, source_type="penalty_decision", source_id=case.pk).status == "proposed"
    order = RectificationOrderFactory(institution=institution, status=OrderStatus.SERVED)
    with pytest.raises(ServiceError, match="尚未逾期升级处理"):
        _propose(institution, users, source_type="overdue_order", source_id=order.pk)
    with pytest.raises(ServiceError, match="不存在"):
        _propose(institution, users, source_type="penalty_decision", source_id=999999)
    with pytest.raises(ServiceError):
        _propose(institution, users, source_type="penalty_decision", source_id=None)


def test_approval_waits_for_the_notice_and_five_working_days(institution, users, settings):
    """Told on Monday 2026-09-21: five working days, 中秋节 (Friday 09-25) not counted, run to Tuesday 09-29; the
    joint office's approval is refused every day until the day after, and nothing is written by a refusal."""
    settings.BLACK_LIST_STATEMENT_WORKING_DAYS = 5
    proposed = _moment(datetime.date(2026, 9, 21), 9)
    entry = _propose(institution, users, now=proposed)
    services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=True, now=proposed)
    office = users["joint_office"]
    events = AuditEvent.objects.count()
    with pytest.raises(TransitionNotAllowed, match="尚未告知机构"):
        services.list_entry_approve(entry_id=entry.pk, actor=office, now=proposed)
    assert AuditEvent.objects.count() == events

    entry = services.list_entry_notify(entry_id=entry.pk, actor=users["education_inspector"],
                                       notified_on=datetime.date(2026, 9, 21), method="直接送达告知书",
                                       now=proposed)
    assert entry.statement_due == add_working_days(datetime.date(2026, 9, 21), 5) == datetime.date(2026, 9, 29)
    for day in range(21, 30):
        with pytest.raises(TransitionNotAllowed, match="陈述申辩期限（5个工作日，至2026-09-29）尚未届满"):
            services.list_entry_approve(entry_id=entry.pk, actor=office, now=_moment(datetime.date(2026, 9, day)))
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REVIEWED and entry.approved_at is None
    # the day after the period: approved
    approved = services.list_entry_approve(entry_id=entry.pk, actor=office,
                                           now=_moment(datetime.date(2026, 9, 30)))
    assert approved.status == EntryStatus.APPROVED


def test_the_statement_period_skips_national_day(institution, users):
    proposed = _moment(datetime.date(2026, 9, 29))
    entry = _propose(institution, users, now=proposed)
    entry = services.list_entry_notify(entry_id=entry.pk, actor=users["education_inspector"],
                                       notified_on=datetime.date(2026, 9, 30), method="邮寄送达",
                                       now=_moment(datetime.date(2026, 9, 30)))
    assert entry.statement_due > datetime.date(2026, 10, 8)


def test_notice_refuses_bad_input(institution, users):
    proposed = _moment(datetime.date(2026, 9, 21))
    entry = _propose(institution, users, now=proposed)
    inspector = users["education_inspector"]
    for notified_on, method, message in [
        (datetime.date(2026, 9, 20), "直接送达", "不能早于提出日期"),
        (datetime.date(2026, 9, 23), "直接送达", "不能晚于今天"),
        (datetime.date(2026, 9, 21), "  ", "请填写告知方式"),
    ]:
        with pytest.raises(ServiceError, match=message):
            services.list_entry_notify(entry_id=entry.pk, actor=inspector, notified_on=notified_on,
                                       method=method, now=_moment(datetime.date(2026, 9, 22)))
    entry.refresh_from_db()
    assert entry.notified_on is None and entry.statement_due is None
    white = ListEntryFactory(institution=institution)
    with pytest.raises(ServiceError, match="只有新提出的黑名单条目"):
        services.list_entry_notify(entry_id=white.pk, actor=inspector, notified_on=datetime.date(2026, 9, 21),
                                   method="直接送达", now=proposed)


def test_early_approval_on_the_page_shows_the_message(institution, users, joint_office_client):
    entry = _propose(institution, users)
    services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=True)
    services.list_entry_notify(entry_id=entry.pk, actor=users["education_inspector"],
                               notified_on=timezone.localdate(), method="直接送达告知书")
    client = joint_office_client
    response = client.post(reverse("publicity:entry_action", args=[entry.pk, "approve"]),
                           {"decision": "approve", "note": ""}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "尚未届满" in page
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REVIEWED


def test_notice_form_on_the_page(institution, users, education_inspector_client):
    entry = _propose(institution, users)
    client = education_inspector_client
    page = client.get(reverse("publicity:entry_detail", args=[entry.pk])).content.decode()
    assert 'id="notify-form"' in page and "尚未告知" in page
    client.post(reverse("publicity:entry_action", args=[entry.pk, "notify"]),
                {"notified_on": timezone.localdate().isoformat(), "method": "直接送达告知书"})
    entry.refresh_from_db()
    assert entry.notified_on == timezone.localdate() and entry.statement_due
    assert AuditEvent.objects.filter(kind="list_entry.notified", object_id=str(entry.pk)).exists()
