"""An education inspector logs in and filters the register, in Chromium, on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inspector_logs_in_and_filters_register(live_server, page, users, regions):
    InstitutionFactory(name="星光美术培训", region=regions["township"], category="arts")
    InstitutionFactory(name="奥数思维学校", region=regions["county"], category="academic")
    InstitutionFactory(name="市中跆拳道馆", region=regions["other_township"], category="sports")
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}/register/")  # an inspector lands on today's visits; the register is a tap away
    table = page.locator("#register-table")
    expect(table).to_contain_text("星光美术培训")
    expect(table).to_contain_text("奥数思维学校")
    expect(table).not_to_contain_text("市中跆拳道馆")
    page.select_option("select[name=category]", "academic")
    page.click("#register-filters button[type=submit]")
    expect(table).to_contain_text("奥数思维学校")
    expect(table).not_to_contain_text("星光美术培训")
    page.fill("input[name=q]", "星光")
    page.select_option("select[name=category]", "")
    page.click("#register-filters button[type=submit]")
    expect(table).to_contain_text("星光美术培训")
    expect(table).not_to_contain_text("奥数思维学校")
    page.click("text=星光美术培训")
    expect(page.locator("h1")).to_have_text("星光美术培训")


def test_filters_update_the_list_as_you_type(live_server, page, users, regions):
    InstitutionFactory(name="星光美术培训", region=regions["township"], category="arts")
    InstitutionFactory(name="奥数思维学校", region=regions["county"], category="academic")
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}/register/")  # an inspector lands on today's visits; the register is a tap away
    table = page.locator("#register-table")
    expect(table).to_contain_text("奥数思维学校")
    page.fill("input[name=q]", "星光")  # no button pressed: htmx asks for the list alone
    expect(table).not_to_contain_text("奥数思维学校")
    expect(table).to_contain_text("星光美术培训")
    expect(page).to_have_url(re.compile(r"q=%E6%98%9F%E5%85%89"))
    expect(page.locator("#register-actions a", has_text="CSV")).to_have_attribute(
        "href", re.compile(r"q=%E6%98%9F%E5%85%89"))
    page.fill("input[name=q]", "")
    page.select_option("select[name=category]", "academic")
    expect(table).not_to_contain_text("星光美术培训")
    expect(table).to_contain_text("奥数思维学校")
    page.reload()  # the pushed address is a real page
    expect(page.locator("select[name=category]")).to_have_value("academic")
    expect(table).not_to_contain_text("星光美术培训")


def test_failed_logins_are_throttled(live_server, page, users):
    for _ in range(4):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "edu_inspector")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("登录失败次数过多")
