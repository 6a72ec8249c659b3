"""Reads of the register: every list is a queryset filtered by what the user may see."""

from regulator.audit import describe_events
from regulator.models import AuditEvent

from .filters import InstitutionFilter
from .models import Institution, Licence, Site, Teacher
from .permissions import visible_institutions


def register_filter(*, user, params, request) -> InstitutionFilter:
    queryset = visible_institutions(user).select_related("region")
    return InstitutionFilter(params, queryset=queryset, request=request)


def institution_file(*, institution: Institution) -> dict:
    """一家一册: everything on an institution's file page, a handful of queries."""
    return {
        "licences": list(Licence.objects.filter(institution=institution).select_related("issuer")),
        "sites": list(Site.objects.filter(institution=institution).select_related("region")),
        "teachers": list(Teacher.objects.filter(institution=institution)),
        "history": describe_events(AuditEvent.objects.filter(institution_id=institution.pk).order_by("-id")[:100]),
    }
