"""The main pages in Chromium under the Content-Security-Policy: none reports a violation (the autouse check in
tests/browser/conftest.py), the confirmations moved out of onsubmit= attributes still ask, and an injected inline
handler is refused."""

import pytest

from institutions.models import Institution
from tests.browser.conftest import login
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/register/", "/inspections/", "/inspections/today/", "/inspections/campaigns/", "/penalties/",
    "/penalties/inbox/", "/publicity/", "/publicity/reports/", "/queue/", "/dashboard/", "/weekly/",
    "/accounts/password/", "/admin/", "/admin/institutions/institution/", "/admin/regulator/user/add/",
    "/public/", "/public/white/", "/public/black/", "/public/report/", "/public/report/track/", "/verify/",
]


def test_main_pages_load_without_csp_violations_and_the_confirmation_still_asks(live_server, page, users, regions):
    institution = InstitutionFactory(name="待删除培训", region=regions["township"])
    login(page, live_server, "admin")
    for path in [*PAGES, institution.get_absolute_url(),
                 f"/admin/institutions/institution/{institution.pk}/change/"]:
        response = page.goto(live_server.url + path)
        assert response.status < 500, path  # /weekly/ is a 400 for an administrator (no county)
        assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers

    page.goto(live_server.url + institution.get_absolute_url())
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("form[data-confirm] button.danger")
    page.wait_for_timeout(300)
    assert asked == ["确定删除该机构及其证照、办学点、培训人员？"]
    assert Institution.objects.filter(pk=institution.pk).exists()


def test_an_injected_inline_handler_is_refused(live_server, context, users, regions):
    probe = context.new_page()  # not the checked `page`: this one is meant to report a violation
    reports = []
    probe.on("console", lambda message: reports.append(message.text))
    probe.goto(live_server.url + "/public/")
    probe.evaluate("""() => {
        const img = document.createElement("img");
        img.setAttribute("onerror", "window.injected = 1");
        img.src = "/no-such-image.png";
        document.body.appendChild(img);
    }""")
    probe.wait_for_timeout(500)
    assert probe.evaluate("() => window.injected") is None
    assert any("Content Security Policy" in text for text in reports)
