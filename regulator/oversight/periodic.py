"""The oversight floor's beat jobs (thin Celery entry points; each job holds an advisory lock).

Apart from tasks.py: these call services that queue tasks, so one module holding both would import itself
round. Registered under the names they had in regulator/tasks.py, so that the beat schedule keeps finding them.
"""

from celery import shared_task

from .summary import refresh, refresh_institutions
from .weekly import weekly_reports_run


@shared_task(name="regulator.tasks.weekly_reports", acks_late=True)
def weekly_reports() -> int:
    """Friday 18:00 (beat): this week's report of every county; idempotent, holds an advisory lock."""
    return weekly_reports_run()


@shared_task(name="regulator.tasks.refresh_daily_figures", acks_late=True)
def refresh_daily_figures() -> dict:
    """Nightly (beat, 02:30): yesterday's figures, and the days before it that may have been corrected, into the
    dashboard's summary table; idempotent, holds an advisory lock."""
    result = refresh()
    return {key: str(value) for key, value in result.items()}


@shared_task(name="regulator.tasks.refresh_institution_figures", acks_late=True)
def refresh_institution_figures() -> dict:
    """Every ten minutes (beat): the institution counts the dashboards of prefectures and provinces read; holds an
    advisory lock."""
    return refresh_institutions()
