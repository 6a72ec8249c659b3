"""The interface is Chinese first; English comes from locale/en/LC_MESSAGES/django.po (compiled to .mo)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from publicity import services as publicity_services
from publicity.models import ListKind
from tests.factories import InstitutionFactory, LicenceFactory

CJK = re.compile(r"[\u4e00-\u9fff]")


def _mainnav(html: str) -> str:
    """The staff navigation, less the who-am-I line (user and department names are data, not interface)."""
    nav = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S)
    assert nav, "no main navigation on the page"
    return re.sub(r'<span class="whoami">.*?</span>', "", nav.group(1), flags=re.S)


def test_language_switch_to_english(education_inspector_client):
    response = education_inspector_client.post(reverse("set_language"), {"language": "en", "next": "/register/"},
                                               follow=True)
    assert response.status_code == 200
    assert "Register" in response.content.decode()


def test_staff_page_in_english_has_no_untranslated_chinese_in_the_nav(education_inspector_client, settings):
    education_inspector_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = education_inspector_client.get(reverse("institutions:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Off-Campus Training Institution Joint Regulation Platform" in html
    nav = _mainnav(html)
    for word in ("Register", "Inspections", "Rectification and penalties", "Black and white lists",
                 "Report ledger", "Notifications", "Change password", "Log out", "Today's inspections"):
        assert word in nav, word
    assert not CJK.search(nav), CJK.findall(nav)
    # The switch back offers Chinese, named in Chinese.
    assert 'value="zh-hans"' in html


def test_staff_page_after_posting_set_language_stays_english(education_head_client):
    education_head_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = education_head_client.get(reverse("inspections:home")).content.decode()
    nav = _mainnav(html)
    assert "Register" in nav and "机构台账" not in nav
    assert not CJK.search(nav), CJK.findall(nav)


@pytest.fixture
def published_white_entry(users, regions):
    institution = InstitutionFactory(name="星光美术培训中心", region=regions["township"], category="arts")
    LicenceFactory(institution=institution, kind="school_running", number="教民137010270000001号")
    entry = publicity_services.list_entry_propose(
        institution=institution, list_kind=ListKind.WHITE, reason="证照齐全，经营规范", source_type="manual",
        source_id=None, actor=users["education_inspector"], internal_remark="",
    )
    publicity_services.list_entry_review(entry_id=entry.pk, actor=users["education_head"], approve=True)
    publicity_services.list_entry_approve(entry_id=entry.pk, actor=users["joint_office"])
    publicity_services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
    return entry


def test_public_white_list_in_english(published_white_entry):
    # Chinese first, so a page cached for Chinese must not be served to an English reader.
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get(reverse("publicity:white_list")).content.decode()
    assert "<h1>白名单</h1>" in chinese

    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(reverse("publicity:white_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>White list</h1>" in html
    for heading in ("Off-Campus Training Institutions: Public Information", "Black list", "Typical cases",
                    "Publication batch", "Make a report", "Track a report", "Search", "Clear filters",
                    "Unified social credit code", "Details", "Published at"):
        assert heading in html, heading
    assert "<h1>白名单</h1>" not in html and "我要举报" not in html
    # The data (the institution's name) stays as entered.
    assert "星光美术培训中心" in html


@pytest.mark.django_db
def test_default_language_is_chinese(users):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(users["education_inspector"])
    html = client.get(reverse("institutions:list")).content.decode()
    assert '<html lang="zh-CN">' in html
    nav = _mainnav(html)
    assert "机构台账" in nav and "Register" not in nav
    assert "校外培训机构协同监管平台" in html

    public = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get(reverse("publicity:white_list")).content.decode()
    assert "<h1>白名单</h1>" in public and "White list" not in public


def test_django_own_strings_read_in_plain_chinese():
    """Django's blank choice label (new in 6.1, missing from its catalog) and its form errors are the project's
    plain Chinese, not English and not Django's translation-ese ("确保该变量包含不超过…")."""
    from django import forms
    from django.db import models
    from django.utils import translation

    class Choice(models.TextChoices):
        A = "a", "甲"

    class Probe(forms.Form):
        name = forms.CharField(max_length=3)
        kind = models.CharField(max_length=1, choices=Choice.choices, blank=True).formfield()  # as a ModelForm
        count = forms.IntegerField(max_value=5)

    with translation.override("zh-hans"):
        form = Probe({"name": "四个汉字", "kind": "z", "count": "9"})
        assert not form.is_valid()
        html = str(form["kind"])
        label = form["name"].label_tag()
        errors = {field: " ".join(messages) for field, messages in form.errors.items()}
    assert "- 请选择 -" in html and "Select" not in html
    assert label.endswith("：</label>")  # the label suffix a full-width colon, as Chinese forms write it
    assert errors["name"] == "最多填写 3 个字（现在是 4 个）。"
    assert errors["kind"] == "“z”不是可选的选项，请重新选择。"
    assert errors["count"] == "不能大于 5。"
