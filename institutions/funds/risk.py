"""Risk classification (风险分级): every institution's level (低 / 中 / 高 / 重点) from named, explainable factors,
each with its count, weight and points (weights and caps are settings, conf.py). Recomputed nightly; a new
assessment row is written only when the score or the level changes, so the rows are the level's history.

Annual inspections (年检) count too: each 不合格 conclusion and each refusal of the inspection in the last two years.
"""

import datetime

from django.db import transaction
from django.db.models import Count, F, Max
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from inspections.models import Visit, VisitStatus
from institutions.models import (
    AnnualInspection,
    AnnualInspectionStatus,
    AnnualResult,
    Institution,
    LicenceStanding,
    OperatingState,
)
from penalties.models import ORDER_RUNNING, OrderStatus, PenaltyCase, RectificationOrder
from publicity.models import Report
from regulator.audit import PendingEvent, record_events
from regulator.locks import advisory_lock

from . import conf
from .audit_kinds import FundsAuditKind
from .models import FundAlert, RiskAssessment, RiskLevel

FACTOR_LABELS = {
    "standing_none": _lazy("无证无照"),
    "standing_business_only": _lazy("有照无证"),
    "open_order": _lazy("未销号的整改通知书"),
    "overdue_order": _lazy("逾期未整改的通知书"),
    "penalty_2y": _lazy("两年内行政处罚决定"),
    "report_90d": _lazy("90日内投诉举报"),
    "fund_alert": _lazy("90日内资金风险预警"),
    "no_inspection_365d": _lazy("一年以上未检查"),
    "annual_fail_2y": _lazy("两年内年检不合格"),
    "annual_refused_2y": _lazy("两年内拒绝接受年检"),
}
LOCK_NAME = "funds.risk_assess"
# The nightly run assesses every institution but these: the levels of closed and banned ones are not kept current.
NOT_ASSESSED = (OperatingState.CLOSED, OperatingState.BANNED)


def level_for(score: int) -> str:
    thresholds = conf.get("FUNDS_RISK_THRESHOLDS")
    if score >= thresholds["key"]:
        return RiskLevel.KEY
    if score >= thresholds["high"]:
        return RiskLevel.HIGH
    if score >= thresholds["medium"]:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def score_factors(counts: dict[str, int]) -> tuple[int, list[dict]]:
    """(score, factors) from the count of each factor: points = count × weight, capped per factor."""
    weights, caps = conf.get("FUNDS_RISK_WEIGHTS"), conf.get("FUNDS_RISK_CAPS")
    factors, total = [], 0
    for code, weight in weights.items():
        count = counts.get(code, 0)
        points = min(count * weight, caps.get(code, count * weight))
        total += points
        factors.append({"code": code, "label": str(FACTOR_LABELS.get(code, code)), "count": count,
                        "weight": weight, "points": points})
    return total, factors


def _grouped(queryset, field="institution_id") -> dict[int, int]:
    return dict(queryset.values(field).annotate(n=Count("*")).values_list(field, "n"))


def factor_counts(institution_ids: list[int], now) -> dict[int, dict[str, int]]:
    """Each factor's count for each institution, in a few grouped queries for the whole batch."""
    today = timezone.localdate(now)
    ids = list(institution_ids)
    standing = dict(Institution.objects.filter(pk__in=ids).values_list("pk", "licence_standing"))
    orders = RectificationOrder.objects.filter(institution_id__in=ids)
    open_orders = _grouped(orders.filter(status__in=ORDER_RUNNING))
    overdue = _grouped(orders.filter(status__in=(OrderStatus.OVERDUE, OrderStatus.ESCALATED)))
    penalties = _grouped(PenaltyCase.objects.filter(institution_id__in=ids, decided_at__isnull=False,
                                                    decided_at__gte=now - datetime.timedelta(days=730)))
    days_90 = now - datetime.timedelta(days=90)
    reports = _grouped(Report.objects.filter(institution_id__in=ids, received_at__gte=days_90))
    alerts = _grouped(FundAlert.objects.filter(institution_id__in=ids, raised_at__gte=days_90))
    two_years_ago = today - datetime.timedelta(days=730)
    annual = AnnualInspection.objects.filter(institution_id__in=ids)
    annual_fails = _grouped(annual.filter(status=AnnualInspectionStatus.DECIDED, result=AnnualResult.FAIL,
                                          decided_on__gte=two_years_ago))
    annual_refused = _grouped(annual.filter(status=AnnualInspectionStatus.REFUSED, plan__year__gte=two_years_ago.year))
    last_visit = dict(Visit.objects.filter(institution_id__in=ids, status=VisitStatus.SUBMITTED)
                      .values("institution_id").annotate(last=Max("submitted_at"))
                      .values_list("institution_id", "last"))
    result = {}
    for pk in ids:
        last = last_visit.get(pk)
        result[pk] = {
            "standing_none": int(standing.get(pk) == LicenceStanding.NONE),
            "standing_business_only": int(standing.get(pk) == LicenceStanding.BUSINESS_ONLY),
            "open_order": open_orders.get(pk, 0),
            "overdue_order": overdue.get(pk, 0),
            "penalty_2y": penalties.get(pk, 0),
            "report_90d": reports.get(pk, 0),
            "fund_alert": alerts.get(pk, 0),
            "no_inspection_365d": int(last is None or (today - timezone.localdate(last)).days > 365),
            "annual_fail_2y": annual_fails.get(pk, 0),
            "annual_refused_2y": annual_refused.get(pk, 0),
        }
    return result


def _assess_batch(ids: list[int], now) -> int:
    """One batch, set-based: the factors counted in a few GROUP BYs, the changed institutions' current rows retired
    in one UPDATE, the new rows in one INSERT and their audit events in one bulk append."""
    counts = factor_counts(ids, now)
    current = {r.institution_id: r for r in RiskAssessment.objects.filter(institution_id__in=ids, is_current=True)}
    rows, olds = [], []
    for pk in ids:
        score, factors = score_factors(counts[pk])
        level = level_for(score)
        old = current.get(pk)
        if old is not None and old.score == score and old.level == level:
            continue
        rows.append(RiskAssessment(institution_id=pk, assessed_at=now, score=score, level=level, factors=factors))
        olds.append(old)
    if not rows:
        return 0
    object_type = RiskAssessment._meta.label_lower
    with transaction.atomic():
        RiskAssessment.objects.filter(pk__in=[old.pk for old in olds if old is not None]).update(is_current=False)
        RiskAssessment.objects.bulk_create(rows)
        record_events(actor=None, now=now, events=[
            PendingEvent(kind=FundsAuditKind.RISK_ASSESSED, institution_id=row.institution_id, object_type=object_type,
                         object_id=row.pk, before={"level": old.level, "score": old.score} if old else None,
                         after={"level": row.level, "score": row.score, "factors": row.factors},
                         summary=_("风险等级：%(level)s（%(score)s 分）") % {"level": row.get_level_display(),
                                                                      "score": row.score})
            for row, old in zip(rows, olds, strict=True)
        ])
    return len(rows)


def risk_assess(*, institution_ids=None, now=None, batch_size: int = 500) -> int | None:
    """Recompute the levels (all institutions still running, or the given ones); the number changed, or None if
    another run holds the lock."""
    now = now or timezone.now()
    with advisory_lock(LOCK_NAME) as acquired:
        if not acquired:
            return None
        queryset = Institution.objects.exclude(operating_state__in=NOT_ASSESSED)
        if institution_ids is not None:
            queryset = Institution.objects.filter(pk__in=list(institution_ids))
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        changed = 0
        for start in range(0, len(ids), batch_size):
            changed += _assess_batch(ids[start:start + batch_size], now)
        return changed


def current_assessments():
    """The current level of every institution still assessed (what the dashboard counts and its ledger lists)."""
    return RiskAssessment.objects.filter(is_current=True).exclude(institution__operating_state__in=NOT_ASSESSED)


def level_counts_by_area(region_code: str = "", length: int | None = None) -> list[dict]:
    """Current levels counted per sub-region (the first `length` digits of the institution's region code) in
    one GROUP BY: [{"area", "value": level, "n"}]. The region is the scope (the register is every department's)."""
    length = length or len(region_code)
    queryset = current_assessments()
    if region_code:
        queryset = queryset.filter(institution__region__code__startswith=region_code)
    return list(queryset.annotate(area=Substr("institution__region__code", 1, length), value=F("level"))
                .values("area", "value").annotate(n=Count("*")).order_by())


def level_counts(region_code: str = "") -> dict[str, int]:
    """How many institutions of the region stand at each level (every level, zeros included)."""
    counts = {row["value"]: row["n"] for row in level_counts_by_area(region_code, len(region_code))}
    return {level: counts.get(level, 0) for level in RiskLevel.values}
