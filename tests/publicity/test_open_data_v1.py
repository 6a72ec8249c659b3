"""Open data v1 (publicity/api.py): paged datasets with totals, region/date/updated_since filters, removals and
versions, bilingual CSV, CORS, Asia/Shanghai offsets; its OpenAPI 3.1 document validates, and schemathesis finds
no 5xx. Nothing unpublished or internal leaks."""

import csv
import datetime
import io
import json

import pytest
import schemathesis
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate

from institutions.models import AnnualResult
from publicity import bulk, services
from publicity.models import EntryStatus, ListEntry, ListKind
from tests.factories import CampaignFactory, InstitutionFactory, ListEntryFactory, SpotCheckDrawFactory

from .open_data import annual_batch, decision

pytestmark = pytest.mark.django_db
API = "/public/api/v1"
SECRET = "内部备注不得公开"


@pytest.fixture
def world(institution, users, departments, regions):
    white = ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED, internal_remark=SECRET)
    bad = InstitutionFactory(name="黑心补习班", region=regions["county"], address="地下室")
    black = ListEntryFactory(institution=bad, status=EntryStatus.APPROVED, list_kind=ListKind.BLACK,
                             reason="无证办学", black_category="unlicensed", internal_remark=SECRET)
    services.batch_publish(entry_ids=[black.pk], actor=users["joint_office"])
    hidden = InstitutionFactory(name="未公示的补习班", region=regions["county"])
    ListEntryFactory(institution=hidden, status=EntryStatus.APPROVED, internal_remark=SECRET)
    checked = InstitutionFactory(name="抽查过的舞蹈培训", region=regions["township"])
    campaign = CampaignFactory(kind="spot_check", lead_department=departments["education"],
                               departments=[departments["market"]], region=regions["township"])
    SpotCheckDrawFactory(campaign=campaign, sample_size=2, published=True)
    decision(institution, users["education_head"])  # 行政处罚法 Art 48
    annual_batch(users["education_head"], users["education_inspector"], [(AnnualResult.FAIL, "消防通道堵塞")])
    bulk.write_bulk_files()
    return {"white": white, "black": ListEntry.objects.get(pk=black.pk), "checked": checked}


def get(path: str, **query):
    return Client().get(f"{API}{path}", query)


def test_entries_are_paged_with_a_total_and_hold_only_public_fields(world):
    response = get("/entries", page_size=1)
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert (body["total"], body["page"], body["page_size"], len(body["results"])) == (2, 1, 1, 1)
    assert body["license"] == "CC BY 4.0"
    everything = json.dumps(get("/entries").json(), ensure_ascii=False)
    assert "未公示的补习班" not in everything and SECRET not in everything
    assert get("/entries", page=2, page_size=1).json()["results"][0]["entry_id"] != body["results"][0]["entry_id"]
    published_at = body["results"][0]["published_at"]
    assert published_at.endswith("+08:00")  # Asia/Shanghai, with its offset


def test_entries_filter_by_region_dates_and_updated_since(world, regions):
    in_township = get("/entries", region=regions["township"].code).json()["results"]
    assert {row["institution_name"] for row in in_township} == {"星光美术培训中心"}
    today = timezone.localdate()
    assert get("/entries", since=today.isoformat()).json()["total"] == 2
    assert get("/entries", until=(today - datetime.timedelta(days=1)).isoformat()).json()["total"] == 0
    moment = timezone.now()
    assert get("/entries", updated_since=moment.isoformat()).json()["total"] == 0
    ListEntry.objects.filter(pk=world["black"].pk).update(updated_at=moment + datetime.timedelta(seconds=5))
    changed = get("/entries", updated_since=moment.isoformat()).json()
    assert [row["entry_id"] for row in changed["results"]] == [world["black"].pk]


def test_a_removal_appears_in_the_dataset(world, users):
    entry = world["black"]
    services.removal_propose(entry_id=entry.pk, actor=users["education_inspector"], reason="已整改到位")
    services.removal_approve(entry_id=entry.pk, actor=users["joint_office"])
    rows = {row["entry_id"]: row for row in get("/entries").json()["results"]}
    assert rows[entry.pk]["status"] == "removed" and rows[entry.pk]["removed_at"].endswith("+08:00")


def test_institutions_and_spot_checks_datasets(world):
    names = {row["name"] for row in get("/institutions").json()["results"]}
    assert {"星光美术培训中心", "黑心补习班", "抽查过的舞蹈培训"} <= names and "未公示的补习班" not in names
    checks = get("/spot-checks").json()
    assert checks["total"] == 2
    assert {row["outcome_label"] for row in checks["results"]} == {"未发现问题"}
    assert all(row["checked_at"].endswith("+08:00") for row in checks["results"])


def test_csv_has_chinese_and_english_headers(world):
    response = get("/entries", format="csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["X-Total-Count"] == "2" and response["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["条目编号/entry_id", "版本/version"] and len(rows) == 3


@pytest.mark.parametrize(("query", "reason"), [
    ({"page": "0"}, "不能小于 1"),
    ({"page_size": "5000"}, "不能大于 1000"),
    ({"since": "明天"}, "日期时间格式无效"),
    ({"region": "37x"}, "格式无效"),
    ({"format": "xml"}, "取值无效"),
    ({"updated_since": "0490-09-05T01:15:52+17:17"}, "时区偏移须在 ±14:00 之内"),  # found by schemathesis
    ({"updated_since": "0490-09-05T01:15:52+08:00"}, "时间须在 1970 年至 2100 年之间"),
    ({"since": "0001-01-01"}, "日期须在 1970 年至 2100 年之间"),
])
def test_bad_parameters_get_a_400_with_a_chinese_reason(world, query, reason):
    response = get("/entries", **query)
    assert response.status_code == 400
    assert reason in response.json()["details"][0]["reason"]


def test_the_openapi_document_is_3_1_and_valid():
    cache.clear()
    response = Client().get("/public/openapi.json")
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert {f"{API}/entries", f"{API}/institutions", f"{API}/spot-checks", f"{API}/decisions",
            f"{API}/annual-results", f"{API}/bulk"} <= set(document["paths"])


def test_schemathesis_finds_no_server_error(world):
    """Every operation of the document, with parameters schemathesis generates from it (valid and not):
    a 200 or a 400 with a reason, never a 5xx."""
    cache.clear()
    document = schemathesis.openapi.from_dict(json.loads(Client().get("/public/openapi.json").content))
    client, failures, seen = Client(), [], 0

    for result in document.get_all_operations():
        operation = result.ok()

        @hypothesis_settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            nonlocal seen
            response = client.get(case.path, case.query or {})
            seen += 1
            if response.status_code >= 500 or response.status_code not in (200, 400):
                failures.append((case.path, case.query, response.status_code))

        run()
    assert seen >= 6 and failures == []


@pytest.mark.parametrize("rows", [10, 200])
def test_two_queries_a_page_however_many_rows(world, regions, users, rows, django_assert_num_queries):
    entries = [ListEntryFactory(institution=InstitutionFactory(name=f"批量{n:03d}", region=regions["township"]),
                                status=EntryStatus.APPROVED) for n in range(rows)]
    services.batch_publish(entry_ids=[entry.pk for entry in entries], actor=users["joint_office"])
    for path in ("/entries", "/institutions", "/spot-checks", "/decisions", "/annual-results"):
        with django_assert_num_queries(2):  # the total, the page
            response = get(path, page_size=100)
        assert response.status_code == 200
    assert get("/entries").json()["total"] == rows + 2
