"""Who may see and act on rectification orders, suspension notices and penalty cases — decided here only.

Seeing follows region scope (属地管理) plus the issuing department itself; acting is for the issuing
department only (an inspector of the police cannot edit an education order); heads approve and decide;
by default nobody approves a document they drafted themselves (PENALTIES_SELF_APPROVAL_ROLES).
"""

from django.db.models import Q, QuerySet

from regulator.models import Role
from regulator.scope import in_region, is_head, is_staff_member, region_q

from . import conf
from .models import PenaltyCase, RectificationOrder, SuspensionNotice

_ACTING_ROLES = frozenset({Role.INSPECTOR, Role.HEAD, Role.JOINT_OFFICE})


def scope_q(user) -> Q:
    """Rows about institutions in the user's region, or issued by the user's own department."""
    if not is_staff_member(user):
        return Q(pk__in=[])
    if user.is_admin_role and user.department_id is None:
        return Q()
    return region_q(user, field="institution__region__code") | Q(department_id=user.department_id)


def visible_orders(user) -> QuerySet:
    return RectificationOrder.objects.filter(scope_q(user))


def visible_suspensions(user) -> QuerySet:
    return SuspensionNotice.objects.filter(scope_q(user))


def visible_cases(user) -> QuerySet:
    return PenaltyCase.objects.filter(scope_q(user))


def can_view(user, obj) -> bool:
    """Any of the three documents (they all have institution and department)."""
    if not is_staff_member(user):
        return False
    if user.is_admin_role and user.department_id is None:
        return True
    return obj.department_id == user.department_id or in_region(user, obj.institution.region_id)


def can_draft_for(user, institution) -> bool:
    """Staff of a department whose region holds the institution may draft an order, notice or case."""
    return bool(
        is_staff_member(user)
        and user.department_id
        and user.role in _ACTING_ROLES
        and in_region(user, institution.region_id)
    )


def is_issuing_staff(user, obj) -> bool:
    """Staff of the department that issued `obj` (order, notice or case)."""
    return bool(
        user.is_authenticated
        and user.department_id
        and user.department_id == obj.department_id
        and user.role in _ACTING_ROLES
    )


def is_issuing_head(user, obj) -> bool:
    return is_issuing_staff(user, obj) and is_head(user)


def may_approve_own_draft(user) -> bool:
    return user.role in conf.self_approval_roles()


def can_approve(user, obj) -> bool:
    """Heads of the issuing department approve; not their own draft unless their role is allowed to."""
    if not is_issuing_head(user, obj):
        return False
    return obj.drafted_by_id != user.pk or may_approve_own_draft(user)


def can_serve(user, obj) -> bool:
    return is_issuing_staff(user, obj)


def can_close_items(user, order) -> bool:
    return is_issuing_staff(user, order)


def can_extend(user, order) -> bool:
    return is_issuing_head(user, order)


def can_cancel(user, obj) -> bool:
    return is_issuing_head(user, obj)


def can_record_refund(user, notice) -> bool:
    return is_issuing_staff(user, notice)


def can_work_case(user, case) -> bool:
    """Review, investigate, attach evidence, notify rights, record statements, serve, record execution."""
    return is_issuing_staff(user, case)


def can_decide_case(user, case) -> bool:
    """File, drop, decide and close: the department head (负责人) only."""
    return is_issuing_head(user, case)
