"""The site check shows, beside items 3 (content as filed) and 9 (fees), what the institution filed."""

import pytest
from django.urls import reverse

from tests.factories import VisitFactory, ensure_checklist
from tests.factories.funds import bound_account, filed_course

pytestmark = pytest.mark.django_db


def test_visit_page_shows_filed_courses_and_fees(education_inspector_client, users, departments, institution):
    ensure_checklist()
    filed_course(actor=users["education_inspector"], reviewer=users["education_head"], institution=institution)
    bound_account(actor=users["education_head"], institution=institution)
    visit = VisitFactory(planner=users["education_head"], institution=institution,
                         lead_department=departments["education"], inspectors=[users["education_inspector"]])
    page = education_inspector_client.get(reverse("inspections:visit_detail", args=[visit.pk])).content.decode()
    assert 'id="filed-content"' in page and "周一 18:00-19:30" in page
    assert 'id="filed-fees"' in page and "每课时 60.00 元" in page and "************5678" in page
