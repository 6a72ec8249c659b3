"""Who may see and do what with campaigns, draws and visits. Every decision of the inspections app is here.

A visit is visible to the staff of its lead department, of every participating department (joint visit),
to its assigned inspectors, to a department it was referred to (guardian grant on the visit), to the joint
office of the institution's region, and to staff of the same department kind higher up the region tree.
It is editable only by its assigned inspectors, and only until it is submitted.
"""

from django.db.models import Q, QuerySet

from regulator.models import Role
from regulator.scope import in_region, is_staff_member

from .models import (
    Campaign,
    ProblemItem,
    ProblemItemGroupObjectPermission,
    Visit,
    VisitGroupObjectPermission,
    VisitInspector,
    VisitStatus,
)

VIEW_VISIT = "view_visit"
VIEW_PROBLEM_ITEM = "view_problemitem"

_PLANNING_ROLES = frozenset({Role.HEAD, Role.JOINT_OFFICE})
_COUNTY_CODE_LENGTH = 6


def _is_national_admin(user) -> bool:
    return user.is_admin_role and user.department_id is None


def _above_county(user) -> bool:
    return user.department_id is not None and len(user.department.region_id) < _COUNTY_CODE_LENGTH


# ---- visits -----------------------------------------------------------------------------------


def visit_scope_q(user) -> Q:
    """Visits the user may see, as one Q of indexed columns and small subqueries."""
    if not is_staff_member(user):
        return Q(pk__in=[])
    if _is_national_admin(user):
        return Q()
    department_id = user.department_id
    q = (
        Q(lead_department_id=department_id)
        | Q(pk__in=Visit.departments.through.objects.filter(department_id=department_id).values("visit_id"))
        | Q(pk__in=VisitInspector.objects.filter(inspector_id=user.pk).values("visit_id"))
        | Q(
            pk__in=VisitGroupObjectPermission.objects.filter(
                group_id=user.department.group_id, permission__codename=VIEW_VISIT
            ).values("content_object_id")
        )
    )
    if user.role == Role.JOINT_OFFICE:
        q |= Q(lead_department__region__code__startswith=user.region_code)
    if _above_county(user):
        q |= Q(
            lead_department__kind=user.department_kind,
            lead_department__region__code__startswith=user.region_code,
        )
    return q


def visible_visits(user) -> QuerySet:
    return Visit.objects.filter(visit_scope_q(user))


def can_view_visit(user, visit: Visit) -> bool:
    return is_staff_member(user) and visible_visits(user).filter(pk=visit.pk).exists()


def is_assigned(user, visit: Visit) -> bool:
    return VisitInspector.objects.filter(visit_id=visit.pk, inspector_id=user.pk).exists()


def can_edit_visit(user, visit: Visit) -> bool:
    """Fill in answers, photos, signature, submit: assigned inspectors only, before submission."""
    return visit.status != VisitStatus.SUBMITTED and is_staff_member(user) and is_assigned(user, visit)


def _is_lead_department_head(user, visit: Visit) -> bool:
    return user.department_id == visit.lead_department_id and user.role in _PLANNING_ROLES


def can_amend_visit(user, visit: Visit) -> bool:
    if visit.status != VisitStatus.SUBMITTED or not is_staff_member(user):
        return False
    return is_assigned(user, visit) or _is_lead_department_head(user, visit) or _is_national_admin(user)


def can_set_outcome(user, visit: Visit) -> bool:
    return can_amend_visit(user, visit)


def can_plan_reinspection(user, visit: Visit) -> bool:
    if visit.status != VisitStatus.SUBMITTED or not is_staff_member(user):
        return False
    return user.department_id == visit.lead_department_id or _is_national_admin(user)


def can_view_original_evidence(user, visit: Visit) -> bool:
    """Originals keep EXIF/GPS: only the lead department's staff and the assigned inspectors see them."""
    if not is_staff_member(user):
        return False
    return (
        _is_national_admin(user) or user.department_id == visit.lead_department_id or is_assigned(user, visit)
    )


def can_plan_visit(user, department) -> bool:
    """Plan a visit led by `department`: its own staff (inspectors plan site checks too)."""
    if not is_staff_member(user):
        return False
    return _is_national_admin(user) or user.department_id == department.pk


# ---- campaigns and draws ----------------------------------------------------------------------


def can_create_campaign(user) -> bool:
    return is_staff_member(user) and (_is_national_admin(user) or user.role in _PLANNING_ROLES)


def can_lead_campaign_as(user, department) -> bool:
    """A head leads with the own department; the joint office may name any department of its region."""
    if _is_national_admin(user):
        return True
    if user.role == Role.JOINT_OFFICE:
        return in_region(user, department.region_id)
    return user.role == Role.HEAD and user.department_id == department.pk


def campaign_scope_q(user) -> Q:
    if not is_staff_member(user):
        return Q(pk__in=[])
    if _is_national_admin(user):
        return Q()
    return (
        Q(region__code__startswith=user.region_code)
        | Q(lead_department_id=user.department_id)
        | Q(
            pk__in=Campaign.departments.through.objects.filter(department_id=user.department_id).values(
                "campaign_id"
            )
        )
    )


def visible_campaigns(user) -> QuerySet:
    return Campaign.objects.filter(campaign_scope_q(user))


def can_view_campaign(user, campaign: Campaign) -> bool:
    return is_staff_member(user) and visible_campaigns(user).filter(pk=campaign.pk).exists()


def can_draw(user, campaign: Campaign) -> bool:
    """Draws are made by the joint office or the lead department's head. The joint office draws for the
    campaigns of its region's departments, not for a campaign a higher department leads over its region."""
    if not is_staff_member(user):
        return False
    if _is_national_admin(user):
        return True
    if (
        user.role == Role.JOINT_OFFICE
        and in_region(user, campaign.region_id)
        and in_region(user, campaign.lead_department.region_id)
    ):
        return True
    return user.role == Role.HEAD and user.department_id == campaign.lead_department_id


# ---- problem items ----------------------------------------------------------------------------


def visible_problem_items(user) -> QuerySet:
    if not is_staff_member(user):
        return ProblemItem.objects.none()
    if _is_national_admin(user):
        return ProblemItem.objects.all()
    granted = ProblemItemGroupObjectPermission.objects.filter(
        group_id=user.department.group_id, permission__codename=VIEW_PROBLEM_ITEM
    ).values("content_object_id")
    return ProblemItem.objects.filter(Q(visit__in=visible_visits(user).values("pk")) | Q(pk__in=granted))
