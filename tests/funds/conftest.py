import datetime

import pytest

from institutions.models import LicenceKind
from tests.factories import InstitutionFactory, LicenceFactory, TeacherFactory


@pytest.fixture
def institution(regions):
    """A subject institution with a school-running licence in force (a class may be filed for it)."""
    institution = InstitutionFactory(name="启航学科培训学校", region=regions["township"], category="academic")
    LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING, number="教民137010270000011号",
                   issued_on=datetime.date(2022, 1, 1))
    return institution


@pytest.fixture
def teacher(institution):
    return TeacherFactory(institution=institution, name="王老师")
