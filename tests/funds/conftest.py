import pytest

from tests.factories import InstitutionFactory, TeacherFactory


@pytest.fixture
def institution(regions):
    return InstitutionFactory(name="启航学科培训学校", region=regions["township"], category="academic")


@pytest.fixture
def teacher(institution):
    return TeacherFactory(institution=institution, name="王老师")
