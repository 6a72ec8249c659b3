"""Register search: two-character terms through the bigram index (PostgreSQL), longer ones through the trigram
indexes, Latin terms and credit-code prefixes; the same rows whichever path answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institutions.filters import search_q
from institutions.models import Institution
from tests.factories import InstitutionFactory, valid_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(regions):
    township = regions["township"]
    rows = {
        "english": InstitutionFactory(name="历下阳光英语培训学校", address="历下区文化路1号", region=township),
        "maths": InstitutionFactory(name="历下数学思维培训中心", address="历下区英雄山路2号", region=township),
        "dance": InstitutionFactory(name="历下舞蹈艺术学校", address="历下区泉城路3号", region=township),
        "latin": InstitutionFactory(name="ABC Kids English 历下", address="历下区经十路4号", region=township),
        "split": InstitutionFactory(name="历下英才学校", address="历下区语文路5号", region=township),
    }
    return rows


def _found(term):
    return set(Institution.objects.filter(search_q(term)).values_list("name", flat=True))


def _like(term):
    return {inst.name for inst in Institution.objects.all() if term in inst.name or term in inst.address}


@pytest.mark.parametrize("term", ["英语", "数学", "舞蹈", "英雄", "学校", "历下", "路1", "En", "AB", "Ki"])
def test_two_character_terms_find_exactly_the_rows_containing_them(named, term):
    assert _found(term) == _like(term)


def test_two_characters_in_name_or_address_but_not_across_them(named):
    # 英 ends nothing and 语 starts the address of 历下英才学校: the pair 英语 is in neither column
    assert _found("英语") == {"历下阳光英语培训学校"}
    assert _found("英雄") == {"历下数学思维培训中心"}  # in the address only


@pytest.mark.parametrize("term", ["英语培", "数学思维", "舞蹈艺术学校", "文化路", "English", "ABC Kids"])
def test_longer_terms_find_exactly_the_rows_containing_them(named, term):
    assert _found(term) == _like(term) and _found(term)


def test_one_character_and_missing_terms(named):
    assert _found("英") == _like("英")
    assert _found("法语") == set()


def test_credit_code_prefix_and_exact_code(regions):
    code = valid_credit_code()
    institution = InstitutionFactory(name="历下编程学校", credit_code=code, region=regions["township"])
    assert set(Institution.objects.filter(search_q(code[:2])).values_list("pk", flat=True)) >= {institution.pk}
    assert list(Institution.objects.filter(search_q(code.lower())).values_list("pk", flat=True)) == [institution.pk]
    assert institution.pk not in set(Institution.objects.filter(search_q("英语")).values_list("pk", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's")
def test_two_character_search_uses_the_bigram_expression(named):
    with CaptureQueriesContext(connection) as queries:
        assert _found("英语") == {"历下阳光英语培训学校"}
    assert "institution_bigrams(" in queries.captured_queries[-1]["sql"]
    with CaptureQueriesContext(connection) as queries:
        _found("英语培训")
    assert "institution_bigrams(" not in queries.captured_queries[-1]["sql"]


def test_register_page_two_character_search(education_head_client, named):
    response = education_head_client.get(reverse("institutions:list"), {"q": "舞蹈"})
    assert response.status_code == 200
    assert {inst.name for inst in response.context["rows"]} == {"历下舞蹈艺术学校"}


def _page_names(client, **params):
    response = client.get(reverse("institutions:list"), params)
    assert response.status_code == 200
    return {inst.name for inst in response.context["rows"]}


def test_two_character_search_keeps_to_the_region(regions, education_head_client, prefecture_head_client):
    InstitutionFactory(name="历下英语学校", region=regions["township"])
    InstitutionFactory(name="历下区英语中心", region=regions["county"])
    InstitutionFactory(name="市中英语学校", region=regions["other_township"])
    InstitutionFactory(name="青岛英语学校", region=regions["far_county"])
    assert _page_names(education_head_client, q="英语") == {"历下英语学校", "历下区英语中心"}
    assert _page_names(prefecture_head_client, q="英语") == {"历下英语学校", "历下区英语中心", "市中英语学校"}
    assert _page_names(prefecture_head_client, q="英语", region="370103") == {"市中英语学校"}
    assert _page_names(education_head_client, q="英语", region="370102001") == {"历下英语学校"}


def test_two_character_search_finds_institutions_shared_from_another_region(users, departments, regions,
                                                                            other_county_client):
    from institutions import services

    shared = InstitutionFactory(region=regions["township"], name="历下共享英语学校")
    InstitutionFactory(region=regions["township"], name="历下未共享英语学校")
    InstitutionFactory(region=regions["other_township"], name="市中英语学校")
    services.institution_share(actor=users["education_head"], institution=shared,
                               department=departments["other_education"])
    assert _page_names(other_county_client, q="英语") == {"历下共享英语学校", "市中英语学校"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_name_and_address_keep_finer_planner_statistics():
    """A two-character public search is estimated from the sampled names: with the default 100 values, 舞蹈 in 0.8% of
    100,000 names was expected in 30 rows and the whole table read (institutions/migrations/0015)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'institutions_institution'"
                       "::regclass AND attname IN ('name', 'address') ORDER BY attname")
        assert cursor.fetchall() == [("address", 1000), ("name", 1000)]
