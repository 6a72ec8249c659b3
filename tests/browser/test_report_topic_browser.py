"""The public report form asks for the receipt's amount, date and payee only when the parent reports a fee paid
outside the supervised account, in Chromium at phone width."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_charge_fields_show_only_for_the_off_account_topic(live_server, page, regions):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/public/report/")
    amount = page.locator("#id_charge_amount")
    expect(amount).to_be_hidden()
    expect(page.locator("#id_payment_proof")).to_be_hidden()
    expect(page.locator("#id_content")).to_be_visible()
    page.locator("input[name=topic][value=off_account]").check()
    expect(amount).to_be_visible()
    expect(page.locator("#id_charge_payee")).to_be_visible()
    # Sent without the amount: the form comes back with the topic chosen and the fields shown with their errors.
    page.fill("#id_subject_name", "某某学科辅导班")
    page.fill("#id_subject_address", "历下区文化东路")
    page.fill("#id_content", "机构让我把学费转到老师个人微信。")
    page.click("#report-form button.primary")
    expect(page.locator(".field.charge.has-error").first).to_be_visible()
    expect(page.get_by_text("请填写缴费金额（元）。")).to_be_visible()
