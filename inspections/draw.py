"""Double random, one public (双随机、一公开): draw institutions from a scoped pool and inspectors from the
departments' rosters, reproducibly. The draw stores its seed, pool (ordered ids) and roster, so `draw_rerun`
gives the identical result from them, and tells whether today's pool still matches the stored one.

A draw may be weighted by risk level (institutions.funds): `risk_weights` gives each level its percentage of the
sample (they must sum to 100), each non-empty level still gets at least the legal minimum share of its own
institutions (INSPECTIONS_DRAW_MIN_STRATUM_SHARE), and the institutions of each level are drawn with the seed. The
weights and each pooled institution's level at the time of the draw are stored in `criteria` (`risk_weights`,
`risk_strata`), so the draw replays from seed, pool, weights, strata and roster."""

import math
import random
import secrets
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.funds.selectors import RISK_LEVEL_ORDER, risk_level_label, risk_levels
from institutions.models import ENDED_STATES, Institution, StudentStage
from institutions.services import mark_public_pages
from publicity.cache import bump_version
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import Role, User

from . import conf, permissions
from .audit_kinds import InspectionsAuditKind
from .models import Campaign, InspectionKind, SpotCheckDraw, Visit, VisitOutcome, VisitStatus
from .services import visit_plan

_STAGE_FIELD = {
    StudentStage.PRESCHOOL: "serves_preschool",
    StudentStage.COMPULSORY: "serves_compulsory",
    StudentStage.SENIOR_HIGH: "serves_senior_high",
}


def campaign_criteria(campaign: Campaign) -> dict:
    return {
        "region": campaign.region_id,
        "category": campaign.category,
        "students_served": campaign.students_served,
        "licence_standing": campaign.licence_standing,
    }


def pool_ids(criteria: dict) -> list[int]:
    """Sorted ids of the institutions the criteria select (closed, banned and cancelled ones are not inspected:
    the register's 回头看 campaigns check those)."""
    queryset = Institution.objects.filter(region__code__startswith=criteria["region"]).exclude(
        operating_state__in=ENDED_STATES
    )
    if criteria.get("category"):
        queryset = queryset.filter(category=criteria["category"])
    if criteria.get("students_served"):
        queryset = queryset.filter(**{_STAGE_FIELD[criteria["students_served"]]: True})
    if criteria.get("licence_standing"):
        queryset = queryset.filter(licence_standing=criteria["licence_standing"])
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def roster_ids(department_ids) -> list[int]:
    return list(
        User.objects.filter(department_id__in=department_ids, role=Role.INSPECTOR, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def parse_risk_weights(text: str) -> dict[str, float] | None:
    """"重点:40, 高:30, 中:20, 低:10" (labels or codes) as {level: percent}; None for an empty text."""
    text = (text or "").strip()
    if not text:
        return None
    codes = {str(risk_level_label(code)): code for code in RISK_LEVEL_ORDER} | {c: c for c in RISK_LEVEL_ORDER}
    weights = {}
    for part in text.replace("，", ",").replace("；", ",").replace("：", ":").split(","):
        if not part.strip():
            continue
        name, _sep, value = part.partition(":")
        code = codes.get(name.strip())
        try:
            number = float(value)
        except ValueError:
            number = None
        if code is None or number is None or not math.isfinite(number):
            raise ServiceError(_("风险权重“%(part)s”无法识别，请写成“重点:40,高:30,中:20,低:10”。")
                               % {"part": part.strip()}, field="risk_weights")
        weights[code] = number
    return weights


def _allocate(groups: dict[str, list[int]], weights: dict, sample_size: int) -> dict[str, int]:
    """How many institutions each level gets: its weight's share of the sample, at least the legal minimum share of
    the level's own institutions, at most all of them. Deterministic (largest remainder, then level order)."""
    unknown = [level for level in weights if level not in RISK_LEVEL_ORDER]
    if unknown or any(value < 0 for value in weights.values()):
        raise ServiceError(_("风险权重只能用于“重点、高、中、低”四个等级，且不能为负数。"), field="risk_weights")
    if abs(sum(weights.values()) - 100) > 1e-6:
        raise ServiceError(_("各风险等级的权重之和应为 100（现为 %(sum)s）。")
                           % {"sum": round(sum(weights.values()), 2)}, field="risk_weights")
    empty = [level for level, value in weights.items() if value > 0 and not groups.get(level)]
    if empty:
        raise ServiceError(_("风险等级“%(levels)s”在机构库中没有机构，不能为其分配权重。")
                           % {"levels": "、".join(str(risk_level_label(level)) for level in empty)},
                           field="risk_weights")
    share = conf.get("INSPECTIONS_DRAW_MIN_STRATUM_SHARE")
    minimum = {level: min(len(ids), math.ceil(share * len(ids))) for level, ids in groups.items() if ids}
    if sum(minimum.values()) > sample_size:
        raise ServiceError(_("抽取数量至少为 %(n)s，才能从每个风险等级抽取法定最低比例（%(p)s%%）。")
                           % {"n": sum(minimum.values()), "p": round(share * 100, 2)}, field="sample_size")
    target = {level: weights.get(level, 0) / 100 * sample_size for level in groups}
    allocation = {level: min(len(groups[level]), max(minimum.get(level, 0), math.floor(target[level])))
                  for level in groups}
    order = {level: position for position, level in enumerate(RISK_LEVEL_ORDER)}
    while sum(allocation.values()) < sample_size:
        room = [level for level in groups if allocation[level] < len(groups[level])]
        level = max(room, key=lambda lv: (target[lv] - allocation[lv], -order[lv]))
        allocation[level] += 1
    while sum(allocation.values()) > sample_size:
        spare = [level for level in groups if allocation[level] > minimum.get(level, 0)]
        level = max(spare, key=lambda lv: (allocation[lv] - target[lv], order[lv]))
        allocation[level] -= 1
    return allocation


def _weighted_institutions(rng, pool: list[int], sample_size: int, weights: dict, strata: dict) -> list[int]:
    groups: dict[str, list[int]] = {level: [] for level in RISK_LEVEL_ORDER}
    for institution_id in sorted(pool):
        groups[strata.get(str(institution_id), strata.get(institution_id, RISK_LEVEL_ORDER[-1]))].append(
            institution_id)
    allocation = _allocate(groups, weights, sample_size)
    drawn = []
    for level in RISK_LEVEL_ORDER:
        drawn.extend(rng.sample(groups[level], allocation[level]))
    return drawn


def compute(
    *, seed: str, pool: list[int], roster: list[int], conflicts: list, sample_size: int, per_visit: int,
    risk_weights: dict | None = None, risk_strata: dict | None = None,
) -> list[dict]:
    """The pure draw: the same inputs always give the same result."""
    if sample_size < 1:
        raise ServiceError(_("抽取数量至少为 1。"))
    if sample_size > len(pool):
        raise ServiceError(
            _("抽取数量（%(n)s）超过了机构库中的机构数（%(p)s），请减少数量或扩大范围。")
            % {"n": sample_size, "p": len(pool)}
        )
    if per_visit < conf.get("INSPECTIONS_MIN_INSPECTORS_PER_VISIT"):
        raise ServiceError(
            _("每组检查人员至少 %(n)s 人。") % {"n": conf.get("INSPECTIONS_MIN_INSPECTORS_PER_VISIT")}
        )
    blocked = {(int(user_id), int(institution_id)) for user_id, institution_id in conflicts}
    rng = random.Random(seed)
    if risk_weights:
        institutions = _weighted_institutions(rng, pool, sample_size, risk_weights, risk_strata or {})
    else:
        institutions = rng.sample(sorted(pool), sample_size)
    result = []
    for institution_id in institutions:
        eligible = [u for u in sorted(roster) if (u, institution_id) not in blocked]
        if len(eligible) < per_visit:
            raise ServiceError(
                _("检查人员库中可用人员（%(n)s）不足每组 %(k)s 人（已排除回避人员）。")
                % {"n": len(eligible), "k": per_visit}
            )
        result.append({"institution": institution_id, "inspectors": rng.sample(eligible, per_visit)})
    return result


@transaction.atomic
def spot_check_draw(
    *,
    actor,
    campaign: Campaign,
    sample_size: int,
    planned_on: date,
    inspectors_per_visit: int = 2,
    departments=None,
    conflicts=(),
    seed: str | None = None,
    risk_weights: dict | None = None,
) -> SpotCheckDraw:
    """Draw, store the draw, and plan one visit per drawn institution. Refusal writes nothing.

    `risk_weights` ({level: percent}, summing to 100) weights the draw by the institutions' current risk levels."""
    if not permissions.can_draw(actor, campaign):
        raise ActionForbidden(_("只有专项治理办公室或牵头部门负责人可以抽取。"))
    department_list = list(departments) if departments is not None else list(campaign.departments.all())
    if campaign.lead_department_id not in {d.pk for d in department_list}:
        department_list.append(campaign.lead_department)
    criteria = campaign_criteria(campaign)
    pool = pool_ids(criteria)
    roster = roster_ids([d.pk for d in department_list])
    conflicts = sorted([int(u), int(i)] for u, i in conflicts)
    seed = seed or secrets.token_hex(16)
    weighting = {}
    if risk_weights:
        strata = {str(pk): level for pk, level in risk_levels(pool).items()}
        weighting = {"risk_weights": dict(risk_weights), "risk_strata": strata}
    result = compute(
        seed=seed,
        pool=pool,
        roster=roster,
        conflicts=conflicts,
        sample_size=sample_size,
        per_visit=inspectors_per_visit,
        risk_weights=weighting.get("risk_weights"),
        risk_strata=weighting.get("risk_strata"),
    )
    draw = SpotCheckDraw.objects.create(
        campaign=campaign,
        seed=seed,
        sample_size=sample_size,
        inspectors_per_visit=inspectors_per_visit,
        criteria={**criteria, "departments": sorted(d.pk for d in department_list), **weighting},
        pool=pool,
        roster=roster,
        conflicts=conflicts,
        result=result,
        created_by=actor,
        updated_by=actor,
    )
    users = User.objects.in_bulk(roster)
    institutions = Institution.objects.in_bulk([row["institution"] for row in result])
    for row in result:
        drawn = [users[u] for u in row["inspectors"]]
        lead = campaign.lead_department
        others = {u.department for u in drawn if u.department_id != lead.pk}
        visit_plan(
            actor=actor,
            institution=institutions[row["institution"]],
            lead_department=lead,
            planned_on=planned_on,
            inspectors=drawn,
            kind=InspectionKind.SPOT_CHECK,
            departments=sorted(others, key=lambda d: d.pk),
            campaign=campaign,
            draw=draw,
            check_permission=False,
        )
    record_event(
        actor=actor,
        kind=InspectionsAuditKind.SPOT_CHECK_DRAWN,
        obj=draw,
        after={"seed": seed, "pool_size": len(pool), "roster_size": len(roster), "result": result,
               **({"risk_weights": weighting["risk_weights"]} if weighting else {})},
        summary=_("双随机抽取 %(n)s 家（机构库 %(p)s 家）") % {"n": sample_size, "p": len(pool)},
    )
    return draw


@dataclass(frozen=True)
class RerunReport:
    result: list[dict]
    identical: bool
    pool_matches: bool
    current_pool_size: int
    added: list[int]
    removed: list[int]


def draw_rerun(*, draw: SpotCheckDraw) -> RerunReport:
    """Re-run from the stored seed/pool/roster; compare today's pool with the stored one (never redraws)."""
    result = compute(
        seed=draw.seed,
        pool=draw.pool,
        roster=draw.roster,
        conflicts=draw.conflicts,
        sample_size=draw.sample_size,
        per_visit=draw.inspectors_per_visit,
        risk_weights=draw.criteria.get("risk_weights"),
        risk_strata=draw.criteria.get("risk_strata"),
    )
    current = pool_ids(draw.criteria)
    stored = set(draw.pool)
    return RerunReport(
        result=result,
        identical=(result == draw.result),
        pool_matches=(current == list(draw.pool)),
        current_pool_size=len(current),
        added=sorted(set(current) - stored),
        removed=sorted(stored - set(current)),
    )


@transaction.atomic
def draw_publish(*, actor, draw_id: int, now=None) -> SpotCheckDraw:
    """Publish a draw's results (双随机、一公开) once every drawn visit has been submitted."""
    draw = SpotCheckDraw.objects.select_for_update().select_related("campaign").get(pk=draw_id)
    if not permissions.can_draw(actor, draw.campaign):
        raise ActionForbidden(_("只有专项治理办公室或牵头部门负责人可以公示抽查结果。"))
    if draw.published_at:
        raise ServiceError(_("该抽查结果已于 %(date)s 公示。") % {"date": timezone.localdate(draw.published_at)})
    visits = Visit.objects.filter(draw=draw)
    pending = visits.exclude(status=VisitStatus.SUBMITTED).count()
    if pending:
        raise ServiceError(_("还有 %(n)s 家机构尚未完成检查，全部提交后才能公示。") % {"n": pending})
    undecided = visits.filter(outcome=VisitOutcome.NONE).count()
    if undecided:
        raise ServiceError(_("还有 %(n)s 家机构的检查结果未确定，确定后才能公示。") % {"n": undecided})
    draw.published_at = now or timezone.now()
    draw.updated_by = actor
    draw.save(update_fields=["published_at", "updated_by", "updated_at"])
    mark_public_pages(visits.values_list("institution_id", flat=True))
    record_event(actor=actor, kind=InspectionsAuditKind.SPOT_CHECK_PUBLISHED, obj=draw,
                 after={"published_at": draw.published_at}, summary=_("公示双随机抽查结果"))
    transaction.on_commit(_refresh_public_pages)
    return draw


def _refresh_public_pages() -> None:

    bump_version()
