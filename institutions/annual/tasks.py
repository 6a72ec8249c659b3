"""The annual inspection's Celery task, queued by annual/services.py on commit: thin, takes an id, idempotent."""

from celery import shared_task

from .notice import render_and_store


@shared_task(name="institutions.annual.tasks.render_annual_notice", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=3)
def render_annual_notice(inspection_id: int) -> str:
    """Render (again) the 年检结论通知书 of a decided inspection; overwrites its own file, so a rerun is safe."""
    return render_and_store(inspection_id=inspection_id)
