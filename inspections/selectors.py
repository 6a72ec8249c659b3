"""Reads of the inspections app: lists scoped by permissions, the visit page's data, and problem items."""

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institutions.models import Institution
from institutions.permissions import visible_institutions
from regulator.models import User
from regulator.paging import keyset_page

from . import conf, permissions
from .models import (
    ChecklistAnswer,
    Evidence,
    ProblemItem,
    ProblemStatus,
    Signature,
    SpotCheckDraw,
    Visit,
    VisitInspector,
    VisitOutcome,
    VisitStatus,
)


def _list_columns(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("institution", "lead_department").prefetch_related(
        Prefetch("assignments", queryset=VisitInspector.objects.select_related("inspector"))
    )


def todays_visits(*, user, today: date, until: date | None = None) -> QuerySet:
    """An inspector's visits for today (and up to `until`, the days the phone keeps for offline use), plus any
    planned earlier and not yet submitted."""
    mine = VisitInspector.objects.filter(inspector_id=user.pk).values("visit_id")
    return _list_columns(
        Visit.objects.filter(pk__in=mine)
        .exclude(status=VisitStatus.SUBMITTED)
        .filter(planned_on__lte=until or today)
        .order_by("planned_on", "pk")
    )


def offline_visits(*, user, until: date) -> list[tuple[int, list[int]]]:
    """The inspector's own open visits planned up to `until` (and any started earlier), with the ids of their
    photos that have a display copy: what the service worker keeps for offline use. Two queries."""
    mine = VisitInspector.objects.filter(inspector_id=user.pk).values("visit_id")
    ids = list(
        Visit.objects.filter(pk__in=mine, planned_on__lte=until)
        .exclude(status=VisitStatus.SUBMITTED)
        .order_by("planned_on", "pk")
        .values_list("pk", flat=True)[:50]
    )
    photos: dict[int, list[int]] = {pk: [] for pk in ids}
    for visit_id, pk in (
        Evidence.objects.filter(visit_id__in=ids).exclude(display="").order_by("pk").values_list("visit_id", "pk")
    ):
        photos[visit_id].append(pk)
    return list(photos.items())


def department_visits(*, user, status: str = "", after: int | None = None, size: int | None = None):
    """Visits the user may see, newest first, one keyset page (no COUNT(*)). Returns (rows, next_after)."""
    size = size or conf.get("INSPECTIONS_PAGE_SIZE")
    queryset = permissions.visible_visits(user)
    if status in VisitStatus.values:
        queryset = queryset.filter(status=status)
    return keyset_page(_list_columns(queryset), after=after, size=size)


def visit_page(*, visit: Visit) -> dict:
    """Everything the visit page shows, in a fixed handful of queries."""
    answers = list(
        ChecklistAnswer.objects.filter(visit=visit)
        .select_related("item", "carried_from", "carried_from__visit")
        .order_by("item__position")
    )
    evidence = list(Evidence.objects.filter(visit=visit).order_by("pk"))
    by_item: dict[int | None, list[Evidence]] = {}
    for row in evidence:
        by_item.setdefault(row.item_id, []).append(row)
    for answer in answers:
        answer.evidence_list = by_item.get(answer.item_id, [])
        answer.version = answer_version(answer)
    return {
        "last_failed": _last_failed(visit),
        "answers": answers,
        "loose_evidence": by_item.get(None, []),
        "assignments": list(visit.assignments.select_related("inspector", "inspector__department")),
        "departments": list(visit.departments.all()),
        "signature": Signature.objects.filter(visit=visit).first(),
        "amendments": list(visit.amendments.select_related("created_by")),
        "problem_items": list(visit.problem_items.order_by("pk")),
    }


def answer_version(answer: ChecklistAnswer) -> str:
    """What the page knew of an answer (who saved it last and when; empty while blank): the offline outbox sends
    it back with a change, so the server can tell when another inspector changed the item meanwhile."""
    if answer.answered_at is None:
        return ""
    return f"{answer.answered_by_id}@{answer.answered_at.isoformat()}"


def _last_failed(visit: Visit) -> list[ChecklistAnswer]:
    """The failed items of the institution's last submitted visit before this one, for the inspector on site
    (a re-inspection shows them on its own items instead). One query."""
    if visit.previous_visit_id is not None or visit.status == VisitStatus.SUBMITTED:
        return []
    last = (
        Visit.objects.filter(institution_id=visit.institution_id, status=VisitStatus.SUBMITTED)
        .exclude(pk=visit.pk)
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    return list(
        ChecklistAnswer.objects.filter(visit_id__in=last, result="fail")
        .select_related("item", "visit")
        .order_by("item__position")
    )


def problem_items_for_order(*, visit: Visit) -> QuerySet:
    """The open problem items of a submitted visit, for a rectification order (penalties app)."""
    return (
        ProblemItem.objects.filter(visit=visit, status=ProblemStatus.OPEN)
        .select_related("checklist_item", "institution", "department")
        .order_by("checklist_item__position", "pk")
    )


def open_problem_items(*, institution_id: int) -> QuerySet:
    return ProblemItem.objects.filter(institution_id=institution_id, status=ProblemStatus.OPEN).order_by("pk")


def campaign_visits(*, user, campaign, limit: int = 200) -> QuerySet:
    return _list_columns(permissions.visible_visits(user).filter(campaign=campaign).order_by("-pk"))[:limit]


def draw_names(*, draw) -> dict:
    """Names for the draw's result table: institutions and inspectors by id (two queries)."""

    institution_ids = [row["institution"] for row in draw.result]
    user_ids = {u for row in draw.result for u in row["inspectors"]}
    institutions = Institution.objects.in_bulk(institution_ids)
    users = User.objects.select_related("department").in_bulk(user_ids)
    rows = [
        {
            "institution": institutions.get(row["institution"]),
            "institution_id": row["institution"],
            "inspectors": [users.get(u) for u in row["inspectors"]],
        }
        for row in draw.result
    ]
    return {"rows": rows}


def visible_institution(*, user, pk: int):

    return visible_institutions(user).filter(pk=pk).first()


def evidence_url(evidence: Evidence) -> str:

    return reverse("inspections:evidence_file", args=[evidence.pk])


# ---- read by the publicity app (public pages) ----------------------------------------------------

PUBLIC_OUTCOME_WORDING = {
    VisitOutcome.NO_PROBLEM: _("未发现问题"),
    VisitOutcome.RECTIFICATION: _("发现问题，已责令改正"),
    VisitOutcome.SUSPENSION: _("发现问题，已责令停办整改"),
    VisitOutcome.REFERRAL: _("发现问题，已移送有关部门"),
    VisitOutcome.PENALTY_CASE: _("发现问题，已立案查处"),
    VisitOutcome.NONE: _("检查结果待定"),
}


def published_spot_check_results(*, institution_id: int, limit: int = 20) -> list[dict]:
    """Results of double-random checks of one institution whose draw has been published (双随机、一公开)."""
    visits = (
        Visit.objects.filter(institution_id=institution_id, status=VisitStatus.SUBMITTED,
                             draw__published_at__isnull=False)
        .only("submitted_at", "outcome")
        .order_by("-submitted_at")[:limit]
    )
    return [
        {"date": timezone.localdate(visit.submitted_at), "outcome": str(PUBLIC_OUTCOME_WORDING[visit.outcome])}
        for visit in visits
    ]


def last_inspection_date(*, institution_id: int) -> date | None:
    latest = (
        Visit.objects.filter(institution_id=institution_id, status=VisitStatus.SUBMITTED)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    return timezone.localdate(latest) if latest else None


def published_draws(*, after: int | None = None, size: int = 20):
    """Published draws, newest first, keyset-paged: (rows, next_after)."""
    queryset = SpotCheckDraw.objects.filter(published_at__isnull=False).select_related(
        "campaign", "campaign__lead_department", "campaign__region")
    return keyset_page(queryset, after=after, size=size)


def published_draw_results(*, draw: SpotCheckDraw) -> list[dict]:
    """One row per drawn institution: name, credit code, state of the check, public outcome wording."""
    visits = (
        Visit.objects.filter(draw=draw)
        .select_related("institution")
        .only("status", "outcome", "submitted_at", "institution__name", "institution__credit_code")
        .order_by("institution__name")
    )
    return [
        {
            "institution": visit.institution.name,
            "credit_code": visit.institution.credit_code,
            "date": timezone.localdate(visit.submitted_at) if visit.submitted_at else None,
            "outcome": str(PUBLIC_OUTCOME_WORDING[visit.outcome]) if visit.status == VisitStatus.SUBMITTED
            else str(_("尚未检查")),
        }
        for visit in visits
    ]


# ---- for the public search (publicity): what the public may know of an institution's inspections --------------


def publicly_inspected_institutions() -> QuerySet:
    """Institutions with a published double-random result (双随机、一公开): they have a public page."""
    return Visit.objects.filter(status=VisitStatus.SUBMITTED, draw__published_at__isnull=False).values(
        "institution_id")


def last_inspection_annotations() -> dict:
    """Annotations for an Institution queryset: the last completed inspection's time (any visit, as the public
    institution page states it) and the last published spot-check result's time and outcome code."""
    from django.db.models import OuterRef, Subquery

    submitted = Visit.objects.filter(institution_id=OuterRef("pk"), status=VisitStatus.SUBMITTED).order_by(
        "-submitted_at")
    published = submitted.filter(draw__published_at__isnull=False)
    return {
        "last_inspected_at": Subquery(submitted.values("submitted_at")[:1]),
        "last_check_at": Subquery(published.values("submitted_at")[:1]),
        "last_check_outcome": Subquery(published.values("outcome")[:1]),
    }


def public_outcome(outcome: str | None) -> str:
    return str(PUBLIC_OUTCOME_WORDING.get(outcome, "")) if outcome else ""


def published_spot_check_visits() -> QuerySet:
    """Completed visits of published draws with their institution and draw (the open-data dataset)."""
    return (Visit.objects.filter(status=VisitStatus.SUBMITTED, draw__published_at__isnull=False)
            .select_related("institution", "draw")
            .only("id", "draw_id", "institution_id", "submitted_at", "outcome", "updated_at", "institution__name",
                  "institution__credit_code", "institution__region_id", "draw__published_at"))
