"""Region scope (属地管理): the first layer of every permission check, as a Q on an indexed code column."""

from django.db.models import Q

from .models import DepartmentKind, Role

# Remits (谁审批谁监管): which department kinds may maintain which parts of the register.
REGISTER_EDITOR_KINDS = frozenset({DepartmentKind.EDUCATION, DepartmentKind.MARKET})


def region_q(user, field: str = "region__code") -> Q:
    """Rows whose region code lies in the user's region subtree."""
    code = user.region_code
    if code == "":
        return Q()
    return Q(**{f"{field}__startswith": code})


def in_region(user, region_code: str | None) -> bool:
    code = user.region_code
    return code == "" or bool(region_code and region_code.startswith(code))


def is_staff_member(user) -> bool:
    return bool(user.is_authenticated and (user.is_admin_role or user.department_id))


def is_head(user) -> bool:
    return user.role in (Role.HEAD, Role.JOINT_OFFICE)


def is_joint_office(user) -> bool:
    return user.role == Role.JOINT_OFFICE or user.is_admin_role
