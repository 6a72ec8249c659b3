"""The demo's own configuration — SQLite, no servers, `manage.py runserver` — in a subprocess: an inspector's fast
taps on the visit page (and a burst of parallel saves) are all stored with no 500, a 10,000-character search is
answered in Chinese, and a second deadline chaser started while one runs skips cleanly."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]
ROOT = Path(settings.BASE_DIR)
CHOICES = ["pass", "fail", "na"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "runserver exited"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError("runserver did not answer")


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory):
    """A migrated SQLite database with one planned visit, served by `runserver` as `make demo` does."""
    folder = tmp_path_factory.mktemp("sqlite-demo")
    database = folder / "regulator.sqlite3"
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "regulator.settings.base", "DATABASE_URL": f"sqlite:///{database}",
                "REDIS_URL": "", "VAR_DIR": str(folder), "PYTHONUNBUFFERED": "1"})
    seeded = subprocess.run([sys.executable, "-m", "tests.browser.sqlite_demo_seed"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert seeded.returncode == 0, seeded.stderr
    visit_id = int(seeded.stdout.strip().splitlines()[-1])
    port = _free_port()
    log = (folder / "runserver.log").open("wb")
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/accounts/login/", server)
        yield {"url": url, "visit_id": visit_id, "database": database, "env": env, "log": folder / "runserver.log"}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _answers(database: Path, visit_id: int) -> dict[int, str]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT item.position, answer.result FROM inspections_checklistanswer answer "
            "JOIN inspections_checklistitem item ON item.id = answer.item_id WHERE answer.visit_id = ?", [visit_id])
        return dict(rows.fetchall())


def _log_in(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "edu_inspector")
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/inspections/today/**")  # an inspector lands on today's visits


def test_fast_taps_on_the_demo_sqlite_save_every_answer_with_no_500(page, sqlite_demo):
    url, visit_id = sqlite_demo["url"], sqlite_demo["visit_id"]
    failures = []
    page.on("response", lambda response: failures.append(f"{response.status} {response.url}")
            if response.status >= 500 else None)
    page.set_viewport_size({"width": 375, "height": 740})
    _log_in(page, url)
    page.goto(f"{url}/inspections/visits/{visit_id}/")
    items = page.locator("fieldset.item")
    expect(items).to_have_count(11)

    # Three rounds of taps over all eleven items as fast as the page takes them, each round changing every answer.
    for round_ in range(3):
        for index in range(11):
            items.nth(index).locator(f"label.choice-{CHOICES[(index + round_) % 3]}").click(delay=0)
    page.wait_for_function("() => window.visitApp && window.visitApp.pending() === 0", timeout=60_000)
    expect(page.locator("#save-state")).to_have_text("已保存")
    expected = {index + 1: CHOICES[(index + 2) % 3] for index in range(11)}
    assert _answers(sqlite_demo["database"], visit_id) == expected

    # A burst of parallel saves (two phones, an old page): SQLite makes each writer wait for the one before it.
    statuses = page.evaluate(
        """async () => {
            const app = document.getElementById("visit-app");
            const csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
            const items = Array.from(document.querySelectorAll("fieldset.item")).map((f) => f.dataset.item);
            const send = (item) => {
                const body = new FormData();
                body.append("item", item); body.append("result", "pass"); body.append("remark", "并发保存");
                return fetch(app.dataset.answerUrl, {method: "POST", body: body, credentials: "same-origin",
                    headers: {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}}).then((r) => r.status);
            };
            return Promise.all(items.concat(items).map(send));
        }"""
    )
    assert statuses == [200] * 22
    assert _answers(sqlite_demo["database"], visit_id) == dict.fromkeys(range(1, 12), "pass")
    assert failures == []
    assert "database is locked" not in sqlite_demo["log"].read_text(errors="replace")


def test_a_10000_character_search_through_the_dev_server_is_answered_in_chinese(page, sqlite_demo):
    url = sqlite_demo["url"]
    _log_in(page, url)
    response = page.goto(f"{url}/register/?q=" + "x" * 10_000)  # 10 KB: the application's limit answers
    assert response.status == 414
    expect(page.locator("h1")).to_have_text("网址过长")
    # 10,000 Chinese characters are 90 KB once percent-encoded, past the dev server's own 64 KB line limit
    request = urllib.request.Request(f"{url}/public/white/?q=" + quote("星" * 10_000))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 414
    body = refused.value.read().decode()
    assert "网址过长" in body and "Request-URI" not in body


def test_a_second_chaser_on_sqlite_skips_cleanly_while_the_first_holds_the_lock(sqlite_demo):
    env = sqlite_demo["env"]
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import django, sys; django.setup()\n"
         "from regulator.locks import advisory_lock\n"
         "from penalties.chaser import LOCK_NAME\n"
         "with advisory_lock(LOCK_NAME) as held:\n"
         "    print('held' if held else 'not held', flush=True)\n"
         "    sys.stdin.read()\n"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        second = subprocess.run([sys.executable, "manage.py", "chase_deadlines"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        assert second.returncode == 0, second.stderr
        assert "skipped: 1" in second.stdout
        assert "Traceback" not in second.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    after = subprocess.run([sys.executable, "manage.py", "chase_deadlines"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert after.returncode == 0, after.stderr
    assert "skipped" not in after.stdout and "Traceback" not in after.stderr
