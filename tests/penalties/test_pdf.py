"""PDFs rendered by the task after commit: Chinese title, number and items in the text; sha256 kept."""

import hashlib
import subprocess
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from penalties import services
from penalties.models import Decision, RectificationOrder, SuspensionNotice
from penalties.tasks import render_pdf
from regulator.models import VerificationRecord
from tests.factories import serve_data
from tests.factories.penalties import provision


def _text(name, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    with default_storage.open(name, "rb") as handle:
        path.write_bytes(handle.read())
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _compact(text: str) -> str:
    return "".join(text.split())


def test_order_pdf_after_approval(users, institution, tmp_path, django_capture_on_commit_callbacks):
    order = services.order_draft(
        actor=users["education_inspector"],
        institution_id=institution.pk,
        items=[
            {"text": "未公示收费项目和标准", "legal_basis": "《价格法》第十三条"},
            {"text": "消防通道堵塞", "legal_basis": "《消防法》第二十八条"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.order_approve(actor=users["education_head"], order_id=order.pk)
    order.refresh_from_db()
    assert order.pdf.name and len(order.pdf_sha256) == 64
    with default_storage.open(order.pdf.name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == order.pdf_sha256
    assert (
        VerificationRecord.objects.get(
            object_id=str(order.pk), object_type="penalties.rectificationorder"
        ).sha256
        == order.pdf_sha256
    )
    text = _compact(_text(order.pdf.name, tmp_path))
    for expected in (
        "限期整改通知书",
        order.number,
        "未公示收费项目和标准",
        "《价格法》第十三条",
        "消防通道堵塞",
        institution.name,
        "历下区教育局",
        f"{order.deadline.year}年{order.deadline.month}月",
    ):
        assert _compact(expected) in text


def test_rerender_overwrites_its_own_file(users, institution):
    order = services.order_draft(
        actor=users["education_inspector"],
        institution_id=institution.pk,
        items=[{"text": "问题", "legal_basis": "依据"}],
    )
    services.order_approve(actor=users["education_head"], order_id=order.pk)
    first = render_pdf.delay("order", order.pk)  # eager in tests
    second = render_pdf.delay("order", order.pk)
    order.refresh_from_db()
    assert order.pdf.name == f"penalties/pdf/order-{order.pk}.pdf"
    assert first.get() == second.get() == order.pdf.name


def test_suspension_pdf(users, institution, tmp_path):
    notice = services.suspension_draft(
        actor=users["education_inspector"],
        institution_id=institution.pk,
        facts="在居民住宅内开展学科类培训",
        legal_basis="《民办教育促进法》第六十四条",
    )
    services.suspension_approve(actor=users["education_head"], notice_id=notice.pk)
    render_pdf.delay("suspension", notice.pk)
    notice = SuspensionNotice.objects.get(pk=notice.pk)
    text = _compact(_text(notice.pdf.name, tmp_path))
    for expected in ("停办通知书", notice.number, "在居民住宅内开展学科类培训", "立即停止招生", "第六十四条"):
        assert _compact(expected) in text


@pytest.mark.django_db
def test_decision_pdf(users, institution, tmp_path):
    inspector, head = users["education_inspector"], users["education_head"]
    case = services.case_open(
        actor=inspector, institution_id=institution.pk, summary="违规收费", source="inspection"
    )
    services.case_review(actor=inspector, case_id=case.pk)
    services.case_file(actor=head, case_id=case.pk, violation_ended_on=timezone.localdate())
    services.case_investigate(actor=inspector, case_id=case.pk)
    services.case_evidence_add(actor=inspector, case_id=case.pk, description="收费台账")
    services.case_conclude_investigation(actor=inspector, case_id=case.pk, report="事实")
    fine = [{"kind": "fine", "amount": Decimal("20000"),
             "provision_id": provision("校外培训行政处罚暂行办法", "第十八条").pk}]
    services.case_adjudicate(actor=head, case_id=case.pk, outcome="penalty", penalties=fine)
    services.case_notify_rights(actor=inspector, case_id=case.pk)
    services.case_serve_rights_notice(actor=inspector, case_id=case.pk, data=serve_data(timezone.now()))
    services.case_record_statement(actor=inspector, case_id=case.pk, statement="无异议", waived=True)
    decision = services.case_decide(
        actor=head, case_id=case.pk, facts="该机构一次性收取超过三个月的费用", penalties=fine, statement_adopted=True
    )
    render_pdf.delay("decision", decision.pk)
    decision = Decision.objects.get(pk=decision.pk)
    text = _compact(_text(decision.pdf.name, tmp_path))
    for expected in (
        "行政处罚决定书",
        decision.number,
        "罚款",
        "20000",
        "第十八条",
        "一次性收取超过三个月的费用",
        "六十日内",
    ):
        assert _compact(expected) in text
    assert timezone.localdate().strftime("%Y") in text


def test_pdf_page_serves_the_file_to_the_issuing_department(
    users, institution, education_inspector_client, police_inspector_client, other_county_client
):
    order = services.order_draft(
        actor=users["education_inspector"],
        institution_id=institution.pk,
        items=[{"text": "问题", "legal_basis": "依据"}],
    )
    services.order_approve(actor=users["education_head"], order_id=order.pk)
    render_pdf.delay("order", order.pk)
    response = education_inspector_client.get(f"/penalties/orders/{order.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert other_county_client.get(f"/penalties/orders/{order.pk}/pdf/").status_code == 403
    assert RectificationOrder.objects.get(pk=order.pk).pdf_sha256
