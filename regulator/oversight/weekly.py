"""The weekly report (周报告制度): each county's figures and narrative of the week, signed off and sent to its
prefecture.

A reporting week runs Saturday 00:00 to Friday 24:00 (Asia/Shanghai); `week_start` is its Saturday. The beat
job runs on Friday at 18:00 and opens the draft of the week that ends that day (its figures so far). Then:

    draft ──weekly_report_submit (填报人, only once the week is over: the figures are frozen)──▶ submitted
    submitted ──weekly_report_approve (审核人, not the 填报人)──▶ sent: the prefecture is told, files rendered
    submitted ──weekly_report_return (审核人)──▶ draft

A part week is never frozen as the report. The figures count penalty decisions per case (not per penalty) and
keep fines, confiscations and refunds apart, not one sum of money of different kinds.

`weekly_report_generate` is idempotent: the unique (region, week_start) constraint makes a second request —
from the beat job, a retry, or a user pressing the button twice — return the report that exists.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from regulator.audit import record_event, snapshot
from regulator.audit_kinds import RegulatorAuditKind
from regulator.errors import ActionForbidden, ServiceError, require_status
from regulator.locks import advisory_lock
from regulator.models import Department, Region, RegionLevel, Role, User, WeeklyReport, WeeklyReportStatus
from regulator.notifications import notify
from regulator.registry import registry
from regulator.scope import in_region

from .dashboard import can_view_dashboard, dashboard_figures, week_of
from .tasks import render_weekly_report

# ---- permissions ---------------------------------------------------------------------------------------


def can_view_weekly(user, region_code: str) -> bool:
    """The county's own oversight staff and those of the prefecture (or higher) above it."""
    return can_view_dashboard(user) and in_region(user, region_code)


def can_generate_weekly(user, region_code: str) -> bool:
    """The joint office (or an administrator) of the county or above may ask for a missing week's report."""
    return can_view_weekly(user, region_code) and (user.is_admin_role or user.role == Role.JOINT_OFFICE)


def can_fill_weekly(user, report: WeeklyReport) -> bool:
    """The county's own joint office writes and submits its report (填报人); not the prefecture above it."""
    return (can_view_weekly(user, report.region_id) and user.role == Role.JOINT_OFFICE
            and user.region_code == report.region_id)


def can_review_weekly(user, report: WeeklyReport) -> bool:
    """A head or the joint office of the county signs it off (审核人), a different person from the 填报人."""
    return (can_view_weekly(user, report.region_id) and user.role in (Role.HEAD, Role.JOINT_OFFICE)
            and user.region_code == report.region_id)


# ---- generation ----------------------------------------------------------------------------------------


HIDDEN_HEADLINE = ("处罚", "处罚金额（元）")  # per penalty and one sum of every kind of money: replaced below


def _week_bounds(week_start: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    low = datetime.datetime.combine(week_start, datetime.time.min, tzinfo=zone)
    return low, low + datetime.timedelta(days=7)


def _money_figure():
    """The summary figure counted by a dimension with an amount (the penalties app's penalties by kind)."""
    return next((figure for figure in registry.figures.values() if figure.dimension and figure.amount), None)


def enforcement_figures(*, region_code: str, week_start: datetime.date) -> dict:
    """Penalty decisions of the week counted per case, and the money of each kind apart.

    Read through what the penalties app registers — its figure of penalties by kind with an amount, and that
    ledger's rows — so the oversight floor needs none of its models nor spells its values. A case is the
    object the ledger scopes by department (`department_field` less its `__department_id`)."""
    figure = _money_figure()
    if figure is None:
        return {"decided_cases": 0, "kinds": []}
    ledger = registry.ledgers[figure.ledger]
    low, high = _week_bounds(week_start)
    rows = (ledger.scoped(None).filter(Q(**{f"{ledger.region_field}__startswith": region_code}))
            .filter(ledger.measure_q(figure.measure, low, high)))
    case_path = ledger.department_field.removesuffix("_id").removesuffix("__department")
    decided_cases = rows.aggregate(cases=Count(case_path, distinct=True))["cases"]
    labels = {}
    for choice_filter in ledger.filters.values():
        if choice_filter.field == figure.dimension:
            labels = {value: str(label) for value, label in choice_filter.choices()}
    kinds = [
        {"kind": row[figure.dimension], "label": labels.get(row[figure.dimension], row[figure.dimension]),
         "count": row["count"], "amount": f"{row['total']:.2f}" if row["total"] is not None else None}
        for row in rows.values(figure.dimension).annotate(count=Count("*"), total=Sum(figure.amount))
        .order_by(figure.dimension)
    ]
    return {"decided_cases": decided_cases, "kinds": kinds}


def weekly_figures(*, region_code: str, week_start: datetime.date) -> dict:
    """The week's figures of one county (no user scope: the county's whole activity), as plain JSON, in Chinese
    whatever the language of the request that asks."""
    with translation.override("zh-hans"):
        figures = dashboard_figures(user=None, region_code=region_code, start=week_start,
                                    end=week_start + datetime.timedelta(days=6),
                                    previous=(week_start - datetime.timedelta(days=7),
                                              week_start - datetime.timedelta(days=1))).as_json()
        enforcement = enforcement_figures(region_code=region_code, week_start=week_start)
        # one amount per kind of money (罚款, 没收违法所得, …), never their sum
        figures["headline"] = [pair for pair in figures["headline"] if pair[0] not in HIDDEN_HEADLINE] + [
            [str(_("作出处罚决定（件）")), enforcement["decided_cases"]],
            *[[str(_("%(kind)s（元）") % {"kind": row["label"]}), row["amount"]]
              for row in enforcement["kinds"] if row["amount"] is not None],
        ]
        figures["enforcement"] = enforcement
    return figures


def _reporting_unit(region: Region) -> str:
    seat = Department.objects.filter(region=region, is_joint_office_seat=True).values_list("name", flat=True).first()
    return seat or str(_("%(region)s校外培训专项治理办公室") % {"region": region.name})


def weekly_report_generate(*, region: Region, week_start: datetime.date, actor=None,
                           now: datetime.datetime | None = None) -> tuple[WeeklyReport, bool]:
    """Open the county's report of the week starting `week_start` (a Saturday) once; (report, created).

    The draft holds the figures so far; they are computed again and frozen when the 填报人 submits it.
    """
    now = now or timezone.now()
    if region.level != RegionLevel.COUNTY:
        raise ServiceError(_("周报由县（区）报送，请选择一个县（区）。"))
    if week_start.weekday() != 5:
        raise ServiceError(_("周报的统计周从周六开始，请选择周六。"))
    if week_start > timezone.localdate(now):
        raise ServiceError(_("该周尚未开始，不能生成周报。"))
    existing = WeeklyReport.objects.filter(region=region, week_start=week_start).first()
    if existing is not None:
        return existing, False
    figures = weekly_figures(region_code=region.code, week_start=week_start)
    try:
        with transaction.atomic():
            report = WeeklyReport.objects.create(
                region=region, week_start=week_start, week_end=week_start + datetime.timedelta(days=6),
                figures=figures, generated_at=now, generated_by=actor, status=WeeklyReportStatus.DRAFT,
                reporting_unit=_reporting_unit(region),
            )
            record_event(
                actor=actor, kind=RegulatorAuditKind.WEEKLY_REPORT_GENERATED, obj=report, now=now,
                after={"region": region.code, "week_start": week_start.isoformat(),
                       "headline": figures["headline"]},
                summary=str(_("生成周报 %(region)s %(week)s") % {"region": region.name, "week": week_start}),
            )
            _notify_county(report, region=region, now=now)
    except IntegrityError:
        # Another process generated the same week between our check and our insert: theirs is the report.
        return WeeklyReport.objects.get(region=region, week_start=week_start), False
    return report, True


NARRATIVE_FIELDS = ("reporting_unit", "progress", "problems", "next_steps")
AUDIT_FIELDS = ("status", *NARRATIVE_FIELDS, "filled_by", "filled_at", "reviewed_by", "reviewed_at",
                "return_reason")


def _lock(report_id: int) -> WeeklyReport:
    return WeeklyReport.objects.select_for_update(of=("self",)).select_related("region").get(pk=report_id)


def _transition(report: WeeklyReport, *, actor, kind, before: dict, fields: list[str], now, summary="") -> None:
    report.save(update_fields=fields)
    record_event(actor=actor, kind=kind, obj=report, before=before, after=snapshot(report, AUDIT_FIELDS),
                 summary=summary or f"{report.region.name} {report.week_start:%Y-%m-%d}", now=now)


@transaction.atomic
def weekly_report_save(*, report_id: int, actor, reporting_unit: str, progress: str, problems: str,
                       next_steps: str, now=None) -> WeeklyReport:
    """The 填报人 writes the narrative (工作进展, 存在问题, 下步工作) of a draft."""
    now = now or timezone.now()
    report = _lock(report_id)
    if not can_fill_weekly(actor, report):
        raise ActionForbidden(_("只有本县（区）专项治理办公室可以填报周报。"))
    require_status(report, (WeeklyReportStatus.DRAFT,), message=_("周报当前状态为“%(status)s”，不能修改。"))
    values = {"reporting_unit": (reporting_unit or "").strip()[:100], "progress": (progress or "").strip(),
              "problems": (problems or "").strip(), "next_steps": (next_steps or "").strip()}
    before = snapshot(report, AUDIT_FIELDS)
    for name, value in values.items():
        setattr(report, name, value)
    _transition(report, actor=actor, kind=RegulatorAuditKind.WEEKLY_REPORT_SAVED, before=before,
                fields=[*NARRATIVE_FIELDS], now=now)
    return report


@transaction.atomic
def weekly_report_submit(*, report_id: int, actor, now=None) -> WeeklyReport:
    """The 填报人 signs the report: refused before the week is over; the week's figures are frozen."""
    now = now or timezone.now()
    report = _lock(report_id)
    if not can_fill_weekly(actor, report):
        raise ActionForbidden(_("只有本县（区）专项治理办公室可以填报周报。"))
    require_status(report, (WeeklyReportStatus.DRAFT,), message=_("周报当前状态为“%(status)s”，不能填报。"))
    if timezone.localdate(now) <= report.week_end:
        raise ServiceError(
            _("统计周（%(start)s至%(end)s）尚未结束：周报只统计完整的周六至周五，请于%(next)s起填报。")
            % {"start": f"{report.week_start:%Y-%m-%d}", "end": f"{report.week_end:%Y-%m-%d}",
               "next": f"{report.week_end + datetime.timedelta(days=1):%Y-%m-%d}"}
        )
    missing = [str(WeeklyReport._meta.get_field(name).verbose_name) for name in NARRATIVE_FIELDS
               if not getattr(report, name)]
    if missing:
        raise ServiceError(_("请先填写：%(fields)s。") % {"fields": "、".join(missing)})
    before = snapshot(report, AUDIT_FIELDS)
    report.figures = weekly_figures(region_code=report.region_id, week_start=report.week_start)
    report.status, report.filled_by, report.filled_at, report.return_reason = (
        WeeklyReportStatus.SUBMITTED, actor, now, "")
    _transition(report, actor=actor, kind=RegulatorAuditKind.WEEKLY_REPORT_SUBMITTED, before=before,
                fields=["figures", "status", "filled_by", "filled_at", "return_reason"], now=now)
    return report


def _require_reviewer(report: WeeklyReport, actor) -> None:
    if not can_review_weekly(actor, report):
        raise ActionForbidden(_("只有本县（区）的部门负责人或专项治理办公室可以审核周报。"))
    require_status(report, (WeeklyReportStatus.SUBMITTED,), message=_("周报当前状态为“%(status)s”，不能审核。"))
    if report.filled_by_id == actor.pk:
        raise ServiceError(_("填报人与审核人不能是同一人，请由其他负责人审核。"))


@transaction.atomic
def weekly_report_approve(*, report_id: int, actor, now=None) -> WeeklyReport:
    """The 审核人 (not the 填报人) signs it off: sent to the prefecture, its PDF and workbook rendered."""
    now = now or timezone.now()
    report = _lock(report_id)
    _require_reviewer(report, actor)
    before = snapshot(report, AUDIT_FIELDS)
    report.status, report.reviewed_by, report.reviewed_at = WeeklyReportStatus.SENT, actor, now
    _transition(report, actor=actor, kind=RegulatorAuditKind.WEEKLY_REPORT_SENT, before=before,
                fields=["status", "reviewed_by", "reviewed_at"], now=now)
    _notify_prefecture(report, region=report.region, now=now)
    transaction.on_commit(lambda: _queue_render(report.pk))
    return report


@transaction.atomic
def weekly_report_return(*, report_id: int, actor, reason: str, now=None) -> WeeklyReport:
    """The 审核人 sends it back to the 填报人 with a reason: a draft again, its figures unfrozen."""
    now = now or timezone.now()
    report = _lock(report_id)
    _require_reviewer(report, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写退回意见。"), field="reason")
    before = snapshot(report, AUDIT_FIELDS)
    report.status, report.return_reason = WeeklyReportStatus.DRAFT, reason[:300]
    report.filled_by, report.filled_at = None, None
    _transition(report, actor=actor, kind=RegulatorAuditKind.WEEKLY_REPORT_RETURNED, before=before,
                fields=["status", "return_reason", "filled_by", "filled_at"], now=now)
    return report


def _queue_render(report_id: int) -> None:
    render_weekly_report.delay(report_id)


def _notify_prefecture(report: WeeklyReport, *, region: Region, now) -> None:
    if not region.parent_id:
        return
    recipients = User.objects.filter(department__region_id=region.parent_id, role=Role.JOINT_OFFICE, is_active=True)
    for recipient in recipients:
        notify(
            recipient=recipient, key=f"weekly-report:{report.pk}:{recipient.pk}", now=now,
            subject=str(_("%(region)s报送了%(week)s周报") % {"region": region.name,
                                                          "week": f"{report.week_start:%Y-%m-%d}"}),
            link=reverse("weekly_detail", args=[report.pk]),
        )


def _notify_county(report: WeeklyReport, *, region: Region, now) -> None:
    """The county's joint office is asked to write and submit the draft."""
    recipients = User.objects.filter(department__region_id=region.code, role=Role.JOINT_OFFICE, is_active=True)
    for recipient in recipients:
        notify(
            recipient=recipient, key=f"weekly-report:{report.pk}:fill:{recipient.pk}", now=now,
            subject=str(_("请填报%(week)s周报") % {"week": f"{report.week_start:%Y-%m-%d}"}),
            link=reverse("weekly_detail", args=[report.pk]),
        )


def weekly_reports_run(*, now: datetime.datetime | None = None) -> int:
    """The Friday job: this week's report for every county that has departments on the platform.

    Counties without a department have nobody to report and are left out (the prefecture's status page
    shows them as not reported). Holds an advisory lock, so a second beat or a manual run never overlaps.
    """
    now = now or timezone.now()
    week_start, _week_end = week_of(timezone.localdate(now))
    created = 0
    with advisory_lock("regulator.weekly_reports") as acquired:
        if not acquired:
            return 0
        counties = Region.objects.filter(level=RegionLevel.COUNTY, departments__isnull=False).distinct()
        for county in counties.order_by("code").iterator(chunk_size=500):
            _report, made = weekly_report_generate(region=county, week_start=week_start, now=now)
            created += made
    return created


# ---- reading -------------------------------------------------------------------------------------------


def county_history(*, region_code: str, limit: int = 104):
    return WeeklyReport.objects.filter(region_id=region_code).order_by("-week_start")[:limit]


def prefecture_status(*, prefecture_code: str, week_start: datetime.date) -> list[dict]:
    """Every county under the prefecture and its report of the week (None when there is none; a draft or a
    report awaiting its 审核人 is there but not yet reported): 2 queries."""
    counties = list(Region.objects.filter(code__startswith=prefecture_code, level=RegionLevel.COUNTY)
                    .order_by("code").values_list("code", "name"))
    reports = {r.region_id: r for r in WeeklyReport.objects.filter(
        region__code__startswith=prefecture_code, week_start=week_start).only(
        "pk", "region_id", "generated_at", "generated_by_id", "week_start", "pdf", "xlsx", "status", "reviewed_at")}
    return [{"code": code, "name": name, "report": reports.get(code)} for code, name in counties]
