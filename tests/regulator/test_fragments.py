"""{% once %} (regulator/templatetags/fragments.py): chrome rendered once per language and per the values named."""

import pytest
from django.template import TemplateSyntaxError, engines
from django.urls import reverse
from django.utils import translation


class Counting:
    """A value that counts how often the template engine printed it."""

    def __init__(self):
        self.printed = 0

    def __str__(self):
        self.printed += 1
        return f"printed {self.printed}"


def test_the_body_is_rendered_once_per_language():
    template = engines["django"].from_string(
        '{% load i18n fragments %}{% once %}{{ v }} {% translate "退出" %}{% endonce %}')
    value = Counting()
    with translation.override("zh-hans"):
        first = template.render({"v": value})
        again = template.render({"v": value})
    with translation.override("en"):
        english = template.render({"v": value})
    assert first == again == "printed 1 退出"
    assert english == "printed 2 Log out"
    assert value.printed == 2


def test_the_values_named_make_their_own_copies():
    template = engines["django"].from_string("{% load fragments %}{% once site %}{{ site.name }}{% endonce %}")
    with translation.override("zh-hans"):
        assert template.render({"site": {"name": "甲市教育局"}}) == "甲市教育局"
        assert template.render({"site": {"name": "乙市教育局"}}) == "乙市教育局"  # a dict: kept by its repr
        assert template.render({"site": {"name": "甲市教育局"}}) == "甲市教育局"


@pytest.mark.parametrize("body", ["{% block title %}{% endblock %}", "{% csrf_token %}"])
def test_what_differs_per_request_or_page_is_refused_when_compiled(body):
    with pytest.raises(TemplateSyntaxError, match="once"):
        engines["django"].from_string("{% load fragments %}{% once %}" + body + "{% endonce %}")


@pytest.mark.django_db
def test_each_staff_page_keeps_its_own_csrf_token_and_path_outside_the_chrome(education_inspector_client):
    first = education_inspector_client.get(reverse("institutions:list") + "?q=%E7%94%B2").content.decode()
    second = education_inspector_client.get(reverse("inspections:home")).content.decode()
    assert 'name="next" type="hidden" value="/register/?q=%E7%94%B2"' in first
    assert 'value="/register/' not in second
    for page in (first, second):
        assert page.count('name="csrfmiddlewaretoken"') == 2
        assert 'class="brand"' in page and 'action="/accounts/logout/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("with_department", [True, False])
def test_the_print_line_is_what_the_template_wrote(users, with_department):
    from django.utils import timezone

    user = users["education_head"]
    if not with_department:
        user.department = None
    user.full_name = '王 <主任> & "副"'
    engine = engines["django"]
    context = {"user": user}
    loop = engine.from_string('{{ user }}{% if user.department %}（{{ user.department }}）{% endif %} · '
                              '{% now "Y-m-d H:i" %}')
    tag = engine.from_string("{% load fragments %}{% printed_by %}")
    before = timezone.localtime()
    expected, got = loop.render(context), tag.render(context)
    if timezone.localtime().minute != before.minute:  # the minute turned between the two
        expected, got = loop.render(context), tag.render(context)
    assert got == expected
    assert "王 &lt;主任&gt; &amp; &quot;副&quot;" in got
    assert ("（" in got) == with_department
