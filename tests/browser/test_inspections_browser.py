"""On a phone (375×740) in Chromium: an inspector completes a visit with a failed item, a photo and a
signature, survives a dropped connection and a failed upload (both wait in the outbox, static/js/outbox.js); the
re-inspection carries the failed item."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from inspections import services
from inspections.models import ChecklistAnswer, Evidence, ProblemItem, Visit, VisitStatus
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, ensure_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def planned_visit(users, departments, regions):
    ensure_checklist()
    institution = InstitutionFactory(name="星光美术培训", region=regions["township"])
    return services.visit_plan(
        actor=users["education_head"],
        institution=institution,
        lead_department=departments["education"],
        planned_on=timezone.localdate(),
        inspectors=[users["education_inspector"], users["market_inspector"]],
        departments=[departments["market"]],
    )


def _wait_saved(page):
    # A function, not an expression string: Playwright evaluates a string with eval(), which the page's
    # Content-Security-Policy refuses (no 'unsafe-eval').
    page.wait_for_function("() => window.visitApp && window.visitApp.pending() === 0")


def test_inspector_completes_visit_on_a_phone_and_reinspection_carries_forward(
    live_server, page, planned_visit
):
    page.set_viewport_size({"width": 375, "height": 740})
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 36.6512, "longitude": 117.1201, "accuracy": 12})
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}/inspections/today/")
    page.click("text=星光美术培训")
    expect(page.locator("#visit-title")).to_have_text("星光美术培训")
    page.click("#start-visit")
    expect(page.locator("#save-state")).to_have_text("已开始检查")

    items = page.locator("fieldset.item")
    expect(items).to_have_count(11)
    for index in range(11):
        fieldset = items.nth(index)
        if index == 2:
            fieldset.locator("label.choice-fail").click()
            fieldset.locator("textarea").fill("周末组织学科类培训")
        else:
            fieldset.locator("label.choice-pass").click()
    _wait_saved(page)

    # A dropped connection: the change waits in the outbox (IndexedDB) and is sent when the phone is back online.
    page.context.set_offline(True)
    items.nth(4).locator("label.choice-na").click()
    expect(page.locator("#outbox-state")).to_contain_text("待同步 1 项")
    assert page.evaluate("window.visitApp.pending()") == 1
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_saved(page)

    # A photo whose upload fails stays queued on the page (and in the outbox) and is sent once it can be.
    upload_url = "**/inspections/sync/uploads/**"
    page.route(upload_url, lambda route: route.abort())
    items.nth(2).locator(".photo-input").set_input_files(
        {"name": "door.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    expect(items.nth(2).locator(".pending li.queued-photo")).to_have_count(1)
    expect(page.locator("#outbox-state")).to_contain_text("待同步 1 项")
    page.unroute(upload_url)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(items.nth(2).locator(".thumbs img")).to_have_count(1)
    expect(items.nth(2).locator(".pending li.queued-photo")).to_have_count(0)

    # The representative signs on the canvas with a finger (mouse here).
    page.fill("#signer-name", "张负责人")
    canvas = page.locator("#signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 15)
    page.mouse.up()
    page.click("#signature-save")
    expect(page.locator("#signature-state")).to_have_text("已签字")

    # Reloading keeps everything: answers come from the server now.
    page.reload()
    expect(items.nth(2).locator("input[value=fail]")).to_be_checked()
    expect(items.nth(4).locator("input[value=na]")).to_be_checked()
    expect(items.nth(2).locator("textarea")).to_have_value("周末组织学科类培训")

    page.click("#submit-visit")
    expect(page.locator("#read-only-note")).to_be_visible()
    expect(page.locator("#problem-items")).to_contain_text("C03")
    visit = Visit.objects.get(pk=planned_visit.pk)
    assert visit.status == VisitStatus.SUBMITTED and visit.latitude is not None
    assert ProblemItem.objects.filter(visit=visit).count() == 1
    assert Evidence.objects.filter(visit=visit).count() == 1
    assert ChecklistAnswer.objects.get(visit=visit, item__position=5).result == "na"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # The re-inspection carries forward only the failed item, original finding beside today's.
    page.click("#plan-reinspection")
    expect(page.locator("fieldset.item")).to_have_count(1)
    carried = page.locator("fieldset.item .carried")
    expect(carried).to_contain_text("不符合")
    expect(carried).to_contain_text("周末组织学科类培训")
    page.locator("fieldset.item label.choice-pass").click()
    page.locator("fieldset.item textarea").fill("已停止周末学科类培训")
    _wait_saved(page)
    page.locator("details.refusal summary").click()
    page.fill("#refusal-reason", "负责人外出，店员不愿签字")
    page.click("#refusal-save")
    expect(page.locator("#signature-state")).to_have_text("已记录拒签")
    page.click("#submit-visit")
    expect(page.locator("#answers")).to_contain_text("本次复查")
    expect(page.locator("#answers")).to_contain_text("已停止周末学科类培训")
    expect(page.locator("#answers .carried")).to_contain_text("周末组织学科类培训")
