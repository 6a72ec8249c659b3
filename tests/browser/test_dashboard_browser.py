"""The joint office's dashboard in Chromium: the inspections-done figure moves when a visit is submitted."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections import services
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, ensure_checklist
from tests.inspections.conftest import answer_all, sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_figure_moves_when_a_visit_is_submitted(live_server, page, users, regions, departments):
    ensure_checklist()
    institution = InstitutionFactory(name="星光美术培训", region=regions["township"])
    visit = services.visit_plan(
        actor=users["education_head"], institution=institution, lead_department=departments["education"],
        planned_on=timezone.localdate(), inspectors=[users["education_inspector"]],
    )
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "joint_office")
    page.goto(f"{live_server.url}/dashboard/")
    figure = page.locator("#figure-visits-done .value")
    expect(figure).to_have_text("0")
    expect(page.locator("#section-visits svg")).to_be_visible()

    answer_all(visit, users["education_inspector"], fail_positions=(3,))
    sign(visit, users["education_inspector"])
    services.visit_submit(actor=users["education_inspector"], visit_id=visit.pk)

    page.reload()
    expect(figure).to_have_text("1")
    expect(page.locator("#figure-problems .value")).to_have_text("1")
    # The figure is a link to the rows it counts.
    page.click("#figure-visits-done")
    expect(page.locator("#ledger-table")).to_contain_text("星光美术培训")
    expect(page.locator("#export-xlsx")).to_be_visible()
