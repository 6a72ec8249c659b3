"""In Chromium, a penalty case from the lead to its closure with a hearing, driven through the real pages by the
people who would take each step: the investigator (on a phone), the head, a hearing chair who did not
investigate and a legally qualified reviewer (issue 12).

lead → 初核 → 立案 (head) → 调查取证 with a 现场检查笔录 → 调查终结报告 (illegal income ¥46,580 − ¥43,580) → 审理
(责令停止举办 and a ¥9,000 fine, Order 53 Art 17: the hearing right) → 事先告知书 made and served → the party
states and asks for a hearing → 听证通知书 at least 7 working days ahead → 听证笔录 and 听证报告 (the chair) → 法制审核
(the reviewer) → 集体讨论 → 决定 → 送达 → 缴款 → 执行 → 结案报告 → closed. Each step's document is issued from the
page and listed on it; steps taken too early are refused with the law's Chinese message and write nothing.

The law needs days to pass; the pages read the real clock. The live server runs in a thread of this process, so
the `clock` fixture replaces django.utils.timezone.now (which timezone.localtime/localdate call too) with a clock
that starts where the test sets it and runs on from there: Monday 2 March 2026, no holiday until Qingming."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from penalties.models import (
    CaseDocument,
    CaseStatus,
    Decision,
    Hearing,
    HearingStatus,
    LegalQualification,
    PenaltyCase,
)
from regulator.audit import verify_chains
from regulator.models import AuditEvent, Role
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, PenaltyCaseFactory, UserFactory
from tests.factories.organisation import at
from tests.factories.penalties import provision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MON = datetime.date(2026, 3, 2)


class Clock:
    """django.utils.timezone.now, moved: `set(moment)` and the clock runs on from `moment`."""

    def __init__(self, real_now):
        self.real_now, self.offset = real_now, datetime.timedelta(0)

    def set(self, moment: datetime.datetime) -> None:
        self.offset = moment - self.real_now()

    def now(self) -> datetime.datetime:
        return self.real_now() + self.offset


@pytest.fixture
def clock(monkeypatch):
    moved = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", moved.now)
    return moved


@pytest.fixture
def people(users, departments):
    education = departments["education"]
    chair = UserFactory(username="chair", department=education, role=Role.INSPECTOR, full_name="李主持")
    reviewer = UserFactory(username="reviewer", department=education, role=Role.INSPECTOR, full_name="赵法制")
    LegalQualification.objects.create(user=reviewer, certificate="A20190001", granted_on=datetime.date(2020, 1, 1))
    return {"investigator": users["education_inspector"], "head": users["education_head"], "chair": chair,
            "reviewer": reviewer}


@pytest.fixture
def contexts(browser):
    """The browser contexts a test opens, closed after it."""
    opened = []
    yield opened
    for context in opened:
        context.close()


class Desk:
    """One browser context per person (the investigator's a phone), logged in when the server asks for it; every
    page's console is watched for Content-Security-Policy violations (as tests/browser/conftest.py does)."""

    def __init__(self, browser, contexts, live_server, case, people):
        self.browser, self.contexts, self.live_server, self.case, self.people = (
            browser, contexts, live_server, case, people)
        self.pages, self.violations = {}, []
        self.url = f"{live_server.url}/penalties/cases/{case.pk}/"

    def _page(self, who):
        if who not in self.pages:
            phone = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
            context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                               **(phone if who == "investigator" else {}))
            self.contexts.append(context)
            page = context.new_page()
            page.on("console", lambda m, p=page: self.violations.append(f"{p.url}: {m.text}") if any(
                word in m.text for word in ("Content Security Policy", "Content-Security-Policy",
                                            "Permissions-Policy", "Permissions policy")) else None)
            self.pages[who] = page
        return self.pages[who]

    def open(self, who):
        """`who` on the case page (logged in again when the moved clock ended the session)."""
        page = self._page(who)
        response = page.goto(self.url)
        if "/accounts/login/" in page.url:
            login(page, self.live_server, self.people[who].username)
            response = page.goto(self.url)
        assert response.status == 200, f"{self.url} answered {response.status}"
        return page

    def step(self, who, step, fields=None, *, selects=None, expect_message):
        """`who` opens the case page, fills the form of `step` and sends it; the message shown is `expect_message`."""
        page = self.open(who)
        form = page.locator(f"form[action='/penalties/cases/{self.case.pk}/{step}/']")
        expect(form).to_have_count(1)
        details = page.locator("details.step", has=form)
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        for name, value in (fields or {}).items():
            form.locator(f"[name='{name}']").fill(value)
        for name, value in (selects or {}).items():
            form.locator(f"[name='{name}']").select_option(str(value))
        form.locator("button").last.click()
        page.wait_for_load_state()
        expect(page.locator("ul.messages")).to_contain_text(expect_message)
        return page

    def issue(self, who, kind, title):
        """`who` makes the case document `kind` from the page; it is then listed under 案件文书."""
        page = self.open(who)
        page.select_option("#case-document-kind", kind)
        page.locator("form[action$='/documents/']", has=page.locator("#case-document-kind")).locator(
            "button").click()
        expect(page.locator("ul.messages")).to_contain_text("文书已制作")
        expect(page.locator("section.card", has_text="案件文书")).to_contain_text(title)

    def serve(self, who, link, served_at, *, proof=False):
        """`who` follows `link` to the service form and records an in-person service; with `proof`, first prints
        the 送达回证 listing the document (preselected) and records the service on the proof's page."""
        page = self.open(who)
        page.click(f"text={link}")
        if proof:
            page.click("text=打印送达回证")
            expect(page.locator("input[name=doc]")).to_be_checked()
            page.click("button:has-text('生成送达回证')")
            expect(page.locator("ul.messages")).to_contain_text("送达回证已生成")
            href = page.locator("a", has_text="打印（PDF）").first.get_attribute("href")
            pdf = page.request.get(f"{self.live_server.url}{href}")
            assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        page.fill("[name=served_at]", served_at)
        page.select_option("[name=method]", "in_person")
        page.fill("[name=place]", "机构办公室")
        page.fill("[name=receiver_name]", "王某")
        page.fill("[name=receiver_relation]", "法定代表人")
        page.click("button:has-text('记录送达')")
        expect(page.locator("ul.messages")).to_contain_text("送达已记录。")
        return page


def _penalties(art17, *, amount="9000"):
    return ({"penalties-0-amount": "", "penalties-1-amount": amount},
            {"penalties-0-kind": "stop_running", "penalties-0-provision": art17.pk,
             "penalties-1-kind": "fine", "penalties-1-provision": art17.pk})


def _refused(desk, who, step, message, **kwargs):
    """A step taken too early: the Chinese refusal is shown and nothing is written."""
    desk.open(who)  # a new login writes its own audit event
    events = AuditEvent.objects.count()
    status = PenaltyCase.objects.get(pk=desk.case.pk).status
    desk.step(who, step, expect_message=message, **kwargs)
    assert AuditEvent.objects.count() == events
    assert PenaltyCase.objects.get(pk=desk.case.pk).status == status


def test_a_case_from_lead_to_closure_with_a_hearing(live_server, browser, contexts, clock, people, regions,
                                                    departments):
    clock.set(at(MON, hour=10))
    institution = InstitutionFactory(region=regions["township"], name="启航学科培训中心")
    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=people["investigator"], summary="群众举报：未经审批开展学科类培训",
                              now=at(MON, hour=8, minute=30))
    art17 = provision("校外培训行政处罚暂行办法", "第十七条")
    desk = Desk(browser, contexts, live_server, case, people)

    # 线索 → 初核 → 立案 (the head approves the 立案审批表)
    desk.step("investigator", "review", expect_message="已进入初核。")
    desk.step("head", "file", {"violation_ended_on": "2026-02-20"}, expect_message="已立案。")
    desk.issue("investigator", "filing_approval", "立案审批表")

    # 调查取证: a 现场检查笔录, which becomes evidence No. 1; then the 调查终结报告 with the illegal income
    desk.step("investigator", "investigate", expect_message="已开始调查取证。")
    desk.step("investigator", "record", {
        "started_at": "2026-03-02T09:10", "ended_at": "2026-03-02T09:50", "place": "历下区某小区3号楼2单元",
        "officers": "张三（37010001）、李四（37010002）", "subject_name": "王某", "subject_role": "负责人",
        "content": "现场有学员12名，正在进行初中数学培训，未能出示办学许可证。"},
        selects={"kind": "on_site"}, expect_message="笔录已记录并编入证据。")
    page = desk.open("investigator")
    page.locator("form.inline button", has_text="制作现场检查笔录").click()
    expect(page.locator("ul.messages")).to_contain_text("文书已制作")
    desk.step("investigator", "conclude", {
        "report": "经查，该中心未经审批开展学科类校外培训，收取费用46580元，已退还43580元。",
        "income_taken": "46580", "refunds_made": "43580"}, expect_message="调查终结报告已提交")
    assert PenaltyCase.objects.get(pk=case.pk).illegal_income == Decimal("3000.00")
    desk.issue("investigator", "investigation_report", "调查终结报告")

    # 审理: 责令停止举办 and a fine of three times the illegal income: Art 63 gives the hearing right
    fills, selects = _penalties(art17)
    desk.step("head", "adjudicate", {"reason": "事实清楚，证据确凿", **fills},
              selects={"outcome": "penalty", **selects}, expect_message="审理意见已记录。")

    # 事先告知: made, then served; the statement period runs from service (5 working days: to 9 March)
    desk.step("investigator", "rights", expect_message="事先告知书已制作，请送达当事人。")
    desk.issue("investigator", "rights_notice", "行政处罚事先告知书")
    clock.set(at(MON, hour=14, minute=30))
    desk.serve("investigator", "送达事先告知书", "2026-03-02T14:00")
    case.refresh_from_db()
    assert case.hearing_right and case.statement_due == datetime.date(2026, 3, 9)

    # The next day the party states its case and asks for a hearing
    clock.set(at(datetime.date(2026, 3, 3), hour=10))
    desk.step("investigator", "statement", {"statement": "已退还大部分费用，请求从轻处罚。"},
              expect_message="陈述申辩已记录。")
    desk.step("investigator", "hearing_request", {"requested_on": "2026-03-03"}, expect_message="听证申请已登记。")
    fills, selects = _penalties(art17)
    _refused(desk, "head", "decide", "陈述申辩期限（至2026-03-09）未满", fields=fills, selects=selects)

    # 听证通知书: 11 March is only 6 working days after 3 March; the investigator may not chair
    notice = {"place": "区教育局三楼会议室", "members": "听证员孙某，记录员周某", "notice_served_on": "2026-03-03"}
    _refused(desk, "investigator", "hearing_notify", "不能担任听证主持人",
             fields={**notice, "scheduled_for": "2026-03-12T09:00"}, selects={"chair": people["investigator"].pk})
    _refused(desk, "investigator", "hearing_notify", "听证通知书应在举行听证的七个工作日前送达",
             fields={**notice, "scheduled_for": "2026-03-11T09:00"}, selects={"chair": people["chair"].pk})
    desk.step("investigator", "hearing_notify", {**notice, "scheduled_for": "2026-03-12T09:00"},
              selects={"chair": people["chair"].pk}, expect_message="听证通知已记录。")
    desk.issue("investigator", "hearing_notice", "听证通知书")

    # The statement period is over, the hearing is not: no decision, and no record before the hearing's time
    clock.set(at(datetime.date(2026, 3, 10), hour=10))
    fills, selects = _penalties(art17)
    _refused(desk, "head", "decide", "当事人已申请听证，听证尚未举行并提交听证报告，不能作出决定。",
             fields=fills, selects=selects)
    _refused(desk, "chair", "hearing_hold", "听证尚未到通知的时间", fields={"record": "听证笔录"})

    # 听证 held on 12 March: the record signed by the party, then the chair's report
    clock.set(at(datetime.date(2026, 3, 12), hour=9, minute=5))
    desk.step("chair", "hearing_hold", {"record": "调查人员陈述违法事实、证据和拟处罚意见；当事人申辩已退还费用。"},
              expect_message="听证笔录已记录。")
    desk.issue("chair", "hearing_record", "听证笔录")
    clock.set(at(datetime.date(2026, 3, 12), hour=11))
    desk.step("chair", "hearing_report", {"report": "违法事实清楚，建议维持拟处罚意见。"},
              expect_message="听证报告已提交。")
    desk.issue("chair", "hearing_report", "听证报告")
    assert Hearing.objects.get(case=case).status == HearingStatus.REPORTED

    # 法制审核 and 集体讨论 before the decision
    clock.set(at(datetime.date(2026, 3, 13), hour=10))
    fills, selects = _penalties(art17)
    _refused(desk, "head", "decide", "本案须经法制审核（行政处罚法第五十八条），尚未审核。",
             fields=fills, selects=selects)
    desk.step("reviewer", "legal_review", {"opinion": "事实清楚，证据充分，程序合法，适用依据正确，处罚适当。"},
              selects={"conclusion": "agree"}, expect_message="法制审核意见已记录。")
    desk.issue("reviewer", "legal_review", "法制审核意见书")
    _refused(desk, "head", "decide", "本案须经负责人集体讨论（行政处罚法第五十七条），尚未讨论。",
             fields=fills, selects=selects)
    desk.step("head", "discussion", {"held_at": "2026-03-13T09:30", "attendees": "局长、副局长、法制科长",
                                     "conclusion": "同意责令停止举办并处罚款9000元"}, expect_message="集体讨论已记录。")
    desk.issue("head", "discussion", "集体讨论记录")

    # 决定: no heavier than the party was told (Art 45), the statement answered
    heavier, selects = _penalties(art17, amount="12000")
    desk.step("head", "decide", {**heavier, "statement_reasons": "退费不影响违法事实的认定"},
              selects={**selects, "statement_adopted": "no"}, expect_message="行政处罚法第四十五条")
    assert not Decision.objects.filter(case=case).exists()
    desk.step("head", "decide", {**fills, "statement_reasons": "退费已在违法所得中扣除，不影响违法事实的认定"},
              selects={**selects, "statement_adopted": "no"}, expect_message="决定已作出并编号")
    decision = Decision.objects.get(case=case)

    # 送达 of the 行政处罚决定书; the fine is due 15 days after service
    clock.set(at(datetime.date(2026, 3, 16), hour=10))
    desk.serve("investigator", "送达决定书", "2026-03-16T09:30", proof=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.SERVED and case.payment_due == datetime.date(2026, 3, 31)

    # 执行: not before the fine is paid
    _refused(desk, "investigator", "execute", "罚款尚未缴清", fields={"note": "已停止举办"})
    clock.set(at(datetime.date(2026, 3, 20), hour=10))
    desk.step("investigator", "payment", {"amount": "9000", "paid_on": "2026-03-20", "receipt": "鲁财缴2026000123"},
              expect_message="缴款已记录。")
    desk.step("investigator", "execute", {"note": "罚款已缴清，该中心已停止举办。"}, expect_message="执行情况已记录。")

    # 结案报告 by the head; the case is closed
    clock.set(at(datetime.date(2026, 3, 23), hour=10))
    desk.step("head", "close", {"report": "处罚决定已执行完毕，予以结案。"}, expect_message="已结案。")
    desk.issue("head", "closure_report", "结案报告")

    page = desk.open("head")
    expect(page.locator("#step-head .badge")).to_have_text("已结案")
    documents = page.locator("section.card", has_text="案件文书")
    for title in ("立案审批表", "现场检查笔录", "调查终结报告", "行政处罚事先告知书", "听证通知书", "听证笔录",
                  "听证报告", "法制审核意见书", "集体讨论记录", "结案报告"):
        expect(documents).to_contain_text(title)
    links = documents.locator("a", has_text="打印（PDF）")
    expect(links).to_have_count(10)
    for href in [links.nth(i).get_attribute("href") for i in range(10)]:  # each a rendered, numbered PDF
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200 and response.headers["content-type"] == "application/pdf", href
    expect(page.locator("section.card", has_text=decision.number).first).to_contain_text("行政处罚决定书")
    printed = page.request.get(f"{live_server.url}/penalties/cases/{case.pk}/decision.pdf")
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    served = page.locator("section.card", has=page.locator("h2", has_text="送达回证"))
    expect(served).to_contain_text("王某（法定代表人）")
    expect(served.locator("a", has_text="查看/打印")).to_have_count(1)  # served on the printed proof

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at.date() == datetime.date(2026, 3, 23)
    assert CaseDocument.objects.filter(case=case).count() == 10
    kinds = set(AuditEvent.objects.filter(object_id=str(case.pk)).values_list("kind", flat=True))
    assert {"case.opened", "case.reviewed", "case.filed", "case.investigation_started", "case.record_added",
            "case.investigation_closed", "case.adjudicated", "case.rights_notified", "case.rights_served",
            "case.statement_recorded", "case.hearing_requested", "case.hearing_notified", "case.hearing_held",
            "case.hearing_reported", "case.legal_reviewed", "case.discussed", "case.decided", "case.served",
            "case.payment_recorded", "case.executed", "case.closed"} <= kinds
    assert list(verify_chains()) == []
    assert desk.violations == []
