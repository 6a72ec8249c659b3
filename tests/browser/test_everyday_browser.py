"""Everyday screens in Chromium: the phone menu opens from the keyboard with a visible focus ring, and a ledger
prints as a plain table without the controls around it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_phone_menu_opens_from_the_keyboard(live_server, page, users):
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_head")
    nav = page.locator("nav.mainnav")
    expect(nav).to_be_hidden()
    for _ in range(10):  # Tab from the top of the page to the menu's toggle
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-toggle":
            break
    assert page.evaluate("document.activeElement.id") == "nav-toggle"
    outline = page.evaluate("getComputedStyle(document.querySelector('.nav-toggle-label')).outlineStyle")
    assert outline == "solid"  # the focus is visible on the ☰ the user sees
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav.mainnav') !== null")


def test_a_ledger_prints_as_a_plain_table(live_server, page, users, regions):
    InstitutionFactory(name="星光美术培训", region=regions["township"], category="arts")
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}/register/")
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("#register-filters")).to_be_hidden()
    expect(page.locator(".print-meta")).to_contain_text("打印人")
    expect(page.locator("#register-table")).to_contain_text("星光美术培训")
    cell = page.locator("#register-table tbody td").first
    assert page.evaluate("el => getComputedStyle(el).display", cell.element_handle()) == "table-cell"
    page.emulate_media(media="screen")
    expect(page.locator(".print-meta")).to_be_hidden()
