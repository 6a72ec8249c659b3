"""Pages of the register through time: campaigns (重新审核登记, 回头看), changes (变更), licence renewal (续期/换证),
cancellation (注销), teachers' employment across institutions, the in-service teacher roster and the teacher
black list. Thin views: parse, check permission, call one service, render or redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulator.views_helpers import service_call, staff_required

from . import campaigns, changes, employment, permissions, roster, teachers
from .forms_through_time import (
    CampaignOpenForm,
    CancelForm,
    ChangeDecisionForm,
    ChangeRequestForm,
    ItemRecordForm,
    LicenceRenewForm,
    RosterImportForm,
    TeacherBanForm,
    TeacherLeaveForm,
    TeacherMoveForm,
)
from .models import CampaignEnrolment, Licence, RegisterChange, Teacher, TeacherBan
from .views import _visible_institution_or_404


@staff_required
def through_time(request):
    """The hub: annual inspections, campaigns and the black list."""
    return render(request, "institutions/through_time.html", {
        "campaigns": permissions.visible_register_campaigns(request.user).select_related("region")[:20],
        "can_open": permissions.can_open_register_campaign(request.user),
        "can_keep_blacklist": permissions.can_keep_teacher_blacklist(request.user),
        "can_keep_roster": permissions.can_keep_in_service_roster(request.user),
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


@staff_required
def licence_renew(request, pk: int, licence_id: int):
    institution = _visible_institution_or_404(request, pk)
    licence = get_object_or_404(Licence, pk=licence_id, institution=institution)
    if not permissions.can_change_licence(request.user, institution, licence.kind, licence.issuer_id):
        raise PermissionDenied(_("该证照不在您部门的职责范围内。"))
    form = LicenceRenewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("已登记续期。")) as call:
            changes.licence_renew(actor=request.user, licence_id=licence.pk, **form.cleaned_data)
        if call.ok:
            return redirect(institution.get_absolute_url() + "#renewals")
    return render(request, "institutions/licence_renew.html", {
        "form": form, "institution": institution, "licence": licence,
        "renewals": licence.renewals.select_related("created_by"),
        "backdate_days": changes.renewal_backdate_days()})


@staff_required
def teacher_detail(request, pk: int, teacher_id: int):
    """A teacher's staff page: the employment history of the person across institutions and the flags."""
    institution = _visible_institution_or_404(request, pk)
    teacher = get_object_or_404(Teacher.objects.select_related("identity"), pk=teacher_id, institution=institution)
    history = employment.employment_history(teacher)
    visible = set(permissions.visible_institutions(request.user).filter(
        pk__in={row.institution_id for row in history}).values_list("pk", flat=True))
    return render(request, "institutions/teacher_detail.html", {
        "institution": institution, "teacher": teacher, "history": history, "visible_ids": visible,
        "bans": list(teachers.bans_in_force().filter(identity_id=teacher.identity_id)) if teacher.identity_id else [],
        "can_change": permissions.can_change_sites_and_teachers(request.user, institution) and teacher.is_current,
        "leave_form": TeacherLeaveForm(), "move_form": TeacherMoveForm()})


@staff_required
@require_POST
def teacher_leave(request, pk: int, teacher_id: int):
    institution = _visible_institution_or_404(request, pk)
    teacher = get_object_or_404(Teacher, pk=teacher_id, institution=institution)
    form = TeacherLeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        with service_call(request, success=_("已登记离职。")):
            employment.teacher_leave(actor=request.user, institution_id=institution.pk, teacher_id=teacher.pk,
                                     **form.cleaned_data)
    return redirect("institutions:teacher", pk=institution.pk, teacher_id=teacher.pk)


@staff_required
@require_POST
def teacher_move(request, pk: int, teacher_id: int):
    institution = _visible_institution_or_404(request, pk)
    teacher = get_object_or_404(Teacher, pk=teacher_id, institution=institution)
    form = TeacherMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("institutions:teacher", pk=institution.pk, teacher_id=teacher.pk)
    data = form.cleaned_data
    target = permissions.visible_institutions(request.user).filter(credit_code=data["to_credit_code"]).first()
    if target is None:
        messages.error(request, _("在您可见的台账中找不到统一社会信用代码为%(code)s的机构。") % {
            "code": data["to_credit_code"]})
        return redirect("institutions:teacher", pk=institution.pk, teacher_id=teacher.pk)
    with service_call(request, success=_("已调往%(name)s。") % {"name": target.name}) as call:
        moved = employment.teacher_move(actor=request.user, institution_id=institution.pk, teacher_id=teacher.pk,
                                        to_institution_id=target.pk, moved_on=data["moved_on"],
                                        reason=data["reason"])
    if call.ok:
        return redirect("institutions:teacher", pk=target.pk, teacher_id=moved.pk)
    return redirect("institutions:teacher", pk=institution.pk, teacher_id=teacher.pk)


@staff_required
def in_service_roster(request):
    """The department's in-service teacher rosters (versions) and the import. Only with the permission."""
    if not permissions.can_keep_in_service_roster(request.user):
        raise PermissionDenied(_("只有具备相应权限的教育部门人员可以查看在职中小学教师名单。"))
    form = RosterImportForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            outcome = roster.roster_import(actor=request.user, uploaded_file=form.cleaned_data["file"])
        if call.ok and outcome.written:
            messages.success(request, _("已导入第%(version)d版名单：%(count)d人，匹配到培训人员%(flagged)d名。") % {
                "version": outcome.roster.version, "count": outcome.roster.row_count,
                "flagged": outcome.roster.flagged_count})
            return redirect("institutions:in_service_roster")
    rosters = roster.visible_rosters(request.user).select_related("created_by")
    current = next((r for r in rosters if r.is_current), None)
    return render(request, "institutions/in_service_roster.html", {
        "form": form, "outcome": outcome, "rosters": rosters[:50], "current": current,
        "entries": current.entries.all()[:200] if current else [],
        "flagged": Teacher.objects.filter(in_service_roster__department_id=request.user.department_id,
                                          in_service_flagged_at__isnull=False, ended_on__isnull=True)
        .select_related("institution")[:200]})

