"""Playwright in Debian's Chromium (it cannot download its own browser here)."""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def phone_context_args():
    return {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def login(page, live_server, username, password="pass-word-123"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/accounts/login/" not in address)  # each role lands on its own page


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """Every browser test fails if Chromium reports a Content-Security-Policy violation on any page it opened (an
    inline script without the nonce, an inline event handler or style attribute, a resource from elsewhere), or a
    Permissions-Policy it does not understand or that refused a feature the page uses (camera, position)."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations = []

    def on_console(message):
        if any(name in message.text for name in ("Content Security Policy", "Content-Security-Policy",
                                                 "Permissions-Policy", "Permissions policy")):
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield
    assert violations == []
