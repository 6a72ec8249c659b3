"""Debian's nginx with the site of docs/deploy/nginx.conf in front of gunicorn, both on 127.0.0.1: the client
address Django sees behind the proxy, files by X-Accel-Redirect after the permission check (from MEDIA_ROOT and
from the S3 server), the internal locations closed to the outside, and the request-body limit's Chinese page.

The site file is the deployment's own, with its host-specific values replaced (each replacement must find its
text, so the test follows the file)."""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import InstitutionFactory, RectificationOrderFactory
from tests.ops import servers

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PDF = b"%PDF-1.4\n% behind nginx\n%%EOF\n"

pytestmark = [
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx (apt-get install nginx)"),
    pytest.mark.django_db(transaction=True),
]


def _site(*, nginx_port: int, web_port: int, s3_endpoint: str, media: Path, logs: Path) -> str:
    s3_host = s3_endpoint.removeprefix("http://")
    text = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    replacements = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{web_port};"),
        ("server oss-cn-jinan.example.internal:443;", f"server {s3_host};"),
        ("proxy_pass https://regulator_s3/", "proxy_pass http://regulator_s3/"),
        ("proxy_set_header Host oss-cn-jinan.example.internal;", f"proxy_set_header Host {s3_host};"),
        ("proxy_ssl_server_name on;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{nginx_port};"),
        ("ssl_certificate     /etc/ssl/regulator/fullchain.pem;", ""),
        ("ssl_certificate_key /etc/ssl/regulator/privkey.pem;", ""),
        ("alias /var/lib/regulator/media/;", f"alias {media}/;"),
        ("alias /srv/regulator/staticfiles/;", f"alias {ROOT / 'static'}/;"),
        ("access_log /var/log/nginx/regulator.access.log combined;", f"access_log {logs / 'access.log'};"),
        ("listen 80;", f"listen 127.0.0.1:{servers.free_port()};"),
    ]
    for old, new in replacements:
        assert old in text, f"docs/deploy/nginx.conf no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    return text


def _main_conf(site: Path, run: Path) -> str:
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {run / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                         "scgi"))
    return f"""{user}daemon off;
worker_processes 1;
pid {run / 'nginx.pid'};
error_log {run / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
{temp}
    include {site};
}}
"""


def _wait_port(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"{what} stopped:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            try:
                probe.request("GET", "/healthz")
                probe.getresponse().read()
            finally:
                probe.close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not answer")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@pytest.fixture
def media(tmp_path, settings):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return root


@pytest.fixture
def storage_env(request, media, settings, s3_endpoint):
    """The gunicorn's storage, and the same for this process: MEDIA_ROOT on disk, or a bucket of the S3 server
    (settings.test names it regulator-test-<worker>)."""
    if getattr(request, "param", "fs") == "fs":
        return {"TEST_STORAGE": "fs"}
    worker = f"nginx{uuid.uuid4().hex[:10]}"
    bucket = f"regulator-test-{worker}"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
                    "access_key": "testing", "secret_key": "testing", "addressing_style": "path",
                    "signature_version": "s3v4", "default_acl": None, "file_overwrite": False},
    }}
    from django.core.files.storage import default_storage

    default_storage.connection.meta.client.create_bucket(Bucket=bucket)
    return {"TEST_STORAGE": "s3", "TEST_S3_ENDPOINT_URL": s3_endpoint, "PYTEST_XDIST_WORKER": worker}


@pytest.fixture
def stack(tmp_path, media, s3_endpoint, storage_env):
    """gunicorn (test settings on this test's database, files on disk, served by X-Accel) behind nginx."""
    nginx_port, web_port = servers.free_port(), servers.free_port()
    run = tmp_path / "nginx"
    run.mkdir()
    db = connection.settings_dict
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "regulator.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "TEST_MEDIA_ROOT": str(media),
        "TEST_FILE_SERVING": "x-accel",
        "TRUSTED_PROXY_COUNT": "1",
        **storage_env,
    }
    web_log = tmp_path / "gunicorn.log"
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "regulator.wsgi:application", "--bind",
         f"127.0.0.1:{web_port}", "--workers", "1", "--limit-request-line", "0"],
        cwd=ROOT, env=env, stdout=web_log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    proxy = None
    try:
        _wait_port(web_port, web, web_log, "gunicorn")
        site = run / "site.conf"
        site.write_text(_site(nginx_port=nginx_port, web_port=web_port, s3_endpoint=s3_endpoint, media=media,
                              logs=run))
        conf = run / "nginx.conf"
        conf.write_text(_main_conf(site, run))
        check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proxy_log = run / "nginx.out"
        proxy = subprocess.Popen([NGINX, "-c", str(conf)], stdout=proxy_log.open("wb"), stderr=subprocess.STDOUT,
                                 start_new_session=True)
        _wait_port(nginx_port, proxy, run / "error.log", "nginx")
        yield {"port": nginx_port, "env": env}
    finally:
        if proxy is not None:
            _stop(proxy)
        _stop(web)


def _request(port: int, method: str, path: str, *, headers=None, body=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def order_on_disk(regions, departments, users, media):
    order = RectificationOrderFactory(
        institution=InstitutionFactory(region=regions["township"]), department=departments["education"],
        drafted_by=users["education_inspector"], approved=True,
    )
    order.pdf.save(f"order-{order.pk}.pdf", ContentFile(PDF), save=True)
    return order


def test_client_address_behind_the_proxy(stack, users):
    """A failed login from 127.0.0.2 through nginx is recorded for 127.0.0.2, whatever X-Forwarded-For it forged."""
    port = stack["port"]
    status, headers, body = _request(port, "GET", "/accounts/login/", source="127.0.0.2")
    assert status == 200
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = f"csrfmiddlewaretoken={token}&username=edu_inspector&password=wrong-password"
    status, _headers, _body = _request(port, "POST", "/accounts/login/", body=form, source="127.0.0.2", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}",
        "X-Forwarded-For": "198.51.100.1", "Referer": "http://127.0.0.1/accounts/login/",
    })
    assert status == 200  # the form again, with its error
    attempt = AccessAttempt.objects.get(username="edu_inspector")
    assert attempt.ip_address == "127.0.0.2"


@pytest.mark.parametrize("storage_env", ["fs", "s3"], indirect=True)
def test_x_accel_file_after_the_permission_check(stack, users, order_on_disk):
    """From MEDIA_ROOT (nginx's alias) or from the S3 server (nginx's proxy with the signed path and query)."""
    port = stack["port"]
    url = reverse("penalties:order_pdf", args=[order_on_disk.pk])
    cookie = _session_cookie(users["education_inspector"])
    status, headers, body = _request(port, "GET", url, headers={"Cookie": cookie})
    assert status == 200 and body == PDF
    assert "X-Accel-Redirect" not in headers
    assert headers["Content-Disposition"].startswith("inline; filename=")
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Content-Type"] == "application/pdf"
    status, _headers, body = _request(port, "GET", url,
                                      headers={"Cookie": _session_cookie(users["other_county_inspector"])})
    assert status in (403, 404) and body != PDF
    # The internal locations are not reachable from outside.
    for path in (f"/_protected/media/{order_on_disk.pdf.name}", f"/_protected/s3/x/{order_on_disk.pdf.name}"):
        status, _headers, body = _request(port, "GET", path)
        assert status == 404 and body != PDF


def test_request_body_limit_answers_in_chinese(stack):
    port = stack["port"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", "/public/report/")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(300 * 1024 * 1024))
        conn.endheaders()
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 413
    assert "文件过大" in body and 'lang="zh-CN"' in body
    assert response.getheader("Content-Type").startswith("text/html")


def test_health_through_the_proxy_from_inside_only(stack):
    port = stack["port"]
    assert _request(port, "GET", "/healthz")[0] == 200
    assert _request(port, "GET", "/metrics", source="127.0.0.2")[0] == 403  # nginx: not 127.0.0.1 nor 10/8
