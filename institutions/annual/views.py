"""Annual inspection pages: the plans, one plan's institutions, one institution's inspection. Thin views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulator import uploads
from regulator.views_helpers import service_call, staff_required

from .. import permissions
from ..forms_through_time import (
    AnnualPlanForm,
    DecideForm,
    MaterialReceiptForm,
    NoteForm,
    ResultsImportForm,
    SiteVisitForm,
)
from ..models import AnnualInspection, AnnualInspectionStatus, AnnualResult
from . import results_io, services
from .tasks import render_annual_notice


def _plan_or_404(request, pk):
    plan = get_object_or_404(permissions.visible_annual_plans(request.user).select_related("department__region"),
                             pk=pk)
    return plan


def _inspection_or_404(request, pk) -> AnnualInspection:
    inspection = get_object_or_404(
        AnnualInspection.objects.select_related("plan__department__region", "institution__region", "site_visit"),
        pk=pk)
    if not permissions.visible_annual_plans(request.user).filter(pk=inspection.plan_id).exists():
        raise PermissionDenied(_("该年检计划不在您的管辖范围内。"))
    return inspection


@staff_required
def plan_list(request):
    plans = (permissions.visible_annual_plans(request.user).select_related("department")
             .annotate(total=Count("inspections"),
                       concluded=Count("inspections", filter=Q(inspections__status__in=services.CONCLUDED)),
                       failed=Count("inspections", filter=Q(inspections__result=AnnualResult.FAIL))))
    return render(request, "institutions/annual_plan_list.html", {
        "plans": plans, "can_plan": permissions.can_plan_annual_inspection(request.user)})


@staff_required
def plan_create(request):
    if not permissions.can_plan_annual_inspection(request.user):
        raise PermissionDenied(_("只有教育或人社部门的负责人、专项治理办公室可以制定年检计划。"))
    form = AnnualPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            plan = services.plan_create(actor=request.user, year=form.cleaned_data["year"],
                                        deadline=form.cleaned_data["deadline"],
                                        materials=form.cleaned_data["materials"])
        if call.ok:
            messages.success(request, _("已制定年检计划，列入%(count)d家持证机构。") % {
                "count": plan.inspections.count()})
            return redirect(plan)
    return render(request, "institutions/annual_plan_form.html", {"form": form})


@staff_required
def plan_detail(request, pk: int):
    plan = _plan_or_404(request, pk)
    status = request.GET.get("status", "")
    rows = plan.inspections.select_related("institution__region").order_by("institution__region_id", "id")
    if status in AnnualInspectionStatus.values:
        rows = rows.filter(status=status)
    counts = dict(plan.inspections.values_list("status").annotate(n=Count("*")))
    results = dict(plan.inspections.exclude(result="").values_list("result").annotate(n=Count("*")))
    return render(request, "institutions/annual_plan_detail.html", {
        "plan": plan, "rows": rows[:500], "status": status, "statuses": AnnualInspectionStatus.choices,
        "counts": counts, "results": [(label, results.get(value, 0)) for value, label in AnnualResult.choices],
        "materials": list(plan.materials.all()),
        "can_decide": permissions.can_decide_annual_inspection(request.user, plan),
        "import_form": ResultsImportForm(),
    })


@staff_required
@require_POST
def plan_publish(request, pk: int):
    plan = _plan_or_404(request, pk)
    with service_call(request, success=_("已公布年检结果。")):
        services.plan_publish(actor=request.user, plan_id=plan.pk)
    return redirect(plan)


@staff_required
def plan_export(request, pk: int):
    plan = _plan_or_404(request, pk)
    response = HttpResponse(results_io.export_results(plan),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="annual-{plan.year}-{plan.pk}.xlsx"'
    return response


@staff_required
def plan_import(request, pk: int):
    plan = _plan_or_404(request, pk)
    if not permissions.can_decide_annual_inspection(request.user, plan):
        raise PermissionDenied(_("只有年检部门的负责人或专项治理办公室可以导入年检结果。"))
    form = ResultsImportForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            outcome = results_io.import_results(actor=request.user, plan_id=plan.pk,
                                                uploaded_file=form.cleaned_data["file"])
        if call.ok and outcome.written:
            messages.success(request, _("已导入%(count)d条年检结果。") % {"count": len(outcome.rows)})
            return redirect(plan)
    return render(request, "institutions/annual_import.html", {"plan": plan, "form": form, "outcome": outcome})


@staff_required
def inspection_detail(request, pk: int):
    inspection = _inspection_or_404(request, pk)
    plan = inspection.plan
    user = request.user
    can_work = permissions.can_work_on_annual_plan(user, plan)
    can_decide = permissions.can_decide_annual_inspection(user, plan)
    forms = {}
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not can_work:
        raise PermissionDenied(_("该年检计划不属于您的部门。"))
    if action in ("decide", "refuse") and not can_decide:
        raise PermissionDenied(_("只有年检部门的负责人或专项治理办公室可以作出年检结论。"))
    data = request.POST if action else None
    forms["receive"] = MaterialReceiptForm(data if action == "receive" else None, inspection=inspection,
                                           prefix="receive")
    forms["review"] = NoteForm(data if action == "review" else None, prefix="review")
    forms["visit"] = SiteVisitForm(data if action == "visit" else None, prefix="visit")
    forms["decide"] = DecideForm(data if action == "decide" else None, prefix="decide")
    forms["refuse"] = NoteForm(data if action == "refuse" else None, prefix="refuse")
    if action in forms and forms[action].is_valid():
        cleaned = forms[action].cleaned_data
        with service_call(request, forms[action], success=_("已保存。")) as call:
            if action == "receive":
                services.material_receive(actor=user, inspection_id=pk, kind_id=cleaned["kind"].pk,
                                          received_on=cleaned["received_on"], note=cleaned["note"])
            elif action == "review":
                services.desk_review(actor=user, inspection_id=pk, note=cleaned["note"])
            elif action == "visit":
                services.site_visit_plan(actor=user, inspection_id=pk, planned_on=cleaned["planned_on"],
                                         inspectors=[user])
            elif action == "decide":
                services.decide(actor=user, inspection_id=pk, result=cleaned["result"], reasons=cleaned["reasons"])
            else:
                services.refuse(actor=user, inspection_id=pk, note=cleaned["note"])
        if call.ok:
            return redirect(inspection)
    receipts = {receipt.kind_id: receipt for receipt in inspection.receipts.select_related("kind")}
    materials = [(kind, receipts.get(kind.pk)) for kind in plan.materials.all()]
    return render(request, "institutions/annual_inspection_detail.html", {
        "inspection": inspection, "plan": plan, "materials": materials, "forms": forms,
        "can_work": can_work, "can_decide": can_decide,
        "pending": inspection.status == AnnualInspectionStatus.PENDING,
        "reviewed": inspection.status == AnnualInspectionStatus.REVIEWED,
    })


@staff_required
def notice_pdf(request, pk: int):
    """The 年检结论通知书 after the same check as the inspection's page (the plan within the user's region)."""
    inspection = _inspection_or_404(request, pk)
    if not inspection.notice_pdf:
        if inspection.notice_number and inspection.status == AnnualInspectionStatus.DECIDED:
            render_annual_notice.delay(inspection.pk)
            messages.info(request, _("PDF正在生成，请稍后刷新。"))
        else:
            messages.error(request, _("作出年检结论后才有年检结论通知书。"))
        return redirect(inspection)
    if not default_storage.exists(inspection.notice_pdf.name):
        raise Http404
    return uploads.file_response(inspection.notice_pdf, content_type="application/pdf",
                                 filename=f"{inspection.notice_number}.pdf", inline=True)
