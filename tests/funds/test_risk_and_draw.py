"""Risk levels from named factors (with history), and double-random draws weighted by risk level: replayable,
shares within tolerance over many seeds, bad weights refused."""

import datetime
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections import draw as draw_module
from inspections.models import SpotCheckDraw
from inspections.services import campaign_create
from institutions.funds import risk
from institutions.funds.models import RiskAssessment, RiskLevel
from regulator.errors import ServiceError
from regulator.models import AuditEvent, Role
from tests.factories import InstitutionFactory, UserFactory, ensure_checklist

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime.datetime(2025, 10, 20, 3, 0))


def test_levels_from_factors_and_history(regions):
    unlicensed = InstitutionFactory(region=regions["township"])  # standing: none, never inspected → 50
    assert risk.risk_assess(institution_ids=[unlicensed.pk], now=NOW) == 1
    current = RiskAssessment.objects.get(institution=unlicensed, is_current=True)
    assert current.score == 50 and current.level == RiskLevel.HIGH
    factors = {f["code"]: f for f in current.factors}
    assert factors["standing_none"]["points"] == 40 and factors["no_inspection_365d"]["points"] == 10
    assert factors["open_order"]["points"] == 0 and factors["open_order"]["label"] == "未销号的整改通知书"
    # unchanged: no new row
    assert risk.risk_assess(institution_ids=[unlicensed.pk], now=NOW) == 0
    # the weights are settings; a change makes a new current row and keeps the old one as history
    assert RiskAssessment.objects.filter(institution=unlicensed).count() == 1


def test_a_changed_level_keeps_history(settings, regions):
    institution = InstitutionFactory(region=regions["township"])
    risk.risk_assess(institution_ids=[institution.pk], now=NOW)
    settings.FUNDS_RISK_WEIGHTS = {"standing_none": 60, "no_inspection_365d": 10}
    risk.risk_assess(institution_ids=[institution.pk], now=NOW + datetime.timedelta(days=1))
    rows = list(RiskAssessment.objects.filter(institution=institution).order_by("assessed_at"))
    assert [r.level for r in rows] == [RiskLevel.HIGH, RiskLevel.KEY]
    assert [r.is_current for r in rows] == [False, True]
    assert AuditEvent.objects.filter(kind="risk.assessed", institution_id=institution.pk).count() == 2


def test_a_batch_of_changed_levels_costs_the_same_statements(settings, regions):
    """risk_assess writes set-based: a further batch of changed levels is the same statements whatever it holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from regulator.audit import verify_chains

    few = [InstitutionFactory(region=regions["township"]).pk for _ in range(2)]
    many = [InstitutionFactory(region=regions["township"]).pk for _ in range(6)]

    def run(ids, now):
        with CaptureQueriesContext(connection) as queries:
            changed = risk.risk_assess(institution_ids=ids, now=now, batch_size=2)
        return changed, len(queries.captured_queries)

    assert run(few, NOW)[0] == 2
    assert run(many, NOW)[0] == 6
    settings.FUNDS_RISK_WEIGHTS = {"standing_none": 60, "no_inspection_365d": 10}
    (one, one_batch), (three, three_batches) = run(few, NOW), run(many, NOW)
    assert (one, three) == (2, 6)
    assert (three_batches - one_batch) % 2 == 0
    per_batch = (three_batches - one_batch) // 2
    # the factors' reads and the current rows' are a batch's reads; its writes: SAVEPOINT, the UPDATE retiring
    # the old rows, the INSERT, record_events' three, RELEASE SAVEPOINT — seven whatever the batch holds
    with CaptureQueriesContext(connection) as queries:
        risk._assess_batch(many[:2], NOW)  # unchanged now: reads only
    assert per_batch == len(queries.captured_queries) + 7
    assert RiskAssessment.objects.filter(is_current=True, institution_id__in=many, level=RiskLevel.KEY).count() == 6
    assert RiskAssessment.objects.filter(is_current=False, institution_id__in=many).count() == 6
    assert list(verify_chains()) == []


def test_fund_alerts_and_reports_count(regions, users):
    from django.db import transaction

    from institutions.funds.services import alert_raise

    institution = InstitutionFactory(region=regions["township"])
    with transaction.atomic():
        for n in range(4):
            alert_raise(actor=None, institution=institution, kind="low_balance", key=f"t:{n}", detail="x", now=NOW)
    counts = risk.factor_counts([institution.pk], NOW)[institution.pk]
    assert counts["fund_alert"] == 4
    score, factors = risk.score_factors(counts)
    assert {f["code"]: f["points"] for f in factors}["fund_alert"] == 30  # capped


def test_risk_shown_on_the_staff_file(education_head_client, regions):
    institution = InstitutionFactory(region=regions["township"])
    risk.risk_assess(institution_ids=[institution.pk], now=NOW)
    page = education_head_client.get(reverse("funds:institution", args=[institution.pk])).content.decode()
    assert "无证无照" in page and "50 分" in page


# ---- weighted draws ------------------------------------------------------------------------------------------

LEVEL_SIZES = {RiskLevel.KEY: 10, RiskLevel.HIGH: 20, RiskLevel.MEDIUM: 30, RiskLevel.LOW: 40}
WEIGHTS = {RiskLevel.KEY: 40, RiskLevel.HIGH: 30, RiskLevel.MEDIUM: 20, RiskLevel.LOW: 10}


def strata_of(sizes=LEVEL_SIZES):
    strata, pk = {}, 1
    for level, size in sizes.items():
        for _ in range(size):
            strata[str(pk)] = level
            pk += 1
    return strata


def run(seed, strata, sample=20, weights=WEIGHTS):
    return draw_module.compute(seed=seed, pool=[int(k) for k in strata], roster=[1001, 1002, 1003], conflicts=[],
                               sample_size=sample, per_visit=2, risk_weights=weights, risk_strata=strata)


def test_weighted_draw_is_reproducible_and_allocates_by_weight():
    strata = strata_of()
    first = run("seed-1", strata)
    assert first == run("seed-1", strata)
    assert first != run("seed-2", strata)
    levels = Counter(strata[str(row["institution"])] for row in first)
    # 40% of 20 = 8 of the 10 key institutions, 6 high, 4 medium, 2 low (the 5% minimum of each level is met)
    assert levels == {RiskLevel.KEY: 8, RiskLevel.HIGH: 6, RiskLevel.MEDIUM: 4, RiskLevel.LOW: 2}


def test_the_legal_minimum_of_a_level_outweighs_its_weight():
    strata = strata_of({RiskLevel.KEY: 5, RiskLevel.HIGH: 10, RiskLevel.MEDIUM: 25, RiskLevel.LOW: 60})
    levels = Counter(strata[str(row["institution"])] for row in run("seed-1", strata, sample=10))
    # minimums ceil(5%): 1, 1, 2, 3; the low level keeps its 3 although 10% of 10 is 1
    assert levels == {RiskLevel.KEY: 3, RiskLevel.HIGH: 2, RiskLevel.MEDIUM: 2, RiskLevel.LOW: 3}


def test_higher_risk_drawn_more_often_and_every_institution_of_a_level_alike_over_many_seeds():
    strata = strata_of()
    counts = Counter()
    seeds = 400
    for n in range(seeds):
        for row in run(f"s{n}", strata):
            counts[row["institution"]] += 1
    rate = {level: sum(counts[int(k)] for k, lv in strata.items() if lv == level) / (seeds * LEVEL_SIZES[level])
            for level in LEVEL_SIZES}
    assert rate[RiskLevel.KEY] == pytest.approx(0.8)
    assert rate[RiskLevel.KEY] > rate[RiskLevel.HIGH] > rate[RiskLevel.MEDIUM] > rate[RiskLevel.LOW]
    key_ids = [int(k) for k, lv in strata.items() if lv == RiskLevel.KEY]
    for pk in key_ids:  # uniform inside the level, within a loose tolerance
        assert abs(counts[pk] / seeds - 0.8) < 0.1


def test_each_level_gets_its_legal_minimum_share():
    strata = strata_of({RiskLevel.KEY: 2, RiskLevel.LOW: 100})
    rows = run("m", strata, sample=6, weights={RiskLevel.KEY: 100})
    levels = Counter(strata[str(row["institution"])] for row in rows)
    assert levels == {RiskLevel.KEY: 1, RiskLevel.LOW: 5} or levels == {RiskLevel.KEY: 2, RiskLevel.LOW: 4}
    assert levels[RiskLevel.LOW] >= 5  # ceil(5% of 100)


@pytest.mark.parametrize("weights,message", [
    ({RiskLevel.KEY: 50, RiskLevel.LOW: 40}, "之和应为 100"),
    ({RiskLevel.KEY: 50, RiskLevel.HIGH: 50, "extreme": 0}, "四个等级"),
    ({RiskLevel.KEY: 150, RiskLevel.LOW: -50}, "不能为负数"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ServiceError) as error:
        run("x", strata_of(), weights=weights)
    assert message in error.value.message


def test_a_weighted_stratum_with_no_institution_is_refused():
    with pytest.raises(ServiceError) as error:
        run("x", strata_of({RiskLevel.LOW: 20}), weights={RiskLevel.KEY: 50, RiskLevel.LOW: 50})
    assert "重点" in error.value.message and "没有机构" in error.value.message


def test_a_sample_too_small_for_the_minimum_shares_is_refused():
    with pytest.raises(ServiceError) as error:
        run("x", strata_of(), sample=5)
    assert "法定最低比例" in error.value.message


def test_parse_weights():
    assert draw_module.parse_risk_weights("重点:40，高：30,中:20,低:10") == WEIGHTS
    assert draw_module.parse_risk_weights(" ") is None
    with pytest.raises(ServiceError):
        draw_module.parse_risk_weights("极高:40")


def test_weighted_spot_check_draw_is_stored_replayed_and_published(users, departments, regions, joint_office_client):
    ensure_checklist()
    for _ in range(3):
        UserFactory(department=departments["education"], role=Role.INSPECTOR)
    high = [InstitutionFactory(region=regions["township"], category="arts") for _ in range(3)]
    low = [InstitutionFactory(region=regions["township"], category="arts") for _ in range(12)]
    for institution in high:
        RiskAssessment.objects.create(institution=institution, assessed_at=NOW, score=50, level=RiskLevel.HIGH)
    campaign = campaign_create(actor=users["joint_office"], name="加权抽查", kind="spot_check",
                               region=regions["county"],
                               starts_on=NOW.date(), ends_on=NOW.date(), lead_department=departments["education"],
                               departments=[], category="arts")
    response = joint_office_client.post(reverse("inspections:draw_create", args=[campaign.pk]), {
        "sample_size": 4, "inspectors_per_visit": 2, "planned_on": "2025-10-21", "seed": "abc",
        "risk_weights": "高:50,低:50"})
    assert response.status_code == 302, response.content.decode()[:2000]
    draw = SpotCheckDraw.objects.get()
    assert draw.criteria["risk_weights"] == {"high": 50.0, "low": 50.0}
    drawn = {row["institution"] for row in draw.result}
    assert len(drawn & {i.pk for i in high}) == 2 and len(drawn & {i.pk for i in low}) == 2
    # the levels change later: the replay uses the stored strata
    RiskAssessment.objects.all().delete()
    assert draw_module.draw_rerun(draw=draw).identical
    page = joint_office_client.get(draw.get_absolute_url()).content.decode()
    assert "按风险等级加权抽取" in page and "高 50%" in page
    bad = joint_office_client.post(reverse("inspections:draw_create", args=[campaign.pk]), {
        "sample_size": 4, "inspectors_per_visit": 2, "planned_on": "2025-10-21", "risk_weights": "重点:50,低:50"})
    assert bad.status_code == 400 and "没有机构" in bad.content.decode()
    assert SpotCheckDraw.objects.count() == 1


def test_annual_inspection_failures_and_refusals_are_factors(users, regions):
    from institutions.annual import services as annual
    from institutions.models import AnnualInspection, AnnualMaterialKind
    from tests.factories import licensed_institution

    head, today = users["education_head"], timezone.localdate()
    failed, refused, passed = (licensed_institution(regions["township"]) for _ in range(3))
    plan = annual.plan_create(actor=head, year=today.year - 1, deadline=today + datetime.timedelta(days=30),
                              materials=list(AnnualMaterialKind.objects.all()))
    rows = {row.institution_id: row for row in AnnualInspection.objects.filter(plan=plan)}
    for institution, result in ((failed, "fail"), (passed, "pass")):
        for kind in plan.materials.all():
            annual.material_receive(actor=head, inspection_id=rows[institution.pk].pk, kind_id=kind.pk,
                                    received_on=today)
        annual.desk_review(actor=head, inspection_id=rows[institution.pk].pk, note="材料齐全")
        annual.decide(actor=head, inspection_id=rows[institution.pk].pk, result=result,
                      reasons="" if result == "pass" else "消防设施不达标")
    annual.refuse(actor=head, inspection_id=rows[refused.pk].pk, note="拒不提交材料")
    counts = risk.factor_counts([failed.pk, refused.pk, passed.pk], timezone.now())
    assert (counts[failed.pk]["annual_fail_2y"], counts[failed.pk]["annual_refused_2y"]) == (1, 0)
    assert (counts[refused.pk]["annual_fail_2y"], counts[refused.pk]["annual_refused_2y"]) == (0, 1)
    assert (counts[passed.pk]["annual_fail_2y"], counts[passed.pk]["annual_refused_2y"]) == (0, 0)
    points = {f["code"]: f for f in risk.score_factors(counts[failed.pk])[1]}
    assert points["annual_fail_2y"]["points"] == 20 and points["annual_fail_2y"]["label"] == "两年内年检不合格"
    # a failure more than two years old no longer counts
    later = timezone.now() + datetime.timedelta(days=800)
    assert risk.factor_counts([failed.pk], later)[failed.pk]["annual_fail_2y"] == 0
