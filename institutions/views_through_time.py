"""Pages of the register through time: campaigns (重新审核登记, 回头看), changes (变更), cancellation (注销) and the
teacher black list. Thin views: parse, check permission, call one service, render or redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulator.views_helpers import service_call, staff_required

from . import campaigns, changes, permissions, teachers
from .forms_through_time import (
    CampaignOpenForm,
    CancelForm,
    ChangeDecisionForm,
    ChangeRequestForm,
    ItemRecordForm,
    TeacherBanForm,
)
from .models import CampaignEnrolment, RegisterChange, TeacherBan
from .views import _visible_institution_or_404


@staff_required
def through_time(request):
    """The hub: annual inspections, campaigns and the black list."""
    return render(request, "institutions/through_time.html", {
        "campaigns": permissions.visible_register_campaigns(request.user).select_related("region")[:20],
        "can_open": permissions.can_open_register_campaign(request.user),
        "can_keep_blacklist": permissions.can_keep_teacher_blacklist(request.user),
    })


@staff_required
def campaign_open(request):
    if not permissions.can_open_register_campaign(request.user):
        raise PermissionDenied(_("只有专项治理办公室可以发起专项工作。"))
    form = CampaignOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            campaign = campaigns.campaign_open(actor=request.user, **form.cleaned_data)
        if call.ok:
            messages.success(request, _("已发起专项工作。"))
            return redirect(campaign)
    return render(request, "institutions/campaign_form.html", {"form": form})


@staff_required
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(permissions.visible_register_campaigns(request.user).select_related("region"),
                                 pk=pk)
    return render(request, "institutions/campaign_detail.html", {
        "campaign": campaign, "progress": campaigns.campaign_progress(campaign),
        "rows": campaigns.enrolled_with_flags(campaign)[:500], "item_count": len(campaign.items),
    })


@staff_required
@require_POST
def campaign_item_record(request, pk: int, enrolment_id: int):
    institution = _visible_institution_or_404(request, pk)
    enrolment = get_object_or_404(CampaignEnrolment, pk=enrolment_id, institution=institution)
    form = ItemRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(institution.get_absolute_url() + "#campaigns")
    with service_call(request, success=_("已登记。")):
        campaigns.item_record(actor=request.user, enrolment_id=enrolment.pk, **form.cleaned_data)
    return redirect(institution.get_absolute_url() + "#campaigns")


@staff_required
def change_request(request, pk: int):
    institution = _visible_institution_or_404(request, pk)
    if not permissions.can_change_institution(request.user, institution):
        raise PermissionDenied(_("您无权变更该机构的登记信息。"))
    form = ChangeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("已提交变更申请，待审核。")) as call:
            changes.change_request(actor=request.user, institution_id=pk, **form.cleaned_data)
        if call.ok:
            return redirect(institution.get_absolute_url() + "#changes")
    return render(request, "institutions/change_form.html", {"form": form, "institution": institution})


@staff_required
@require_POST
def change_decide(request, pk: int, change_id: int):
    institution = _visible_institution_or_404(request, pk)
    change = get_object_or_404(RegisterChange, pk=change_id, institution=institution)
    if not permissions.can_decide_change(request.user, institution):
        raise PermissionDenied(_("只有部门负责人或专项治理办公室可以审核登记变更。"))
    form = ChangeDecisionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    with service_call(request, success=_("已审核。")):
        if request.POST.get("decision") == "approve":
            changes.change_approve(actor=request.user, change_id=change.pk,
                                   approval_document=data.get("approval_document", ""), note=data.get("note", ""))
        else:
            changes.change_refuse(actor=request.user, change_id=change.pk, note=data.get("note", ""))
    return redirect(institution.get_absolute_url() + "#changes")


@staff_required
def institution_cancel(request, pk: int):
    institution = _visible_institution_or_404(request, pk)
    if not permissions.can_delete_institution(request.user, institution):
        raise PermissionDenied(_("只有教育部门负责人或专项治理办公室可以注销机构。"))
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("已注销机构。")) as call:
            changes.institution_cancel(actor=request.user, institution_id=pk, **form.cleaned_data)
        if call.ok:
            return redirect(institution)
    return render(request, "institutions/cancel_form.html", {
        "form": form, "institution": institution, "open_matters": changes.open_matters(institution.pk)})


@staff_required
def teacher_bans(request):
    can_keep = permissions.can_keep_teacher_blacklist(request.user)
    form = TeacherBanForm(request.POST or None)
    if request.method == "POST":
        if not can_keep:
            raise PermissionDenied(_("只有教育或人社部门负责人、专项治理办公室可以登记教师黑名单。"))
        if form.is_valid():
            with service_call(request, form, success=_("已列入教师黑名单。")) as call:
                teachers.ban_create(actor=request.user, data=form.cleaned_data)
            if call.ok:
                return redirect("institutions:teacher_bans")
    query = (request.GET.get("q") or "").strip()
    bans = TeacherBan.objects.select_related("department").order_by("-id")
    if query:
        bans = bans.filter(name=query) | bans.filter(id_number=query.upper())
    return render(request, "institutions/teacher_bans.html", {
        "bans": bans[:200], "form": form, "can_keep": can_keep, "query": query})


@staff_required
@require_POST
def teacher_ban_lift(request, ban_id: int):
    if not permissions.can_keep_teacher_blacklist(request.user):
        raise PermissionDenied(_("只有教育或人社部门负责人、专项治理办公室可以解除教师黑名单。"))
    ban = get_object_or_404(TeacherBan, pk=ban_id)
    with service_call(request, success=_("已解除。")):
        teachers.ban_lift(actor=request.user, ban_id=ban.pk, reason=request.POST.get("reason", ""))
    return redirect("institutions:teacher_bans")



