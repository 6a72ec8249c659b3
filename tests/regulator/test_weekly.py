"""The weekly report: one per county and week, opened by the beat job or on request, written and submitted by the
county's joint office (填报人) once the week is over, signed off by another person (审核人), then sent with its PDF
and .xlsx."""

import datetime
import io
import subprocess
import tempfile

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent, Notification, Role, WeeklyReport, WeeklyReportStatus
from regulator.oversight import weekly
from regulator.oversight.periodic import weekly_reports
from regulator.oversight.weekly import weekly_report_generate, weekly_reports_run
from regulator.oversight.weekly_files import render_pdf
from tests.factories import RegionFactory, UserFactory
from tests.regulator import test_dashboard as oversight
from tests.regulator.test_dashboard import at

seeded = oversight.seeded  # the shared fixture: activity in two counties of 济南市

WEEK = datetime.date(2025, 5, 10)  # the Saturday of IN_PERIOD's week
FRIDAY_EVENING = at(datetime.date(2025, 5, 16), 18)
MONDAY_AFTER = at(datetime.date(2025, 5, 19), 9)
NARRATIVE = {"reporting_unit": "历下区校外培训专项治理办公室", "progress": "本周开展联合检查三次。",
             "problems": "无证培训点反弹。", "next_steps": "下周开展夜间专项检查。"}


def generate(regions, actor=None, week=WEEK):
    return weekly_report_generate(region=regions["county"], week_start=week, actor=actor, now=FRIDAY_EVENING)


def send(regions, users):
    """Generated on Friday evening, written and submitted by the joint office on Monday, approved by the head."""
    report, _created = generate(regions)
    weekly.weekly_report_save(report_id=report.pk, actor=users["joint_office"], now=MONDAY_AFTER, **NARRATIVE)
    weekly.weekly_report_submit(report_id=report.pk, actor=users["joint_office"], now=MONDAY_AFTER)
    return weekly.weekly_report_approve(report_id=report.pk, actor=users["education_head"], now=MONDAY_AFTER)


def test_asking_twice_gives_one_report(seeded, regions, users):
    first, created = generate(regions, users["joint_office"])
    events = AuditEvent.objects.count()
    second, created_again = generate(regions, users["joint_office"])
    assert created and not created_again
    assert first.pk == second.pk
    assert WeeklyReport.objects.count() == 1
    assert AuditEvent.objects.count() == events  # nothing written the second time


def test_figures_are_the_weeks_of_the_county(seeded, regions):
    report, _created = generate(regions)
    headline = dict(report.figures["headline"])
    assert report.week_end == datetime.date(2025, 5, 16)
    assert report.figures["region_name"] == "历下区"
    assert headline["完成检查"] == 3
    assert headline["下达整改通知"] == 3
    assert headline["逾期"] == 1  # overdue on 11 May, inside the week
    assert headline["按期销号"] == 0  # closed on 1 June, after the week
    assert headline["收到举报"] == 3
    assert report.generated_by is None


def test_the_prefectures_joint_office_is_told_when_the_report_is_sent(seeded, regions, departments, users):
    joint = UserFactory(department=departments["prefecture_education"], role=Role.JOINT_OFFICE)
    draft, _created = generate(regions)
    assert not Notification.objects.filter(recipient=joint).exists()
    assert Notification.objects.filter(recipient=users["joint_office"], link=draft.get_absolute_url()).exists()
    report = send(regions, users)
    notification = Notification.objects.get(recipient=joint)
    assert "历下区" in notification.subject
    assert notification.link == report.get_absolute_url()


def test_pdf_and_xlsx(seeded, regions, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report, _created = generate(regions)
    report.refresh_from_db()
    assert not report.pdf  # a draft is no document yet
    with django_capture_on_commit_callbacks(execute=True):
        report = send(regions, users)
    report.refresh_from_db()
    assert report.pdf and len(report.pdf_sha256) == 64 and report.xlsx
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(default_storage.open(report.pdf.name).read())
        handle.flush()
        text = subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True,
                              text=True).stdout
    assert "历下区校外培训治理工作周报" in text
    assert "2025年5月10日至2025年5月16日" in text
    assert "完成检查" in text and "解放路街道" in text
    for words in ("填报单位", "历下区校外培训专项治理办公室", "工作进展", "本周开展联合检查三次", "存在问题",
                  "下步工作", "下周开展夜间专项检查", "填报人", "审核人", str(users["education_head"])):
        assert words in text, words
    workbook = load_workbook(io.BytesIO(default_storage.open(report.xlsx.name).read()))
    headline = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert headline["完成检查"] == 3
    assert len(workbook.worksheets) == 1 + len(report.figures["sections"])


def test_pdf_fonts_are_the_documents_subsets(seeded, regions, tmp_path):
    from tests.penalties.test_pdf_fonts import pdffonts

    report, _created = generate(regions)
    fonts = pdffonts(render_pdf(report), tmp_path)
    assert fonts
    for font in fonts:  # embedded and subset, cut from the document's text by regulator/pdf.py
        assert (font["emb"], font["sub"]) == ("yes", "yes") and "Noto-Sans-CJK-SC-Subset" in font["name"], font


def test_beat_job_makes_one_report_per_county_and_is_idempotent(seeded, regions):
    # 历下区 and 市中区 have departments; 青岛市南区 has none and nobody to report.
    assert weekly_reports_run(now=FRIDAY_EVENING) == 2
    assert weekly_reports_run(now=FRIDAY_EVENING) == 0
    assert set(WeeklyReport.objects.values_list("region_id", "week_start")) == {
        ("370102", WEEK), ("370103", WEEK)}


def test_beat_task_runs_the_current_week(seeded, regions):
    weekly_reports.delay()
    weekly_reports.delay()
    assert WeeklyReport.objects.count() == 2
    assert WeeklyReport.objects.first().week_start.weekday() == 5


def test_beat_schedule_is_friday_evening(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-reports-friday"]
    assert entry["task"] == "regulator.tasks.weekly_reports"
    assert entry["schedule"].day_of_week == {5} and entry["schedule"].hour == {18}


@pytest.mark.parametrize(
    ("region_key", "week", "message"),
    [
        ("prefecture", WEEK, "县（区）"),
        ("county", datetime.date(2025, 5, 12), "周六"),
        ("county", datetime.date(2025, 5, 24), "尚未开始"),
    ],
)
def test_service_refuses_bad_requests(seeded, regions, region_key, week, message):
    with pytest.raises(ServiceError) as failure:
        weekly_report_generate(region=regions[region_key], week_start=week, now=FRIDAY_EVENING)
    assert message in failure.value.message
    assert not WeeklyReport.objects.exists()


# ---- pages ---------------------------------------------------------------------------------------------


def test_joint_office_asks_twice_through_the_page(seeded, joint_office_client):
    first = joint_office_client.post("/weekly/generate/", {"region": "370102", "week": "2025-05-14"}, follow=True)
    assert "周报已生成" in first.content.decode()
    second = joint_office_client.post("/weekly/generate/", {"region": "370102", "week": "2025-05-16"}, follow=True)
    assert "不再重复生成" in second.content.decode()
    assert WeeklyReport.objects.filter(region_id="370102", week_start=WEEK).count() == 1
    assert "历下区校外培训治理工作周报" in second.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"region": "370102", "week": "2099-01-01"}, "尚未开始"),
        ({"region": "370102", "week": "2025-02-30"}, "无效"),
        ({"region": "370103", "week": "2025-05-14"}, "不在您的管辖范围内"),
        ({"region": "999999", "week": "2025-05-14"}, "不存在"),
    ],
)
def test_generate_page_refuses_bad_input(seeded, joint_office_client, data, message):
    response = joint_office_client.post("/weekly/generate/", data, follow=True)
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert not WeeklyReport.objects.exists()


def test_heads_may_read_but_not_generate(seeded, education_head_client):
    response = education_head_client.post("/weekly/generate/", {"region": "370102", "week": "2025-05-14"})
    assert response.status_code == 403
    assert not WeeklyReport.objects.exists()


def test_inspectors_get_403(seeded, regions, education_inspector_client):
    report, _created = generate(regions)
    assert education_inspector_client.get("/weekly/").status_code == 403
    assert education_inspector_client.get(f"/weekly/{report.pk}/").status_code == 403


def test_another_countys_head_cannot_see_the_report(seeded, regions, departments):
    from django.test import Client

    report, _created = generate(regions)
    client = Client()
    client.force_login(UserFactory(department=departments["other_education"], role=Role.HEAD))
    assert client.get(f"/weekly/{report.pk}/").status_code == 404
    assert client.get(f"/weekly/{report.pk}/pdf/").status_code == 404
    assert client.get("/weekly/", {"region": "370102"}).status_code == 400


def test_county_history_and_downloads(seeded, regions, users, joint_office_client,
                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = send(regions, users)
    history = joint_office_client.get("/weekly/").content.decode()
    assert "2025-05-10 — 2025-05-16" in history
    pdf = joint_office_client.get(f"/weekly/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = joint_office_client.get(f"/weekly/{report.pk}/xlsx/")
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    assert joint_office_client.get(f"/weekly/{report.pk}/doc/").status_code == 404


def test_prefecture_sees_which_counties_reported(seeded, regions, users, prefecture_head_client):
    generate(regions)
    draft_page = prefecture_head_client.get("/weekly/status/", {"region": "3701", "week": "2025-05-13"})
    assert "已报送 0 / 2 个县（区）" in draft_page.content.decode()  # a draft is not reported
    send(regions, users)
    response = prefecture_head_client.get("/weekly/status/", {"region": "3701", "week": "2025-05-13"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "已报送 1 / 2 个县（区）" in page
    lixia = page.index("历下区")
    shizhong = page.index("市中区")
    assert "已报送" in page[lixia:shizhong] and "未报送" in page[shizhong:]
    # A prefecture user on /weekly/ is sent to the status page.
    assert prefecture_head_client.get("/weekly/").url.startswith("/weekly/status/")


def test_status_page_refuses_bad_week_and_foreign_region(seeded, prefecture_head_client):
    assert "无效" in prefecture_head_client.get("/weekly/status/", {"week": "2025-99-01"}).content.decode()
    response = prefecture_head_client.get("/weekly/status/", {"region": "3702"})
    assert response.status_code == 400 and "不在您的管辖范围内" in response.content.decode()


@pytest.mark.parametrize("rows", [10, 200])
def test_weekly_pages_have_pinned_query_counts(regions, departments, users, joint_office_client,
                                               prefecture_head_client, rows, django_assert_num_queries):
    """`rows` weekly reports: 历下区's history of rows // 2 weeks, the rest spread over nine more counties."""
    counties = [regions["county"], regions["other_county"]] + [
        RegionFactory(code=f"3701{n:02d}", name=f"测试{n}区", parent=regions["prefecture"]) for n in range(4, 12)]
    for index in range(rows):
        county = counties[0] if index < rows // 2 else counties[1 + index % 9]
        week = WEEK - datetime.timedelta(weeks=index // (1 if index < rows // 2 else 9))
        weekly_report_generate(region=county, week_start=week, now=FRIDAY_EVENING)
    joint_office_client.get("/weekly/")
    with django_assert_num_queries(4):  # user, the region, nav counts, its reports (the session from the cache)
        response = joint_office_client.get("/weekly/")
    assert response.status_code == 200 and response.content.decode().count(" — ") >= min(rows // 2, 104)
    with django_assert_num_queries(5):  # user, the region, its counties, their reports of the week, nav
        response = prefecture_head_client.get("/weekly/status/", {"region": "3701", "week": "2025-05-13"})
    assert response.status_code == 200 and "个县（区）" in response.content.decode()


# ---- sign-off: 填报人 and 审核人 ---------------------------------------------------------------------------


def _report_state(report):
    report.refresh_from_db()
    return (report.status, report.figures, report.filled_by_id, report.filled_at, report.reviewed_by_id,
            AuditEvent.objects.count(), Notification.objects.count())


def test_a_part_week_cannot_be_frozen(seeded, regions, users):
    """Friday evening, and any day of the week, is too early: the week is not over."""
    report, _created = generate(regions)
    weekly.weekly_report_save(report_id=report.pk, actor=users["joint_office"], now=FRIDAY_EVENING, **NARRATIVE)
    state = _report_state(report)
    for day in range(10, 17):
        with pytest.raises(ServiceError, match="尚未结束：周报只统计完整的周六至周五"):
            weekly.weekly_report_submit(report_id=report.pk, actor=users["joint_office"],
                                        now=at(datetime.date(2025, 5, day), 23))
    assert _report_state(report) == state
    submitted = weekly.weekly_report_submit(report_id=report.pk, actor=users["joint_office"],
                                            now=at(datetime.date(2025, 5, 17), 0))
    assert submitted.status == WeeklyReportStatus.SUBMITTED and submitted.filled_by == users["joint_office"]


def test_the_same_person_cannot_sign_twice(seeded, regions, users, departments):
    report, _created = generate(regions)
    joint = users["joint_office"]
    weekly.weekly_report_save(report_id=report.pk, actor=joint, now=MONDAY_AFTER, **NARRATIVE)
    weekly.weekly_report_submit(report_id=report.pk, actor=joint, now=MONDAY_AFTER)
    state = _report_state(report)
    with pytest.raises(ServiceError, match="填报人与审核人不能是同一人"):
        weekly.weekly_report_approve(report_id=report.pk, actor=joint, now=MONDAY_AFTER)
    with pytest.raises(ServiceError, match="填报人与审核人不能是同一人"):
        weekly.weekly_report_return(report_id=report.pk, actor=joint, reason="x", now=MONDAY_AFTER)
    assert _report_state(report) == state
    # nor can the database hold it
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyReport.objects.filter(pk=report.pk).update(reviewed_by=joint)
    # another joint-office member of the county may sign it off
    other = UserFactory(department=departments["education"], role=Role.JOINT_OFFICE)
    sent = weekly.weekly_report_approve(report_id=report.pk, actor=other, now=MONDAY_AFTER)
    assert sent.status == WeeklyReportStatus.SENT and sent.reviewed_by == other


def test_submit_needs_the_narrative_and_the_right_people(seeded, regions, users):
    report, _created = generate(regions)
    state = _report_state(report)
    with pytest.raises(ServiceError, match="请先填写：工作进展、存在问题、下步工作"):
        weekly.weekly_report_submit(report_id=report.pk, actor=users["joint_office"], now=MONDAY_AFTER)
    for key in ("education_head", "education_inspector", "prefecture_head"):
        with pytest.raises(ActionForbidden):
            weekly.weekly_report_save(report_id=report.pk, actor=users[key], now=MONDAY_AFTER, **NARRATIVE)
    with pytest.raises(TransitionNotAllowed):
        weekly.weekly_report_approve(report_id=report.pk, actor=users["education_head"], now=MONDAY_AFTER)
    assert _report_state(report) == state


def test_return_makes_a_draft_again_and_sent_is_final(seeded, regions, users):
    report, _created = generate(regions)
    joint, head = users["joint_office"], users["education_head"]
    weekly.weekly_report_save(report_id=report.pk, actor=joint, now=MONDAY_AFTER, **NARRATIVE)
    weekly.weekly_report_submit(report_id=report.pk, actor=joint, now=MONDAY_AFTER)
    with pytest.raises(ServiceError, match="退回意见"):
        weekly.weekly_report_return(report_id=report.pk, actor=head, reason=" ", now=MONDAY_AFTER)
    returned = weekly.weekly_report_return(report_id=report.pk, actor=head, reason="问题分析不具体",
                                           now=MONDAY_AFTER)
    assert returned.status == WeeklyReportStatus.DRAFT and returned.filled_by is None
    weekly.weekly_report_submit(report_id=report.pk, actor=joint, now=MONDAY_AFTER)
    weekly.weekly_report_approve(report_id=report.pk, actor=head, now=MONDAY_AFTER)
    for call in (lambda: weekly.weekly_report_save(report_id=report.pk, actor=joint, now=MONDAY_AFTER, **NARRATIVE),
                 lambda: weekly.weekly_report_submit(report_id=report.pk, actor=joint, now=MONDAY_AFTER),
                 lambda: weekly.weekly_report_approve(report_id=report.pk, actor=head, now=MONDAY_AFTER)):
        with pytest.raises(TransitionNotAllowed):
            call()
    kinds = list(AuditEvent.objects.filter(object_type="regulator.weeklyreport", object_id=str(report.pk))
                 .order_by("id").values_list("kind", flat=True))
    assert kinds == ["weekly_report.generated", "weekly_report.saved", "weekly_report.submitted",
                     "weekly_report.returned", "weekly_report.submitted", "weekly_report.sent"]


def test_sign_off_through_the_pages(seeded, regions, users, joint_office_client, education_head_client):
    report, _created = generate(regions)
    page = joint_office_client.get(f"/weekly/{report.pk}/").content.decode()
    assert 'id="weekly-narrative-form"' in page and 'id="weekly-approve-form"' not in page
    response = joint_office_client.post(f"/weekly/{report.pk}/do/save/", {**NARRATIVE, "progress": ""})
    # Django's message in plain Chinese (locale/zh_Hans)
    assert response.status_code == 400 and "此项必须填写。" in response.content.decode()
    joint_office_client.post(f"/weekly/{report.pk}/do/save/", NARRATIVE)
    response = joint_office_client.post(f"/weekly/{report.pk}/do/submit/", follow=True)
    page = response.content.decode()
    assert "已填报，待审核人审核" in page
    page = joint_office_client.get(f"/weekly/{report.pk}/").content.decode()
    assert 'id="weekly-approve-form"' not in page  # the 填报人 is offered no sign-off of their own report
    response = joint_office_client.post(f"/weekly/{report.pk}/do/approve/", follow=True)
    assert "填报人与审核人不能是同一人" in response.content.decode()
    response = education_head_client.post(f"/weekly/{report.pk}/do/approve/", follow=True)
    assert "已报送上级" in response.content.decode()
    report.refresh_from_db()
    assert report.status == WeeklyReportStatus.SENT and report.reviewed_by == users["education_head"]
    assert joint_office_client.post(f"/weekly/{report.pk}/do/nonsense/").status_code == 404


def test_penalties_are_counted_per_case_and_money_kept_apart(regions, departments, users):
    from decimal import Decimal

    from penalties.models import CaseStatus
    from tests.factories import InstitutionFactory, PenaltyCaseFactory

    institution = InstitutionFactory(region=regions["township"])
    decided = at(datetime.date(2025, 6, 11))  # a Wednesday; its week starts Saturday 7 June
    PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED, now=decided, penalties=(
        {"kind": "warning", "legal_basis": "《民办教育促进法》第六十二条"},
        {"kind": "fine", "amount": Decimal("20000"), "legal_basis": "《校外培训行政处罚暂行办法》第十八条"},
        {"kind": "confiscation", "amount": Decimal("3000"), "legal_basis": "《校外培训行政处罚暂行办法》第十七条"},
    ))
    figures = weekly.weekly_figures(region_code=regions["county"].code, week_start=datetime.date(2025, 6, 7))
    headline = dict(figures["headline"])
    assert headline["作出处罚决定（件）"] == 1  # one case, three penalties
    assert headline["罚款（元）"] == "20000.00" and headline["没收违法所得（元）"] == "3000.00"
    assert "处罚金额（元）" not in headline and "处罚" not in headline
    assert {row["kind"]: (row["count"], row["amount"]) for row in figures["enforcement"]["kinds"]} == {
        "warning": (1, None), "fine": (1, "20000.00"), "confiscation": (1, "3000.00")}
    # the week before holds none of it
    before = weekly.weekly_figures(region_code=regions["county"].code, week_start=datetime.date(2025, 5, 31))
    assert dict(before["headline"])["作出处罚决定（件）"] == 0
