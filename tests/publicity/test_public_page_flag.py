"""Institution.has_public_page: set by what publishes (a list batch, a spot-check result, an annual batch), never by
a step before publication, never unset; the migration's backfill; the public search reads it."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from institutions.annual import services as annual
from institutions.models import AnnualResult, Institution
from publicity import services
from publicity.models import EntryStatus, ListKind
from tests.factories import InstitutionFactory, ListEntryFactory, SpotCheckDrawFactory
from tests.publicity.test_annual_batches import _plan

pytestmark = pytest.mark.django_db

backfill = __import__("publicity.migrations.0008_public_pages_backfill", fromlist=["backfill"]).backfill


def flagged(*institutions) -> list[bool]:
    return [Institution.objects.get(pk=institution.pk).has_public_page for institution in institutions]


def test_a_list_entry_gives_a_public_page_when_published_and_keeps_it_when_removed(regions, users):
    institution = InstitutionFactory(region=regions["county"])
    entry = ListEntryFactory(institution=institution, status=EntryStatus.APPROVED)
    assert flagged(institution) == [False]  # approved is not published
    services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
    assert flagged(institution) == [True]
    removed = ListEntryFactory(institution=InstitutionFactory(region=regions["county"]), status=EntryStatus.REMOVED)
    assert flagged(removed.institution) == [True]  # the page says it was removed: it still exists


def test_a_published_spot_check_and_a_published_annual_batch_give_public_pages(users, regions, departments):
    from tests.factories import CampaignFactory, ensure_annual_materials

    campaign = CampaignFactory(kind="spot_check", lead_department=departments["education"],
                               departments=[departments["market"]], region=regions["township"])
    checked = InstitutionFactory(region=regions["township"])
    SpotCheckDrawFactory(campaign=campaign, sample_size=1, published=False)
    assert flagged(checked) == [False]
    SpotCheckDrawFactory(campaign=campaign, sample_size=1, published=True)
    assert flagged(checked) == [True]

    ensure_annual_materials()
    plan, institutions = _plan(users, regions, [(AnnualResult.PASS, ""), (None, "")])
    assert flagged(*institutions) == [False, False]
    annual.plan_publish(actor=users["education_head"], plan_id=plan.pk)
    assert flagged(*institutions) == [True, True]


def test_the_backfill_sets_what_was_published_before_the_column(regions, users):
    published = ListEntryFactory(institution=InstitutionFactory(region=regions["county"]),
                                 status=EntryStatus.PUBLISHED).institution
    proposed = ListEntryFactory(institution=InstitutionFactory(region=regions["county"])).institution
    never = InstitutionFactory(region=regions["county"])
    Institution.objects.update(has_public_page=False)
    backfill(apps, SimpleNamespace(connection=connection))
    assert flagged(published, proposed, never) == [True, False, False]


def test_the_search_finds_public_institutions_only_in_two_queries_and_the_regions(regions, users,
                                                                                  django_assert_num_queries):
    for number in range(25):
        ListEntryFactory(institution=InstitutionFactory(name=f"公开舞蹈{number:02d}", region=regions["county"]),
                         status=EntryStatus.PUBLISHED, list_kind=ListKind.BLACK if number % 5 == 0 else ListKind.WHITE)
    InstitutionFactory(name="公开舞蹈未公示", region=regions["county"])
    cache.clear()
    with django_assert_num_queries(3):  # the page's ids, its rows with list status and inspection, the regions
        body = Client().get(reverse("publicity:public_search"), {"q": "舞蹈"}).content.decode()
    names = [f"公开舞蹈{number:02d}" for number in range(25)]
    assert [name for name in names if name in body] == names[:20]  # by name, twenty a page
    assert "公开舞蹈未公示" not in body
    assert body.count('list-status">黑名单') == 4 and body.count('list-status">白名单') == 16
    second = Client().get(reverse("publicity:public_search"), {"q": "舞蹈", "page": "2"}).content.decode()
    assert [name for name in names if name in second] == names[20:]


def test_an_institution_known_only_by_a_published_spot_check_has_its_page(regions, departments, users):
    """The search lists it and links to its page: the page exists (it was 404 while the page's own test left the
    spot checks out)."""
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(kind="spot_check", lead_department=departments["education"],
                               departments=[departments["market"]], region=regions["township"])
    checked = InstitutionFactory(name="只被抽查过的机构", region=regions["township"])
    SpotCheckDrawFactory(campaign=campaign, sample_size=1, published=True)
    cache.clear()
    search = Client().get(reverse("publicity:public_search"), {"q": "只被抽查"}).content.decode()
    page_url = reverse("publicity:institution_page", args=[checked.pk])
    assert page_url in search
    page = Client().get(page_url)
    assert page.status_code == 200 and "只被抽查过的机构" in page.content.decode()
    hidden = InstitutionFactory(name="未公示机构", region=regions["township"])
    assert Client().get(reverse("publicity:institution_page", args=[hidden.pk])).status_code == 404
