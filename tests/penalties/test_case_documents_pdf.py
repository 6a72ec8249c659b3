"""The case documents of the procedure, each a small body over the common layout (templates/penalties/pdf/case/),
rendered from penalties.services.case_documents' contexts: pdftotext finds the title, the number where the
document is numbered, the party and the document's own lines; the issuer block never stands alone on a page."""

import datetime
import subprocess

import pytest

from penalties.models import PenaltyCase
from penalties.pdf import CASE_DOCUMENT_TITLES, NUMBERED_CASE_DOCUMENTS, render_case_document
from penalties.services import case_documents as docs
from penalties.services import format_number
from penalties.services.case_documents import CaseDocumentKind
from penalties.services.hearings import hearing_hold, hearing_report
from penalties.services.reviews import discussion_record, legal_review_record
from tests.factories.organisation import at
from tests.penalties.test_case_procedure import _notify, fined, people, requested  # noqa: F401 (fixtures)

VERIFY = "https://example.org/verify/case-doc/"
# The closing block's own lines (issuer, date, seal, contact, QR): a page with nothing else is a stranded block.
CLOSING_ONLY = ("历下区教育局", "（印章）", "联系地址", "联系电话", "扫码或访问以下地址核验本文书真伪", VERIFY,
                "—", "：", "年", "月", "日")


def page_texts(content: bytes, tmp_path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    return [
        "".join(subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True,
                               text=True, check=True).stdout.split())
        for n in range(1, pages + 1)
    ]


def assert_no_stranded_closing(texts):
    for number, text in enumerate(texts, start=1):
        rest = text
        for marker in CLOSING_ONLY:
            rest = rest.replace("".join(marker.split()), "")
        rest = "".join(ch for ch in rest if not ch.isdigit())
        assert len(rest) > 10, f"page {number} carries only the closing block: {text}"


@pytest.fixture
def heard(requested, people):  # noqa: F811
    _notify(requested, people)
    day = at(datetime.date(2026, 3, 20), hour=9)
    hearing_hold(actor=people["inspector"], case_id=requested.pk, record="调查人员陈述……当事人申辩……",
                 party_signed=True, now=day)
    hearing_report(actor=people["chair"], case_id=requested.pk, report="建议维持拟处罚意见", now=day)
    legal_review_record(actor=people["reviewer"], case_id=requested.pk, conclusion="agree", opinion="事实清楚",
                        now=day)
    discussion_record(actor=people["head"], case_id=requested.pk, held_at=day, attendees="局长、副局长",
                      conclusion="同意", now=day)
    return PenaltyCase.objects.select_related("institution", "department__region").get(pk=requested.pk)


EXPECTED = {
    CaseDocumentKind.FILING_APPROVAL: ("违法行为发生（终了）日期", "追责时效届满日", "审批意见"),
    CaseDocumentKind.INVESTIGATION_REPORT: ("经调查查明", "证据清单", "调查终结，报请审理"),
    CaseDocumentKind.RIGHTS_NOTICE: ("陈述、申辩的权利", "吊销许可证件", "有权要求举行听证", "五个工作日内"),
    CaseDocumentKind.HEARING_NOTICE: ("听证时间", "局三楼会议室", "李主持", "申请回避", "视为放弃听证权利"),
    CaseDocumentKind.HEARING_RECORD: ("听证记录", "当事人已核对本笔录并签名"),
    CaseDocumentKind.HEARING_REPORT: ("建议维持拟处罚意见",),
    CaseDocumentKind.LEGAL_REVIEW: ("审核意见", "事实清楚", "审核结论"),
    CaseDocumentKind.DISCUSSION: ("局长、副局长", "讨论结论"),
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_documents_of_a_heard_case(heard, kind, tmp_path):
    context = docs.CASE_DOCUMENTS[kind](heard)
    number = ""
    if kind in NUMBERED_CASE_DOCUMENTS:
        number = format_number(department=heard.department, kind=NUMBERED_CASE_DOCUMENTS[kind], year=2026, serial=3)
    texts = page_texts(render_case_document(heard, kind, context, number=number, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    assert str(CASE_DOCUMENT_TITLES[kind]) in text and heard.institution.name in text
    if number:
        assert number in text and "〕第3号" in number
    for expected in EXPECTED[kind]:
        assert expected in text, expected
    assert_no_stranded_closing(texts)


def test_investigation_record(heard, tmp_path):
    record = heard.records.first()
    context = docs.investigation_record_context(heard, record.pk)
    text = "".join(page_texts(render_case_document(heard, "investigation_record", context), tmp_path))
    assert context["title"] in text and "证据序号" in text


@pytest.mark.parametrize("kind, expected", [
    ("reminder", ("罚款20000", "行政强制法》第三十五条", "十日内履行", "申请人民法院强制执行")),
    ("enforcement_application", ("被申请人", "特申请人民法院强制执行")),
    ("closure_report", ("执行情况", "结案时间")),
])
def test_documents_of_a_fined_case(fined, kind, expected, tmp_path):  # noqa: F811
    case = PenaltyCase.objects.select_related("institution", "department__region").get(pk=fined.pk)
    context = docs.CASE_DOCUMENTS[kind](case)
    number = ""
    if kind in NUMBERED_CASE_DOCUMENTS:
        number = format_number(department=case.department, kind=NUMBERED_CASE_DOCUMENTS[kind], year=2026, serial=1)
    texts = page_texts(render_case_document(case, kind, context, number=number, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    assert str(CASE_DOCUMENT_TITLES[kind]) in text and case.institution.name in text
    for line in expected:
        assert line in text, line
    assert_no_stranded_closing(texts)


def test_every_case_document_kind_has_a_template_and_a_title():
    from django.template.loader import get_template

    for kind in CaseDocumentKind.values:
        assert kind in CASE_DOCUMENT_TITLES
        get_template(f"penalties/pdf/case/{kind}.html")


# ---- issued: numbered, stored, verifiable ----------------------------------------------------------------------


def test_issuing_numbers_freezes_stores_and_registers_the_document(
    heard, people, tmp_path, django_capture_on_commit_callbacks  # noqa: F811
):
    import hashlib

    from django.core.files.storage import default_storage

    from penalties import services
    from penalties.models import CaseDocument
    from regulator.models import VerificationRecord

    with django_capture_on_commit_callbacks(execute=True):
        notice = services.case_document_issue(actor=people["inspector"], case_id=heard.pk, kind="rights_notice")
        form = services.case_document_issue(actor=people["inspector"], case_id=heard.pk, kind="filing_approval")
    notice.refresh_from_db()
    assert notice.number.endswith("罚告字〔2026〕第1号") and form.number == services.case_reference(heard)
    with default_storage.open(notice.pdf.name, "rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == notice.pdf_sha256
    record = VerificationRecord.objects.get(object_type="penalties.casedocument", object_id=str(notice.pk))
    assert record.sha256 == notice.pdf_sha256 and record.title == "行政处罚事先告知书"
    text = "".join(page_texts(content, tmp_path))
    assert notice.number in text and "陈述、申辩的权利" in text
    again = services.case_document_issue(actor=people["inspector"], case_id=heard.pk, kind="rights_notice")
    assert again.pk == notice.pk and again.number == notice.number
    assert CaseDocument.objects.count() == 2


def test_a_document_of_a_step_not_reached_is_refused(users, institution, departments, people):  # noqa: F811
    from penalties import services
    from penalties.models import CaseDocument, CaseStatus
    from regulator.errors import TransitionNotAllowed
    from regulator.models import AuditEvent
    from tests.factories import PenaltyCaseFactory

    case = PenaltyCaseFactory(institution=institution, department=departments["education"],
                              opened_by=people["inspector"], status=CaseStatus.INVESTIGATED)
    events = AuditEvent.objects.count()
    with pytest.raises(TransitionNotAllowed, match="尚未进行到"):
        services.case_document_issue(actor=people["inspector"], case_id=case.pk, kind="hearing_record")
    assert not CaseDocument.objects.exists() and AuditEvent.objects.count() == events


def test_case_page_issues_and_prints(heard, education_inspector_client, django_capture_on_commit_callbacks):
    page = education_inspector_client.get(f"/penalties/cases/{heard.pk}/").content.decode()
    assert "制作文书" in page and "听证通知书" in page
    with django_capture_on_commit_callbacks(execute=True):  # the PDF is rendered by the task after commit
        response = education_inspector_client.post(f"/penalties/cases/{heard.pk}/documents/",
                                                   {"kind": "hearing_notice"})
    assert response.status_code == 302
    pdf = education_inspector_client.get(f"/penalties/cases/{heard.pk}/documents/hearing_notice/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_case_page_issues_an_investigation_record(heard, education_inspector_client):
    from penalties.models import CaseDocument

    record = heard.records.first()
    page = education_inspector_client.get(f"/penalties/cases/{heard.pk}/").content.decode()
    assert f'name="record" value="{record.pk}"' in page
    education_inspector_client.post(f"/penalties/cases/{heard.pk}/documents/",
                                    {"kind": "investigation_record", "record": record.pk})
    document = CaseDocument.objects.get(kind="investigation_record")
    assert document.record_id == record.pk and document.title == record.get_kind_display()


# ---- the 案件移送书 and the 不予行政处罚决定书 -------------------------------------------------------------------


def test_referral_names_the_judicial_organ_the_reason_and_the_evidence(institution, departments, people,  # noqa: F811
                                                                        tmp_path):
    from penalties import services
    from tests.penalties.test_case_procedure import T0, _investigated

    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="refer", reason="涉嫌诈骗，数额较大",
                             referred_to="历下区公安分局", now=T0)
    case = PenaltyCase.objects.select_related("institution", "department__region").get(pk=case.pk)
    context = docs.CASE_DOCUMENTS[CaseDocumentKind.REFERRAL](case)
    number = format_number(department=case.department, kind=NUMBERED_CASE_DOCUMENTS["referral"], year=2026, serial=2)
    texts = page_texts(render_case_document(case, "referral", context, number=number, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    assert "案件移送书" in text and number in text and "〕第2号" in number
    assert "历下区公安分局：" in text  # the addressee is the organ, not the party
    assert case.institution.name in text  # named in the body
    evidence = case.evidence.first()
    assert evidence is not None  # the factory's investigation left a numbered evidence list
    for line in ("行政处罚法》第二十七条", "移送理由", "涉嫌诈骗，数额较大", "随案移送的证据材料",
                 f"{evidence.position}.{''.join(evidence.description.split())}", "请依法审查处理"):
        assert line in text, line
    assert_no_stranded_closing(texts)


def test_no_penalty_decision_gives_the_ground_the_order_and_the_remedy(institution, departments, people,  # noqa: F811
                                                                        tmp_path):
    from penalties import services
    from tests.factories.penalties import serve_data
    from tests.penalties.test_case_procedure import T0, _investigated

    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="no_penalty",
                             reason="初次违法且危害后果轻微并及时改正", now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    services.case_serve_rights_notice(actor=people["inspector"], case_id=case.pk, data=serve_data(T0), now=T0)
    services.case_record_statement(actor=people["inspector"], case_id=case.pk, statement="已退还全部费用", now=T0)
    services.case_decide(actor=people["head"], case_id=case.pk, facts="超前培训学员12名", kind="no_penalty",
                         no_penalty_ground="first_minor", correction_order="立即停止超前培训",
                         statement_adopted=True, now=at(datetime.date(2026, 3, 10)))
    case = PenaltyCase.objects.select_related("institution", "department__region", "decision").get(pk=case.pk)
    context = docs.CASE_DOCUMENTS[CaseDocumentKind.NO_PENALTY_DECISION](case)
    number = case.decision.number
    texts = page_texts(render_case_document(case, "no_penalty_decision", context, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    assert "不予行政处罚决定书" in text and number and number in text
    assert f"当事人：{case.institution.name}" in text
    for line in ("超前培训学员12名", "行政处罚法》第三十三条", "不予行政处罚", "立即停止超前培训", "已退还全部费用",
                 "本机关予以采纳", str(context["ground"])):
        assert line in text, line
    # The remedy: the reviewing government named, each period from receipt of this decision.
    for line in ("如不服本决定书", "收到本决定书之日起六十日内向历下区人民政府申请行政复议",
                 "收到本决定书之日起六个月内依法向人民法院提起行政诉讼"):
        assert line in text, line
    assert_no_stranded_closing(texts)
