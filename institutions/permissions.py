"""Who may see and change the register: region scope, department remit, and guardian grants.

Everything that decides access to institutions, sites, licences and teachers is here; views,
selectors and services ask these functions and nothing else.
"""

from django.db.models import Q, QuerySet

from regulator.models import DepartmentKind, Role
from regulator.prepared import Prepared
from regulator.scope import REGISTER_EDITOR_KINDS, in_region, is_staff_member, region_q

from .models import (
    CAMPAIGN_ITEM_REMIT,
    AnnualInspectionPlan,
    Institution,
    InstitutionGroupObjectPermission,
    LicenceKind,
    RegisterCampaign,
)

VIEW_INSTITUTION = "view_institution"

# 谁审批谁监管: the department kinds that may record or change each kind of licence.
LICENCE_REMIT: dict[str, frozenset[str]] = {
    LicenceKind.SCHOOL_RUNNING: frozenset({DepartmentKind.EDUCATION, DepartmentKind.HR}),
    LicenceKind.BUSINESS: frozenset({DepartmentKind.MARKET}),
    LicenceKind.NON_ENTERPRISE: frozenset({DepartmentKind.CIVIL_AFFAIRS}),
    LicenceKind.FIRE_SAFETY: frozenset({DepartmentKind.FIRE, DepartmentKind.POLICE}),
    LicenceKind.BUILDING_SAFETY: frozenset({DepartmentKind.HOUSING}),
    LicenceKind.ICP: frozenset({DepartmentKind.EDUCATION}),
}

_EDITING_ROLES = frozenset({Role.INSPECTOR, Role.HEAD, Role.JOINT_OFFICE})


def _shared_institution_ids(group_id):
    """Ids of institutions shared with a department's group by a guardian grant, at most _SHARED_KEPT of them."""
    return InstitutionGroupObjectPermission.objects.filter(
        group_id=group_id, permission__codename=VIEW_INSTITUTION
    ).values_list("content_object_id")[:_SHARED_KEPT]


# At most this many shared institutions are written into a scope as a literal list of ids.
_SHARED_KEPT = 1000
# Its SQL compiled once (regulator/prepared.py): institution_scope_q runs on every register page.
_SHARED_IDS = Prepared(InstitutionGroupObjectPermission, _shared_institution_ids, {"group_id": -2**62 + 11})


def institution_scope_q(user) -> Q:
    if not is_staff_member(user):
        return Q(pk__in=[])
    if user.is_admin_role and user.department_id is None:
        return Q()
    # A literal list (usually empty), not a subquery: `OR id IN (subquery)` stops PostgreSQL from using the
    # region and trigram indexes and makes it walk the whole table (docs/bench.md, finding 2).
    shared = [row[0] for row in _SHARED_IDS.rows(group_id=user.department.group_id)]
    user._shared_institution_ids = shared  # for search_region, on this request's user object
    return region_q(user) | Q(pk__in=shared) if shared else region_q(user)


def search_region(user) -> str:
    """The region code every institution the user sees lies under, once institution_scope_q has run for this
    user object: what the register's two-character search may require of its rows (the bigram index holds the
    region's prefixes too). "" when it cannot say — no region, or institutions shared from elsewhere."""
    shared = getattr(user, "_shared_institution_ids", None)
    code = user.region_code
    if shared is None or shared or len(code) < 2 or not code.isdigit():
        return ""
    return code


def visible_institutions(user) -> QuerySet:
    return Institution.objects.filter(institution_scope_q(user))


def can_view_institution(user, institution: Institution) -> bool:
    if not is_staff_member(user):
        return False
    if in_region(user, institution.region_id):
        return True
    if user.department_id is None:
        return False
    return InstitutionGroupObjectPermission.objects.filter(
        group_id=user.department.group_id, permission__codename=VIEW_INSTITUTION, content_object=institution
    ).exists()


def _may_edit_register(user) -> bool:
    if not is_staff_member(user):
        return False
    if user.is_admin_role:
        return True
    return user.role in _EDITING_ROLES and user.department_kind in REGISTER_EDITOR_KINDS


def can_create_institution(user, region_code: str | None = None) -> bool:
    """Education and market supervision keep the register, each within its own region."""
    if not _may_edit_register(user):
        return False
    return region_code is None or in_region(user, region_code)


def can_change_institution(user, institution: Institution) -> bool:
    return _may_edit_register(user) and in_region(user, institution.region_id)


def can_delete_institution(user, institution: Institution) -> bool:
    if not can_change_institution(user, institution):
        return False
    return user.is_admin_role or (user.role in (Role.HEAD, Role.JOINT_OFFICE)
                                  and user.department_kind == DepartmentKind.EDUCATION)


def can_import_register(user) -> bool:
    return _may_edit_register(user) and user.department_id is not None


def can_change_sites_and_teachers(user, institution: Institution) -> bool:
    return can_change_institution(user, institution)


def licence_kinds_for(user) -> list[str]:
    """The licence kinds this user may record, by department remit."""
    if not is_staff_member(user):
        return []
    if user.is_admin_role:
        return list(LicenceKind.values)
    if user.role not in _EDITING_ROLES:
        return []
    return [kind for kind, kinds in LICENCE_REMIT.items() if user.department_kind in kinds]


def can_change_licence(user, institution: Institution, kind: str, issuer_id: int | None = None) -> bool:
    """A licence of the user's remit in the user's region; one whose issuing department is recorded
    (`issuer_id`) only by that department (谁审批谁监管), not by another of the same remit or above it."""
    if not (in_region(user, institution.region_id) and kind in licence_kinds_for(user)):
        return False
    return issuer_id is None or user.is_admin_role or user.department_id == issuer_id


def can_add_licence(user, institution: Institution) -> bool:
    return in_region(user, institution.region_id) and bool(licence_kinds_for(user))


def can_share_institution(user, institution: Institution) -> bool:
    return in_region(user, institution.region_id) and (
        user.is_admin_role or user.role in (Role.HEAD, Role.JOINT_OFFICE)
    )


# ---- the register through time ----------------------------------------------------------------------------

# Annual inspection (年检) is the school-running licence's issuer's: education, or HR for vocational training.
ANNUAL_INSPECTION_KINDS = frozenset({DepartmentKind.EDUCATION, DepartmentKind.HR})
_DECIDING_ROLES = frozenset({Role.HEAD, Role.JOINT_OFFICE})


def can_decide_change(user, institution: Institution) -> bool:
    """登记变更 are approved by a head or the joint office of a register-keeping department of the region."""
    return can_change_institution(user, institution) and (
        user.is_admin_role or user.role in _DECIDING_ROLES)


def can_plan_annual_inspection(user) -> bool:
    return bool(is_staff_member(user) and user.department_id and user.role in _DECIDING_ROLES
                and user.department_kind in ANNUAL_INSPECTION_KINDS)


def can_work_on_annual_plan(user, plan) -> bool:
    """The plan's department's staff record materials and reviews."""
    return bool(is_staff_member(user) and user.department_id == plan.department_id
                and user.role in _EDITING_ROLES)


def can_decide_annual_inspection(user, plan) -> bool:
    return can_work_on_annual_plan(user, plan) and user.role in _DECIDING_ROLES


def visible_annual_plans(user):
    if not is_staff_member(user):
        return AnnualInspectionPlan.objects.none()
    if user.is_admin_role and user.department_id is None:
        return AnnualInspectionPlan.objects.all()
    return AnnualInspectionPlan.objects.filter(department__region__code__startswith=user.region_code)


def can_open_register_campaign(user) -> bool:
    return bool(is_staff_member(user) and user.department_id and user.role == Role.JOINT_OFFICE)


def can_record_campaign_item(user, institution: Institution, item: str) -> bool:
    """Each item by the department in whose remit it lies (谁审批谁监管), in its region."""
    return bool(is_staff_member(user) and user.department_id and user.role in _EDITING_ROLES
                and in_region(user, institution.region_id)
                and user.department_kind in CAMPAIGN_ITEM_REMIT.get(item, ()))


def visible_register_campaigns(user):
    if not is_staff_member(user):
        return RegisterCampaign.objects.none()
    if user.is_admin_role and user.department_id is None:
        return RegisterCampaign.objects.all()
    code = user.region_code
    # The campaigns of the user's region and of the regions above it (a prefecture's campaign covers a county).
    prefixes = [code[:n] for n in (2, 4, 6, 9) if n <= len(code)]
    return RegisterCampaign.objects.filter(Q(region__code__startswith=code) | Q(region__code__in=prefixes))


def can_keep_teacher_blacklist(user) -> bool:
    return bool(is_staff_member(user) and (user.is_admin_role or (
        user.role in _DECIDING_ROLES and user.department_kind in ANNUAL_INSPECTION_KINDS)))


# The in-service teacher roster is personal data of public-school staff, held apart: education staff holding the
# permission (granted in the admin, to a user or the department's group), of their own department only.
KEEP_IN_SERVICE_ROSTER = "institutions.keep_in_service_roster"


def can_keep_in_service_roster(user) -> bool:
    return bool(is_staff_member(user) and user.department_id and user.department_kind == DepartmentKind.EDUCATION
                and user.has_perm(KEEP_IN_SERVICE_ROSTER))
