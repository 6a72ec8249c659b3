"""A parent on a phone searches the white list, opens an institution, files a report with a photo and
follows it; the joint office publishes a batch and the public page shows it."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from publicity import services
from publicity.models import EntryStatus, ListKind
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, LicenceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _walk(entry_id, users, publish=True):
    services.list_entry_review(entry_id=entry_id, actor=users["education_head"], approve=True)
    services.list_entry_approve(entry_id=entry_id, actor=users["joint_office"])
    if publish:
        services.batch_publish(entry_ids=[entry_id], actor=users["joint_office"])


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_parent_searches_opens_reports_and_tracks(live_server, page, users, regions):
    from django.core.cache import cache

    cache.clear()
    good = InstitutionFactory(name="星光美术培训中心", region=regions["township"], category="arts")
    LicenceFactory(institution=good, kind="school_running", number="教民137010270000009号")
    other = InstitutionFactory(name="奥数思维学校", region=regions["county"], category="academic")
    for inst in (good, other):
        entry = services.list_entry_propose(
            institution=inst,
            list_kind=ListKind.WHITE,
            reason="证照齐全，经营规范",
            source_type="manual",
            source_id=None,
            actor=users["education_inspector"],
        )
        _walk(entry.pk, users)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("publicity:public_home"))
    page.fill("#home-q", "星光")
    page.click("form.public-search button[type=submit]")
    results = page.locator("#public-list")
    expect(results).to_contain_text("星光美术培训中心")
    expect(results).not_to_contain_text("奥数思维学校")
    page.click("text=星光美术培训中心")
    expect(page.locator("h1")).to_have_text("星光美术培训中心")
    expect(page.locator("body")).to_contain_text("教民137010270000009号")
    page.click("text=举报该机构")
    expect(page.locator("#report-subject")).to_contain_text("星光美术培训中心")
    page.fill("#id_content", "周末在居民楼里上初中数学课，每节课收费200元")
    page.set_input_files(
        "#id_photos", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.click("#report-form button[type=submit]")
    number = page.locator("#tracking-number")
    expect(number).to_be_visible()
    tracking = number.inner_text().strip()
    assert len(tracking.replace("-", "")) == 16
    expect(page.locator("#report-status")).to_contain_text("已登记")
    # Later, the parent comes back with the number.
    page.goto(live_server.url + reverse("publicity:report_track"))
    page.fill("#track-number", tracking.lower())
    page.click("main form button[type=submit]")
    expect(page.locator("#report-status")).to_contain_text("已登记")
    page.fill("#track-number", "2345-6789-2345-6789")
    page.click("main form button[type=submit]")
    expect(page.locator("#track-missing")).to_be_visible()


def test_staff_publish_batch_and_public_page_shows_it(live_server, page, users, regions):
    from django.core.cache import cache

    cache.clear()
    inst = InstitutionFactory(name="黑心补习班", region=regions["county"], category="academic")
    # Proposed two weeks ago and the institution told then: its statement period (5 working days) has run.
    told = timezone.now() - datetime.timedelta(days=14)
    entry = services.list_entry_propose(
        institution=inst,
        list_kind=ListKind.BLACK,
        reason="无证无照违规开展学科类培训",
        source_type="manual",
        source_id=None,
        actor=users["education_inspector"],
        black_category="unlicensed",
        now=told,
    )
    services.list_entry_notify(entry_id=entry.pk, actor=users["education_inspector"],
                               notified_on=timezone.localdate(told), method="直接送达告知书", now=told)
    _walk(entry.pk, users, publish=False)
    page.goto(live_server.url + reverse("publicity:black_list"))
    expect(page.locator("#empty-list")).to_be_visible()
    login(page, live_server, "joint_office")
    page.goto(live_server.url + reverse("publicity:staff_home"))
    page.check(f"input[name=entry_ids][value='{entry.pk}']")
    page.fill("#id_title", "2026年第一批黑名单")
    page.click("#publish-button")
    expect(page.locator("#batch-facts")).to_contain_text("第1批")
    expect(page.locator("#batch-entries")).to_contain_text("黑心补习班")
    page.goto(live_server.url + reverse("publicity:black_list"))
    expect(page.locator("#public-list")).to_contain_text("黑心补习班")
    expect(page.locator("#public-list")).to_contain_text("无证无照违规开展学科类培训")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED
