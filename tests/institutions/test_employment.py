"""A teacher's identity and employment records: leaving and moving keep the history, the staff page shows it,
the black list is checked by identity, and refused steps write nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from institutions import employment, services, teachers
from institutions.models import BanKind, OperatingState, Teacher, TeacherIdentity
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
GOOD_ID = "11010519491231002X"


@pytest.fixture
def places(regions):
    return (InstitutionFactory(region=regions["township"], name="甲培训学校", credit_code=""),
            InstitutionFactory(region=regions["township"], name="乙培训学校"))


@pytest.fixture
def teacher(users, places):
    return services.teacher_save(actor=users["education_inspector"], institution_id=places[0].pk, data={
        "name": "陈老师", "id_number": GOOD_ID.lower(), "subject": "美术", "started_on": TODAY - 400 * DAY})


def test_recording_a_teacher_creates_the_identity_once(users, places, teacher):
    assert teacher.identity.id_number == GOOD_ID
    other = services.teacher_save(actor=users["education_inspector"], institution_id=places[1].pk,
                                  data={"name": "陈老师", "id_number": GOOD_ID})
    assert other.identity_id == teacher.identity_id
    assert TeacherIdentity.objects.count() == 1


def test_one_current_record_per_person_and_institution(users, places, teacher):
    with pytest.raises(ServiceError, match="已在本机构任职"):
        services.teacher_save(actor=users["education_inspector"], institution_id=places[0].pk,
                              data={"name": "陈老师", "id_number": GOOD_ID})
    assert Teacher.objects.count() == 1


def test_a_move_ends_the_record_and_opens_one_at_the_other_institution(users, places, teacher):
    moved = employment.teacher_move(actor=users["education_inspector"], institution_id=places[0].pk,
                                    teacher_id=teacher.pk, to_institution_id=places[1].pk, moved_on=TODAY)
    teacher.refresh_from_db()
    assert (teacher.ended_on, teacher.end_reason) == (TODAY, "调往乙培训学校")
    assert (moved.institution_id, moved.started_on, moved.identity_id, moved.subject) == (
        places[1].pk, TODAY, teacher.identity_id, "美术")
    assert [row.pk for row in employment.employment_history(moved)] == [moved.pk, teacher.pk]
    assert AuditEvent.objects.filter(kind="teacher.left", institution_id=places[0].pk).exists()


@pytest.mark.parametrize("state", [OperatingState.CANCELLED, OperatingState.CLOSED, OperatingState.BANNED])
def test_no_move_to_an_ended_institution(users, places, teacher, state):
    type(places[1]).objects.filter(pk=places[1].pk).update(operating_state=state)
    with pytest.raises(ServiceError, match="不能再聘用"):
        employment.teacher_move(actor=users["education_inspector"], institution_id=places[0].pk,
                                teacher_id=teacher.pk, to_institution_id=places[1].pk, moved_on=TODAY)
    teacher.refresh_from_db()
    assert teacher.ended_on is None and Teacher.objects.count() == 1


def test_a_banned_person_cannot_move_and_the_check_is_by_identity(users, places, teacher):
    teachers.ban_create(actor=users["education_head"], data={
        "name": "陈某", "id_number": GOOD_ID, "kind": BanKind.PROHIBITED, "starts_on": TODAY, "ends_on": None,
        "source": "历教罚字〔2026〕第8号", "reason": "违规"})
    assert teachers.bans_in_force().get().identity_id == teacher.identity_id
    with pytest.raises(ServiceError, match="教师黑名单"):
        employment.teacher_move(actor=users["education_inspector"], institution_id=places[0].pk,
                                teacher_id=teacher.pk, to_institution_id=places[1].pk, moved_on=TODAY)
    teacher.refresh_from_db()
    assert teacher.ended_on is None and Teacher.objects.count() == 1


def test_leave_input_and_permission(users, places, teacher):
    for kwargs, message in [({"ended_on": TODAY, "reason": ""}, "离职原因"),
                            ({"ended_on": TODAY + DAY, "reason": "辞职"}, "晚于今天"),
                            ({"ended_on": TODAY - 500 * DAY, "reason": "辞职"}, "早于任职起始日期")]:
        with pytest.raises(ServiceError, match=message):
            employment.teacher_leave(actor=users["education_inspector"], institution_id=places[0].pk,
                                     teacher_id=teacher.pk, **kwargs)
    with pytest.raises(ActionForbidden):
        employment.teacher_leave(actor=users["other_county_inspector"], institution_id=places[0].pk,
                                 teacher_id=teacher.pk, ended_on=TODAY, reason="辞职")
    teacher.refresh_from_db()
    assert teacher.ended_on is None
    employment.teacher_leave(actor=users["education_inspector"], institution_id=places[0].pk,
                             teacher_id=teacher.pk, ended_on=TODAY, reason="辞职")
    with pytest.raises(ServiceError, match="已于"):
        employment.teacher_leave(actor=users["education_inspector"], institution_id=places[0].pk,
                                 teacher_id=teacher.pk, ended_on=TODAY, reason="辞职")
    with pytest.raises(ServiceError, match="不能再修改"):
        services.teacher_save(actor=users["education_inspector"], institution_id=places[0].pk,
                              teacher_id=teacher.pk, data={"subject": "书法"})


def test_a_move_without_an_identity_number_is_refused(users, places):
    nameless = services.teacher_save(actor=users["education_inspector"], institution_id=places[0].pk,
                                     data={"name": "无证号", "id_number": ""})
    with pytest.raises(ServiceError, match="身份证号"):
        employment.teacher_move(actor=users["education_inspector"], institution_id=places[0].pk,
                                teacher_id=nameless.pk, to_institution_id=places[1].pk, moved_on=TODAY)
    assert Teacher.objects.count() == 1


def test_the_staff_page_shows_the_history_and_the_public_page_only_current(
        education_inspector_client, users, places, teacher, client):
    education_inspector_client.post(reverse("institutions:teacher_move", args=[places[0].pk, teacher.pk]), {
        "to_credit_code": places[1].credit_code, "moved_on": TODAY.isoformat(), "reason": ""})
    moved = Teacher.objects.get(institution=places[1])
    html = education_inspector_client.get(reverse("institutions:teacher", args=[places[1].pk, moved.pk])).content \
        .decode()
    assert "任职履历" in html and "甲培训学校" in html and "乙培训学校" in html and GOOD_ID not in html
    file_html = education_inspector_client.get(reverse("institutions:detail", args=[places[0].pk])).content.decode()
    assert "已离职人员" in file_html


@pytest.mark.parametrize("moves", [1, 3])
def test_the_history_page_costs_the_same_for_a_longer_history(education_inspector_client, users, regions, places,
                                                              teacher, moves, django_assert_num_queries):
    current = teacher
    for _ in range(moves):
        target = InstitutionFactory(region=regions["township"])
        current = employment.teacher_move(actor=users["education_inspector"], institution_id=current.institution_id,
                                          teacher_id=current.pk, to_institution_id=target.pk, moved_on=TODAY)
    url = reverse("institutions:teacher", args=[current.institution_id, current.pk])
    # user, institution, teacher+identity, history, visible institutions (shared ids, the scoped ids), bans,
    # nav counts
    with django_assert_num_queries(8):
        assert education_inspector_client.get(url).status_code == 200



def test_the_migration_links_existing_rows_to_one_identity_and_closes_double_entries(users, places):
    import importlib

    from django.apps import apps

    from institutions.models import TeacherBan

    migration = importlib.import_module("institutions.migrations.0011_through_time_renewal_roster_identity")
    first = Teacher.objects.create(institution=places[0], name="许某", id_number=GOOD_ID)
    double = Teacher.objects.create(institution=places[0], name="许某", id_number=GOOD_ID)
    elsewhere = Teacher.objects.create(institution=places[1], name="许某某", id_number=GOOD_ID)
    nameless = Teacher.objects.create(institution=places[1], name="无证号", id_number="")
    ban = TeacherBan.objects.create(name="孙某", id_number="110105199001011232", kind=BanKind.RESTRICTED,
                                    starts_on=TODAY, source="x", reason="y", department=users["education_head"]
                                    .department)
    migration.link_identities(apps, None)
    for row in (first, double, elsewhere, nameless, ban):
        row.refresh_from_db()
    assert first.identity_id == double.identity_id == elsewhere.identity_id is not None
    assert (first.ended_on, double.ended_on is not None, elsewhere.ended_on) == (None, True, None)
    assert nameless.identity_id is None
    assert ban.identity.id_number == "110105199001011232"
    assert TeacherIdentity.objects.count() == 2
