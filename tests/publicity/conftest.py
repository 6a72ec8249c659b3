"""Fixtures for publicity: institutions, entries walked to a given status, reports, a tiny JPEG."""

import io

import pytest
from django.core.cache import cache

from publicity import services
from publicity.models import EntryStatus, ListKind
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
def make_entry(users):
    """Create an entry and walk it to `status` through the real services."""

    def make(
        institution,
        status=EntryStatus.PROPOSED,
        list_kind=ListKind.WHITE,
        reason="证照齐全，经营规范",
        remark="",
        **kwargs,
    ):
        entry = services.list_entry_propose(
            institution=institution,
            list_kind=list_kind,
            reason=reason,
            source_type="manual",
            source_id=None,
            actor=users["education_inspector"],
            internal_remark=remark,
            **kwargs,
        )
        order = [
            EntryStatus.PROPOSED,
            EntryStatus.REVIEWED,
            EntryStatus.APPROVED,
            EntryStatus.PUBLISHED,
            EntryStatus.REMOVAL_PROPOSED,
            EntryStatus.REMOVED,
        ]
        target = order.index(status) if status in order else None
        if status == EntryStatus.REJECTED:
            return services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=False)
        if target >= 1:
            services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=True)
        if target >= 2:
            services.list_entry_approve(entry_id=entry.pk, actor=users["joint_office"])
        if target >= 3:
            services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
        if target >= 4:
            services.removal_propose(
                entry_id=entry.pk, actor=users["education_inspector"], reason="已整改到位"
            )
        if target >= 5:
            services.removal_approve(entry_id=entry.pk, actor=users["joint_office"])
        entry.refresh_from_db()
        return entry

    return make


@pytest.fixture
def jpeg_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()
