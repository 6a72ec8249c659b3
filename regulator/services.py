"""Writes to the organisation: departments (each with its own auth group) and staff accounts."""

from django.contrib.auth.models import Group
from django.db import transaction

from .audit import record_event, snapshot
from .models import Department, Region, Role, User


@transaction.atomic
def department_save(*, department: Department, actor=None) -> Department:
    """Create or update a department; a new one gets the auth group that sharing grants go to."""
    creating = department.pk is None
    if not department.group_id:
        department.group, _ = Group.objects.get_or_create(name=f"dept:{department.kind}:{department.region_id}")
    department.full_clean()
    department.save()
    record_event(actor=actor, kind="created" if creating else "updated", obj=department, after=snapshot(department),
                 summary=f"部门：{department.name}")
    return department


def department_create(*, kind: str, region: Region, name: str, short_name: str = "",
                      is_joint_office_seat: bool = False, actor=None) -> Department:
    return department_save(
        department=Department(kind=kind, region=region, name=name, short_name=short_name,
                              is_joint_office_seat=is_joint_office_seat),
        actor=actor,
    )


@transaction.atomic
def staff_create(*, username: str, password: str, department: Department | None, role: str, full_name: str = "",
                 actor=None, **extra) -> User:
    user = User(username=username, department=department, role=role, full_name=full_name, **extra)
    if role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_event(actor=actor, kind="created", obj=user,
                 after={"username": username, "department": getattr(department, "pk", None), "role": role},
                 summary=f"账号：{username}")
    return user
