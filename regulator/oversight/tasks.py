"""Thin Celery entry points of the oversight floor.

Registered under the names they had when they lived in regulator/tasks.py, so that the beat schedule, queued
messages and monitoring keep finding them.
"""

from celery import shared_task


@shared_task(name="regulator.tasks.weekly_reports", acks_late=True)
def weekly_reports() -> int:
    """Friday 18:00 (beat): this week's report of every county; idempotent, holds an advisory lock."""
    from .weekly import weekly_reports_run

    return weekly_reports_run()


@shared_task(name="regulator.tasks.render_weekly_report", acks_late=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=5)
def render_weekly_report(report_id: int) -> None:
    """The PDF and .xlsx of one weekly report; idempotent (a report with both files is left alone)."""
    from .weekly import weekly_report_render

    weekly_report_render(report_id=report_id)


@shared_task(name="regulator.tasks.refresh_daily_figures", acks_late=True)
def refresh_daily_figures() -> dict:
    """Nightly (beat, 02:30): yesterday's figures, and the days before it that may have been corrected, into the
    dashboard's summary table; idempotent, holds an advisory lock."""
    from .summary import refresh

    result = refresh()
    return {key: str(value) for key, value in result.items()}


@shared_task(name="regulator.tasks.refresh_institution_figures", acks_late=True)
def refresh_institution_figures() -> dict:
    """Every ten minutes (beat): the institution counts the dashboards of prefectures and provinces read; holds an
    advisory lock."""
    from .summary import refresh_institutions

    return refresh_institutions()
