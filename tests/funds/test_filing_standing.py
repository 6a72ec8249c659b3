"""Filing checks the institution's standing and the guided price of the class's subject: a missing, expired,
suspended, revoked or cancelled school-running licence, an institution no longer running, or the 暂停招生及收费
mark of a re-registration campaign refuses the filing (submission, import and review) with the problem named; the
most specific guided price (region, then subject) applies and its refusal names the subject and the price."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from institutions import campaigns
from institutions.changes import institution_cancel
from institutions.funds import services
from institutions.funds.models import Course, CourseStatus, GuidedPrice
from institutions.models import Licence, LicenceKind, LicenceState, RegisterCampaignKind
from regulator.errors import ServiceError
from regulator.models import AuditEvent
from tests.factories.funds import NOW, course_data, guided_price, submitted_course

pytestmark = pytest.mark.django_db

LICENCE = "教民137010270000011号"


def _refusal(users, institution, **overrides) -> str:
    with pytest.raises(ServiceError) as error:
        submitted_course(actor=users["education_inspector"], institution=institution, **overrides)
    assert not Course.objects.exists() and not AuditEvent.objects.filter(kind="course.submitted").exists()
    return error.value.message


def test_a_licence_in_force_files(users, institution):
    assert submitted_course(actor=users["education_inspector"], institution=institution).pk


def test_no_school_licence_is_refused(users, institution):
    Licence.objects.filter(institution=institution).update(kind=LicenceKind.BUSINESS)  # 有照无证
    assert "该机构没有办学许可证，不能备案班次。" in _refusal(users, institution)


@pytest.mark.parametrize("state,words", [
    (LicenceState.EXPIRED, "已于 2025-06-30 过期"),
    (LicenceState.SUSPENDED, "已被暂扣"),
    (LicenceState.REVOKED, "已被吊销"),
    (LicenceState.CANCELLED, "已注销"),
])
def test_a_licence_not_in_force_is_refused_with_its_state(users, institution, state, words):
    Licence.objects.filter(institution=institution).update(state=state, valid_until=datetime.date(2025, 6, 30))
    assert f"该机构的办学许可证（{LICENCE}）{words}，不能备案班次。" in _refusal(users, institution)


def test_a_licence_past_its_date_counts_as_expired_before_the_nightly_job(users, institution):
    Licence.objects.filter(institution=institution).update(valid_until=datetime.date(2025, 8, 1))
    assert f"办学许可证（{LICENCE}）已于 2025-08-01 过期" in _refusal(users, institution)


def test_a_cancelled_institution_is_refused(users, institution):
    institution_cancel(actor=users["education_head"], institution_id=institution.pk,
                       cancelled_on=datetime.date(2025, 8, 1), reason="举办者申请注销")
    message = _refusal(users, institution)
    assert "该机构经营状态为“已注销”" in message and "已注销，不能备案班次" in message


def test_the_re_registration_mark_refuses_filing(users, institution):
    campaigns.campaign_open(actor=users["joint_office"], kind=RegisterCampaignKind.RE_REGISTRATION,
                            name="重新审核登记", deadline=datetime.date(2026, 12, 31))
    assert campaigns.enrolment_suspends(institution.pk)
    assert "处于“暂停招生及收费”状态，不能备案班次" in _refusal(users, institution)


def test_review_checks_the_standing_again(users, institution):
    course = submitted_course(actor=users["education_inspector"], institution=institution)
    Licence.objects.filter(institution=institution).update(state=LicenceState.REVOKED)
    with pytest.raises(ServiceError) as error:
        services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.FILED,
                               now=NOW)
    assert "已被吊销" in error.value.message
    course.refresh_from_db()
    assert course.status == CourseStatus.SUBMITTED
    # returning or refusing it is still possible
    services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.REFUSED,
                           reason="办学许可证已被吊销", now=NOW)


def test_the_import_lists_the_standing_problem_on_each_row(users, institution):
    Licence.objects.filter(institution=institution).update(state=LicenceState.SUSPENDED)
    workbook = Workbook()
    sheet = workbook.active
    header = ["班次名称", "科目", "类别", "招生对象学段", "培训内容与大纲", "开班日期", "结班日期", "每周课表",
              "停课日期", "每课时时长（分钟）", "总课时", "班额（人）", "每课时收费（元）"]
    sheet.append(header)
    data = course_data()
    sheet.append([data["name"], "数学", "学科类", "义务教育", data["syllabus"], "2025-09-08", "2025-12-17",
                  data["schedule"], data["skipped_dates"], 45, 56, 20, 60])
    out = io.BytesIO()
    workbook.save(out)
    upload = SimpleUploadedFile("班次.xlsx", out.getvalue())
    with pytest.raises(services.CourseImportRefused) as error:
        services.course_import(actor=users["education_inspector"], institution_id=institution.pk,
                               uploaded_file=upload, now=NOW)
    assert error.value.rows and "已被暂扣" in error.value.rows[0][1]
    assert not Course.objects.exists()


def test_the_filing_page_shows_the_reason(client, users, institution):
    Licence.objects.filter(institution=institution).update(state=LicenceState.REVOKED)
    client.force_login(users["education_inspector"])
    data = {key: value for key, value in course_data().items() if key != "teachers"}
    response = client.post(reverse("funds:course_create", args=[institution.pk]), data)
    assert response.status_code == 400
    assert "已被吊销，不能备案班次" in response.content.decode()


# ---- guided prices per subject -----------------------------------------------------------------------------


def _price(institution, subject, on=datetime.date(2025, 8, 20)):
    row = services.guided_price(region_code=institution.region_id, stage="compulsory", delivery="offline", on=on,
                                subject=subject)
    return row.max_fee_per_hour if row else None


def test_the_most_specific_row_wins(institution, regions):
    guided_price(regions["province"], max_fee="90")
    guided_price(regions["province"], max_fee="70", subject="数学")
    assert _price(institution, "数学") == 70  # the subject's own row over the row of every subject
    assert _price(institution, "英语") == 90  # no row of its own: the row of every subject
    guided_price(regions["county"], max_fee="65")
    assert _price(institution, "数学") == 65  # a county's table replaces its province's
    guided_price(regions["county"], max_fee="50", subject="数学")
    assert _price(institution, "数学") == 50 and _price(institution, "英语") == 65
    guided_price(regions["county"], max_fee="55", subject="数学", valid_from=datetime.date(2025, 9, 1))
    assert _price(institution, "数学") == 50  # not in force yet
    assert _price(institution, "数学", on=datetime.date(2025, 9, 1)) == 55


def test_a_fee_above_the_subject_price_is_refused_naming_subject_and_price(users, institution, regions):
    guided_price(regions["county"], max_fee="80")
    guided_price(regions["county"], max_fee="55", subject="数学")
    message = _refusal(users, institution)
    assert "“数学”每课时收费 60.00 元，高于本地政府指导价 55.00 元（适用于“数学”）" in message
    assert submitted_course(actor=users["education_inspector"], institution=institution, subject="英语",
                            name="英语班").pk  # 60 ≤ 80 for every other subject


def test_a_required_price_missing_for_the_subject_names_it(settings, users, institution, regions):
    settings.FUNDS_GUIDED_PRICE_REQUIRED = True
    guided_price(regions["county"], max_fee="80", subject="英语")
    assert "尚未制定该学段“数学”的政府指导价" in _refusal(users, institution)


def test_one_row_per_region_stage_delivery_subject_and_day(regions):
    from django.db import IntegrityError, transaction

    guided_price(regions["county"], subject="数学")
    guided_price(regions["county"])  # every subject: another row
    with pytest.raises(IntegrityError), transaction.atomic():
        guided_price(regions["county"], subject="数学")
    assert GuidedPrice.objects.count() == 2
