"""年检结论通知书: numbered when the result is recorded, rendered after commit in the enforcement documents' layout
(fonts embedded and subset), with the institution, licence, year, result and reasons, what follows, the remedy
lines, issuer and date; downloadable after the plan's region check, verifiable by its number."""

import datetime
import re
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from institutions.annual import services
from institutions.models import AnnualInspection, AnnualMaterialKind, AnnualResult, Licence, LicenceKind
from regulator.errors import ServiceError
from regulator.models import DocumentSequence, VerificationRecord
from tests.factories import licensed_institution

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
FONT_ROW = re.compile(r"^(?P<name>\S+)\s.*\s(?P<emb>yes|no)\s+(?P<sub>yes|no)\s+(?P<uni>yes|no)\s+\d+\s+\d+\s*$")


def _text(content: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(content)
    output = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(output.split())


def _fonts(content: bytes, tmp_path) -> list[dict]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [m.groupdict() for line in output.splitlines()[2:] if (m := FONT_ROW.match(line))]


@pytest.fixture
def licensed(regions):
    return licensed_institution(regions["township"])


def _reviewed(users, institution):
    plan = services.plan_create(actor=users["education_head"], year=TODAY.year - 1,
                                deadline=TODAY + datetime.timedelta(days=30),
                                materials=list(AnnualMaterialKind.objects.all()))
    inspection = plan.inspections.get(institution=institution)
    for kind in plan.materials.all():
        services.material_receive(actor=users["education_inspector"], inspection_id=inspection.pk, kind_id=kind.pk,
                                  received_on=TODAY)
    services.desk_review(actor=users["education_inspector"], inspection_id=inspection.pk, note="材料齐全")
    return inspection


def _decide(users, inspection, capture, result=AnnualResult.FAIL, reasons="未按规定使用资金监管账户"):
    with capture(execute=True):  # the render task runs on commit
        services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=result, reasons=reasons)
    inspection.refresh_from_db()
    return inspection


def _content(inspection) -> bytes:
    with default_storage.open(inspection.notice_pdf.name, "rb") as handle:
        return handle.read()


def test_a_fail_notice_states_everything_with_embedded_fonts(users, licensed, tmp_path,
                                                               django_capture_on_commit_callbacks):
    inspection = _decide(users, _reviewed(users, licensed), django_capture_on_commit_callbacks)
    department = inspection.plan.department
    assert inspection.notice_number == f"{department.short_name or department.name}年检字〔{TODAY.year}〕第1号"
    content = _content(inspection)
    assert len(content) < 120_000
    text = _text(content, tmp_path)
    licence = Licence.objects.get(institution=licensed, kind=LicenceKind.SCHOOL_RUNNING)
    order_deadline = f"{inspection.decided_on + datetime.timedelta(days=30):%Y年%-m月%-d日}"
    for expected in ("年检结论通知书", inspection.notice_number, licensed.name, licensed.credit_code, licence.number,
                     f"{TODAY.year - 1}年度", "年检结论为：不合格", "未按规定使用资金监管账户", "限期整改",
                     order_deadline,
                     "《限期整改通知书》", "连续2年年检不合格", "六十日内", "申请行政复议", "六个月内", "提起行政诉讼",
                     department.name, f"{inspection.decided_on:%Y年%-m月%-d日}"):
        assert expected in text, expected
    fonts = _fonts(content, tmp_path)
    assert fonts
    for font in fonts:
        assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes"), font
    assert inspection.notice_sha256
    record = VerificationRecord.objects.get(object_type="institutions.annualinspection", object_id=str(inspection.pk))
    assert (record.number, record.sha256, record.subject_name) == (
        inspection.notice_number, inspection.notice_sha256, licensed.name)


@pytest.mark.parametrize("result, reasons, follows", [
    (AnnualResult.PASS, "", "继续依法规范办学"),
    (AnnualResult.BASIC_PASS, "安全管理记录不完整", "下一年度年检时书面报告整改情况"),
])
def test_pass_and_basic_pass_notices(users, licensed, tmp_path, django_capture_on_commit_callbacks, result, reasons,
                                     follows):
    inspection = _decide(users, _reviewed(users, licensed), django_capture_on_commit_callbacks, result, reasons)
    text = _text(_content(inspection), tmp_path)
    assert f"年检结论为：{AnnualResult(result).label}" in text and follows in text and "限期整改" not in text
    assert reasons in text


def test_a_refused_result_takes_no_number(users, licensed, django_capture_on_commit_callbacks):
    inspection = _reviewed(users, licensed)
    with pytest.raises(ServiceError), django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.decide(actor=users["education_head"], inspection_id=inspection.pk, result=AnnualResult.FAIL)
    assert not callbacks
    inspection.refresh_from_db()
    assert not inspection.notice_number and not inspection.notice_pdf
    assert not DocumentSequence.objects.filter(kind=services.NOTICE_DOCUMENT_KIND).exists()


def test_downloaded_after_the_region_check(users, licensed, education_head_client, other_county_client,
                                           django_capture_on_commit_callbacks):
    inspection = _decide(users, _reviewed(users, licensed), django_capture_on_commit_callbacks)
    url = reverse("institutions:annual_notice_pdf", args=[inspection.pk])
    assert url in education_head_client.get(inspection.get_absolute_url()).content.decode()
    assert url in education_head_client.get(licensed.get_absolute_url()).content.decode()
    response = education_head_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF")
    refused = other_county_client.get(url)
    assert refused.status_code == 403 and "不在您的管辖范围内" in refused.content.decode()


def test_an_undecided_inspection_has_no_notice(users, licensed, education_head_client):
    inspection = _reviewed(users, licensed)
    response = education_head_client.get(reverse("institutions:annual_notice_pdf", args=[inspection.pk]),
                                         follow=True)
    assert "作出年检结论后才有年检结论通知书" in response.content.decode()
    assert not AnnualInspection.objects.get(pk=inspection.pk).notice_pdf
