"""The joint office's dashboard: figures counted right, scope per role, bad input refused, queries pinned."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections.models import ChecklistItem, VisitStatus
from penalties.models import (
    PenaltyKind,
)
from regulator.oversight.dashboard import dashboard_figures, week_of
from tests.factories import (
    InstitutionFactory,
    ListEntryFactory,
    PenaltyCaseFactory,
    RectificationOrderFactory,
    ReportFactory,
    VisitFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


IN_PERIOD = datetime.date(2025, 5, 14)  # a Wednesday; its reporting week is Sat 10 May – Fri 16 May
BEFORE = datetime.date(2024, 12, 20)


@pytest.fixture
def seeded(regions, departments, users):
    """Activity in two counties of 济南市 in 2025 (and some in 2024, outside the period), made through the services
    with their clock moved to the day each thing happened."""
    edu, other_edu, market = departments["education"], departments["other_education"], departments["market"]
    inspector, other_inspector = users["education_inspector"], users["other_county_inspector"]
    lixia = InstitutionFactory(name="历下甲培训", region=regions["township"], category="academic")
    lixia_2 = InstitutionFactory(name="历下乙培训", region=regions["township"], category="arts")
    shizhong = InstitutionFactory(name="市中丙培训", region=regions["other_township"], category="sports")
    qingdao = InstitutionFactory(name="青岛丁培训", region=regions["far_county"], category="arts")

    # Visits: 历下 3 done in 2025 (2 by education, 1 by market), 1 done in 2024, 1 planned; 市中 1 done; 青岛 1 done.
    # Problems: item 3 twice and item 6 once in 历下; item 3 once in 市中.
    done = {"status": VisitStatus.SUBMITTED, "now": at(IN_PERIOD)}
    VisitFactory(institution=lixia, lead_department=edu, inspectors=[inspector], fail_positions=(3, 6), **done)
    VisitFactory(institution=lixia_2, lead_department=edu, inspectors=[inspector], fail_positions=(3,), **done)
    VisitFactory(institution=lixia_2, lead_department=market, inspectors=[users["market_inspector"]], **done)
    VisitFactory(institution=lixia, lead_department=edu, inspectors=[inspector], submitted=True, now=at(BEFORE))
    VisitFactory(institution=lixia, lead_department=edu, inspectors=[inspector], now=at(IN_PERIOD))
    VisitFactory(institution=shizhong, lead_department=other_edu, inspectors=[other_inspector], fail_positions=(3,),
                 **done)
    VisitFactory(institution=qingdao, lead_department=edu, inspectors=[inspector], **done)

    # Orders of 历下 education: issued 3 in 2025; one closed on time, one closed late, one overdue (on 16 May).
    issued = {"department": edu, "drafted_by": inspector, "approved_at": at(IN_PERIOD)}
    RectificationOrderFactory(institution=lixia, closed=True, deadline=datetime.date(2025, 6, 30),
                              closed_at=at(datetime.date(2025, 6, 1)), **issued)
    RectificationOrderFactory(institution=lixia, closed=True, deadline=datetime.date(2025, 5, 15),
                              closed_at=at(datetime.date(2025, 5, 20)), **issued)
    RectificationOrderFactory(institution=lixia_2, overdue=True, deadline=datetime.date(2025, 5, 15), **issued)
    RectificationOrderFactory(institution=lixia_2, served=True, deadline=datetime.date(2025, 1, 30),
                              department=edu, drafted_by=inspector, approved_at=at(BEFORE))

    # Penalties: 历下 a fine of 3,000 and a warning; 市中 a fine of 1,000.50.
    basis = "《民办教育促进法》第六十二条"
    PenaltyCaseFactory(institution=lixia, department=edu, decided=True, now=at(IN_PERIOD), penalties=[
        {"kind": PenaltyKind.FINE, "amount": Decimal("3000"), "legal_basis": basis},
        {"kind": PenaltyKind.WARNING, "legal_basis": basis},
    ])
    PenaltyCaseFactory(institution=shizhong, department=other_edu, decided=True, now=at(IN_PERIOD), penalties=[
        {"kind": PenaltyKind.FINE, "amount": Decimal("1000.50"), "legal_basis": basis},
    ])

    # Reports of 历下: 3 received; 1 replied in time, 1 replied late, 1 not yet assigned. 市中: 1 received.
    ReportFactory(region=regions["township"], department=edu, replied=True, now=at(IN_PERIOD),
                  deadline=datetime.date(2025, 5, 30), replied_at=at(datetime.date(2025, 5, 20)))
    ReportFactory(region=regions["township"], department=edu, replied=True, now=at(IN_PERIOD),
                  deadline=datetime.date(2025, 5, 15), replied_at=at(datetime.date(2025, 5, 20)))
    ReportFactory(region=regions["township"], now=at(IN_PERIOD))
    ReportFactory(region=regions["other_township"], department=other_edu, assigned=True, now=at(IN_PERIOD),
                  deadline=datetime.date(2025, 5, 30))

    # List entries: 历下 1 white + 1 black published in 2025, 1 proposed; 市中 1 white.
    ListEntryFactory(institution=lixia, proposed_by=inspector, black=True, published=True, now=at(IN_PERIOD))
    ListEntryFactory(institution=lixia_2, proposed_by=inspector, published=True, now=at(IN_PERIOD))
    ListEntryFactory(institution=lixia_2, proposed_by=inspector, now=at(IN_PERIOD))
    ListEntryFactory(institution=shizhong, proposed_by=other_inspector, published=True, now=at(IN_PERIOD))
    return {"lixia": lixia, "lixia_2": lixia_2, "shizhong": shizhong, "qingdao": qingdao}


def headline(figures) -> dict:
    return {key: cell.value for key, _label, cell in figures.headline}


def table(figures, section_key: str, index: int = 0):
    section = next(s for s in figures.sections if s.key == section_key)
    found = section.tables[index]
    return {row.label: dict(zip(found.columns, [c.value for c in row.cells], strict=True)) for row in found.rows}


# ---- figures -------------------------------------------------------------------------------------------


def test_county_figures_are_counted_in_the_database(seeded, users):
    figures = dashboard_figures(user=users["joint_office"], region_code="370102", start=START, end=END)
    numbers = headline(figures)
    assert numbers["institutions"] == 2
    assert numbers["visits-done"] == 3  # not the 2024 visit, not the planned one, not 市中 or 青岛
    assert numbers["problems"] == 3
    assert numbers["orders-issued"] == 3
    assert numbers["orders-closed_on_time"] == 1
    assert numbers["orders-overdue"] == 1
    assert numbers["penalties"] == 2
    assert numbers["penalty-amount"] == Decimal("3000")
    assert numbers["reports-received"] == 3
    assert numbers["reports-in-time"] == 1
    assert numbers["entries"] == 2
    by_department = table(figures, "visits", 1)
    assert by_department["历下区教育局"]["完成检查"] == 2
    assert by_department["历下区市场监督管理局"]["完成检查"] == 1
    by_township = table(figures, "visits", 0)
    assert by_township["解放路街道"]["完成检查"] == 3
    problems = table(figures, "problems", 0)
    item_3 = next(label for label in problems if label.startswith(ChecklistItem.objects.filter(
        position=3, template__is_current=True).values_list("code", flat=True).first() + " "))
    assert problems[item_3]["合计"] == 2
    reports_by_department = table(figures, "reports", 1)
    assert reports_by_department["未分办"]["收到举报"] == 1


def test_prefecture_sees_its_counties_side_by_side(seeded, users):
    figures = dashboard_figures(user=users["prefecture_head"], region_code="3701", start=START, end=END)
    by_county = table(figures, "visits", 0)
    # The prefecture's education head sees education's visits (its department kind), county by county.
    assert by_county["历下区"]["完成检查"] == 2
    assert by_county["市中区"]["完成检查"] == 1
    assert by_county["合计"]["完成检查"] == 3
    standing = table(figures, "institutions", 0)
    assert set(standing) == {"历下区", "市中区", "合计"}
    assert sum(standing["合计"].values()) == 3  # 青岛 is another prefecture
    penalties = table(figures, "penalties", 0)
    assert penalties["市中区"]["金额（元）"] == Decimal("1000.50")
    assert penalties["合计"]["罚款"] == 2


def test_prefecture_page_shows_counties_and_figures_link_to_their_rows(seeded, prefecture_head_client):
    response = prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD})
    assert response.status_code == 200
    page = response.content.decode()
    assert "历下区" in page and "市中区" in page and "<svg" in page
    link = re.search(r'id="figure-visits-done" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link.startswith("/ledger/visits/?")
    rows = prefecture_head_client.get(link)
    assert rows.status_code == 200
    assert rows.content.decode().count("<tr>") - 1 == 3  # the header row, then the three visits counted
    county_link = re.search(r'href="(/ledger/visits/\?region=370103[^"]*)"', page).group(1).replace("&amp;", "&")
    county_rows = prefecture_head_client.get(county_link).content.decode()
    assert "市中丙培训" in county_rows and "历下甲培训" not in county_rows


def test_county_sees_only_its_own_figures(seeded, joint_office_client):
    response = joint_office_client.get("/dashboard/", PERIOD)
    page = response.content.decode()
    assert response.status_code == 200
    assert "市中区" not in page and "市中丙培训" not in page
    assert "解放路街道" in page


@pytest.mark.parametrize("region", ["3701", "370103", "370202"])
def test_region_outside_the_users_is_refused(seeded, joint_office_client, region):
    response = joint_office_client.get("/dashboard/", {"region": region, **PERIOD})
    assert response.status_code == 400
    page = response.content.decode()
    assert "不在您的管辖范围内" in page
    assert 'id="figure-visits-done"' not in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2025-06-01", "end": "2025-05-01"}, "结束日期早于开始日期"),
        ({"start": "2015-01-01", "end": "2025-01-01"}, "不能超过3年"),
        ({"start": "2025-13-01", "end": "2025-12-31"}, "有效的日期"),
        ({"region": "999999"}, "不存在"),
        ({"region": "abc"}, "不存在"),
    ],
)
def test_bad_periods_and_unknown_regions_get_a_message_and_no_figures(seeded, joint_office_client, params, message):
    response = joint_office_client.get("/dashboard/", params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'id="figure-visits-done"' not in page


def test_three_years_is_the_longest_period(seeded, joint_office_client):
    assert joint_office_client.get("/dashboard/", {"start": "2023-01-01", "end": "2025-12-31"}).status_code == 200


@pytest.mark.parametrize("client_name", ["education_inspector_client", "police_inspector_client"])
def test_inspectors_get_403(users, request, client_name):
    assert request.getfixturevalue(client_name).get("/dashboard/").status_code == 403


def test_heads_and_admin_see_the_dashboard(seeded, education_head_client, admin_client_):
    assert education_head_client.get("/dashboard/", PERIOD).status_code == 200
    response = admin_client_.get("/dashboard/", PERIOD)
    assert response.status_code == 200
    assert "山东省" in response.content.decode()  # the whole country, province by province


def more_activity(rows: int, *, regions, departments, users) -> None:
    """`rows` more things done in 市中区 on IN_PERIOD, of every kind the dashboard counts, in turn."""
    other_edu, inspector = departments["other_education"], users["other_county_inspector"]
    kinds = [
        lambda i, inst: VisitFactory(institution=inst, lead_department=other_edu, inspectors=[inspector],
                                     status=VisitStatus.SUBMITTED, fail_positions=(1 + i % 11,), now=at(IN_PERIOD)),
        lambda i, inst: VisitFactory(institution=inst, lead_department=other_edu, inspectors=[inspector],
                                     submitted=True, now=at(IN_PERIOD)),
        lambda i, inst: RectificationOrderFactory(institution=inst, department=other_edu, drafted_by=inspector,
                                                  served=True, approved_at=at(IN_PERIOD)),
        lambda i, inst: ReportFactory(institution=inst, now=at(IN_PERIOD)),
        lambda i, inst: ListEntryFactory(institution=inst, proposed_by=inspector, published=True, now=at(IN_PERIOD)),
    ]
    for index in range(rows):
        institution = InstitutionFactory(region=regions["other_township"], name=f"新增机构{index}")
        kinds[index % len(kinds)](index, institution)


@pytest.mark.parametrize("rows", [10, 200])
def test_dashboard_queries_do_not_grow_with_rows(seeded, regions, departments, users, prefecture_head_client, rows,
                                                 django_assert_num_queries):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD}).status_code == 200
        return len(captured)

    count()  # the first page caches the session and the navigation counts
    before = count()
    more_activity(rows, regions=regions, departments=departments, users=users)
    assert count() == before
    # no summary yet (regulator.oversight.summary): every figure counted live; 3 of them the funds section's ledgers,
    # 3 the register's annual inspections, campaigns and in-service teachers, 1 the institutions by risk level; the
    # trends need the summary (none yet: no query)
    with django_assert_num_queries(22):
        response = prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD})
    assert response.status_code == 200


def test_week_runs_saturday_to_friday():
    assert week_of(datetime.date(2025, 5, 14)) == (datetime.date(2025, 5, 10), datetime.date(2025, 5, 16))
    assert week_of(datetime.date(2025, 5, 10)) == (datetime.date(2025, 5, 10), datetime.date(2025, 5, 16))
    assert week_of(datetime.date(2025, 5, 16)) == (datetime.date(2025, 5, 10), datetime.date(2025, 5, 16))
    assert week_of(datetime.date(2025, 5, 17))[0] == datetime.date(2025, 5, 17)


def test_a_heads_figures_are_their_departments_work(seeded, users):
    market = headline(dashboard_figures(user=users["market_head"], region_code="370102", start=START, end=END))
    education = headline(dashboard_figures(user=users["education_head"], region_code="370102", start=START,
                                           end=END))
    assert market["visits-done"] == 1 and education["visits-done"] == 2
    assert market["problems"] == 0 and education["problems"] == 3
    # Orders, reports and the register are scoped by region in their apps: the same for every head.
    assert market["orders-issued"] == education["orders-issued"] == 3
    assert market["institutions"] == 2


def test_departments_of_the_same_name_keep_one_order(seeded, users, departments):
    """Two counties' bureaux may share a name; the table orders them by name, then by id, whatever the query."""
    departments["other_education"].name = departments["education"].name
    departments["other_education"].save(update_fields=["name"])
    figures = dashboard_figures(user=users["prefecture_head"], region_code="3701", start=START, end=END)
    visits = next(section for section in figures.sections if section.key == "visits")
    rows = [row for row in visits.tables[1].rows if not row.is_total]
    assert [row.label for row in rows] == ["历下区教育局", "历下区教育局"]
    assert [row.cells[0].value for row in rows] == [2, 1]  # 历下 (created first) before 市中


def test_licence_chart_colours_carry_their_meaning(seeded, prefecture_head_client):
    """有证有照 is green and 无证无照 red, as the badges everywhere else; plain series never take those colours."""
    from regulator.oversight.charts import TONES, bar_chart

    page = prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD}).content.decode()
    chart = re.search(r'<svg class="chart"[^>]*aria-label="各地机构证照情况".*?</svg>', page, re.S).group(0)
    legend = dict((label, colour) for colour, label in
                  re.findall(r'<rect x="\d+" y="\d+" width="10" height="10" fill="([^"]+)"/><text[^>]*>([^<]+)</text>',
                             chart))
    assert legend["有证有照"] == TONES["ok"] and legend["无证无照"] == TONES["danger"]
    assert legend["有照无证"] == legend["有证无照"] == TONES["warn"]
    plain = bar_chart([("甲", [(1, ""), (2, "")])], series=["一", "二"], title="t")
    assert not any(colour in plain for colour in TONES.values())


# ---- institutions by risk level (institutions.funds) ---------------------------------------------------------


@pytest.fixture
def risk(seeded, regions):
    """Current levels: 历下 one 高 and one 重点, 市中 one 低, 青岛 one 中; a closed institution's old 高 is left
    out, and a former assessment is not current."""
    from institutions.funds.models import RiskAssessment, RiskLevel

    def assess(institution, level, *, current=True):
        return RiskAssessment.objects.create(institution=institution, assessed_at=at(IN_PERIOD), score=10,
                                             level=level, is_current=current)

    assess(seeded["lixia"], RiskLevel.LOW, current=False)
    assess(seeded["lixia"], RiskLevel.HIGH)
    assess(seeded["lixia_2"], RiskLevel.KEY)
    assess(seeded["shizhong"], RiskLevel.LOW)
    assess(seeded["qingdao"], RiskLevel.MEDIUM)
    assess(InstitutionFactory(name="历下已关停培训", region=regions["township"], operating_state="closed"),
           RiskLevel.HIGH)
    return seeded


def test_institutions_by_risk_level_per_region(risk, users):
    prefecture = dashboard_figures(user=users["prefecture_head"], region_code="3701", start=START, end=END)
    levels = table(prefecture, "risk_levels")
    assert levels["历下区"] == {"低": 0, "中": 0, "高": 1, "重点": 1}
    assert levels["市中区"] == {"低": 1, "中": 0, "高": 0, "重点": 0}
    assert levels["合计"] == {"低": 1, "中": 0, "高": 1, "重点": 1}  # 青岛 is another prefecture; closed ones left out
    assert headline(prefecture)["risk-high"] == 2
    county = dashboard_figures(user=users["joint_office"], region_code="370102", start=START, end=END)
    assert table(county, "risk_levels")["解放路街道"] == {"低": 0, "中": 0, "高": 1, "重点": 1}
    assert headline(county)["risk-high"] == 2
    everything = dashboard_figures(user=users["admin"], region_code="", start=START, end=END)
    assert table(everything, "risk_levels")["合计"] == {"低": 1, "中": 1, "高": 1, "重点": 1}


def test_risk_levels_link_to_their_institutions_and_keep_their_colours(risk, users, prefecture_head_client):
    from regulator.oversight.charts import TONES

    page = prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD}).content.decode()
    link = re.search(r'id="figure-risk-high" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    rows = prefecture_head_client.get(link).content.decode()
    assert "历下甲培训" in rows and "历下乙培训" in rows and "市中丙培训" not in rows and "已关停" not in rows
    key_link = re.search(r'href="(/ledger/risk_levels/\?region=370102[^"]*risk_level=key[^"]*)"', page).group(1)
    key_rows = prefecture_head_client.get(key_link.replace("&amp;", "&")).content.decode()
    assert "历下乙培训" in key_rows and "历下甲培训" not in key_rows
    chart = re.search(r'<svg class="chart"[^>]*aria-label="各地机构风险等级".*?</svg>', page, re.S).group(0)
    legend = dict((label, colour) for colour, label in
                  re.findall(r'<rect x="\d+" y="\d+" width="10" height="10" fill="([^"]+)"/><text[^>]*>([^<]+)</text>',
                             chart))
    assert legend == {"低": TONES["ok"], "中": TONES["warn"], "高": TONES["danger"], "重点": TONES["severe"]}
    # Another county's staff see none of 历下's levels, as they see none of its institutions.
    from django.test import Client

    other = Client()
    other.force_login(users["other_county_inspector"])
    assert other.get(key_link.replace("&amp;", "&")).status_code == 400
    theirs = other.get("/ledger/risk_levels/").content.decode()
    assert "市中丙培训" in theirs and "历下" not in theirs
    # The ledger has no department: asking for one gets a message, not an error page.
    refused = prefecture_head_client.get("/ledger/risk_levels/", {"department": 1})
    assert refused.status_code == 400 and "不按部门统计" in refused.content.decode()


def test_the_weekly_report_counts_institutions_by_risk_level(risk, regions):
    from regulator.oversight.weekly import weekly_figures

    report = weekly_figures(region_code="370102", week_start=week_of(IN_PERIOD)[0])
    assert ["高风险及重点机构", 2] in report["headline"]
    section = next(s for s in report["sections"] if s["key"] == "risk_levels")
    assert section["tables"][0]["columns"] == ["低", "中", "高", "重点"]
    assert ["解放路街道", 0, 0, 1, 1] in section["tables"][0]["rows"]


@pytest.mark.parametrize(("start", "end", "previous"), [
    # this month so far: the same days of last month (本月 / 上月同期), clamped to its length
    ("2025-05-01", "2025-05-14", ("2025-04-01", "2025-04-14")),
    ("2025-03-01", "2025-03-31", ("2025-02-01", "2025-02-28")),
    ("2025-01-01", "2025-01-31", ("2024-12-01", "2024-12-31")),
    # this year so far: the same dates of last year (本年 / 上年同期)
    ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31")),
    ("2024-01-01", "2024-02-29", ("2023-01-01", "2023-02-28")),
    # any other period: as many days just before it
    ("2025-05-10", "2025-05-16", ("2025-05-03", "2025-05-09")),
    ("2024-11-15", "2025-02-14", ("2024-08-15", "2024-11-14")),
])
def test_the_previous_period(start, end, previous):
    from regulator.oversight.dashboard import previous_period

    day = datetime.date.fromisoformat
    assert previous_period(day(start), day(end)) == (day(previous[0]), day(previous[1]))


def test_before_the_first_summary_the_trends_say_so(seeded, joint_office_client):
    page = joint_office_client.get("/dashboard/", PERIOD).content.decode()
    assert "变化趋势" in page and "首次汇总后显示" in page


@pytest.mark.parametrize(("day", "status"), [("0001-01-01", 400), ("0001-12-31", 400), ("0002-01-01", 200),
                                             ("9998-12-31", 200), ("9999-12-31", 400)])
def test_the_calendars_edges_get_a_message_or_a_page(seeded, joint_office_client, day, status):
    from regulator.oversight import summary

    summary.refresh(today=datetime.date(2026, 1, 5))  # the trends and the previous period are drawn
    for path in ("/dashboard/", "/ledger/visits/"):
        response = joint_office_client.get(path, {"start": day, "end": day})
        assert response.status_code == status, path
        if status == 400:
            assert "日期超出可统计的范围" in response.content.decode()
