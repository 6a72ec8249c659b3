"""Parents' reports of a charge outside the supervised account (收费未进入监管账户): filed on the public report form
with amount, date, payee and an optional transfer screenshot, and raised by the daily fund alert job as their own
alert kind — with nothing of the reporter (name, phone, tracking number, screenshot) reaching the fund staff."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from institutions.funds import services
from institutions.funds.models import AlertKind, FundAlert
from publicity import services as report_services
from publicity.models import EntryStatus, Report, ReportTopic
from regulator.errors import ServiceError
from regulator.models import AuditEvent
from tests.factories import ListEntryFactory
from tests.factories.funds import bound_account

pytestmark = pytest.mark.django_db

REPORTER_NAME = "家长李保密"
REPORTER_PHONE = "13900001111"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def public_institution(institution):
    """On the published white list, so the public report form offers it."""
    ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED)
    return institution


def _screenshot() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile("转账截图.png", buffer.getvalue(), content_type="image/png")


def _post(institution, **overrides):
    data = {"institution": institution.pk, "topic": "off_account", "content": "机构让我转账到老板个人账户交学费。",
            "charge_amount": "4800", "charge_paid_on": (TODAY - datetime.timedelta(days=3)).isoformat(),
            "charge_payee": "张某 6222020200112233445", "reporter_name": REPORTER_NAME,
            "reporter_phone": REPORTER_PHONE, "website": ""}
    data.update(overrides)
    return Client().post(reverse("publicity:report_form") + f"?institution={institution.pk}", data)


def _report(institution, **charge):
    return report_services.report_file(
        region=None, institution=institution, content="收费没有进监管账户", reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE, topic=ReportTopic.OFF_ACCOUNT,
        charge={"amount": "4800", "paid_on": TODAY - datetime.timedelta(days=3), "payee": "张某个人微信", **charge})


def test_the_public_form_files_the_charge_with_its_screenshot(public_institution):
    response = _post(public_institution, payment_proof=_screenshot())
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.topic == ReportTopic.OFF_ACCOUNT and report.charge_amount == Decimal("4800.00")
    assert report.charge_paid_on == TODAY - datetime.timedelta(days=3)
    assert report.charge_payee == "张某 6222020200112233445"
    proof = report.attachments.get()
    assert proof.is_payment_proof  # re-encoded like every report photo


@pytest.mark.parametrize("field,value,message", [
    ("charge_amount", "", "请填写缴费金额（元）。"),
    ("charge_amount", "-5", "不能小于 0.01。"),
    ("charge_paid_on", "", "请填写缴费日期。"),
    ("charge_payee", " ", "请填写收款账户或收款方"),
])
def test_an_incomplete_charge_is_refused_in_chinese_and_nothing_written(public_institution, field, value, message):
    response = _post(public_institution, **{field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_a_charge_dated_in_the_future_is_refused_by_the_service(institution):
    with pytest.raises(ServiceError) as error:
        _report(institution, paid_on=TODAY + datetime.timedelta(days=1))
    assert error.value.message == "缴费日期不能晚于今天。"
    assert not Report.objects.exists()


def test_a_general_report_keeps_no_charge(public_institution):
    assert _post(public_institution, topic="general").status_code == 302
    report = Report.objects.get()
    assert report.topic == ReportTopic.GENERAL and report.charge_amount is None and report.charge_payee == ""


def test_the_daily_job_raises_one_alert_per_report(users, institution):
    bound_account(actor=users["education_head"], institution=institution)
    report = _report(institution)
    report_services.report_file(region=None, institution=institution, content="周末上课")  # another topic
    assert services.alerts_compute() == 1
    alert = FundAlert.objects.get(kind=AlertKind.PARENT_REPORT)
    assert alert.get_kind_display() == "家长反映收费未进入监管账户"
    assert alert.amount == Decimal("4800.00") and alert.source_report_id == report.pk
    assert "向“张某个人微信”缴费 4800.00 元，未进入资金监管账户（未附转账截图" in alert.detail
    assert "齐鲁银行 ************5678" in alert.detail
    assert services.alerts_compute() == 0  # once


def test_old_reports_and_unregistered_subjects_raise_nothing(users, institution, regions):
    _report(institution).__class__.objects.update(received_at=timezone.now() - datetime.timedelta(days=40))
    report_services.report_file(region=regions["county"], subject_name="无证补习班", subject_address="某小区3号楼",
                                content="收费进个人账户", topic=ReportTopic.OFF_ACCOUNT,
                                charge={"amount": "3000", "paid_on": TODAY, "payee": "现金"})
    assert services.alerts_compute() == 0
    assert not FundAlert.objects.exists()


def test_the_reporter_never_reaches_the_fund_staff(users, public_institution):
    assert _post(public_institution, payment_proof=_screenshot()).status_code == 302
    report = Report.objects.get()
    services.alerts_compute()
    alert = FundAlert.objects.get(kind=AlertKind.PARENT_REPORT)
    secrets = (REPORTER_NAME, REPORTER_PHONE, report.tracking_number, report.tracking_display)
    assert not any(secret in alert.detail for secret in secrets)
    event = AuditEvent.objects.get(kind="fund_alert.raised", object_id=str(alert.pk))
    assert not any(secret in str(event.after) + event.summary for secret in secrets)
    client = Client()
    client.force_login(users["education_head"])
    for url in (reverse("funds:alert_detail", args=[alert.pk]), reverse("funds:alert_list"),
                reverse("funds:institution", args=[public_institution.pk]), reverse("queue")):
        page = client.get(url).content.decode()
        assert not any(secret in page for secret in secrets), url
    page = client.get(reverse("funds:alert_detail", args=[alert.pk])).content.decode()
    assert "附转账截图" in page
    assert reverse("publicity:report_detail", args=[report.pk]) in page  # the report's page, under its own rules
    assert "/attachments/" not in page and "report_attachment" not in page
    # the report's page itself keeps the identity for the handling department (none assigned yet)
    report_page = client.get(reverse("publicity:report_detail", args=[report.pk])).content.decode()
    assert REPORTER_NAME not in report_page and REPORTER_PHONE not in report_page
    assert "4800.00" in report_page and "转账截图" in report_page
