"""The public lists' cards built in Python (publicity/templatetags/public_cards.py) are the HTML of the template loop
they replaced, which this test keeps: every branch (white and black, a black-list category, a correction, a handling
result, no credit code, markup and line breaks in the text), in both languages."""

from datetime import UTC, datetime

import pytest
from django.template import engines
from django.utils import translation

from publicity.templatetags.public_cards import public_cards

LOOP = """{% load i18n %}{% for row in rows %}
  <li class="card entry {{ row.list_kind }}">
    <h2><a href="{% url 'publicity:institution_page' row.institution_id %}">{{ row.institution_name }}</a></h2>
    <span class="badge {% if row.list_kind == 'black' %}danger{% else %}standing-both{% endif %}">{{ row.list_kind_label }}</span>
    {% if row.black_category_label %}<span class="badge warn">{{ row.black_category_label }}</span>{% endif %}
    {% if row.version > 1 %}<span class="badge correction">{% blocktranslate with date=row.published_at|date:"Y-m-d" %}更正于{{ date }}{% endblocktranslate %}</span>{% endif %}
    <dl class="facts">
      <dt>{% translate "统一社会信用代码" %}</dt><dd>{{ row.credit_code|default:"—" }}</dd>
      <dt>{% translate "办学地点" %}</dt><dd>{{ row.region_name }} {{ row.address }}</dd>
      <dt>{% translate "类别" %}</dt><dd>{{ row.category_label }}</dd>
      <dt>{% if row.list_kind == 'black' %}{% translate "列入原因" %}{% else %}{% translate "公示说明" %}{% endif %}</dt><dd class="reason">{{ row.reason|linebreaksbr }}</dd>
      {% if row.handling_result %}<dt>{% translate "处理结果" %}</dt><dd>{{ row.handling_result }}</dd>{% endif %}
      <dt>{% translate "公示时间" %}</dt><dd>{{ row.published_at|date:"Y-m-d" }} · <a href="{% url 'publicity:batch_detail' row.batch_id %}">{{ row.batch_number }}</a></dd>
    </dl>
  </li>
{% endfor %}"""  # noqa: E501


def _row(**overrides):
    row = {"entry_id": 1, "version": 1, "supersedes_id": None, "list_kind": "white", "black_category": "",
           "institution_id": 11, "institution_name": "历下数学思维", "credit_code": "91370102MA3C1234X5",
           "address": "解放路 1 号", "region_code": "370102", "region_name": "历下区", "category": "academic",
           "reason": "证照齐全", "handling_result": "", "is_typical_case": False,
           "published_at": datetime(2026, 3, 1, 17, 30, tzinfo=UTC), "batch_number": "济教公〔2026〕3号",
           "batch_id": 5, "list_kind_label": "白名单", "black_category_label": "", "category_label": "学科类"}
    row.update(overrides)
    return row


ROWS = [
    _row(),
    _row(entry_id=2, list_kind="black", black_category="unlicensed", black_category_label="无证无照",
         list_kind_label="黑名单", institution_name='星光 & "艺术" <培训>', credit_code="",
         address="<b>地下室</b>", reason="无证办学\n擅自收费 <script>", handling_result="已取缔 & 退费",
         version=3, published_at=datetime(2026, 11, 30, 16, 5, tzinfo=UTC), institution_id=12, batch_id=6),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_cards_are_the_html_of_the_template_loop(language):
    with translation.override(language):
        loop = engines["django"].from_string(LOOP).render({"rows": ROWS})
        assert "&lt;script&gt;" in loop and "<br>" in loop  # the rows reach every branch
        assert public_cards(ROWS) == loop


def test_a_public_list_page_shows_the_cards(client, db):
    response = client.get("/public/white/")
    assert response.status_code == 200
    assert b'id="public-list"' in response.content


SEARCH_LOOP = """{% load i18n %}{% for row in rows %}
  <li class="card entry {{ row.list_status }}">
    <h2><a href="{% url 'publicity:institution_page' row.pk %}">{{ row.name }}</a></h2>
    {% if row.list_status == "black" %}<span class="badge danger list-status">{% translate "黑名单" %}</span>
    {% elif row.list_status == "white" %}<span class="badge standing-both list-status">{% translate "白名单" %}</span>
    {% else %}<span class="badge list-status">{% translate "未列入白名单或黑名单" %}</span>{% endif %}
    <span class="badge standing-{{ row.licence_standing }}">{{ row.get_licence_standing_display }}</span>
    <dl class="facts">
      <dt>{% translate "统一社会信用代码" %}</dt><dd class="break-all">{{ row.credit_code|default:"—" }}</dd>
      <dt>{% translate "办学地点" %}</dt><dd>{{ row.region.name }} {{ row.address }}</dd>
      <dt>{% translate "类别" %}</dt><dd>{{ row.get_category_display }}</dd>
      <dt>{% translate "最近一次检查" %}</dt><dd>{{ row.last_inspected_on|date:"Y-m-d"|default:_("暂无检查记录") }}</dd>
      <dt>{% translate "最近抽查结果" %}</dt><dd>{% if row.last_check_on %}{{ row.last_check_on|date:"Y-m-d" }} {{ row.last_check_result }}{% else %}{% translate "暂无已公示的抽查结果" %}{% endif %}</dd>
    </dl>
  </li>
{% endfor %}"""  # noqa: E501


def _search_rows():
    from datetime import date

    from institutions.models import Category, Institution, LicenceStanding
    from regulator.models import Region

    rows = []
    for pk, (status, name, code, inspected, checked) in enumerate([
        ("white", "历下数学思维", "91370102MA3C1234X5", date(2026, 3, 1), date(2026, 2, 1)),
        ("black", '星光 & "艺术" <培训>', "", None, None),
        ("none", "<b>只被抽查</b>", "52370102MJ0000001X", date(2025, 12, 31), date(2025, 12, 31)),
    ], start=7):
        row = Institution(pk=pk, name=name, credit_code=code, address="解放路 <1> 号",
                          category=Category.choices[pk % 2][0],
                          licence_standing=LicenceStanding.choices[pk % 3][0],
                          region=Region(code="370102", name="历下区"))
        row.list_status, row.last_inspected_on, row.last_check_on = status, inspected, checked
        row.last_check_result = "未发现问题" if checked else None
        rows.append(row)
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_search_cards_are_the_html_of_the_template_loop(language):
    from publicity.templatetags.public_cards import public_search_cards

    rows = _search_rows()
    with translation.override(language):
        loop = engines["django"].from_string(SEARCH_LOOP).render({"rows": rows})
        assert all(part in loop for part in ("&lt;b&gt;只被抽查", "entry none", "entry black", "entry white"))
        assert public_search_cards(rows) == loop
