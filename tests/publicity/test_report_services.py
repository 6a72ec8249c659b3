"""Reports: filing, the ledger steps, every disallowed transition, identity visibility, deadline chasing."""

import datetime

import pytest
from django.utils import timezone

from publicity import permissions, services
from publicity.models import Report, ReportStatus, ReportStep
from publicity.tasks import chase_report_deadlines
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent, Notification
from tests.factories import ReportFactory

from .conftest import REPORTER_NAME, REPORTER_PHONE

ORDER = [
    ReportStatus.REGISTERED,
    ReportStatus.ASSIGNED,
    ReportStatus.VERIFYING,
    ReportStatus.HANDLING,
    ReportStatus.REPLIED,
    ReportStatus.CLOSED,
]


# Filed by a parent who gave a name and a phone number; ReportFactory walks it through the services.
IDENTIFIED = {"reporter_name": REPORTER_NAME, "reporter_phone": REPORTER_PHONE}


def _counts():
    return Report.objects.count(), ReportStep.objects.count(), AuditEvent.objects.count()


@pytest.mark.django_db
def test_filed_report_has_unguessable_number_and_deadline(institution, users):
    report = ReportFactory(institution=institution, **IDENTIFIED)
    assert len(report.tracking_number) == services.TRACKING_LENGTH
    assert report.tracking_display.count("-") == 3
    assert services.normalize_tracking_number(report.tracking_display.lower()) == report.tracking_number
    assert report.deadline == add_working_days(timezone.localdate(report.received_at), 15)
    assert not report.is_anonymous and report.reporter_name == REPORTER_NAME
    event = AuditEvent.objects.get(kind="report.filed")
    assert REPORTER_NAME not in str(event.after) and REPORTER_PHONE not in str(event.after)


@pytest.mark.django_db
def test_full_ledger_walk(institution, users):
    report = ReportFactory(institution=institution, status=ReportStatus.CLOSED, reply="已责令停止", **IDENTIFIED)
    assert report.status == ReportStatus.CLOSED and report.reply == "已责令停止" and report.closed_at
    assert list(report.steps.values_list("status", flat=True)) == ORDER


ALLOWED = {
    "assign": {ReportStatus.REGISTERED, ReportStatus.ASSIGNED},
    "verify": {ReportStatus.ASSIGNED},
    "handle": {ReportStatus.VERIFYING},
    "reply": {ReportStatus.VERIFYING, ReportStatus.HANDLING},
    "close": {ReportStatus.REPLIED},
    "return": {ReportStatus.ASSIGNED, ReportStatus.VERIFYING, ReportStatus.HANDLING},
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status"),
    [(action, status) for action, allowed in ALLOWED.items() for status in ORDER if status not in allowed],
)
def test_disallowed_report_transitions_write_nothing(institution, users, departments, status, action):
    report = ReportFactory(institution=institution, status=status, **IDENTIFIED)
    counts = _counts()
    calls = {
        "assign": lambda: services.report_assign(
            report_id=report.pk, actor=users["joint_office"], department=departments["education"]
        ),
        "verify": lambda: services.report_verify(report_id=report.pk, actor=users["education_inspector"]),
        "handle": lambda: services.report_handle(report_id=report.pk, actor=users["education_inspector"]),
        "reply": lambda: services.report_reply(
            report_id=report.pk, actor=users["education_inspector"], reply="x"
        ),
        "close": lambda: services.report_close(report_id=report.pk, actor=users["education_head"]),
        "return": lambda: services.report_return(
            report_id=report.pk, actor=users["education_head"], reason="不属于本部门职责"
        ),
    }
    with pytest.raises(ServiceError):
        calls[action]()
    assert _counts() == counts
    report_after = Report.objects.get(pk=report.pk)
    assert report_after.status == status


@pytest.mark.django_db
def test_only_assigned_department_works_and_sees_identity(institution, users):
    report = ReportFactory(institution=institution, status=ReportStatus.ASSIGNED, **IDENTIFIED)
    counts = _counts()
    for key in ("market_head", "police_inspector", "other_county_inspector"):
        with pytest.raises(ActionForbidden):
            services.report_verify(report_id=report.pk, actor=users[key])
    assert _counts() == counts
    assert permissions.can_see_reporter_identity(users["education_inspector"], report)
    assert not permissions.can_see_reporter_identity(users["market_head"], report)
    assert not permissions.can_see_reporter_identity(users["prefecture_head"], report)
    unassigned = ReportFactory(institution=institution, **IDENTIFIED)
    assert not permissions.can_see_reporter_identity(users["education_inspector"], unassigned)


@pytest.mark.django_db
def test_inspector_cannot_close_and_assign_needs_rights(institution, users, departments):
    report = ReportFactory(institution=institution, status=ReportStatus.REPLIED, **IDENTIFIED)
    with pytest.raises(ActionForbidden):
        services.report_close(report_id=report.pk, actor=users["education_inspector"])
    fresh = ReportFactory(institution=institution, **IDENTIFIED)
    with pytest.raises(ActionForbidden):
        services.report_assign(
            report_id=fresh.pk, actor=users["education_inspector"], department=departments["education"]
        )
    with pytest.raises(ServiceError):
        services.report_assign(
            report_id=fresh.pk, actor=users["joint_office"], department=departments["other_education"]
        )


@pytest.mark.django_db
def test_reply_must_have_text(institution, users):
    report = ReportFactory(institution=institution, status=ReportStatus.HANDLING, **IDENTIFIED)
    with pytest.raises(ServiceError):
        services.report_reply(report_id=report.pk, actor=users["education_inspector"], reply="   ")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.HANDLING


@pytest.mark.django_db
def test_unregistered_report_needs_name_or_address(regions):
    with pytest.raises(ServiceError):
        services.report_file(region=regions["county"], content="有人违规培训")
    report = services.report_file(
        region=regions["county"],
        content="有人违规培训",
        subject_name="某小区补课点",
        subject_address="历下区某小区3号楼",
    )
    assert report.is_anonymous and report.institution is None


@pytest.mark.django_db
def test_deadline_chaser_notifies_heads_once(institution, users):
    report = ReportFactory(institution=institution, status=ReportStatus.VERIFYING, **IDENTIFIED)
    near = timezone.make_aware(
        datetime.datetime.combine(report.deadline - datetime.timedelta(days=1), datetime.time(9))
    )
    assert services.chase_report_deadlines(now=near) >= 1
    heads = set(Notification.objects.values_list("recipient__username", flat=True))
    assert heads == {"edu_head", "joint_office"}
    assert services.chase_report_deadlines(now=near) == 0
    late = near + datetime.timedelta(days=3)
    assert services.chase_report_deadlines(now=late) == 2
    assert Notification.objects.filter(subject__contains="已超过").count() == 2
    assert chase_report_deadlines.apply().get() == 0


@pytest.mark.django_db
def test_deadline_chaser_ignores_closed_and_far_reports(institution, users):
    ReportFactory(institution=institution, status=ReportStatus.CLOSED, **IDENTIFIED)
    ReportFactory(institution=institution, status=ReportStatus.ASSIGNED, **IDENTIFIED)
    assert services.chase_report_deadlines() == 0
    assert Notification.objects.count() == 0
