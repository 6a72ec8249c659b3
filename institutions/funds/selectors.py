"""Reads of filings, accounts and risk levels for other apps and the public pages (imports only this app's
models, so inspections.draw may use it)."""

from django.db.models import Prefetch

from institutions.models import Teacher

from .models import Course, CourseStatus, FundAccount, RiskAssessment, RiskLevel

# Highest risk first: the order in which a weighted draw takes the levels.
RISK_LEVEL_ORDER = (RiskLevel.KEY, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)


def risk_level_label(code: str):
    try:
        return RiskLevel(code).label
    except ValueError:
        return code


def risk_levels(institution_ids) -> dict[int, str]:
    """The current level of each institution; one never assessed counts as low."""
    ids = list(institution_ids)
    levels = {}
    for start in range(0, len(ids), 10_000):
        levels.update(RiskAssessment.objects.filter(institution_id__in=ids[start:start + 10_000], is_current=True)
                      .values_list("institution_id", "level"))
    return {pk: levels.get(pk, RiskLevel.LOW) for pk in ids}


def filed_courses(institution_id: int) -> list[Course]:
    """The filed classes of an institution, for its public page and the site check (two queries)."""
    return list(Course.objects.filter(institution_id=institution_id, status=CourseStatus.FILED)
                .prefetch_related(Prefetch("teachers", queryset=Teacher.objects.only("name", "qualification_number")))
                .order_by("-starts_on", "pk"))


def has_supervised_account(institution_id: int) -> bool:
    return FundAccount.objects.filter(institution_id=institution_id).exists()


def current_assessment(institution_id: int) -> RiskAssessment | None:
    return RiskAssessment.objects.filter(institution_id=institution_id, is_current=True).first()
