"""Money in forms (DecimalField with Chinese messages) and the decision's penalty formset: every refusal is a
clear message on the page and writes nothing; the services then receive Decimals."""

from decimal import Decimal

import pytest

from penalties import forms
from penalties.models import CaseStatus, Decision, PenaltyCase, Refund, SuspensionStatus
from regulator.models import AuditEvent
from tests.factories import PenaltyCaseFactory, SuspensionNoticeFactory

from .conftest import decision_data


@pytest.fixture
def deciding(users, institution, departments):
    return PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=users["education_inspector"], status=CaseStatus.NOTICE_OF_RIGHTS,
                              statement_recorded=True,
                              penalties=[{"kind": "warning"}, {"kind": "fine", "amount": Decimal("30000.50")}])


@pytest.fixture
def served_notice(users, institution, departments):
    return SuspensionNoticeFactory(institution=institution, department=departments["education"],
                                   drafted_by=users["education_inspector"], status=SuspensionStatus.SERVED)


def _messages(response):
    return [str(message) for message in response.context["messages"]]


# The cases of the services' former hand-written parser, now the form's.
@pytest.mark.parametrize(
    "amount, message",
    [
        ("-1", "罚款金额不能为负数。"),
        ("abc", "罚款金额必须是数字。"),
        ("", "请填写罚款金额。"),
        ("NaN", "罚款金额必须是数字。"),
        ("Infinity", "罚款金额必须是数字。"),
        ("1.234", "罚款金额最多保留两位小数。"),
        ("10000000000", "罚款金额超出范围。"),
        ("0", "罚款金额必须大于零。"),
    ],
)
def test_bad_fine_on_the_decision_page_is_a_message_and_writes_nothing(deciding, education_head_client, amount,
                                                                       message):
    events = AuditEvent.objects.count()
    response = education_head_client.post(f"/penalties/cases/{deciding.pk}/decide/",
                                          decision_data(("fine", amount)), follow=True)
    assert response.status_code == 200 and message in _messages(response)
    assert AuditEvent.objects.count() == events and not Decision.objects.exists()
    assert PenaltyCase.objects.get(pk=deciding.pk).status == CaseStatus.NOTICE_OF_RIGHTS


def test_the_message_names_the_penalty_of_its_row():
    formset = forms.PenaltyFormSet(decision_data(("warning", "", None), ("confiscation", "x", None)),
                                   prefix=forms.PENALTY_PREFIX)
    assert not formset.is_valid()
    assert formset.error_list() == ["没收违法所得金额必须是数字。"]
    assert formset.forms[1].errors["amount"] == ["没收违法所得金额必须是数字。"]


@pytest.mark.django_db
def test_a_valid_formset_gives_the_service_decimals_in_order():
    formset = forms.PenaltyFormSet(
        decision_data(("warning", ""), ("fine", "30000.50"), ("", "", None)), prefix=forms.PENALTY_PREFIX)
    assert formset.is_valid(), formset.errors
    rows = formset.penalties()
    assert [(r["kind"], r["amount"]) for r in rows] == [("warning", None), ("fine", Decimal("30000.50")), ("", None)]
    assert rows[0]["provision_id"] and rows[1]["provision_id"] and rows[2]["provision_id"] is None


def test_two_penalties_are_decided_through_the_page(deciding, education_head_client):
    response = education_head_client.post(
        f"/penalties/cases/{deciding.pk}/decide/",
        decision_data(("warning", ""), ("fine", "20000")), follow=True)
    assert "决定已作出并编号，PDF正在生成。" in _messages(response)
    penalties = list(Decision.objects.get(case=deciding).penalties.order_by("position"))
    assert [(p.kind, p.amount) for p in penalties] == [("warning", None), ("fine", Decimal("20000.00"))]


def test_rows_without_a_kind_and_no_penalty_at_all(deciding, education_head_client):
    response = education_head_client.post(f"/penalties/cases/{deciding.pk}/decide/",
                                          decision_data(("", "", None)), follow=True)
    assert "请至少选择一项处罚。" in _messages(response) and not Decision.objects.exists()


def test_a_tampered_formset_is_a_chinese_message_not_a_500(deciding, education_head_client):
    url = f"/penalties/cases/{deciding.pk}/decide/"
    response = education_head_client.post(url, {"facts": "事实", "kind": "penalty", "penalties-0-kind": "fine"},
                                          follow=True)
    assert response.status_code == 200
    assert "表单不完整或已过期，请刷新页面后重新填写。" in _messages(response)
    too_many = decision_data(*[("warning", "")] * 5)
    response = education_head_client.post(url, too_many, follow=True)
    assert "处罚最多填写4项。" in _messages(response)
    assert not Decision.objects.exists()


def test_case_page_renders_the_formset(deciding, education_head_client):
    body = education_head_client.get(f"/penalties/cases/{deciding.pk}/").content.decode()
    assert 'name="penalties-TOTAL_FORMS"' in body and 'name="penalties-3-amount"' in body
    assert 'name="penalties-4-amount"' not in body and 'step="0.01"' in body


@pytest.mark.parametrize(
    "due, refunded, message",
    [
        ("abc", "0", "应退金额必须是数字。"),
        ("100", "x", "已退金额必须是数字。"),
        ("", "0", "请填写应退金额。"),
        ("-5", "0", "应退金额不能为负数。"),
        ("100", "1.001", "已退金额最多保留两位小数。"),
        ("100", "200", "已退金额不能大于应退金额。"),
    ],
)
def test_bad_refund_amounts_on_the_page(served_notice, education_inspector_client, due, refunded, message):
    events = AuditEvent.objects.count()
    response = education_inspector_client.post(
        f"/penalties/suspensions/{served_notice.pk}/refunds/",
        {"student_group": "一班", "amount_due": due, "amount_refunded": refunded}, follow=True)
    assert response.status_code == 200 and message in "；".join(_messages(response))
    assert AuditEvent.objects.count() == events and not Refund.objects.exists()


def test_a_refund_through_the_page(served_notice, education_inspector_client):
    education_inspector_client.post(f"/penalties/suspensions/{served_notice.pk}/refunds/",
                                    {"student_group": "一班", "amount_due": "36000", "amount_refunded": ""})
    refund = Refund.objects.get(notice=served_notice)
    assert (refund.amount_due, refund.amount_refunded) == (Decimal("36000.00"), Decimal("0.00"))


def test_money_messages_follow_the_language():
    from django.utils import translation

    field = forms.money_field("应退金额（元）", name=forms._("应退金额"))
    with translation.override("en"):
        errors = field.error_messages["invalid"]
        assert "应退" not in str(errors)
