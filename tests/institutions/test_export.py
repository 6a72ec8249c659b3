"""Register export (.xlsx, .csv): scope, filters, format, limits, query counts, and the round trip."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from institutions import exporter
from institutions.ledger import columns
from institutions.models import ImportJob, ImportJobState, Institution, Licence, LicenceKind, LicenceStanding
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, LicenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def register(regions):
    art = InstitutionFactory(name="历下星光艺术培训", region=regions["township"], organiser="王五",
                             contact_phone="13800000000", serves_preschool=True, serves_compulsory=True,
                             notes="一校多址")
    LicenceFactory(institution=art, kind=LicenceKind.SCHOOL_RUNNING, number="教民137010270000001号",
                   issued_on=date(2022, 3, 1), valid_until=date(2099, 2, 28))
    LicenceFactory(institution=art, kind=LicenceKind.BUSINESS, number="BL-0001", issued_on=date(2021, 9, 15))
    # Factories skip the services that derive the standing.
    Institution.objects.filter(pk=art.pk).update(licence_standing=LicenceStanding.BOTH)
    maths = InstitutionFactory(name="历下数学思维", region=regions["county"], category="academic",
                               premises_type="residential", credit_code="", serves_compulsory=False,
                               serves_senior_high=True, delivery="both", profit_type="non_profit",
                               operating_state="suspended")
    other = InstitutionFactory(name="市中舞蹈学校", region=regions["other_township"])
    return {"art": art, "maths": maths, "other": other}


def xlsx_rows(response) -> list[list]:
    """The sheet's rows from its header down (below the title block: 制表单位, 制表时间, 筛选条件, a blank row)."""
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert [str(row[0]).split("：")[0] for row in rows[:3]] == ["制表单位", "制表时间", "筛选条件"]
    assert all(value is None for value in rows[3])
    return rows[4:]


def csv_rows(response) -> tuple[str, list[list[str]]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_xlsx_export_has_the_ledger_columns_and_only_the_users_scope(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0] == columns.COLUMNS + ["证照情况", "所在区划名称"]
    by_name = {row[0]: dict(zip([columns.normalize_header(h) for h in rows[0]], row, strict=True))
               for row in rows[1:]}
    assert set(by_name) == {"历下星光艺术培训", "历下数学思维"}  # not the other county's school
    art = by_name["历下星光艺术培训"]
    assert art["区划代码"] == "370102001" and art["所在区划名称"] == "解放路街道"
    assert art["培训对象"] == "学龄前、义务教育" and art["类别"] == "非学科类·文化艺术"
    assert art["办学许可证号"] == "教民137010270000001号"
    assert art["办学许可证发证日期"].date() == date(2022, 3, 1)  # a real date cell, not text
    assert art["营业执照号"] == "BL-0001" and art["证照情况"] == "有证有照"
    maths = by_name["历下数学思维"]
    assert (maths["场所类型"], maths["营利性质"], maths["经营状态"], maths["培训方式"]) == (
        "居民住宅", "非营利性", "停办整改", "线上线下")
    assert maths["统一社会信用代码"] in (None, "") and maths["办学许可证号"] is None


def test_xlsx_export_has_a_title_block_widths_and_an_autofilter(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:export", args=["xlsx"]),
                                              {"category": "academic"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet["A1"].value == "制表单位：历下区教育局"
    assert sheet["A2"].value.startswith("制表时间：20")
    assert sheet["A3"].value == "筛选条件：类别：学科类"
    assert sheet["A5"].value == "机构名称*" and sheet.freeze_panes == "A6"
    assert sheet.auto_filter.ref == f"A5:{sheet.cell(row=5, column=sheet.max_column).column_letter}6"
    assert sheet.column_dimensions["A"].width >= 12 and sheet.column_dimensions["B"].width >= 20


def test_export_takes_the_list_filters(education_inspector_client, register):
    url = reverse("institutions:export", args=["xlsx"])
    response = education_inspector_client.get(url, {"category": "academic"})
    assert [row[0] for row in xlsx_rows(response)[1:]] == ["历下数学思维"]
    response = education_inspector_client.get(reverse("institutions:export", args=["csv"]), {"q": "星光"})
    assert [row[0] for row in csv_rows(response)[1][1:]] == ["历下星光艺术培训"]


def test_csv_export_is_utf8_with_bom_and_streamed(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:export", args=["csv"]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text, rows = csv_rows(response)
    assert text.startswith("\ufeff")
    assert rows[0] == columns.COLUMNS + ["证照情况", "所在区划名称"]
    art = dict(zip(columns.COLUMN_NAMES, next(r for r in rows if r[0] == "历下星光艺术培训"), strict=False))
    assert art["办学许可证发证日期"] == "2022-03-01" and art["营业执照有效期至"] == ""


def test_csv_and_xlsx_never_turn_text_into_formulas(education_inspector_client, regions):
    InstitutionFactory(name="=HYPERLINK(\"http://x\",\"点我\")", region=regions["county"], organiser="+123")
    _text, rows = csv_rows(education_inspector_client.get(reverse("institutions:export", args=["csv"])))
    assert rows[1][0].startswith("'=") and rows[1][2] == "'+123"
    response = education_inspector_client.get(reverse("institutions:export", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cell = workbook.worksheets[0]["A6"]  # the first row below the title block and the header
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_export_labels_stay_chinese_for_an_english_user(education_inspector_client, register):
    education_inspector_client.post(reverse("set_language"), {"language": "en"})
    response = education_inspector_client.get(reverse("institutions:export", args=["xlsx"]))
    rows = xlsx_rows(response)
    assert {row[8] for row in rows[1:]} == {"学科类", "非学科类·文化艺术"}


def test_export_cap_is_explained(education_inspector_client, register, monkeypatch):
    monkeypatch.setattr(exporter, "EXPORT_MAX_ROWS", 1)
    url = reverse("institutions:export", args=["csv"])
    response = education_inspector_client.get(url, {"region": "370102"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("institutions:list"))
    assert "超出单次导出上限" in response.content.decode()
    monkeypatch.setattr(exporter, "EXPORT_MAX_ROWS", 2)
    assert education_inspector_client.get(reverse("institutions:export", args=["csv"])).status_code == 200


def test_invalid_filter_is_explained_not_500(education_inspector_client, register):
    url = reverse("institutions:export", args=["xlsx"])
    response = education_inspector_client.get(url, {"category": "astrology"}, follow=True)
    assert response.status_code == 200 and "筛选条件有误" in response.content.decode()


def test_unknown_format_is_404_and_anonymous_goes_to_login(education_inspector_client, client, register):
    assert education_inspector_client.get(reverse("institutions:export", args=["pdf"])).status_code == 404
    response = client.get(reverse("institutions:export", args=["csv"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_police_export_what_they_may_see(police_inspector_client, register):
    rows = xlsx_rows(police_inspector_client.get(reverse("institutions:export", args=["xlsx"])))
    assert {row[0] for row in rows[1:]} == {"历下星光艺术培训", "历下数学思维"}


def test_admin_exports_every_region(admin_client_, register):
    rows = xlsx_rows(admin_client_.get(reverse("institutions:export", args=["xlsx"])))
    assert {row[0] for row in rows[1:]} == {"历下星光艺术培训", "历下数学思维", "市中舞蹈学校"}


def _export_queries(client, fmt) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("institutions:export", args=[fmt]))
        b"".join(response.streaming_content)
    return len(queries)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_query_count_does_not_grow_with_rows(education_inspector_client, regions, fmt):
    for _ in range(3):
        LicenceFactory(institution=InstitutionFactory(region=regions["county"]))
    _export_queries(education_inspector_client, fmt)  # the first request caches the filter's region choices
    few = _export_queries(education_inspector_client, fmt)
    for _ in range(40):
        LicenceFactory(institution=InstitutionFactory(region=regions["county"]))
    assert _export_queries(education_inspector_client, fmt) == few


# ---- the round trip: what is exported can be imported again -------------------------------------------

def exported_xlsx(client) -> bytes:
    return b"".join(client.get(reverse("institutions:export", args=["xlsx"])).streaming_content)


def _import(client, on_commit, content: bytes) -> ImportJob:
    with on_commit(execute=True):
        client.post(reverse("institutions:import"), {"file": SimpleUploadedFile("export.xlsx", content)})
    return ImportJob.objects.latest("id")


FIELDS = [
    "name", "credit_code", "organiser", "legal_representative", "contact_phone", "address", "region_id",
    "premises_type", "category", "serves_preschool", "serves_compulsory", "serves_senior_high", "delivery",
    "profit_type", "operating_state", "notes", "licence_standing",
]


def _snapshot() -> dict:
    institutions = {row["name"]: row for row in Institution.objects.values(*FIELDS)}
    licences = set(
        Licence.objects.values_list("institution__name", "kind", "number", "issued_on", "valid_until"))
    return {"institutions": institutions, "licences": licences}


def test_export_then_import_gives_the_same_register(education_inspector_client, register, on_commit):
    register["other"].delete()
    before = _snapshot()
    content = exported_xlsx(education_inspector_client)

    # Importing it again as it stands: every row is a duplicate, nothing is written.
    job = _import(education_inspector_client, on_commit, content)
    assert (job.state, job.total_rows, job.valid_rows) == (ImportJobState.VALIDATED, 2, 0)
    reasons = {(entry["column"], entry["reason"].split(" ")[0]) for entry in job.report}
    assert ("统一社会信用代码", "统一社会信用代码") in reasons and ("办学许可证号", "证号") in reasons
    assert _snapshot() == before

    # Into an empty register, the same file recreates the same institutions and licences.
    Institution.objects.all().delete()
    job = _import(education_inspector_client, on_commit, content)
    assert (job.valid_rows, job.report) == (2, [])
    with on_commit(execute=True):
        education_inspector_client.post(reverse("institutions:import_confirm", args=[job.pk]))
    assert _snapshot() == before
    assert Institution.objects.get(name="历下星光艺术培训").licence_standing == LicenceStanding.BOTH


def test_another_county_cannot_import_our_export(education_inspector_client, other_county_client, register,
                                                 on_commit):
    content = exported_xlsx(education_inspector_client)
    count, events = Institution.objects.count(), AuditEvent.objects.count()
    job = _import(other_county_client, on_commit, content)
    assert (job.state, job.valid_rows) == (ImportJobState.VALIDATED, 0)
    columns = {(entry["row"], entry["column"]) for entry in job.report}
    assert {(6, "区划代码"), (7, "区划代码")} <= columns  # outside their county (rows below the title block)
    assert any(column == "统一社会信用代码" and "已在台账中登记" in entry["reason"]
               for entry in job.report for column in [entry["column"]])  # and duplicates refused
    with on_commit(execute=True):
        other_county_client.post(reverse("institutions:import_confirm", args=[job.pk]))
    assert (Institution.objects.count(), AuditEvent.objects.count()) == (count, events)
