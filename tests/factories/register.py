"""The register: institutions, their licences, sites and teachers, and valid credit codes."""

import itertools

import factory
from django.db import transaction

from inspections.models import ChecklistItem, ChecklistTemplate
from institutions.models import (
    AnnualMaterialKind,
    Category,
    Institution,
    Licence,
    LicenceKind,
    LicenceState,
    Site,
    Teacher,
)
from institutions.services import refresh_standing
from institutions.validators import credit_code_check_char

from .organisation import RegionFactory

_serial = itertools.count(1)


def valid_credit_code(region_code: str = "370102", serial: int | None = None) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015) for tests and demo data."""
    serial = next(_serial) if serial is None else serial
    first17 = f"52{region_code[:6]}{serial:09d}"
    first17 = first17[:17]
    return first17 + credit_code_check_char(first17)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"阳光培训学校{n}号")
    credit_code = factory.LazyAttribute(lambda o: valid_credit_code(o.region.code))
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


def licensed_institution(region, **kwargs) -> Institution:
    """An institution with a valid school-running licence (what an annual inspection covers), standing derived."""
    with transaction.atomic():
        institution = InstitutionFactory(region=region, **kwargs)
        LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING)
        refresh_standing(institution=institution)
    return institution


ANNUAL_MATERIALS = [
    ("annual_report", "年度工作报告"), ("financial_audit", "年度财务审计报告"),
    ("fund_account_statement", "资金监管账户对账单"), ("teacher_roster", "教职工（培训人员）名册"),
    ("safety_records", "安全管理记录"),
]


def ensure_annual_materials() -> None:
    """The default materials of migration institutions 0009 (a transactional test's flush removes them)."""
    for position, (code, name) in enumerate(ANNUAL_MATERIALS, start=1):
        AnnualMaterialKind.objects.get_or_create(code=code, defaults={"name": name, "position": position})


ANNUAL_CHECKLIST = [
    ("AI01", "办学许可证、营业执照等证照齐全有效，证照信息与实际一致"),
    ("AI02", "办学地址、场所与许可一致，无擅自增设办学点"),
    ("AI03", "培训人员名册与实际一致，学科类培训人员具有教师资格，无在职中小学教师"),
    ("AI04", "收费项目、标准公示，使用资金监管账户，无超过3个月的一次性收费"),
    ("AI05", "消防、安全管理制度落实，安全管理记录完整"),
    ("AI06", "年度工作报告、财务审计报告与实际相符"),
]


def ensure_annual_checklist() -> None:
    """The annual-inspection checklist template of migration institutions 0009."""
    if ChecklistTemplate.objects.filter(code="annual_inspection").exists():
        return
    template = ChecklistTemplate.objects.create(code="annual_inspection", version=1, name="年检实地核查清单",
                                                is_current=True)
    ChecklistItem.objects.bulk_create(ChecklistItem(template=template, position=position, code=code, text=text)
                                      for position, (code, text) in enumerate(ANNUAL_CHECKLIST, start=1))
