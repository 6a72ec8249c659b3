"""Everyday pages on a 375 px phone in Chromium: the licence table (营业执照, 办学许可证 …) of the public institution
page and of the staff institution file stacks into one card per licence, no cell narrower than a few characters,
and none of the public institution page, the public search, the register and the institution file scrolls sideways.

With SCREENSHOTS_DIR set (e.g. docs/screenshots), each page is also saved there as a PNG."""

import os
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import expect

from institutions.services import refresh_standing
from publicity import services
from publicity.models import ListKind
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, LicenceFactory, SiteFactory, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The narrowest a cell may be: four characters of its own font.
MIN_CHARACTERS = 4

CELL_WIDTHS = """table => Array.from(table.querySelectorAll("tbody td")).filter(td => td.offsetParent !== null
    && td.textContent.trim() !== "").map(td => {
  const size = parseFloat(getComputedStyle(td).fontSize);
  return {text: td.textContent.trim().slice(0, 20), width: td.getBoundingClientRect().width, size};
})"""


def _licensed_institution(regions, users):
    institution = InstitutionFactory(
        name="济南市历下区星光美术与书法艺术培训学校有限公司", region=regions["township"], category="arts",
        address="历下区文化东路街道山大路188号科技大厦东座12层1201室")
    LicenceFactory(institution=institution, kind="school_running", number="教民137010270000009号",
                   issuer_name="济南市历下区教育和体育局")
    LicenceFactory(institution=institution, kind="business", number="91370102MA3C4D5E6F",
                   issuer_name="济南市历下区市场监督管理局")
    TeacherFactory(institution=institution, name="欧阳晓明", subject="素描与色彩",
                   qualification_number="20193701021000123")
    TeacherFactory(institution=institution, name="李华", subject="书法", qualification_number="")
    SiteFactory(institution=institution, address="历下区泉城路街道泉城路268号泉城广场银座商城B座5楼501室")
    with transaction.atomic():
        refresh_standing(institution=institution)
    entry = services.list_entry_propose(institution=institution, list_kind=ListKind.WHITE,
                                        reason="证照齐全，经营规范", source_type="manual", source_id=None,
                                        actor=users["education_inspector"])
    services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=True)
    services.list_entry_approve(entry_id=entry.pk, actor=users["joint_office"])
    services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
    return institution


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def _licence_cells_are_wide_enough(page, selector):
    table = page.locator(selector)
    expect(table).to_be_visible()
    cells = page.evaluate(CELL_WIDTHS, table.element_handle())
    assert cells, "no licence cell shown"
    narrow = [cell for cell in cells if cell["width"] < MIN_CHARACTERS * cell["size"]]
    assert narrow == []


def _screenshot(page, name):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        from PIL import Image

        path = Path(folder) / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, scale="css")
        Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)  # small enough to commit


def test_public_pages_at_375_px(live_server, page, users, regions):
    from django.core.cache import cache

    cache.clear()
    institution = _licensed_institution(regions, users)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + reverse("publicity:institution_page", args=[institution.pk]))
    expect(page.locator("h1")).to_contain_text("星光美术")
    _licence_cells_are_wide_enough(page, "#public-licences")
    _no_sideways_scroll(page)
    _screenshot(page, "public-institution-375")
    page.goto(live_server.url + reverse("publicity:public_search") + "?q=星光")
    expect(page.locator("#search-results")).to_contain_text("星光美术")
    _no_sideways_scroll(page)
    _screenshot(page, "public-search-375")


def test_staff_pages_at_375_px(live_server, page, users, regions):
    institution = _licensed_institution(regions, users)
    InstitutionFactory(name="奥数思维学校", region=regions["county"], category="academic")
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}/register/")
    expect(page.locator("#register-table")).to_contain_text("星光美术")
    _no_sideways_scroll(page)
    _screenshot(page, "register-375")
    page.goto(live_server.url + reverse("institutions:detail", args=[institution.pk]))
    _licence_cells_are_wide_enough(page, "#licences table")
    _no_sideways_scroll(page)
    _screenshot(page, "institution-file-375")
