"""A department head works a row of the queue to done, in Chromium, on a phone-sized screen."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import InstitutionFactory, RectificationOrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_head_approves_an_order_from_the_queue(live_server, page, users, regions, departments):
    institution = InstitutionFactory(name="阳光艺术培训学校", region=regions["township"])
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],  # four-eyes: the head approves someone else's draft
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_head")
    page.click("label.nav-toggle-label")
    expect(page.locator("#nav-queue")).to_contain_text("1")
    page.click("#nav-queue")
    row = page.locator(f'tr[data-key="order_approval:{order.pk}"]')
    expect(row).to_contain_text("整改通知书待批准")
    expect(row).to_contain_text("阳光艺术培训学校")
    expect(row).to_contain_text("无期限")
    row.locator("text=去处理").click()
    page.wait_for_url(f"**/penalties/orders/{order.pk}/")
    page.click("text=批准并编号")
    expect(page.locator(".messages")).to_contain_text("已批准并编号")
    order.refresh_from_db()
    assert order.status == "approved"
    page.click("label.nav-toggle-label")
    expect(page.locator("#nav-queue .badge")).to_have_text("0")
    page.click("#nav-queue")
    expect(page.locator("#queue-table")).not_to_contain_text("阳光艺术培训学校")
    expect(page.locator(f'tr[data-key="order_approval:{order.pk}"]')).to_have_count(0)
    expect(page.locator("#queue-table")).to_contain_text("没有待办")
