"""load_demo: every account with its role and department, every state and standing, the casework of 历下区
(visits, orders, notices, a case, published lists, reports), idempotent."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inspections.models import Campaign, ProblemItem, SpotCheckDraw, Visit, VisitOutcome, VisitStatus
from institutions.models import (
    Institution,
    Licence,
    LicenceKind,
    LicenceStanding,
    OperatingState,
    PremisesType,
)
from institutions.services import compute_standing
from institutions.validators import validate_credit_code
from penalties.models import (
    CaseStatus,
    Decision,
    Hearing,
    HearingStatus,
    Interview,
    OrderStatus,
    PenaltyCase,
    RectificationOrder,
    SuspensionNotice,
)
from publicity.models import (
    Batch,
    DecisionPublication,
    EntryStatus,
    ListEntry,
    ListKind,
    PublicationSource,
    PublicationStatus,
    Report,
    ReportStatus,
)
from regulator.demo.management.commands.load_demo import ACCOUNTS, DEMO_PASSWORD
from regulator.models import (
    AuditEvent,
    Department,
    DepartmentKind,
    Region,
    Role,
    User,
    WeeklyReport,
    WeeklyReportStatus,
)
from regulator.oversight import queue
from tests.factories import ensure_annual_checklist, ensure_annual_materials, ensure_checklist, ensure_provisions

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load once for the module (it is the slow part) and undo it afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        output = StringIO()
        ensure_checklist()  # a transactional test earlier in the session may have flushed the data migration's
        ensure_provisions()  # likewise the library of provisions
        ensure_annual_materials()  # and the annual inspection's materials and checklist
        ensure_annual_checklist()
        atomic = transaction.atomic()
        atomic.__enter__()
        call_command("load_demo", stdout=output)
        yield output.getvalue()
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def test_every_account_has_its_role_and_department(demo):
    expected = {
        "admin": (Role.ADMIN, None),
        "edu_inspector": (Role.INSPECTOR, "历下区教育局"),
        "edu_inspector2": (Role.INSPECTOR, "历下区教育局"),
        "edu_head": (Role.HEAD, "历下区教育局"),
        "joint_office": (Role.JOINT_OFFICE, "历下区教育局"),
        "market_head": (Role.HEAD, "历下区市场监督管理局"),
        "market_inspector": (Role.INSPECTOR, "历下区市场监督管理局"),
        "police_inspector": (Role.INSPECTOR, "历下区公安分局"),
        "police_head": (Role.HEAD, "历下区公安分局"),
        "pref_joint_office": (Role.JOINT_OFFICE, "济南市教育局"),
        "shizhong_edu_inspector": (Role.INSPECTOR, "市中区教育局"),
    }
    users = {u.username: u for u in User.objects.select_related("department")}
    for username, (role, department) in expected.items():
        user = users[username]
        assert user.role == role, username
        assert (user.department.name if user.department else None) == department, username
        assert user.check_password(DEMO_PASSWORD), username
    assert users["admin"].is_superuser and users["admin"].is_admin_role
    for username, *_ in ACCOUNTS:
        assert username in demo  # the printed table lists every account


def test_region_tree_and_departments(demo):
    assert Region.objects.get(code="3701").abbreviation == "济"
    assert Region.objects.get(code="370102").name == "历下区"
    assert Region.objects.filter(parent_id="370102").count() >= 3
    assert all(len(code) == 9 for code in Region.objects.filter(level=4).values_list("code", flat=True))
    education = Department.objects.get(region_id="370102", kind=DepartmentKind.EDUCATION)
    assert education.is_joint_office_seat and education.short_name == "历下教"
    for county in Region.objects.filter(level=3):
        kinds = set(Department.objects.filter(region=county).values_list("kind", flat=True))
        assert {DepartmentKind.EDUCATION, DepartmentKind.MARKET, DepartmentKind.POLICE, DepartmentKind.FIRE,
                DepartmentKind.CIVIL_AFFAIRS} <= kinds


def test_every_state_standing_and_premises_is_present(demo):
    assert 350 <= Institution.objects.count() <= 450
    assert set(Institution.objects.values_list("operating_state", flat=True)) == set(OperatingState.values)
    assert set(Institution.objects.values_list("licence_standing", flat=True)) == set(LicenceStanding.values)
    assert set(Institution.objects.values_list("premises_type", flat=True)) == set(PremisesType.values)
    assert set(Licence.objects.values_list("state", flat=True)) >= {"valid", "expired", "revoked"}
    assert Institution.objects.filter(credit_code="").exists()
    assert Institution.objects.filter(sites__isnull=False).distinct().exists()
    assert Institution.objects.filter(teachers__qualification_number="").exists()
    assert Institution.objects.filter(teachers__is_in_service_teacher=True).exists()
    # The main county alone covers every state and standing, so its staff see them all.
    mine = Institution.objects.filter(region__code__startswith="370102")
    assert set(mine.values_list("operating_state", flat=True)) == set(OperatingState.values)
    assert set(mine.values_list("licence_standing", flat=True)) == set(LicenceStanding.values)


def test_standing_is_derived_from_licences_and_codes_are_valid(demo):
    today = timezone.localdate()
    for institution in Institution.objects.prefetch_related("licences"):
        assert institution.licence_standing == compute_standing(institution.licences.all(), today)
    codes = list(Institution.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    for code in codes:
        validate_credit_code(code)
    school = Licence.objects.filter(kind=LicenceKind.SCHOOL_RUNNING).first()
    assert school.number.startswith("教民") and school.issuer.kind == DepartmentKind.EDUCATION


def test_each_institution_has_its_created_event(demo):
    ids = set(Institution.objects.values_list("id", flat=True))
    created = set(AuditEvent.objects.filter(kind="institution.created", object_type="institutions.institution")
                  .values_list("institution_id", flat=True))
    assert ids == created


def _client(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_campaign_and_double_random_draw(demo):
    campaign = Campaign.objects.get(region_id="370102")
    assert campaign.lead_department.name == "历下区教育局"
    assert {d.kind for d in campaign.departments.all()} == {DepartmentKind.EDUCATION, DepartmentKind.MARKET}
    draw = SpotCheckDraw.objects.get(campaign=campaign)
    assert len(draw.result) == 6 and all(len(row["inspectors"]) == 2 for row in draw.result)
    assert Visit.objects.filter(draw=draw).count() == 6
    assert all(v.assignments.count() == 2 for v in Visit.objects.filter(draw=draw))


def recent(queryset, path="planned_on"):
    """The casework of the last two months, less the past months the demo adds for the dashboard's trends."""
    return queryset.filter(**{f"{path}__gte": timezone.localdate() - datetime.timedelta(days=60)})


def test_visits_in_every_state_for_the_main_county(demo):
    visits = recent(Visit.objects.filter(draw__isnull=True))
    assert 10 <= visits.count() <= 14
    assert not visits.exclude(institution__region__code__startswith="370102").exists()
    assert {VisitStatus.PLANNED, VisitStatus.IN_PROGRESS, VisitStatus.SUBMITTED} == set(
        visits.values_list("status", flat=True))
    assert visits.filter(kind="reinspection", status=VisitStatus.PLANNED, previous_visit__isnull=False).exists()
    submitted = visits.filter(status=VisitStatus.SUBMITTED)
    assert submitted.count() >= 5 and not submitted.filter(signature__isnull=True).exists()
    assert ProblemItem.objects.filter(visit__in=submitted).count() >= 10
    assert submitted.filter(outcome=VisitOutcome.NONE).exists()  # awaits the head


def test_orders_notice_and_case(demo):
    statuses = set(RectificationOrder.objects.values_list("status", flat=True))
    assert {OrderStatus.DRAFT, OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.OVERDUE} <= statuses
    for order in RectificationOrder.objects.exclude(status=OrderStatus.DRAFT):
        assert order.number and order.drafted_by.username == "edu_inspector"
        assert order.approved_by.username == "edu_head"
    served = RectificationOrder.objects.get(status=OrderStatus.SERVED)
    assert served.items.filter(status="closed").count() == 1 and served.items.filter(status="open").exists()
    assert recent(ProblemItem.objects.filter(status="closed"), "visit__planned_on").count() == 1
    notice = SuspensionNotice.objects.get()
    assert notice.status == "served" and notice.refunds.count() == 2
    assert notice.institution.operating_state == "suspended"
    # A penalty case at every step of the procedure, a hearing announced and one reported, an interview.
    assert set(PenaltyCase.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert PenaltyCase.objects.get(source_visit__isnull=False).status == CaseStatus.INVESTIGATION
    assert set(Hearing.objects.values_list("status", flat=True)) == {HearingStatus.NOTIFIED, HearingStatus.REPORTED}
    assert Interview.objects.filter(case__isnull=True).exists()


def test_published_lists_and_reports(demo):
    white = ListEntry.objects.filter(list_kind=ListKind.WHITE, status=EntryStatus.PUBLISHED)
    assert 25 <= white.count() <= 35
    assert set(white.values_list("institution__licence_standing", flat=True)) == {LicenceStanding.BOTH}
    assert ListEntry.objects.filter(list_kind=ListKind.BLACK, status=EntryStatus.PUBLISHED).count() == 5
    assert Batch.objects.count() == 2
    assigned = Report.objects.get(status=ReportStatus.ASSIGNED)
    assert assigned.department.name == "历下区教育局"
    assert Report.objects.filter(status=ReportStatus.REGISTERED, department__isnull=True).count() == 1


def test_decision_publications_in_every_state(demo):
    """Art 48: a decision with social impact awaiting publication, one published, one changed on review
    (due for withdrawal), one annulled by a court and withdrawn; rectification results published."""
    decisions = DecisionPublication.objects.filter(source_type=PublicationSource.PENALTY_DECISION)
    assert set(decisions.values_list("status", flat=True)) == {
        PublicationStatus.PENDING, PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWAL_DUE,
        PublicationStatus.WITHDRAWN}
    assert decisions.get(status=PublicationStatus.WITHDRAWN).withdrawal_reason == "annulled_by_court"
    changed = decisions.get(status=PublicationStatus.WITHDRAWAL_DUE)
    decision = Decision.objects.get(case_id=int(changed.source_id))
    assert decision.revision == "changed" and decision.revision_body == "济南市历下区人民政府"
    assert changed.withdrawal_reason == "changed" and changed.withdraw_due >= decision.revision_on
    assert Decision.objects.filter(social_impact=True).count() == 4
    # One revision of this decision; three more: the annulled decision taken down, and the 限制从业 decisions
    # changed and annulled (regulator/demo/cases.py)
    assert AuditEvent.objects.filter(kind="case.decision_revised", object_id=str(decision.case_id)).count() == 1
    assert AuditEvent.objects.filter(kind="case.decision_revised").count() == 4
    published = decisions.get(status=PublicationStatus.PUBLISHED)
    assert published.published_by.username == "edu_head"
    from publicity.cache import bump_version

    bump_version()
    assert published.document_number in Client().get(reverse("publicity:public_decisions")).content.decode()


def test_open_data_in_the_demo(demo):
    """Every dataset has rows (decisions published and withdrawn, a published annual batch), and the bulk files
    of the demo's counties are written and listed."""
    from publicity.models import BulkFile

    client = Client()
    for path, total in (("entries", 30), ("decisions", 3), ("annual-results", 4)):
        assert client.get(f"/public/api/v1/{path}").json()["total"] >= total, path
    statuses = {row["status"] for row in client.get("/public/api/v1/decisions").json()["results"]}
    assert statuses == {"published", "withdrawn"}
    assert BulkFile.objects.filter(region_id="370102", format="csv").count() == 5
    assert "370102/annual-results.csv" in client.get(reverse("publicity:open_data_bulk")).content.decode()


def test_weekly_reports_at_each_step_of_their_sign_off(demo):
    reports = {r.status: r for r in WeeklyReport.objects.filter(region__name="历下区")}
    assert set(reports) == {WeeklyReportStatus.DRAFT, WeeklyReportStatus.SUBMITTED, WeeklyReportStatus.SENT}
    sent, submitted, draft = (reports[s] for s in (WeeklyReportStatus.SENT, WeeklyReportStatus.SUBMITTED,
                                                   WeeklyReportStatus.DRAFT))
    assert sent.week_end < submitted.week_end < draft.week_end < timezone.localdate()
    assert all(r.week_start.weekday() == 5 for r in reports.values())
    assert sent.filled_by.username == "joint_office" and sent.reviewed_by.username == "edu_head"
    assert submitted.filled_by.username == "joint_office" and submitted.reviewed_by is None
    assert draft.filled_by is None and draft.progress and not draft.next_steps
    for report in reports.values():
        response = _client("joint_office").get(reverse("weekly_detail", args=[report.pk]))
        assert response.status_code == 200 and report.get_status_display() in response.content.decode()


def test_pages_show_the_casework(demo):
    from publicity.cache import bump_version

    head = User.objects.get(username="edu_head")
    assert queue.queue_queryset(head) is not None and queue.queue_queryset(head).exists()
    response = _client("edu_head").get(reverse("queue"))
    assert response.status_code == 200
    drafts = RectificationOrder.objects.filter(status=OrderStatus.DRAFT)  # the casework's and the 年检 不合格's
    assert drafts.count() == 2
    assert all(draft.institution.name in response.content.decode() for draft in drafts)

    response = _client("edu_inspector").get(reverse("inspections:today"))
    assert response.status_code == 200
    today = Visit.objects.filter(planned_on=timezone.localdate(), assignments__inspector__username="edu_inspector")
    assert today.count() >= 3
    assert all(visit.institution.name in response.content.decode() for visit in today)

    bump_version()  # pages cached by earlier tests under the same version must not hide the new batch
    page = Client().get(reverse("publicity:white_list")).content.decode()
    entry = ListEntry.objects.filter(list_kind=ListKind.WHITE, status=EntryStatus.PUBLISHED).first()
    assert entry.institution.name in page


def test_every_demo_case_page_renders_its_step(demo):
    head, inspector = _client("edu_head"), _client("edu_inspector")
    for case in PenaltyCase.objects.all():
        for client in (head, inspector):
            response = client.get(case.get_absolute_url())
            assert response.status_code == 200 and "当前步骤" in response.content.decode()


CASEWORK = (Campaign, Visit, ProblemItem, RectificationOrder, SuspensionNotice, PenaltyCase, ListEntry, Batch,
            Report)


def test_second_run_creates_nothing_and_prints_the_accounts(demo):
    models = (Region, Department, User, Institution, Licence, AuditEvent, *CASEWORK)
    counts = [model.objects.count() for model in models]
    output = StringIO()
    call_command("load_demo", stdout=output)
    assert [m.objects.count() for m in models] == counts
    assert "edu_inspector" in output.getvalue() and DEMO_PASSWORD in output.getvalue()


def test_filed_courses_accounts_and_every_kind_of_fund_alert(demo):
    from institutions.funds.models import AlertKind, Course, CourseStatus, FundAccount, FundAlert, RiskAssessment

    assert Course.objects.filter(status=CourseStatus.FILED).count() >= 6
    assert Course.objects.filter(status=CourseStatus.RETURNED).exists()
    assert FundAccount.objects.filter(transactions__isnull=False).distinct().count() == 3
    assert set(FundAlert.objects.values_list("kind", flat=True)) == set(AlertKind.values)
    assert RiskAssessment.objects.filter(is_current=True).count() > 0
def test_the_register_through_time_is_in_the_demo(demo):
    from institutions.models import (
        AnnualInspection,
        AnnualInspectionPlan,
        AnnualPlanStatus,
        AnnualResult,
        CampaignEnrolment,
        OperatingState,
        TeacherBan,
    )

    results = set(AnnualInspection.objects.exclude(result="").values_list("result", flat=True))
    assert results == set(AnnualResult.values)
    enrolments = CampaignEnrolment.objects.filter(campaign__kind="re_registration")
    assert enrolments.filter(completed_at__isnull=False).exists() and enrolments.filter(completed_at=None).exists()
    cancelled = Institution.objects.filter(operating_state=OperatingState.CANCELLED, region__code__startswith="370102")
    assert cancelled.exists()
    assert TeacherBan.objects.exists()
    # 年检结论通知书 numbered for every recorded result; a published batch on the public site, one plan still open.
    decided = AnnualInspection.objects.filter(status="decided")
    assert decided.exists() and not decided.filter(notice_number="").exists()
    published = AnnualInspectionPlan.objects.get(status=AnnualPlanStatus.PUBLISHED)
    assert published.sha256 and AnnualInspectionPlan.objects.filter(status=AnnualPlanStatus.OPEN).exists()
    public = Client().get(reverse("publicity:annual_batch_detail", args=[published.pk])).content.decode()
    assert published.batch_number in public and "不合格" in public
    # Bans from penalty decisions: one in force, one changed to a shorter period, one lifted with its annulment.
    from_decisions = TeacherBan.objects.filter(penalty_id__isnull=False)
    assert from_decisions.count() == 3 and from_decisions.filter(lifted_at__isnull=False).count() == 1
    assert len({(ban.ends_on - ban.starts_on).days // 30 for ban in from_decisions}) == 2  # 24 and 12 months
    page = _client("edu_head").get(reverse("dashboard")).content.decode()
    assert "年检结论" in page and "重新审核登记与回头看" in page and "在职教师违规兼职" in page


def test_changes_renewals_employment_and_the_roster_are_in_the_demo(demo):
    from institutions.models import (
        ChangeField,
        ChangeStatus,
        InServiceRoster,
        LicenceRenewal,
        LicenceState,
        RegisterChange,
        Teacher,
    )

    statuses = set(RegisterChange.objects.filter(field__in=[ChangeField.PRINCIPAL, ChangeField.SCOPE])
                   .values_list("status", flat=True))
    assert statuses == set(ChangeStatus.values)
    assert set(LicenceRenewal.objects.values_list("old_state", flat=True)) == {LicenceState.VALID,
                                                                              LicenceState.EXPIRED}
    moved = Teacher.objects.get(name="邵文静", ended_on__isnull=True)
    assert Teacher.objects.filter(identity=moved.identity).count() == 2
    assert Teacher.objects.filter(name="霍建军", ended_on__isnull=False).exists()
    assert list(InServiceRoster.objects.order_by("version").values_list("is_current", flat=True)) == [False, True]
    assert Teacher.objects.get(name="葛晓东").in_service_flagged_at is not None
    assert Teacher.objects.get(name="尹春梅").in_service_flagged_at is None  # cleared by the second version
    head = _client("edu_head")
    assert "第2版" in head.get(reverse("institutions:in_service_roster")).content.decode()
    page = head.get(reverse("institutions:teacher", args=[moved.institution_id, moved.pk])).content.decode()
    assert "任职履历" in page


def test_the_dashboard_shows_risk_levels_and_trends(demo):
    from institutions.funds.models import RiskAssessment, RiskLevel

    assert set(RiskAssessment.objects.filter(is_current=True).values_list("level", flat=True)) == set(RiskLevel.values)
    # Fifteen months of past site checks and orders: closed on time, and closed late after being overdue.
    past = Visit.objects.filter(planned_on__lt=timezone.localdate() - datetime.timedelta(days=60))
    assert past.count() >= 20 and set(past.values_list("status", flat=True)) == {VisitStatus.SUBMITTED}
    orders = RectificationOrder.objects.filter(visit__in=past)
    assert orders.exists() and set(orders.values_list("status", flat=True)) == {OrderStatus.CLOSED}
    assert orders.filter(overdue_at__isnull=False).exists() and orders.filter(overdue_at__isnull=True).exists()
    response = _client("joint_office").get(reverse("dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "机构风险分级（当前）" in page and 'id="figure-risk-high"' in page
    assert "本期与上期比较" in page and "近12个月趋势" in page and "首次汇总后显示" not in page


def test_the_ledger_import_in_each_state(demo):
    from institutions.models import ImportJob, ImportJobState

    jobs = {job.state: job for job in ImportJob.objects.all()}
    assert set(jobs) == {ImportJobState.DONE, ImportJobState.VALIDATED}
    for job in jobs.values():
        levels = {entry["level"] for entry in job.report}
        assert levels == {"error", "warning"}
    from institutions.models import RegisterReview, RegisterReviewStatus

    reviews = {review.status: review for review in RegisterReview.objects.all()}
    assert set(reviews) == set(RegisterReviewStatus.values)
    assert "名称疑含地址" in reviews[RegisterReviewStatus.PENDING].reason
    client = _client("edu_inspector")
    response = client.get(reverse("institutions:import_report_workbook", args=[jobs[ImportJobState.DONE].pk]))
    assert response.status_code == 200
    assert "台账导入待核对" in _client("edu_head").get(reverse("queue")).content.decode()


def test_make_demo_loads_on_the_embedded_sqlite(tmp_path):
    """`make demo`'s own path — migrate an SQLite file and load the demo, no servers — in a subprocess: every
    query the demo's services run must work on SQLite too (one used DISTINCT ON, which SQLite lacks)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"DJANGO_SETTINGS_MODULE": "regulator.settings.base", "REDIS_URL": "", "VAR_DIR": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'regulator.sqlite3'}"})
    run = subprocess.run(
        [sys.executable, "-c", "import django, sys; django.setup(); from django.core.management import "
         "call_command; call_command('migrate', verbosity=0); call_command('load_demo')"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "edu_inspector" in run.stdout and "WARNINGS" not in run.stderr


def test_the_change_history_of_every_demo_event_reads_in_chinese(demo):
    """Every key the services write into before/after has a Chinese label, stored codes read as their choice's
    label and nested records show labelled parts, never a Python repr (regulator.audit.describe_events)."""
    import re

    from regulator.audit import describe_events

    allowed = {"PDF", "SHA", "ID", "IP"}
    unlabelled, reprs, codes = set(), set(), set()
    for view in describe_events(AuditEvent.objects.order_by("id")):
        for label, old, new in view.changes:
            if set(re.findall(r"[A-Za-z]{2,}", str(label))) - allowed:
                unlabelled.add((view.event.kind, str(label)))
            for value in (old, new):
                if value is not None and re.search(r"\{'|\[\{|': ", str(value)):
                    reprs.add((view.event.kind, str(label)))
                if isinstance(value, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", value) and label != "用户名":
                    codes.add((view.event.kind, str(label), value))
    assert not unlabelled and not reprs and not codes, (sorted(unlabelled), sorted(reprs), sorted(codes))
