"""The public lists' prepared query (publicity.selectors.public_list_page) returns what the ORM's queryset returns."""

import itertools

import pytest

from publicity import selectors
from publicity.models import EntryStatus, ListKind
from tests.factories import InstitutionFactory, ListEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(regions):
    made = []
    for number, (region, category, kind) in enumerate(itertools.product(
            ("county", "township", "other_county"), ("academic", "arts"), (ListKind.WHITE, ListKind.BLACK))):
        institution = InstitutionFactory(name=f"星光{'數學' if number % 3 == 0 else '美术'}培训{number}",
                                         address=f"解放路{number}号 100%_店", region=regions[region],
                                         category=category, serves_compulsory=number % 2 == 0)
        black = kind == ListKind.BLACK
        made.append(ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED, list_kind=kind,
                                     black_category="unlicensed" if black else "",
                                     is_typical_case=black and number % 4 == 1,
                                     reason="无证办学" if black else "证照齐全"))
    ListEntryFactory(institution=made[0].institution, status=EntryStatus.APPROVED)  # not public
    return made


QUERIES = [
    {}, {"list_kind": ListKind.WHITE}, {"list_kind": ListKind.BLACK, "typical_only": True},
    {"q": "数学"}, {"q": "數學"}, {"q": "解放路3号"}, {"q": "100%"}, {"q": "%"}, {"q": "_店"},
    {"region": "370102"}, {"region": "3701"}, {"category": "arts"}, {"students": "compulsory"},
    {"list_kind": ListKind.BLACK, "black_category": "unlicensed", "region": "370103"},
    {"q": "星光", "region": "370102", "category": "academic", "students": "compulsory"},
]


@pytest.mark.parametrize("query", QUERIES, ids=[repr(query) for query in QUERIES])
@pytest.mark.parametrize(("page", "size"), [(1, 20), (1, 3), (2, 3)])
def test_the_prepared_page_is_the_querysets_page(entries, query, page, size):
    orm = selectors.public_entry_page(selectors.public_entries_filtered(**query), page=page, size=size)
    prepared = selectors.public_list_page(page=page, size=size, **query)
    assert prepared == orm
    again = selectors.public_list_page(page=page, size=size, **query)  # the kept SQL, run again
    assert again == orm


def test_a_credit_code_filter_and_a_code_typed_as_the_search(entries):
    code = entries[5].institution.credit_code
    for query in ({"credit_code": code}, {"q": code}, {"q": code.lower()}):
        rows, more = selectors.public_list_page(page=1, **query)
        assert [row["entry_id"] for row in rows] == [entries[5].pk] and not more


def test_one_query_a_page(entries, django_assert_num_queries):
    selectors.public_list_page(page=1, q="星光", region="3701")
    with django_assert_num_queries(1):
        rows, _more = selectors.public_list_page(page=1, q="美术", region="370102")
    assert rows and all(row["region_code"].startswith("370102") and "美术" in row["institution_name"] for row in rows)
