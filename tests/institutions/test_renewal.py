"""Licence renewal (续期/换证): recorded with its approval document, the validity moves forward only, history on
the file; refused for a revoked, cancelled or suspended licence and a cancelled institution; refusals write
nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from institutions import changes
from institutions.models import LicenceKind, LicenceRenewal, LicenceStanding, LicenceState, OperatingState
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, LicenceFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def licence(regions, departments):
    institution = InstitutionFactory(region=regions["township"])
    return LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING, number="教民1370102000001号",
                          issued_on=TODAY - 900 * DAY, valid_until=TODAY + 20 * DAY, issuer=departments["education"])


def _renew(user, licence, **overrides):
    data = {"renewed_on": TODAY, "new_valid_until": (licence.valid_until or TODAY) + 365 * 3 * DAY,
            "approval_document": "历教许续〔2026〕5号"}
    data.update(overrides)
    return changes.licence_renew(actor=user, licence_id=licence.pk, **data)


def _untouched(licence, state=LicenceState.VALID):
    before = licence.valid_until
    licence.refresh_from_db()
    assert (licence.valid_until, licence.state) == (before, state)
    assert not LicenceRenewal.objects.exists()
    assert not AuditEvent.objects.filter(kind="licence.renewed").exists()


def test_a_renewal_extends_the_validity_with_its_document(users, licence):
    renewal = _renew(users["education_inspector"], licence)
    licence.refresh_from_db()
    assert licence.valid_until == TODAY + 20 * DAY + 365 * 3 * DAY
    assert (renewal.old_valid_until, renewal.approval_document, renewal.new_number) == (
        TODAY + 20 * DAY, "历教许续〔2026〕5号", "教民1370102000001号")
    assert AuditEvent.objects.filter(kind="licence.renewed", institution_id=licence.institution_id).exists()


def test_a_reissue_takes_the_new_number_and_an_expired_licence_is_valid_again(users, licence):
    licence.valid_until, licence.state = TODAY - 10 * DAY, LicenceState.EXPIRED
    licence.save()
    renewal = _renew(users["education_inspector"], licence, new_valid_until=TODAY + 700 * DAY,
                     new_number="教民1370102000099号")
    licence.refresh_from_db()
    licence.institution.refresh_from_db()
    assert (licence.state, licence.number, renewal.old_state) == (
        LicenceState.VALID, "教民1370102000099号", LicenceState.EXPIRED)
    assert licence.institution.licence_standing == LicenceStanding.SCHOOL_ONLY


@pytest.mark.parametrize("state", [LicenceState.REVOKED, LicenceState.CANCELLED, LicenceState.SUSPENDED])
def test_a_revoked_cancelled_or_suspended_licence_is_not_renewed(users, licence, state):
    licence.state = state
    licence.save()
    with pytest.raises(ServiceError, match="不能续期"):
        _renew(users["education_inspector"], licence)
    _untouched(licence, state)


def test_a_cancelled_institution_renews_nothing(users, licence):
    type(licence.institution).objects.filter(pk=licence.institution_id).update(
        operating_state=OperatingState.CANCELLED)
    with pytest.raises(ServiceError, match="机构已注销"):
        _renew(users["education_inspector"], licence)
    _untouched(licence)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"new_valid_until": TODAY + 20 * DAY}, "不能缩短"),
    ({"new_valid_until": TODAY + 5 * DAY}, "不能缩短"),
    ({"renewed_on": TODAY + DAY}, "不能晚于今天"),
    ({"renewed_on": TODAY - 31 * DAY}, "不能早于"),
    ({"approval_document": " "}, "批准文件"),
])
def test_a_renewal_cannot_shorten_or_start_out_of_bounds(users, licence, overrides, message):
    with pytest.raises(ServiceError, match=message):
        _renew(users["education_inspector"], licence, **overrides)
    _untouched(licence)


def test_an_expired_licence_is_renewed_past_today(users, licence):
    licence.valid_until, licence.state = TODAY - 100 * DAY, LicenceState.EXPIRED
    licence.save()
    with pytest.raises(ServiceError, match="晚于今天"):
        _renew(users["education_inspector"], licence, new_valid_until=TODAY - 50 * DAY)
    _untouched(licence, LicenceState.EXPIRED)


def test_a_long_term_licence_and_another_departments_licence(users, licence):
    with pytest.raises(ActionForbidden):
        _renew(users["market_head"], licence)
    licence.valid_until = None
    licence.save()
    with pytest.raises(ServiceError, match="长期有效"):
        _renew(users["education_inspector"], licence, new_valid_until=TODAY + 900 * DAY)
    assert not LicenceRenewal.objects.exists()


def test_the_renewal_page_and_the_file_history(education_inspector_client, licence):
    url = reverse("institutions:licence_renew", args=[licence.institution_id, licence.pk])
    assert education_inspector_client.get(url).status_code == 200
    response = education_inspector_client.post(url, {
        "renewed_on": TODAY.isoformat(), "new_valid_until": (TODAY + 10 * DAY).isoformat(),
        "approval_document": "历教许续〔2026〕6号"})
    assert "不能缩短有效期" in response.content.decode()
    response = education_inspector_client.post(url, {
        "renewed_on": TODAY.isoformat(), "new_valid_until": (TODAY + 800 * DAY).isoformat(),
        "approval_document": "历教许续〔2026〕6号"}, follow=True)
    html = response.content.decode()
    assert "续期/换证记录" in html and "历教许续〔2026〕6号" in html
