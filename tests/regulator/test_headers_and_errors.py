"""Headers (Content-Security-Policy with nonces, Permissions-Policy, `check --deploy`), the Chinese error pages
(400, 413, 414, 500), institutions still referred to, and ids bounded to a bigint everywhere."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLResolver

from institutions.models import Institution
from regulator.models import AuditEvent
from regulator.params import MAX_ID, IdConverter, parse_id, parse_ids, parse_page
from regulator.views import server_error
from tests.inspections.conftest import checklist, institution, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)
PDF_TEMPLATES = ("templates/penalties/pdf/", "templates/oversight/weekly_pdf.html")  # WeasyPrint, not a browser


# ---- Content-Security-Policy and Permissions-Policy -------------------------------------------------------


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_every_page_has_a_csp_without_unsafe_inline_and_the_nonce_of_its_inline_scripts(
        education_inspector_client, visit, client):  # noqa: F811
    response = education_inspector_client.get(reverse("inspections:visit_detail", args=[visit.pk]))
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    nonce = next(value for value in policy["script-src"] if value.startswith("'nonce-"))[len("'nonce-"):-1]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    # a new nonce for every response
    again = education_inspector_client.get(reverse("inspections:visit_detail", args=[visit.pk]))
    assert nonce not in again.headers["Content-Security-Policy"]
    public = client.get(reverse("publicity:white_list"))
    assert "script-src 'self'" in public.headers["Content-Security-Policy"]


def test_templates_have_no_inline_handlers_styles_or_scripts_without_a_nonce():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(PDF_TEMPLATES):
            continue
        text = path.read_text()
        for pattern in (r"\son[a-z]+\s*=", r"\sstyle\s*=", r"<style", r"<script(?![^>]*\b(src|nonce)=)[^>]*>",
                        r"javascript:"):
            offenders += [f"{relative}: {match.group(0)}" for match in re.finditer(pattern, text)]
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        text = path.read_text()
        offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"innerHTML|setAttribute\(\"(on|style)", text)]
    assert offenders == []


def test_permissions_policy_allows_camera_and_position_on_this_site_only(education_inspector_client, client):
    for response in (education_inspector_client.get(reverse("institutions:list")),
                     client.get(reverse("publicity:public_home"))):
        features = dict(item.split("=", 1) for item in response.headers["Permissions-Policy"].split(", "))
        assert features["camera"] == "(self)" and features["geolocation"] == "(self)"
        assert features["microphone"] == "()" and features["payment"] == "()" and features["usb"] == "()"


def test_check_deploy_is_clean_with_production_settings_and_a_real_key():
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # tests only
        "DJANGO_SETTINGS_MODULE": "regulator.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "regulator.example.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://regulator.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# ---- error pages --------------------------------------------------------------------------------------------


def test_a_10000_character_search_gets_the_chinese_414_page(education_inspector_client, client):
    response = education_inspector_client.get(reverse("institutions:list"), {"q": "星" * 10_000})
    assert response.status_code == 414
    text = response.content.decode()
    assert "网址过长" in text and "请缩短搜索词" in text
    assert "URI" not in text
    public = client.get(reverse("publicity:white_list"), {"q": "a" * 10_000})
    assert public.status_code == 414 and "网址过长" in public.content.decode()
    # a long but acceptable search is answered normally
    assert education_inspector_client.get(reverse("institutions:list"), {"q": "星" * 500}).status_code == 200


def test_the_414_page_follows_the_chosen_language(education_inspector_client):
    education_inspector_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = education_inspector_client.get(reverse("institutions:list"), {"q": "x" * 10_000})
    assert response.status_code == 414 and "URL too long" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2 * 1024 * 1024)
def test_a_body_over_the_limit_gets_the_chinese_413_page_and_writes_nothing(education_head_client, regions):
    before = Institution.objects.count()
    response = education_head_client.post(reverse("institutions:create"), {"name": "星" * (1024 * 1024)})
    assert response.status_code == 413
    text = response.content.decode()
    assert "提交的内容过大" in text and "2 MB" in text
    assert Institution.objects.count() == before


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_too_many_fields_get_the_chinese_413_page(education_head_client):
    response = education_head_client.post(reverse("institutions:create"), {f"f{i}": "1" for i in range(50)})
    assert response.status_code == 413 and "提交的字段过多" in response.content.decode()


def test_a_bad_request_gets_the_chinese_400_page(client):
    response = client.get("/", headers={"host": "attacker.example"})  # not in ALLOWED_HOSTS
    assert response.status_code == 400 and "请求无效" in response.content.decode()


def _failing_context_processor(request):
    raise RuntimeError("the database is gone")


def test_the_500_page_is_chinese_and_renders_without_any_context_processor():
    templates = [{**settings.TEMPLATES[0], "OPTIONS": {
        **settings.TEMPLATES[0]["OPTIONS"],
        "context_processors": [f"{__name__}._failing_context_processor"],
    }}]
    with override_settings(TEMPLATES=templates):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "服务器暂时无法处理请求" in text and "您的数据未被修改" in text
    assert re.search(r"[A-Za-z]{4,}", re.sub(r"<[^>]*>|&[a-z]+;", "", text).replace("DOCTYPE", "")) is None


def test_an_uncaught_error_is_answered_with_the_chinese_500_page(education_inspector_client, monkeypatch):
    from institutions import views

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "register_list_page", broken)
    education_inspector_client.raise_request_exception = False
    response = education_inspector_client.get(reverse("institutions:list"))
    assert response.status_code == 500 and "服务器暂时无法处理请求" in response.content.decode()


# ---- an institution that cases refer to ---------------------------------------------------------------------


def test_deleting_an_institution_that_a_visit_refers_to_explains_and_offers_closure(
        education_head_client, visit):  # noqa: F811
    target = visit.institution
    events = AuditEvent.objects.count()
    response = education_head_client.post(reverse("institutions:delete", args=[target.pk]), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "仍被以下记录引用，不能删除" in text and "检查" in text and "1 条" in text
    assert "已关停" in text and "注销" in text
    assert Institution.objects.filter(pk=target.pk).exists()
    assert AuditEvent.objects.count() == events


def test_an_institution_nothing_refers_to_is_still_deleted(education_head_client, regions):
    from tests.factories import InstitutionFactory

    target = InstitutionFactory(region=regions["township"])
    response = education_head_client.post(reverse("institutions:delete", args=[target.pk]))
    assert response.status_code == 302 and not Institution.objects.filter(pk=target.pk).exists()


def test_admin_delete_of_a_referred_institution_explains_and_offers_closure(admin_client_, visit):  # noqa: F811
    target = visit.institution
    for response in (
        admin_client_.post(reverse("admin:institutions_institution_delete", args=[target.pk]), {"post": "yes"}),
        admin_client_.post(reverse("admin:institutions_institution_changelist"),
                           {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"}),
    ):
        assert response.status_code == 200
        text = response.content.decode()
        assert "已关停" in text and "注销" in text
    assert Institution.objects.filter(pk=target.pk).exists()


# ---- bounded integers ---------------------------------------------------------------------------------------


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_every_route_takes_its_ids_through_the_bounded_converter():
    from django.urls.converters import IntConverter

    unbounded = []
    for route, pattern in _routes(get_resolver().url_patterns):
        converters = getattr(pattern.pattern, "converters", {})
        unbounded += [route for converter in converters.values() if type(converter) is IntConverter]
    assert unbounded == []


def test_parsers_bound_ids_and_pages():
    assert parse_id("42") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    for bad in ("", "0", str(MAX_ID + 1), "9" * 5000, "²", "١٢", "-1", "1.0", " 1", "1e3", None, 7):
        assert parse_id(bad) is None
    assert parse_ids(["1", "x", "²", "3"]) == [1, 3]
    assert parse_page("3") == 3 and parse_page("100001") is None
    with pytest.raises(ValueError):
        IdConverter().to_python(str(2**63))


@pytest.mark.parametrize("value", [str(2**63), "9" * 5000, "²", "0"])
def test_huge_or_odd_ids_and_cursors_are_404_or_ignored_never_500(education_head_client, client, value):
    for url in (f"/register/{value}/", f"/inspections/visits/{value}/", f"/penalties/orders/{value}/",
                f"/public/institutions/{value}/"):
        assert education_head_client.get(url).status_code == 404
    for path in (reverse("institutions:list"), reverse("inspections:home"), reverse("penalties:home"),
                 reverse("publicity:staff_home")):
        assert education_head_client.get(path, {"after": value}).status_code == 200
    assert client.get(reverse("publicity:spot_checks"), {"after": value}).status_code in (200, 400, 414)
    assert client.get(reverse("publicity:report_form"), {"institution": value}).status_code in (200, 414)


def test_a_nul_character_in_the_query_string_gets_the_chinese_400_page(client):
    for path in (reverse("verify_lookup"), reverse("publicity:white_list"), reverse("publicity:report_track")):
        response = client.get(path, {"number": "历下\x00", "q": "\x00"})
        assert response.status_code == 400 and "请求无效" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024 * 1024, DEBUG=True)
def test_an_url_encoded_form_over_the_limit_is_refused_in_chinese_before_it_is_read_even_with_debug(
        education_head_client, regions):
    from urllib.parse import urlencode

    before = Institution.objects.count()
    response = education_head_client.post(reverse("institutions:create"), urlencode({"name": "x" * 2 * 1024 * 1024}),
                                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "提交的内容过大" in response.content.decode()
    assert Institution.objects.count() == before
