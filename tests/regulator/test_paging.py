"""Keyset pages (regulator.paging) and the one parser of the `after` parameter, alone and on the pages."""

from operator import itemgetter

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institutions.models import Institution
from regulator.paging import BadPageParameter, after_param, keyset_page, parse_after
from tests.factories import InstitutionFactory


@pytest.fixture
def five(regions):
    return [InstitutionFactory(region=regions["county"]).pk for _ in range(5)]


@pytest.mark.django_db
def test_pages_are_newest_first_and_never_repeat_or_skip(five):
    seen, after, pages = [], None, 0
    while True:
        rows, after = keyset_page(Institution.objects.all(), after=after, size=2)
        seen += [row.pk for row in rows]
        pages += 1
        if after is None:
            break
        assert after == rows[-1].pk
    assert seen == sorted(five, reverse=True) and pages == 3


@pytest.mark.django_db
def test_a_full_last_page_has_no_next_link(five):
    rows, after = keyset_page(Institution.objects.all(), after=None, size=5)
    assert len(rows) == 5 and after is None
    rows, after = keyset_page(Institution.objects.all(), after=0, size=4)  # 0 is the first page too
    assert [row.pk for row in rows] == sorted(five, reverse=True)[:4] and after == rows[-1].pk


@pytest.mark.django_db
def test_one_query_and_no_count(five):
    with CaptureQueriesContext(connection) as queries:
        keyset_page(Institution.objects.all(), after=max(five), size=2)
    assert len(queries.captured_queries) == 1
    assert "COUNT(" not in queries.captured_queries[0]["sql"].upper()


@pytest.mark.django_db
def test_values_list_rows_with_a_key(five):
    rows, after = keyset_page(Institution.objects.values_list("pk", "name"), after=None, size=3,
                              key=itemgetter(0))
    assert [row[0] for row in rows] == sorted(five, reverse=True)[:3] and after == rows[-1][0]


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), ("0", 0), ("12", 12), ("0012", 12),
                                             ("9" * 18, int("9" * 18))])
def test_parse_after_accepts_ids(value, expected):
    assert parse_after(value) == expected


@pytest.mark.parametrize("value", ["abc", "-1", "+1", "1.5", " 12", "12 ", "²", "١٢", "1e3", "9" * 19])
def test_parse_after_refuses_anything_else_with_a_chinese_message(value):
    with pytest.raises(BadPageParameter) as raised:
        parse_after(value)
    assert raised.value.message == "页码参数无效。"


def test_after_param_ignores_a_bad_value_unless_strict():
    assert after_param(QueryDict("after=42")) == 42
    assert after_param(QueryDict("")) is None
    assert after_param(QueryDict("after=%C2%B2")) is None  # '²': str.isdigit() says yes, int() fails
    with pytest.raises(BadPageParameter):
        after_param(QueryDict("after=x"), strict=True)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "x", "9" * 30])
def test_staff_lists_show_the_first_page_for_a_bad_after(value, education_head_client, regions):
    InstitutionFactory(name="历下星光艺术培训", region=regions["county"])
    for url in ("/register/", reverse("inspections:home"), reverse("penalties:home"), reverse("penalties:inbox"),
                reverse("publicity:staff_home"), reverse("publicity:report_ledger"), "/ledger/orders/"):
        response = education_head_client.get(url, {"after": value})
        assert response.status_code == 200, url
    assert "历下星光艺术培训" in education_head_client.get("/register/", {"after": value}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "x", "9" * 30])
def test_public_spot_checks_refuse_a_bad_after_with_a_reason(value, client):
    response = client.get(reverse("publicity:spot_checks"), {"after": value})
    assert response.status_code == 400 and "页码参数无效" in response.content.decode()
