"""Who may file and review classes, keep supervised accounts and handle fund alerts.

The education department that licenses the institution files and reviews its classes (审核备案); the
education department and the financial regulator of the region keep the supervised accounts and handle the
alerts (以县为单位组织银行或监管机构对账户实施监管). Everything is scoped by region first.
"""

from django.db.models import Q, QuerySet

from institutions.permissions import can_view_institution
from regulator.models import DepartmentKind, Role
from regulator.scope import in_region, is_head, is_staff_member, region_q

from .models import Course, FundAccount, FundAlert, RiskAssessment

FILING_KINDS = frozenset({DepartmentKind.EDUCATION})
FUND_KINDS = frozenset({DepartmentKind.EDUCATION, DepartmentKind.FINANCE})


def _of_kind(user, kinds) -> bool:
    return is_staff_member(user) and (user.is_admin_role or user.department_kind in kinds)


def can_view_funds(user, institution) -> bool:
    return can_view_institution(user, institution)


def can_submit_course(user, institution) -> bool:
    return _of_kind(user, FILING_KINDS) and in_region(user, institution.region_id) and (
        user.is_admin_role or user.role in (Role.INSPECTOR, Role.HEAD, Role.JOINT_OFFICE))


def can_review_course(user, course: Course) -> bool:
    return (_of_kind(user, FILING_KINDS) and in_region(user, course.institution.region_id)
            and (user.is_admin_role or is_head(user)))


def can_keep_account(user, institution) -> bool:
    return _of_kind(user, FUND_KINDS) and in_region(user, institution.region_id)


def can_handle_alert(user, alert: FundAlert) -> bool:
    return (_of_kind(user, FUND_KINDS) and in_region(user, alert.institution.region_id)
            and (user.is_admin_role or is_head(user) or alert.assigned_to_id == user.pk))


def can_assign_alert(user, alert: FundAlert) -> bool:
    return (_of_kind(user, FUND_KINDS) and in_region(user, alert.institution.region_id)
            and (user.is_admin_role or is_head(user)))


def visible_courses(user) -> QuerySet:
    if not is_staff_member(user):
        return Course.objects.none()
    return Course.objects.filter(region_q(user, "institution__region__code"))


def visible_accounts(user) -> QuerySet:
    if not is_staff_member(user):
        return FundAccount.objects.none()
    return FundAccount.objects.filter(region_q(user, "institution__region__code"))


def visible_alerts(user) -> QuerySet:
    if not _of_kind(user, FUND_KINDS):
        return FundAlert.objects.none()
    return FundAlert.objects.filter(region_q(user, "institution__region__code"))


def visible_assessments(user) -> QuerySet:
    """Risk levels, as the institution's own page shows them: whoever sees the institution (its region)."""
    if not is_staff_member(user):
        return RiskAssessment.objects.none()
    return RiskAssessment.objects.filter(region_q(user, "institution__region__code"))


def alert_scope_q(user) -> Q:
    """The queue's rows: a head's department's alerts, an inspector's own."""
    if user.is_admin_role:
        return Q()
    if is_head(user):
        return Q(department_id=user.department_id)
    return Q(assigned_to_id=user.pk)
