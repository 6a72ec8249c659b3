"""Writes to the organisation: departments (each with its own auth group), staff accounts and their sign-ins."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from . import calendar
from .audit import record_event, snapshot
from .audit_kinds import RegulatorAuditKind
from .models import CalendarArrangement, CalendarDayKind, Department, Region, Role, User

# What an account's audit events show of it (never its password hash).
USER_AUDIT_FIELDS = ("username", "full_name", "first_name", "last_name", "email", "department", "role",
                     "enforcement_certificate", "phone", "is_active", "is_staff", "is_superuser")
# Changes of these are changes of what the account may do: recorded as user.role_changed.
_AUTHORITY_FIELDS = {"department", "role", "is_staff", "is_superuser", "groups", "user_permissions"}
_USERNAME_MAX = 150


@transaction.atomic
def department_save(*, department: Department, actor=None) -> Department:
    """Create or update a department; a new one gets the auth group that sharing grants go to."""
    creating = department.pk is None
    before = None if creating else snapshot(Department.objects.get(pk=department.pk))
    if not department.group_id:
        department.group, _created = Group.objects.get_or_create(name=f"dept:{department.kind}:{department.region_id}")
    department.full_clean()
    department.save()
    record_event(
        actor=actor,
        kind=RegulatorAuditKind.DEPARTMENT_CREATED if creating else RegulatorAuditKind.DEPARTMENT_UPDATED,
        obj=department, before=before, after=snapshot(department), summary=f"部门：{department.name}",
    )
    return department


def department_create(*, kind: str, region: Region, name: str, short_name: str = "",
                      is_joint_office_seat: bool = False, actor=None) -> Department:
    return department_save(
        department=Department(kind=kind, region=region, name=name, short_name=short_name,
                              is_joint_office_seat=is_joint_office_seat),
        actor=actor,
    )


def _user_snapshot(user: User) -> dict:
    data = snapshot(user, USER_AUDIT_FIELDS)
    if user.pk:
        data["groups"] = sorted(user.groups.values_list("pk", flat=True))
        data["user_permissions"] = sorted(user.user_permissions.values_list("pk", flat=True))
    return data


@transaction.atomic
def user_create(*, actor, user: User) -> User:
    """Save a new account built elsewhere (the admin's add form, with its password already hashed)."""
    user.full_clean(exclude=["password"])
    user.save()
    record_event(actor=actor, kind=RegulatorAuditKind.USER_CREATED, obj=user,
                 after={"username": user.username, "department": user.department_id, "role": user.role},
                 summary=f"账号：{user.username}")
    return user


def staff_create(*, username: str, password: str | None, department: Department | None, role: str,
                 full_name: str = "", actor=None, **extra) -> User:
    user = User(username=username, department=department, role=role, full_name=full_name, **extra)
    if role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.set_password(password)
    return user_create(actor=actor, user=user)


@transaction.atomic
def user_update(*, actor, user_id: int, data: dict) -> User:
    """Change an account's fields (and groups or permissions); one event, named by the weightiest change."""
    user = User.objects.select_for_update().get(pk=user_id)
    before = _user_snapshot(user)
    relations = {name: data.pop(name) for name in ("groups", "user_permissions") if name in data}
    for name, value in data.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    for name, value in relations.items():
        getattr(user, name).set(value)
    after = _user_snapshot(user)
    changed = {name for name in after if before.get(name) != after.get(name)}
    if not changed:
        return user
    if changed & _AUTHORITY_FIELDS:
        kind, summary = RegulatorAuditKind.USER_ROLE_CHANGED, _("变更账号角色、部门或权限：%(name)s")
    elif "is_active" in changed:
        kind = RegulatorAuditKind.USER_ACTIVATED if user.is_active else RegulatorAuditKind.USER_DEACTIVATED
        summary = _("启用账号：%(name)s") if user.is_active else _("停用账号：%(name)s")
    else:
        kind, summary = RegulatorAuditKind.USER_UPDATED, _("修改账号信息：%(name)s")
    record_event(actor=actor, kind=kind, obj=user, before={k: before.get(k) for k in changed},
                 after={k: after.get(k) for k in changed}, summary=summary % {"name": user.username})
    return user


@transaction.atomic
def user_password_change(*, user: User, password: str, ip_address: str | None = None) -> User:
    """The account holder changes their own password (the password-change page; the form checked the old one)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event(actor=user, kind=RegulatorAuditKind.USER_PASSWORD_CHANGED, obj=user,
                 after={"ip_address": ip_address}, summary=_("修改本人密码"))
    return user


@transaction.atomic
def user_password_set_record(*, actor, user: User) -> None:
    """An administrator set or disabled another account's password (the admin's form saved it, inside the same
    transaction as this event: regulator.admin.StaffAdmin.user_change_password)."""
    record_event(actor=actor, kind=RegulatorAuditKind.USER_PASSWORD_SET, obj=user,
                 after={"usable_password": user.has_usable_password()},
                 summary=_("管理员重设密码：%(name)s") % {"name": user.username})


@transaction.atomic
def login_record(*, user: User, ip_address: str | None) -> None:
    record_event(actor=user, kind=RegulatorAuditKind.USER_LOGGED_IN, obj=user, after={"ip_address": ip_address},
                 summary=_("登录"))


@transaction.atomic
def logout_record(*, user: User, ip_address: str | None) -> None:
    record_event(actor=user, kind=RegulatorAuditKind.USER_LOGGED_OUT, obj=user, after={"ip_address": ip_address},
                 summary=_("退出登录"))


@transaction.atomic
def login_failure_record(*, username: str, ip_address: str | None) -> None:
    """A failed sign-in: the username tried (never the password), the account it names if any, the address."""
    username = (username or "")[:_USERNAME_MAX]
    account_id = User.objects.filter(username=username).values_list("pk", flat=True).first() if username else None
    record_event(actor=None, kind=RegulatorAuditKind.USER_LOGIN_FAILED, object_type=User._meta.label_lower,
                 object_id=account_id or "", after={"username": username, "ip_address": ip_address},
                 summary=_("登录失败：%(username)s") % {"username": username})


def _arrangement_snapshot(arrangement: CalendarArrangement) -> dict:
    days = list(arrangement.days.order_by("date").values_list("date", "kind", "name"))
    return {
        "year": arrangement.year,
        "source": arrangement.source,
        "notice": arrangement.notice,
        "holidays": [f"{date:%Y-%m-%d} {name}" for date, kind, name in days if kind == CalendarDayKind.HOLIDAY],
        "workdays": [f"{date:%Y-%m-%d} {name}" for date, kind, name in days if kind == CalendarDayKind.WORKDAY],
    }


def calendar_arrangement_snapshot(arrangement: CalendarArrangement) -> dict:
    """What the audit event of a change to a year's arrangement keeps (call before the change for `before`)."""
    return _arrangement_snapshot(arrangement)


@transaction.atomic
def calendar_arrangement_record(*, actor, arrangement: CalendarArrangement, before: dict | None = None) -> None:
    """A year's arrangement or its days were saved (admin): audited, and every period is computed anew."""
    record_event(
        actor=actor, kind=RegulatorAuditKind.CALENDAR_ARRANGEMENT_SAVED, obj=arrangement, before=before,
        after=_arrangement_snapshot(arrangement), summary=f"{arrangement.year}年节假日安排",
    )
    calendar.calendar_changed()


@transaction.atomic
def calendar_arrangement_delete(*, actor, arrangement: CalendarArrangement) -> None:
    """Delete a year's arrangement: that year falls back to Monday–Friday and its periods are flagged."""
    before = _arrangement_snapshot(arrangement)
    object_id = arrangement.pk
    arrangement.delete()
    record_event(
        actor=actor, kind=RegulatorAuditKind.CALENDAR_ARRANGEMENT_DELETED,
        object_type=CalendarArrangement._meta.label_lower, object_id=object_id, before=before,
        summary=f"{before['year']}年节假日安排",
    )
    calendar.calendar_changed()
