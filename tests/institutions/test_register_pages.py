"""Register list, file page, create and edit, for every role."""

import re

import pytest
from django.urls import reverse

from institutions.models import Institution, LicenceKind, LicenceStanding
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory, LicenceFactory, valid_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(regions):
    mine = InstitutionFactory(name="历下星光艺术培训", region=regions["township"])
    mine_county = InstitutionFactory(name="历下数学思维", region=regions["county"], category="academic")
    other = InstitutionFactory(name="市中舞蹈学校", region=regions["other_township"])
    far = InstitutionFactory(name="青岛编程学校", region=regions["far_county"])
    return {"mine": mine, "mine_county": mine_county, "other": other, "far": far}


def _names(response):
    return {inst.name for inst in response.context["rows"]}


@pytest.mark.parametrize(
    "client_fixture",
    ["education_inspector_client", "market_head_client", "police_inspector_client", "joint_office_client"],
)
def test_county_staff_see_only_their_county(request, client_fixture, register):
    client = request.getfixturevalue(client_fixture)
    response = client.get(reverse("institutions:list"))
    assert response.status_code == 200
    assert _names(response) == {"历下星光艺术培训", "历下数学思维"}


def test_prefecture_sees_every_county_below_it(prefecture_head_client, register):
    response = prefecture_head_client.get(reverse("institutions:list"))
    assert _names(response) == {"历下星光艺术培训", "历下数学思维", "市中舞蹈学校"}


def test_admin_sees_everything(admin_client_, register):
    assert len(_names(admin_client_.get(reverse("institutions:list")))) == 4


def test_anonymous_is_sent_to_login(client, register):
    response = client.get(reverse("institutions:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_filters_combine(education_inspector_client, register, regions):
    url = reverse("institutions:list")
    assert _names(education_inspector_client.get(url, {"region": regions["township"].code})) == {"历下星光艺术培训"}
    assert _names(education_inspector_client.get(url, {"category": "academic"})) == {"历下数学思维"}
    assert _names(education_inspector_client.get(url, {"q": "星光"})) == {"历下星光艺术培训"}
    assert _names(education_inspector_client.get(url, {"q": register["mine"].credit_code})) == {"历下星光艺术培训"}
    assert _names(education_inspector_client.get(url, {"licence_standing": "both"})) == set()
    by_stage = _names(education_inspector_client.get(url, {"students": "compulsory"}))
    assert by_stage == {"历下星光艺术培训", "历下数学思维"}


def test_unknown_filter_value_is_explained_not_500(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:list"), {"category": "astrology"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "筛选条件有误" in response.content.decode()


def test_region_outside_scope_is_not_a_choice(education_inspector_client, register, regions):
    response = education_inspector_client.get(reverse("institutions:list"), {"region": regions["other_county"].code})
    assert response.context["rows"] == []
    assert response.context["filters_invalid"] and response.context["form"].errors["region"]
    assert "筛选条件有误" in response.content.decode()


def test_keyset_pages_never_repeat_or_skip(education_inspector_client, regions, settings):
    settings.REGISTER_PAGE_SIZE = 3
    InstitutionFactory.create_batch(7, region=regions["county"])
    seen, url = [], reverse("institutions:list")
    response = education_inspector_client.get(url)
    while True:
        seen += [row.pk for row in response.context["rows"]]
        if not response.context["next_url"]:
            break
        response = education_inspector_client.get(url + response.context["next_url"])
    assert len(seen) == 7 == len(set(seen))


@pytest.mark.parametrize("rows", [10, 200])
def test_register_list_query_count_is_constant(education_inspector_client, regions, rows,
                                               django_assert_num_queries):
    InstitutionFactory.create_batch(rows, region=regions["county"])
    # user+department, shared-institution ids, region choices, one page of institutions with their regions, nav
    # counts (the session comes from the cache: cached_db)
    with django_assert_num_queries(5):
        response = education_inspector_client.get(reverse("institutions:list"))
    assert response.status_code == 200
    # Then the region choices come from the cache: user+department, shared-institution ids, one page of
    # institutions, and the nav counts (read live here: the factories' changes wait for the test's transaction to
    # commit, hooks.work_pending(); tests/regulator/test_nav_counts.py has them cached).
    with django_assert_num_queries(4):
        again = education_inspector_client.get(reverse("institutions:list"))
    assert again.status_code == 200


def test_a_new_region_shows_in_the_filter_once_announced(education_inspector_client, regions):
    from regulator import hooks
    from regulator.models import Region, RegionLevel

    url = reverse("institutions:list")
    assert "新设街道" not in education_inspector_client.get(url).content.decode()
    Region.objects.create(code="370102099", name="新设街道", level=RegionLevel.TOWNSHIP, parent=regions["county"])
    hooks.regions_changed()  # as the admin does on commit
    assert '<option value="370102099">　　新设街道</option>' in education_inspector_client.get(url).content.decode()


def test_the_rows_read_only_the_columns_they_show(education_inspector_client, register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        education_inspector_client.get(reverse("institutions:list"))
    rows = next(q["sql"] for q in captured.captured_queries if 'FROM "institutions_institution"' in q["sql"]
                and "ORDER BY" in q["sql"])
    assert '"institutions_institution"."address"' in rows and '"regulator_region"."name"' in rows
    assert '"institutions_institution"."created_by_id"' not in rows and "legal_representative" not in rows


def test_file_page_shows_licences_sites_teachers_history(education_head_client, register, users):
    LicenceFactory(institution=register["mine"], kind=LicenceKind.BUSINESS, number="BIZ-1")
    response = education_head_client.get(register["mine"].get_absolute_url())
    assert response.status_code == 200
    assert "BIZ-1" in response.content.decode()


def test_file_page_of_other_region_is_403(education_inspector_client, register):
    response = education_inspector_client.get(register["other"].get_absolute_url())
    assert response.status_code == 403


def test_file_page_query_count(education_head_client, register, django_assert_num_queries):
    # user, institution+region, licences, licence renewals, sites, teachers, former teachers, campaign enrolments,
    # changes, annual inspections, history, pending reviews (待核对), nav counts (the session from the cache)
    with django_assert_num_queries(13):
        education_head_client.get(register["mine"].get_absolute_url())


def _institution_post(regions, **overrides):
    data = {
        "name": "新登记培训中心", "credit_code": valid_credit_code("370102"), "address": "泉城路1号",
        "region": regions["township"].code, "premises_type": "commercial", "category": "science",
        "serves_compulsory": "on", "delivery": "offline", "profit_type": "for_profit", "operating_state": "operating",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("client_fixture", "allowed"),
    [
        ("education_inspector_client", True),
        ("education_head_client", True),
        ("market_head_client", True),
        ("joint_office_client", True),
        ("police_inspector_client", False),
        ("admin_client_", True),
    ],
)
def test_create_institution_by_role(request, regions, client_fixture, allowed):
    client = request.getfixturevalue(client_fixture)
    response = client.post(reverse("institutions:create"), _institution_post(regions))
    if allowed:
        assert response.status_code == 302
        institution = Institution.objects.get(name="新登记培训中心")
        assert institution.licence_standing == LicenceStanding.NONE
        assert AuditEvent.objects.filter(institution_id=institution.pk, kind="institution.created").exists()
    else:
        assert response.status_code == 403
        assert not Institution.objects.exists()


def test_create_with_bad_check_character_explains(education_inspector_client, regions):
    code = valid_credit_code("370102")
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    response = education_inspector_client.post(
        reverse("institutions:create"), _institution_post(regions, credit_code=bad))
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert not Institution.objects.exists()


def test_duplicate_credit_code_is_refused(education_inspector_client, regions, register):
    response = education_inspector_client.post(
        reverse("institutions:create"), _institution_post(regions, credit_code=register["mine"].credit_code))
    assert response.status_code == 200
    assert "已存在" in response.content.decode()
    assert Institution.objects.count() == 4


def test_region_outside_user_is_refused(education_inspector_client, regions):
    response = education_inspector_client.post(
        reverse("institutions:create"), _institution_post(regions, region=regions["other_township"].code))
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not Institution.objects.exists()


def test_forged_edit_of_other_region_is_403_and_writes_nothing(education_inspector_client, regions, register):
    target = register["other"]
    before = AuditEvent.objects.count()
    response = education_inspector_client.post(
        reverse("institutions:edit", args=[target.pk]), _institution_post(regions, name="被篡改"))
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.name == "市中舞蹈学校"
    assert AuditEvent.objects.count() == before


def test_police_cannot_edit_but_can_view(police_inspector_client, register, regions):
    target = register["mine"]
    assert police_inspector_client.get(target.get_absolute_url()).status_code == 200
    response = police_inspector_client.post(reverse("institutions:edit", args=[target.pk]),
                                            _institution_post(regions, name="改名"))
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.name == "历下星光艺术培训"


def test_edit_records_before_and_after(education_head_client, register, regions):
    target = register["mine"]
    data = _institution_post(regions, name="历下星光艺术中心", credit_code=target.credit_code)
    response = education_head_client.post(reverse("institutions:edit", args=[target.pk]), data)
    assert response.status_code == 302
    event = AuditEvent.objects.filter(institution_id=target.pk, kind="institution.updated").get()
    assert event.before["name"] == "历下星光艺术培训" and event.after["name"] == "历下星光艺术中心"
    assert ("name", "历下星光艺术培训", "历下星光艺术中心") in event.changes


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_filter_changed_on_the_page_gets_the_list_alone(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:list"), {"q": "星光"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and _names(response) == {"历下星光艺术培训"}
    assert 'id="register-table"' in body and "历下星光艺术培训" in body and "历下数学思维" not in body
    assert "<html" not in body and 'id="register-filters"' not in body  # no page around it, no form
    # The export links follow the filters: swapped out of band into the page's actions.
    assert 'id="register-actions" hx-swap-oob="true"' in body and "/register/export.xlsx?q=%E6%98%9F%E5%85%89" in body
    assert "HX-Request" in response["Vary"]


def test_the_full_page_loads_htmx_and_wires_the_filters(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:list"))
    body = response.content.decode()
    assert "<html" in body and 'hx-get="/register/"' in body and 'hx-target="#register-results"' in body
    assert '/static/django_htmx/htmx-2.min.js' in body and 'hx-swap-oob' not in body
    assert "HX-Request" in response["Vary"]


def test_a_restored_history_entry_gets_the_whole_page(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:list"), {"q": "星光"},
                                              HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode() and _names(response) == {"历下星光艺术培训"}


def test_a_bad_filter_in_the_list_alone_is_explained(education_inspector_client, register):
    response = education_inspector_client.get(reverse("institutions:list"), {"category": "astrology"}, **HTMX)
    assert response.status_code == 200 and response.context["rows"] == []
    assert "筛选条件有误" in response.content.decode()


@pytest.mark.parametrize("rows", [10, 60])
def test_the_list_alone_has_a_constant_query_count(education_inspector_client, regions, rows,
                                                   django_assert_num_queries):
    InstitutionFactory.create_batch(rows, region=regions["county"])
    # user+department, shared-institution ids, region choices, one page of institutions with their regions (no
    # navigation: it is not rendered; the session comes from the cache: cached_db)
    with django_assert_num_queries(4):
        response = education_inspector_client.get(reverse("institutions:list"), **HTMX)
    assert response.status_code == 200


# The loops the register's templates had before register_rows and form_fields built the same HTML in Python.
ROWS_LOOP = """{% load i18n register %}{% translate "机构名称" as l_name %}{% translate "信用代码" as l_code %}\
{% translate "区划" as l_region %}{% translate "类别" as l_category %}{% translate "证照" as l_standing %}\
{% translate "状态" as l_state %}{% translate "场所" as l_premises %}{% for inst in rows %}
    <tr>
      <td data-label="{{ l_name }}"><a href="{{ detail_prefix }}{{ inst.pk }}/">{{ inst.name }}</a><br><small>{{ inst.address }}</small></td>
      <td data-label="{{ l_code }}"><code>{{ inst.credit_code|default:"—" }}</code></td>
      <td data-label="{{ l_region }}">{{ inst.region.name }}</td>
      <td data-label="{{ l_category }}">{{ inst.category|choice_label:"category" }}</td>
      <td data-label="{{ l_standing }}"><span class="badge standing-{{ inst.licence_standing }}">{{ inst.licence_standing|choice_label:"licence_standing" }}</span></td>
      <td data-label="{{ l_state }}"><span class="badge state-{{ inst.operating_state }}">{{ inst.operating_state|choice_label:"operating_state" }}</span></td>
      <td data-label="{{ l_premises }}">{% if inst.premises_forbidden %}<span class="badge danger">{% else %}<span>{% endif %}{{ inst.premises_type|choice_label:"premises_type" }}</span></td>
    </tr>
  {% endfor %}"""  # noqa: E501
FORM_LOOP = """{% for field in form %}
  <div class="field{% if field.errors %} has-error{% endif %}">{{ field.label_tag }} {{ field }}
    {% for e in field.errors %}<p class="error" role="alert">{{ e }}</p>{% endfor %}</div>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", ["", "category=academic&region=370102001", "category=astrology&q=<b>"])
def test_rows_and_filter_form_are_the_html_of_the_template_loops(users, regions, language, query):
    from django.template import engines
    from django.test import RequestFactory
    from django.utils import translation

    from institutions import selectors
    from institutions.models import PremisesType
    from institutions.templatetags.register import register_rows
    from regulator.templatetags.fragments import form_fields

    InstitutionFactory(name='星光 & "艺术" <培训>', address="解放路 1 号 <b>", region=regions["township"],
                       credit_code="", premises_type=PremisesType.RESIDENTIAL, category="academic")
    InstitutionFactory(name="历下数学思维", region=regions["county"], category="academic")
    request = RequestFactory().get("/register/?" + query)
    request.user = users["education_inspector"]
    engine = engines["django"]
    with translation.override(language):
        register = selectors.register_filter(user=request.user, params=request.GET, request=request)
        rows = list(register.qs.select_related("region").order_by("-pk"))
        loop = engine.from_string(ROWS_LOOP).render({"rows": rows, "detail_prefix": "/register/"})
        assert ("&amp; &quot;艺术&quot; &lt;培训&gt;" in loop) == bool(rows)
        assert register_rows(rows, "/register/") == loop
        # the page's own rows (values read as tuples), built and then kept by what they show: the same HTML
        page = selectors.register_list_page(user=request.user, params=request.GET, request=request, size=50,
                                            after=None)
        if page.valid:  # an invalid filter shows no rows at all (test_an_invalid_filter_is_never_kept)
            assert [row.pk for row in page.rows] == [row.pk for row in rows]
            assert register_rows(page.rows, "/register/") == loop
            assert register_rows(page.rows, "/register/") == loop
        form_loop = engine.from_string(FORM_LOOP).render({"form": register.form})
        assert form_fields(register.form) == form_loop
        assert form_fields(register.form, register.form_key) == form_loop  # rendered and kept
        assert form_fields(register.form, register.form_key) == form_loop  # the copy kept


def test_a_process_keeps_the_region_choices_it_read(education_inspector_client, regions, settings, monkeypatch):
    import redis

    from institutions import filters
    from regulator import hooks
    from regulator.models import Region, RegionLevel

    settings.REGION_CHOICES_LOCAL_SECONDS = 60  # the test settings turn the copy off
    filters._local_choices.clear()
    url = reverse("institutions:list")
    education_inspector_client.get(url)
    sent = []
    execute = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command",
                        lambda self, *args, **options: sent.append(str(args[0]).upper()) or execute(self, *args,
                                                                                                    **options))
    try:
        education_inspector_client.get(url)
        # the session's read alone (with the navigation's version, regulator/sessions.py): the choices, and the
        # navigation, from this process's copies
        assert sent == ["MGET"]
        Region.objects.create(code="370102099", name="新设街道", level=RegionLevel.TOWNSHIP, parent=regions["county"])
        hooks.regions_changed()  # a change made in this process: its copy goes at once
        assert "新设街道" in education_inspector_client.get(url).content.decode()
    finally:
        filters._local_choices.clear()


# ---- the register page's SQL compiled once per scope and filters (institutions/selectors.py) --------------------

def _count_filtersets(monkeypatch):
    from institutions import selectors

    built = []
    real = selectors.InstitutionFilter

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "InstitutionFilter", counting)
    return built


@pytest.mark.parametrize("query", ["", "category=academic", "q=历下", "q=星光艺术&region=370102001"])
def test_a_page_shown_again_is_the_same_page_without_a_filterset(education_inspector_client, register, regions,
                                                                   settings, monkeypatch, query):
    from institutions import selectors

    selectors._PAGE_QUERIES.clear()
    settings.REGISTER_PAGE_SIZE = 1
    InstitutionFactory(name="历下星光艺术二部", region=regions["township"], category="academic")
    built = _count_filtersets(monkeypatch)
    url = reverse("institutions:list") + "?" + query
    first = education_inspector_client.get(url)
    assert built == [1]
    again = education_inspector_client.get(url)
    assert built == [1]  # the compiled SQL and the kept form HTML: no FilterSet
    assert [row.pk for row in again.context["rows"]] == [row.pk for row in first.context["rows"]] != []
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", first.content.decode())
    assert re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", again.content.decode()) == html
    # Every next page: the same SQL with another `after`, compiled once for every page after the first.
    seen, next_url = [row.pk for row in first.context["rows"]], first.context["next_url"]
    while next_url:
        page = education_inspector_client.get(reverse("institutions:list") + next_url)
        seen += [row.pk for row in page.context["rows"]]
        next_url = page.context["next_url"]
    expected = selectors.register_filter(user=first.wsgi_request.user, params=first.wsgi_request.GET,
                                         request=first.wsgi_request).qs.order_by("-pk")
    assert seen == [inst.pk for inst in expected]
    assert len(built) == 3  # the first page, the first of the later pages, and register_filter just above


def test_the_compiled_page_is_each_scopes_own(client, users, register, regions):
    from institutions import selectors, services

    selectors._PAGE_QUERIES.clear()
    url = reverse("institutions:list") + "?q=学校"  # 市中舞蹈学校 (other county) and 青岛编程学校 (far county)
    client.force_login(users["education_inspector"])
    assert _names(client.get(url)) == set()
    client.force_login(users["other_county_inspector"])
    assert _names(client.get(url)) == {"市中舞蹈学校"}
    client.force_login(users["prefecture_head"])
    assert _names(client.get(url)) == {"市中舞蹈学校"}
    client.force_login(users["admin"])
    assert _names(client.get(url)) == {"市中舞蹈学校", "青岛编程学校"}
    # A file shared with the department after its page was compiled shows on its next page.
    client.force_login(users["education_inspector"])
    services.institution_share(actor=users["admin"], institution=register["far"],
                               department=users["education_inspector"].department)
    assert _names(client.get(url)) == {"青岛编程学校"}


def test_an_invalid_filter_is_never_kept(education_inspector_client, register, regions, monkeypatch):
    from institutions import selectors

    selectors._PAGE_QUERIES.clear()
    built = _count_filtersets(monkeypatch)
    url = reverse("institutions:list") + "?region=" + regions["other_county"].code
    for _ in range(2):
        response = education_inspector_client.get(url)
        assert response.context["rows"] == [] and "筛选条件有误" in response.content.decode()
    assert built == [1, 1] and selectors._PAGE_QUERIES == {}


def test_a_row_shows_what_its_institution_holds_now(education_inspector_client, register):
    """A row's HTML is kept by the values it shows (institutions/templatetags/register.py): an edit shows on the next
    page, whichever way it was written, and the row before the edit is not shown again."""
    from institutions.models import Institution

    url = reverse("institutions:list")
    first = education_inspector_client.get(url).content.decode()
    institution = register["mine"]
    assert institution.name in first
    Institution.objects.filter(pk=institution.pk).update(name="改名后的 <学校>", operating_state="suspended")
    again = education_inspector_client.get(url).content.decode()
    assert "改名后的 &lt;学校&gt;" in again and f">{institution.name}<" not in again
    assert again.count('class="badge state-suspended"') == first.count('class="badge state-suspended"') + 1
