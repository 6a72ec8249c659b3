"""From a submitted visit's problem items to an order; closing an item closes the problem item; an overdue
order from a visit gets a re-inspection visit planned."""

import datetime

import pytest
from django.utils import timezone

from inspections import services as inspection_services
from inspections.models import ProblemItem, ProblemStatus, Visit, VisitStatus
from penalties import chaser, services
from penalties.models import OrderStatus, RectificationOrder
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests.factories import at, ensure_checklist
from tests.inspections.conftest import answer_all, sign


@pytest.fixture
def submitted_visit(users, departments, institution):
    ensure_checklist()
    visit = inspection_services.visit_plan(
        actor=users["education_head"],
        institution=institution,
        lead_department=departments["education"],
        planned_on=timezone.localdate(),
        inspectors=[users["education_inspector"]],
    )
    answer_all(visit, users["education_inspector"], fail_positions=(2, 3))
    sign(visit, users["education_inspector"])
    inspection_services.visit_submit(actor=users["education_inspector"], visit_id=visit.pk)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED
    return visit


def _problems(visit):
    return list(ProblemItem.objects.filter(visit=visit).order_by("id"))


def test_order_from_visit_snapshots_items_and_closing_closes_problem(users, submitted_visit):
    problems = _problems(submitted_visit)
    assert len(problems) == 2
    bases = {p.pk: "《民办教育促进法》第六十二条" for p in problems}
    order = services.order_draft_from_visit(
        actor=users["education_inspector"],
        visit_id=submitted_visit.pk,
        problem_item_ids=[p.pk for p in problems],
        legal_bases=bases,
    )
    items = list(order.items.all())
    assert [i.problem_item_id for i in items] == [p.pk for p in problems]
    assert items[0].text == problems[0].finding == "第2项情况"  # the finding, not the checklist's standard
    assert order.visit_id == submitted_visit.pk
    with pytest.raises(ServiceError, match="已在另一份整改通知书"):
        services.order_draft_from_visit(
            actor=users["education_inspector"],
            visit_id=submitted_visit.pk,
            problem_item_ids=[problems[0].pk],
            legal_bases=bases,
        )
    services.order_approve(actor=users["education_head"], order_id=order.pk)
    services.order_item_close(
        actor=users["education_inspector"], item_id=items[0].pk, method="reinspection", note="复查已整改"
    )
    assert ProblemItem.objects.get(pk=problems[0].pk).status == ProblemStatus.CLOSED
    assert ProblemItem.objects.get(pk=problems[1].pk).status == ProblemStatus.OPEN


def test_other_department_cannot_take_education_problems(users, submitted_visit):
    problems = _problems(submitted_visit)
    with pytest.raises(ActionForbidden):
        services.order_draft_from_visit(
            actor=users["market_inspector"],
            visit_id=submitted_visit.pk,
            problem_item_ids=[problems[0].pk],
            legal_bases={problems[0].pk: "x"},
        )
    assert not RectificationOrder.objects.exists()


def test_from_visit_page(users, submitted_visit, education_inspector_client):
    problems = _problems(submitted_visit)
    url = f"/penalties/orders/from-visit/{submitted_visit.pk}/"
    response = education_inspector_client.get(url)
    assert response.status_code == 200 and problems[0].item_text in response.content.decode()
    deadline = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = education_inspector_client.post(
        url, {"deadline": deadline, "problem": [problems[0].pk], f"basis_{problems[0].pk}": ""}
    )
    assert "缺少法律依据" in response.content.decode()
    response = education_inspector_client.post(
        url,
        {"deadline": deadline, "problem": [problems[0].pk], f"basis_{problems[0].pk}": "《价格法》第十三条"},
    )
    assert response.status_code == 302 and RectificationOrder.objects.count() == 1


def test_overdue_order_from_visit_plans_a_reinspection_or_tells_the_inspector(users, submitted_visit):
    problems = _problems(submitted_visit)
    order = services.order_draft_from_visit(
        actor=users["education_inspector"],
        visit_id=submitted_visit.pk,
        problem_item_ids=[problems[0].pk],
        legal_bases={problems[0].pk: "x"},
    )
    services.order_approve(actor=users["education_head"], order_id=order.pk)
    order.refresh_from_db()
    moment = at(order.deadline + datetime.timedelta(days=1))
    stats = chaser.chase_deadlines(now=moment)
    order.refresh_from_db()
    assert order.status == OrderStatus.OVERDUE
    planned = Visit.objects.filter(previous_visit=submitted_visit).count()
    assert planned == stats.get("reinspections_scheduled", 0) == 1
    reinspection = Visit.objects.get(previous_visit=submitted_visit)
    assert reinspection.planned_on == moment.date() + datetime.timedelta(days=7)
    # Planned on the chaser's clock: its audit event is dated by `now`, not by the wall clock.
    assert AuditEvent.objects.get(kind="visit.planned", object_id=str(reinspection.pk)).created_at == moment
    assert stats["reinspection_notices"] == 1
