"""What the public may read of annual inspections (年检): the results of plans published as a numbered batch, and
nothing of a plan still open (the open-data dataset of publicity/api.py). Only the register's models are imported
here, so that publicity can read it without the services that draft orders and open cases."""

from django.db.models import Case, OuterRef, QuerySet, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from ..models import (
    AnnualInspection,
    AnnualInspectionStatus,
    AnnualPlanStatus,
    AnnualResult,
    Licence,
    LicenceKind,
    LicenceState,
)

# Concluded inspections as the public lists word them (a refusal and a cancellation are conclusions too).
PUBLIC_RESULTS = {
    AnnualResult.PASS: AnnualResult.PASS.label,
    AnnualResult.BASIC_PASS: AnnualResult.BASIC_PASS.label,
    AnnualResult.FAIL: AnnualResult.FAIL.label,
    "refused": _("拒绝接受年检"),
    "cancelled": _("已注销"),
}
_CONCLUDED = (AnnualInspectionStatus.DECIDED, AnnualInspectionStatus.REFUSED, AnnualInspectionStatus.CANCELLED)


def public_result(inspection: AnnualInspection) -> str:
    """The result code of a concluded inspection: pass, basic_pass, fail, refused or cancelled."""
    if inspection.status == AnnualInspectionStatus.DECIDED:
        return inspection.result
    return str(inspection.status)


def public_reasons(inspection: AnnualInspection) -> str:
    """The reasons of a 基本合格 or 不合格 conclusion; a refusal's note is the staff's record, not published."""
    if inspection.status == AnnualInspectionStatus.DECIDED and inspection.result != AnnualResult.PASS:
        return inspection.reasons
    return ""


def published_annual_results() -> QuerySet:
    """Concluded inspections of published plans, with plan, department, institution and the school-running
    licence number (the valid one first, else the latest)."""
    licence = (Licence.objects.filter(institution_id=OuterRef("institution_id"), kind=LicenceKind.SCHOOL_RUNNING)
               .exclude(number="")
               .order_by(Case(When(state=LicenceState.VALID, then=Value(0)), default=Value(1)), "-id")
               .values("number")[:1])
    return (AnnualInspection.objects
            .filter(plan__status=AnnualPlanStatus.PUBLISHED, plan__published_at__isnull=False,
                    status__in=_CONCLUDED)
            .select_related("plan__department", "institution")
            .annotate(licence_number=Subquery(licence))
            .only("id", "status", "result", "reasons", "updated_at", "institution_id", "institution__name",
                  "institution__credit_code", "institution__region_id", "plan__year", "plan__batch_number",
                  "plan__published_at", "plan__updated_at", "plan__department__name", "plan__department_id"))

