"""The rules a class (班次) is checked against when it is filed, and a charge against the prepayment rules.

Each rule is a setting with its national default (conf.py) and answers with Chinese sentences, one per breach;
an empty list means the filing is in order. Pure functions over plain values, so they are tested without a
database (the guided price is looked up by the caller).
"""

import datetime
import re
from decimal import Decimal

import chinese_calendar
from django.utils.translation import gettext as _

from institutions.models import Category, LicenceState, OperatingState, StudentStage

from . import conf
from .models import CourseDelivery

WEEKDAY_LABELS = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Words in a syllabus that name a foreign curriculum (境外课程).
FOREIGN_CURRICULUM_WORDS = ("境外课程", "AP课程", "A-Level", "IB课程", "国外教材", "原版教材")


def parse_time(value: str) -> datetime.time | None:
    match = _TIME.match((value or "").strip())
    return datetime.time(int(match.group(1)), int(match.group(2))) if match else None


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def parse_schedule(text: str) -> list[dict]:
    """The weekly schedule as typed or imported: "周一 18:00-18:30；周三 19:00-19:40" (or 1 18:00-18:30), one
    lesson per entry. Raises ValueError with a Chinese message on what cannot be read."""
    names = {label: number for number, label in WEEKDAY_LABELS.items()}
    names.update({"星期" + label[1]: number for label, number in list(names.items())})
    names.update({str(number): number for number in WEEKDAY_LABELS})
    entries = []
    for part in re.split(r"[;；,，\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^(\S+)\s*(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})$", part)
        if not match or match.group(1) not in names:
            raise ValueError(_("课表“%(part)s”无法识别，请写成“周一 18:00-18:30”。") % {"part": part})
        start, end = parse_time(match.group(2)), parse_time(match.group(3))
        if start is None or end is None or _minutes(end) <= _minutes(start):
            raise ValueError(_("课表“%(part)s”的时间不正确（结束须晚于开始）。") % {"part": part})
        entries.append({"weekday": names[match.group(1)], "start": start.strftime("%H:%M"),
                        "end": end.strftime("%H:%M")})
    if not entries:
        raise ValueError(_("请填写每周课表。"))
    return sorted(entries, key=lambda e: (e["weekday"], e["start"]))


def schedule_text(schedule: list[dict]) -> str:
    return "；".join(f"{WEEKDAY_LABELS[e['weekday']]} {e['start']}-{e['end']}" for e in schedule)


def lesson_dates(*, starts_on: datetime.date, ends_on: datetime.date, schedule: list[dict],
                 skipped: set[datetime.date]) -> list[tuple[datetime.date, dict]]:
    """Every lesson of the term: (date, schedule entry), leaving out the announced skipped dates."""
    by_weekday: dict[int, list[dict]] = {}
    for entry in schedule:
        by_weekday.setdefault(entry["weekday"], []).append(entry)
    lessons = []
    day = starts_on
    while day <= ends_on:
        if day not in skipped:
            lessons.extend((day, entry) for entry in by_weekday.get(day.isoweekday(), []))
        day += datetime.timedelta(days=1)
    return lessons


def in_school_holiday(day: datetime.date) -> bool:
    key = day.strftime("%m-%d")
    return any(first <= key <= last for first, last in conf.get("FUNDS_SCHOOL_HOLIDAYS"))


def is_rest_day(day: datetime.date) -> bool:
    """A national holiday or a weekend that is not an official make-up working day (调休)."""
    try:
        return not chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not cover yet
        return day.weekday() >= 5


def offline_latest_end(region_code: str) -> datetime.time:
    table = conf.get("FUNDS_OFFLINE_LATEST_END")
    value = table.get(region_code[:2]) or table.get("")
    return parse_time(value)


def course_violations(*, category: str, stage: str, delivery: str, schedule: list[dict], starts_on, ends_on,
                      skipped_dates, lesson_minutes: int, fee_per_hour: Decimal, region_code: str,
                      guided_price: Decimal | None, foreign_curriculum: bool, syllabus: str = "",
                      subject: str = "", guided_price_subject: str = "") -> list[str]:
    """Every rule of filing the class breaks, in Chinese. `guided_price_subject` is the subject of the guided price
    row applied ("" for a row of every subject)."""
    problems: list[str] = []
    academic = category == Category.ACADEMIC
    subject_name = (subject or "").strip() or _("（未填科目）")
    if academic and stage == StudentStage.PRESCHOOL and conf.get("FUNDS_NO_SUBJECT_FOR_PRESCHOOL"):
        problems.append(_("不得面向学龄前儿童开展学科类培训（双减意见）。"))
    if conf.get("FUNDS_NO_FOREIGN_CURRICULA") and (
            foreign_curriculum or any(word.lower() in (syllabus or "").lower() for word in FOREIGN_CURRICULUM_WORDS)):
        problems.append(_("不得使用境外课程（双减意见）。"))
    if academic and conf.get("FUNDS_NO_SUBJECT_ON_REST_DAYS"):
        skipped = {datetime.date.fromisoformat(d) if isinstance(d, str) else d for d in skipped_dates}
        rest, holiday = [], []
        for day, _entry in lesson_dates(starts_on=starts_on, ends_on=ends_on, schedule=schedule, skipped=skipped):
            if in_school_holiday(day):
                holiday.append(day)
            elif is_rest_day(day):
                rest.append(day)
        if rest:
            problems.append(
                _("学科类培训不得占用国家法定节假日和休息日：%(dates)s 排有课程（共 %(n)s 天）。")
                % {"dates": "、".join(d.isoformat() for d in sorted(set(rest))[:5]), "n": len(set(rest))})
        if holiday:
            problems.append(
                _("学科类培训不得占用寒暑假：%(dates)s 排有课程（共 %(n)s 天）。")
                % {"dates": "、".join(d.isoformat() for d in sorted(set(holiday))[:5]), "n": len(set(holiday))})
    if academic and delivery == CourseDelivery.ONLINE:
        longest = conf.get("FUNDS_ONLINE_MAX_LESSON_MINUTES")
        min_break = conf.get("FUNDS_ONLINE_MIN_BREAK_MINUTES")
        latest = parse_time(conf.get("FUNDS_ONLINE_LATEST_END"))
        if lesson_minutes > longest or any(_length(e) > longest for e in schedule):
            problems.append(_("线上学科类培训每课时不得超过 %(n)s 分钟。") % {"n": longest})
        if _shortest_break(schedule) < min_break:
            problems.append(_("线上学科类培训课程间隔不得少于 %(n)s 分钟。") % {"n": min_break})
        if any(parse_time(e["end"]) > latest for e in schedule):
            problems.append(_("线上学科类培训结束时间不得晚于 %(t)s。") % {"t": latest.strftime("%H:%M")})
    elif academic:
        latest = offline_latest_end(region_code)
        if any(parse_time(e["end"]) > latest for e in schedule):
            problems.append(_("本省线下学科类培训结束时间不得晚于 %(t)s。") % {"t": latest.strftime("%H:%M")})
    if academic:
        if guided_price is not None and fee_per_hour > guided_price:
            scope = (_("“%(subject)s”") % {"subject": guided_price_subject} if guided_price_subject
                     else _("所有学科类科目"))
            problems.append(_("“%(subject)s”每课时收费 %(fee)s 元，高于本地政府指导价 %(max)s 元（适用于%(scope)s）。")
                            % {"subject": subject_name, "fee": fee_per_hour, "max": guided_price, "scope": scope})
        elif guided_price is None and conf.get("FUNDS_GUIDED_PRICE_REQUIRED"):
            problems.append(_("本地区尚未制定该学段“%(subject)s”的政府指导价，暂不能备案学科类班次。")
                            % {"subject": subject_name})
    return problems


def standing_problems(*, licences: list[dict], operating_state: str, suspends_enrolment: bool,
                      on: datetime.date) -> list[str]:
    """Why an institution may not file a class at all (民办教育促进法: 未经批准不得办学; 重新审核登记期间
    暂停招生及收费): `licences` are its school-running licences (number, state, valid_until), newest first; one
    in force suffices, otherwise the newest one's problem is named."""
    problems = []
    if operating_state != OperatingState.OPERATING:
        problems.append(_("该机构经营状态为“%(state)s”，不能备案班次。")
                        % {"state": OperatingState(operating_state).label})
    in_force = [licence for licence in licences if licence["state"] == LicenceState.VALID
                and (licence["valid_until"] is None or licence["valid_until"] >= on)]
    if not licences:
        problems.append(_("该机构没有办学许可证，不能备案班次。"))
    elif not in_force:
        newest = licences[0]
        number = newest["number"]
        if newest["state"] in (LicenceState.VALID, LicenceState.EXPIRED):
            until = newest["valid_until"].isoformat() if newest["valid_until"] else "—"
            problems.append(_("该机构的办学许可证（%(number)s）已于 %(date)s 过期，不能备案班次。")
                            % {"number": number, "date": until})
        else:
            what = {LicenceState.SUSPENDED: _("已被暂扣"), LicenceState.REVOKED: _("已被吊销"),
                    LicenceState.CANCELLED: _("已注销")}[newest["state"]]
            problems.append(_("该机构的办学许可证（%(number)s）%(what)s，不能备案班次。")
                            % {"number": number, "what": what})
    if suspends_enrolment:
        problems.append(_("该机构尚未完成重新审核登记，处于“暂停招生及收费”状态，不能备案班次。"))
    return problems


def _length(entry: dict) -> int:
    return _minutes(parse_time(entry["end"])) - _minutes(parse_time(entry["start"]))


def _shortest_break(schedule: list[dict]) -> int:
    """The shortest gap between two lessons of the same day (a large number when no day has two)."""
    shortest = 24 * 60
    by_day: dict[int, list[dict]] = {}
    for entry in schedule:
        by_day.setdefault(entry["weekday"], []).append(entry)
    for entries in by_day.values():
        entries = sorted(entries, key=lambda e: e["start"])
        for earlier, later in zip(entries, entries[1:], strict=False):
            shortest = min(shortest, _minutes(parse_time(later["start"])) - _minutes(parse_time(earlier["end"])))
    return shortest


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def prepayment_breaches(*, amount: Decimal, class_hours: int, covers_from: datetime.date,
                        covers_until: datetime.date, into_supervised_account: bool) -> list[str]:
    """The prepayment rules (2021 national notice) a single charge breaks."""
    problems = []
    months = conf.get("FUNDS_PREPAYMENT_MAX_MONTHS")
    if covers_until > add_months(covers_from, months):
        problems.append(_("一次性收取费用时间跨度超过 %(n)s 个月。") % {"n": months})
    hours = conf.get("FUNDS_PREPAYMENT_MAX_HOURS")
    if class_hours > hours:
        problems.append(_("一次性收取费用超过 %(n)s 课时。") % {"n": hours})
    limit = Decimal(conf.get("FUNDS_PREPAYMENT_MAX_AMOUNT"))
    if amount > limit:
        problems.append(_("一次性收取费用超过 %(n)s 元。") % {"n": limit})
    if not into_supervised_account:
        problems.append(_("收费未缴入资金监管账户。"))
    return problems
