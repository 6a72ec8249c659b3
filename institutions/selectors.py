"""Reads of the register: every list is a queryset filtered by what the user may see."""

import json
from operator import itemgetter

from regulator.audit import describe_events
from regulator.models import AuditEvent
from regulator.paging import keyset_page
from regulator.prepared import Prepared
from regulator.scope import is_staff_member

from .campaigns import enrolment_suspends, institution_enrolments
from .filters import InstitutionFilter, filter_data_key, form_key, region_choices
from .models import (
    FORBIDDEN_PREMISES,
    AnnualInspection,
    AnnualInspectionPlan,
    AnnualInspectionStatus,
    AnnualPlanStatus,
    AnnualResult,
    Institution,
    Licence,
    LicenceRenewal,
    RegisterCampaignKind,
    RegisterChange,
    RegisterReview,
    RegisterReviewStatus,
    Site,
    Teacher,
)
from .permissions import institution_scope_q, visible_institutions


def register_filter(*, user, params, request) -> InstitutionFilter:
    queryset = visible_institutions(user).select_related("region")
    return InstitutionFilter(params, queryset=queryset, request=request)


def register_form(*, params, request):
    """The register's filter form alone (bound to `params`): what the page shows above the rows."""
    return InstitutionFilter(params, queryset=Institution.objects.none(), request=request).form


class RegisterRow(tuple):
    """One row of the register list: the values the row shows (institutions/templatetags/register.py), as the tuple
    its query read, with a name for each. A model instance with its region cost four times as much to build (50
    of each a page, two signals each); the tuple itself is also what the row's HTML is kept by."""

    __slots__ = ()
    COLUMNS = ("pk", "name", "address", "credit_code", "category", "licence_standing", "operating_state",
               "premises_type", "region_id", "region__name")

    pk = property(itemgetter(0))
    name = property(itemgetter(1))
    address = property(itemgetter(2))
    credit_code = property(itemgetter(3))
    category = property(itemgetter(4))
    licence_standing = property(itemgetter(5))
    operating_state = property(itemgetter(6))
    premises_type = property(itemgetter(7))

    @property
    def region(self) -> "_RowRegion":
        return _RowRegion(self[8], self[9])

    @property
    def premises_forbidden(self) -> bool:
        return self[7] in FORBIDDEN_PREMISES


class _RowRegion:
    __slots__ = ("code", "name")

    def __init__(self, code: str, name: str):
        self.code, self.name = code, name


class RegisterPage:
    """One page of the register list: its rows, the id of the next page's `after`, whether the filters were valid,
    the filter form's key (regulator/templatetags/fragments.py) and the FilterSet when this request built one."""

    __slots__ = ("rows", "next_after", "valid", "form_key", "filter")

    def __init__(self, rows, next_after, valid, form_key, filter):
        self.rows, self.next_after, self.valid, self.form_key, self.filter = rows, next_after, valid, form_key, filter


# The register page's rows query compiled once per scope and filters (regulator/prepared.py), with the keyset's
# `after` as the one varying value: building the FilterSet (its filters, its form, the form's validation) and
# compiling its queryset cost ~2 ms a page, twice the SQL's own time on an indexed page read. The key holds everything
# the SQL depends on: who (the user's scope: staff or not, admin, department, region, the institutions shared with the
# department, read afresh on every page), the filters' data and the region choices' version (which decides whether a
# region filter is valid). Only valid filters are kept; an invalid one builds its FilterSet every time, for its errors.
_PAGE_QUERIES: dict[tuple, Prepared] = {}
_PAGE_QUERIES_KEPT = 1024
_AFTER_MARKER = -(2**62) + 29  # no id is negative


def register_list_page(*, user, params, request, size: int, after: int | None) -> RegisterPage:
    """The register list's page `after` for these filter params (request.GET), newest first: the rows of
    register_filter's queryset as `regulator.paging.keyset_page` would page them, without building the FilterSet
    when this process has compiled the same filters for the same scope before."""
    scope = institution_scope_q(user)  # the department's shared institutions, read on every page (a query)
    version, _choices = region_choices(user)
    data_key = filter_data_key(params)
    key = (user.pk, is_staff_member(user), user.is_admin_role, user.department_id, user.region_code,
           tuple(getattr(user, "_shared_institution_ids", None) or ()), version, data_key, bool(after), size)
    prepared = _PAGE_QUERIES.get(key)
    register = None
    if prepared is None:
        register = InstitutionFilter(params, queryset=Institution.objects.filter(scope).select_related("region"),
                                     request=request)
        if not register.form.is_valid():
            return RegisterPage([], None, False, register.form_key, register)
        rows = register.qs.values_list(*RegisterRow.COLUMNS)
        if after:
            prepared = Prepared(Institution, lambda after: rows.filter(pk__lt=after).order_by("-pk")[: size + 1],
                                {"after": _AFTER_MARKER})
        else:
            prepared = Prepared(Institution, lambda: rows.order_by("-pk")[: size + 1], {})
        if len(_PAGE_QUERIES) >= _PAGE_QUERIES_KEPT:
            _PAGE_QUERIES.clear()
        _PAGE_QUERIES[key] = prepared
    found = prepared.rows(after=after) if after else prepared.rows()
    next_after = found[size - 1][0] if len(found) > size else None
    return RegisterPage([RegisterRow(values) for values in found[:size]], next_after, True,
                        form_key(user, data_key, version), register)


def institution_file(*, institution: Institution) -> dict:
    """一家一册: everything on an institution's file page, a handful of queries."""
    enrolments = institution_enrolments(institution.pk)
    return {
        "licences": list(Licence.objects.filter(institution=institution).select_related("issuer")),
        "sites": list(Site.objects.filter(institution=institution).select_related("region")),
        "teachers": list(Teacher.objects.filter(institution=institution, ended_on__isnull=True)),
        "former_teachers": list(Teacher.objects.filter(institution=institution, ended_on__isnull=False)
                                .order_by("-ended_on", "-id")),
        "renewals": list(LicenceRenewal.objects.filter(institution=institution).select_related("licence")),
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
    their qualification numbers (the seed: "将教师资格信息在培训机构场所及网站显著位置公布"), never their ID; and the
    results of its published annual inspections, each linked to its batch."""
    results, statuses = dict(AnnualResult.choices), dict(AnnualInspectionStatus.choices)
    return {
        "suspends_enrolment": enrolment_suspends(institution.pk),
        "teachers": list(Teacher.objects.filter(institution=institution, ended_on__isnull=True).only(
            "name", "subject", "qualification_number", "institution_id")),
        "annual_results": [
            {**row, "label": results.get(row["result"]) or statuses.get(row["status"], "")}
            for row in AnnualInspection.objects.filter(
                institution=institution, plan__status=AnnualPlanStatus.PUBLISHED, plan__canonical_json__gt="",
            ).order_by("-plan__year", "-plan_id").values(
                "plan_id", "plan__year", "plan__batch_number", "plan__department__name", "result", "status")
        ],
    }


# ---- published annual-inspection batches (the public site) --------------------------------------------------

def _published_plans():
    # A batch is public once published with its content (plans published before the content was kept have none).
    return AnnualInspectionPlan.objects.filter(status=AnnualPlanStatus.PUBLISHED, canonical_json__gt="")


def annually_published_institutions():
    """The ids of institutions with a result in a published batch (they have a public page), as a subquery."""
    return AnnualInspection.objects.filter(plan__in=_published_plans()).values("institution_id")


def published_annual_batches(*, after: int | None = None, size: int = 20):
    """Published batches, newest first, keyset-paged: (rows, next_after); the content itself is not read."""
    queryset = _published_plans().select_related("department").only(
        "year", "batch_number", "published_at", "sha256", "department__name")
    return keyset_page(queryset, after=after, size=size)


def published_annual_batch(*, plan_id: int) -> tuple[AnnualInspectionPlan, dict] | None:
    """A published batch and its content as published (the canonical JSON whose SHA-256 it carries), or None."""
    plan = _published_plans().filter(pk=plan_id).first()
    if plan is None:
        return None
    return plan, json.loads(plan.canonical_json)
