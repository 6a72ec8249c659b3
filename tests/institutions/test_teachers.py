"""The people who teach: identity numbers (GB 11643), masked on pages, and the teacher black list checked when an
institution records a teacher."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from institutions import teachers
from institutions.models import BanKind, Teacher, TeacherBan
from institutions.validators import id_number_check_char, validate_id_number
from regulator.errors import ActionForbidden, ServiceError
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
GOOD_ID = "11010519491231002X"  # the standard's own example
OTHER_ID = "110105199001011232"


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"])


def _ban(user, id_number=GOOD_ID, **overrides):
    data = {"name": "张某", "id_number": id_number, "kind": BanKind.PROHIBITED, "starts_on": TODAY,
            "ends_on": None, "source": "历教罚字〔2026〕第3号", "reason": "在职教师违规有偿补课"}
    data.update(overrides)
    return teachers.ban_create(actor=user, data=data)


def test_the_check_digit():
    assert id_number_check_char(GOOD_ID[:17]) == "X"
    assert id_number_check_char(OTHER_ID[:17]) == "2"
    validate_id_number(GOOD_ID)
    with pytest.raises(ValidationError, match="校验位错误"):
        validate_id_number(GOOD_ID[:17] + "1")
    with pytest.raises(ValidationError, match="18位"):
        validate_id_number("1101051949")


def test_a_teacher_with_a_bad_id_is_refused_on_the_page(education_inspector_client, institution):
    url = reverse("institutions:child_create", args=[institution.pk, "teacher"])
    response = education_inspector_client.post(url, {"name": "李老师", "id_number": GOOD_ID[:17] + "1"})
    assert response.status_code == 200 and "校验位错误" in response.content.decode()
    assert not Teacher.objects.exists()
    response = education_inspector_client.post(url, {"name": "李老师", "id_number": GOOD_ID.lower(),
                                                     "qualification_number": "20193700000001"})
    assert response.status_code == 302
    assert Teacher.objects.get().id_number == GOOD_ID


def test_the_id_is_masked_on_the_file(education_inspector_client, institution):
    Teacher.objects.create(institution=institution, name="李老师", id_number=GOOD_ID)
    page = education_inspector_client.get(institution.get_absolute_url()).content.decode()
    assert "1101**********002X" in page and GOOD_ID not in page


def test_a_blacklisted_person_cannot_be_recorded_as_a_teacher(education_inspector_client, users, institution):
    _ban(users["education_head"])
    url = reverse("institutions:child_create", args=[institution.pk, "teacher"])
    response = education_inspector_client.post(url, {"name": "张某", "id_number": GOOD_ID})
    assert response.status_code == 200 and "已列入教师黑名单" in response.content.decode()
    assert not Teacher.objects.exists()


def test_an_expired_or_lifted_ban_no_longer_bars(users, institution):
    head = users["education_head"]
    _ban(head, starts_on=TODAY - datetime.timedelta(days=400), ends_on=TODAY - datetime.timedelta(days=1),
         kind=BanKind.RESTRICTED)
    teachers.refuse_if_banned(GOOD_ID)  # expired
    ban = _ban(head, id_number=OTHER_ID)
    with pytest.raises(ServiceError):
        teachers.refuse_if_banned(OTHER_ID)
    teachers.ban_lift(actor=head, ban_id=ban.pk, reason="复议撤销")
    teachers.refuse_if_banned(OTHER_ID)


def test_bad_ban_input_and_permission(users):
    with pytest.raises(ActionForbidden):
        _ban(users["education_inspector"])
    with pytest.raises(ServiceError, match="校验位"):
        _ban(users["education_head"], id_number=GOOD_ID[:17] + "1")
    with pytest.raises(ServiceError, match="截止日期不能早于起始日期"):
        _ban(users["education_head"], ends_on=TODAY - datetime.timedelta(days=1))
    _ban(users["education_head"])
    with pytest.raises(ServiceError, match="已有生效"):
        _ban(users["education_head"])
    assert TeacherBan.objects.count() == 1


def test_the_blacklist_page(education_head_client, users):
    response = education_head_client.post(reverse("institutions:teacher_bans"), {
        "name": "王某", "id_number": GOOD_ID, "kind": "restricted", "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=365 * 3)).isoformat(), "source": "认定书", "reason": "体罚学生"})
    assert response.status_code == 302
    page = education_head_client.get(reverse("institutions:teacher_bans")).content.decode()
    assert "王某" in page and "1101**********002X" in page and GOOD_ID not in page
