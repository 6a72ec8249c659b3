"""One public search over every institution with a public page — white-listed, black-listed or neither — with its
list status, standing and last inspection; nothing of the register without a public page leaks."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from publicity import services
from publicity.models import EntryStatus, ListKind
from tests.factories import CampaignFactory, InstitutionFactory, ListEntryFactory, SpotCheckDrawFactory

pytestmark = pytest.mark.django_db
URL = reverse("publicity:public_search")


@pytest.fixture
def world(institution, users, departments, regions):
    white = ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED)
    bad = InstitutionFactory(name="黑心补习班", region=regions["county"], address="地下室")
    black = ListEntryFactory(institution=bad, status=EntryStatus.APPROVED, list_kind=ListKind.BLACK,
                             reason="无证办学", black_category="unlicensed")
    services.batch_publish(entry_ids=[black.pk], actor=users["joint_office"])
    hidden = InstitutionFactory(name="未公示的补习班", region=regions["county"])
    ListEntryFactory(institution=hidden, status=EntryStatus.APPROVED)  # approved, never published
    checked = InstitutionFactory(name="抽查过的舞蹈培训", region=regions["township"])
    campaign = CampaignFactory(kind="spot_check", lead_department=departments["education"],
                               departments=[departments["market"]], region=regions["township"])
    SpotCheckDrawFactory(campaign=campaign, sample_size=2, published=True)  # both of the township's institutions
    return {"white": white, "bad": bad, "hidden": hidden, "checked": checked}


def results(**query) -> str:
    return Client().get(URL, query).content.decode()


def test_a_black_listed_name_is_found_and_labelled(world):
    body = results(q="黑心")
    assert "黑心补习班" in body and 'class="badge danger list-status">黑名单' in body
    assert "星光美术培训中心" not in body


def test_every_institution_with_a_public_page_is_searchable_and_nothing_else(world):
    body = results()
    assert "星光美术培训中心" in body and "黑心补习班" in body
    assert "抽查过的舞蹈培训" in body  # no list entry, but a published spot-check result
    assert "未公示的补习班" not in body
    neither = results(list_status="none")
    assert "抽查过的舞蹈培训" in neither and "未列入白名单或黑名单" in neither
    assert "黑心补习班" not in neither and "星光美术培训中心" not in neither
    assert "最近抽查结果" in neither and "未发现问题" in neither


def test_traditional_script_and_credit_code_find_the_same_institution(world):
    assert "星光美术培训中心" in results(q="星光美術")
    assert "星光美术培训中心" in results(q=world["white"].institution.credit_code)


def test_the_empty_state_says_not_listed_is_no_guarantee_and_links_to_report(world):
    body = results(q="月亮舞蹈")
    assert "没有找到符合条件的机构" in body and "不在白名单中，并不代表" in body
    assert reverse("publicity:report_form") in body


def test_the_white_list_sends_a_black_listed_name_to_the_whole_search(world):
    body = Client().get(reverse("publicity:white_list"), {"q": "黑心补习班"}).content.decode()
    assert "没有符合条件的已公示机构" in body and f"{URL}?q=%E9%BB%91" in body


def test_a_bad_page_is_refused_in_chinese(world):
    response = Client().get(URL, {"page": "0"})
    assert response.status_code == 400 and "页码须为1到" in response.content.decode()


@pytest.mark.parametrize("rows", [10, 200])
def test_two_queries_a_page_however_many_institutions(world, regions, users, rows, django_assert_num_queries):
    entries = [ListEntryFactory(institution=InstitutionFactory(name=f"批量培训{n:03d}", region=regions["township"]),
                                status=EntryStatus.APPROVED) for n in range(rows)]
    services.batch_publish(entry_ids=[entry.pk for entry in entries], actor=users["joint_office"])
    cache.clear()
    with django_assert_num_queries(3):  # the page's ids, its rows (list status, last inspection), the regions
        response = Client().get(URL, {"q": "批量"})
    assert response.status_code == 200 and response.content.decode().count("批量培训") == min(rows, 20)


def test_every_public_page_names_its_sponsor_and_contacts_and_has_share_metadata(world, settings):
    settings.PUBLIC_SITE = {**settings.PUBLIC_SITE, "sponsor": "济南市历下区校外培训治理办公室",
                            "phone": "0531-12345678"}
    settings.REPORT_HOTLINES = [{"region": "370102", "name": "历下区教育局", "phone": "0531-87654321",
                                 "address": "历下区文化路1号", "hours": "工作日 9:00—17:00"}]
    cache.clear()
    for name in ("public_search", "white_list", "report_form"):
        body = Client().get(reverse(f"publicity:{name}")).content.decode()
        assert "主办单位：济南市历下区校外培训治理办公室" in body, name
        assert 'href="tel:0531-12345678"' in body, name
        assert '<meta property="og:title"' in body and '<meta property="og:description"' in body, name
    form = Client().get(reverse("publicity:report_form")).content.decode()
    assert "也可以电话、信件或当面举报" in form
    assert "历下区教育局" in form and 'href="tel:0531-87654321"' in form and "历下区文化路1号" in form
