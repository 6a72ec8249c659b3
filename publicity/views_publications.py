"""Pages of decisions published (行政处罚法 Art 48) and rectification results: the staff's list and page of
each (publish, withdraw), opening a decided case's publication, and the public list. Thin: parse, check, call."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from regulator.params import parse_page
from regulator.scope import region_q
from regulator.views_helpers import service_call, staff_required

from . import publications
from .models import DecisionPublication, PublicationStatus, WithdrawalReason
from .views_public import public_cached

_NO_DEPARTMENT = _lazy("您的账号未分配部门，无法使用公示公开功能。")


class OpenForm(forms.Form):
    case = forms.IntegerField(min_value=1)
    party_is_natural_person = forms.BooleanField(label=_lazy("当事人为自然人（公开时隐去姓名）"), required=False)
    person_names = forms.CharField(label=_lazy("需隐去的自然人姓名（以逗号分隔）"), required=False, max_length=300)


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(label=_lazy("撤回原因"), choices=WithdrawalReason.choices)
    ordered_on = forms.DateField(label=_lazy("变更或撤销决定的日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_lazy("说明"), max_length=300, required=False)


def _visible(user):
    return DecisionPublication.objects.filter(region_q(user, "institution__region__code"))


@staff_required(message=_NO_DEPARTMENT)
def publication_list(request):
    rows = list(_visible(request.user).select_related("institution", "department").order_by(
        "status", "publish_due", "-id")[:200])
    return render(request, "publicity/staff_publications.html", {"rows": rows})


@staff_required(message=_NO_DEPARTMENT)
def publication_detail(request, pk: int):
    publication = get_object_or_404(
        DecisionPublication.objects.select_related("institution", "department", "published_by", "withdrawn_by"),
        pk=pk)
    if not publications.can_view_publication(request.user, publication):
        raise Http404
    can_manage = publications.can_manage_publication(request.user, publication)
    return render(request, "publicity/staff_publication_detail.html", {
        "publication": publication,
        "can_publish": can_manage and publication.status == PublicationStatus.PENDING,
        "can_withdraw": can_manage and publication.status in (PublicationStatus.PUBLISHED,
                                                              PublicationStatus.WITHDRAWAL_DUE),
        "withdraw_form": WithdrawForm() if publication.status == PublicationStatus.PUBLISHED else None,
    })


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def publication_open(request):
    form = OpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请指明要公开决定的案件。"))
        return redirect("publicity:publications")
    names = [name.strip() for name in form.cleaned_data["person_names"].replace("，", ",").split(",")]
    with service_call(request) as call:
        publication = publications.publication_open_for_case(
            case_id=form.cleaned_data["case"], actor=request.user,
            party_is_natural_person=form.cleaned_data["party_is_natural_person"], person_names=names)
    if not call.ok:
        return redirect(request.POST.get("back") or "publicity:publications")
    messages.success(request, _("已登记，须于%(due)s前公开。") % {"due": f"{publication.publish_due:%Y-%m-%d}"})
    return redirect(publication.get_absolute_url())


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def publication_action(request, pk: int, action: str):
    user = request.user
    if action == "publish":
        with service_call(request, success=_("已在公示网站公开。")):
            publications.publication_publish(publication_id=pk, actor=user)
    elif action == "withdraw":
        form = WithdrawForm(request.POST)
        data = form.cleaned_data if form.is_valid() else {}
        publication = get_object_or_404(DecisionPublication, pk=pk)
        if publication.status == PublicationStatus.PUBLISHED and not data:
            messages.error(request, _("请选择撤回原因并填写变更或撤销决定的日期。"))
            return redirect(publication.get_absolute_url())
        with service_call(request, success=_("已从公示网站撤回。")):
            publications.publication_withdraw(publication_id=pk, actor=user, **data)
    else:
        raise Http404
    return redirect("publicity:publication_detail", pk=pk)


@public_cached("decisions")
def public_decisions(request):
    page = parse_page(request.GET.get("page")) or 1
    size = 20
    # a decision changed or annulled stays up until it is withdrawn (the queue shows the 3 working days)
    rows = list(DecisionPublication.objects.filter(status__in=(PublicationStatus.PUBLISHED,
                                                               PublicationStatus.WITHDRAWAL_DUE))
                .order_by("-published_at", "-id")
                .only("id", "source_type", "party_name", "document_number", "title", "text", "decided_on",
                      "published_at")[(page - 1) * size: page * size + 1])
    return render(request, "publicity/public_decisions.html", {
        "rows": rows[:size], "page": page, "has_next": len(rows) > size,
        "prev_page": page - 1 if page > 1 else None, "next_page": page + 1 if len(rows) > size else None,
    })

