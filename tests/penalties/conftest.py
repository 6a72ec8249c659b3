"""Fixtures for the penalties tests: institutions in 历下区 and 市中区, a draft and a served order (orders, notices
and cases in any other status come from tests.factories)."""

import pytest

from tests.factories import InstitutionFactory, RectificationOrderFactory


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"], name="阳光艺术培训学校")


@pytest.fixture
def other_institution(regions):
    return InstitutionFactory(region=regions["other_township"], name="市中区某培训中心")


@pytest.fixture
def draft_order(institution, departments, users):
    return RectificationOrderFactory(
        institution=institution, department=departments["education"], drafted_by=users["education_inspector"]
    )


@pytest.fixture
def served_order(institution, departments, users):
    return RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        served=True,
    )


def decision_data(*rows, facts="事实") -> dict:
    """The POST of the decision form: facts and a formset of (kind, amount, legal basis) rows."""
    data = {"facts": facts, "penalties-TOTAL_FORMS": str(max(len(rows), 1)), "penalties-INITIAL_FORMS": "0"}
    for i, (kind, amount, basis) in enumerate(rows):
        data.update({f"penalties-{i}-kind": kind, f"penalties-{i}-amount": amount, f"penalties-{i}-legal_basis": basis})
    return data

