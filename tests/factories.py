"""factory_boy factories shared by every test module."""

import itertools

import factory
from django.contrib.auth.models import Group

from institutions.models import Category, Institution, Licence, LicenceKind, LicenceState, Site, Teacher
from institutions.validators import credit_code_check_char
from regulator.models import Department, DepartmentKind, Region, RegionLevel, Role, User

_serial = itertools.count(1)


def make_credit_code(region_code: str = "370102", serial: int | None = None) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015) for tests and demo data."""
    serial = next(_serial) if serial is None else serial
    first17 = f"52{region_code[:6]}{serial:09d}"
    first17 = first17[:17]
    return first17 + credit_code_check_char(first17)


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


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"阳光培训学校{n}号")
    credit_code = factory.LazyAttribute(lambda o: make_credit_code(o.region.code))
    address = factory.Sequence(lambda n: f"文化路{n}号")
    region = factory.SubFactory(RegionFactory)
    category = Category.ARTS
    serves_compulsory = True


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Licence

    institution = factory.SubFactory(InstitutionFactory)
    kind = LicenceKind.BUSINESS
    number = factory.Sequence(lambda n: f"LIC{n:08d}")
    issued_on = factory.Faker("date_between", start_date="-3y", end_date="-1y")
    valid_until = None
    state = LicenceState.VALID


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    institution = factory.SubFactory(InstitutionFactory)
    address = factory.Sequence(lambda n: f"人民路{n}号")
    region = factory.SelfAttribute("institution.region")


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"教师{n}")
    qualification_number = factory.Sequence(lambda n: f"2019{n:013d}")
