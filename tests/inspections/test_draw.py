"""The double-random draw: reproducible from seed/pool/roster, mismatch shown, bad requests write nothing."""

import pytest

from inspections import draw as draw_module
from inspections.models import SpotCheckDraw, Visit
from inspections.services import campaign_create
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import Role
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(users, departments, regions, checklist):
    return campaign_create(
        actor=users["joint_office"],
        name="双随机抽查",
        kind="spot_check",
        region=regions["county"],
        starts_on=TODAY,
        ends_on=TODAY,
        lead_department=departments["education"],
        departments=[departments["market"]],
        category="arts",
    )


@pytest.fixture
def pool(regions):
    inside = [InstitutionFactory(region=regions["township"], category="arts") for _ in range(8)]
    InstitutionFactory(region=regions["township"], category="academic")  # other category
    InstitutionFactory(region=regions["other_township"], category="arts")  # other county
    InstitutionFactory(region=regions["township"], category="arts", operating_state="banned")
    return inside


@pytest.fixture
def roster(users, departments):
    extra = [UserFactory(department=departments["education"], role=Role.INSPECTOR) for _ in range(2)]
    return [users["education_inspector"], users["market_inspector"], *extra]


def test_draw_picks_from_the_scoped_pool_and_plans_visits(campaign, pool, roster, users):
    draw = draw_module.spot_check_draw(
        actor=users["joint_office"], campaign=campaign, sample_size=3, planned_on=TODAY, seed="seed-2025"
    )
    assert draw.pool == sorted(i.pk for i in pool)
    assert draw.roster == sorted(u.pk for u in roster)
    assert len(draw.result) == 3
    for row in draw.result:
        assert row["institution"] in draw.pool
        assert len(row["inspectors"]) == 2 and len(set(row["inspectors"])) == 2
    visits = Visit.objects.filter(draw=draw)
    assert visits.count() == 3
    assert all(v.assignments.count() == 2 and v.kind == "spot_check" for v in visits)


def test_rerun_reproduces_the_identical_result(campaign, pool, roster, users):
    draw = draw_module.spot_check_draw(
        actor=users["joint_office"], campaign=campaign, sample_size=4, planned_on=TODAY
    )
    stored = SpotCheckDraw.objects.get(pk=draw.pk)
    report = draw_module.draw_rerun(draw=stored)
    assert report.identical and report.pool_matches and report.result == stored.result
    # The pure function gives the same answer from the stored inputs, and a different seed another one.
    again = draw_module.compute(
        seed=stored.seed,
        pool=list(reversed(stored.pool)),
        roster=stored.roster,
        conflicts=[],
        sample_size=4,
        per_visit=2,
    )
    assert again == stored.result
    other = draw_module.compute(
        seed=stored.seed + "x",
        pool=stored.pool,
        roster=stored.roster,
        conflicts=[],
        sample_size=4,
        per_visit=2,
    )
    assert other != stored.result


def test_a_changed_pool_is_reported_as_a_mismatch_not_a_new_draw(campaign, pool, roster, users, regions):
    draw = draw_module.spot_check_draw(
        actor=users["joint_office"], campaign=campaign, sample_size=2, planned_on=TODAY, seed="s"
    )
    newcomer = InstitutionFactory(region=regions["township"], category="arts")
    report = draw_module.draw_rerun(draw=draw)
    assert report.identical and not report.pool_matches
    assert report.added == [newcomer.pk] and report.removed == []
    draw.refresh_from_db()
    assert newcomer.pk not in draw.pool


def test_conflicts_are_excluded(campaign, pool, roster, users):
    conflicted = users["education_inspector"]
    conflicts = [[conflicted.pk, i.pk] for i in pool]
    draw = draw_module.spot_check_draw(
        actor=users["joint_office"], campaign=campaign, sample_size=8, planned_on=TODAY, conflicts=conflicts
    )
    assert all(conflicted.pk not in row["inspectors"] for row in draw.result)
    assert draw_module.draw_rerun(draw=draw).identical


def test_more_than_the_pool_holds_is_refused_and_nothing_written(campaign, pool, roster, users):
    with pytest.raises(ServiceError, match="超过了机构库中的机构数（8）"):
        draw_module.spot_check_draw(
            actor=users["joint_office"], campaign=campaign, sample_size=9, planned_on=TODAY
        )
    assert not SpotCheckDraw.objects.exists() and not Visit.objects.exists()


def test_too_few_inspectors_or_one_per_visit_is_refused(campaign, pool, users):
    with pytest.raises(ServiceError, match="至少 2 人"):
        draw_module.spot_check_draw(
            actor=users["joint_office"],
            campaign=campaign,
            sample_size=1,
            planned_on=TODAY,
            inspectors_per_visit=1,
        )
    with pytest.raises(ServiceError, match="不足"):
        draw_module.spot_check_draw(
            actor=users["joint_office"],
            campaign=campaign,
            sample_size=1,
            planned_on=TODAY,
            inspectors_per_visit=3,
        )
    assert not SpotCheckDraw.objects.exists() and not Visit.objects.exists()


@pytest.mark.parametrize(
    "name", ["education_inspector", "market_head", "police_inspector", "other_county_inspector"]
)
def test_only_joint_office_or_lead_head_may_draw(campaign, pool, roster, users, name):
    with pytest.raises(ActionForbidden):
        draw_module.spot_check_draw(actor=users[name], campaign=campaign, sample_size=1, planned_on=TODAY)
    assert not SpotCheckDraw.objects.exists()
