"""Who may do what with list entries, batches and reports. Views, selectors and services ask only this module.

- Proposing an entry: staff (inspector, head, joint office) whose region covers the institution.
- Acting on an entry once proposed — the statement (陈述申辩), a correction, a removal request: the
  proposing department's staff only (and administrators), never another department of the same region.
- Reviewing: the head of the proposing department.
- Approving, publishing a batch, approving a removal: the joint office (role `joint_office`, or the head
  of the department that seats the joint office) of a region that holds both the institution and the
  proposing department (a county office does not approve the prefecture's entries). A market head cannot.
- Reports: staff see the reports of their region. Assignment and reassignment are the joint office's (or an
  administrator's) and stay within its region; the assigned department's head may hand a report back to the
  joint office. The reporter's identity is for the assigned (handling) department alone — not the joint
  office as such, not an administrator, not the prefecture — and each look at it is audited
  (`services.report_identity_reveal`).
"""

from django.db.models import Q, QuerySet

from regulator.models import Department, Role
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


def _is_proposing_staff(user, entry: ListEntry) -> bool:
    if not is_staff_member(user):
        return False
    if user.is_admin_role:
        return True
    return user.role in _PROPOSER_ROLES and user.department_id == entry.proposing_department_id


def can_approve_entry(user, entry: ListEntry) -> bool:
    if not (is_joint_office_user(user) and can_view_entry(user, entry)):
        return False
    return user.is_admin_role or in_region(user, entry.proposing_department.region_id)


def can_publish_batch(user) -> bool:
    return is_joint_office_user(user) and user.department_id is not None


def can_record_statement(user, entry: ListEntry) -> bool:
    return _is_proposing_staff(user, entry)


def can_propose_removal(user, entry: ListEntry) -> bool:
    return _is_proposing_staff(user, entry)


def can_approve_removal(user, entry: ListEntry) -> bool:
    return can_approve_entry(user, entry)


def can_correct_entry(user, entry: ListEntry) -> bool:
    return _is_proposing_staff(user, entry)


# ---- reports -------------------------------------------------------------------------------------


def visible_reports(user) -> QuerySet:
    if not is_staff_member(user):
        return Report.objects.none()
    if user.is_admin_role and user.department_id is None:
        return Report.objects.all()
    return Report.objects.filter(region_q(user, "region__code") | Q(department_id=user.department_id))


def can_record_report(user, region_code: str) -> bool:
    """Enter a report received by phone, letter or in person: any staff member whose region holds it."""
    return is_staff_member(user) and in_region(user, region_code)


def can_view_report(user, report: Report) -> bool:
    if not is_staff_member(user):
        return False
    return in_region(user, report.region_id) or (
        user.department_id and user.department_id == report.department_id
    )


def can_see_reporter_identity(user, report: Report) -> bool:
    """Only the handling department's staff — not other departments, not the joint office, not the public.

    The joint office routes a report by its content and never needs the reporter; its staff see the identity
    only when their own department is the one handling it. Pages show it only through
    `services.report_identity_reveal`, which audits every look.
    """
    return bool(is_staff_member(user) and report.department_id and user.department_id == report.department_id)


def can_assign_report(user, report: Report) -> bool:
    """Assign or reassign: the joint office of the report's region, or an administrator. A report already
    assigned is taken back only by a joint office whose region holds the assigned department too (a county
    office does not take a report from the prefecture's bureau)."""
    if not is_staff_member(user):
        return False
    if user.is_admin_role:
        return True
    if not (is_joint_office_user(user) and in_region(user, report.region_id)):
        return False
    return not report.department_id or in_region(user, report.department.region_id)


def assignable_departments(user, report: Report) -> QuerySet:
    """The departments `user` may assign `report` to: of the report's region or above it, within the user's."""
    code = report.region_id
    prefixes = [code[:length] for length in (2, 4, 6, 9) if len(code) >= length]
    return (
        Department.objects.filter(region_id__in=prefixes)
        .filter(region_q(user, "region__code"))
        .order_by("region_id", "kind")
    )


def can_return_report(user, report: Report) -> bool:
    """Hand a report back to the joint office (with a reason): the assigned department's head."""
    return bool(
        is_staff_member(user)
        and report.department_id
        and user.department_id == report.department_id
        and user.role in (Role.HEAD, Role.JOINT_OFFICE)
    )


def can_work_report(user, report: Report) -> bool:
    """Verify, handle and reply: staff of the assigned department."""
    return bool(report.department_id) and (user.is_admin_role or user.department_id == report.department_id)


def can_close_report(user, report: Report) -> bool:
    return can_work_report(user, report) and (
        user.is_admin_role or user.role in (Role.HEAD, Role.JOINT_OFFICE)
    )
