"""Reads of the register: every list is a queryset filtered by what the user may see."""

from regulator.audit import describe_events
from regulator.models import AuditEvent

from .campaigns import enrolment_suspends, institution_enrolments
from .filters import InstitutionFilter
from .models import (
    AnnualInspection,
    Institution,
    Licence,
    RegisterCampaignKind,
    RegisterChange,
    RegisterReview,
    RegisterReviewStatus,
    Site,
    Teacher,
)
from .permissions import visible_institutions


def register_filter(*, user, params, request) -> InstitutionFilter:
    queryset = visible_institutions(user).select_related("region")
    return InstitutionFilter(params, queryset=queryset, request=request)


def institution_file(*, institution: Institution) -> dict:
    """一家一册: everything on an institution's file page, a handful of queries."""
    enrolments = institution_enrolments(institution.pk)
    return {
        "licences": list(Licence.objects.filter(institution=institution).select_related("issuer")),
        "sites": list(Site.objects.filter(institution=institution).select_related("region")),
        "teachers": list(Teacher.objects.filter(institution=institution)),
        "enrolments": enrolments,
        "suspends_enrolment": any(row["enrolment"].campaign.kind == RegisterCampaignKind.RE_REGISTRATION
                                  and row["enrolment"].completed_at is None for row in enrolments),
        "changes": list(RegisterChange.objects.filter(institution=institution).select_related("decided_by")),
        "annual_inspections": list(AnnualInspection.objects.filter(institution=institution)
                                   .select_related("plan__department").order_by("-plan__year")),
        "history": describe_events(AuditEvent.objects.filter(institution_id=institution.pk).order_by("-id")[:100]),
        "reviews": list(RegisterReview.objects.filter(institution=institution, status=RegisterReviewStatus.PENDING)
                        .select_related("department")),
    }


def public_register_facts(*, institution: Institution) -> dict:
    """What the public page shows of the register beyond the row: the 暂停招生及收费 mark and the teachers with
    their qualification numbers (the seed: "将教师资格信息在培训机构场所及网站显著位置公布"), never their ID."""
    return {
        "suspends_enrolment": enrolment_suspends(institution.pk),
        "teachers": list(Teacher.objects.filter(institution=institution).only(
            "name", "subject", "qualification_number", "institution_id")),
    }
