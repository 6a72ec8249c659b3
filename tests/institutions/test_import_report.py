"""The import report as the clerk's own workbook: the uploaded file back as .xlsx with a 原因 column on the problem
rows (highlighted), for .xlsx, .xls, .ods and .csv uploads; and CSV ledgers imported like workbooks."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from institutions.ledger import columns
from institutions.models import ImportJob, ImportJobState, Licence
from tests.factories import InstitutionFactory
from tests.institutions.test_import import (
    FIXTURES,
    confirm,
    latest_job,
    ledger_row,
    ods_bytes,
    upload,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db

REPORT_URL = "institutions:import_report_workbook"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def download(client, job):
    response = client.get(reverse(REPORT_URL, args=[job.pk]))
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "%E5%AF%BC%E5%85%A5%E6%8A%A5%E5%91%8A.xlsx" in response["Content-Disposition"]  # 导入报告.xlsx
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def values_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def reason_column(sheet) -> int:
    header = [cell.value for cell in sheet[1]]
    assert header[-1].startswith("原因")
    return len(header)


def test_the_workbook_comes_back_with_reasons_on_exactly_the_problem_rows(
        education_inspector_client, regions, on_commit):
    taken = InstitutionFactory(region=regions["county"]).credit_code
    rows = [
        ledger_row(),
        ledger_row(**{"统一社会信用代码": taken}),  # already registered
        ledger_row(),
        ledger_row(**{"区划代码": "370202", "办学许可证发证日期": "2022.3.1"}),  # two problems
        ledger_row(**{"备注": "=HYPERLINK(\"http://x\")"}),  # formula-like text stays text
    ]
    upload(education_inspector_client, on_commit, workbook_bytes(rows))
    job = latest_job()
    assert job.state == ImportJobState.VALIDATED and job.valid_rows == 3
    page = education_inspector_client.get(reverse("institutions:import_detail", args=[job.pk])).content.decode()
    assert 'id="report-workbook"' in page

    workbook = download(education_inspector_client, job)
    source = load_workbook(io.BytesIO(workbook_bytes(rows)))
    assert workbook.sheetnames == source.sheetnames
    sheet, original = workbook.active, source.active
    last = reason_column(sheet)
    assert last == len(columns.COLUMNS) + 1
    # Every original cell is where it was, with its value
    assert [row[:-1] for row in values_of(sheet)] == values_of(original)
    reasons = {number: row[-1] for number, row in enumerate(values_of(sheet), start=1) if number > 1 and row[-1]}
    assert set(reasons) == {3, 5}
    assert "统一社会信用代码" in reasons[3] and "已在台账中登记" in reasons[3]
    assert "区划代码" in reasons[5] and "办学许可证发证日期" in reasons[5] and len(reasons[5].splitlines()) == 2
    fills = {number: sheet.cell(row=number, column=1).fill.fgColor.rgb for number in range(2, 7)}
    assert fills[3].endswith("FFC7CE") and fills[5].endswith("FFC7CE")
    assert not fills[2].endswith("FFC7CE") and not fills[4].endswith("FFC7CE")
    assert sheet.cell(row=6, column=last - 1).data_type == "s"  # not a formula
    issued = sheet.cell(row=2, column=columns.COLUMN_NAMES.index("办学许可证发证日期") + 1)
    assert issued.value.date() == date(2022, 3, 1)


def test_a_refused_file_says_why_on_its_header_row(education_inspector_client, regions, on_commit):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["单位名称", "地址"])
    sheet.append(["甲培训", "文化路1号"])
    workbook.create_sheet("说明").append(["另一张表"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(education_inspector_client, on_commit, buffer.getvalue())
    job = latest_job()
    assert job.state == ImportJobState.REJECTED
    back = download(education_inspector_client, job)
    assert back.sheetnames == ["Sheet", "说明"]
    rows = values_of(back["Sheet"])
    assert rows[0][:2] == ["单位名称", "地址"]
    assert rows[0][2].startswith("原因") and "整个文件未导入" in rows[0][2] and "表头与导入模板不一致" in rows[0][2]
    assert rows[1] == ["甲培训", "文化路1号", None]
    assert values_of(back["说明"]) == [["另一张表"]]


def test_an_unreadable_file_has_no_workbook(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit, "机构名称,区划代码\n甲,370102\n".encode())  # a .csv named .xlsx
    job = latest_job()
    assert job.state == ImportJobState.REJECTED and not job.report_file
    assert 'id="report-workbook"' not in education_inspector_client.get(
        reverse("institutions:import_detail", args=[job.pk])).content.decode()
    assert education_inspector_client.get(reverse(REPORT_URL, args=[job.pk])).status_code == 404


def test_only_the_importing_department_downloads_it(education_inspector_client, market_head_client,
                                                     police_inspector_client, other_county_client, regions,
                                                     on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row(**{"区划代码": "370202"})]))
    job = latest_job()
    url = reverse(REPORT_URL, args=[job.pk])
    assert market_head_client.get(url).status_code == 404  # same county, another department
    assert other_county_client.get(url).status_code in (403, 404)
    assert police_inspector_client.get(url).status_code == 403  # no right to import at all


def test_no_workbook_for_a_clean_file_or_while_importing(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    assert job.report == [] and not job.report_file
    assert education_inspector_client.get(reverse(REPORT_URL, args=[job.pk])).status_code == 404
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row(**{"区划代码": "370202"})]))
    job = latest_job()
    assert job.report_file
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJobState.IMPORTING)
    assert education_inspector_client.get(reverse(REPORT_URL, args=[job.pk])).status_code == 404


def test_rows_refused_at_import_time_join_the_workbook(education_inspector_client, regions, on_commit):
    rows = [ledger_row(), ledger_row(), ledger_row(**{"区划代码": "370202"})]
    upload(education_inspector_client, on_commit, workbook_bytes(rows))
    job = latest_job()
    InstitutionFactory(region=regions["county"], credit_code=rows[1]["统一社会信用代码"])  # registered meanwhile
    confirm(education_inspector_client, on_commit, job)
    job.refresh_from_db()
    assert job.state == ImportJobState.DONE and job.imported_rows == 1
    back = values_of(download(education_inspector_client, job).active)
    assert back[1][-1] is None
    assert back[2][-1].startswith("确认导入时：统一社会信用代码") and "区划" in back[3][-1]


def test_an_xls_upload_comes_back_as_xlsx_with_reasons(education_inspector_client, regions, on_commit):
    InstitutionFactory(credit_code="52370102000700001W", region=regions["county"])
    upload(education_inspector_client, on_commit, (FIXTURES / "ledger.xls").read_bytes(), name="旧台账.xls")
    job = latest_job()
    assert job.valid_rows == 0
    sheet = download(education_inspector_client, job).worksheets[0]
    rows = values_of(sheet)
    assert rows[1][0] == "历下旧版工作簿培训学校" and "已在台账中登记" in rows[1][-1]


def test_an_ods_upload_comes_back_as_xlsx_with_reasons(education_inspector_client, regions, on_commit):
    rows = [ledger_row(), ledger_row(**{"场所类型": "帐篷"})]
    upload(education_inspector_client, on_commit, ods_bytes(rows), name="台账.ods")
    job = latest_job()
    sheet = download(education_inspector_client, job).worksheets[0]
    back = values_of(sheet)
    assert [row[0] for row in back[1:]] == [row["机构名称"] for row in rows]
    assert back[1][-1] is None and "不是可选值" in back[2][-1]


def csv_bytes(rows: list[dict], encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns.COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in columns.COLUMN_NAMES])
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_csv_ledger_is_imported_with_its_text_dates(encoding, education_inspector_client, regions, on_commit):
    rows = [ledger_row(), ledger_row(**{"营业执照发证日期": "2021/9/15"})]
    upload(education_inspector_client, on_commit, csv_bytes(rows, encoding), name="台账.csv")
    job = latest_job()
    assert job.state == ImportJobState.VALIDATED, job.file_error
    assert job.report == [] and job.valid_rows == 2
    confirm(education_inspector_client, on_commit, job)
    licence = Licence.objects.get(institution__name=rows[0]["机构名称"], kind="school_running")
    assert (licence.issued_on, licence.valid_until) == (date(2022, 3, 1), date(2099, 2, 28))
    assert Licence.objects.get(institution__name=rows[1]["机构名称"], kind="business").issued_on == date(2021, 9, 15)


def test_a_csv_upload_comes_back_as_xlsx_with_reasons(education_inspector_client, regions, on_commit):
    rows = [ledger_row(**{"办学许可证发证日期": "去年三月"}), ledger_row()]
    upload(education_inspector_client, on_commit, csv_bytes(rows), name="台账.csv")
    job = latest_job()
    assert job.valid_rows == 1
    sheet = download(education_inspector_client, job).worksheets[0]
    back = values_of(sheet)
    assert back[0][:-1] == columns.COLUMNS and back[0][-1] == "原因"
    assert "不是日期" in back[1][-1] and back[2][-1] is None
    assert back[2][0] == rows[1]["机构名称"]


def test_the_registers_csv_export_imports_again_as_duplicates(education_inspector_client, regions, on_commit):
    InstitutionFactory(name="星光美术培训", region=regions["township"], credit_code="")
    export = education_inspector_client.get(reverse("institutions:export", args=["csv"]))
    content = b"".join(export.streaming_content)
    upload(education_inspector_client, on_commit, content, name="机构台账.csv")
    job = latest_job()
    assert job.state == ImportJobState.VALIDATED, job.file_error
    assert [entry["column"] for entry in job.report] == ["机构名称"]
    assert "已在台账中登记" in job.report[0]["reason"]
