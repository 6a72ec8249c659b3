"""Ledgers behind the dashboard's figures and their .xlsx exports: scope, filters, bad input, query counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.factories import (
    InstitutionFactory,
    ListEntryFactory,
    PenaltyCaseFactory,
    RectificationOrderFactory,
    ReportFactory,
    SuspensionNoticeFactory,
    VisitFactory,
)
from tests.regulator import test_dashboard as oversight
from tests.regulator.test_dashboard import IN_PERIOD, PERIOD, at

seeded = oversight.seeded  # the shared fixture: activity in two counties of 济南市

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    # The title block: who made it, when, with which filters; a blank row; then the header.
    assert [str(row[0]).split("：")[0] for row in rows[:3]] == ["制表单位", "制表时间", "筛选条件"]
    assert all(value is None for value in rows[3])
    return rows[4:]


def names(rows, column: str) -> set:
    index = rows[0].index(column)
    return {row[index] for row in rows[1:]}


def test_visits_export_applies_region_period_and_measure(seeded, prefecture_head_client):
    rows = sheet_rows(prefecture_head_client.get("/ledger/visits/export.xlsx",
                                                 {"region": "370102", "measure": "done", **PERIOD}))
    assert rows[0][:3] == ("编号", "机构", "区划")
    assert names(rows, "机构") == {"历下甲培训", "历下乙培训"}  # the market visit is not the prefecture's remit
    assert len(rows) == 1 + 2
    submitted = rows[1][rows[0].index("提交时间")]
    assert isinstance(submitted, datetime.datetime) and submitted.date() == IN_PERIOD


def test_county_joint_office_exports_what_the_inspections_scope_allows(seeded, joint_office_client):
    rows = sheet_rows(joint_office_client.get("/ledger/visits/export.xlsx", {"measure": "done"}))
    # The inspections app's scope: visits led by the county's departments (the one in 青岛 too), not 市中's.
    assert names(rows, "机构") == {"历下甲培训", "历下乙培训", "青岛丁培训"}
    # Without a period every submitted visit: the 2024 one too (3 in 2025 in 历下, 1 in 2024, 1 in 青岛).
    assert len(rows) == 1 + 5
    in_county = sheet_rows(joint_office_client.get("/ledger/visits/export.xlsx", {"measure": "done",
                                                                                  "region": "370102"}))
    assert names(in_county, "机构") == {"历下甲培训", "历下乙培训"}


def test_police_inspector_sees_no_education_visits(seeded, police_inspector_client):
    rows = sheet_rows(police_inspector_client.get("/ledger/visits/export.xlsx"))
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("orders", {"measure": "issued"}, 3),
        ("orders", {"measure": "closed_on_time"}, 1),
        ("orders", {"measure": "overdue"}, 1),
        ("orders", {"status": "closed"}, 2),
        ("problems", {"measure": "found"}, 3),
        ("penalties", {"measure": "decided", "penalty_kind": "fine"}, 1),
        ("cases", {"measure": "decided"}, 1),
        ("reports", {"measure": "received"}, 3),
        ("reports", {"measure": "handled_in_time"}, 1),
        ("entries", {"measure": "published"}, 2),
        ("entries", {"measure": "published", "list_kind": "black"}, 1),
        ("suspensions", {}, 0),
    ],
)
def test_each_ledger_exports_with_filters(seeded, joint_office_client, kind, params, expected):
    rows = sheet_rows(joint_office_client.get(f"/ledger/{kind}/export.xlsx", {**params, **PERIOD}))
    assert len(rows) - 1 == expected


def test_reports_export_has_no_reporter_identity_and_no_formulas(seeded, regions, departments, joint_office_client):
    ReportFactory(region=regions["township"], department=departments["education"], assigned=True,
                  now=at(IN_PERIOD), deadline=IN_PERIOD, subject_name='=HYPERLINK("http://evil","x")',
                  reporter_name="举报人王秘密", reporter_phone="13912345678")
    response = joint_office_client.get("/ledger/reports/export.xlsx", PERIOD)
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content))
    cells = [cell for row in workbook.worksheets[0].iter_rows() for cell in row]
    assert any(cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s" for cell in cells)
    assert not any(cell.data_type == "f" for cell in cells)
    assert "举报人王秘密" not in str([cell.value for cell in cells]) and "13912345678" not in str(
        [cell.value for cell in cells])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "nonsense"}, "不是有效的选项"),
        ({"measure": "everything"}, "不是有效的选项"),
        ({"region": "370103"}, "不在您的管辖范围内"),
        ({"region": "99"}, "不存在"),
        ({"department": "999999"}, "部门不存在"),
        ({"start": "2025-06-01", "end": "2025-01-01"}, "结束日期早于开始日期"),
        ({"start": "2010-01-01", "end": "2025-01-01"}, "不能超过3年"),
    ],
)
def test_unknown_filter_values_are_refused(seeded, joint_office_client, params, message):
    page = joint_office_client.get("/ledger/orders/", params)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert "历下甲培训" not in page.content.decode()
    export = joint_office_client.get("/ledger/orders/export.xlsx", params, follow=True)
    assert export["Content-Type"].startswith("text/html")
    assert "无法导出" in export.content.decode()


def test_unknown_ledger_is_404(users, joint_office_client):
    assert joint_office_client.get("/ledger/salaries/").status_code == 404
    assert joint_office_client.get("/ledger/salaries/export.xlsx").status_code == 404


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/ledger/visits/export.xlsx")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_ledger_page_queries_do_not_grow(seeded, regions, departments, users, joint_office_client):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert joint_office_client.get("/ledger/visits/", PERIOD).status_code == 200
        return len(captured)

    count()  # the first page caches the session and the navigation counts
    before = count()
    for index in range(15):
        VisitFactory(institution=InstitutionFactory(region=regions["township"], name=f"批量{index}"),
                     lead_department=departments["education"], inspectors=[users["education_inspector"]],
                     submitted=True, now=at(IN_PERIOD))
    assert count() == before


def _every_ledger_kind(rows, *, regions, departments, users):
    """`rows` things of 历下区教育局 on IN_PERIOD, one of each ledger's kind in turn."""
    education, inspector = departments["education"], users["education_inspector"]
    fine = [{"kind": "fine", "amount": Decimal("2000"), "legal_basis": "《民办教育促进法》第六十二条"}]
    kinds = [
        lambda inst: VisitFactory(institution=inst, lead_department=education, inspectors=[inspector],
                                  with_problems=True, now=at(IN_PERIOD)),  # a visit and its problem
        lambda inst: RectificationOrderFactory(institution=inst, department=education, drafted_by=inspector,
                                               served=True, approved_at=at(IN_PERIOD)),
        lambda inst: SuspensionNoticeFactory(institution=inst, department=education, drafted_by=inspector,
                                             approved=True, approved_at=at(IN_PERIOD)),
        lambda inst: PenaltyCaseFactory(institution=inst, department=education, opened_by=inspector, decided=True,
                                        penalties=fine, now=at(IN_PERIOD)),  # a case and its penalty
        lambda inst: ReportFactory(institution=inst, department=education, replied=True, now=at(IN_PERIOD)),
        lambda inst: ListEntryFactory(institution=inst, proposed_by=inspector, published=True, now=at(IN_PERIOD)),
    ]
    for index in range(rows):
        kinds[index % len(kinds)](InstitutionFactory(region=regions["township"], name=f"台账机构{index}"))


LEDGER_PAGES = [  # kind, filter, queries: user, one page of rows (one query of values), nav counts
    ("visits", {"measure": "done"}, 3),
    ("problems", {"measure": "found"}, 4),  # …and the checklist items offered by its filter
    ("orders", {"measure": "issued"}, 3),
    ("suspensions", {"status": "approved"}, 3),
    ("cases", {"measure": "decided"}, 3),
    ("penalties", {"measure": "decided", "penalty_kind": "fine"}, 3),
    ("reports", {"measure": "handled_in_time"}, 3),
    ("entries", {"measure": "published", "list_kind": "white"}, 3),
]


@pytest.mark.parametrize("rows", [10, 200])
def test_every_ledger_page_has_a_pinned_query_count(seeded, regions, departments, users, joint_office_client, rows,
                                                    django_assert_num_queries):
    _every_ledger_kind(rows, regions=regions, departments=departments, users=users)
    joint_office_client.get("/ledger/visits/")
    for kind, params, queries in LEDGER_PAGES:
        with django_assert_num_queries(queries):
            response = joint_office_client.get(f"/ledger/{kind}/", {**params, **PERIOD})
        assert response.status_code == 200, kind
        assert response.content.decode().count("<tr>") - 1 >= min(rows // 6, 50), kind


def test_ledger_pages_keyset(seeded, regions, departments, users, joint_office_client, monkeypatch):
    from regulator.oversight import exports

    monkeypatch.setattr(exports, "PAGE_SIZE", 2)
    page = joint_office_client.get("/ledger/visits/", {"measure": "done", **PERIOD}).content.decode()
    assert 'rel="next"' in page
