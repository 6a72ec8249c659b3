"""Regions, departments, staff and notifications, and the helpers other factories use to pick their actors."""

import datetime
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from regulator.models import Department, DepartmentKind, Notification, Region, RegionLevel, Role, User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """A moment on a local (Asia/Shanghai) calendar day: how tests move the clock they pass as `now=`."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "370102"
    name = factory.LazyAttribute(lambda o: f"区划{o.code}")
    level = factory.LazyAttribute(
        lambda o: {2: RegionLevel.PROVINCE, 4: RegionLevel.PREFECTURE, 6: RegionLevel.COUNTY}.get(
            len(o.code), RegionLevel.TOWNSHIP)
    )
    parent = None


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("kind", "region")

    kind = DepartmentKind.EDUCATION
    region = factory.SubFactory(RegionFactory)
    name = factory.LazyAttribute(lambda o: f"{o.region.name}{DepartmentKind(o.kind).label}局")
    group = factory.LazyAttribute(lambda o: Group.objects.get_or_create(name=f"dept:{o.kind}:{o.region.code}")[0])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"工作人员{n}")
    department = factory.SubFactory(DepartmentFactory)
    role = Role.INSPECTOR
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_after(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class NotificationFactory(factory.django.DjangoModelFactory):
    """An inbox row as regulator.notifications.notify writes it (recipient, unique key, subject, link, time)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"test:notification:{n}")
    subject = factory.Sequence(lambda n: f"整改通知书即将到期（{n}）")
    body = ""
    link = "/penalties/"
    created_at = factory.LazyFunction(timezone.now)

    class Params:
        read = factory.Trait(read_at=factory.LazyAttribute(lambda o: o.created_at))


# ---- actors --------------------------------------------------------------------------------------------


def county_code(region_code: str) -> str:
    """The county (6 digits) a region code lies in; a county's or a prefecture's own code is returned as is."""
    return region_code[:6]


def department_for(region_code: str, kind: str = DepartmentKind.EDUCATION) -> Department:
    """The department of `kind` of the county holding `region_code` (created when the test made none)."""
    code = county_code(region_code)
    department = Department.objects.filter(kind=kind, region_id=code).first()
    return department or DepartmentFactory(kind=kind, region=RegionFactory(code=code))


def staff(department: Department, role: str = Role.INSPECTOR, *, exclude=()) -> User:
    """The first active member of `department` with `role` (the `users` fixture's, when it made them), or a new one.

    Picking existing staff keeps a test's users the ones it named; `exclude` skips e.g. a document's drafter,
    who may not approve it."""
    user = (
        User.objects.filter(department=department, role=role, is_active=True)
        .exclude(pk__in=[u.pk for u in exclude if u is not None])
        .order_by("pk")
        .first()
    )
    return user or UserFactory(department=department, role=role)


def joint_office_for(region_code: str) -> User:
    """A joint-office member (role 专项治理办公室) of the county holding `region_code`, in the seat's department
    (the education bureau when the test marked no seat)."""
    code = county_code(region_code)
    seat = Department.objects.filter(region_id=code, is_joint_office_seat=True).first()
    return staff(seat or department_for(code), Role.JOINT_OFFICE)
