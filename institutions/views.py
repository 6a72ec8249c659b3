"""Register pages: thin views that parse, check permission, call one service or selector, and render."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from regulator.paging import after_param
from regulator.views_helpers import service_call, staff_required

from . import permissions, selectors, services
from .forms import InstitutionForm, LicenceForm, SiteForm, TeacherForm
from .models import CampaignStatus, Institution, Licence, RegisterReview, Site, Teacher

_NO_DEPARTMENT = _lazy("您的账号未分配部门，无法查看台账。")


def _visible_institution_or_404(request, pk: int) -> Institution:
    institution = get_object_or_404(Institution.objects.select_related("region"), pk=pk)
    if not permissions.can_view_institution(request.user, institution):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))
    return institution


@staff_required(message=_NO_DEPARTMENT)
def register_list(request):
    after_id = after_param(request.GET)
    # Only the columns the rows show (institutions/templatetags/register.py), as tuples, not model instances; the
    # filters' SQL compiled once per scope and filters in this process.
    page = selectors.register_list_page(user=request.user, params=request.GET, request=request,
                                        size=settings.REGISTER_PAGE_SIZE, after=after_id)
    rows, next_after = page.rows, page.next_after
    if page.filter is not None:
        form = page.filter.form
    else:  # built only if the form's HTML is not kept (regulator/templatetags/fragments.py)
        form = SimpleLazyObject(lambda: selectors.register_form(params=request.GET, request=request))
    params = request.GET.copy()
    params.pop("after", None)
    query = params.urlencode()
    # A filter changed on the page (htmx) gets the list alone; a reload or a restored history entry the page.
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "institutions/_register_results.html" if partial else "institutions/register_list.html"
    response = render(request, template, {
        "partial": partial,
        "form": form,
        "form_key": page.form_key,
        "filters_invalid": not page.valid,
        "rows": rows,
        "next_url": f"?{query}&{urlencode({'after': next_after})}" if next_after else "",
        "first_url": f"?{query}" if after_id else "",
        "query": query,
        "can_create": permissions.can_create_institution(request.user),
        "can_import": permissions.can_import_register(request.user),
        "detail_prefix": reverse("institutions:list"),
    })
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers with the list or the page
    return response


@staff_required(message=_NO_DEPARTMENT)
def institution_detail(request, pk: int):
    institution = _visible_institution_or_404(request, pk)
    user = request.user
    institution_file = selectors.institution_file(institution=institution)
    can_add_licence = permissions.can_add_licence(user, institution)
    for row in institution_file["enrolments"]:
        for item in row["items"]:
            item["can_record"] = (item["record"] is None and row["enrolment"].campaign.status == CampaignStatus.OPEN
                                  and permissions.can_record_campaign_item(user, institution, item["code"]))
    return render(request, "institutions/institution_detail.html", {
        "institution": institution,
        **institution_file,
        "can_change": permissions.can_change_institution(user, institution),
        "can_delete": permissions.can_delete_institution(user, institution),
        "can_add_licence": can_add_licence,
        "can_decide_change": permissions.can_decide_change(user, institution),
        "editable_licence_ids": {
            licence.pk for licence in institution_file["licences"]
            if can_add_licence and permissions.can_change_licence(user, institution, licence.kind, licence.issuer_id)
        },
    })


@staff_required(message=_NO_DEPARTMENT)
def institution_create(request):
    if not permissions.can_create_institution(request.user):
        raise PermissionDenied(_("您的部门无权登记机构。"))
    form = InstitutionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            institution = services.institution_create(actor=request.user, data=form.cleaned_data)
        if call.ok:
            messages.success(request, _("已登记机构“%(name)s”。") % {"name": institution.name})
            return redirect(institution)
    return render(request, "institutions/institution_form.html", {"form": form})


@staff_required(message=_NO_DEPARTMENT)
def institution_edit(request, pk: int):
    institution = _visible_institution_or_404(request, pk)
    if not permissions.can_change_institution(request.user, institution):
        raise PermissionDenied(_("您无权修改该机构。"))
    form = InstitutionForm(request.POST or None, instance=institution, user=request.user)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("已保存修改。")) as call:
            services.institution_update(actor=request.user, institution_id=pk, data=form.cleaned_data)
        if call.ok:
            return redirect("institutions:detail", pk=pk)
    return render(request, "institutions/institution_form.html", {"form": form, "institution": institution})


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def institution_delete(request, pk: int):
    institution = _visible_institution_or_404(request, pk)
    if not permissions.can_delete_institution(request.user, institution):
        raise PermissionDenied(_("您无权删除该机构。"))
    with service_call(request, success=_("已删除机构“%(name)s”。") % {"name": institution.name}) as call:
        services.institution_delete(actor=request.user, institution_id=pk)
    return redirect("institutions:list") if call.ok else redirect(institution)


@staff_required(message=_NO_DEPARTMENT)
def register_review(request, pk: int):
    """A 待核对 row of the heads' queue: the institution's file, where it is shown and checked."""
    review = get_object_or_404(RegisterReview, pk=pk)
    institution = _visible_institution_or_404(request, review.institution_id)
    return redirect(institution.get_absolute_url() + "#reviews")


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def register_review_check(request, pk: int):
    review = get_object_or_404(RegisterReview, pk=pk)
    institution = _visible_institution_or_404(request, review.institution_id)
    if not permissions.can_change_institution(request.user, institution):
        raise PermissionDenied(_("您无权修改该机构。"))
    with service_call(request, success=_("已标记为核对无误。")):
        services.register_review_check(actor=request.user, review_id=pk)
    return redirect(institution)


# One table drives the pages of an institution's children: licences, sites and teachers.
CHILDREN = {
    "licence": {
        "model": Licence, "form": LicenceForm, "save": services.licence_save, "delete": services.licence_delete,
        "id_arg": "licence_id", "label": _("证照"),
    },
    "site": {
        "model": Site, "form": SiteForm, "save": services.site_save, "delete": services.site_delete,
        "id_arg": "site_id", "label": _("办学点"),
    },
    "teacher": {
        "model": Teacher, "form": TeacherForm, "save": services.teacher_save, "delete": services.teacher_delete,
        "id_arg": "teacher_id", "label": _("培训人员"),
    },
}


def _check_child_permission(user, institution, kind, instance=None, new_kind=None):
    if kind == "licence":
        kinds = {getattr(instance, "kind", None), new_kind} - {None, ""}
        issuer_id = getattr(instance, "issuer_id", None)
        allowed = permissions.can_add_licence(user, institution) and all(
            permissions.can_change_licence(user, institution, k, issuer_id) for k in kinds
        )
    else:
        allowed = permissions.can_change_sites_and_teachers(user, institution)
    if not allowed:
        raise PermissionDenied(_("您无权修改该机构的这项信息。"))


@staff_required(message=_NO_DEPARTMENT)
def child_edit(request, pk: int, kind: str, child_id: int | None = None):
    spec = CHILDREN[kind]
    institution = _visible_institution_or_404(request, pk)
    instance = get_object_or_404(spec["model"], pk=child_id, institution=institution) if child_id else None
    _check_child_permission(request.user, institution, kind, instance, request.POST.get("kind"))
    form = spec["form"](request.POST or None, instance=instance, user=request.user, institution=institution)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("已保存%(what)s。") % {"what": spec["label"]}) as call:
            spec["save"](actor=request.user, institution_id=institution.pk, data=form.cleaned_data,
                         **({spec["id_arg"]: child_id} if child_id else {}))
        if call.ok:
            return redirect(institution)
    return render(request, "institutions/child_form.html", {
        "form": form, "institution": institution, "label": spec["label"], "instance": instance,
    })


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def child_delete(request, pk: int, kind: str, child_id: int):
    spec = CHILDREN[kind]
    institution = _visible_institution_or_404(request, pk)
    instance = get_object_or_404(spec["model"], pk=child_id, institution=institution)
    _check_child_permission(request.user, institution, kind, instance)
    with service_call(request, success=_("已删除%(what)s。") % {"what": spec["label"]}):
        spec["delete"](actor=request.user, institution_id=institution.pk, **{spec["id_arg"]: child_id})
    return redirect(institution)
