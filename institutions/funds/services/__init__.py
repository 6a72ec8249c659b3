"""Writes of filings, fund supervision and risk levels; callers import from here."""

from .accounts import account_bind, charge_record
from .alerts import alert_assign, alert_close, alert_open_case, alert_raise, alerts_compute
from .course_import import CourseImportRefused, course_import
from .courses import course_review, course_submit, guided_price
from .statements import StatementRefused, statement_import

__all__ = [
    "CourseImportRefused",
    "StatementRefused",
    "account_bind",
    "alert_assign",
    "alert_close",
    "alert_open_case",
    "alert_raise",
    "alerts_compute",
    "charge_record",
    "course_import",
    "course_review",
    "course_submit",
    "guided_price",
    "statement_import",
]
