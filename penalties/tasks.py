"""Celery tasks that the penalties services queue: thin, take ids, idempotent (acks_late is safe).

The deadline chaser's beat job is in periodic.py (it calls the services, which queue these).
"""

from celery import shared_task

from .pdf import render_and_store


@shared_task(name="penalties.tasks.render_pdf", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_pdf(kind: str, object_id: int) -> str:
    """Render (again) the PDF of a numbered document; overwrites its own file, so a rerun is safe."""
    return render_and_store(kind=kind, object_id=object_id)
