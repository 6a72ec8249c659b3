"""The bench hook seeds submitted visits in bulk, visible on the department's list."""

import pytest

from inspections.bench import seed_past_visits
from inspections.models import ChecklistAnswer, Visit
from inspections.selectors import department_visits
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def test_seed_past_visits(users, departments, regions, checklist):
    ids = [InstitutionFactory(region=regions["township"]).pk for _ in range(3)]
    assert seed_past_visits(n=25, institution_ids=ids, department=departments["education"],
                            inspector=users["education_inspector"], batch_size=10, answers_every=10) == 25
    assert Visit.objects.filter(status="submitted").count() == 25
    assert ChecklistAnswer.objects.count() == 3 * 11
    rows, next_after = department_visits(user=users["education_head"], size=10)
    assert len(rows) == 10 and next_after is not None
