"""Reads of the register: every list is a queryset filtered by what the user may see."""

from django.conf import settings
from django.db.models import QuerySet

from regulator.models import AuditEvent

from .filters import InstitutionFilter
from .models import Institution, Licence, Site, Teacher
from .permissions import visible_institutions


def register_filter(*, user, params, request) -> InstitutionFilter:
    queryset = visible_institutions(user).select_related("region")
    return InstitutionFilter(params, queryset=queryset, request=request)


def keyset_page(queryset: QuerySet, *, after: int | None, size: int | None = None):
    """Newest first, one page after the id `after`; never counts the table. Returns (rows, next_after)."""
    size = size or settings.REGISTER_PAGE_SIZE
    if after:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("-pk")[: size + 1])
    next_after = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], next_after


def institution_file(*, institution: Institution) -> dict:
    """一家一册: everything on an institution's file page, a handful of queries."""
    return {
        "licences": list(Licence.objects.filter(institution=institution).select_related("issuer")),
        "sites": list(Site.objects.filter(institution=institution).select_related("region")),
        "teachers": list(Teacher.objects.filter(institution=institution)),
        "history": list(AuditEvent.objects.filter(institution_id=institution.pk).order_by("-id")[:100]),
    }
