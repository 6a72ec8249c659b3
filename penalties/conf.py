"""Settings of the penalties app, each with a default that runs on a laptop (override in settings)."""

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def escalation_grace_days() -> int:
    """Days after an order's deadline (still open, overdue) before it escalates to a penalty case."""
    return int(_get("PENALTIES_ESCALATION_GRACE_DAYS", 15))


def default_deadline_days() -> int:
    return int(_get("PENALTIES_DEFAULT_DEADLINE_DAYS", 30))


def max_deadline_days() -> int:
    return int(_get("PENALTIES_MAX_DEADLINE_DAYS", 90))


def reminder_days() -> tuple[int, ...]:
    """Days before a deadline at which the chaser reminds (largest first)."""
    return tuple(sorted(_get("PENALTIES_REMINDER_DAYS", (7, 1)), reverse=True))


def self_approval_roles() -> frozenset[str]:
    """Roles that may approve a document they drafted themselves (none by default: four-eyes rule)."""
    return frozenset(_get("PENALTIES_SELF_APPROVAL_ROLES", ()))


def decision_limit_days() -> int:
    """行政处罚法 Art 60: decide within 90 (calendar) days of filing."""
    return int(_get("PENALTIES_DECISION_LIMIT_DAYS", 90))


def statement_working_days() -> int:
    """Art 64: a hearing is asked for within 5 days (working days, Art 85) of being told."""
    return int(_get("PENALTIES_STATEMENT_WORKING_DAYS", 5))


def service_working_days() -> int:
    """Art 61: a decision not handed over on the spot is served within 7 days (working days, Art 85)."""
    return int(_get("PENALTIES_SERVICE_WORKING_DAYS", 7))


def fine_payment_days() -> int:
    """Art 67: a fine is paid within 15 days of service."""
    return int(_get("PENALTIES_FINE_PAYMENT_DAYS", 15))


def refund_default_days() -> int:
    return int(_get("PENALTIES_REFUND_DEFAULT_DAYS", 30))


def chaser_batch_size() -> int:
    return int(_get("PENALTIES_CHASER_BATCH_SIZE", 500))


def overdue_batch_size() -> int:
    """Orders the set-based overdue step changes per statement and transaction (penalties/services/overdue.py): a
    few statements a batch whatever its size, so larger than the other chases' batches, which do work per row
    (docs/bench-scale.md: 1,000 measured ~15-25% faster than 500 and than 2,000)."""
    return int(_get("PENALTIES_OVERDUE_BATCH_SIZE", 1000))


def public_base_url() -> str:
    return str(_get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def public_notice_days() -> int:
    """公告送达: the document counts as served this many days after the notice
    (行政处罚法 Art 61 → 民事诉讼法 Art 95: 30)."""
    return int(_get("PENALTIES_PUBLIC_NOTICE_DAYS", 30))
def limitation_years(*, endangers_safety: bool) -> int:
    """行政处罚法 Art 36: not discovered within 2 years, no penalty; 5 years where the act endangers life,
    health or financial safety and had harmful consequences."""
    if endangers_safety:
        return int(_get("PENALTIES_LIMITATION_YEARS_SAFETY", 5))
    return int(_get("PENALTIES_LIMITATION_YEARS", 2))


def hearing_request_working_days() -> int:
    """Art 64 (1): the party asks for a hearing within 5 days (working days, Art 85) of being told."""
    return int(_get("PENALTIES_HEARING_REQUEST_WORKING_DAYS", 5))


def hearing_notice_working_days() -> int:
    """Art 64 (2): the party is told the time and place of the hearing 7 days (working days) before it."""
    return int(_get("PENALTIES_HEARING_NOTICE_WORKING_DAYS", 7))


# 行政处罚法 Art 63: "较大数额" fines and confiscations are set by each province (region code's first two
# digits); "default" applies where a province is not listed. Amounts in yuan.
DEFAULT_HEARING_THRESHOLDS = {"default": {"person": 10000, "organisation": 100000}}


def hearing_threshold(*, region_code: str, person: bool):
    from decimal import Decimal

    table = _get("PENALTIES_HEARING_THRESHOLDS", DEFAULT_HEARING_THRESHOLDS)
    row = table.get((region_code or "")[:2]) or table.get("default") or DEFAULT_HEARING_THRESHOLDS["default"]
    return Decimal(str(row["person" if person else "organisation"]))


def surcharge_daily_rate():
    """Art 72 (1): 3% of the fine a day once it is overdue, never more than the fine."""
    from decimal import Decimal

    return Decimal(str(_get("PENALTIES_SURCHARGE_DAILY_RATE", "0.03")))


def enforcement_after_reminder_days() -> int:
    """行政强制法 Art 54: the court is applied to once 10 days have passed after the written reminder."""
    return int(_get("PENALTIES_ENFORCEMENT_AFTER_REMINDER_DAYS", 10))


def enforcement_wait_months() -> int:
    """行政强制法 Art 53: apply to the court after the period for review and lawsuit (6 months) has ended."""
    return int(_get("PENALTIES_ENFORCEMENT_WAIT_MONTHS", 6))
