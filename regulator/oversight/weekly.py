"""The Friday weekly report (周报告制度): each county's figures of the week, sent to its prefecture.

A reporting week runs Saturday 00:00 to Friday 24:00 (Asia/Shanghai); `week_start` is its Saturday. The beat
job runs on Friday at 18:00, the end of the working week, and reports the week that ends that day: what was
recorded by then. Activity of Friday evening is on the live dashboard and in no weekly report — a report, once
generated, never changes (it is what the county sent).

`weekly_report_generate` is idempotent: the unique (region, week_start) constraint makes a second request —
from the beat job, a retry, or a user pressing the button twice — return the report that exists.
"""

import datetime
import hashlib
import io

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from regulator.audit import record_event
from regulator.errors import ServiceError
from regulator.locks import advisory_lock
from regulator.models import Region, RegionLevel, Role, User, WeeklyReport
from regulator.notifications import notify
from regulator.pdf import write_pdf
from regulator.scope import in_region
from regulator.spreadsheets import write_xlsx

from .dashboard import can_view_dashboard, dashboard_figures, week_of

# ---- permissions ---------------------------------------------------------------------------------------


def can_view_weekly(user, region_code: str) -> bool:
    """The county's own oversight staff and those of the prefecture (or higher) above it."""
    return can_view_dashboard(user) and in_region(user, region_code)


def can_generate_weekly(user, region_code: str) -> bool:
    """The joint office (or an administrator) of the county or above may ask for a missing week's report."""
    return can_view_weekly(user, region_code) and (user.is_admin_role or user.role == Role.JOINT_OFFICE)


# ---- generation ----------------------------------------------------------------------------------------


def weekly_figures(*, region_code: str, week_start: datetime.date) -> dict:
    """The week's figures of one county (no user scope: the county's whole activity), as plain JSON."""
    return dashboard_figures(user=None, region_code=region_code, start=week_start,
                             end=week_start + datetime.timedelta(days=6)).as_json()


def weekly_report_generate(*, region: Region, week_start: datetime.date, actor=None,
                           now: datetime.datetime | None = None) -> tuple[WeeklyReport, bool]:
    """Generate the county's report of the week starting `week_start` (a Saturday) once; (report, created).

    The figures are computed and the row written in one transaction; the PDF and the workbook are rendered
    after commit by the render_weekly_report task (WeasyPrint never runs in a request).
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
                figures=figures, generated_at=now, generated_by=actor,
            )
            record_event(
                actor=actor, kind="weekly_report_generated", obj=report, now=now,
                after={"region": region.code, "week_start": week_start.isoformat(),
                       "headline": figures["headline"]},
                summary=str(_("生成周报 %(region)s %(week)s") % {"region": region.name, "week": week_start}),
            )
            _notify_prefecture(report, region=region, now=now)
    except IntegrityError:
        # Another process generated the same week between our check and our insert: theirs is the report.
        return WeeklyReport.objects.get(region=region, week_start=week_start), False
    transaction.on_commit(lambda: _queue_render(report.pk))
    return report, True


def _queue_render(report_id: int) -> None:
    from .tasks import render_weekly_report

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


# ---- files ---------------------------------------------------------------------------------------------


def render_pdf(report: WeeklyReport) -> bytes:
    with translation.override("zh-hans"):
        html = render_to_string("oversight/weekly_pdf.html", {"report": report, "figures": report.figures})
    return write_pdf(html)


def render_xlsx(report: WeeklyReport) -> bytes:
    """One sheet of headline figures, then one sheet per section with its tables one under another."""
    figures = report.figures
    with translation.override("zh-hans"):
        title = str(_("%(region)s周报（%(start)s至%(end)s）") % {
            "region": figures["region_name"], "start": figures["start"], "end": figures["end"]})
        headline = (str(_("主要数据")), [str(_("指标")), str(_("数值"))],
                    iter([[label, _numeric(value)] for label, value in figures["headline"]]))

    def section_rows(section):
        for table in section["tables"]:
            yield [table["caption"]]
            yield [table["head"], *table["columns"]]
            for row in table["rows"]:
                yield [row[0], *[_numeric(value) for value in row[1:]]]
            yield []

    sheets = [headline] + [(section["title"], [title], section_rows(section)) for section in figures["sections"]]
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets=sheets)
    return buffer.getvalue()


def _numeric(value):
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def weekly_report_render(*, report_id: int) -> WeeklyReport:
    """Render and store the PDF and the workbook once (idempotent: a report with both files is left alone)."""
    from django.core.files.storage import default_storage

    report = WeeklyReport.objects.select_related("region").get(pk=report_id)
    if report.pdf and report.xlsx:
        return report
    stem = f"weekly/{report.region_id}/{report.week_start:%Y%m%d}"
    stored = {}
    for suffix, content in (("pdf", render_pdf(report)), ("xlsx", render_xlsx(report))):
        name = f"{stem}.{suffix}"
        if default_storage.exists(name):
            default_storage.delete(name)
        stored[suffix] = (default_storage.save(name, ContentFile(content)), hashlib.sha256(content).hexdigest())
    WeeklyReport.objects.filter(pk=report.pk).update(
        pdf=stored["pdf"][0], pdf_sha256=stored["pdf"][1], xlsx=stored["xlsx"][0], xlsx_sha256=stored["xlsx"][1]
    )
    report.refresh_from_db()
    return report


# ---- reading -------------------------------------------------------------------------------------------


def county_history(*, region_code: str, limit: int = 104):
    return WeeklyReport.objects.filter(region_id=region_code).order_by("-week_start")[:limit]


def prefecture_status(*, prefecture_code: str, week_start: datetime.date) -> list[dict]:
    """Every county under the prefecture and its report of the week (None when it has not reported): 2 queries."""
    counties = list(Region.objects.filter(code__startswith=prefecture_code, level=RegionLevel.COUNTY)
                    .order_by("code").values_list("code", "name"))
    reports = {r.region_id: r for r in WeeklyReport.objects.filter(
        region__code__startswith=prefecture_code, week_start=week_start).only(
        "pk", "region_id", "generated_at", "generated_by_id", "week_start", "pdf", "xlsx")}
    return [{"code": code, "name": name, "report": reports.get(code)} for code, name in counties]
