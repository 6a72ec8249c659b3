"""The beat jobs of fund supervision (thin Celery entry points; each job holds an advisory lock)."""

from celery import shared_task
from django.utils.dateparse import parse_datetime


@shared_task(name="funds.periodic.compute_fund_alerts")
def compute_fund_alerts(now: str | None = None):
    """Daily: raise the fund-risk alerts the accounts, statements and charges call for."""
    from .services.alerts import alerts_compute

    return alerts_compute(now=parse_datetime(now) if now else None)


@shared_task(name="funds.periodic.assess_risk_levels")
def assess_risk_levels(now: str | None = None):
    """Nightly: recompute every institution's risk level (a history row only when it changes)."""
    from .risk import risk_assess

    return risk_assess(now=parse_datetime(now) if now else None)
