"""The annual inspection (年检) in Chromium: a head plans it, records the materials, reviews, decides, publishes."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from institutions.models import AnnualMaterialKind
from tests.browser.conftest import login
from tests.factories import ensure_annual_materials, licensed_institution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_annual_inspection_from_plan_to_published_result(live_server, page, users, regions):
    ensure_annual_materials()  # a transactional test before this one may have flushed the migration's rows
    institution = licensed_institution(regions["township"], name="历下启明艺术培训学校")
    today = timezone.localdate()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server, "edu_head")
    page.click("nav >> text=年检与专项工作")
    page.click("text=年检计划")
    page.click("text=制定年检计划")
    page.fill("input[name=year]", str(today.year - 1))
    page.fill("input[name=deadline]", (today + datetime.timedelta(days=20)).isoformat())
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text(f"{today.year - 1}年度年检")
    page.click(f"text={institution.name}")
    expect(page.locator("#annual-status")).to_have_text("待报送材料")
    for kind in AnnualMaterialKind.objects.filter(is_active=True):
        page.select_option("select[name=receive-kind]", label=kind.name)
        with page.expect_navigation():
            page.click("#materials button")
    expect(page.locator("#materials")).not_to_contain_text("未收到")
    page.fill("textarea[name=review-note]", "材料齐全，内容属实")
    with page.expect_navigation():
        page.click("#review button")
    expect(page.locator("#annual-status")).to_have_text("书面审查完成")
    page.check("input[name=decide-result][value=fail]")
    with page.expect_navigation():
        page.click("#decide button")
    expect(page.locator("#decide")).to_contain_text("须写明理由")  # 不合格 without reasons: refused, on the page
    page.check("input[name=decide-result][value=basic_pass]")
    page.fill("textarea[name=decide-reasons]", "安全管理记录不完整")
    with page.expect_navigation():
        page.click("#decide button")
    expect(page.locator("#annual-result")).to_contain_text("基本合格")
    page.goto(f"{live_server.url}/register/annual/")
    page.click(f"text={today.year - 1}")
    page.click("text=公布年检结果")
    expect(page.locator("#batch-number")).to_contain_text(f"NJ{today.year - 1}-370102-")
    # The published batch on the public site, on a phone: numbered, its hash, every institution with its result.
    page.click("#public-batch")
    page.set_viewport_size({"width": 375, "height": 740})
    expect(page.locator("#annual-batch-facts")).to_contain_text(f"NJ{today.year - 1}-370102-")
    expect(page.locator("#annual-batch-entries")).to_contain_text(institution.name)
    expect(page.locator("#annual-batch-entries")).to_contain_text("基本合格")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click(f"#annual-batch-entries >> text={institution.name}")
    expect(page.locator("#public-annual")).to_contain_text("基本合格")
    page.click("nav.public-nav >> text=年检结果")
    expect(page.locator("#annual-batch-list")).to_contain_text(f"{today.year - 1}年度年检结果")
