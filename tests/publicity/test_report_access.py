"""Reports against an insider of another department: assignment only by the joint office, hand-back by the
assigned head, the reporter's identity shown only to the handling department and every look audited, and
list-entry statements, corrections and removals only by the proposing department. Refused requests write
nothing."""

import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from publicity import permissions, services
from publicity.models import EntryStatus, Report, ReportStatus, ReportStep, Statement
from publicity.selectors import public_report_steps
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent, Notification, Role
from tests.factories import ListEntryFactory, UserFactory

from .conftest import REPORTER_NAME, REPORTER_PHONE

IDENTITY_VIEWED = "report.identity_viewed"


@pytest.fixture
def report(institution):
    return services.report_file(
        region=None,
        institution=institution,
        content="周末在居民楼里上数学课",
        reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE,
    )


@pytest.fixture
def assigned(report, users, departments):
    """The report assigned by the joint office to the education bureau."""
    services.report_assign(report_id=report.pk, actor=users["joint_office"], department=departments["education"])
    report.refresh_from_db()
    return report


def _written():
    return (
        Report.objects.values_list("status", "department_id", "assigned_at", "deadline").order_by("pk").first(),
        ReportStep.objects.count(),
        AuditEvent.objects.count(),
    )


def _action(client, report, name, data=None):
    return client.post(reverse("publicity:report_action", args=[report.pk, name]), data or {})


def _identity_leaks(text: str) -> bool:
    return REPORTER_NAME in text or REPORTER_PHONE in text


# ---- the case of issue 11: another department's head takes over a report ------------------------------


@pytest.mark.django_db
def test_other_department_head_cannot_reassign_and_sees_no_identity(assigned, departments, market_head_client):
    before = _written()
    response = _action(market_head_client, assigned, "assign", {"department": departments["market"].pk})
    assert response.status_code == 403
    assert _written() == before
    page = market_head_client.get(reverse("publicity:report_detail", args=[assigned.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and not _identity_leaks(html)
    assert 'id="assign-form"' not in html and 'id="identity-form"' not in html and 'id="return-form"' not in html
    refused = market_head_client.post(reverse("publicity:report_identity", args=[assigned.pk]))
    assert refused.status_code == 403 and not _identity_leaks(refused.content.decode())
    assert _written() == before


@pytest.mark.django_db
def test_other_department_head_cannot_take_an_unassigned_report_either(report, departments, market_head_client):
    before = _written()
    assert _action(market_head_client, report, "assign", {"department": departments["market"].pk}).status_code == 403
    assert _written() == before


@pytest.mark.django_db
def test_other_county_and_prefecture_head_are_refused(assigned, departments, other_county_client,
                                                      prefecture_head_client):
    before = _written()
    assert other_county_client.get(reverse("publicity:report_detail", args=[assigned.pk])).status_code == 403
    assert _action(other_county_client, assigned, "assign",
                   {"department": departments["other_education"].pk}).status_code == 403
    # The prefecture's head sees the county's reports (属地管理), but is not the joint office and not the handler.
    html = prefecture_head_client.get(reverse("publicity:report_detail", args=[assigned.pk])).content.decode()
    assert not _identity_leaks(html) and 'id="assign-form"' not in html
    assert _action(prefecture_head_client, assigned, "assign",
                   {"department": departments["prefecture_education"].pk}).status_code == 403
    assert prefecture_head_client.post(reverse("publicity:report_identity", args=[assigned.pk])).status_code == 403
    assert _written() == before


@pytest.mark.django_db
def test_joint_office_reassigns(assigned, users, departments, joint_office_client):
    response = _action(joint_office_client, assigned, "assign", {"department": departments["market"].pk})
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.department == departments["market"] and assigned.status == ReportStatus.ASSIGNED
    event = AuditEvent.objects.filter(kind="report.assigned").order_by("-id").first()
    assert event.before["department"] == departments["education"].pk
    assert event.after["department"] == departments["market"].pk


@pytest.mark.django_db
def test_county_office_neither_assigns_upwards_nor_takes_back_from_the_prefecture(report, users, departments):
    prefecture_office = UserFactory(department=departments["prefecture_education"], role=Role.JOINT_OFFICE)
    county_office = users["joint_office"]
    assert departments["prefecture_education"] not in permissions.assignable_departments(county_office, report)
    before = _written()
    with pytest.raises(ServiceError):
        services.report_assign(report_id=report.pk, actor=county_office, department=departments["prefecture_education"])
    assert _written() == before
    services.report_assign(report_id=report.pk, actor=prefecture_office, department=departments["prefecture_education"])
    before = _written()
    with pytest.raises(ActionForbidden):
        services.report_assign(report_id=report.pk, actor=county_office, department=departments["education"])
    assert _written() == before


# ---- handing back --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assigned_head_hands_back_with_a_reason(assigned, users, departments, education_head_client,
                                                joint_office_client):
    before = _written()
    response = _action(education_head_client, assigned, "return", {"reason": ""})
    assert response.status_code == 302 and _written() == before  # a reason is required: a message, nothing written
    response = _action(education_head_client, assigned, "return", {"reason": "属于价格违法，应由市场监管部门办理"})
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.status == ReportStatus.REGISTERED and assigned.department is None and assigned.assigned_at is None
    step = assigned.steps.order_by("-id").first()
    assert step.status == ReportStatus.REGISTERED and "市场监管" in step.note and step.actor == users["education_head"]
    assert "市场监管" not in step.public_note  # the reporter is told it is being reassigned, not the internal reason
    event = AuditEvent.objects.get(kind="report.returned")
    assert event.actor == users["education_head"]
    assert event.before == {"status": ReportStatus.ASSIGNED, "department": departments["education"].pk}
    assert event.after == {"status": ReportStatus.REGISTERED, "department": None}
    assert "市场监管" in event.summary
    # Back with the joint office, which assigns it again.
    assert _action(joint_office_client, assigned, "assign", {"department": departments["market"].pk}).status_code == 302
    assigned.refresh_from_db()
    assert assigned.department == departments["market"]


@pytest.mark.django_db
def test_only_the_assigned_head_hands_back(assigned, users, education_inspector_client, market_head_client):
    before = _written()
    for client in (education_inspector_client, market_head_client):
        assert _action(client, assigned, "return", {"reason": "不属于本部门"}).status_code == 403
    assert _written() == before
    with pytest.raises(ActionForbidden):
        services.report_return(report_id=assigned.pk, actor=users["market_head"], reason="不属于本部门")
    assert _written() == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ReportStatus.REPLIED, ReportStatus.CLOSED])
def test_hand_back_after_the_reply_is_refused(assigned, users, status):
    head, inspector = users["education_head"], users["education_inspector"]
    services.report_verify(report_id=assigned.pk, actor=inspector)
    services.report_reply(report_id=assigned.pk, actor=inspector, reply="已责令停止")
    if status == ReportStatus.CLOSED:
        services.report_close(report_id=assigned.pk, actor=head)
    before = _written()
    with pytest.raises(TransitionNotAllowed):
        services.report_return(report_id=assigned.pk, actor=head, reason="不属于本部门")
    assert _written() == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ReportStatus.VERIFYING, ReportStatus.HANDLING])
def test_hand_back_while_verifying_or_handling(assigned, users, status):
    inspector = users["education_inspector"]
    services.report_verify(report_id=assigned.pk, actor=inspector)
    if status == ReportStatus.HANDLING:
        services.report_handle(report_id=assigned.pk, actor=inspector)
    report = services.report_return(report_id=assigned.pk, actor=users["education_head"], reason="需公安部门办理")
    assert report.status == ReportStatus.REGISTERED and report.department_id is None


# ---- the reporter's identity ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_look_at_the_identity_is_audited(assigned, users, education_inspector_client, education_head_client):
    detail = reverse("publicity:report_detail", args=[assigned.pk])
    identity = reverse("publicity:report_identity", args=[assigned.pk])
    page = education_inspector_client.get(detail).content.decode()
    assert not _identity_leaks(page) and "显示举报人信息" in page  # the page alone never shows it
    assert not AuditEvent.objects.filter(kind=IDENTITY_VIEWED).exists()
    for client in (education_inspector_client, education_head_client, education_inspector_client):
        response = client.post(identity)
        assert response.status_code == 200
        assert REPORTER_NAME in response.content.decode() and REPORTER_PHONE in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    events = list(AuditEvent.objects.filter(kind=IDENTITY_VIEWED).order_by("id"))
    assert [event.actor for event in events] == [
        users["education_inspector"], users["education_head"], users["education_inspector"]
    ]
    for event in events:
        assert event.object_type == "publicity.report" and event.object_id == str(assigned.pk)
        assert not _identity_leaks(f"{event.summary} {event.before} {event.after}")
    # The page lists who looked and when — never what they saw.
    html = education_head_client.get(detail).content.decode()
    assert 'id="identity-views"' in html and str(users["education_head"]) in html and not _identity_leaks(html)


@pytest.mark.django_db
def test_identity_is_not_shown_before_assignment_nor_to_the_joint_office(report, users, departments,
                                                                           joint_office_client):
    identity = reverse("publicity:report_identity", args=[report.pk])
    assert joint_office_client.post(identity).status_code == 403  # registered: nobody yet
    services.report_assign(report_id=report.pk, actor=users["joint_office"], department=departments["market"])
    assert joint_office_client.post(identity).status_code == 403  # assigned elsewhere: the office routes, not handles
    assert not AuditEvent.objects.filter(kind=IDENTITY_VIEWED).exists()
    with pytest.raises(ActionForbidden):
        services.report_identity_reveal(report_id=report.pk, actor=users["admin"])


@pytest.mark.django_db
def test_handing_back_ends_the_departments_access(assigned, users, education_inspector_client):
    services.report_return(report_id=assigned.pk, actor=users["education_head"], reason="不属于本部门")
    response = education_inspector_client.post(reverse("publicity:report_identity", args=[assigned.pk]))
    assert response.status_code == 403 and not _identity_leaks(response.content.decode())


@pytest.mark.django_db
def test_anonymous_report_has_nothing_to_show(institution, users, departments, education_inspector_client):
    anonymous = services.report_file(region=None, institution=institution, content="有人违规补课")
    services.report_assign(report_id=anonymous.pk, actor=users["joint_office"], department=departments["education"])
    html = education_inspector_client.get(reverse("publicity:report_detail", args=[anonymous.pk])).content.decode()
    assert "匿名" in html and 'id="identity-form"' not in html
    before = _written()
    response = education_inspector_client.post(reverse("publicity:report_identity", args=[anonymous.pk]), follow=True)
    assert "匿名举报" in response.content.decode()
    assert AuditEvent.objects.count() == before[2]


@pytest.mark.django_db
def test_identity_never_reaches_ledgers_notifications_mail_audit_or_the_public(
    assigned, users, departments, joint_office_client, education_inspector_client, django_capture_on_commit_callbacks
):
    for user in users.values():
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    education_inspector_client.post(reverse("publicity:report_identity", args=[assigned.pk]))
    services.report_verify(report_id=assigned.pk, actor=users["education_inspector"])
    near = datetime.datetime.combine(assigned.deadline, datetime.time(9)).astimezone()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.chase_report_deadlines(now=near) >= 1
    assert mail.outbox
    assert not any(_identity_leaks(f"{m.subject} {m.body}") for m in mail.outbox)
    assert not any(_identity_leaks(f"{n.subject} {n.body} {n.link}") for n in Notification.objects.all())
    assert not any(_identity_leaks(f"{e.summary} {e.before} {e.after}") for e in AuditEvent.objects.all())
    ledger = joint_office_client.get(reverse("publicity:report_ledger")).content.decode()
    assert assigned.tracking_display in ledger and not _identity_leaks(ledger)
    export = joint_office_client.get("/ledger/reports/export.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).worksheets[0]
    cells = " ".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
    assert assigned.tracking_number in cells and not _identity_leaks(cells)
    steps = public_report_steps(tracking_number=assigned.tracking_number)
    assert steps and not any(_identity_leaks(f"{s.public_note}") for s in steps)


# ---- list entries: statements, corrections and removals by the proposing department -----------------


@pytest.mark.django_db
def test_other_department_cannot_record_a_statement(institution, market_head_client, users):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.REVIEWED)  # proposed by the education bureau
    before = (Statement.objects.count(), AuditEvent.objects.count())
    response = market_head_client.post(
        reverse("publicity:entry_action", args=[entry.pk, "statement"]),
        {"text": "我方已整改", "received_on": "2026-01-05"},
    )
    assert response.status_code == 403
    assert (Statement.objects.count(), AuditEvent.objects.count()) == before
    page = market_head_client.get(reverse("publicity:entry_detail", args=[entry.pk])).content.decode()
    assert reverse("publicity:entry_action", args=[entry.pk, "statement"]) not in page
    with pytest.raises(ActionForbidden):
        services.statement_record(entry_id=entry.pk, actor=users["market_inspector"], text="x",
                                  received_on=datetime.date(2026, 1, 5))
    statement = services.statement_record(entry_id=entry.pk, actor=users["education_head"], text="我方已整改",
                                          received_on=datetime.date(2026, 1, 5))
    assert statement.entry_id == entry.pk


@pytest.mark.django_db
def test_other_department_cannot_correct_or_remove_a_published_entry(institution, users,
                                                                      market_head_client):
    entry = ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED)
    before = AuditEvent.objects.count()
    assert market_head_client.post(reverse("publicity:entry_action", args=[entry.pk, "correct"]),
                                   {"reason": "更正"}).status_code == 403
    assert market_head_client.post(reverse("publicity:entry_action", args=[entry.pk, "removal"]),
                                   {"reason": "已整改"}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED and not entry.corrections.exists() and not entry.removals.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_report_page_in_english(assigned, education_head_client, settings):
    education_head_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        html = education_head_client.get(reverse("publicity:report_detail", args=[assigned.pk])).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # LocaleMiddleware leaves English active in this thread
    for text in ("Show the reporter's details", "Every view is recorded in the audit trail.",
                 "Hand back to the joint office", "Views of the reporter's details"):
        assert text in html, text
    for text in ("显示举报人信息", "退回专项治理办公室", "举报人信息查看记录"):
        assert text not in html, text
