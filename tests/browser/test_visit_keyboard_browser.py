"""Issue 16's everyday visit page, in Chromium at 375 px: the photo button is reached by Tab, shows its focus ring
and opens the file chooser with Enter or Space; the page shows 已答 n/11, counted as items are answered (offline
too), and a button jumps to the first unanswered item and puts the focus there."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_offline_browser import _noisy_jpeg, planned_visit  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_photo_button_by_keyboard_and_the_answered_count(live_server, page, planned_visit):  # noqa: F811
    page.set_viewport_size({"width": 375, "height": 740})
    # Asked for early: Playwright turns the chooser's interception on asynchronously when it is first listened to.
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}{planned_visit.get_absolute_url()}")
    count = page.locator("#answered-count")
    jump = page.locator("#jump-unanswered")
    expect(count).to_have_text("已答 0/11")
    items = page.locator("fieldset.item")
    items.nth(0).locator("label.choice-pass").click()
    items.nth(1).locator("label.choice-fail").click()
    expect(count).to_have_text("已答 2/11")

    # The jump scrolls to item 3 and puts the focus on its first choice.
    page.mouse.wheel(0, 5000)
    expect(page.locator("#item-3")).not_to_be_in_viewport()
    jump.click()
    expect(page.locator("#item-3")).to_be_in_viewport()
    expect(page.locator("#item-3 input[type=radio]").first).to_be_focused()
    page.keyboard.press("Space")  # the keyboard answers it from there
    expect(page.locator("#item-3 input[type=radio]").first).to_be_checked()
    expect(count).to_have_text("已答 3/11")

    # Offline, the count still follows the answers.
    page.context.set_offline(True)
    items.nth(3).locator("label.choice-pass").click()
    expect(count).to_have_text("已答 4/11")
    expect(page.locator("#outbox-state")).to_contain_text("待同步")

    # Tab from item 4's remark reaches its photo button, with a visible focus ring; Enter and Space open the chooser.
    items.nth(3).locator("textarea").focus()
    page.keyboard.press("Tab")
    button = items.nth(3).locator(".photo-button")
    expect(button).to_be_focused()
    assert button.evaluate("b => b.matches(':focus-visible')")
    ring = button.evaluate("b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }")
    assert ring[0] != "none" and float(ring[1].rstrip("px")) >= 2
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert chooser.value.is_multiple()
    chooser.value.set_files({"name": "room.jpg", "mimeType": "image/jpeg", "buffer": _noisy_jpeg()})
    expect(items.nth(3).locator(".pending li.queued-photo")).to_have_count(1)
    button.focus()
    with page.expect_file_chooser():
        page.keyboard.press("Space")
    assert len(choosers) == 2

    # Every item answered: 11/11 and nothing left to jump to.
    for index in range(4, 11):
        items.nth(index).locator("label.choice-pass").click()
    expect(count).to_have_text("已答 11/11")
    expect(jump).to_be_hidden()
