"""Rectification orders: draft, approve (numbered), serve, close items, extend; refusals write nothing."""

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from penalties import services
from penalties.models import (
    Extension,
    ItemStatus,
    OrderItem,
    OrderStatus,
    RectificationOrder,
    ServiceRecord,
)
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent, DocumentSequence, Role, VerificationRecord
from tests import upload_samples as samples
from tests.factories import RectificationOrderFactory, UserFactory, at

ITEMS = [
    {"text": "未在显著位置公示收费项目和标准", "legal_basis": "《价格法》第十三条"},
    {"text": "聘用无教师资格证人员任教", "legal_basis": "《民办教育促进法》第二十九条"},
]


def _serve_data(**overrides):
    data = {
        "served_at": timezone.now(),
        "method": "in_person",
        "receiver_name": "王某",
        "receiver_relation": "法定代表人",
        "place": "机构前台",
    }
    data.update(overrides)
    return data


def _state(order):
    order.refresh_from_db()
    return (
        order.status,
        order.number,
        order.deadline,
        order.served_at,
        AuditEvent.objects.count(),
        ServiceRecord.objects.count(),
        list(order.items.values_list("status", flat=True)),
    )


@pytest.fixture
def second_head(departments):
    return UserFactory(username="edu_head2", department=departments["education"], role=Role.HEAD)


# ---- draft ----------------------------------------------------------------------------------------------


def test_draft_defaults_to_30_days_and_records_event(users, institution):
    order = services.order_draft(
        actor=users["education_inspector"], institution_id=institution.pk, items=ITEMS
    )
    assert order.status == OrderStatus.DRAFT
    assert order.deadline == timezone.localdate() + datetime.timedelta(days=30)
    assert list(order.items.values_list("position", "legal_basis")) == [
        (1, "《价格法》第十三条"),
        (2, "《民办教育促进法》第二十九条"),
    ]
    event = AuditEvent.objects.get(kind="order.drafted")
    assert event.institution_id == institution.pk and event.actor == users["education_inspector"]


@pytest.mark.parametrize("days, message", [(-1, "不能早于明天"), (0, "不能早于明天"), (91, "最长为90天")])
def test_draft_refuses_deadline_in_past_or_beyond_90_days(users, institution, days, message):
    deadline = timezone.localdate() + datetime.timedelta(days=days)
    with pytest.raises(ServiceError, match=message):
        services.order_draft(
            actor=users["education_inspector"], institution_id=institution.pk, items=ITEMS, deadline=deadline
        )
    assert not RectificationOrder.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("days", [1, 90])
def test_draft_accepts_1_and_90_days(users, institution, days):
    deadline = timezone.localdate() + datetime.timedelta(days=days)
    order = services.order_draft(
        actor=users["education_inspector"], institution_id=institution.pk, items=ITEMS, deadline=deadline
    )
    assert order.deadline == deadline


def test_draft_needs_items_with_legal_basis(users, institution):
    with pytest.raises(ServiceError, match="至少需要一个"):
        services.order_draft(actor=users["education_inspector"], institution_id=institution.pk, items=[])
    with pytest.raises(ServiceError, match="缺少法律依据"):
        services.order_draft(
            actor=users["education_inspector"],
            institution_id=institution.pk,
            items=[{"text": "问题", "legal_basis": ""}],
        )
    assert not RectificationOrder.objects.exists()


def test_draft_outside_region_is_forbidden(users, other_institution):
    with pytest.raises(ActionForbidden):
        services.order_draft(
            actor=users["education_inspector"], institution_id=other_institution.pk, items=ITEMS
        )
    assert not RectificationOrder.objects.exists()


# ---- approve ----------------------------------------------------------------------------------------------


def test_approve_assigns_gap_free_number_and_registers_document(users, institution, departments):
    departments["education"].short_name = "历下教"
    departments["education"].save()
    first = services.order_draft(
        actor=users["education_inspector"], institution_id=institution.pk, items=ITEMS
    )
    second = services.order_draft(
        actor=users["education_inspector"], institution_id=institution.pk, items=ITEMS
    )
    services.order_approve(actor=users["education_head"], order_id=first.pk)
    services.order_approve(actor=users["education_head"], order_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    year = timezone.localdate().year
    assert first.number == f"历下教责改字〔{year}〕第1号"
    assert second.number == f"历下教责改字〔{year}〕第2号"
    assert first.approved_by == users["education_head"] and first.approved_at
    assert VerificationRecord.objects.get(object_id=str(first.pk)).number == first.number


def test_head_cannot_approve_own_draft(users, institution):
    head = users["education_head"]
    order = services.order_draft(actor=head, institution_id=institution.pk, items=ITEMS)
    before = _state(order)
    with pytest.raises(ActionForbidden, match="不能批准自己拟制"):
        services.order_approve(actor=head, order_id=order.pk)
    assert _state(order) == before
    assert not DocumentSequence.objects.exists()


def test_own_draft_allowed_when_role_is_configured(users, institution, settings):
    settings.PENALTIES_SELF_APPROVAL_ROLES = ["head"]
    head = users["education_head"]
    order = services.order_draft(actor=head, institution_id=institution.pk, items=ITEMS)
    assert services.order_approve(actor=head, order_id=order.pk).status == OrderStatus.APPROVED


@pytest.mark.parametrize("who", ["education_inspector", "market_head", "police_inspector", "prefecture_head"])
def test_only_head_of_issuing_department_approves(users, draft_order, who):
    before = _state(draft_order)
    with pytest.raises(ActionForbidden):
        services.order_approve(actor=users[who], order_id=draft_order.pk)
    assert _state(draft_order) == before


def test_approve_refuses_draft_whose_deadline_has_passed(users, institution):
    # Drafted yesterday with a deadline of today (one day, allowed then): approved today, it is too late.
    today = timezone.localdate()
    draft_order = RectificationOrderFactory(institution=institution, drafted_by=users["education_inspector"],
                                            deadline=today, now=at(today - datetime.timedelta(days=1)))
    before = _state(draft_order)
    with pytest.raises(ServiceError, match="不能早于明天"):
        services.order_approve(actor=users["education_head"], order_id=draft_order.pk)
    assert _state(draft_order) == before
    assert not DocumentSequence.objects.exists()


# ---- serve -------------------------------------------------------------------------------------------------


def test_serve_records_proof_and_refuses_second_time(users, draft_order):
    services.order_approve(actor=users["education_head"], order_id=draft_order.pk)
    record = services.order_serve(
        actor=users["education_inspector"], order_id=draft_order.pk, data=_serve_data()
    )
    draft_order.refresh_from_db()
    assert draft_order.status == OrderStatus.SERVED and draft_order.served_at == record.served_at
    assert record.served_at.second == 0 and record.receiver_name == "王某"
    before = _state(draft_order)
    with pytest.raises(TransitionNotAllowed, match="不能重复送达"):
        services.order_serve(actor=users["education_inspector"], order_id=draft_order.pk, data=_serve_data())
    assert _state(draft_order) == before


def test_refusal_needs_witness_and_left_with_witness(users, institution, departments):
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.APPROVED,
    )
    before = _state(order)
    with pytest.raises(ServiceError, match="见证人"):
        services.order_serve(
            actor=users["education_inspector"],
            order_id=order.pk,
            data=_serve_data(refused=True, method="left_with_witness"),
        )
    with pytest.raises(ServiceError, match="留置送达"):
        services.order_serve(
            actor=users["education_inspector"],
            order_id=order.pk,
            data=_serve_data(refused=True, witness_name="社区李某"),
        )
    assert _state(order) == before
    with pytest.raises(ServiceError, match="拍照"):
        services.order_serve(
            actor=users["education_inspector"],
            order_id=order.pk,
            data=_serve_data(refused=True, witness_name="社区李某", method="left_with_witness", receiver_name=""),
        )
    assert _state(order) == before
    services.order_serve(
        actor=users["education_inspector"],
        order_id=order.pk,
        data=_serve_data(refused=True, witness_name="社区李某", method="left_with_witness", receiver_name="",
                         photo=SimpleUploadedFile("留置.jpg", samples.jpeg(), content_type="image/jpeg")),
    )
    record = ServiceRecord.objects.get()
    assert record.refused and record.photo


def test_serve_in_the_future_is_refused(users, institution, departments):
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.APPROVED,
    )
    with pytest.raises(ServiceError, match="不能晚于现在"):
        services.order_serve(
            actor=users["education_inspector"],
            order_id=order.pk,
            data=_serve_data(served_at=timezone.now() + datetime.timedelta(days=1)),
        )
    assert not ServiceRecord.objects.exists()


# ---- close items ----------------------------------------------------------------------------------------


def test_items_close_one_by_one_then_order_closes(users, served_order):
    first, second = served_order.items.all()
    services.order_item_close(
        actor=users["education_inspector"],
        item_id=first.pk,
        method="reinspection",
        note="复查时已公示收费标准",
    )
    served_order.refresh_from_db()
    assert served_order.status == OrderStatus.SERVED
    evidence = SimpleUploadedFile("资格证.pdf", samples.pdf(), content_type="application/pdf")
    services.order_item_close(
        actor=users["education_head"], item_id=second.pk, method="documents", evidence=evidence
    )
    served_order.refresh_from_db()
    second.refresh_from_db()
    assert served_order.status == OrderStatus.CLOSED and served_order.closed_at
    assert second.closed_by == users["education_head"] and second.evidence.name
    assert AuditEvent.objects.filter(kind="order_item.closed").count() == 2
    assert AuditEvent.objects.filter(kind="order.closed").count() == 1


@pytest.mark.parametrize(
    "who", ["market_head", "market_inspector", "police_inspector", "other_county_inspector"]
)
def test_closing_an_item_of_another_departments_order_is_forbidden(users, served_order, who):
    item = served_order.items.first()
    before = _state(served_order)
    with pytest.raises(ActionForbidden, match="只有下达整改通知书的部门"):
        services.order_item_close(actor=users[who], item_id=item.pk, method="reinspection", note="已整改")
    assert _state(served_order) == before


def test_closing_needs_evidence_or_note(users, served_order):
    item = served_order.items.first()
    before = _state(served_order)
    with pytest.raises(ServiceError, match="上传"):
        services.order_item_close(actor=users["education_inspector"], item_id=item.pk, method="documents")
    with pytest.raises(ServiceError, match="复查核实情况"):
        services.order_item_close(actor=users["education_inspector"], item_id=item.pk, method="reinspection")
    with pytest.raises(ServiceError, match="核实方式"):
        services.order_item_close(
            actor=users["education_inspector"], item_id=item.pk, method="magic", note="x"
        )
    assert _state(served_order) == before


def test_closing_a_closed_item_again_is_told(users, served_order):
    item = served_order.items.first()
    services.order_item_close(
        actor=users["education_inspector"], item_id=item.pk, method="reinspection", note="好"
    )
    count = AuditEvent.objects.count()
    with pytest.raises(TransitionNotAllowed, match="已由.*销号"):
        services.order_item_close(
            actor=users["education_head"], item_id=item.pk, method="reinspection", note="好"
        )
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db(transaction=True)
def test_concurrent_close_of_the_same_item_one_wins_the_other_is_told(users, served_order):
    item = served_order.items.first()
    barrier = threading.Barrier(2)
    results = []

    def close(user):
        try:
            barrier.wait()
            services.order_item_close(actor=user, item_id=item.pk, method="reinspection", note=f"{user} 复查")
            results.append("closed")
        except TransitionNotAllowed as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=close, args=(users[name],))
        for name in ("education_inspector", "education_head")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("closed") == 1
    assert any("已由" in r and "销号" in r for r in results if r != "closed")
    assert AuditEvent.objects.filter(kind="order_item.closed").count() == 1
    assert OrderItem.objects.get(pk=item.pk).status == ItemStatus.CLOSED


# ---- extend ------------------------------------------------------------------------------------------------


def test_extend_once_with_reason_keeps_the_old_deadline(users, served_order):
    old = served_order.deadline
    new = old + datetime.timedelta(days=20)
    services.order_extend(
        actor=users["education_head"], order_id=served_order.pk, new_deadline=new, reason="装修需要时间"
    )
    served_order.refresh_from_db()
    assert (served_order.deadline, served_order.original_deadline) == (new, old)
    before = _state(served_order)
    with pytest.raises(TransitionNotAllowed, match="只能延长一次"):
        services.order_extend(
            actor=users["education_head"],
            order_id=served_order.pk,
            new_deadline=new + datetime.timedelta(days=5),
            reason="再延",
        )
    assert _state(served_order) == before and Extension.objects.count() == 1


def test_extend_refusals(users, served_order):
    before = _state(served_order)
    later = served_order.deadline + datetime.timedelta(days=10)
    with pytest.raises(ActionForbidden):
        services.order_extend(
            actor=users["education_inspector"], order_id=served_order.pk, new_deadline=later, reason="x"
        )
    with pytest.raises(ServiceError, match="延期理由"):
        services.order_extend(
            actor=users["education_head"], order_id=served_order.pk, new_deadline=later, reason=" "
        )
    with pytest.raises(ServiceError, match="必须晚于原期限"):
        services.order_extend(
            actor=users["education_head"],
            order_id=served_order.pk,
            new_deadline=served_order.deadline,
            reason="x",
        )
    with pytest.raises(ServiceError, match="最长为90天"):
        services.order_extend(
            actor=users["education_head"],
            order_id=served_order.pk,
            new_deadline=timezone.localdate() + datetime.timedelta(days=120),
            reason="x",
        )
    assert _state(served_order) == before and not Extension.objects.exists()


def test_extending_an_overdue_order_puts_it_back_to_served(users, institution, departments):
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.OVERDUE,
        deadline=timezone.localdate() - datetime.timedelta(days=2),
    )
    services.order_extend(
        actor=users["education_head"],
        order_id=order.pk,
        new_deadline=timezone.localdate() + datetime.timedelta(days=10),
        reason="已在整改",
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SERVED
