"""The filing rules and the prepayment rules, each with the national calendar (chinesecalendar)."""

import datetime
from decimal import Decimal

import pytest

from institutions.funds import rules

BASE = {
    "category": "academic", "stage": "compulsory", "delivery": "offline",
    "schedule": [{"weekday": 1, "start": "18:00", "end": "19:30"}, {"weekday": 3, "start": "18:00", "end": "19:30"}],
    "starts_on": datetime.date(2025, 9, 8), "ends_on": datetime.date(2025, 12, 17),
    "skipped_dates": ["2025-10-01", "2025-10-06", "2025-10-08"], "lesson_minutes": 45,
    "fee_per_hour": Decimal("60"), "region_code": "370102001", "guided_price": Decimal("80"),
    "foreign_curriculum": False, "syllabus": "同步辅导", "subject": "数学",
}


def check(**overrides):
    return rules.course_violations(**{**BASE, **overrides})


def test_a_term_that_skips_the_holidays_is_in_order():
    assert check() == []


def test_a_lesson_on_national_day_is_refused_with_the_date():
    problems = check(skipped_dates=[])
    assert len(problems) == 1
    assert "国家法定节假日" in problems[0] and "2025-10-01" in problems[0]


def test_a_weekend_lesson_of_a_subject_class_is_refused_but_not_of_an_arts_class():
    saturday = BASE["schedule"] + [{"weekday": 6, "start": "09:00", "end": "10:00"}]
    assert any("休息日" in p for p in check(schedule=saturday))
    assert check(schedule=saturday, category="arts") == []


def test_an_official_make_up_working_sunday_is_not_a_rest_day():
    assert rules.is_rest_day(datetime.date(2025, 9, 28)) is False  # 调休上班
    assert rules.is_rest_day(datetime.date(2025, 10, 3)) is True


def test_a_summer_holiday_lesson_is_refused():
    problems = check(starts_on=datetime.date(2025, 7, 7), ends_on=datetime.date(2025, 7, 30), skipped_dates=[])
    assert any("寒暑假" in p for p in problems)


def test_the_school_holidays_are_a_setting(settings):
    settings.FUNDS_SCHOOL_HOLIDAYS = []
    assert check(starts_on=datetime.date(2025, 7, 7), ends_on=datetime.date(2025, 7, 30), skipped_dates=[]) == []


def test_online_lessons_length_break_and_end_time():
    online = [{"weekday": 1, "start": "19:00", "end": "19:30"}, {"weekday": 1, "start": "19:35", "end": "20:05"}]
    problems = check(delivery="online", schedule=online, lesson_minutes=30)
    assert problems == ["线上学科类培训课程间隔不得少于 10 分钟。"]
    late = [{"weekday": 1, "start": "20:40", "end": "21:10"}]
    assert any("21:00" in p for p in check(delivery="online", schedule=late, lesson_minutes=30))
    long = [{"weekday": 1, "start": "19:00", "end": "19:45"}]
    assert any("30 分钟" in p for p in check(delivery="online", schedule=long, lesson_minutes=45))


def test_offline_end_time_by_province(settings):
    late = [{"weekday": 1, "start": "19:30", "end": "20:45"}]
    assert any("20:30" in p for p in check(schedule=late))
    settings.FUNDS_OFFLINE_LATEST_END = {"": "20:30", "37": "21:00"}
    assert check(schedule=late) == []


def test_fee_above_the_guided_price_names_the_subject_and_the_price():
    problems = check(fee_per_hour=Decimal("95"))
    assert problems == ["“数学”每课时收费 95 元，高于本地政府指导价 80 元（适用于所有学科类科目）。"]
    problems = check(fee_per_hour=Decimal("95"), guided_price_subject="数学")
    assert problems == ["“数学”每课时收费 95 元，高于本地政府指导价 80 元（适用于“数学”）。"]


def test_no_guided_price_refused_only_when_the_setting_requires_one(settings):
    assert check(guided_price=None) == []
    settings.FUNDS_GUIDED_PRICE_REQUIRED = True
    assert check(guided_price=None) == ["本地区尚未制定该学段“数学”的政府指导价，暂不能备案学科类班次。"]


# ---- licence standing --------------------------------------------------------------------------------------

DAY = datetime.date(2025, 8, 20)


def licence(state="valid", valid_until=None, number="教民137010270000011号"):
    return {"number": number, "state": state, "valid_until": valid_until}


def standing(licences, operating_state="operating", suspends_enrolment=False):
    return rules.standing_problems(licences=licences, operating_state=operating_state,
                                   suspends_enrolment=suspends_enrolment, on=DAY)


def test_a_licence_in_force_allows_filing_even_beside_an_old_one():
    assert standing([licence()]) == []
    assert standing([licence(valid_until=DAY)]) == []
    assert standing([licence(number="新证"), licence("revoked", number="旧证")]) == []
    assert standing([licence("expired", number="旧证"), licence(number="新证")]) == []


@pytest.mark.parametrize("licences,expected", [
    ([], "该机构没有办学许可证，不能备案班次。"),
    ([licence("expired", datetime.date(2025, 6, 30))],
     "该机构的办学许可证（教民137010270000011号）已于 2025-06-30 过期，不能备案班次。"),
    ([licence("valid", datetime.date(2025, 8, 19))],
     "该机构的办学许可证（教民137010270000011号）已于 2025-08-19 过期，不能备案班次。"),
    ([licence("suspended")], "该机构的办学许可证（教民137010270000011号）已被暂扣，不能备案班次。"),
    ([licence("revoked")], "该机构的办学许可证（教民137010270000011号）已被吊销，不能备案班次。"),
    ([licence("cancelled")], "该机构的办学许可证（教民137010270000011号）已注销，不能备案班次。"),
])
def test_each_licence_problem_is_named(licences, expected):
    assert standing(licences) == [expected]


def test_an_institution_not_running_or_under_re_registration_may_not_file():
    assert standing([licence()], operating_state="cancelled") == ["该机构经营状态为“已注销”，不能备案班次。"]
    assert standing([licence()], suspends_enrolment=True) == [
        "该机构尚未完成重新审核登记，处于“暂停招生及收费”状态，不能备案班次。"]


def test_preschool_subject_content_and_foreign_curricula():
    assert any("学龄前" in p for p in check(stage="preschool"))
    assert any("境外课程" in p for p in check(foreign_curriculum=True))
    assert any("境外课程" in p for p in check(syllabus="引进 A-Level 数学"))


@pytest.mark.parametrize("text", ["周八 18:00-19:00", "周一 19:00-18:00", "周一 18点", ""])
def test_a_schedule_that_cannot_be_read(text):
    with pytest.raises(ValueError):
        rules.parse_schedule(text)


def test_schedule_round_trip():
    schedule = rules.parse_schedule("星期三 18:00-19:30；周一 8:00-9:00")
    assert schedule == [{"weekday": 1, "start": "08:00", "end": "09:00"}, {"weekday": 3, "start": "18:00",
                                                                             "end": "19:30"}]
    assert rules.schedule_text(schedule) == "周一 08:00-09:00；周三 18:00-19:30"


def test_prepayment_rules():
    ok = {"amount": Decimal("4800"), "class_hours": 60, "covers_from": datetime.date(2025, 9, 1),
          "covers_until": datetime.date(2025, 12, 1), "into_supervised_account": True}
    assert rules.prepayment_breaches(**ok) == []
    assert len(rules.prepayment_breaches(**{**ok, "covers_until": datetime.date(2025, 12, 2)})) == 1
    assert len(rules.prepayment_breaches(**{**ok, "class_hours": 61})) == 1
    assert len(rules.prepayment_breaches(**{**ok, "amount": Decimal("5000.01")})) == 1
    assert rules.prepayment_breaches(**{**ok, "into_supervised_account": False}) == ["收费未缴入资金监管账户。"]


def test_add_months_at_month_end():
    assert rules.add_months(datetime.date(2025, 11, 30), 3) == datetime.date(2026, 2, 28)
