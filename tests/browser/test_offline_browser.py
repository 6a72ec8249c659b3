"""Issue 18 in Chromium with the network cut (context.set_offline): the service worker controls the pages and the
manifest is valid; the today list and the visit page open offline; the inspector starts, fills every item, takes a
photo, has the representative sign and submits offline; reloads offline and finds it all waiting (待同步 n 项);
closes the tab; back online in a new tab the outbox syncs, the connection dropping during the second photo chunk,
and the server holds every item exactly once."""

import io
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.signals import request_started
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from inspections import services
from inspections.models import (
    ChecklistAnswer,
    Evidence,
    ProblemItem,
    Signature,
    SyncedMutation,
    Visit,
    VisitStatus,
)
from regulator.models import AuditEvent
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, ensure_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _noisy_jpeg() -> bytes:
    """A 1200×900 photo of noise, far over the size the phone is told to compress to."""
    out = io.BytesIO()
    Image.effect_noise((1200, 900), 80).convert("RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def planned_visit(users, departments, regions):
    ensure_checklist()
    institution = InstitutionFactory(name="地下室英语培训", region=regions["township"])
    return services.visit_plan(
        actor=users["education_head"],
        institution=institution,
        lead_department=departments["education"],
        planned_on=timezone.localdate(),
        inspectors=[users["education_inspector"], users["market_inspector"]],
        departments=[departments["market"]],
    )


class _ServerHits:
    """The live server runs in this process: count the requests it receives while the phone is 'offline'."""

    def __init__(self):
        self.paths = []
        self.lock = threading.Lock()

    def __call__(self, sender, environ=None, **kwargs):
        with self.lock:
            self.paths.append((environ or {}).get("PATH_INFO", ""))


def test_visit_filled_offline_survives_reload_and_a_closed_tab_and_syncs_once(
    live_server, page, planned_visit, settings
):
    settings.INSPECTIONS_OFFLINE_PHOTO_BYTES = 60_000
    settings.INSPECTIONS_OFFLINE_PHOTO_MAX_EDGE = 800
    settings.INSPECTIONS_SYNC_CHUNK_BYTES = 16_384  # a photo of several chunks
    photo = _noisy_jpeg()
    assert len(photo) > 200_000
    context = page.context
    page.set_viewport_size({"width": 375, "height": 740})
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation({"latitude": 36.6512, "longitude": 117.1201, "accuracy": 12})
    login(page, live_server, "edu_inspector")
    today_url = f"{live_server.url}/inspections/today/"
    visit_url = f"{live_server.url}{planned_visit.get_absolute_url()}"

    # Online once: the service worker installs, takes control and keeps the inspector's visits.
    page.goto(today_url)
    # Under load the install (it caches the visits) can outlast a fixed wait for control: wait until the worker is
    # active, and reload once if it did not claim this page, as a page loaded after activation is controlled.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=60000)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=30000)
    manifest_href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(f"{live_server.url}{manifest_href}")
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["start_url"] == "/inspections/today/" and data["display"] == "standalone"
    assert data["name"] and data["icons"] and all(page.request.get(f"{live_server.url}{i['src']}").ok
                                                  for i in data["icons"])

    hits = _ServerHits()
    request_started.connect(hits)
    try:
        context.set_offline(True)
        # The today list starts with the network cut, and the visit page opens from it.
        page.goto(today_url)
        expect(page.locator("#visit-list")).to_contain_text("地下室英语培训")
        page.click("text=地下室英语培训")
        expect(page.locator("#visit-title")).to_have_text("地下室英语培训")
        expect(page.locator("#institution-summary")).to_be_attached()

        page.click("#start-visit")
        expect(page.locator("#save-state")).to_have_text("已开始检查")
        items = page.locator("fieldset.item")
        expect(items).to_have_count(11)
        for index in range(11):
            fieldset = items.nth(index)
            if index == 2:
                fieldset.locator("label.choice-fail").click()
                fieldset.locator("textarea").fill("地下室无安全出口")
            else:
                fieldset.locator("label.choice-pass").click()
        items.nth(2).locator(".photo-input").set_input_files(
            {"name": "exit.jpg", "mimeType": "image/jpeg", "buffer": photo}
        )
        expect(items.nth(2).locator(".pending li.queued-photo")).to_have_count(1)

        page.fill("#signer-name", "王负责人")
        canvas = page.locator("#signature-pad")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 40)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 15)
        page.mouse.up()
        page.click("#signature-save")
        expect(page.locator("#signature-state")).to_have_text("已签字（待同步）")
        # start + 11 answers + photo + signature
        expect(page.locator("#outbox-state")).to_contain_text("待同步 14 项")

        # Reloaded without a connection: the page comes from the service worker, the outbox puts it all back.
        page.reload()
        expect(page.locator("#outbox-state")).to_contain_text("待同步 14 项")
        expect(items.nth(2).locator("input[value=fail]")).to_be_checked()
        expect(items.nth(2).locator("textarea")).to_have_value("地下室无安全出口")
        expect(items.nth(10).locator("input[value=pass]")).to_be_checked()
        expect(items.nth(2).locator(".pending li.queued-photo img")).to_have_count(1)
        expect(page.locator("#start-visit")).to_have_count(0)

        page.fill("#id_summary", "地下室检查，离线填写")
        page.click("#submit-visit")
        expect(page.locator("#save-state")).to_contain_text("已提交，待同步")
        expect(page.locator("#outbox-state")).to_contain_text("待同步 15 项")
        assert page.evaluate("navigator.onLine") is False
        page.close()
    finally:
        request_started.disconnect(hits)
    # Nothing reached the server while offline. Chromium's own update check of the worker script (it runs in the
    # browser process, which the page's offline emulation does not cover) may ask for sw.js: not the page's data.
    assert [path for path in hits.paths if path != "/inspections/sw.js"] == []
    visit = Visit.objects.get(pk=planned_visit.pk)
    assert visit.status == VisitStatus.PLANNED and not ChecklistAnswer.objects.filter(visit=visit).exclude(result="")

    # Back online in a new tab; the connection drops while the second photo chunk is on its way, and the upload
    # resumes from there (the first chunk is not sent again).
    context.set_offline(False)
    tab = context.new_page()
    chunk_posts, dropped = [], []

    def drop_second_chunk(route):
        if route.request.method == "POST":
            chunk_posts.append(parse_qs(urlsplit(route.request.url).query)["index"][0])
            if len(chunk_posts) == 2 and not dropped:
                dropped.append(chunk_posts[-1])
                route.abort("connectionreset")
                return
        route.continue_()

    tab.route("**/inspections/sync/uploads/**", drop_second_chunk)
    tab.goto(visit_url)
    expect(tab.locator("#read-only-note")).to_be_visible(timeout=60000)
    assert dropped == ["1"]
    assert chunk_posts.count(chunk_posts[0]) == 1 and chunk_posts.count(dropped[0]) == 2
    assert len(set(chunk_posts)) >= 3

    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED and visit.summary == "地下室检查，离线填写"
    assert visit.latitude is not None
    answers = ChecklistAnswer.objects.filter(visit=visit)
    assert answers.exclude(result="").count() == 11
    assert answers.get(item__position=3).remark == "地下室无安全出口"
    assert Evidence.objects.filter(visit=visit).count() == 1
    assert ProblemItem.objects.filter(visit=visit).count() == 1
    assert Signature.objects.filter(visit=visit).count() == 1
    assert SyncedMutation.objects.filter(visit_id=visit.pk, verdict="accepted").count() == 15
    assert AuditEvent.objects.filter(kind="checklist_answer.saved").count() == 11
    uploaded = AuditEvent.objects.get(kind="evidence.uploaded")
    assert uploaded.after["received_size"] <= 60_000  # compressed on the phone before it was queued
    with Image.open(Evidence.objects.get(visit=visit).original.open()) as image:
        assert max(image.size) <= 800
    assert AuditEvent.objects.filter(kind="visit.submitted").count() == 1
    assert tab.evaluate("window.Outbox ? window.Outbox.counts().pending : 0") == 0

    # Chromium's own reading of the manifest: no parse errors or warnings (asked last: a CDP session of its own
    # would disturb the offline emulation above).
    tab.goto(today_url)
    parsed = context.new_cdp_session(tab).send("Page.getAppManifest")
    assert parsed["url"].endswith(manifest_href) and parsed["errors"] == []


def _answer_all_but(visit, user, skip_positions):
    for answer in visit.answers.select_related("item"):
        if answer.item.position not in skip_positions:
            services.answer_save(actor=user, visit_id=visit.pk, item_id=answer.item_id, result="pass", remark="")


def test_conflicts_and_refusals_are_shown_and_the_offline_copies_go_at_logout(
    live_server, page, planned_visit, users
):
    other = users["market_inspector"]
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}{planned_visit.get_absolute_url()}")
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=30000)
    items = page.locator("fieldset.item")

    # Offline, the inspector records item 1 as failed while the other inspector, online, records it as passed.
    page.context.set_offline(True)
    items.nth(0).locator("label.choice-fail").click()
    items.nth(0).locator("textarea").fill("无办学许可证")
    items.nth(1).locator("label.choice-pass").click()
    expect(page.locator("#outbox-state")).to_contain_text("待同步 2 项")
    first = planned_visit.answers.get(item__position=1)
    services.answer_save(actor=other, visit_id=planned_visit.pk, item_id=first.item_id, result="pass",
                         remark="许可证已公示")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")

    conflict = page.locator("#outbox-problems li.outbox-conflict")
    expect(conflict).to_contain_text("无办学许可证")
    expect(conflict).to_contain_text("许可证已公示")
    expect(page.locator("#outbox-state")).to_contain_text("已全部同步")
    assert ChecklistAnswer.objects.get(pk=first.pk).remark == "许可证已公示"
    conflict.locator("button.keep-mine").click()
    expect(conflict).to_have_count(0)
    page.wait_for_function("() => window.visitApp.pending() === 0")
    assert ChecklistAnswer.objects.get(pk=first.pk).remark == "无办学许可证"

    # Offline again; meanwhile the other inspector finishes and submits: the change is refused, and says why.
    page.context.set_offline(True)
    items.nth(2).locator("label.choice-na").click()
    expect(page.locator("#outbox-state")).to_contain_text("待同步 1 项")
    _answer_all_but(planned_visit, other, skip_positions={1})
    services.signature_save(actor=other, visit_id=planned_visit.pk, refused=True, refusal_reason="负责人不在")
    services.visit_submit(actor=other, visit_id=planned_visit.pk)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    refused = page.locator("#outbox-problems li.outbox-refused")
    expect(refused).to_contain_text("已由")
    assert ChecklistAnswer.objects.get(visit=planned_visit, item__position=3).result == "pass"
    page.reload()
    expect(refused).to_contain_text("已由")  # refused items stay until the inspector has seen them
    refused.locator("button.dismiss").click()
    expect(refused).to_have_count(0)

    # Logout drops the offline copies of the inspector's pages.
    names = page.evaluate("() => caches.keys()")
    assert any(name.startswith("regulator-data-") for name in names)
    page.click("form.inline button:has-text('退出')")
    page.wait_for_url(lambda url: "/inspections/" not in url)
    names = page.evaluate("() => caches.keys()")
    assert not any(name.startswith("regulator-data-") for name in names)
