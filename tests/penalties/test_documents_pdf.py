"""Every enforcement document, as printed: title, number (济教罚字〔2022〕第1号 style), the addressee block, the
violation and its basis, the remedy lines naming the reviewing government, the officers; and no page that
carries only the issuer block (pdftotext, page by page)."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from inspections import services as inspection_services
from inspections.models import ProblemItem
from penalties import services
from penalties.models import Decision, DocumentKind, DocumentLetterhead, DocumentNumberPattern
from penalties.pdf import render_document, review_body
from regulator.models import DepartmentKind, RegionLevel
from tests.factories import DepartmentFactory, RegionFactory, ensure_checklist, serve_data
from tests.factories.penalties import provision
from tests.inspections.conftest import answer_all, sign

VERIFY = "https://example.org/verify/token/"


def page_texts(content: bytes, tmp_path) -> list[str]:
    """The text of each page, whitespace removed."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    texts = []
    for page in range(1, pages + 1):
        out = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        texts.append("".join(out.split()))
    return texts


def assert_issuer_never_alone(texts: list[str], *, department: str, date: str) -> None:
    """The page with the issuer and the date also carries the last paragraph (the remedy lines)."""
    signed = [i for i, text in enumerate(texts) if date in text and text.count(department) >= 1]
    assert signed, "no page carries the issuer and date"
    last = texts[signed[-1]]
    assert "申请行政复议" in last, f"page {signed[-1] + 1} carries the issuer block without the last paragraph"
    assert last.index("申请行政复议") < last.rindex(date)


def cn_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def party(institution):
    institution.credit_code = "52370102MJ0000001X"
    institution.legal_representative = "王某某"
    institution.address = "历下区解放路100号"
    institution.save(update_fields=["credit_code", "legal_representative", "address"])
    return institution


@pytest.fixture
def officers(users):
    inspector = users["education_inspector"]
    inspector.full_name, inspector.enforcement_certificate, inspector.phone = "张执法", "37010200123", "0531-8888"
    inspector.save(update_fields=["full_name", "enforcement_certificate", "phone"])
    return inspector


@pytest.fixture
def submitted_visit(users, departments, party, officers):
    ensure_checklist()
    visit = inspection_services.visit_plan(
        actor=users["education_head"],
        institution=party,
        lead_department=departments["education"],
        planned_on=timezone.localdate(),
        inspectors=[officers],
    )
    answer_all(visit, officers, fail_positions=(2, 3))
    sign(visit, officers)
    inspection_services.visit_submit(actor=officers, visit_id=visit.pk)
    return visit


def _approved_order_from_visit(users, visit):
    problems = list(ProblemItem.objects.filter(visit=visit).order_by("id"))
    order = services.order_draft_from_visit(
        actor=users["education_inspector"],
        visit_id=visit.pk,
        problem_item_ids=[p.pk for p in problems],
        legal_bases={p.pk: "《民办教育促进法》第六十二条" for p in problems},
    )
    return services.order_approve(actor=users["education_head"], order_id=order.pk), problems


def test_number_follows_the_department_pattern_without_padding(users, party, departments):
    DocumentNumberPattern.objects.create(
        department=departments["education"], kind=DocumentKind.RECTIFICATION_ORDER, abbreviation="济历教",
        kind_word="责改字",
    )
    drafts = [
        services.order_draft(actor=users["education_inspector"], institution_id=party.pk,
                             items=[{"text": "问题", "legal_basis": "依据"}])
        for _ in range(2)
    ]
    for draft in drafts:
        services.order_approve(actor=users["education_head"], order_id=draft.pk)
    year = timezone.localdate().year
    numbers = [type(d).objects.get(pk=d.pk).number for d in drafts]
    assert numbers == [f"济历教责改字〔{year}〕第1号", f"济历教责改字〔{year}〕第2号"]


def test_a_department_without_a_pattern_uses_its_short_name_and_the_kind_word(departments):
    departments["education"].short_name = "济教"
    departments["education"].save()
    assert services.format_number(
        department=departments["education"], kind=DocumentKind.PENALTY_DECISION, year=2022, serial=1
    ) == "济教罚字〔2022〕第1号"


def test_pattern_refuses_brackets_and_serials_typed_in():
    from django.core.exceptions import ValidationError

    pattern = DocumentNumberPattern(abbreviation="济教〔", kind_word="罚字")
    with pytest.raises(ValidationError):
        pattern.clean()


def test_review_body_is_the_government_of_the_department_level(regions, departments):
    assert review_body(departments["education"]) == "历下区人民政府"
    assert review_body(departments["prefecture_education"]) == "济南市人民政府"
    township = DepartmentFactory(
        kind=DepartmentKind.LAW_ENFORCEMENT, region=regions["township"], name="解放路街道办事处"
    )
    assert township.region.level == RegionLevel.TOWNSHIP and review_body(township) == "历下区人民政府"
    tax = DepartmentFactory(kind=DepartmentKind.TAX, region=RegionFactory(code="370104", name="槐荫区",
                            level=RegionLevel.COUNTY, parent=regions["prefecture"]), name="槐荫区税务局")
    assert review_body(tax) == "上一级主管部门"


def test_order_prints_the_inspection_the_officers_the_finding_and_the_remedies(
    users, submitted_visit, departments, tmp_path
):
    DocumentLetterhead.objects.create(department=departments["education"], address="历下区龙奥北路1号",
                                      phone="0531-66601234")
    order, problems = _approved_order_from_visit(users, submitted_visit)
    order.refresh_from_db()
    texts = page_texts(render_document("order", order, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    for expected in (
        "历下区教育局",
        "限期整改通知书",
        order.number,
        "当事人：阳光艺术培训学校",
        "统一社会信用代码：52370102MJ0000001X",
        "法定代表人（负责人）：王某某",
        "地址：历下区解放路100号",
        cn_date(timezone.localdate()) + "，本机关执法人员对你单位",
        "第2项情况",  # the finding ...
        "第3项情况",
        "《民办教育促进法》第六十二条",  # the free text, after ...
        "《消防法》第十六条",  # ... the provision the library maps to the checklist item (C02)
        "张执法（执法证号：37010200123）",
        "自收到本通知书之日起六十日内向历下区人民政府申请行政复议",
        "自收到本通知书之日起六个月内依法向人民法院提起行政诉讼",
        "联系地址：历下区龙奥北路1号",
        "联系电话：0531-66601234",
        "（印章）",
    ):
        assert expected in text, expected
    for problem in problems:  # ... not the checklist's standard
        assert "".join(problem.item_text.split()) not in text
    assert order.number.startswith("历下区教育局责改字〔") and order.number.endswith("〕第1号")
    assert_issuer_never_alone(texts, department="历下区教育局", date=cn_date(timezone.localdate(order.approved_at)))


@pytest.mark.parametrize("count", [6, 9, 10, 11, 12, 13, 16])
def test_issuer_and_date_never_stand_alone_on_a_page(users, party, tmp_path, count):
    items = [
        {"text": f"第{n}项：未按规定公示收费项目、收费标准和退费办法，且在招生简章中使用夸大宣传用语", "legal_basis":
         "《民办教育促进法》第六十二条第（一）项"}
        for n in range(1, count + 1)
    ]
    order = services.order_draft(actor=users["education_inspector"], institution_id=party.pk, items=items,
                                 requirements="逐项整改并提交书面材料。")
    order = services.order_approve(actor=users["education_head"], order_id=order.pk)
    order.refresh_from_db()
    texts = page_texts(render_document("order", order, verify_url=VERIFY), tmp_path)
    assert_issuer_never_alone(texts, department="历下区教育局", date=cn_date(timezone.localdate(order.approved_at)))
    for text in texts:  # every page carries some of the body, not only the closing block
        assert any(marker in text for marker in ("违法行为", "项：", "申请行政复议", "当事人")), text


def test_suspension_notice(users, party, tmp_path):
    notice = services.suspension_draft(
        actor=users["education_inspector"], institution_id=party.pk, facts="在居民住宅内开展学科类培训",
        legal_basis="《校外培训行政处罚暂行办法》第十七条",
    )
    services.suspension_approve(actor=users["education_head"], notice_id=notice.pk)
    notice.refresh_from_db()
    texts = page_texts(render_document("suspension", notice, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    for expected in ("停办通知书", notice.number, "当事人：阳光艺术培训学校", "统一社会信用代码：52370102MJ0000001X",
                     "在居民住宅内开展学科类培训", "第十七条", "向历下区人民政府申请行政复议", "六个月内"):
        assert expected in text, expected
    assert "停办字〔" in notice.number and notice.number.endswith("第1号")
    assert_issuer_never_alone(texts, department="历下区教育局", date=cn_date(timezone.localdate(notice.approved_at)))


def test_decision(users, party, officers, tmp_path):
    head = users["education_head"]
    case = services.case_open(actor=officers, institution_id=party.pk, summary="违规收费", source="inspection")
    services.case_review(actor=officers, case_id=case.pk)
    services.case_file(actor=head, case_id=case.pk, violation_ended_on=timezone.localdate())
    services.case_investigate(actor=officers, case_id=case.pk)
    services.case_evidence_add(actor=officers, case_id=case.pk, description="收费台账")
    services.case_conclude_investigation(actor=officers, case_id=case.pk, report="事实")
    fine = [{"kind": "fine", "amount": Decimal("20000"),
             "provision_id": provision("校外培训行政处罚暂行办法", "第十八条").pk}]
    services.case_adjudicate(actor=head, case_id=case.pk, outcome="penalty", penalties=fine)
    services.case_notify_rights(actor=officers, case_id=case.pk)
    services.case_serve_rights_notice(actor=officers, case_id=case.pk, data=serve_data(timezone.now()))
    services.case_record_statement(actor=officers, case_id=case.pk, statement="无异议", waived=True)
    decision = services.case_decide(
        actor=head, case_id=case.pk, facts="该机构一次性收取超过三个月的费用", penalties=fine, statement_adopted=True
    )
    decision = Decision.objects.select_related("case__institution", "case__department__region").get(pk=decision.pk)
    texts = page_texts(render_document("decision", decision, verify_url=VERIFY), tmp_path)
    text = "".join(texts)
    year = timezone.localdate().year
    assert decision.number == f"历下区教育局罚字〔{year}〕第1号"
    for expected in (
        "行政处罚决定书",
        decision.number,
        "当事人：阳光艺术培训学校",
        "统一社会信用代码：52370102MJ0000001X",
        "法定代表人（负责人）：王某某",
        "一次性收取超过三个月的费用",
        "《校外培训行政处罚暂行办法》第十八条",
        "20000",
        "每日按罚款数额的百分之三加处罚款",
        "自收到本决定书之日起六十日内向历下区人民政府申请行政复议",
        "自收到本决定书之日起六个月内依法向人民法院提起行政诉讼",
        "本决定书不停止执行",
        "张执法（执法证号：37010200123）",
    ):
        assert expected in text, expected
    assert_issuer_never_alone(texts, department="历下区教育局", date=cn_date(timezone.localdate(decision.decided_at)))


def test_order_items_take_their_basis_from_the_provision_library(users, submitted_visit):
    from penalties.models import Provision
    from regulator.errors import ServiceError

    problems = list(ProblemItem.objects.filter(visit=submitted_visit).order_by("id"))
    fire = Provision.objects.get(law="消防法", article="第十六条", paragraph="")
    with pytest.raises(ServiceError, match="缺少法律依据"):  # nothing picked, no free text
        services.order_draft_from_visit(
            actor=users["education_inspector"], visit_id=submitted_visit.pk, problem_item_ids=[problems[0].pk],
            provisions={problems[0].pk: []},
        )
    order = services.order_draft_from_visit(
        actor=users["education_inspector"], visit_id=submitted_visit.pk, problem_item_ids=[p.pk for p in problems],
        provisions={problems[0].pk: [fire.pk]},  # the second problem: the library's articles for its item
    )
    first, second = order.items.order_by("position")
    assert list(first.provisions.all()) == [fire] and first.legal_basis == ""
    assert second.provisions.exists() and all("C03" in p.checklist_codes for p in second.provisions.all())
