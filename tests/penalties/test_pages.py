"""Pages: per-role permissions (403, nothing written), clear messages for bad input, pinned query counts."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from penalties.models import CaseStatus, OrderStatus, RectificationOrder
from regulator.models import AuditEvent, Notification
from regulator.notifications import notify
from tests.factories import (
    NotificationFactory,
    PenaltyCaseFactory,
    RectificationOrderFactory,
    SuspensionNoticeFactory,
    create_mixed,
)

from .conftest import decision_data


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


ORDER_STATES = [{}, {}, {"approved": True}, {"served": True}, {"served": True, "deadline": "soon"}, {"closed": True},
                {"overdue": True}, {"escalated": True}, {"cancelled": True}, {}]
NOTICE_STATES = [{}, {"approved": True}, {"served": True}, {"completed": True}, {"cancelled": True}]
CASE_STATES = [{}, {}, {}, {"preliminary_review": True}, {"filed": True}, {"notice_of_rights": True},
               {"decided": True}, {"executed": True}, {"closed": True}, {"dropped": True}]


def _orders(rows, institution, departments, users):
    soon = timezone.localdate() + datetime.timedelta(days=3)
    for index in range(rows):
        state = dict(ORDER_STATES[index % len(ORDER_STATES)])
        if state.get("deadline") == "soon":
            state["deadline"] = soon
        RectificationOrderFactory(institution=institution, department=departments["education"],
                                  drafted_by=users["education_inspector"], **state)


@pytest.mark.parametrize("rows", [10, 200])
def test_home_queues_have_pinned_query_count(
    users, institution, departments, education_head_client, rows, django_assert_num_queries
):
    _orders(rows, institution, departments, users)
    education_head_client.get("/penalties/")
    for queue in ("all", "awaiting_approval", "due_soon", "overdue", "escalated"):
        # session, user, one page of orders with institution and department, nav counts
        with django_assert_num_queries(3):
            response = education_head_client.get("/penalties/", {"queue": queue})
        assert response.status_code == 200
    response = education_head_client.get("/penalties/", {"queue": "awaiting_approval"})
    drafts = RectificationOrder.objects.filter(status=OrderStatus.DRAFT).count()
    assert len(response.context["rows"]) == min(drafts, 30) and drafts == 3 * rows // 10
    assert len(education_head_client.get("/penalties/").context["rows"]) == min(rows, 30)
    assert (
        education_head_client.get("/penalties/", {"tab": "cases", "queue": "awaiting_decision"}).status_code
        == 200
    )
    assert education_head_client.get("/penalties/", {"tab": "suspensions"}).status_code == 200


@pytest.mark.parametrize("rows", [10, 200])
def test_suspension_tab_has_pinned_query_count(
    users, institution, departments, education_head_client, rows, django_assert_num_queries
):
    create_mixed(SuspensionNoticeFactory, rows, NOTICE_STATES, institution=institution,
                 department=departments["education"], drafted_by=users["education_inspector"])
    education_head_client.get("/penalties/")
    with django_assert_num_queries(3):  # user, one page of notices with institution and department, nav
        response = education_head_client.get("/penalties/", {"tab": "suspensions"})
    assert response.status_code == 200 and len(response.context["rows"]) == min(rows, 30)


@pytest.mark.parametrize("rows", [10, 200])
def test_case_tab_queues_have_pinned_query_count(
    users, institution, departments, education_head_client, rows, django_assert_num_queries
):
    create_mixed(PenaltyCaseFactory, rows, CASE_STATES, institution=institution, department=departments["education"],
                 opened_by=users["education_inspector"])
    education_head_client.get("/penalties/")
    for queue in ("all", "awaiting_decision", "open"):
        with django_assert_num_queries(3):  # user, one page of cases with institution and department, nav
            response = education_head_client.get("/penalties/", {"tab": "cases", "queue": queue})
        assert response.status_code == 200
    assert len(response.context["rows"]) == min(rows * 8 // 10, 30)  # open: not closed, not dropped


def test_draft_page_with_bad_deadline_shows_message_and_writes_nothing(
    institution, education_inspector_client
):
    url = f"/penalties/orders/new/{institution.pk}/"
    assert education_inspector_client.get(url).status_code == 200
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = education_inspector_client.post(
        url, {"deadline": past, "item_text": ["未公示收费"], "item_basis": ["《价格法》第十三条"]}
    )
    assert response.status_code == 200
    assert "不能早于明天" in response.content.decode()
    assert not RectificationOrder.objects.exists()
    far = (timezone.localdate() + datetime.timedelta(days=91)).isoformat()
    response = education_inspector_client.post(
        url, {"deadline": far, "item_text": ["未公示收费"], "item_basis": ["《价格法》第十三条"]}
    )
    assert "最长为90天" in response.content.decode()
    ok = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = education_inspector_client.post(
        url, {"deadline": ok, "item_text": ["未公示收费", ""], "item_basis": ["《价格法》第十三条", ""]}
    )
    order = RectificationOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/penalties/orders/{order.pk}/"


def test_draft_page_outside_region_is_403(other_institution, education_inspector_client):
    assert education_inspector_client.get(f"/penalties/orders/new/{other_institution.pk}/").status_code == 403


@pytest.mark.parametrize(
    "client_name, status",
    [
        ("education_inspector_client", 200),
        ("education_head_client", 200),
        ("police_inspector_client", 200),
        ("market_head_client", 200),
        ("prefecture_head_client", 200),
        ("other_county_client", 403),
    ],
)
def test_order_detail_visibility_by_role(request, draft_order, client_name, status):
    client = request.getfixturevalue(client_name)
    assert client.get(f"/penalties/orders/{draft_order.pk}/").status_code == status


@pytest.mark.parametrize(
    "client_name",
    [
        "education_inspector_client",
        "police_inspector_client",
        "market_head_client",
        "other_county_client",
        "prefecture_head_client",
    ],
)
def test_only_issuing_head_approves_via_page(request, draft_order, client_name):
    client = request.getfixturevalue(client_name)
    events = list(AuditEvent.objects.values_list("pk", flat=True))  # the draft's own event
    response = client.post(f"/penalties/orders/{draft_order.pk}/approve/")
    assert response.status_code == 403
    draft_order.refresh_from_db()
    assert draft_order.status == OrderStatus.DRAFT and list(AuditEvent.objects.values_list("pk", flat=True)) == events


def test_head_approving_own_draft_gets_403_with_reason(
    users, institution, departments, education_head_client
):
    order = RectificationOrderFactory(
        institution=institution, department=departments["education"], drafted_by=users["education_head"]
    )
    response = education_head_client.post(f"/penalties/orders/{order.pk}/approve/")
    assert response.status_code == 403 and "不能批准自己拟制" in response.content.decode()


def test_approve_then_serve_twice_via_pages(draft_order, education_head_client, education_inspector_client):
    response = education_head_client.post(f"/penalties/orders/{draft_order.pk}/approve/", follow=True)
    assert "已批准" in response.content.decode()
    url = f"/penalties/orders/{draft_order.pk}/serve/"
    data = {
        "served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": "in_person",
        "receiver_name": "王某",
        "receiver_relation": "负责人",
    }
    assert education_inspector_client.post(url, data).status_code == 302
    response = education_inspector_client.post(url, data)
    assert response.status_code == 200 and "不能重复送达" in response.content.decode()


def test_police_cannot_close_an_education_item(served_order, police_inspector_client):
    item = served_order.items.first()
    response = police_inspector_client.post(
        f"/penalties/orders/{served_order.pk}/items/{item.pk}/close/",
        {"method": "reinspection", "note": "已整改"},
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_close_item_via_page(served_order, education_inspector_client):
    item = served_order.items.first()
    response = education_inspector_client.post(
        f"/penalties/orders/{served_order.pk}/items/{item.pk}/close/",
        {"method": "reinspection", "note": "复查已整改"},
        follow=True,
    )
    assert "已销号" in response.content.decode()
    response = education_inspector_client.post(
        f"/penalties/orders/{served_order.pk}/items/{item.pk}/close/",
        {"method": "reinspection", "note": "再次"},
        follow=True,
    )
    assert "无需重复操作" in response.content.decode()


def test_case_steps_via_pages_and_negative_fine_message(
    users, institution, departments, education_head_client, education_inspector_client
):
    case = PenaltyCaseFactory(
        institution=institution,
        department=departments["education"],
        opened_by=users["education_inspector"],
        status=CaseStatus.NOTICE_OF_RIGHTS,
        statement_recorded=True,
        penalties=[{"kind": "fine", "amount": Decimal("5000")}],
    )
    assert education_inspector_client.get(f"/penalties/cases/{case.pk}/").status_code == 200
    data = decision_data(("fine", "-100"), statement_adopted="yes")
    assert education_inspector_client.post(f"/penalties/cases/{case.pk}/decide/", data).status_code == 403
    response = education_head_client.post(f"/penalties/cases/{case.pk}/decide/", data, follow=True)
    assert "不能为负数" in response.content.decode()
    response = education_head_client.post(
        f"/penalties/cases/{case.pk}/decide/", {**data, "penalties-0-amount": "abc"}, follow=True
    )
    assert "必须是数字" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.NOTICE_OF_RIGHTS
    response = education_head_client.post(
        f"/penalties/cases/{case.pk}/decide/", {**data, "penalties-0-amount": "5000"}, follow=True
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED and "决定已作出" in response.content.decode()
    assert education_head_client.post(f"/penalties/cases/{case.pk}/nonsense/").status_code == 404


def test_wrong_state_step_is_a_message_not_a_500(users, institution, departments, education_head_client):
    case = PenaltyCaseFactory(
        institution=institution,
        department=departments["education"],
        opened_by=users["education_inspector"],
        status=CaseStatus.CLOSED,
    )
    response = education_head_client.post(f"/penalties/cases/{case.pk}/file/",
                                          {"violation_ended_on": "2026-01-05"}, follow=True)
    assert response.status_code == 200 and "不能立案" in response.content.decode()


def test_inbox_lists_own_notifications_and_marks_read(
    users, education_inspector_client, django_assert_num_queries
):
    mine = notify(recipient=users["education_inspector"], key="t:1", subject="逾期未整改：测试机构")
    notify(recipient=users["education_head"], key="t:2", subject="别人的通知")
    with django_assert_num_queries(3):  # user, one page of notifications, nav counts
        response = education_inspector_client.get("/penalties/inbox/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "逾期未整改：测试机构" in content and "别人的通知" not in content
    education_inspector_client.post("/penalties/inbox/read/", {"id": [mine.pk]})
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(key="t:2").read_at is None


@pytest.mark.parametrize("rows", [10, 200])
def test_inbox_query_count_does_not_grow(users, education_inspector_client, rows, django_assert_num_queries):
    create_mixed(NotificationFactory, rows, [{}, {"read": True}], recipient=users["education_inspector"])
    NotificationFactory.create_batch(3, recipient=users["education_head"])
    education_inspector_client.get("/penalties/inbox/")
    for params, shown in (({}, min(rows, 50)), ({"unread": "1"}, min(rows // 2, 50))):
        with django_assert_num_queries(3):  # user, one page of notifications, nav counts
            response = education_inspector_client.get("/penalties/inbox/", params)
        assert response.status_code == 200 and len(response.context["rows"]) == shown
