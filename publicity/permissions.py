"""Who may do what with list entries, batches and reports. Views, selectors and services ask only this module.

- Proposing an entry: staff (inspector, head, joint office) whose region covers the institution.
- Reviewing: the head of the proposing department.
- Approving, publishing a batch, approving a removal: the joint office (role `joint_office`, or the head
  of the department that seats the joint office) within its region. A market-supervision head cannot.
- Reports: staff see the reports of their region; the reporter's identity only the assigned department.
"""

from django.db.models import Q, QuerySet

from regulator.models import Role
from regulator.scope import in_region, is_staff_member, region_q

from .models import ListEntry, Report

_PROPOSER_ROLES = frozenset({Role.INSPECTOR, Role.HEAD, Role.JOINT_OFFICE})


def is_joint_office_user(user) -> bool:
    if not is_staff_member(user):
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.JOINT_OFFICE:
        return True
    return user.role == Role.HEAD and bool(user.department_id) and user.department.is_joint_office_seat


# ---- list entries --------------------------------------------------------------------------------


def visible_entries(user) -> QuerySet:
    if not is_staff_member(user):
        return ListEntry.objects.none()
    return ListEntry.objects.filter(region_q(user, "institution__region__code"))


def can_view_entry(user, entry: ListEntry) -> bool:
    return is_staff_member(user) and in_region(user, entry.institution.region_id)


def can_propose_entry(user, institution) -> bool:
    if not is_staff_member(user) or not in_region(user, institution.region_id):
        return False
    return user.is_admin_role or user.role in _PROPOSER_ROLES


def can_review_entry(user, entry: ListEntry) -> bool:
    if not can_view_entry(user, entry):
        return False
    if user.is_admin_role:
        return True
    return user.role in (Role.HEAD, Role.JOINT_OFFICE) and user.department_id == entry.proposing_department_id


def can_approve_entry(user, entry: ListEntry) -> bool:
    return is_joint_office_user(user) and can_view_entry(user, entry)


def can_publish_batch(user) -> bool:
    return is_joint_office_user(user) and user.department_id is not None


def can_record_statement(user, entry: ListEntry) -> bool:
    return can_view_entry(user, entry) and (user.is_admin_role or user.role in _PROPOSER_ROLES)


def can_propose_removal(user, entry: ListEntry) -> bool:
    return can_propose_entry(user, entry.institution)


def can_approve_removal(user, entry: ListEntry) -> bool:
    return can_approve_entry(user, entry)


def can_correct_entry(user, entry: ListEntry) -> bool:
    return can_propose_entry(user, entry.institution)


# ---- reports -------------------------------------------------------------------------------------


def visible_reports(user) -> QuerySet:
    if not is_staff_member(user):
        return Report.objects.none()
    if user.is_admin_role and user.department_id is None:
        return Report.objects.all()
    return Report.objects.filter(region_q(user, "region__code") | Q(department_id=user.department_id))


def can_view_report(user, report: Report) -> bool:
    if not is_staff_member(user):
        return False
    return in_region(user, report.region_id) or (
        user.department_id and user.department_id == report.department_id
    )


def can_see_reporter_identity(user, report: Report) -> bool:
    """Only the handling department's staff — not other departments, not the joint office, not the public."""
    return bool(is_staff_member(user) and report.department_id and user.department_id == report.department_id)


def can_assign_report(user, report: Report) -> bool:
    return can_view_report(user, report) and (
        user.is_admin_role or is_joint_office_user(user) or user.role == Role.HEAD
    )


def can_work_report(user, report: Report) -> bool:
    """Verify, handle and reply: staff of the assigned department."""
    return bool(report.department_id) and (user.is_admin_role or user.department_id == report.department_id)


def can_close_report(user, report: Report) -> bool:
    return can_work_report(user, report) and (
        user.is_admin_role or user.role in (Role.HEAD, Role.JOINT_OFFICE)
    )
