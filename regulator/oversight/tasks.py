"""Celery tasks that the oversight floor queues (thin: they take ids and are idempotent).

Registered under the names they had when they lived in regulator/tasks.py, so that queued messages and
monitoring keep finding them. The beat jobs are in periodic.py.
"""

from celery import shared_task

from .weekly_files import weekly_report_render


@shared_task(name="regulator.tasks.render_weekly_report", acks_late=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=5)
def render_weekly_report(report_id: int) -> None:
    """The PDF and .xlsx of one weekly report; idempotent (a report with both files is left alone)."""
    weekly_report_render(report_id=report_id)
