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


def public_base_url() -> str:
    return str(_get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def public_notice_days() -> int:
    """公告送达: the document counts as served this many days after the notice
    (行政处罚法 Art 61 → 民事诉讼法 Art 95: 30)."""
    return int(_get("PENALTIES_PUBLIC_NOTICE_DAYS", 30))
