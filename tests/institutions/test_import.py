"""Ledger import: per-row report, confirmation, idempotence, refusals, permissions, progress, query counts."""

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from institutions.ledger import columns, jobs, template, work
from institutions.ledger import rows as row_parser
from institutions.models import (
    ImportJob,
    ImportJobState,
    Institution,
    Licence,
    LicenceKind,
    LicenceStanding,
    LicenceState,
)
from regulator.audit import verify_chains
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, LicenceFactory, valid_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks

_numbers = iter(range(1, 1_000_000))


def ledger_row(**overrides) -> dict:
    serial = next(_numbers)
    row = {
        "机构名称": f"历下阳光第{serial}艺术培训学校",
        "统一社会信用代码": valid_credit_code("370102", 700000 + serial),
        "举办者": "张三",
        "法定代表人/负责人": "李四",
        "联系电话": "0531-88888888",
        "办学地址": f"文化路{serial}号",
        "区划代码": "370102001",
        "场所类型": "商业用房",
        "类别": "非学科类·文化艺术",
        "培训对象": "义务教育、普通高中",
        "培训方式": "线下",
        "营利性质": "营利性",
        "经营状态": "正常经营",
        "办学许可证号": f"教民1370102{serial:08d}号",
        "办学许可证发证日期": date(2022, 3, 1),
        "办学许可证有效期至": date(2099, 2, 28),
        "营业执照号": f"BL{serial:010d}",
        "营业执照发证日期": date(2021, 9, 15),
        "营业执照有效期至": None,
        "备注": "",
    }
    row.update(overrides)
    return row


def workbook_bytes(rows, headers=None) -> bytes:
    return template.write_workbook(rows, columns=headers)


def upload(client, on_commit, content: bytes, name="台账.xlsx"):
    with on_commit(execute=True):
        response = client.post(reverse("institutions:import"), {"file": SimpleUploadedFile(name, content)})
    return response


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def confirm(client, on_commit, job):
    with on_commit(execute=True):
        return client.post(reverse("institutions:import_confirm", args=[job.pk]))


def detail_page(client, job) -> str:
    return client.get(reverse("institutions:import_detail", args=[job.pk])).content.decode()


def errors_of(job) -> list[tuple[int, str, str]]:
    job.refresh_from_db()
    return [(entry["row"], entry["column"], entry["reason"]) for entry in job.report]


# ---- the happy path ------------------------------------------------------------------------------

def test_valid_rows_are_written_only_after_confirmation(education_inspector_client, users, regions,
                                                         on_commit):
    rows = [ledger_row(), ledger_row(**{"营业执照号": "", "营业执照发证日期": None}), ledger_row(**{
        "办学许可证号": "", "办学许可证发证日期": None, "办学许可证有效期至": None, "营业执照号": "",
        "营业执照发证日期": None, "统一社会信用代码": "", "区划代码": "370102", "培训对象": "",
        "培训方式": "", "营利性质": "", "经营状态": ""})]
    response = upload(education_inspector_client, on_commit, workbook_bytes(rows))
    job = latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:import_detail", args=[job.pk])
    assert job.state == ImportJobState.VALIDATED
    assert (job.total_rows, job.valid_rows, job.report) == (3, 3, [])
    assert not Institution.objects.exists()  # nothing written before the user confirms

    page = detail_page(education_inspector_client, job)
    assert "导入 3 条有效记录" in page and "取消" in page

    response = confirm(education_inspector_client, on_commit, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.imported_rows) == (ImportJobState.DONE, 3)
    assert job.confirmed_by == users["education_inspector"]
    both, school_only, none = (Institution.objects.get(name=row["机构名称"]) for row in rows)
    assert both.licence_standing == LicenceStanding.BOTH
    assert school_only.licence_standing == LicenceStanding.SCHOOL_ONLY
    assert none.licence_standing == LicenceStanding.NONE
    assert (both.serves_compulsory, both.serves_senior_high, both.serves_preschool) == (True, True, False)
    assert both.region_id == "370102001" and both.category == "arts" and both.profit_type == "for_profit"
    assert both.created_by == users["education_inspector"]
    assert none.delivery == "offline" and none.operating_state == "operating" and none.credit_code == ""
    school = Licence.objects.get(institution=both, kind=LicenceKind.SCHOOL_RUNNING)
    assert (school.issued_on, school.valid_until) == (date(2022, 3, 1), date(2099, 2, 28))
    assert school.state == LicenceState.VALID
    assert "导入完成" in education_inspector_client.get(
        reverse("institutions:import_detail", args=[job.pk])).content.decode()


def test_one_audit_event_per_institution_and_chains_verify(education_inspector_client, users, regions,
                                                          on_commit):
    InstitutionFactory(region=regions["county"])  # an existing chain the import must not disturb
    upload(education_inspector_client, on_commit,
           workbook_bytes([ledger_row() for _ in range(4)]))
    job = latest_job()
    confirm(education_inspector_client, on_commit, job)
    created = AuditEvent.objects.filter(kind="institution.created", object_type="institutions.institution",
                                        actor=users["education_inspector"])
    assert created.count() == 4
    assert set(created.values_list("institution_id", flat=True)) == set(
        Institution.objects.filter(created_by=users["education_inspector"]).values_list("id", flat=True))
    event = created.first()
    assert event.before is None and event.after["name"].startswith("历下阳光第")
    assert {licence["kind"] for licence in event.after["licences"]} == {"school_running", "business"}
    assert AuditEvent.objects.filter(kind="import_job.confirmed", object_id=str(job.pk)).count() == 1
    assert list(verify_chains()) == []


def test_reconfirming_a_done_job_does_nothing(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit,
           workbook_bytes([ledger_row(**{"统一社会信用代码": ""}) for _ in range(2)]))
    job = latest_job()
    confirm(education_inspector_client, on_commit, job)
    assert Institution.objects.count() == 2
    response = confirm(education_inspector_client, on_commit, job)
    assert response.status_code == 302
    assert Institution.objects.count() == 2  # rows without a credit code would be duplicated if it ran again
    work.import_job(job.pk)  # a redelivered task also does nothing
    assert Institution.objects.count() == 2
    job.refresh_from_db()
    assert (job.state, job.imported_rows) == (ImportJobState.DONE, 2)


def test_empty_rows_are_skipped_and_row_numbers_stay_excel_numbers(education_inspector_client, regions,
                                                                   on_commit):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns.COLUMNS)
    good, bad = ledger_row(), ledger_row(**{"机构名称": ""})
    sheet.append([good[columns.normalize_header(h)] for h in columns.COLUMNS])
    sheet.append([None] * len(columns.COLUMNS))  # row 3 empty
    sheet.append(["  "] + [None] * (len(columns.COLUMNS) - 1))  # row 4 blank text only
    sheet.append([bad[columns.normalize_header(h)] for h in columns.COLUMNS])  # row 5
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(education_inspector_client, on_commit, buffer.getvalue())
    job = latest_job()
    assert (job.state, job.total_rows, job.valid_rows, job.empty_rows) == (ImportJobState.VALIDATED, 2, 1, 2)
    assert errors_of(job) == [(5, "机构名称", "必填项为空。")]
    page = detail_page(education_inspector_client, job)
    assert "跳过的空行" in page and "必填项为空" in page
    confirm(education_inspector_client, on_commit, job)
    assert list(Institution.objects.values_list("name", flat=True)) == [good["机构名称"]]


def test_headers_without_asterisk_and_in_another_order_are_accepted(education_inspector_client, regions,
                                                                   on_commit):
    headers = list(reversed([columns.normalize_header(h) for h in columns.COLUMNS]))
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()], headers))
    job = latest_job()
    assert (job.state, job.valid_rows) == (ImportJobState.VALIDATED, 1)


# ---- bad rows: reported per row and column, never written ----------------------------------------------

def _existing_code(regions):
    return InstitutionFactory(region=regions["county"]).credit_code


BAD_ROWS = [
    ("malformed credit code", lambda r: {"统一社会信用代码": "52370102MJ00000010"}, "统一社会信用代码",
     "校验位错误"),
    ("short credit code", lambda r: {"统一社会信用代码": "5237010212"}, "统一社会信用代码", "应为18位"),
    ("credit code stored as number", lambda r: {"统一社会信用代码": 123456789012345678}, "统一社会信用代码",
     "存成了数字"),
    ("credit code already registered", lambda r: {"统一社会信用代码": _existing_code(r)}, "统一社会信用代码",
     "已在台账中登记"),
    ("licence expires before it is issued", lambda r: {"办学许可证发证日期": date(2023, 5, 1),
                                                     "办学许可证有效期至": date(2023, 4, 30)},
     "办学许可证有效期至", "早于发证日期"),
    ("licence issued in the future", lambda r: {"营业执照发证日期": date.today() + timedelta(days=3)},
     "营业执照发证日期", "晚于今天"),
    ("licence number without issue date", lambda r: {"办学许可证发证日期": None}, "办学许可证发证日期",
     "发证日期必填"),
    ("licence dates without number", lambda r: {"营业执照号": ""}, "营业执照号", "缺少证号"),
    ("licence number already registered", lambda r: {"营业执照号": LicenceFactory(
        institution=InstitutionFactory(region=r["county"]), kind=LicenceKind.BUSINESS).number},
     "营业执照号", "已在台账中登记"),
    ("region of another county", lambda r: {"区划代码": "370103001"}, "区划代码", "不在您的辖区"),
    ("region of the prefecture", lambda r: {"区划代码": "3701"}, "区划代码", "省或市级区划"),
    ("region that does not exist", lambda r: {"区划代码": "370199999"}, "区划代码", "不存在"),
    ("region not a number", lambda r: {"区划代码": "历下区"}, "区划代码", "应为数字"),
    ("date typed as text", lambda r: {"办学许可证发证日期": "2022.3.1"}, "办学许可证发证日期",
     "是文本，不是日期"),
    ("date as a plain number", lambda r: {"营业执照发证日期": 44562}, "营业执照发证日期", "不是日期"),
    ("required name missing", lambda r: {"机构名称": None}, "机构名称", "必填项为空"),
    ("required address missing", lambda r: {"办学地址": " "}, "办学地址", "必填项为空"),
    ("unknown category", lambda r: {"类别": "学科"}, "类别", "不是可选值"),
    ("unknown premises", lambda r: {"场所类型": "写字楼"}, "场所类型", "不是可选值"),
    ("unknown students served", lambda r: {"培训对象": "义务教育、大学"}, "培训对象", "不是可选的培训对象"),
    ("name too long", lambda r: {"机构名称": "长" * 121}, "机构名称", "内容过长"),
]


@pytest.mark.parametrize(("case", "change", "column", "reason"), BAD_ROWS, ids=[case[0] for case in BAD_ROWS])
def test_bad_row_is_reported_and_never_written(case, change, column, reason, education_inspector_client,
                                               regions,
                                               on_commit):
    bad = ledger_row(**change(regions))  # may register a conflicting institution first
    good = ledger_row()
    before_institutions, before_licences = Institution.objects.count(), Licence.objects.count()
    upload(education_inspector_client, on_commit, workbook_bytes([good, bad]))
    job = latest_job()
    assert (job.state, job.total_rows, job.valid_rows) == (ImportJobState.VALIDATED, 2, 1)
    reported = errors_of(job)
    assert any(row == 3 and col == column and reason in text for row, col, text in reported), reported
    assert all(row == 3 for row, _c, _t in reported)
    assert Institution.objects.count() == before_institutions  # validation writes nothing

    page = detail_page(education_inspector_client, job)
    assert reason in page and "导入 1 条有效记录" in page

    confirm(education_inspector_client, on_commit, job)
    # Only the good row went in, whole: no licence of the bad row was written either.
    assert Institution.objects.count() == before_institutions + 1
    assert Licence.objects.count() == before_licences + 2
    assert not Institution.objects.filter(address=bad["办学地址"] or "-").exists()


def test_duplicates_within_the_file_are_refused(education_inspector_client, regions,
                                                on_commit):
    first = ledger_row()
    second = ledger_row(**{"统一社会信用代码": first["统一社会信用代码"].lower()})
    third = ledger_row(**{"办学许可证号": first["办学许可证号"]})
    upload(education_inspector_client, on_commit, workbook_bytes([first, second, third]))
    job = latest_job()
    assert job.valid_rows == 1
    assert errors_of(job) == [
        (3, "统一社会信用代码", "与本文件第 2 行的统一社会信用代码重复。"),
        (4, "办学许可证号", "与本文件第 2 行的证号重复。"),
    ]


def test_institutions_without_credit_code_are_recognised_by_name_region_and_address(
        education_inspector_client, regions, on_commit):
    InstitutionFactory(name="无证托管班", address="文化路 9 号", region=regions["township"], credit_code="")
    bare = {"统一社会信用代码": "", "办学许可证号": "", "办学许可证发证日期": None,
            "办学许可证有效期至": None, "营业执照号": "", "营业执照发证日期": None}
    rows = [
        ledger_row(**bare, **{"机构名称": "无证托管班", "办学地址": "文化路9号"}),  # already registered
        # not yet registered in the county itself
        ledger_row(**bare, **{"机构名称": "无证托管班", "办学地址": "文化路9号", "区划代码": "370102"}),
        ledger_row(**bare, **{"机构名称": "无证托管班", "办学地址": "文化路9号 ", "区划代码": "370102"}),
    ]
    upload(education_inspector_client, on_commit, workbook_bytes(rows))
    job = latest_job()
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(2, "机构名称"), (4, "机构名称")]
    assert "已在台账中登记" in job.report[0]["reason"] and "与本文件第 3 行" in job.report[1]["reason"]


def test_a_traditional_script_copy_is_recognised_as_the_same_institutions(
        education_inspector_client, regions, on_commit):
    """A real white list republished in Traditional script, with full-width brackets and spaces, named the same
    institutions: each row is caught as a duplicate of the register's Simplified entry, or of an earlier row."""
    InstitutionFactory(name="阳光艺术培训学校(文化路)", address="文化路9号", region=regions["township"],
                       credit_code="")
    bare = {"统一社会信用代码": "", "办学许可证号": "", "办学许可证发证日期": None,
            "办学许可证有效期至": None, "营业执照号": "", "营业执照发证日期": None}
    rows = [
        ledger_row(**bare, **{"机构名称": "陽光藝術培訓學校（文化路）", "办学地址": "文化路９號"}),
        ledger_row(**bare, **{"机构名称": "星光舞蹈培訓中心", "办学地址": "經十路1號"}),
        ledger_row(**bare, **{"机构名称": "星光 舞蹈培训中心", "办学地址": "经十路1号"}),
    ]
    upload(education_inspector_client, on_commit, workbook_bytes(rows))
    job = latest_job()
    assert [(row, column) for row, column, _reason in errors_of(job)] == [(2, "机构名称"), (4, "机构名称")]
    assert "已在台账中登记" in job.report[0]["reason"] and "与本文件第 3 行" in job.report[1]["reason"]
    confirm(education_inspector_client, on_commit, job)
    assert Institution.objects.filter(region=regions["township"]).count() == 2  # the register's and 星光's


def test_a_file_with_only_bad_rows_cannot_be_confirmed(education_inspector_client, regions,
                                                       on_commit):
    upload(education_inspector_client, on_commit,
           workbook_bytes([ledger_row(**{"区划代码": "370202"})]))
    job = latest_job()
    assert job.valid_rows == 0
    page = detail_page(education_inspector_client, job)
    assert "confirm-import" not in page
    response = confirm(education_inspector_client, on_commit, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJobState.VALIDATED and not Institution.objects.exists()


def test_rows_registered_meanwhile_are_refused_at_import_time(education_inspector_client, regions,
                                                             on_commit):
    rows = [ledger_row(), ledger_row()]
    upload(education_inspector_client, on_commit, workbook_bytes(rows))
    job = latest_job()
    assert job.valid_rows == 2
    # Someone registers the second institution between validation and confirmation.
    InstitutionFactory(region=regions["county"], credit_code=rows[1]["统一社会信用代码"])
    confirm(education_inspector_client, on_commit, job)
    job.refresh_from_db()
    assert (job.state, job.imported_rows) == (ImportJobState.DONE, 1)
    assert [(e["row"], e["column"], e["phase"]) for e in job.report] == [(3, "统一社会信用代码", "import")]
    assert Institution.objects.filter(credit_code=rows[1]["统一社会信用代码"]).count() == 1
    page = detail_page(education_inspector_client, job)
    assert "导入时未写入的行" in page


# ---- bad files: refused as a whole, a clear message, nothing written --------------------------------

def _merged_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns.COLUMNS)
    row = ledger_row()
    sheet.append([row[columns.normalize_header(h)] for h in columns.COLUMNS])
    sheet.append([row[columns.normalize_header(h)] for h in columns.COLUMNS])
    sheet.merge_cells("G2:G3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _wrong_headers() -> bytes:
    headers = [columns.normalize_header(h) for h in columns.COLUMNS]
    headers[0] = "单位名称"
    return workbook_bytes([ledger_row()], headers)


def _title_row_above_headers() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["历下区校外培训机构台账"])
    sheet.append(columns.COLUMNS)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _only_headers() -> bytes:
    return workbook_bytes([])


def _not_a_workbook_zip() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


BAD_FILES = [
    ("wrong headers", _wrong_headers, ["表头与导入模板不一致", "缺少列：机构名称", "无法识别的列：单位名称"]),
    ("title row above headers", _title_row_above_headers, ["表头与导入模板不一致", "第1行应为表头"]),
    ("merged cells", _merged_workbook, ["合并单元格", "G2:G3"]),
    ("csv renamed to xlsx", lambda: "机构名称,区划代码\n甲,370102\n".encode(), ["不是 Excel 或 WPS 工作簿"]),
    ("damaged or encrypted xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ["设置了打开密码"]),
    ("zip that is not a workbook", _not_a_workbook_zip, ["无法读取该工作簿"]),
    ("no data rows", _only_headers, ["没有任何数据行"]),
]


@pytest.mark.parametrize(("case", "make", "messages"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_is_rejected_with_a_clear_message(case, make, messages, education_inspector_client, regions,
                                                   on_commit):
    upload(education_inspector_client, on_commit, make())
    job = latest_job()
    assert job.state == ImportJobState.REJECTED
    for message in messages:
        assert message in job.file_error
    page = education_inspector_client.get(reverse("institutions:import_detail", args=[job.pk]))
    assert page.status_code == 200 and messages[0] in page.content.decode()
    assert "confirm-import" not in page.content.decode()
    confirm(education_inspector_client, on_commit, job)
    job.refresh_from_db()
    assert job.state == ImportJobState.REJECTED
    assert not Institution.objects.exists() and not Licence.objects.exists()


def test_more_than_the_row_limit_is_rejected(education_inspector_client, regions, settings,
                                             on_commit):
    assert settings.IMPORT_MAX_ROWS == 10_000
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(columns.COLUMNS)
    for n in range(10_001):
        sheet.append([f"机构{n}", None, None, None, None, "地址", "370102", "商业用房", "学科类"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(education_inspector_client, on_commit, buffer.getvalue())
    job = latest_job()
    assert job.state == ImportJobState.REJECTED
    assert "超过 10,000 行的上限" in job.file_error
    assert not Institution.objects.exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("台账.txt", "机构名称\n甲\n".encode(), "只能导入 Excel 或 WPS 工作簿（.xlsx、.xls、.ods）或 CSV 文件"),
    ("台账.et", b"\xd0\xcf\x11\xe0", "只能导入 Excel 或 WPS 工作簿（.xlsx、.xls、.ods）或 CSV 文件"),
    ("台账.xlsx", b"", "空"),
])
def test_wrong_kind_of_upload_is_refused_before_storing(name, content, message, education_inspector_client,
                                                        regions,
                                                        on_commit):
    response = upload(education_inspector_client, on_commit, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_oversized_upload_is_refused(education_inspector_client, regions, settings,
                                     on_commit):
    settings.IMPORT_MAX_BYTES = 1024
    response = upload(education_inspector_client, on_commit,
                      workbook_bytes([ledger_row() for _ in range(20)]))
    assert response.status_code == 200 and "超过" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_storing(education_inspector_client, regions,
                                                                           settings, on_commit):
    import zipfile

    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    buffer = io.BytesIO(workbook_bytes([ledger_row()]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (2 * 1024 * 1024))  # 2 MB that packs to a few KB
    assert len(buffer.getvalue()) < 64 * 1024
    response = upload(education_inspector_client, on_commit, buffer.getvalue())
    assert response.status_code == 200 and "工作簿解压后超过 1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_upload_cut_off_while_streaming_is_refused(education_inspector_client, regions, settings, on_commit):
    settings.UPLOAD_OTHER_MAX_BYTES = 4096  # the streaming limit of a file that is no photo, video or PDF
    response = upload(education_inspector_client, on_commit, workbook_bytes([ledger_row() for _ in range(50)]))
    assert response.status_code == 200 and "超过" in response.content.decode()
    assert not ImportJob.objects.exists()


# ---- permissions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("client_fixture", ["police_inspector_client", "admin_client_"])
def test_who_may_not_import(request, client_fixture, regions, on_commit):
    client = request.getfixturevalue(client_fixture)
    assert client.get(reverse("institutions:import")).status_code == 403
    assert client.get(reverse("institutions:import_template")).status_code == 403
    response = upload(client, on_commit, workbook_bytes([ledger_row()]))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("institutions:import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_market_supervision_may_import(market_head_client, regions, on_commit):
    upload(market_head_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    confirm(market_head_client, on_commit, job)
    assert Institution.objects.count() == 1


@pytest.mark.parametrize("client_fixture",
                         ["other_county_client", "market_head_client", "police_inspector_client"])
def test_another_departments_job_is_invisible_and_cannot_be_confirmed(request, client_fixture,
                                                                      education_inspector_client, regions,
                                                                      on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    client = request.getfixturevalue(client_fixture)
    for name in ("import_detail", "import_progress"):
        assert client.get(reverse(f"institutions:{name}", args=[job.pk])).status_code in (403, 404)
    response = confirm(client, on_commit, job)
    assert response.status_code in (403, 404)
    cancel = client.post(reverse("institutions:import_cancel", args=[job.pk]))
    assert cancel.status_code in (403, 404)
    job.refresh_from_db()
    assert job.state == ImportJobState.VALIDATED and not Institution.objects.exists()


def test_a_colleague_of_the_same_department_may_confirm(education_inspector_client, education_head_client,
                                                        users,
                                                        regions, on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    confirm(education_head_client, on_commit, job)
    job.refresh_from_db()
    assert job.confirmed_by == users["education_head"]
    assert Institution.objects.get().created_by == users["education_head"]


def test_confirm_and_cancel_need_post(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    for name in ("import_confirm", "import_cancel"):
        response = education_inspector_client.get(reverse(f"institutions:{name}", args=[job.pk]))
        assert response.status_code == 405
    assert not Institution.objects.exists()


# ---- cancel, progress -------------------------------------------------------------------------------

def test_cancel_discards_the_job(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    response = education_inspector_client.post(reverse("institutions:import_cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJobState.CANCELLED
    confirm(education_inspector_client, on_commit, job)
    job.refresh_from_db()
    assert job.state == ImportJobState.CANCELLED and not Institution.objects.exists()


def test_a_done_job_cannot_be_cancelled(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]))
    job = latest_job()
    confirm(education_inspector_client, on_commit, job)
    url = reverse("institutions:import_cancel", args=[job.pk])
    response = education_inspector_client.post(url, follow=True)
    assert "不能取消" in response.content.decode()
    job.refresh_from_db()
    assert job.state == ImportJobState.DONE and Institution.objects.count() == 1


def test_validation_of_a_cancelled_job_does_nothing(users, regions):
    job = _stored_job(users["education_inspector"], [ledger_row()])
    job.state = ImportJobState.CANCELLED
    job.save()
    work.validate_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.total_rows, job.report) == (ImportJobState.CANCELLED, 0, [])


def test_progress_json(education_inspector_client, users, regions, on_commit):
    upload(education_inspector_client, on_commit,
           workbook_bytes([ledger_row(), ledger_row(**{"类别": "?"})]))
    job = latest_job()
    url = reverse("institutions:import_progress", args=[job.pk])
    data = education_inspector_client.get(url).json()
    assert data == {"state": "validated", "state_label": "待确认", "running": False, "total_rows": 2,
                    "processed_rows": 2, "valid_rows": 1, "imported_rows": 0, "percent": 100}
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJobState.IMPORTING, processed_rows=1)
    data = education_inspector_client.get(url).json()
    assert (data["state"], data["running"], data["percent"]) == ("importing", True, 50)
    page = detail_page(education_inspector_client, job)
    assert 'class="progress"' in page and "fetch(url" in page and url in page


def test_template_matches_the_columns(education_inspector_client, regions):
    response = education_inspector_client.get(reverse("institutions:import_template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [cell.value for cell in workbook.worksheets[0][1]] == columns.COLUMNS
    assert workbook.worksheets[1].title == "填写说明"


def test_upload_page_lists_columns_and_recent_jobs(education_inspector_client, regions,
                                                   on_commit):
    upload(education_inspector_client, on_commit, workbook_bytes([ledger_row()]),
           name="历下台账.xlsx")
    page = education_inspector_client.get(reverse("institutions:import")).content.decode()
    assert "历下台账" in page and "统一社会信用代码" in page and "下载导入模板" in page


# ---- the service directly: chunks, resume, query counts -------------------------------------------------

def _stored_job(user, rows) -> ImportJob:
    job = ImportJob(department=user.department, original_name="ledger.xlsx", created_by=user)
    job.file.save("ledger.xlsx", ContentFile(workbook_bytes(rows)), save=False)
    job.save()
    return job


def _validate_and_import(user, rows, on_commit) -> tuple[ImportJob, int, int]:
    job = _stored_job(user, rows)
    with CaptureQueriesContext(connection) as validation:
        work.validate_job(job.pk)
    with on_commit(execute=False):
        jobs.import_confirm(actor=user, job_id=job.pk)
    with CaptureQueriesContext(connection) as writing:
        work.import_job(job.pk)
    job.refresh_from_db()
    return job, len(validation), len(writing)


def test_query_count_does_not_grow_with_rows(users, regions, on_commit):
    user = users["education_inspector"]
    small, small_validation, small_writing = _validate_and_import(
        user, [ledger_row() for _ in range(10)], on_commit)
    big, big_validation, big_writing = _validate_and_import(
        user, [ledger_row() for _ in range(200)], on_commit)
    assert (small.imported_rows, big.imported_rows) == (10, 200)
    assert big_validation <= small_validation + 2, (small_validation, big_validation)
    assert big_writing <= small_writing + 2, (small_writing, big_writing)
    assert big_writing < 30


def test_chunks_cost_a_fixed_number_of_queries(users, regions, monkeypatch, on_commit):
    monkeypatch.setattr(row_parser, "CHUNK_SIZE", 20)
    user = users["education_inspector"]
    _one, _v1, one_chunk = _validate_and_import(user, [ledger_row() for _ in range(20)],
                                                on_commit)
    five, _v5, five_chunks = _validate_and_import(user, [ledger_row() for _ in range(100)],
                                                  on_commit)
    per_chunk = (five_chunks - one_chunk) / 4
    assert five.imported_rows == 100 and Institution.objects.count() == 120
    assert per_chunk <= 12, per_chunk


class WorkerKilled(BaseException):
    """Stands for a worker process dying mid-import (not an Exception: nothing catches it)."""


def test_an_interrupted_import_resumes_without_importing_a_row_twice(users, regions, monkeypatch,
                                                                    on_commit):
    monkeypatch.setattr(row_parser, "CHUNK_SIZE", 5)
    user = users["education_inspector"]
    rows = [ledger_row(**{"统一社会信用代码": "", "办学许可证号": "", "办学许可证发证日期": None,
                          "办学许可证有效期至": None, "营业执照号": "", "营业执照发证日期": None})
            for _ in range(12)]
    job = _stored_job(user, rows)
    work.validate_job(job.pk)
    with on_commit(execute=False):
        jobs.import_confirm(actor=user, job_id=job.pk)
    real_write, calls = work._write_rows, []

    def dying_write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        return real_write(*args, **kwargs)

    monkeypatch.setattr(work, "_write_rows", dying_write)
    with pytest.raises(WorkerKilled):
        work.import_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.processed_rows, job.imported_rows) == (ImportJobState.IMPORTING, 5, 5)
    assert Institution.objects.count() == 5
    monkeypatch.setattr(work, "_write_rows", real_write)
    work.import_job(job.pk)  # the redelivered task
    job.refresh_from_db()
    assert (job.state, job.imported_rows) == (ImportJobState.DONE, 12)
    assert sorted(Institution.objects.values_list("name", flat=True)) == sorted(r["机构名称"] for r in rows)


def test_expired_licence_is_imported_as_expired(users, regions, on_commit):
    row = ledger_row(**{"营业执照号": "", "营业执照发证日期": None, "办学许可证发证日期": date(2015, 1, 1),
                        "办学许可证有效期至": date(2020, 1, 1)})
    job, _v, _w = _validate_and_import(users["education_inspector"], [row], on_commit)
    institution = Institution.objects.get()
    assert institution.licences.get().state == LicenceState.EXPIRED
    assert institution.licence_standing == LicenceStanding.NONE


def test_a_prefecture_user_may_import_into_any_county_below(users, regions, on_commit):
    rows = [ledger_row(**{"区划代码": "370103001"}), ledger_row(**{"区划代码": "370202"})]
    job, _v, _w = _validate_and_import(users["prefecture_head"], rows, on_commit)
    assert job.imported_rows == 1
    assert [(e["row"], e["column"]) for e in job.report] == [(3, "区划代码")]


# ---- other formats: the old binary .xls and OpenDocument (.ods) ------------------------------------------


FIXTURES = Path(__file__).parent / "fixtures"


def ods_bytes(rows: list[dict]) -> bytes:
    """A minimal OpenDocument spreadsheet (as LibreOffice and WPS save them): the template's headers, then rows."""
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value) -> str:
        if value in (None, ""):
            return "<table:table-cell/>"
        if isinstance(value, date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    lines = ["<table:table-row>" + "".join(cell(name) for name in columns.COLUMNS) + "</table:table-row>"]
    for values in rows:
        lines.append("<table:table-row>" + "".join(cell(values.get(name.rstrip("*"))) for name in columns.COLUMNS)
                     + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="台账">' + "".join(lines)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def test_an_old_binary_xls_ledger_is_imported(education_inspector_client, regions, on_commit):
    upload(education_inspector_client, on_commit, (FIXTURES / "ledger.xls").read_bytes(), name="旧台账.xls")
    job = latest_job()
    assert job.state == ImportJobState.VALIDATED, job.file_error
    assert errors_of(job) == []
    confirm(education_inspector_client, on_commit, job)
    institution = Institution.objects.get(name="历下旧版工作簿培训学校")
    assert institution.credit_code == "52370102000700001W"
    assert institution.licences.get(kind="school_running").issued_on == date(2022, 3, 1)


def test_an_opendocument_ledger_is_imported(education_inspector_client, regions, on_commit):
    rows = [ledger_row(), ledger_row(**{"备注": "WPS 另存为 .ods"})]
    upload(education_inspector_client, on_commit, ods_bytes(rows), name="台账.ods")
    job = latest_job()
    assert job.state == ImportJobState.VALIDATED, job.file_error
    confirm(education_inspector_client, on_commit, job)
    assert set(Institution.objects.values_list("name", flat=True)) == {row["机构名称"] for row in rows}
    licence = Licence.objects.get(institution__name=rows[0]["机构名称"], kind="school_running")
    assert licence.valid_until == date(2099, 2, 28)
