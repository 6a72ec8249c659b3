"""Inspection pages: thin views that parse input, ask permissions.py, call one service or selector, render.

The visit page's autosave, upload and signature calls answer JSON: {"ok": true, …} or {"error": message}
with 400 (refused, nothing written) or 403 (not allowed).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from regulator import uploads
from regulator.errors import ServiceError
from regulator.paging import after_param
from regulator.params import parse_id
from regulator.views_helpers import json_refusal, service_call, staff_required

from . import conf, permissions, selectors, services
from . import draw as draw_service
from .forms import AmendForm, CampaignForm, DrawForm, OutcomeForm, ReinspectionForm, VisitPlanForm
from .models import AnswerResult, Campaign, Evidence, SpotCheckDraw, Visit, VisitStatus

_NO_DEPARTMENT = _lazy("您的账号未分配部门，无法查看检查。")


def _visible_visit_or_404(request, pk: int) -> Visit:
    visit = get_object_or_404(
        Visit.objects.select_related(
            "institution",
            "lead_department",
            "checklist_template",
            "campaign",
            "previous_visit",
            "referred_department",
        ),
        pk=pk,
    )
    if not permissions.can_view_visit(request.user, visit):
        raise PermissionDenied(_("您无权查看该检查。"))
    return visit


def _visible_campaign_or_404(request, pk: int) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("region", "lead_department"), pk=pk)
    if not permissions.can_view_campaign(request.user, campaign):
        raise PermissionDenied(_("您无权查看该检查行动。"))
    return campaign


def _posted(request, name: str, default: str | None = "") -> str | None:
    """A text field of a page that posts without a Django form (the visit page's autosave): a NUL character, which
    PostgreSQL refuses in any string, is dropped rather than answered with a 500."""
    value = request.POST.get(name, default)
    return value.replace("\x00", "") if isinstance(value, str) else value




# ---- lists -------------------------------------------------------------------------------------------


@staff_required(message=_NO_DEPARTMENT)
def home(request):
    """The department's visits, planned and done (heads), newest first, keyset pages."""
    status = request.GET.get("status", "")
    rows, next_after = selectors.department_visits(user=request.user, status=status, after=after_param(request.GET))
    query = urlencode({"status": status}) if status else ""
    return render(
        request,
        "inspections/home.html",
        {
            "rows": rows,
            "status": status,
            "statuses": VisitStatus.choices,
            "next_url": f"?{query}&after={next_after}" if next_after else "",
            "can_create_campaign": permissions.can_create_campaign(request.user),
        },
    )


@staff_required(message=_NO_DEPARTMENT)
def today(request):
    today = timezone.localdate()
    # The next days' visits too, in the same query: the phone keeps them for offline use (inspections/sync_api.py).
    until = today + timedelta(days=conf.get("INSPECTIONS_OFFLINE_DAYS"))
    visits = list(selectors.todays_visits(user=request.user, today=today, until=until))
    rows = [v for v in visits if v.planned_on <= today]
    upcoming = [v for v in visits if v.planned_on > today]
    return render(request, "inspections/today.html", {"rows": rows, "upcoming": upcoming})


@staff_required(message=_NO_DEPARTMENT)
def campaign_list(request):
    rows = list(
        permissions.visible_campaigns(request.user)
        .select_related("region", "lead_department")
        .order_by("-starts_on", "-pk")[:100]
    )
    return render(
        request,
        "inspections/campaign_list.html",
        {"rows": rows, "can_create": permissions.can_create_campaign(request.user)},
    )


@staff_required(message=_NO_DEPARTMENT)
def campaign_create(request):
    if not permissions.can_create_campaign(request.user):
        raise PermissionDenied(_("只有专项治理办公室或部门负责人可以创建检查行动。"))
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_call(request, form, success=_("检查行动已创建。")) as call:
            campaign = services.campaign_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                region=data["region"],
                category=data["category"],
                students_served=data["students_served"],
                licence_standing=data["licence_standing"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                lead_department=data["lead_department"],
                departments=list(data["departments"]),
                description=data["description"],
            )
        if call.ok:
            return redirect(campaign)
    return render(request, "inspections/campaign_form.html", {"form": form})


@staff_required(message=_NO_DEPARTMENT)
def campaign_detail(request, pk: int):
    campaign = _visible_campaign_or_404(request, pk)
    visits = list(selectors.campaign_visits(user=request.user, campaign=campaign))
    draws = list(campaign.draws.order_by("-pk")[:20])
    can_draw = permissions.can_draw(request.user, campaign)
    form = DrawForm(initial={"planned_on": timezone.localdate()}) if can_draw else None
    return render(
        request,
        "inspections/campaign_detail.html",
        {
            "campaign": campaign,
            "visits": visits,
            "draws": draws,
            "form": form,
            "departments": list(campaign.departments.all()),
        },
    )


@staff_required(message=_NO_DEPARTMENT)
def draw_create(request, pk: int):
    campaign = _visible_campaign_or_404(request, pk)
    if not permissions.can_draw(request.user, campaign):
        raise PermissionDenied(_("只有专项治理办公室或牵头部门负责人可以抽取。"))
    form = DrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_call(request, form, success=_("抽取完成，已生成检查任务。")) as call:
            weights = draw_service.parse_risk_weights(data.get("risk_weights", ""))
            drawn = draw_service.spot_check_draw(
                actor=request.user,
                campaign=campaign,
                sample_size=data["sample_size"],
                inspectors_per_visit=data["inspectors_per_visit"],
                planned_on=data["planned_on"],
                conflicts=data["conflicts"],
                seed=data["seed"] or None,
                risk_weights=weights,
            )
        if call.ok:
            return redirect(drawn)
    return render(
        request,
        "inspections/draw_form.html",
        {"campaign": campaign, "form": form},
        status=(400 if request.method == "POST" else 200),
    )


@staff_required(message=_NO_DEPARTMENT)
def draw_detail(request, pk: int):
    drawn = get_object_or_404(SpotCheckDraw.objects.select_related("campaign"), pk=pk)
    _visible_campaign_or_404(request, drawn.campaign_id)
    report = draw_service.draw_rerun(draw=drawn) if request.GET.get("rerun") else None
    names = selectors.draw_names(draw=drawn)
    return render(request, "inspections/draw_detail.html", {"draw": drawn, "report": report, **names})


# ---- planning ----------------------------------------------------------------------------------------


@staff_required(message=_NO_DEPARTMENT)
def visit_create(request):
    if request.user.department_id is None or not permissions.can_plan_visit(
        request.user, request.user.department
    ):
        raise PermissionDenied(_("您无权安排检查。"))
    initial = {"planned_on": timezone.localdate(), "institution_id": request.GET.get("institution", "")}
    form = VisitPlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        institution = selectors.visible_institution(user=request.user, pk=data["institution_id"])
        if institution is None:
            form.add_error("institution_id", _("找不到该机构，或不在您的管辖范围内。"))
        else:
            with service_call(request, form, success=_("检查已安排。")) as call:
                visit = services.visit_plan(
                    actor=request.user,
                    institution=institution,
                    lead_department=request.user.department,
                    planned_on=data["planned_on"],
                    kind=data["kind"],
                    inspectors=list(data["inspectors"]),
                    departments=list(data["departments"]),
                )
            if call.ok:
                return redirect(visit)
    return render(request, "inspections/visit_form.html", {"form": form})


# ---- the visit page ------------------------------------------------------------------------------


@staff_required(message=_NO_DEPARTMENT)
def visit_detail(request, pk: int):
    visit = _visible_visit_or_404(request, pk)
    user = request.user
    context = {
        "visit": visit,
        **selectors.visit_page(visit=visit),
        "can_edit": permissions.can_edit_visit(user, visit),
        "can_amend": permissions.can_amend_visit(user, visit),
        "can_set_outcome": permissions.can_set_outcome(user, visit),
        "can_reinspect": permissions.can_plan_reinspection(user, visit),
        "results": AnswerResult.choices,
        "offline": {
            "chunk_bytes": conf.get("INSPECTIONS_SYNC_CHUNK_BYTES"),
            "photo_bytes": conf.get("INSPECTIONS_OFFLINE_PHOTO_BYTES"),
            "photo_edge": conf.get("INSPECTIONS_OFFLINE_PHOTO_MAX_EDGE"),
        },
    }
    context["answered"] = sum(1 for answer in context["answers"] if answer.result)  # 已答 n/11
    # The read-only page shows the inspector's outbox too: refused items stay visible after the visit is submitted.
    context["is_assigned"] = any(a.inspector_id == user.pk for a in context["assignments"])
    if context["can_amend"]:
        context["amend_form"] = AmendForm()
        context["outcome_form"] = OutcomeForm(initial={"outcome": visit.outcome or None}, visit=visit)
    if context["can_reinspect"]:
        context["reinspection_form"] = ReinspectionForm(initial={"planned_on": timezone.localdate()})
    template = "inspections/visit_fill.html" if context["can_edit"] else "inspections/visit_detail.html"
    return render(request, template, context)


def _editable_visit(request, pk: int) -> Visit:
    return _visible_visit_or_404(request, pk)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def visit_start(request, pk: int):
    visit = _editable_visit(request, pk)
    try:
        visit = services.visit_start(
            actor=request.user,
            visit_id=visit.pk,
            latitude=request.POST.get("latitude"),
            longitude=request.POST.get("longitude"),
            accuracy=request.POST.get("accuracy"),
        )
    except ServiceError as error:
        return json_refusal(error)
    return JsonResponse({"ok": True, "started_at": timezone.localtime(visit.started_at).isoformat()})


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def answer_save(request, pk: int):
    visit = _editable_visit(request, pk)
    item = parse_id(request.POST.get("item", ""))
    if item is None:
        return JsonResponse({"error": _("检查项无效。")}, status=400)
    try:
        answer = services.answer_save(
            actor=request.user,
            visit_id=visit.pk,
            item_id=item,
            result=_posted(request, "result"),
            remark=_posted(request, "remark"),
        )
    except ServiceError as error:
        return json_refusal(error)
    return JsonResponse({"ok": True, "item": answer.item_id, "result": answer.result})


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def evidence_upload(request, pk: int):
    visit = _editable_visit(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": _("请选择要上传的文件。")}, status=400)
    item = request.POST.get("item", "")
    try:
        evidence = services.evidence_upload(
            actor=request.user,
            visit_id=visit.pk,
            upload=upload,
            client_id=_posted(request, "client_id"),
            item_id=parse_id(item),
        )
    except ServiceError as error:
        return json_refusal(error)
    return JsonResponse(
        {"ok": True, "id": evidence.pk, "kind": evidence.kind, "url": selectors.evidence_url(evidence)}
    )


@staff_required(message=_NO_DEPARTMENT)
def evidence_file(request, pk: int):
    """The display copy for anyone who may see the visit; the original (with EXIF) for the lead department."""
    evidence = get_object_or_404(Evidence.objects.select_related("visit"), pk=pk)
    visit = _visible_visit_or_404(request, evidence.visit_id)
    want_original = request.GET.get("original") == "1" or not evidence.display
    if want_original and not permissions.can_view_original_evidence(request.user, visit):
        if not evidence.display:
            raise Http404(_("该文件仅限牵头部门查看原件。"))
        want_original = False
    field = evidence.original if want_original else evidence.display
    # The original's type is the one its content was found to be; the display copy's is in the name we gave it.
    content_type = evidence.content_type if want_original else uploads.content_type_for(field.name)
    extension = field.name.rsplit(".", 1)[-1]
    filename = uploads.download_name(evidence.original_name, extension, f"evidence-{evidence.pk}")
    return uploads.file_response(field, content_type=content_type, filename=filename)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def signature_save(request, pk: int):
    visit = _editable_visit(request, pk)
    try:
        services.signature_save(
            actor=request.user,
            visit_id=visit.pk,
            signer_name=_posted(request, "signer_name"),
            signer_role=_posted(request, "signer_role"),
            data_url=_posted(request, "data_url"),
            refused=request.POST.get("refused") == "1",
            refusal_reason=_posted(request, "refusal_reason"),
        )
    except ServiceError as error:
        return json_refusal(error)
    return JsonResponse({"ok": True})


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def visit_submit(request, pk: int):
    visit = _editable_visit(request, pk)
    with service_call(request, success=_("检查已提交。")):
        services.visit_submit(actor=request.user, visit_id=visit.pk, summary=_posted(request, "summary"))
    return redirect(visit)


# ---- after submission ----------------------------------------------------------------------------


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def visit_amend(request, pk: int):
    visit = _visible_visit_or_404(request, pk)
    if not permissions.can_amend_visit(request.user, visit):
        raise PermissionDenied(_("您无权更正该检查。"))
    form = AmendForm(request.POST)
    changes = {}
    for answer in visit.answers.only("item_id", "result", "remark"):
        result = _posted(request, f"result-{answer.item_id}", None)
        remark = _posted(request, f"remark-{answer.item_id}", None)
        if result is not None or remark is not None:
            changes[answer.item_id] = {
                "result": result if result is not None else answer.result,
                "remark": remark if remark is not None else answer.remark,
            }
    if not form.is_valid():
        messages.error(request, _("请填写更正原因。"))
        return redirect(visit)
    with service_call(request, success=_("更正已记录。")):
        services.visit_amend(
            actor=request.user, visit_id=visit.pk, reason=form.cleaned_data["reason"], changes=changes
        )
    return redirect(visit)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def visit_outcome(request, pk: int):
    visit = _visible_visit_or_404(request, pk)
    if not permissions.can_set_outcome(request.user, visit):
        raise PermissionDenied(_("您无权确定处理结果。"))
    form = OutcomeForm(request.POST, visit=visit)
    if not form.is_valid():
        messages.error(request, _("请选择处理结果。"))
        return redirect(visit)
    data = form.cleaned_data
    with service_call(request, success=_("处理结果已保存。")):
        services.visit_set_outcome(
            actor=request.user,
            visit_id=visit.pk,
            outcome=data["outcome"],
            note=data["note"],
            referred_department=data["referred_department"],
        )
    return redirect(visit)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def reinspection_create(request, pk: int):
    visit = _visible_visit_or_404(request, pk)
    if not permissions.can_plan_reinspection(request.user, visit):
        raise PermissionDenied(_("您无权安排复查。"))
    form = ReinspectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写复查日期。"))
        return redirect(visit)
    with service_call(request, success=_("复查已安排。")) as call:
        new = services.reinspection_create(
            actor=request.user, previous_visit_id=visit.pk, planned_on=form.cleaned_data["planned_on"]
        )
    return redirect(new if call.ok else visit)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def draw_publish(request, pk: int):
    drawn = get_object_or_404(SpotCheckDraw, pk=pk)
    _visible_campaign_or_404(request, drawn.campaign_id)
    with service_call(request, success=_("抽查结果已公示。")):
        draw_service.draw_publish(actor=request.user, draw_id=pk)
    return redirect("inspections:draw_detail", pk=pk)
