"""Settings of filings, fund supervision and risk levels, each with its national default and the rule it comes
from (docs/funds.md). Override any of them in the project settings; they are read at call time."""

from django.conf import settings

_DEFAULTS = {
    # 《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》(2021, 双减): 不得占用国家法定节假日、
    # 休息日及寒暑假期组织学科类培训.
    "FUNDS_NO_SUBJECT_ON_REST_DAYS": True,
    # Winter and summer school holidays as (first day, last day) in MM-DD; the dates vary by province (verify).
    "FUNDS_SCHOOL_HOLIDAYS": [("01-20", "02-20"), ("07-05", "08-31")],
    # 双减: 线上培训每课时不超过30分钟，课程间隔不少于10分钟，培训结束时间不晚于21点.
    "FUNDS_ONLINE_MAX_LESSON_MINUTES": 30,
    "FUNDS_ONLINE_MIN_BREAK_MINUTES": 10,
    "FUNDS_ONLINE_LATEST_END": "21:00",
    # Latest end of offline subject training, by province code ("" is the national default; verify per province).
    "FUNDS_OFFLINE_LATEST_END": {"": "20:30"},
    # 双减: 学前儿童不得开展学科类培训; 不得引进境外课程.
    "FUNDS_NO_SUBJECT_FOR_PRESCHOOL": True,
    "FUNDS_NO_FOREIGN_CURRICULA": True,
    # 学科类培训收费实行政府指导价 (2021 国家发展改革委、教育部、市场监管总局通知): a table kept in admin.
    "FUNDS_GUIDED_PRICE_REQUIRED": False,  # True: a subject class with no guided price for its region is refused
    # 《关于加强校外培训机构预收费监管工作的通知》(2021): 不得超过3个月或60课时, 且不超过5000元.
    "FUNDS_PREPAYMENT_MAX_MONTHS": 3,
    "FUNDS_PREPAYMENT_MAX_HOURS": 60,
    "FUNDS_PREPAYMENT_MAX_AMOUNT": 5000,
    # A large outflow: at least this amount (yuan), or at least this share of the balance before it.
    "FUNDS_LARGE_OUTFLOW_AMOUNT": 50000,
    "FUNDS_LARGE_OUTFLOW_SHARE": 0.3,
    # The "卷钱跑路" pattern: no release for lessons consumed for this many days while the balance is positive.
    "FUNDS_CONSUMPTION_STOP_DAYS": 14,
    # Parents' public reports of a charge outside the supervised account read by the daily alert job: those received
    # in the last this many days (each raises one alert, once).
    "FUNDS_PARENT_REPORT_DAYS": 31,
    # Words of a statement row's memo that mark the release of fees for lessons consumed (消课划拨).
    "FUNDS_RELEASE_MEMO_WORDS": ["消课", "课消", "划拨", "课时费"],
    # Rows of one bank statement file at most.
    "FUNDS_STATEMENT_MAX_ROWS": 100_000,
    "FUNDS_STATEMENT_MAX_BYTES": 30 * 1024 * 1024,
    # Risk classification: points per factor (docs/funds.md) and the lower bounds of the levels.
    "FUNDS_RISK_WEIGHTS": {
        "standing_none": 40,
        "standing_business_only": 20,
        "open_order": 5,
        "overdue_order": 15,
        "penalty_2y": 15,
        "report_90d": 5,
        "fund_alert": 10,
        "no_inspection_365d": 10,
        "annual_fail_2y": 20,
        "annual_refused_2y": 30,
    },
    "FUNDS_RISK_CAPS": {"open_order": 20, "overdue_order": 30, "penalty_2y": 30, "report_90d": 20, "fund_alert": 30,
                        "annual_fail_2y": 40, "annual_refused_2y": 30},
    "FUNDS_RISK_THRESHOLDS": {"medium": 20, "high": 40, "key": 60},
}


def get(name: str):
    return getattr(settings, name, _DEFAULTS[name])
