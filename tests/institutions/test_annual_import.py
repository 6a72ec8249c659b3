"""A district's published 年检 list imports in its own columns (年检不合格, 被吊销资格, 注销 included), all or nothing;
the register's ledger import accepts 注销 as an operating state; results export to Excel and import again."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from institutions.annual import results_io, services
from institutions.ledger import rows as row_parser
from institutions.models import (
    AnnualInspection,
    AnnualInspectionStatus,
    AnnualMaterialKind,
    AnnualResult,
    Licence,
    LicenceKind,
    LicenceState,
    OperatingState,
)
from penalties.models import RectificationOrder
from regulator.errors import ServiceError
from tests.factories import RectificationOrderFactory, licensed_institution

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _xlsx(rows, title="历下区2024年度校外培训机构年检结果公示") -> SimpleUploadedFile:
    """In the shape a district publishes: a title row, then 序号 / 机构名称 / 办学地址 / 年检结果 / 备注."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.append(["序号", "机构名称", "办学地址", "年检结果", "备注"])
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("年检结果.xlsx", buffer.getvalue())


@pytest.fixture
def plan(users, regions):
    return services.plan_create(actor=users["education_head"], year=TODAY.year - 1,
                                deadline=TODAY + datetime.timedelta(days=30),
                                materials=list(AnnualMaterialKind.objects.all()))


@pytest.fixture
def listed(regions):
    return [licensed_institution(regions["township"], name=name)
            for name in ("历下启明培训学校", "历下博雅培训学校", "历下星辰培训学校", "历下知行培训学校")]


def test_a_real_list_imports_every_result_including_cancellation(users, plan, listed):
    ok, failed, revoked, cancelled = listed
    the_plan = plan
    outcome = results_io.import_results(actor=users["education_head"], plan_id=the_plan.pk, uploaded_file=_xlsx([
        (ok.name, ok.address, "合格", ""),
        (failed.name, failed.address, "年检不合格", "未提交财务审计报告"),
        (revoked.name, revoked.address, "被吊销资格", ""),
        (cancelled.name, cancelled.address, "注销", "举办者申请"),
    ]))
    assert outcome.written, outcome.errors
    by_id = {i.institution_id: i for i in AnnualInspection.objects.filter(plan=the_plan)}
    assert by_id[ok.pk].result == AnnualResult.PASS
    assert (by_id[failed.pk].result, by_id[failed.pk].reasons) == (AnnualResult.FAIL, "未提交财务审计报告")
    assert by_id[revoked.pk].result == AnnualResult.FAIL
    assert Licence.objects.get(institution=revoked, kind=LicenceKind.SCHOOL_RUNNING).state == LicenceState.REVOKED
    assert by_id[cancelled.pk].status == AnnualInspectionStatus.CANCELLED
    cancelled.refresh_from_db()
    assert cancelled.operating_state == OperatingState.CANCELLED and cancelled.cancelled_on == TODAY
    assert Licence.objects.get(institution=cancelled).state == LicenceState.CANCELLED


def test_one_bad_row_writes_nothing_and_names_every_error(users, plan, listed):
    ok, failed, _revoked, _cancelled = listed
    outcome = results_io.import_results(actor=users["education_head"], plan_id=plan.pk, uploaded_file=_xlsx([
        (ok.name, "", "合格", ""),
        (failed.name, "", "优秀", ""),
        ("不存在的培训学校", "", "合格", ""),
        (ok.name, "", "不合格", ""),
    ]))
    assert not outcome.written
    errors = dict(outcome.errors)
    assert "无法识别" in errors[4] and "找不到该机构" in errors[5] and "与第3行是同一家机构" in errors[6]
    assert not AnnualInspection.objects.filter(plan=plan).exclude(status=AnnualInspectionStatus.PENDING).exists()


def test_cancellation_row_refused_while_an_order_is_open_and_nothing_is_written(users, plan, listed):
    ok, _failed, _revoked, cancelled = listed
    RectificationOrderFactory(institution=cancelled)
    outcome = results_io.import_results(actor=users["education_head"], plan_id=plan.pk, uploaded_file=_xlsx([
        (ok.name, "", "合格", ""), (cancelled.name, "", "注销", "")]))
    assert not outcome.written
    assert "未办结" in dict(outcome.errors)[4]
    cancelled.refresh_from_db()
    assert cancelled.operating_state == OperatingState.OPERATING
    assert not AnnualInspection.objects.filter(plan=plan, status=AnnualInspectionStatus.DECIDED).exists()


def test_a_file_without_the_two_columns_is_refused(users, plan):
    workbook = Workbook()
    workbook.active.append(["名称", "地址"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ServiceError, match="没有找到表头"):
        results_io.import_results(actor=users["education_head"], plan_id=plan.pk,
                                  uploaded_file=SimpleUploadedFile("x.xlsx", buffer.getvalue()))


def test_export_imports_again(users, plan, listed):
    outcome = results_io.import_results(actor=users["education_head"], plan_id=plan.pk, uploaded_file=_xlsx([
        (listed[0].name, "", "基本合格", "安全记录不全")]))
    assert outcome.written
    sheet = load_workbook(io.BytesIO(results_io.export_results(plan))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "机构名称", "统一社会信用代码", "办学许可证号", "所在区划", "年检结果")
    assert ("基本合格", "安全记录不全") in [(row[5], row[6]) for row in rows[1:]]


def test_the_import_page(education_head_client, plan, listed):
    url = reverse("institutions:annual_plan_import", args=[plan.pk])
    response = education_head_client.post(url, {"file": _xlsx([(listed[0].name, "", "不合格", "")])})
    assert response.status_code == 302
    response = education_head_client.post(url, {"file": _xlsx([("无此机构", "", "合格", "")])})
    assert response.status_code == 200 and "找不到该机构" in response.content.decode()
    assert not RectificationOrder.objects.exists()  # an imported 不合格 records the result; orders are drafted by hand


def test_the_register_ledger_accepts_cancelled_rows():
    maps = row_parser._choice_maps()
    assert maps["经营状态"]["注销"] == OperatingState.CANCELLED
    assert maps["经营状态"]["已注销"] == OperatingState.CANCELLED


def test_a_register_ledger_with_cancelled_rows_imports(education_inspector_client, users, regions,
                                                      django_capture_on_commit_callbacks):
    from institutions.models import ImportJob, ImportJobState, Institution
    from tests.institutions.test_import import confirm, ledger_row, upload, workbook_bytes

    rows = [ledger_row(**{"经营状态": "注销"}), ledger_row(**{"经营状态": "已注销"}), ledger_row()]
    upload(education_inspector_client, django_capture_on_commit_callbacks, workbook_bytes(rows))
    job = ImportJob.objects.latest("id")
    assert (job.state, job.valid_rows, job.report) == (ImportJobState.VALIDATED, 3, [])
    confirm(education_inspector_client, django_capture_on_commit_callbacks, job)
    states = sorted(Institution.objects.values_list("operating_state", flat=True))
    assert states == ["cancelled", "cancelled", "operating"]
