"""Decisions published within 7 working days (personal data masked), withdrawn within 3 working days when changed
or annulled (行政处罚法 Art 48); rectification results published when their order closes."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from penalties.models import CaseStatus, OrderStatus
from publicity import publications
from publicity.models import DecisionPublication, PublicationStatus
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from regulator.oversight import queue as work_queue
from tests.factories import PenaltyCaseFactory, RectificationOrderFactory

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()


def _moment(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


@pytest.fixture
def decided_case(institution):
    institution.legal_representative = "王小明"
    institution.save(update_fields=["legal_representative"])
    return PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED, penalties=(
        {"kind": "fine", "amount": Decimal("20000"), "legal_basis": "《校外培训行政处罚暂行办法》第十八条"},
    ))


def test_masking():
    text = "负责人王小明（身份证370102199001011234，电话13812345678）在家中办班。"
    masked = publications.mask_text(text, person_names=["王小明"])
    assert masked == "负责人王**（身份证370102********1234，电话138****5678）在家中办班。"
    assert publications.mask_name("欧阳娜娜") == "欧***"


def test_a_decision_is_published_within_seven_working_days_masked(decided_case, users):
    head = users["education_head"]
    publication = publications.publication_open_for_case(
        case_id=decided_case.pk, actor=head, person_names=["李四"], party_is_natural_person=False)
    decided_on = timezone.localdate(decided_case.decision.decided_at)
    from regulator.calendar import add_working_days

    assert publication.status == PublicationStatus.PENDING
    assert publication.publish_due == add_working_days(decided_on, 7)
    assert decided_case.decision.number in publication.title
    assert "罚款 20000.00元" in publication.text
    # a second request gives the same row
    assert publications.publication_open_for_case(case_id=decided_case.pk, actor=head).pk == publication.pk
    # the deciding department's queue shows it due
    rows = work_queue.queue_page(head, work_queue.Filters(kind="publication_due"), size=50).rows
    assert [(row["kind"], row["object_id"], row["due"]) for row in rows] == [
        ("publication_due", publication.pk, publication.publish_due)]
    publications.publication_publish(publication_id=publication.pk, actor=head)
    assert not work_queue.queue_page(head, work_queue.Filters(kind="publication_due"), size=50).rows
    page = publications_page()
    assert decided_case.decision.number in page


def publications_page():
    from django.test import Client

    return Client().get(reverse("publicity:public_decisions")).content.decode()


def test_a_natural_person_party_is_masked(institution, users):
    institution.name = "张三丰"
    institution.save(update_fields=["name"])
    case = PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED)
    publication = publications.publication_open_for_case(case_id=case.pk, actor=users["education_head"],
                                                         party_is_natural_person=True)
    assert publication.party_name == "张**"
    assert "张三丰" not in publication.text and "张三丰" not in publication.title


def test_open_refuses_an_undecided_case_and_the_wrong_people(institution, users):
    case = PenaltyCaseFactory(institution=institution, status=CaseStatus.NOTICE_OF_RIGHTS)
    with pytest.raises(ServiceError, match="尚未作出行政处罚决定"):
        publications.publication_open_for_case(case_id=case.pk, actor=users["education_head"])
    decided = PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED)
    for key in ("education_inspector", "market_head", "other_county_inspector"):
        with pytest.raises(ActionForbidden):
            publications.publication_open_for_case(case_id=decided.pk, actor=users[key])
    assert not DecisionPublication.objects.filter(source_type="penalty_decision").exists()


def test_annulled_on_review_is_withdrawn_within_three_working_days(decided_case, users,
                                                                   django_capture_on_commit_callbacks):
    head = users["education_head"]
    publication = publications.publication_open_for_case(case_id=decided_case.pk, actor=head)
    publications.publication_publish(publication_id=publication.pk, actor=head)
    with pytest.raises(ServiceError, match="撤回原因"):
        publications.publication_withdrawal_required(source_id=decided_case.pk, reason="whim",
                                                     ordered_on=timezone.localdate())
    ordered_on = datetime.date(2026, 9, 30)  # before National Day: 3 working days run to 10-09
    due = publications.publication_withdrawal_required(
        source_id=decided_case.pk, reason="annulled_on_review", ordered_on=ordered_on,
        now=_moment(datetime.date(2026, 9, 30)))
    assert due.status == PublicationStatus.WITHDRAWAL_DUE and due.withdraw_due > datetime.date(2026, 10, 8)
    rows = work_queue.queue_page(head, work_queue.Filters(kind="publication_due"), size=50).rows
    assert [(row["object_id"], row["due"]) for row in rows] == [(publication.pk, due.withdraw_due)]
    assert decided_case.decision.number in publications_page()
    with django_capture_on_commit_callbacks(execute=True):  # the public pages' cache is dropped on commit
        withdrawn = publications.publication_withdraw(publication_id=publication.pk, actor=head)
    assert withdrawn.status == PublicationStatus.WITHDRAWN
    assert decided_case.decision.number not in publications_page()
    with pytest.raises(TransitionNotAllowed):
        publications.publication_withdraw(publication_id=publication.pk, actor=head)


def test_withdrawing_a_published_decision_by_hand_needs_its_reason(decided_case, users, education_head_client):
    head = users["education_head"]
    publication = publications.publication_open_for_case(case_id=decided_case.pk, actor=head)
    with pytest.raises(TransitionNotAllowed):
        publications.publication_withdraw(publication_id=publication.pk, actor=head, reason="changed",
                                          ordered_on=timezone.localdate())
    publications.publication_publish(publication_id=publication.pk, actor=head)
    url = reverse("publicity:publication_action", args=[publication.pk, "withdraw"])
    response = education_head_client.post(url, {}, follow=True)
    assert "请选择撤回原因" in response.content.decode()
    response = education_head_client.post(url, {"reason": "annulled_by_court",
                                                "ordered_on": (timezone.localdate() + datetime.timedelta(days=3)
                                                               ).isoformat()}, follow=True)
    assert "不能晚于今天" in response.content.decode()
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    education_head_client.post(url, {"reason": "annulled_by_court", "ordered_on": timezone.localdate().isoformat()})
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.WITHDRAWN and publication.withdrawal_reason == "annulled_by_court"
    assert AuditEvent.objects.filter(kind="publication.withdrawn", object_id=str(publication.pk)).exists()


def test_the_pages(decided_case, users, education_head_client):
    page = education_head_client.get(reverse("penalties:case_detail", args=[decided_case.pk])).content.decode()
    assert 'id="publication-open-form"' in page
    response = education_head_client.post(reverse("publicity:publication_open"), {"case": decided_case.pk},
                                          follow=True)
    publication = DecisionPublication.objects.get(source_id=str(decided_case.pk))
    assert response.status_code == 200 and "须于" in response.content.decode()
    education_head_client.post(reverse("publicity:publication_action", args=[publication.pk, "publish"]))
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    listing = education_head_client.get(reverse("publicity:publications")).content.decode()
    assert publication.title in listing


def test_a_closed_order_publishes_its_result(institution, users):
    order = RectificationOrderFactory(institution=institution, status=OrderStatus.CLOSED)
    publication = DecisionPublication.objects.get(source_type="order_result", source_id=str(order.pk))
    assert publication.status == PublicationStatus.PUBLISHED and order.number in publication.text
    assert "已全部整改到位" in publication.text
    assert order.number in publications_page()
    served = RectificationOrderFactory(institution=institution, status=OrderStatus.SERVED)
    assert not DecisionPublication.objects.filter(source_type="order_result", source_id=str(served.pk)).exists()
