"""Celery entry points: thin, take ids, idempotent (acks_late is safe)."""

from celery import shared_task


@shared_task(name="penalties.tasks.chase_deadlines")
def chase_deadlines(now: str | None = None) -> dict:
    """Daily (beat): reminders, overdue, escalation, case time limits, refunds. `now` is ISO 8601 if given."""
    from django.utils.dateparse import parse_datetime

    from .chaser import chase_deadlines as run

    return run(now=parse_datetime(now) if now else None)


@shared_task(name="penalties.tasks.render_pdf", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_pdf(kind: str, object_id: int) -> str:
    """Render (again) the PDF of a numbered document; overwrites its own file, so a rerun is safe."""
    from .pdf import render_and_store

    return render_and_store(kind=kind, object_id=object_id)
