"""The nightly summary behind the dashboard: the same figures as counting live, idempotent, locked, kept current."""

import contextlib
import datetime
import re
import zlib

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from institutions.services import institution_update
from regulator.models import DailyFigure, DailyFigureState
from regulator.oversight import summary
from regulator.oversight.dashboard import dashboard_figures
from tests.factories import VisitFactory
from tests.regulator.test_dashboard import (
    END,
    IN_PERIOD,
    PERIOD,
    START,
    at,
    headline,
    more_activity,
    seeded,
    table,
)

__all__ = ["seeded"]  # the fixture, shared with the dashboard's tests

AFTER_PERIOD = datetime.date(2026, 1, 5)  # a "today" after the period: every day of it is summarised
MID_PERIOD = datetime.date(2025, 5, 15)  # the summary holds up to 14 May; closings in May/June are counted live
VIEWERS = [("joint_office", "370102"), ("prefecture_head", "3701"), ("education_head", "370102"),
           ("market_head", "370102"), ("admin", ""), ("admin", "37"), ("admin", "370102001")]


def figures_of(users, role, code, *, start=START, end=END):
    """The dashboard's figures, less its trends: those are read from the summary only (none before it)."""
    figures = dashboard_figures(user=users[role], region_code=code, start=start, end=end).as_json()
    figures["sections"] = [section for section in figures["sections"] if section["key"] != "trends"]
    return figures


PERIODS = [(START, END), (datetime.date(2025, 5, 10), datetime.date(2025, 5, 16)),  # a reporting week
           (datetime.date(2025, 2, 15), datetime.date(2025, 11, 20)), (datetime.date(2025, 5, 14), IN_PERIOD),
           (datetime.date(2024, 12, 1), datetime.date(2025, 6, 1))]


@pytest.mark.parametrize("today", [AFTER_PERIOD, MID_PERIOD, datetime.date(2025, 6, 1)])
def test_the_summarised_dashboard_equals_the_live_one_for_every_viewer(seeded, users, today):
    live = {(role, code, start, end): figures_of(users, role, code, start=start, end=end)
            for role, code in VIEWERS for start, end in PERIODS}

    result = summary.refresh(today=today)
    assert summary.refresh_institutions()["rows"] == 4  # four institutions, each in a group of its own

    assert result["rows"] > 0 and not result["skipped"]
    assert DailyFigureState.objects.get().through == today - datetime.timedelta(days=1)
    assert DailyFigure.objects.filter(figure="visits.done", span="day").exists()
    assert DailyFigure.objects.filter(figure="visits.done", span="month").exists()
    for role, code in VIEWERS:
        for start, end in PERIODS:
            assert figures_of(users, role, code, start=start, end=end) == live[role, code, start, end], (
                role, code, start, end)
    figures = dashboard_figures(user=users["joint_office"], region_code="370102", start=START, end=END)
    assert figures.summary_through == min(END, today - datetime.timedelta(days=1))


def test_the_summary_is_read_not_the_tables_months_as_month_rows(seeded, users):
    """Rows in the summary are what the dashboard shows for the summarised days (it does not recount them):
    whole months from the month rows, the other days from the day rows."""
    summary.refresh(today=AFTER_PERIOD)
    rows = DailyFigure.objects.filter(figure="visits.done", region_code="370102001", department__name="历下区教育局")
    day, month = rows.get(span="day", day=IN_PERIOD), rows.get(span="month", day=datetime.date(2025, 5, 1))
    assert day.count == month.count == 2
    DailyFigure.objects.filter(pk=day.pk).update(count=30)
    DailyFigure.objects.filter(pk=month.pk).update(count=40)

    def visits_done(start, end):
        return headline(dashboard_figures(user=users["joint_office"], region_code="370102", start=start,
                                          end=end))["visits-done"]

    assert visits_done(START, END) == 41  # May as one month row (40) + the market department's visit
    assert visits_done(datetime.date(2025, 5, 1), datetime.date(2025, 5, 31)) == 41
    assert visits_done(datetime.date(2025, 5, 10), datetime.date(2025, 5, 20)) == 31  # days of May: day rows
    assert visits_done(datetime.date(2025, 4, 2), datetime.date(2025, 5, 30)) == 31


def test_month_rows_are_the_sums_of_their_days(seeded, users):
    summary.refresh(today=AFTER_PERIOD)
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    days = {(row["m"], row["figure"], row["region_code"], row["department_id"], row["dimension"]): (row["n"], row["a"])
            for row in DailyFigure.objects.filter(span="day").annotate(m=TruncMonth("day"))
            .values("m", "figure", "region_code", "department_id", "dimension")
            .annotate(n=Sum("count"), a=Sum("amount")).order_by()}
    months = {(row.day, row.figure, row.region_code, row.department_id, row.dimension): (row.count, row.amount)
              for row in DailyFigure.objects.filter(span="month")}
    assert months == days and len(months) > 5


def test_days_after_the_summary_are_counted_live(seeded, users, departments, regions):
    summary.refresh(today=MID_PERIOD)
    VisitFactory(institution=seeded["lixia"], lead_department=departments["education"],
                 inspectors=[users["education_inspector"]], submitted=True, now=at(datetime.date(2025, 7, 1)))
    numbers = headline(dashboard_figures(user=users["joint_office"], region_code="370102", start=START, end=END))
    assert numbers["visits-done"] == 4  # 3 summarised + 1 live


def test_refresh_is_idempotent_and_the_nightly_run_rewrites_recent_days(seeded, users, departments):
    first = summary.refresh(today=MID_PERIOD)
    rows = list(DailyFigure.objects.order_by("span", "figure", "day", "region_code", "department_id", "dimension")
                .values_list("figure", "day", "region_code", "department_id", "dimension", "count", "amount"))
    again = summary.refresh(today=MID_PERIOD)
    assert again["first"] == MID_PERIOD - datetime.timedelta(days=summary.REWRITE_DAYS)
    assert list(DailyFigure.objects.order_by("span", "figure", "day", "region_code", "department_id", "dimension")
                .values_list("figure", "day", "region_code", "department_id", "dimension", "count",
                             "amount")) == rows
    assert first["first"] is None  # the first run summarises every day

    # A visit recorded late for a day already summarised (two days ago): the next night's run counts it.
    VisitFactory(institution=seeded["lixia"], lead_department=departments["education"],
                 inspectors=[users["education_inspector"]], submitted=True, now=at(datetime.date(2025, 5, 13)))
    summary.refresh(today=MID_PERIOD + datetime.timedelta(days=1))
    numbers = headline(dashboard_figures(user=users["joint_office"], region_code="370102", start=START,
                                         end=datetime.date(2025, 5, 31)))
    assert numbers["visits-done"] == 4


def test_an_institution_that_moves_takes_its_past_figures_along(seeded, users, regions):
    summary.refresh(today=AFTER_PERIOD)
    institution_update(actor=users["admin"], institution_id=seeded["lixia"].pk,
                       data={"region": regions["other_township"]})
    summarised = {(role, code): figures_of(users, role, code) for role, code in VIEWERS}
    DailyFigureState.objects.update(through=None)  # count everything live
    for role, code in VIEWERS:
        assert summarised[role, code] == figures_of(users, role, code), (role, code)
    by_county = table(dashboard_figures(user=users["admin"], region_code="3701", start=START, end=END), "visits", 0)
    assert by_county["市中区"]["完成检查"] == 2  # its own + 历下甲培训's visit of 2025, now in 市中区
    assert by_county["历下区"]["完成检查"] == 2  # 历下乙培训's two


def test_a_move_made_in_the_admin_also_takes_the_figures_along(seeded, users, regions, rf):
    from types import SimpleNamespace

    from django.contrib import admin

    from institutions.models import Institution

    summary.refresh(today=AFTER_PERIOD)
    institution = Institution.objects.get(pk=seeded["lixia"].pk)
    # What the admin's form hands to save_model: the changed field and its cleaned value.
    form = SimpleNamespace(initial={"region": institution.region_id}, changed_data=["region"],
                           cleaned_data={"region": regions["other_township"]})
    institution.region = regions["other_township"]
    request = rf.post("/admin/")
    request.user = users["admin"]
    admin.site._registry[Institution].save_model(request, institution, form, change=True)
    by_county = table(dashboard_figures(user=users["admin"], region_code="3701", start=START, end=END), "visits", 0)
    assert by_county["市中区"]["完成检查"] == 2 and by_county["历下区"]["完成检查"] == 2


@contextlib.contextmanager
def lock_held_elsewhere(name: str):
    """Another database session (as another worker would) holds the advisory lock `name`."""
    db = settings.DATABASES["default"]
    other = psycopg2.connect(dbname=connection.settings_dict["NAME"], host=db["HOST"] or None,
                             port=db["PORT"] or None, user=db["USER"] or None, password=db["PASSWORD"] or None)
    key = zlib.crc32(name.encode())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        yield
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    finally:
        other.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_a_second_refresh_at_the_same_time_does_nothing(seeded):
    with lock_held_elsewhere(summary.LOCK_NAME):
        assert summary.refresh(today=AFTER_PERIOD) == {"skipped": True}
        assert not DailyFigure.objects.exists()
        assert not DailyFigureState.objects.filter(through__isnull=False).exists()
    assert summary.refresh(today=AFTER_PERIOD)["skipped"] is False


def test_the_command_and_the_beat_schedule(seeded, capsys):
    call_command("refresh_daily_figures", "--today", "2026-01-05")
    out = capsys.readouterr().out
    assert "daily figures rewritten from the first event to 2026-01-04" in out
    assert "institution counts retaken: 4 rows" in out
    call_command("refresh_daily_figures", "--today", "2026-01-05", "--since", "2025-05-01")
    assert "from 2025-05-01 to 2026-01-04" in capsys.readouterr().out
    assert DailyFigureState.objects.get().refreshed_from == datetime.date(2025, 5, 1)
    schedule = settings.CELERY_BEAT_SCHEDULE["refresh-daily-figures"]
    assert schedule["task"] == "regulator.tasks.refresh_daily_figures"
    from regulator.oversight.periodic import refresh_daily_figures

    assert refresh_daily_figures.apply().get()["skipped"] == "False"


@pytest.mark.parametrize("rows", [10, 200])
def test_summarised_dashboard_queries_are_pinned(seeded, regions, departments, users, prefecture_head_client, rows,
                                                 django_assert_num_queries):
    more_activity(rows, regions=regions, departments=departments, users=users)
    summary.refresh(today=AFTER_PERIOD)
    # user, region check, summary state, region names, institutions, the summary (every summarised figure: the
    # twelve month rows of 2025), checklist item names, reports, region options, nav counts (the session comes
    # from the cache: cached_db), class filings decided (counted live: a returned class is reviewed again) and
    # supervised accounts (institutions.funds), the register's annual inspections, campaigns and in-service teachers
    # (counted live), the institutions by risk level (institutions.funds); the trends: the previous period (2024:
    # its twelve month rows) and the last twelve months
    with django_assert_num_queries(18):
        assert prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD}).status_code == 200
    summary.refresh(today=MID_PERIOD)
    # …the summary in two ranges (month rows of January-April, day rows of 1-14 May), plus the live count of the
    # days after it: visits, problems, orders, suspensions, penalties, entries; the nav counts (read live: the
    # test's own transaction holds uncommitted work); the funds section's filings received and alerts raised,
    # closed and closed on time live for those days (institutions.funds); the register's annual inspections,
    # campaigns and in-service teachers (live); the institutions by risk level; the trends' previous period (2024,
    # month rows) and months
    with django_assert_num_queries(27):
        response = prefecture_head_client.get("/dashboard/", {"region": "3701", **PERIOD})
    assert response.status_code == 200 and "每日夜间汇总" in response.content.decode()


def test_summary_rows_are_bounded_by_groups_not_rows(seeded, users, regions, departments):
    summary.refresh(today=AFTER_PERIOD)
    before = DailyFigure.objects.filter(figure="visits.done").count()
    assert before > 0
    for _index in range(15):
        VisitFactory(institution=seeded["lixia"], lead_department=departments["education"],
                     inspectors=[users["education_inspector"]], submitted=True, now=at(IN_PERIOD, hour=11))
    summary.refresh(today=AFTER_PERIOD, full=True)
    assert DailyFigure.objects.filter(figure="visits.done").count() == before
    with CaptureQueriesContext(connection):
        numbers = headline(dashboard_figures(user=users["joint_office"], region_code="370102", start=START,
                                             end=END))
    assert numbers["visits-done"] == 18


def test_prefectures_and_provinces_count_institutions_from_the_snapshot_counties_live(seeded, users, regions,
                                                                                     admin_client_):
    from tests.factories import InstitutionFactory

    def institutions(code):
        return headline(dashboard_figures(user=users["admin"], region_code=code, start=START, end=END))["institutions"]

    assert institutions("37") == 4 and institutions("3701") == 3  # no snapshot yet: counted live
    summary.refresh_institutions()
    InstitutionFactory(name="新登记培训", region=regions["township"], category="arts")
    assert institutions("37") == 4 and institutions("3701") == 3  # the snapshot, until it is retaken
    assert institutions("370102") == 3  # a county counts live: 历下 has the new one
    for code in ("37", "3701"):
        assert "的快照（每10分钟更新）" in admin_client_.get("/dashboard/", {"region": code, **PERIOD}).content.decode()
    assert "的快照" not in admin_client_.get("/dashboard/", {"region": "370102", **PERIOD}).content.decode()
    summary.refresh_institutions()
    assert institutions("37") == 5 and institutions("3701") == 4
    by_prefecture = table(dashboard_figures(user=users["admin"], region_code="37", start=START, end=END),
                          "institutions", 1)  # by category
    assert by_prefecture["济南市"]["非学科类·文化艺术"] == 2 and by_prefecture["青岛市"]["非学科类·文化艺术"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_the_institution_snapshot_is_retaken_by_one_process_at_a_time(seeded):
    with lock_held_elsewhere(summary.INSTITUTIONS_LOCK_NAME):
        assert summary.refresh_institutions() == {"skipped": True}
    assert summary.refresh_institutions()["skipped"] is False
    assert settings.CELERY_BEAT_SCHEDULE["refresh-institution-figures"]["task"] == (
        "regulator.tasks.refresh_institution_figures")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_jobs_vacuum_their_tables():
    def vacuumed(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    before = vacuumed("regulator_dailyfigure"), vacuumed("regulator_institutionfigure")
    assert summary.refresh(today=AFTER_PERIOD)["skipped"] is False
    assert summary.refresh_institutions()["skipped"] is False
    # Read the statistics afresh, not the snapshot this session cached when it first read them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    after = vacuumed("regulator_dailyfigure"), vacuumed("regulator_institutionfigure")
    assert after[0] > before[0] and after[1] > before[1]


# ---- trends (registry.Trend): month by month, and beside the previous period ----------------------------------


def trends(figures) -> dict:
    section = next(s for s in figures.sections if s.key == "trends")
    return [table(figures, "trends", index) for index in range(len(section.tables))]


def test_trends_compare_the_period_with_the_previous_one_and_show_twelve_months(seeded, users):
    summary.refresh(today=AFTER_PERIOD)
    figures = dashboard_figures(user=users["joint_office"], region_code="370102", start=START, end=END)
    assert figures.previous == (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))  # 本年: 上年同期
    comparison, months = trends(figures)
    # 2025: 3 visits done, 2024: 1 (20 December); orders issued 3 and 1
    assert comparison["完成检查"] == {"本期": 3, "上期": 1, "增减": 2, "增减率（%）": 200}
    assert comparison["下达整改通知"] == {"本期": 3, "上期": 1, "增减": 2, "增减率（%）": 200}
    assert comparison["整改逾期"] == {"本期": 1, "上期": 0, "增减": 1, "增减率（%）": None}  # no rate against zero
    assert comparison["公示名单条目"]["本期"] == headline(figures)["entries"] == 2
    assert list(months["完成检查"]) == ["2025年1月", *[f"{m}月" for m in range(2, 13)]]
    assert months["完成检查"]["5月"] == 3 and sum(months["完成检查"].values()) == 3
    assert months["整改按期销号"]["6月"] == 1
    # The headline figure shows its previous period beside it.
    cell = next(cell for key, _label, cell in figures.headline if key == "visits-done")
    assert (cell.value, cell.previous, cell.change) == (3, 1, "+2")
    # A head's trends are their department kind's work, as the sections are.
    market = trends(dashboard_figures(user=users["market_head"], region_code="370102", start=START, end=END))
    assert market[0]["完成检查"]["本期"] == 1 and market[1]["完成检查"]["5月"] == 1


def test_months_after_the_summary_have_no_figure_yet(seeded, users, departments):
    summary.refresh(today=MID_PERIOD)  # the summary holds up to 14 May 2025
    VisitFactory(institution=seeded["lixia"], lead_department=departments["education"],
                 inspectors=[users["education_inspector"]], submitted=True, now=at(datetime.date(2025, 7, 1)))
    figures = dashboard_figures(user=users["joint_office"], region_code="370102", start=START, end=END)
    comparison, months = trends(figures)
    assert months["完成检查"]["5月"] == 3  # the month row holds the days summarised so far
    assert months["完成检查"]["7月"] is None and months["完成检查"]["12月"] is None
    assert comparison["完成检查"]["本期"] == headline(figures)["visits-done"] == 4  # the period itself counts live
    # A week compares with the week before it (the weekly report's previous period).
    week = dashboard_figures(user=users["joint_office"], region_code="370102", start=datetime.date(2025, 5, 10),
                             end=datetime.date(2025, 5, 16))
    assert week.previous == (datetime.date(2025, 5, 3), datetime.date(2025, 5, 9))
    assert trends(week)[0]["完成检查"] == {"本期": 3, "上期": 0, "增减": 3, "增减率（%）": None}


def test_the_trends_on_the_page_and_in_the_weekly_report(seeded, users, joint_office_client):
    from regulator.oversight.charts import TONES
    from regulator.oversight.weekly import weekly_figures

    summary.refresh(today=AFTER_PERIOD)
    page = joint_office_client.get("/dashboard/", PERIOD).content.decode()
    assert "本期与上期比较（上期：2024年1月1日至2024年12月31日）" in page
    assert "上期 1，+2" in page  # beside the headline's visits done
    chart = re.search(r'<svg class="chart"[^>]*aria-label="近12个月趋势".*?</svg>', page, re.S).group(0)
    legend = dict((label, colour) for colour, label in
                  re.findall(r'<rect x="\d+" y="\d+" width="10" height="10" fill="([^"]+)"/><text[^>]*>([^<]+)</text>',
                             chart))
    assert legend["整改逾期"] == TONES["danger"]  # overdue keeps the colour of danger
    assert legend["完成检查"] not in TONES.values()
    may = re.search(r'href="(/ledger/visits/\?region=370102&amp;start=2025-05-01&amp;end=2025-05-31[^"]*)"', page)
    rows = joint_office_client.get(may.group(1).replace("&amp;", "&")).content.decode()
    assert rows.count("<tr>") - 1 == 3
    report = weekly_figures(region_code="370102", week_start=datetime.date(2025, 5, 10))
    section = next(s for s in report["sections"] if s["key"] == "trends")
    assert section["tables"][0]["caption"] == "本期与上期比较（上期：2025年5月3日至2025年5月9日）"
    assert ["完成检查", 3, 0, 3, None] in section["tables"][0]["rows"]
