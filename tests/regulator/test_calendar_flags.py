"""Where a deadline reaches into a year with no holiday arrangement entered, the order page and the heads' queue
say so."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from publicity.models import DecisionPublication
from regulator.oversight import queue as work_queue
from tests.factories import InstitutionFactory, RectificationOrderFactory

pytestmark = pytest.mark.django_db


def test_order_page_warns_when_its_deadline_is_in_an_uncovered_year(regions, users, education_head_client):
    institution = InstitutionFactory(region=regions["township"])
    drafted = datetime.datetime(2026, 12, 20, 10, tzinfo=timezone.get_current_timezone())
    order = RectificationOrderFactory(institution=institution, now=drafted, deadline=datetime.date(2027, 1, 19))
    page = education_head_client.get(reverse("penalties:order_detail", args=[order.pk])).content.decode()
    assert "calendar-warning" in page and "2027" in page
    covered = RectificationOrderFactory(institution=institution)
    if covered.deadline.year <= 2026:
        page = education_head_client.get(reverse("penalties:order_detail", args=[covered.pk])).content.decode()
        assert "calendar-warning" not in page


def test_queue_marks_a_row_due_in_an_uncovered_year(regions, departments, users):
    institution = InstitutionFactory(region=regions["township"])
    for source_id, due in (("a", datetime.date(2026, 6, 1)), ("b", datetime.date(2027, 1, 8))):
        DecisionPublication.objects.create(
            source_type="penalty_decision", source_id=source_id, institution=institution,
            department=departments["education"], party_name="x", title=f"决定{source_id}", text="x",
            decided_on=datetime.date(2026, 5, 20), publish_due=due)
    rows = work_queue.queue_page(users["education_head"], work_queue.Filters(kind="publication_due"),
                                 size=10, today=datetime.date(2026, 5, 25)).rows
    assert {row["due"]: row["calendar_guess"] for row in rows} == {
        datetime.date(2026, 6, 1): False, datetime.date(2027, 1, 8): True}
