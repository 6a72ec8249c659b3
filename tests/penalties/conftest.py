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


_DEFAULT = object()


def decision_data(*rows, facts="事实", kind="penalty", **extra) -> dict:
    """The POST of the decision (or adjudication) form: facts and a formset of (kind, amount[, provision]) rows.
    The provision is a (law, article) pair, None for none, or — left out — the kind's default article of the
    factories (looked up in the database)."""
    from tests.factories.penalties import DEFAULT_PROVISIONS, provision

    data = {"facts": facts, "kind": kind, "penalties-TOTAL_FORMS": str(max(len(rows), 1)),
            "penalties-INITIAL_FORMS": "0", "statement_adopted": "yes", **extra}
    for i, (penalty, amount, *cited) in enumerate(rows):
        cited = cited[0] if cited else _DEFAULT
        if cited is _DEFAULT:
            cited = DEFAULT_PROVISIONS.get(penalty)
        pk = provision(*cited).pk if cited else ""
        data.update({f"penalties-{i}-kind": penalty, f"penalties-{i}-amount": amount, f"penalties-{i}-provision": pk})
    return data
