"""Fixtures for publicity: an institution with a licence, the secrets no public page may show, a tiny JPEG
(entries and reports in any status come from tests.factories)."""

import io

import pytest
from django.core.cache import cache

from tests.factories import InstitutionFactory, LicenceFactory

SECRET_REMARK = "内部备注-绝密XYZ123"
REPORTER_NAME = "举报人王秘密"
REPORTER_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def institution(regions):
    inst = InstitutionFactory(name="星光美术培训中心", region=regions["township"], category="arts")
    LicenceFactory(institution=inst, kind="school_running", number="教民137010270000001号")
    return inst


@pytest.fixture
def jpeg_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()
