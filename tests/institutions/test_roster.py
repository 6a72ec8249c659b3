"""The in-service teacher roster: imported by education staff holding the permission, checked whole (GB 11643,
duplicates) with each row's reason, versioned, held apart; it flags the matching teachers."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from institutions import permissions, roster, services
from institutions.models import InServiceRoster, InServiceRosterEntry, Teacher
from regulator.errors import ActionForbidden
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

GOOD_ID = "11010519491231002X"
OTHER_ID = "110105199001011232"
BAD_ID = "110105199001011231"


def _grant(user):
    user.user_permissions.add(Permission.objects.get(codename="keep_in_service_roster"))
    return type(user).objects.get(pk=user.pk)  # a fresh object: the permission cache is per object


def _xlsx(rows, name="在职教师.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2026年历下区在职中小学教师名单"])
    sheet.append(["姓名", "身份证号", "任职学校"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _csv(rows):
    text = "姓名,身份证号\n" + "".join(f"{a},{b}\n" for a, b in rows)
    return SimpleUploadedFile("名单.csv", text.encode("gb18030"))


@pytest.fixture
def keeper(users):
    return _grant(users["education_head"])


@pytest.fixture
def teacher(users, regions):
    institution = InstitutionFactory(region=regions["township"])
    return services.teacher_save(actor=users["education_inspector"], institution_id=institution.pk,
                                 data={"name": "周老师", "id_number": GOOD_ID})


def test_only_education_staff_with_the_permission_keep_the_roster(users):
    assert not permissions.can_keep_in_service_roster(users["education_head"])
    assert permissions.can_keep_in_service_roster(_grant(users["education_inspector"]))
    assert not permissions.can_keep_in_service_roster(_grant(users["market_head"]))
    with pytest.raises(ActionForbidden):
        roster.roster_import(actor=users["education_head"], uploaded_file=_xlsx([["周某", GOOD_ID, "一中"]]))
    assert not InServiceRoster.objects.exists()


def test_an_import_flags_the_matching_teacher(keeper, teacher):
    outcome = roster.roster_import(actor=keeper, uploaded_file=_xlsx([["周某", GOOD_ID, "历下一中"],
                                                                       ["吴某", OTHER_ID, "历下二中"]]))
    assert outcome.written and outcome.roster.version == 1 and outcome.roster.row_count == 2
    teacher.refresh_from_db()
    assert teacher.in_service_flagged_at is not None and teacher.in_service_roster_id == outcome.roster.pk
    assert outcome.roster.flagged_count == 1
    event = AuditEvent.objects.get(kind="in_service_roster.imported")
    assert GOOD_ID not in str(event.after) and GOOD_ID not in event.summary
    assert AuditEvent.objects.filter(kind="teacher.in_service_flagged", institution_id=teacher.institution_id).exists()


def test_a_bad_id_or_a_duplicate_refuses_the_whole_file_with_each_rows_reason(keeper, teacher):
    outcome = roster.roster_import(actor=keeper, uploaded_file=_xlsx([
        ["周某", GOOD_ID, ""], ["吴某", BAD_ID, ""], ["郑某", GOOD_ID.lower(), ""], ["", OTHER_ID, ""]]))
    assert not outcome.written
    errors = dict(outcome.errors)
    assert "校验" in errors[4] and "与第3行身份证号重复" in errors[5] and "姓名为空" in errors[6]
    assert not InServiceRoster.objects.exists() and not InServiceRosterEntry.objects.exists()
    teacher.refresh_from_db()
    assert teacher.in_service_flagged_at is None


def test_a_reimport_replaces_the_roster_and_clears_the_flag(keeper, teacher):
    roster.roster_import(actor=keeper, uploaded_file=_xlsx([["周某", GOOD_ID, ""]]))
    outcome = roster.roster_import(actor=keeper, uploaded_file=_csv([("吴某", OTHER_ID)]))
    assert outcome.written and outcome.roster.version == 2
    assert list(InServiceRoster.objects.order_by("version").values_list("is_current", flat=True)) == [False, True]
    teacher.refresh_from_db()
    assert teacher.in_service_flagged_at is None
    assert AuditEvent.objects.filter(kind="teacher.in_service_cleared").count() == 1


def test_a_teacher_recorded_after_the_import_is_flagged_at_once(keeper, users, regions):
    outcome = roster.roster_import(actor=keeper, uploaded_file=_xlsx([["周某", GOOD_ID, ""]]))
    institution = InstitutionFactory(region=regions["township"])
    teacher = services.teacher_save(actor=users["education_inspector"], institution_id=institution.pk,
                                    data={"name": "周老师", "id_number": GOOD_ID})
    assert teacher.in_service_flagged_at is not None and teacher.in_service_roster_id == outcome.roster.pk
    teacher = services.teacher_save(actor=users["education_inspector"], institution_id=institution.pk,
                                    teacher_id=teacher.pk, data={"id_number": OTHER_ID})
    assert teacher.in_service_flagged_at is None and teacher.in_service_roster_id is None


def test_the_roster_page_is_held_apart(education_inspector_client, users, keeper, teacher, client):
    url = reverse("institutions:in_service_roster")
    assert education_inspector_client.get(url).status_code == 403  # education, but without the permission
    client.force_login(keeper)
    response = client.post(url, {"file": _xlsx([["周某", BAD_ID, ""]])})
    assert "整份文件未导入" in response.content.decode()
    response = client.post(url, {"file": _xlsx([["周某", GOOD_ID, "历下一中"]])}, follow=True)
    html = response.content.decode()
    assert "第1版" in html and GOOD_ID not in html
    teacher_page = client.get(reverse("institutions:teacher", args=[teacher.institution_id, teacher.pk]))
    assert "在职教师违规兼职" in teacher_page.content.decode()
    file_page = client.get(reverse("institutions:detail", args=[teacher.institution_id]))
    assert "in-service-flag" in file_page.content.decode()
    assert "历下一中" not in client.get(reverse("institutions:detail", args=[teacher.institution_id])).content.decode()


def test_the_ledger_lists_flagged_teachers(keeper, teacher):
    from regulator.registry import registry

    roster.roster_import(actor=keeper, uploaded_file=_xlsx([["周某", GOOD_ID, ""]]))
    ledger = registry.ledgers["in_service_teachers"]
    rows = ledger.scoped(keeper).filter(ledger.measure_q("flagged", None, None))
    assert list(rows.values_list("pk", flat=True)) == [teacher.pk]
    assert Teacher.objects.filter(in_service_flagged_at__isnull=False).count() == 1


@pytest.mark.parametrize("people", [1, 5])
def test_the_roster_page_costs_the_same_for_more_rows(keeper, users, regions, client, people,
                                                      django_assert_num_queries):
    from institutions.validators import id_number_check_char

    numbers = []
    for serial in range(people):
        first17 = f"3701021980010{serial + 1:04d}"
        numbers.append(first17 + id_number_check_char(first17))
        services.teacher_save(actor=users["education_inspector"],
                              institution_id=InstitutionFactory(region=regions["township"]).pk,
                              data={"name": f"教师{serial}", "id_number": numbers[-1]})
    roster.roster_import(actor=keeper, uploaded_file=_xlsx([[f"某{n}", n, ""] for n in numbers]))
    roster.roster_import(actor=keeper, uploaded_file=_xlsx([[f"某{n}", n, ""] for n in numbers]))
    client.force_login(keeper)
    # user, permissions (the user's, the groups'), rosters, flagged teachers, entries, nav counts
    with django_assert_num_queries(7):
        assert client.get(reverse("institutions:in_service_roster")).status_code == 200



@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("名单.docx", b"PK\x03\x04 not a workbook"), "CSV 文件"),
    (SimpleUploadedFile("名单.xlsx", b"not a workbook at all"), "不是 Excel"),
    (SimpleUploadedFile("名单.csv", "编号,备注\n1,x\n".encode()), "没有找到表头"),
    (SimpleUploadedFile("名单.csv", "姓名,身份证号\n".encode()), "没有数据行"),
])
def test_a_file_that_cannot_be_read_is_refused_in_chinese(keeper, upload, message):
    from regulator.errors import ServiceError

    with pytest.raises(ServiceError, match=message):
        roster.roster_import(actor=keeper, uploaded_file=upload)
    assert not InServiceRoster.objects.exists()
