"""Bench hooks: seed many past visits fast (bulk inserts, no audit rows) for `make bench`.

seed_past_visits(n=1_000_000, institutions=…, department=…, inspector=…) writes n submitted visits with one
assignment each and, for every `answers_every`-th visit, its full set of answers (so the visit page and the
reinspection path have realistic neighbours without 11 million rows unless asked).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import (
    AnswerResult,
    ChecklistAnswer,
    ChecklistTemplate,
    InspectionKind,
    Visit,
    VisitInspector,
    VisitStatus,
)


def seed_past_visits(
    *,
    n: int,
    institution_ids: list[int],
    department,
    inspector,
    batch_size: int = 5000,
    answers_every: int = 100,
    template: ChecklistTemplate | None = None,
    days_back: tuple[int, int] = (1, 1500),
) -> int:
    """`days_back` (first, span): visit i is planned `first + i % span` days before today."""
    template = template or ChecklistTemplate.objects.get(code="campaign", is_current=True)
    items = list(template.items.values_list("pk", flat=True))
    now = timezone.now()
    written = 0
    while written < n:
        size = min(batch_size, n - written)
        with transaction.atomic():
            visits = Visit.objects.bulk_create(
                Visit(
                    institution_id=institution_ids[(written + i) % len(institution_ids)],
                    kind=InspectionKind.SWEEP,
                    lead_department=department,
                    checklist_template=template,
                    planned_on=(now - timedelta(days=days_back[0] + (written + i) % days_back[1])).date(),
                    status=VisitStatus.SUBMITTED,
                    started_at=now,
                    submitted_at=now,
                    submitted_by=inspector,
                )
                for i in range(size)
            )
            VisitInspector.objects.bulk_create(
                VisitInspector(visit=v, inspector=inspector, is_lead=True) for v in visits
            )
            ChecklistAnswer.objects.bulk_create(
                ChecklistAnswer(visit=v, item_id=item, result=AnswerResult.PASS, answered_at=now)
                for index, v in enumerate(visits)
                if (written + index) % answers_every == 0
                for item in items
            )
        written += size
    return written
