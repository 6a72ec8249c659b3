"""The working-day calendar kept in the database: seeded from chinesecalendar, edited in admin, flagged where a
period reaches into a year with no arrangement entered."""

import datetime

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse

from regulator import calendar
from regulator.models import AuditEvent, CalendarArrangement, CalendarDay, CalendarDayKind

pytestmark = pytest.mark.django_db

D = datetime.date


def test_the_seeded_years_know_holidays_and_adjusted_working_days():
    assert CalendarArrangement.objects.filter(year=2026, source="chinesecalendar").exists()
    assert not calendar.is_working_day(D(2026, 10, 1))  # 国庆节
    assert calendar.is_working_day(D(2026, 9, 28))  # an ordinary Monday
    # 2025-09-28 (a Sunday) was worked for National Day (调休)
    assert calendar.is_working_day(D(2025, 9, 28))
    day = CalendarDay.objects.get(date=D(2026, 10, 1))
    assert day.kind == CalendarDayKind.HOLIDAY and day.name == "国庆节"
    assert calendar.uncovered_years(D(2004, 1, 1), D(2026, 12, 31)) == []


def test_a_year_without_arrangement_falls_back_to_weekdays_and_is_flagged():
    assert not CalendarArrangement.objects.filter(year=2031).exists()
    assert calendar.add_working_days(D(2031, 1, 3), 1) == D(2031, 1, 6)  # Friday -> Monday
    assert calendar.uncovered_years(D(2026, 12, 20), D(2027, 1, 10)) == [2027]
    assert calendar.uncovered_years(D(2031, 1, 1), D(2026, 6, 1)) == [2027, 2028, 2029, 2030, 2031]
    assert not calendar.is_covered(2027)


def test_a_period_moving_across_the_year_end_with_a_moving_clock():
    """A 5-working-day period started on each day of late December: those ending in 2027 are flagged, and the
    count changes as soon as 2027's arrangement is entered."""
    flagged = []
    for offset in range(10):
        start = D(2026, 12, 20) + datetime.timedelta(days=offset)
        end = calendar.add_working_days(start, 5)
        assert calendar.working_days_between(start, end) == 5
        flagged.append(bool(calendar.uncovered_years(start, end)))
    assert flagged[0] is False and flagged[-1] is True
    # Friday 2027-01-01 is 元旦 once the arrangement says so
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    arrangement = CalendarArrangement.objects.create(year=2027, notice="国办发明电〔2026〕1号")
    CalendarDay.objects.create(arrangement=arrangement, date=D(2027, 1, 1), kind="holiday", name="元旦")
    calendar.calendar_changed()
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert calendar.uncovered_years(D(2026, 12, 20), D(2027, 1, 10)) == []


def test_the_cache_is_per_process_and_read_in_one_query(django_assert_num_queries):
    calendar.forget()
    with django_assert_num_queries(1):
        for offset in range(400):
            calendar.is_working_day(D(2025, 6, 1) + datetime.timedelta(days=offset))
        calendar.uncovered_years(D(2025, 1, 1), D(2030, 1, 1))


def test_admin_entering_a_year_is_audited_and_counted_at_once(admin_client_, users):
    client, admin = admin_client_, users["admin"]
    assert calendar.is_working_day(D(2027, 2, 8))  # a Monday, in no arrangement yet
    response = client.post(reverse("admin:regulator_calendararrangement_add"), {
        "year": "2027", "notice": "国办发明电〔2026〕9号",
        "days-TOTAL_FORMS": "2", "days-INITIAL_FORMS": "0", "days-MIN_NUM_FORMS": "0", "days-MAX_NUM_FORMS": "1000",
        "days-0-date": "2027-02-08", "days-0-kind": "holiday", "days-0-name": "春节",
        "days-1-date": "2027-02-20", "days-1-kind": "workday", "days-1-name": "春节调休上班",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    arrangement = CalendarArrangement.objects.get(year=2027)
    assert arrangement.source == "by_hand" and arrangement.created_by == admin
    assert not calendar.is_working_day(D(2027, 2, 8))
    assert calendar.is_working_day(D(2027, 2, 20))  # a Saturday worked
    event = AuditEvent.objects.get(kind="calendar_arrangement.saved", object_id=str(arrangement.pk))
    assert event.after["holidays"] == ["2027-02-08 春节"]

    response = client.post(reverse("admin:regulator_calendararrangement_delete", args=[arrangement.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert calendar.is_working_day(D(2027, 2, 8)) and calendar.uncovered_years(D(2027, 1, 1), D(2027, 1, 1))
    assert AuditEvent.objects.filter(kind="calendar_arrangement.deleted").count() == 1


def test_admin_refuses_a_day_outside_the_year(admin_client_):
    client = admin_client_
    response = client.post(reverse("admin:regulator_calendararrangement_add"), {
        "year": "2028", "notice": "",
        "days-TOTAL_FORMS": "1", "days-INITIAL_FORMS": "0", "days-MIN_NUM_FORMS": "0", "days-MAX_NUM_FORMS": "1000",
        "days-0-date": "2029-01-01", "days-0-kind": "holiday", "days-0-name": "元旦",
    })
    assert response.status_code == 200
    assert "日期须在2028年内" in response.content.decode()
    assert not CalendarArrangement.objects.filter(year=2028).exists()


def test_calendar_seed_enters_only_missing_years():
    CalendarArrangement.objects.filter(year=2026).delete()
    calendar.calendar_changed()
    assert calendar.uncovered_years(D(2026, 1, 1), D(2026, 1, 1)) == [2026]
    call_command("calendar_seed")
    assert CalendarArrangement.objects.filter(year=2026).count() == 1
    assert not calendar.is_working_day(D(2026, 10, 1))
    assert AuditEvent.objects.filter(kind="calendar_arrangement.saved").count() == 1
    with pytest.raises(Exception, match="2040"):
        call_command("calendar_seed", year=[2040])


def test_calendar_warning_tag():
    template = Template("{% load official_calendar %}{% calendar_warning start end %}")
    assert template.render(Context({"start": D(2026, 5, 1), "end": D(2026, 5, 20)})).strip() == ""
    html = template.render(Context({"start": D(2026, 12, 1), "end": D(2027, 1, 20)}))
    assert "2027" in html and "周一至周五" in html
    assert template.render(Context({"start": None, "end": None})).strip() == ""
