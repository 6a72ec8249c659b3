"""Django admin pages load for the administrator; Celery is configured for Redis when REDIS_URL is set."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import InstitutionFactory, LicenceFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:regulator_region_changelist", "admin:regulator_department_changelist", "admin:regulator_user_changelist",
    "admin:regulator_auditevent_changelist", "admin:regulator_notification_changelist",
    "admin:regulator_verificationrecord_changelist", "admin:institutions_institution_changelist",
    "admin:institutions_licence_changelist", "admin:institutions_site_changelist",
    "admin:institutions_teacher_changelist", "admin:institutions_importjob_changelist",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_changelists_load(admin_client_, regions, name):
    LicenceFactory(institution=InstitutionFactory(region=regions["township"]))
    response = admin_client_.get(reverse(name), {"q": "培训"})
    assert response.status_code == 200


def test_staff_without_admin_role_cannot_open_admin(education_head_client):
    response = education_head_client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_institution_change_page_in_admin(admin_client_, regions):
    institution = InstitutionFactory(region=regions["township"])
    response = admin_client_.get(reverse("admin:institutions_institution_change", args=[institution.pk]))
    assert response.status_code == 200


def test_celery_uses_redis_when_configured():
    from regulator.celery import app

    assert settings.REDIS_URL.startswith("redis://")
    assert app.conf.broker_url == settings.REDIS_URL
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3600
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=2)
        assert connection.connected


def test_beat_schedule_names_real_tasks():
    from regulator.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
