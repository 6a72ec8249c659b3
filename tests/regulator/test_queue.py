"""The heads' queue (待办): who sees which kinds, filters and refusals, assigning rows, query counts."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Visit, VisitInspector
from penalties import conf
from penalties.models import PenaltyCase
from regulator.errors import ServiceError
from regulator.models import AuditEvent, QueueAssignment, Role
from regulator.oversight import queue as work_queue
from tests.factories import (
    InstitutionFactory,
    ListEntryFactory,
    PenaltyCaseFactory,
    RectificationOrderFactory,
    ReportFactory,
    SuspensionNoticeFactory,
    UserFactory,
    VisitFactory,
    at,
)

URL = "/queue/"
_numbers = itertools.count(1)


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def world(regions, departments, users):
    """One row of every kind for 历下区教育局, and rows of other departments that must not leak."""
    education, market = departments["education"], departments["market"]
    inspector = users["education_inspector"]
    inst = InstitutionFactory(name="阳光艺术培训学校", region=regions["township"])
    other_inst = InstitutionFactory(name="市中区某培训中心", region=regions["other_township"])
    orders = {"institution": inst, "department": education, "drafted_by": inspector}
    escalated = RectificationOrderFactory(escalated=True, deadline=days(-30), **orders)
    rows = {
        "visit_unassigned": VisitFactory(institution=inst, lead_department=education, planned_on=days(2),
                                         unassigned=True),
        "visit_assigned": VisitFactory(institution=inst, lead_department=education, planned_on=days(2),
                                       inspectors=[inspector]),  # not in the queue
        "visit_outcome": VisitFactory(institution=inst, lead_department=education, inspectors=[inspector],
                                      submitted=True),
        "order_approval": RectificationOrderFactory(**orders),
        "order_due_soon": RectificationOrderFactory(served=True, deadline=days(2), **orders),
        "order_later": RectificationOrderFactory(served=True, deadline=days(20), **orders),  # not yet
        "order_overdue": RectificationOrderFactory(overdue=True, deadline=days(-5), **orders),
        "order_escalated": escalated,
        "order_closed": RectificationOrderFactory(closed=True, **orders),  # done
        "refund_outstanding": SuspensionNoticeFactory(institution=inst, department=education, drafted_by=inspector,
                                                      served=True, refund_deadline=days(10)),
        # The lead the escalation opened (penalties.services.order_escalate) awaits its review.
        "case_step": PenaltyCase.objects.get(source_order=escalated),
        # Told of its rights; the decision is due tomorrow (filed 90 days before).
        "case_decision": PenaltyCaseFactory(institution=inst, department=education, opened_by=inspector,
                                            notice_of_rights=True,
                                            now=at(days(1) - datetime.timedelta(days=conf.decision_limit_days()))),
        "report_assignment": ReportFactory(region=regions["township"]),
        "report_reply": ReportFactory(institution=inst, department=education, verifying=True, deadline=days(-1)),
        "entry_review": ListEntryFactory(institution=inst, proposed_by=inspector),
        "entry_approval": ListEntryFactory(institution=inst, proposed_by=users["market_inspector"], reviewed=True),
        # Other departments' work.
        "market_order": RectificationOrderFactory(institution=inst, department=market,
                                                  drafted_by=users["market_inspector"]),
        "other_county_order": RectificationOrderFactory(institution=other_inst,
                                                        department=departments["other_education"],
                                                        drafted_by=users["other_county_inspector"]),
        "other_county_report": ReportFactory(region=regions["other_township"]),
        "other_county_entry": ListEntryFactory(institution=other_inst, proposed_by=users["other_county_inspector"],
                                               reviewed=True),
    }
    return rows


EDUCATION_KINDS = {
    "visit_unassigned", "visit_outcome", "order_approval", "order_due_soon", "order_overdue", "order_escalated",
    "refund_outstanding", "case_step", "case_decision", "report_reply", "entry_review",
}
JOINT_KINDS = {"report_assignment", "entry_approval"}


def keys(user, **filters):
    page = work_queue.queue_page(user, work_queue.Filters(**filters), size=100)
    return {(row["kind"], row["object_id"]) for row in page.rows}


def expected(world, kinds):
    return {(kind, world[kind].pk) for kind in kinds}


# ---- who sees what ---------------------------------------------------------------------------------------


def test_education_head_of_the_seat_sees_every_kind_of_the_department_and_the_joint_office(world, users):
    assert keys(users["education_head"]) == expected(world, EDUCATION_KINDS | JOINT_KINDS)


def test_joint_office_sees_report_assignment_and_list_approval_of_its_region_only(world, users):
    seen = keys(users["joint_office"])
    assert expected(world, JOINT_KINDS) <= seen
    assert ("report_assignment", world["other_county_report"].pk) not in seen
    assert ("entry_approval", world["other_county_entry"].pk) not in seen


def test_market_head_sees_only_market_work(world, users):
    assert keys(users["market_head"]) == {("order_approval", world["market_order"].pk)}


def test_other_county_head_sees_only_its_county(world, users, departments):
    head = UserFactory(department=departments["other_education"], role=Role.HEAD)
    # The other county's education bureau is not the joint-office seat: its own draft order only.
    assert keys(head) == {("order_approval", world["other_county_order"].pk)}


def test_prefecture_head_does_not_see_county_departments_work(world, users):
    assert keys(users["prefecture_head"]) == set()


def test_inspector_sees_only_rows_assigned_to_them(world, users):
    inspector = users["education_inspector"]
    assert keys(inspector) == set()
    work_queue.queue_assign(actor=users["education_head"], rows=[("order_overdue", world["order_overdue"].pk)],
                            assignee=inspector)
    assert keys(inspector) == {("order_overdue", world["order_overdue"].pk)}


def test_administrator_without_a_department_has_no_queue(world, admin_client_):
    response = admin_client_.get(URL)
    assert response.status_code == 200
    assert "没有待办队列" in response.content.decode()


def test_inspector_of_another_department_has_an_empty_queue(world, police_inspector_client):
    response = police_inspector_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的待办" in html and "没有待办。" in html
    assert 'name="rows"' not in html  # no assigning for inspectors


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---- the page ----------------------------------------------------------------------------------------------


def test_page_shows_what_is_awaited_since_when_deadline_lateness_and_link(world, education_head_client):
    response = education_head_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "整改通知书待批准" in html and "待负责人批准" in html
    assert "逾期 5 天" in html and "2 天后到期" in html and "无期限" in html
    assert reverse("penalties:order_detail", args=[world["order_approval"].pk]) in html
    assert reverse("publicity:report_detail", args=[world["report_assignment"].pk]) in html
    assert 'class="queue-row late"' in html and 'class="queue-row soon"' in html


def test_default_order_is_most_urgent_first_and_undated_last(world, users):
    page = work_queue.queue_page(users["education_head"], work_queue.Filters(), size=100)
    dues = [row["due"] for row in page.rows]
    dated = [due for due in dues if due is not None]
    assert dated == sorted(dated)
    assert dues.index(None) == len(dated)  # every undated row after every dated one
    assert page.rows[0]["kind"] == "order_escalated"  # 30 days late


def test_sort_by_waiting_time(world, users):
    page = work_queue.queue_page(users["education_head"], work_queue.Filters(sort="since"), size=100)
    sinces = [row["since"] for row in page.rows]
    assert sinces == sorted(sinces)


def test_pages_do_not_overlap_and_end(world, users):
    head = users["education_head"]
    first = work_queue.queue_page(head, work_queue.Filters(page=1), size=5)
    second = work_queue.queue_page(head, work_queue.Filters(page=2), size=5)
    third = work_queue.queue_page(head, work_queue.Filters(page=3), size=5)
    assert first.has_next and second.has_next and not third.has_next
    seen = [row["key"] for row in first.rows + second.rows + third.rows]
    assert len(seen) == len(set(seen)) == len(EDUCATION_KINDS | JOINT_KINDS)


# ---- filters ------------------------------------------------------------------------------------------------


def test_filter_by_kind(world, users):
    assert keys(users["education_head"], kind="order_overdue") == expected(world, {"order_overdue"})


def test_filter_by_lateness(world, users):
    head = users["education_head"]
    assert keys(head, lateness="overdue") == expected(world, {"order_overdue", "order_escalated", "report_reply"})
    assert keys(head, lateness="due_soon") == expected(world, {"order_due_soon", "case_decision", "visit_unassigned"})
    on_time = keys(head, lateness="on_time")
    assert ("refund_outstanding", world["refund_outstanding"].pk) in on_time
    assert ("order_approval", world["order_approval"].pk) in on_time  # no deadline
    assert not on_time & keys(head, lateness="overdue")


def test_filter_by_region(world, users, regions):
    head = users["joint_office"]
    assert keys(head, region="370102001") == keys(head)  # everything lies in 解放路街道
    elsewhere = InstitutionFactory(region=regions["county"])
    order = RectificationOrderFactory(institution=elsewhere, department=world["order_approval"].department,
                                      drafted_by=users["education_inspector"])
    assert ("order_approval", order.pk) not in keys(head, region="370102001")
    assert ("order_approval", order.pk) in keys(head, region="370102")


def test_filter_by_assignee_and_unassigned(world, users):
    head, inspector = users["education_head"], users["education_inspector"]
    work_queue.queue_assign(actor=head, rows=[("case_step", world["case_step"].pk)], assignee=inspector)
    assert keys(head, assignee=str(inspector.pk)) == {("case_step", world["case_step"].pk)}
    assert ("case_step", world["case_step"].pk) not in keys(head, assignee="none")
    assert len(keys(head, assignee="none")) == len(EDUCATION_KINDS | JOINT_KINDS) - 1


def test_filters_through_the_page(world, education_head_client, users):
    response = education_head_client.get(URL, {"kind": "order_overdue", "lateness": "overdue", "sort": "since",
                                               "region": "370102", "assignee": "none"})
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("penalties:order_detail", args=[world["order_overdue"].pk]) in html
    assert reverse("penalties:order_detail", args=[world["order_approval"].pk]) not in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "coffee"}, "未知的待办类别"),
        ({"kind": "report_assignment"}, "未知的待办类别"),  # a joint-office kind, asked by a market head
        ({"region": "370103"}, "不在您的管辖范围内"),  # another county
        ({"region": "44"}, "不在您的管辖范围内"),
        ({"region": "370102999"}, "未知的区划代码"),  # inside, but no such township
        ({"region": "<script>"}, "不在您的管辖范围内"),
        ({"assignee": "99999"}, "承办人不是本部门的检查人员"),
        ({"lateness": "soonish"}, "未知的期限状态"),
        ({"sort": "name"}, "未知的排序方式"),
        ({"page": "0"}, "页码无效"),
        ({"page": "abc"}, "页码无效"),
    ],
)
def test_bad_filter_values_get_a_message_and_no_rows(world, market_head_client, params, message):
    response = market_head_client.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "筛选条件有误，未列出待办" in html
    assert reverse("penalties:order_detail", args=[world["market_order"].pk]) not in html


def test_assignee_of_another_department_is_an_unknown_filter_value(world, market_head_client, users):
    response = market_head_client.get(URL, {"assignee": users["education_inspector"].pk})
    assert response.status_code == 400
    assert "承办人不是本部门的检查人员" in response.content.decode()


# ---- assigning -----------------------------------------------------------------------------------------------


def _post_assign(client, rows, assignee):
    return client.post(URL, {"rows": rows, "assignee": assignee})


def test_head_assigns_several_rows_at_once(world, users, education_head_client):
    inspector = users["education_inspector"]
    rows = [f"order_overdue:{world['order_overdue'].pk}", f"case_decision:{world['case_decision'].pk}",
            f"visit_unassigned:{world['visit_unassigned'].pk}", f"report_reply:{world['report_reply'].pk}"]
    response = _post_assign(education_head_client, rows, inspector.pk)
    assert response.status_code == 302
    assigned = set(QueueAssignment.objects.values_list("subject", "object_id", "assignee_id"))
    assert assigned == {
        ("order", world["order_overdue"].pk, inspector.pk),
        ("case", world["case_decision"].pk, inspector.pk),
        ("visit", world["visit_unassigned"].pk, inspector.pk),
        ("report", world["report_reply"].pk, inspector.pk),
    }
    # The visit got its inspector through inspections.services and so leaves the "to assign" kind.
    assert list(world["visit_unassigned"].assignments.values_list("inspector_id", flat=True)) == [inspector.pk]
    assert ("visit_unassigned", world["visit_unassigned"].pk) not in keys(users["education_head"])
    assert AuditEvent.objects.filter(kind="queue_item.assigned").count() == 4
    assert AuditEvent.objects.filter(kind="visit.inspectors_assigned").count() == 1
    page = education_head_client.get(response["Location"]).content.decode()
    assert "已将 4 条待办分派给" in page
    # The inspector's own queue ("我的待办") now holds them, and so does the count in the navigation.
    counts = work_queue.nav_counts(inspector)
    assert counts["queue_total"] == 3


def test_reassigning_moves_the_row_to_the_new_inspector(world, users, departments):
    head = users["education_head"]
    second = UserFactory(department=departments["education"], role=Role.INSPECTOR)
    row = [("order_overdue", world["order_overdue"].pk)]
    work_queue.queue_assign(actor=head, rows=row, assignee=users["education_inspector"])
    work_queue.queue_assign(actor=head, rows=row, assignee=second)
    assert list(QueueAssignment.objects.values_list("assignee_id", flat=True)) == [second.pk]
    event = AuditEvent.objects.filter(kind="queue_item.assigned").order_by("-id").first()
    assert event.before == {"assignee": users["education_inspector"].pk}


def _nothing_written():
    return (
        not QueueAssignment.objects.exists()
        and not AuditEvent.objects.filter(kind__in=["queue_item.assigned", "visit.inspectors_assigned"]).exists()
        and not VisitInspector.objects.filter(visit__assignments__isnull=True).exists()
    )


@pytest.mark.parametrize(
    ("row_names", "assignee_name", "message"),
    [
        (["order_overdue", "market_order"], "education_inspector", "不在您的待办中"),  # another department's row
        (["order_overdue", "other_county_order"], "education_inspector", "不在您的待办中"),
        (["order_overdue", "order_closed"], "education_inspector", "不在您的待办中"),  # done already
        (["order_overdue"], "market_inspector", "承办人须为本部门在岗的检查人员"),  # inspector of another department
        (["order_overdue"], "education_head", "承办人须为本部门在岗的检查人员"),  # not an inspector
        (["order_overdue"], "other_county_inspector", "承办人须为本部门在岗的检查人员"),
        ([], "education_inspector", "请至少选择一条待办"),
    ],
)
def test_refused_assignments_write_nothing(world, users, education_head_client, row_names, assignee_name, message):
    kinds = {"market_order": "order_approval", "other_county_order": "order_approval", "order_closed": "order_due_soon"}
    rows = [f"{kinds.get(name, name)}:{world[name].pk}" for name in row_names]
    response = _post_assign(education_head_client, rows, users[assignee_name].pk)
    assert response.status_code == 302
    assert message in education_head_client.get(response["Location"]).content.decode()
    assert _nothing_written()
    assert not world["visit_unassigned"].assignments.exists()


def test_inactive_inspector_is_refused(world, users, education_head_client):
    inspector = users["education_inspector"]
    inspector.is_active = False
    inspector.save(update_fields=["is_active"])
    rows = [f"visit_unassigned:{world['visit_unassigned'].pk}"]
    response = _post_assign(education_head_client, rows, inspector.pk)
    assert "承办人须为本部门在岗的检查人员" in education_head_client.get(response["Location"]).content.decode()
    assert _nothing_written() and not world["visit_unassigned"].assignments.exists()


@pytest.mark.parametrize("value", ["nonsense", "order_overdue:abc", "order_overdue", ":1"])
def test_malformed_row_keys_are_refused(world, users, education_head_client, value):
    response = _post_assign(education_head_client, [value], users["education_inspector"].pk)
    assert "待办条目无效" in education_head_client.get(response["Location"]).content.decode()
    assert _nothing_written()


@pytest.mark.parametrize("client_name", ["education_inspector_client", "police_inspector_client", "admin_client_"])
def test_only_heads_and_joint_office_may_assign(world, users, request, client_name):
    client = request.getfixturevalue(client_name)
    response = _post_assign(client, [f"order_overdue:{world['order_overdue'].pk}"], users["education_inspector"].pk)
    assert response.status_code == 403
    assert _nothing_written()


def test_assignment_is_all_or_nothing_when_the_visit_service_refuses(world, users):
    """A row valid when checked but refused by inspections (visit started meanwhile) rolls everything back."""
    visit = world["visit_unassigned"]
    Visit.objects.filter(pk=visit.pk).update(status="in_progress")
    with pytest.raises(ServiceError):
        work_queue.queue_assign(
            actor=users["education_head"],
            rows=[("order_overdue", world["order_overdue"].pk), ("visit_unassigned", visit.pk)],
            assignee=users["education_inspector"],
        )
    assert _nothing_written()


# ---- query counts ---------------------------------------------------------------------------------------------


def _many(world, users, n):
    inst = world["order_approval"].institution
    for i in range(n):
        RectificationOrderFactory(institution=inst, department=world["order_approval"].department,
                                  drafted_by=users["education_inspector"], overdue=True, deadline=days(-1 - i % 9))


def _awaiting(world, users, departments, regions, n):
    """`n` more rows awaiting 历下区教育局, of every kind in turn."""
    education, inspector = departments["education"], users["education_inspector"]
    inst = world["order_approval"].institution
    orders = {"institution": inst, "department": education, "drafted_by": inspector}
    kinds = [
        lambda i: RectificationOrderFactory(overdue=True, deadline=days(-1 - i % 9), **orders),
        lambda i: RectificationOrderFactory(served=True, deadline=days(1 + i % 6), **orders),
        lambda i: RectificationOrderFactory(**orders),
        lambda i: VisitFactory(institution=inst, lead_department=education, inspectors=[inspector], submitted=True),
        lambda i: VisitFactory(institution=inst, lead_department=education, planned_on=days(3), unassigned=True),
        lambda i: PenaltyCaseFactory(institution=inst, department=education, opened_by=inspector),
        lambda i: PenaltyCaseFactory(institution=inst, department=education, opened_by=inspector, filed=True),
        lambda i: ReportFactory(region=regions["township"]),
        lambda i: ReportFactory(institution=inst, department=education, assigned=True),
        lambda i: ListEntryFactory(institution=inst, proposed_by=inspector),
    ]
    for i in range(n):
        kinds[i % len(kinds)](i)


@pytest.mark.parametrize("rows", [10, 200])
def test_queue_page_query_count_does_not_grow_with_rows(world, users, departments, regions, education_head_client,
                                                        rows, django_assert_num_queries):
    _awaiting(world, users, departments, regions, rows)
    work_queue.queue_assign(actor=users["education_head"], rows=[("case_step", world["case_step"].pk)],
                            assignee=users["education_inspector"])
    # user with department, regions (filter), inspectors (filter), the queue (one UNION), nav counts (the session
    # comes from the cache: cached_db)
    with django_assert_num_queries(5):
        response = education_head_client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count('class="queue-row') == min(work_queue.PAGE_SIZE, 13 + rows)
    with django_assert_num_queries(5):  # a later page, filtered: the same
        response = education_head_client.get(URL, {"page": 2, "lateness": "due_soon", "sort": "since"})
    assert response.status_code == 200


def test_nav_counts_are_one_query(world, users, django_assert_num_queries):
    head = users["education_head"]
    head.department  # noqa: B018 - loaded once per request by the page anyway
    with django_assert_num_queries(1):
        counts = work_queue.nav_counts(head)
    assert counts["queue_total"] == len(EDUCATION_KINDS | JOINT_KINDS)
    assert {row["kind"]: row["count"] for row in counts["queue"]} == {kind: 1 for kind in EDUCATION_KINDS | JOINT_KINDS}
    assert counts["unread"] == 0


def test_nav_counts_cap_each_kind(world, users, monkeypatch):
    monkeypatch.setattr(work_queue, "NAV_CAP", 3)
    _many(world, users, 5)
    counts = work_queue.nav_counts(users["education_head"])
    overdue = next(row for row in counts["queue"] if row["kind"] == "order_overdue")
    assert overdue["count"] == 4 and overdue["display"] == "3+"
    assert str(counts["queue_total_display"]).endswith("+")


def test_navigation_shows_the_queue_count_on_every_page(world, education_head_client, market_head_client):
    html = education_head_client.get(reverse("institutions:list")).content.decode()
    total = len(EDUCATION_KINDS | JOINT_KINDS)
    assert 'id="nav-queue"' in html and f'<span class="badge danger">{total}</span>' in html
    assert "整改逾期 <span class=\"badge\">1</span>" in html
    market = market_head_client.get(reverse("institutions:list")).content.decode()
    assert '<span class="badge danger">1</span>' in market


def test_inspector_nav_says_my_queue(world, education_inspector_client):
    html = education_inspector_client.get(reverse("institutions:list")).content.decode()
    assert "我的待办" in html


def test_undated_rows_sort_last_on_sqlite_too(world, users):
    """SQLite (the demo) sorts NULLs first in ascending order: the urgency sort says NULLS LAST explicitly."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    sqlite = DatabaseWrapper({"NAME": ":memory:", "ENGINE": "django.db.backends.sqlite3", "OPTIONS": {},
                              "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
                              "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False}, alias="sqlite-check")
    queryset = work_queue.queue_queryset(users["education_head"], work_queue.Filters(kind="order_overdue"))
    sql, _params = queryset.query.get_compiler(connection=sqlite).as_sql()
    assert "NULLS LAST" in sql.rpartition("ORDER BY")[2]
