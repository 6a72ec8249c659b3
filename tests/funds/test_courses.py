"""Course and fee filing: submission checked against the rules, review, import from Excel, the pages and the
public institution page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from institutions.funds import services
from institutions.funds.models import Course, CourseStatus
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests.factories.funds import NOW, course_data, filed_course, guided_price, submitted_course

pytestmark = pytest.mark.django_db


def test_submit_then_file_writes_audit_events(users, institution, teacher, regions):
    guided_price(regions["county"])
    course = submitted_course(actor=users["education_inspector"], institution=institution, teachers=[teacher.pk])
    assert course.status == CourseStatus.SUBMITTED
    assert course.fee_total == 60 * 56
    assert list(course.teachers.all()) == [teacher]
    services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.FILED, now=NOW)
    course.refresh_from_db()
    assert course.status == CourseStatus.FILED and course.reviewed_by == users["education_head"]
    kinds = list(AuditEvent.objects.filter(object_id=str(course.pk)).order_by("id").values_list("kind", flat=True))
    assert kinds == ["course.submitted", "course.filed"]


def test_a_holiday_lesson_is_refused_and_nothing_written(users, institution):
    with pytest.raises(ServiceError) as error:
        submitted_course(actor=users["education_inspector"], institution=institution, skipped_dates="")
    assert "2025-10-01" in error.value.message
    assert not Course.objects.exists() and not AuditEvent.objects.filter(kind="course.submitted").exists()


def test_a_fee_above_the_guided_price_is_refused(users, institution, regions):
    guided_price(regions["county"], max_fee="50")
    with pytest.raises(ServiceError) as error:
        submitted_course(actor=users["education_inspector"], institution=institution)
    assert "政府指导价 50.00 元" in error.value.message
    assert not Course.objects.exists()


def test_the_most_specific_guided_price_applies(users, institution, regions):
    guided_price(regions["prefecture"], max_fee="50")
    guided_price(regions["county"], max_fee="70")
    assert submitted_course(actor=users["education_inspector"], institution=institution).pk


@pytest.mark.parametrize("field,value", [("name", ""), ("lesson_minutes", "abc"), ("fee_per_hour", "x"),
                                         ("starts_on", "2025-13-01"), ("category", "magic"), ("schedule", "周八"),
                                         ("fee_per_hour", "NaN"), ("class_size", "0")])
def test_bad_fields_are_refused_on_their_field(users, institution, field, value):
    with pytest.raises(ServiceError) as error:
        submitted_course(actor=users["education_inspector"], institution=institution, **{field: value})
    assert field in error.value.errors
    assert not Course.objects.exists()


def test_teachers_must_belong_and_be_qualified(users, institution, teacher):
    from tests.factories import TeacherFactory

    stranger = TeacherFactory()
    with pytest.raises(ServiceError):
        submitted_course(actor=users["education_inspector"], institution=institution, teachers=[stranger.pk])
    unqualified = TeacherFactory(institution=institution, qualification_number="")
    with pytest.raises(ServiceError) as error:
        submitted_course(actor=users["education_inspector"], institution=institution, teachers=[unqualified.pk])
    assert "教师资格证" in error.value.message


def test_only_education_of_the_region_may_submit(users, institution):
    for who in ("market_head", "police_inspector", "other_county_inspector"):
        with pytest.raises(ActionForbidden):
            submitted_course(actor=users[who], institution=institution)


def test_review_return_needs_a_reason_and_allows_resubmission(users, institution):
    course = submitted_course(actor=users["education_inspector"], institution=institution)
    with pytest.raises(ServiceError):
        services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.RETURNED)
    services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.RETURNED,
                           reason="请补充培训材料")
    again = services.course_submit(actor=users["education_inspector"], institution_id=institution.pk,
                                   course_id=course.pk, data=course_data(name="初二数学提高班（补正）"), now=NOW)
    assert again.pk == course.pk and again.status == CourseStatus.SUBMITTED


def test_inspectors_may_not_review_and_decided_courses_stay_decided(users, institution):
    course = submitted_course(actor=users["education_inspector"], institution=institution)
    with pytest.raises(ActionForbidden):
        services.course_review(actor=users["education_inspector"], course_id=course.pk, decision=CourseStatus.FILED)
    services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.REFUSED,
                           reason="超纲")
    for decision in CourseStatus.values:
        with pytest.raises(TransitionNotAllowed):
            services.course_review(actor=users["education_head"], course_id=course.pk, decision=decision, reason="x")
    with pytest.raises(TransitionNotAllowed):
        services.course_submit(actor=users["education_inspector"], institution_id=institution.pk,
                               course_id=course.pk, data=course_data())


def test_filing_rechecks_the_rules(users, institution, regions):
    course = submitted_course(actor=users["education_inspector"], institution=institution)
    guided_price(regions["county"], max_fee="40")  # the price was lowered after submission
    with pytest.raises(ServiceError):
        services.course_review(actor=users["education_head"], course_id=course.pk, decision=CourseStatus.FILED)
    course.refresh_from_db()
    assert course.status == CourseStatus.SUBMITTED


# ---- import ------------------------------------------------------------------------------------------------

HEADER = ["班次名称", "科目", "类别", "招生对象学段", "年级", "培训内容与大纲", "开班日期", "结班日期", "每周课表",
          "停课日期",
          "每课时时长（分钟）", "总课时", "班额（人）", "每课时收费（元）", "授课教师"]


def workbook(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("courses.xlsx", out.getvalue())


def row(name="初一英语", skipped="2025-10-01,2025-10-06,2025-10-08", teacher="王老师", fee=55):
    import datetime

    return [name, "英语", "学科类", "义务教育", "七年级", "同步", datetime.datetime(2025, 9, 8),
            datetime.datetime(2025, 12, 17), "周一 18:00-19:00；周三 18:00-19:00", skipped, 45, 30, 20, fee, teacher]


def test_import_creates_every_row(users, institution, teacher):
    courses = services.course_import(actor=users["education_inspector"], institution_id=institution.pk,
                                     uploaded_file=workbook([row(), row(name="初二英语")]), now=NOW)
    assert [c.name for c in courses] == ["初一英语", "初二英语"]
    assert list(courses[0].teachers.all()) == [teacher]


def test_import_with_one_bad_row_imports_nothing(users, institution, teacher):
    with pytest.raises(services.CourseImportRefused) as error:
        services.course_import(actor=users["education_inspector"], institution_id=institution.pk,
                               uploaded_file=workbook([row(), row(name="坏班", skipped=""), row(teacher="李四")]),
                               now=NOW)
    reasons = dict(error.value.rows)
    assert set(reasons) == {3, 4}
    assert "2025-10-01" in reasons[3] and "李四" in reasons[4]
    assert not Course.objects.exists()


def test_import_refuses_a_file_without_the_columns_or_not_excel(users, institution):
    with pytest.raises(services.CourseImportRefused) as error:
        services.course_import(actor=users["education_inspector"], institution_id=institution.pk,
                               uploaded_file=workbook([row()], header=HEADER[:3]))
    assert "缺少列" in error.value.message
    with pytest.raises(services.CourseImportRefused):
        services.course_import(actor=users["education_inspector"], institution_id=institution.pk,
                               uploaded_file=SimpleUploadedFile("a.xlsx", b"not a zip"))


# ---- pages -------------------------------------------------------------------------------------------------


def test_course_pages_submit_review_and_public_page(education_inspector_client, education_head_client, client,
                                                    institution, teacher, users):
    url = reverse("funds:course_create", args=[institution.pk])
    assert education_inspector_client.get(url).status_code == 200
    data = course_data(teachers=[teacher.pk], starts_on="2025-09-08", ends_on="2025-12-17", fee_total="")
    bad = education_inspector_client.post(url, {**data, "skipped_dates": ""})
    assert bad.status_code == 400 and "国家法定节假日" in bad.content.decode()
    assert not Course.objects.exists()
    # the rules are checked against "now": submit within the test's clock-independent term
    response = education_inspector_client.post(url, data)
    assert response.status_code == 302
    course = Course.objects.get()
    review = education_head_client.post(reverse("funds:course_review", args=[course.pk]),
                                        {"decision": CourseStatus.RETURNED, "reason": ""})
    assert review.status_code == 400 and "须写明理由" in review.content.decode()
    education_head_client.post(reverse("funds:course_review", args=[course.pk]), {"decision": CourseStatus.FILED})
    course.refresh_from_db()
    assert course.status == CourseStatus.FILED
    from tests.factories import ListEntryFactory

    ListEntryFactory(institution=institution, black=True, published=True)  # the institution has a public page
    public = client.get(reverse("publicity:institution_page", args=[institution.pk])).content.decode()
    assert "初二数学提高班" in public and "王老师" in public and "未登记资金监管账户" in public


def test_course_pages_refuse_other_departments(market_head_client, other_county_client, institution, users):
    course = submitted_course(actor=users["education_inspector"], institution=institution)
    assert market_head_client.get(reverse("funds:course_create", args=[institution.pk])).status_code == 403
    assert market_head_client.post(reverse("funds:course_review", args=[course.pk]),
                                   {"decision": "filed"}).status_code == 403
    assert other_county_client.get(reverse("funds:course_detail", args=[course.pk])).status_code == 403


def test_course_import_page_lists_refused_rows(education_inspector_client, institution, teacher):
    response = education_inspector_client.post(reverse("funds:course_import", args=[institution.pk]),
                                               {"file": workbook([row(skipped="")])})
    assert response.status_code == 400
    assert "refused-rows" in response.content.decode() and not Course.objects.exists()


def test_institution_funds_page(education_head_client, institution, users):
    filed_course(actor=users["education_inspector"], reviewer=users["education_head"], institution=institution)
    response = education_head_client.get(reverse("funds:institution", args=[institution.pk]))
    assert response.status_code == 200 and "初二数学提高班" in response.content.decode()


def test_pending_list_query_count(education_head_client, institution, users, django_assert_num_queries):
    for n in range(3):
        submitted_course(actor=users["education_inspector"], institution=institution, name=f"班{n}")
    education_head_client.get(reverse("funds:course_list"))
    with django_assert_num_queries(3):  # session, user with department, rows with institution
        response = education_head_client.get(reverse("funds:course_list"))
    assert response.content.decode().count("班") >= 3


def test_materials_must_be_a_pdf_or_an_image(users, institution, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ServiceError) as error:
        services.course_submit(actor=users["education_inspector"], institution_id=institution.pk, data=course_data(),
                               materials=SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 10), now=NOW)
    assert error.value.field == "materials" and not Course.objects.exists()
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    course = services.course_submit(actor=users["education_inspector"], institution_id=institution.pk,
                                    data=course_data(), materials=SimpleUploadedFile("a.pdf", out.getvalue()), now=NOW)
    assert course.materials.name.endswith(".pdf")


@pytest.mark.parametrize("how", ["declared", "named_by_the_roster"])
def test_an_in_service_teacher_is_refused_as_a_class_teacher(users, institution, teacher, regions, how):
    """Declared by the institution, or flagged by an education bureau's in-service roster (institutions/roster.py):
    either way the class is refused and nothing is written."""
    from django.utils import timezone

    guided_price(regions["county"])
    if how == "declared":
        teacher.is_in_service_teacher = True
        teacher.save(update_fields=["is_in_service_teacher"])
    else:
        teacher.in_service_flagged_at = timezone.now()
        teacher.save(update_fields=["in_service_flagged_at"])
    with pytest.raises(ServiceError) as error:
        submitted_course(actor=users["education_inspector"], institution=institution, teachers=[teacher.pk])
    assert "在职中小学教师不得在校外培训机构任教" in error.value.message
    assert not Course.objects.exists() and not AuditEvent.objects.filter(kind="course.submitted").exists()
