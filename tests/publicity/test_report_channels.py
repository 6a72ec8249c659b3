"""Reports by phone, letter or in person (the seed's 接受电话、网络和信件举报): a clerk enters them into the same
ledger with the same deadline from their receipt and a tracking number; bad input is refused and writes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from publicity import services
from publicity.models import Report, ReportChannel
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = reverse("publicity:report_record")


def form(**overrides):
    data = {"channel": "phone", "received_at": (timezone.localtime() - datetime.timedelta(hours=2)).strftime(
        "%Y-%m-%dT%H:%M"), "credit_code": "", "subject_name": "无名补习班", "subject_address": "文化路9号地下室",
        "region": "370102", "content": "周末在地下室上数学课，收费五千元一学期", "reporter_name": "张女士",
        "reporter_phone": "13800000000"}
    data.update(overrides)
    return data


def test_a_phone_report_joins_the_ledger_with_its_clerk_and_deadline(education_inspector_client, users, regions):
    response = education_inspector_client.post(URL, form())
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("publicity:report_detail",
                                                                            args=[report.pk])
    assert (report.channel, report.recorded_by) == (ReportChannel.PHONE, users["education_inspector"])
    received = timezone.localtime(report.received_at)
    assert report.deadline == add_working_days(received.date(), services.REPORT_DEADLINE_WORKING_DAYS)
    event = AuditEvent.objects.get(kind="report.recorded")
    assert event.actor == users["education_inspector"] and event.after["channel"] == "phone"
    assert "张女士" not in str(event.after) and "13800000000" not in str(event.after)
    page = education_inspector_client.get(reverse("publicity:report_ledger")).content.decode()
    assert "电话" in page and "登记电话、信件或来访举报" in page


def test_a_registered_institution_is_found_by_its_credit_code(education_inspector_client, institution):
    education_inspector_client.post(URL, form(channel="letter", credit_code=institution.credit_code,
                                              subject_name="", subject_address=""))
    report = Report.objects.get()
    assert report.institution == institution and report.channel == ReportChannel.LETTER


@pytest.mark.parametrize(("change", "message"), [
    ({"received_at": (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
     "收到时间不能晚于现在"),
    ({"received_at": (timezone.localtime() - datetime.timedelta(days=45)).strftime("%Y-%m-%dT%H:%M")},
     "早于30天前"),
    ({"channel": "web"}, "不是可选的选项"),
    ({"subject_name": "", "subject_address": ""}, "请填写已登记机构的统一社会信用代码"),
    ({"credit_code": "91370102MA3C00000X", "subject_name": "", "subject_address": ""},
     "台账中没有这个统一社会信用代码"),
    ({"received_at": "昨天下午"}, "请填写有效的日期和时间"),
])
def test_bad_input_is_refused_in_chinese_and_writes_nothing(education_inspector_client, change, message):
    before = AuditEvent.objects.count()
    response = education_inspector_client.post(URL, form(**change))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Report.objects.exists() and AuditEvent.objects.count() == before


def test_only_staff_of_the_region_may_record(users, regions):
    with pytest.raises(ActionForbidden):
        services.report_record(actor=users["other_county_inspector"], channel="phone",
                               received_at=timezone.now(), region=regions["county"], content="x",
                               subject_name="甲", subject_address="乙")
    with pytest.raises(ServiceError):
        services.report_record(actor=users["education_inspector"], channel="web", received_at=timezone.now(),
                               region=regions["county"], content="x", subject_name="甲", subject_address="乙")
    assert not Report.objects.exists()


def test_the_public_cannot_reach_the_clerks_form(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]
