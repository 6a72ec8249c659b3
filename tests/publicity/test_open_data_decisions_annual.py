"""Open data v1, the datasets of issue 16's second part: penalty decisions published under 行政处罚法 Art 48
(withdrawals as removals) and annual-inspection results published in batches. Nothing unpublished leaks: not a
pending publication, not an open plan, not the reporter, not a natural person's name or credit code."""

import csv
import datetime
import io
import json

import pytest
from django.test import Client
from django.utils import timezone

from institutions.models import AnnualResult
from publicity import publications
from publicity.models import PublicationStatus
from tests.factories import InstitutionFactory, LicenceFactory, licensed_institution

from .open_data import LEGAL_REPRESENTATIVE, REPORTER_NAME, REPORTER_PHONE, annual_batch, decision

pytestmark = pytest.mark.django_db
API = "/public/api/v1"


def get(path: str, **query):
    return Client().get(f"{API}{path}", query)


def everything(path: str) -> str:
    return json.dumps(get(path, page_size=1000).json(), ensure_ascii=False) + get(
        path, format="csv", page_size=1000).content.decode("utf-8-sig")


@pytest.fixture
def decisions(institution, users, regions):
    head = users["education_head"]
    _case, published = decision(institution, head, facts=f"{LEGAL_REPRESENTATIVE}（电话13812345678）在住宅内办班。")
    person = InstitutionFactory(name="张三丰", region=regions["township"])
    _case, masked = decision(person, head, natural_person=True)
    pending_institution = InstitutionFactory(name="待公开的补习班", region=regions["township"])
    _case, pending = decision(pending_institution, head, publish=False)
    return {"published": published, "masked": masked, "pending": pending}


def test_published_decisions_with_their_parts(decisions, institution):
    body = get("/decisions").json()
    assert body["total"] == 2 and body["license"] == "CC BY 4.0"
    row = {row["publication_id"]: row for row in body["results"]}[decisions["published"].pk]
    assert row["status"] == "published" and row["decision_number"] == decisions["published"].document_number
    assert (row["institution_name"], row["credit_code"]) == ("星光美术培训中心", institution.credit_code)
    assert row["penalty_kinds"] == "罚款；警告/通报批评" and row["penalty_amount"] == "20000.00"
    assert row["legal_basis"] == "《校外培训行政处罚暂行办法》第十八条；《民办教育促进法》第六十二条"
    assert row["facts"] == "王**（电话138****5678）在住宅内办班。"
    assert row["department_name"] == "历下区教育局" and row["region_code"] == institution.region_id
    assert row["decided_on"] == timezone.localdate().isoformat() and row["published_at"].endswith("+08:00")
    assert (row["withdrawn_at"], row["withdrawal_reason"]) == (None, "")


def test_nothing_unpublished_or_personal_leaks_from_decisions(decisions):
    text = everything("/decisions")
    assert "待公开的补习班" not in text and decisions["pending"].document_number not in text
    assert REPORTER_NAME not in text and REPORTER_PHONE not in text and LEGAL_REPRESENTATIVE not in text
    assert "张三丰" not in text and "13812345678" not in text
    row = {row["publication_id"]: row for row in get("/decisions").json()["results"]}[decisions["masked"].pk]
    assert (row["institution_name"], row["credit_code"]) == ("张**", "")


def test_a_withdrawn_decision_stays_as_a_withdrawal(decisions, users):
    publication = decisions["published"]
    moment = timezone.now()
    publications.publication_withdrawal_required(source_id=publication.source_id, reason="annulled_on_review",
                                                 ordered_on=timezone.localdate(), note="某县人民政府 复决字1号")
    due = {row["publication_id"]: row for row in get("/decisions").json()["results"]}[publication.pk]
    assert due["status"] == "published"  # still on the public site until taken down (3 working days)
    publications.publication_withdraw(publication_id=publication.pk, actor=users["education_head"])
    changed = get("/decisions", updated_since=moment.isoformat()).json()
    assert [row["publication_id"] for row in changed["results"]] == [publication.pk]
    row = changed["results"][0]
    assert row["status"] == "withdrawn" and row["withdrawn_at"].endswith("+08:00")
    assert (row["withdrawal_reason"], row["withdrawal_reason_label"]) == (
        "annulled_on_review", "经行政复议被撤销或确认违法")
    assert "复决字" not in everything("/decisions")  # the staff's note is not published
    assert get("/decisions").json()["total"] == 2


def test_a_pending_decision_withdrawn_never_shows(decisions):
    pending = decisions["pending"]
    publications.publication_withdrawal_required(source_id=pending.source_id, reason="changed",
                                                 ordered_on=timezone.localdate())
    pending.refresh_from_db()
    assert pending.status == PublicationStatus.WITHDRAWN
    assert pending.pk not in {row["publication_id"] for row in get("/decisions").json()["results"]}


def test_decisions_filter_by_region_and_dates(decisions, regions):
    assert get("/decisions", region=regions["other_county"].code).json()["total"] == 0
    assert get("/decisions", region=regions["county"].code).json()["total"] == 2
    today = timezone.localdate()
    assert get("/decisions", since=today.isoformat(), until=today.isoformat()).json()["total"] == 2
    assert get("/decisions", since=(today + datetime.timedelta(days=1)).isoformat()).json()["total"] == 0


@pytest.fixture
def annual(institution, users, regions):
    """Three licensed institutions of the county: 合格, 不合格 (with reasons), refused; and next year's open plan."""
    failing = licensed_institution(regions["township"], name="年检不合格的培训学校")
    refusing = licensed_institution(regions["township"], name="拒绝年检的培训学校")
    LicenceFactory(institution=failing, kind="school_running", number="教民137010270000099号", state="expired")
    by_id = {institution.pk: (AnnualResult.PASS, ""),
             failing.pk: (AnnualResult.FAIL, "消防通道堵塞，联系人13812345678"),
             refusing.pk: ("refused", "负责人拒绝签收，态度恶劣，内部记录")}
    published = annual_batch(users["education_head"], users["education_inspector"],
                             [by_id[key] for key in sorted(by_id)])
    open_plan = annual_batch(users["education_head"], users["education_inspector"],
                             [(AnnualResult.BASIC_PASS, "未公布的理由")] * 3, year=published.year + 1, publish=False)
    return {"published": published, "open": open_plan, "failing": failing, "refusing": refusing}


def test_annual_results_of_published_batches(annual, institution):
    body = get("/annual-results").json()
    assert body["total"] == 3
    rows = {row["institution_id"]: row for row in body["results"]}
    plan = annual["published"]
    passed = rows[institution.pk]
    assert (passed["batch_number"], passed["year"], passed["result"], passed["result_label"]) == (
        plan.batch_number, plan.year, "pass", "合格")
    assert passed["licence_number"] == "教民137010270000001号" and passed["reasons"] == ""
    assert passed["department_name"] == "历下区教育局" and passed["published_at"].endswith("+08:00")
    failed = rows[annual["failing"].pk]
    assert (failed["result"], failed["result_label"]) == ("fail", "不合格")
    assert failed["reasons"] == "消防通道堵塞，联系人138****5678"
    assert failed["licence_number"] != "教民137010270000099号"  # the valid licence, not the expired one
    refused = rows[annual["refusing"].pk]
    assert (refused["result"], refused["result_label"], refused["reasons"]) == ("refused", "拒绝接受年检", "")


def test_nothing_of_an_open_plan_or_a_staff_note_leaks(annual):
    text = everything("/annual-results")
    assert "未公布的理由" not in text and "内部记录" not in text and "13812345678" not in text
    assert str(annual["open"].year) not in {str(row["year"]) for row in get("/annual-results").json()["results"]}


def test_annual_results_filter_and_csv(annual, regions):
    assert get("/annual-results", region=regions["far_county"].code).json()["total"] == 0
    moment = timezone.now()
    assert get("/annual-results", updated_since=moment.isoformat()).json()["total"] == 0
    response = get("/annual-results", format="csv")
    assert response["X-Total-Count"] == "3" and response["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["结果编号/result_id", "公布批次号/batch_number", "年度/year"] and len(rows) == 4
