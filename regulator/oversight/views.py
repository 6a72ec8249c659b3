"""Oversight pages: the dashboard, the ledgers behind its figures (and their .xlsx exports), weekly reports.

Thin views: parse the form, check permission, call one selector or service, render.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from regulator import uploads
from regulator.models import Region, RegionLevel, WeeklyReport, WeeklyReportStatus
from regulator.paging import after_param
from regulator.scope import in_region
from regulator.views_helpers import export_caption, service_call, staff_required

from . import exports, weekly
from .dashboard import DashboardForm, can_view_dashboard, dashboard_figures, region_options, week_of

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NO_DEPARTMENT = _lazy("您的账号未分配部门，无法查看台账。")


def _oversight_required(request):
    if not can_view_dashboard(request.user):
        raise PermissionDenied(_("统计与周报供专项治理办公室、部门负责人和管理员使用。"))


def _quick_periods(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    saturday, friday = week_of(today)
    return [
        (_("本周"), saturday, friday),
        (_("本月"), today.replace(day=1), today),
        (_("近30天"), today - datetime.timedelta(days=29), today),
        (_("本年"), today.replace(month=1, day=1), today),
    ]


@login_required
def dashboard(request):
    _oversight_required(request)
    form = DashboardForm(request.GET, user=request.user)
    figures = None
    if form.is_valid():
        data = form.cleaned_data
        figures = dashboard_figures(user=request.user, region_code=data["region"], start=data["start"],
                                    end=data["end"])
    status = 200 if figures is not None else 400
    today = timezone.localdate()
    region = form.cleaned_data.get("region", request.user.region_code) if form.is_bound else ""
    return render(
        request,
        "oversight/dashboard.html",
        {
            "form": form,
            "figures": figures,
            "regions": region_options(request.user),
            "selected_region": request.GET.get("region", region or ""),
            "quick": [(label, urlencode({"region": region or "", "start": s.isoformat(), "end": e.isoformat()}))
                      for label, s, e in _quick_periods(today)],
        },
        status=status,
    )


# ---- ledgers and exports -------------------------------------------------------------------------------


def _ledger_or_404(kind: str) -> exports.Ledger:
    ledger = exports.get_ledger(kind)
    if ledger is None:
        raise Http404
    return ledger


def _ledger_filter(request, kind):
    ledger = _ledger_or_404(kind)
    form = exports.LedgerFilterForm(request.GET, user=request.user, ledger=ledger)
    return ledger, form


@staff_required(message=_NO_DEPARTMENT)
def ledger(request, kind: str):
    ledger_spec, form = _ledger_filter(request, kind)
    rows, next_after, query = [], None, ""
    if form.is_valid():
        queryset = exports.filtered_rows(user=request.user, ledger=ledger_spec, data=form.cleaned_data)
        rows, next_after = exports.page_rows(queryset, ledger_spec, after=after_param(request.GET))
        query = urlencode(form.query())
    return render(
        request,
        "oversight/dashboard_ledger.html",
        {
            "ledger": ledger_spec,
            "kind": kind,
            "form": form,
            "headers": [header for header, _path in ledger_spec.columns],
            "rows": rows,
            "query": query,
            "next_url": f"?{query}&after={next_after}" if next_after else "",
            "ledgers": [(key, spec.title) for key, spec in exports.ledgers().items()],
        },
        status=200 if form.is_valid() else 400,
    )


@staff_required(message=_NO_DEPARTMENT)
def export_ledger(request, kind: str):
    ledger_spec, form = _ledger_filter(request, kind)
    back = reverse("ledger", args=[kind]) + (f"?{request.GET.urlencode()}" if request.GET else "")
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，无法导出。请修正后重试。"))
        return HttpResponseRedirect(back)
    queryset = exports.filtered_rows(user=request.user, ledger=ledger_spec, data=form.cleaned_data)
    if exports.exceeds_limit(queryset):
        messages.error(request, _("符合条件的记录超过 %(limit)s 条，超出单次导出上限。请缩小区划或期间后分批导出。")
                       % {"limit": f"{exports.EXPORT_MAX_ROWS:,}"})
        return HttpResponseRedirect(back)
    filename = f"{ledger_spec.title}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(exports.ledger_xlsx(queryset, ledger_spec, caption=export_caption(request, form)),
                        as_attachment=True, filename=filename,
                        content_type=XLSX_TYPE)


# ---- weekly reports ------------------------------------------------------------------------------------


def _week_param(value: str, today: datetime.date) -> tuple[datetime.date | None, str]:
    """The Saturday of the week holding the given date (default: this week); or an error message."""
    if not value:
        return week_of(today)[0], ""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None, _("日期“%(value)s”无效，请使用 YYYY-MM-DD 格式。") % {"value": value[:20]}
    return week_of(day)[0], ""


def _county_param(request, value: str) -> tuple[Region | None, str]:
    code = value or request.user.region_code
    if not code:
        return None, _("请选择区划。")
    region = Region.objects.filter(code=code).first() if code.isdigit() else None
    if region is None:
        return None, _("区划代码“%(code)s”不存在。") % {"code": code[:12]}
    if not in_region(request.user, region.code):
        return None, _("所选区划不在您的管辖范围内。")
    return region, ""


@login_required
def weekly_list(request):
    """A county's history of weekly reports; above county level, the status of the counties for a week."""
    _oversight_required(request)
    region, error = _county_param(request, request.GET.get("region", ""))
    if region is not None and region.level < RegionLevel.COUNTY:
        return redirect(reverse("weekly_status") + "?" + urlencode({"region": region.code}))
    if region is not None and region.level > RegionLevel.COUNTY:
        region, error = None, _("周报由县（区）报送，请选择一个县（区）。")
    if error:
        return render(request, "oversight/weekly_list.html", {"error": error}, status=400)
    return render(
        request,
        "oversight/weekly_list.html",
        {
            "region": region,
            "reports": weekly.county_history(region_code=region.code),
            "can_generate": weekly.can_generate_weekly(request.user, region.code),
            "this_week": week_of(timezone.localdate())[0],
        },
    )


@login_required
def weekly_status(request):
    """Which counties of a prefecture have reported for a week."""
    _oversight_required(request)
    today = timezone.localdate()
    week_start, error = _week_param(request.GET.get("week", ""), today)
    region, region_error = _county_param(request, request.GET.get("region", ""))
    error = error or region_error
    if not error and region.level >= RegionLevel.COUNTY:
        return redirect(reverse("weekly_list") + "?" + urlencode({"region": region.code}))
    if error:
        return render(request, "oversight/weekly_status.html", {"error": error}, status=400)
    rows = weekly.prefecture_status(prefecture_code=region.code, week_start=week_start)
    return render(
        request,
        "oversight/weekly_status.html",
        {
            "region": region,
            "week_start": week_start,
            "week_end": week_start + datetime.timedelta(days=6),
            "previous_week": week_start - datetime.timedelta(days=7),
            "next_week": week_start + datetime.timedelta(days=7) if week_start + datetime.timedelta(days=7) <= today
            else None,
            "rows": rows,
            "reported": sum(1 for row in rows if row["report"] and row["report"].status == WeeklyReportStatus.SENT),
        },
    )


@login_required
@require_POST
def weekly_generate(request):
    """Ask for a county's report of a week now (e.g. a week the job missed); asking twice gives one report."""
    _oversight_required(request)
    region, error = _county_param(request, request.POST.get("region", ""))
    week_start, week_error = _week_param(request.POST.get("week", ""), timezone.localdate())
    error = error or week_error
    if region is not None and not error and not weekly.can_generate_weekly(request.user, region.code):
        raise PermissionDenied(_("只有专项治理办公室可以生成周报。"))
    if error:
        messages.error(request, error)
        return redirect("weekly_list")
    with service_call(request) as call:
        report, created = weekly.weekly_report_generate(region=region, week_start=week_start, actor=request.user)
    if not call.ok:
        return redirect(reverse("weekly_list") + "?" + urlencode({"region": region.code}))
    if created:
        messages.success(request, _("周报已生成。"))
    else:
        messages.info(request, _("该县（区）本周的周报已经生成过，不再重复生成。"))
    return redirect(report.get_absolute_url())


def _visible_report(request, pk: int) -> WeeklyReport:
    _oversight_required(request)
    report = get_object_or_404(
        WeeklyReport.objects.select_related("region", "generated_by", "filled_by", "reviewed_by"), pk=pk)
    if not weekly.can_view_weekly(request.user, report.region_id):
        raise Http404
    return report


class WeeklyNarrativeForm(forms.Form):
    reporting_unit = forms.CharField(label=_lazy("填报单位"), max_length=100)
    progress = forms.CharField(label=_lazy("工作进展"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(label=_lazy("存在问题"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(label=_lazy("下步工作"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class WeeklyReturnForm(forms.Form):
    reason = forms.CharField(label=_lazy("退回意见"), max_length=300)


def _weekly_context(request, report, narrative_form=None):
    user = request.user
    can_fill = weekly.can_fill_weekly(user, report) and report.status == WeeklyReportStatus.DRAFT
    can_review = (weekly.can_review_weekly(user, report) and report.status == WeeklyReportStatus.SUBMITTED
                  and report.filled_by_id != user.pk)
    return {
        "report": report, "figures": report.figures, "can_fill": can_fill, "can_review": can_review,
        "narrative_form": narrative_form or (WeeklyNarrativeForm(initial={
            name: getattr(report, name) for name in weekly.NARRATIVE_FIELDS}) if can_fill else None),
        "return_form": WeeklyReturnForm() if can_review else None,
        "week_over": timezone.localdate() > report.week_end,
    }


@login_required
def weekly_detail(request, pk: int):
    report = _visible_report(request, pk)
    return render(request, "oversight/weekly_detail.html", _weekly_context(request, report))


@login_required
@require_POST
def weekly_action(request, pk: int, action: str):
    """填报 (save the narrative, submit) and 审核 (approve and send, return) of a weekly report."""
    report = _visible_report(request, pk)
    user = request.user
    if action == "save":
        form = WeeklyNarrativeForm(request.POST)
        if not form.is_valid():
            return render(request, "oversight/weekly_detail.html", _weekly_context(request, report, form),
                          status=400)
        with service_call(request, form, success=_("已保存。")):
            weekly.weekly_report_save(report_id=pk, actor=user, **form.cleaned_data)
    elif action == "submit":
        with service_call(request, success=_("已填报，待审核人审核。")):
            weekly.weekly_report_submit(report_id=pk, actor=user)
    elif action == "approve":
        with service_call(request, success=_("已审核，周报已报送上级专项治理办公室。")):
            weekly.weekly_report_approve(report_id=pk, actor=user)
    elif action == "return":
        form = WeeklyReturnForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写退回意见。"))
            return redirect(report.get_absolute_url())
        with service_call(request, success=_("已退回填报人。")):
            weekly.weekly_report_return(report_id=pk, actor=user, reason=form.cleaned_data["reason"])
    else:
        raise Http404
    return redirect(report.get_absolute_url())


@login_required
def weekly_file(request, pk: int, fmt: str):
    report = _visible_report(request, pk)
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    stored = report.pdf if fmt == "pdf" else report.xlsx
    if not stored:
        messages.info(request, _("文件正在生成，请稍后再试。"))
        return redirect(report.get_absolute_url())
    filename = f"{report.region.name}周报-{report.week_start:%Y%m%d}.{fmt}"
    content_type = "application/pdf" if fmt == "pdf" else XLSX_TYPE
    return uploads.file_response(stored, content_type=content_type, filename=filename, inline=fmt == "pdf")
