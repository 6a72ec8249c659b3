"""Pages for orders, suspension notices, penalty cases and the inbox: parse, check permission, call one
service or selector, render or redirect. Refusals become a message on the page; forbidden is 403."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from inspections.models import ProblemItem, ProblemStatus, Visit
from institutions.models import Institution
from regulator import uploads
from regulator.notifications import mark_read
from regulator.paging import after_param
from regulator.params import parse_ids
from regulator.views_helpers import service_call, staff_required

from . import case_progress, conf, forms, permissions, selectors, services
from .models import (
    CaseDocument,
    CaseEvidence,
    CaseStatus,
    Decision,
    DecisionKind,
    HearingStatus,
    Interview,
    OrderItem,
    PenaltyCase,
    RectificationOrder,
    Refund,
    ServedDocument,
    ServiceProof,
    ServiceRecord,
    SuspensionNotice,
)
from .pdf import CASE_DOCUMENT_TITLES
from .tasks import render_pdf


def _visible(request, model, pk, related=("institution__region", "department")):
    obj = get_object_or_404(model.objects.select_related(*related), pk=pk)
    if not permissions.can_view(request.user, obj):
        raise PermissionDenied(_("该文书不在您的管辖范围内。"))
    return obj


def _institution_for_drafting(request, institution_id):
    institution = get_object_or_404(Institution.objects.select_related("region"), pk=institution_id)
    if not permissions.can_draft_for(request.user, institution):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))
    return institution




def _act(request, redirect_to, call, success):
    """Run one POST action; a refusal is shown as a message, a forbidden one is a 403."""
    with service_call(request, success=success):
        call()
    return redirect(redirect_to)


# ---- home (queues) -------------------------------------------------------------------------------


@staff_required
def home(request):
    queue = request.GET.get("queue", "")
    if queue in selectors.CASE_QUEUES and request.GET.get("tab") == "cases":
        queryset, tab = selectors.case_queue(user=request.user, queue=queue), "cases"
    elif request.GET.get("tab") == "cases":
        queryset, tab, queue = selectors.case_queue(user=request.user, queue="all"), "cases", "all"
    elif request.GET.get("tab") == "suspensions":
        queryset, tab, queue = selectors.suspension_list(user=request.user), "suspensions", "all"
    else:
        queue = queue if queue in selectors.ORDER_QUEUES else "all"
        queryset, tab = selectors.order_queue(user=request.user, queue=queue), "orders"
    rows, next_after = selectors.page(queryset, after=after_param(request.GET))
    return render(
        request, "penalties/home.html", {"rows": rows, "tab": tab, "queue": queue, "next_after": next_after}
    )


# ---- rectification orders ------------------------------------------------------------------------


def _item_rows(request):
    texts, bases = request.POST.getlist("item_text"), request.POST.getlist("item_basis")
    return [{"text": t, "legal_basis": b} for t, b in zip(texts, bases, strict=False)]


@staff_required
def order_new(request, institution_id):
    institution = _institution_for_drafting(request, institution_id)
    default = timezone.localdate() + datetime.timedelta(days=conf.default_deadline_days())
    form = forms.OrderDraftForm(request.POST or None, initial={"deadline": default})
    items = _item_rows(request) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("整改通知书草稿已保存，请提交负责人批准。")) as call:
            order = services.order_draft(
                actor=request.user,
                institution_id=institution.pk,
                items=items,
                deadline=form.cleaned_data["deadline"],
                requirements=form.cleaned_data["requirements"],
            )
        if call.ok:
            return redirect(order)
    items = items + [{"text": "", "legal_basis": ""}] * max(1, 3 - len(items))
    return render(
        request, "penalties/order_form.html", {"institution": institution, "form": form, "items": items}
    )


@staff_required
def order_from_visit(request, visit_id):

    visit = get_object_or_404(Visit.objects.select_related("institution__region"), pk=visit_id)
    if not permissions.can_draft_for(request.user, visit.institution):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))
    problems = list(
        ProblemItem.objects.filter(
            visit=visit, status=ProblemStatus.OPEN, department_id=request.user.department_id
        ).order_by("id")
    )
    default = timezone.localdate() + datetime.timedelta(days=conf.default_deadline_days())
    form = forms.OrderDraftForm(request.POST or None, initial={"deadline": default})
    if request.method == "POST" and form.is_valid():
        chosen = parse_ids(request.POST.getlist("problem"))
        bases = {p.pk: request.POST.get(f"basis_{p.pk}", "").replace("\x00", "") for p in problems}
        picked = {p.pk: parse_ids(request.POST.getlist(f"provisions_{p.pk}")) for p in problems}
        with service_call(request, form, success=_("整改通知书草稿已保存，请提交负责人批准。")) as call:
            order = services.order_draft_from_visit(
                actor=request.user,
                visit_id=visit.pk,
                problem_item_ids=chosen,
                legal_bases=bases,
                provisions=picked,
                deadline=form.cleaned_data["deadline"],
                requirements=form.cleaned_data["requirements"],
            )
        if call.ok:
            return redirect(order)
    library = selectors.obligation_provisions()
    for problem in problems:  # the library's articles mapped to the checklist item are picked in advance
        problem.provision_choices = [
            (provision, problem.item_code in (provision.checklist_codes or [])) for provision in library
        ]
    return render(
        request, "penalties/order_from_visit.html", {"visit": visit, "problems": problems, "form": form}
    )


@staff_required
def order_detail(request, pk):
    order = _visible(request, RectificationOrder, pk)
    user = request.user
    return render(
        request,
        "penalties/order_detail.html",
        {
            "order": order,
            **selectors.order_page(order=order),
            "can_approve": permissions.can_approve(user, order),
            "can_serve": permissions.can_serve(user, order),
            "can_close": permissions.can_close_items(user, order),
            "can_extend": permissions.can_extend(user, order),
            "can_cancel": permissions.can_cancel(user, order),
            "own_draft_blocked": (
                permissions.is_issuing_head(user, order) and not permissions.can_approve(user, order)
            ),
            "close_form": forms.ItemCloseForm(),
            "extend_form": forms.ExtendForm(),
            "reason_form": forms.ReasonForm(),
        },
    )


@staff_required
@require_POST
def order_approve(request, pk):
    order = _visible(request, RectificationOrder, pk)
    return _act(
        request,
        order,
        lambda: services.order_approve(actor=request.user, order_id=order.pk),
        _("已批准并编号，PDF正在生成。"),
    )


@staff_required
@require_POST
def order_cancel(request, pk):
    order = _visible(request, RectificationOrder, pk)
    form = forms.ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        order,
        lambda: services.order_cancel(actor=request.user, order_id=order.pk, reason=reason),
        _("整改通知书已撤销。"),
    )


@staff_required
@require_POST
def order_extend(request, pk):
    order = _visible(request, RectificationOrder, pk)
    if not permissions.can_extend(request.user, order):
        raise PermissionDenied(_("只有下达部门的负责人可以批准延期。"))
    form = forms.ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的新期限和延期理由。"))
        return redirect(order)
    return _act(
        request,
        order,
        lambda: services.order_extend(
            actor=request.user,
            order_id=order.pk,
            new_deadline=form.cleaned_data["new_deadline"],
            reason=form.cleaned_data["reason"],
        ),
        _("已延期。"),
    )


@staff_required
@require_POST
def order_item_close(request, pk, item_id):
    order = _visible(request, RectificationOrder, pk)
    if not permissions.can_close_items(request.user, order):
        raise PermissionDenied(_("只有下达整改通知书的部门可以销号。"))
    get_object_or_404(order.items, pk=item_id)
    form = forms.ItemCloseForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择核实方式。"))
        return redirect(order)
    data = form.cleaned_data
    return _act(
        request,
        order,
        lambda: services.order_item_close(
            actor=request.user,
            item_id=item_id,
            method=data["method"],
            note=data["note"],
            evidence=data["evidence"],
        ),
        _("已销号。"),
    )


def _serve_page(request, obj, *, allowed, serve, title, served=None):
    """The service form of one document; `served` = (document type, id) links the printable 送达回证."""
    if not allowed:
        raise PermissionDenied(_("只有下达部门可以送达该文书。"))
    form = forms.ServiceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("送达已记录。")) as call:
            serve(form.cleaned_data)
        if call.ok:
            return redirect(obj)
    return render(
        request,
        "penalties/serve_form.html",
        {
            "obj": obj,
            "form": form,
            "title": title,
            "served": f"{served[0]}:{served[1]}" if served else "",
            "consents": selectors.electronic_consents(institution_id=obj.institution_id),
        },
    )


@staff_required
def order_serve(request, pk):
    order = _visible(request, RectificationOrder, pk)
    return _serve_page(
        request,
        order,
        allowed=permissions.can_serve(request.user, order),
        title=_("送达整改通知书"),
        serve=lambda data: services.order_serve(actor=request.user, order_id=order.pk, data=data),
        served=(ServedDocument.RECTIFICATION_ORDER, order.pk),
    )


def _pdf_response(request, obj, kind):
    if not obj.pdf:
        if obj.number:
            render_pdf.delay(kind, obj.pk)
            messages.info(request, _("PDF正在生成，请稍后刷新。"))
        else:
            messages.error(request, _("文书批准编号后才能打印。"))
        return redirect(obj)
    if not default_storage.exists(obj.pdf.name):
        raise Http404
    return uploads.file_response(obj.pdf, content_type="application/pdf", filename=f"{obj.number}.pdf", inline=True)


def _stored_file_parent(kind: str, pk: int):
    """(the document whose page shows the file, the file) for a file uploaded in the procedure."""
    if kind == "item":
        row = get_object_or_404(OrderItem, pk=pk)
        return RectificationOrder, row.order_id, row.evidence
    if kind == "refund":
        row = get_object_or_404(Refund, pk=pk)
        return SuspensionNotice, row.notice_id, row.evidence
    if kind == "case":
        row = get_object_or_404(CaseEvidence, pk=pk)
        return PenaltyCase, row.case_id, row.file
    if kind == "service":
        row = get_object_or_404(ServiceRecord, pk=pk)
        if row.document_type == ServedDocument.RECTIFICATION_ORDER:
            return RectificationOrder, row.document_id, row.photo
        if row.document_type == ServedDocument.SUSPENSION_NOTICE:
            return SuspensionNotice, row.document_id, row.photo
        if row.document_type == ServedDocument.PENALTY_DECISION:
            case_id = Decision.objects.filter(pk=row.document_id).values_list("case_id", flat=True).first()
            return PenaltyCase, case_id, row.photo
    raise Http404


@staff_required
def stored_file(request, kind, pk):
    """A file uploaded in the procedure, to whoever may see its document (regulator.uploads.file_response)."""
    model, parent_id, field = _stored_file_parent(kind, pk)
    if parent_id is None:
        raise Http404
    _visible(request, model, parent_id)
    if not field:
        raise Http404
    extension = field.name.rsplit(".", 1)[-1] if "." in field.name else "bin"
    return uploads.file_response(
        field, content_type=uploads.content_type_for(field.name), filename=f"{kind}-{pk}.{extension}"
    )


@staff_required
def order_pdf(request, pk):
    return _pdf_response(request, _visible(request, RectificationOrder, pk), "order")


# ---- suspension notices ----------------------------------------------------------------------------


@staff_required
def suspension_new(request, institution_id):
    institution = _institution_for_drafting(request, institution_id)
    default = timezone.localdate() + datetime.timedelta(days=conf.refund_default_days())
    form = forms.SuspensionForm(request.POST or None, initial={"refund_deadline": default})
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("停办通知书草稿已保存，请提交负责人批准。")) as call:
            notice = services.suspension_draft(actor=request.user, institution_id=institution.pk, **form.cleaned_data)
        if call.ok:
            return redirect(notice)
    return render(
        request,
        "penalties/simple_form.html",
        {"form": form, "title": _("停办通知书"), "institution": institution},
    )


@staff_required
def suspension_detail(request, pk):
    notice = _visible(request, SuspensionNotice, pk)
    user = request.user
    return render(
        request,
        "penalties/suspension_detail.html",
        {
            "notice": notice,
            **selectors.suspension_page(notice=notice),
            "can_approve": permissions.can_approve(user, notice),
            "can_serve": permissions.can_serve(user, notice),
            "can_refund": permissions.can_record_refund(user, notice),
            "refund_form": forms.RefundForm(),
        },
    )


@staff_required
@require_POST
def suspension_approve(request, pk):
    notice = _visible(request, SuspensionNotice, pk)
    return _act(
        request,
        notice,
        lambda: services.suspension_approve(actor=request.user, notice_id=notice.pk),
        _("已批准并编号，PDF正在生成。"),
    )


@staff_required
def suspension_serve(request, pk):
    notice = _visible(request, SuspensionNotice, pk)
    return _serve_page(
        request,
        notice,
        allowed=permissions.can_serve(request.user, notice),
        title=_("送达停办通知书"),
        serve=lambda data: services.suspension_serve(actor=request.user, notice_id=notice.pk, data=data),
        served=(ServedDocument.SUSPENSION_NOTICE, notice.pk),
    )


@staff_required
@require_POST
def refund_save(request, pk):
    notice = _visible(request, SuspensionNotice, pk)
    if not permissions.can_record_refund(request.user, notice):
        raise PermissionDenied(_("只有下达部门可以登记退费。"))
    form = forms.RefundForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(notice)
    return _act(
        request,
        notice,
        lambda: services.refund_record(actor=request.user, notice_id=notice.pk, **form.cleaned_data),
        _("退费已登记。"),
    )


@staff_required
def suspension_pdf(request, pk):
    return _pdf_response(request, _visible(request, SuspensionNotice, pk), "suspension")


# ---- penalty cases -----------------------------------------------------------------------------------


@staff_required
def case_new(request, institution_id):
    institution = _institution_for_drafting(request, institution_id)
    form = forms.CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("案件线索已登记。")) as call:
            case = services.case_open(actor=request.user, institution_id=institution.pk, **form.cleaned_data)
        if call.ok:
            return redirect(case)
    return render(
        request,
        "penalties/simple_form.html",
        {"form": form, "title": _("登记案件线索"), "institution": institution},
    )


S = CaseStatus
WORK, DECIDE, REVIEW = "work", "decide", "review"


@dataclass(frozen=True)
class CaseAction:
    """One step a user may take on the case page: its form, who may take it, in which statuses, the service."""

    step: str
    title: str
    who: str
    statuses: tuple
    call: Callable
    success: str
    form: type | None = None
    penalties: bool = False
    style: str = "primary"
    when: Callable = lambda case: True  # noqa: E731
    department_form: bool = False


def _hearing_status(case):
    hearing = getattr(case, "hearing", None)
    return hearing.status if hearing else None


CASE_ACTIONS = [
    CaseAction("review", _lazy("开始初核"), WORK, (S.LEAD,),
               lambda u, pk, d: services.case_review(actor=u, case_id=pk), _lazy("已进入初核。")),
    CaseAction("file", _lazy("批准立案（立案审批表）"), DECIDE, (S.PRELIMINARY_REVIEW,),
               lambda u, pk, d: services.case_file(actor=u, case_id=pk, **d), _lazy("已立案。"), forms.FileForm),
    CaseAction("drop", _lazy("不予立案"), DECIDE, (S.LEAD, S.PRELIMINARY_REVIEW),
               lambda u, pk, d: services.case_drop(actor=u, case_id=pk, reason=d["reason"]),
               _lazy("已决定不予立案。"), forms.ReasonForm, style="danger"),
    CaseAction("investigate", _lazy("开始调查取证"), WORK, (S.FILED,),
               lambda u, pk, d: services.case_investigate(actor=u, case_id=pk), _lazy("已开始调查取证。")),
    CaseAction("record", _lazy("制作现场检查笔录/询问笔录"), WORK, (S.FILED, S.INVESTIGATION),
               lambda u, pk, d: services.case_record_add(actor=u, case_id=pk, **d), _lazy("笔录已记录并编入证据。"),
               forms.RecordForm, style=""),
    CaseAction("evidence", _lazy("提交其他证据"), WORK, (S.FILED, S.INVESTIGATION),
               lambda u, pk, d: services.case_evidence_add(actor=u, case_id=pk, description=d["description"],
                                                           file=d["file"]),
               _lazy("证据已提交。"), forms.EvidenceForm, style=""),
    CaseAction("conclude", _lazy("提交调查终结报告"), WORK, (S.INVESTIGATION,),
               lambda u, pk, d: services.case_conclude_investigation(actor=u, case_id=pk, **d),
               _lazy("调查终结报告已提交，待负责人审理。"), forms.ConcludeForm),
    CaseAction("adjudicate", _lazy("审理（负责人）"), DECIDE, (S.INVESTIGATED,),
               lambda u, pk, d: services.case_adjudicate(actor=u, case_id=pk, **d), _lazy("审理意见已记录。"),
               forms.AdjudicateForm, penalties=True),
    CaseAction("rights", _lazy("制作行政处罚事先告知书"), WORK, (S.PROPOSED,),
               lambda u, pk, d: services.case_notify_rights(actor=u, case_id=pk),
               _lazy("事先告知书已制作，请送达当事人。")),
    CaseAction("statement", _lazy("记录当事人陈述申辩"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.case_record_statement(actor=u, case_id=pk, **d), _lazy("陈述申辩已记录。"),
               forms.StatementForm, style="", when=lambda c: c.rights_served_at is not None),
    CaseAction("hearing_request", _lazy("登记听证申请"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.hearing_request(actor=u, case_id=pk, **d), _lazy("听证申请已登记。"),
               forms.HearingRequestForm, style="",
               when=lambda c: c.hearing_right and c.rights_served_at is not None and _hearing_status(c) is None),
    CaseAction("hearing_notify", _lazy("送达听证通知书"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.hearing_notify(actor=u, case_id=pk, **d), _lazy("听证通知已记录。"),
               forms.HearingNotifyForm, when=lambda c: _hearing_status(c) == HearingStatus.REQUESTED,
               department_form=True),
    CaseAction("hearing_recusal", _lazy("记录回避申请"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.hearing_recusal(actor=u, case_id=pk, **d), _lazy("回避申请已记录。"),
               forms.RecusalForm, style="",
               when=lambda c: _hearing_status(c) in (HearingStatus.REQUESTED, HearingStatus.NOTIFIED),
               department_form=True),
    CaseAction("hearing_hold", _lazy("记录听证笔录"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.hearing_hold(actor=u, case_id=pk, **d), _lazy("听证笔录已记录。"),
               forms.HearingHoldForm, when=lambda c: _hearing_status(c) == HearingStatus.NOTIFIED),
    CaseAction("hearing_absent", _lazy("当事人未到场（视为放弃听证）"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.hearing_absent(actor=u, case_id=pk, note=d["note"]),
               _lazy("已记录当事人未到场。"), forms.NoteForm, style="danger",
               when=lambda c: _hearing_status(c) == HearingStatus.NOTIFIED),
    CaseAction("hearing_report", _lazy("提交听证报告"), WORK, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.hearing_report(actor=u, case_id=pk, report=d["report"]),
               _lazy("听证报告已提交。"), forms.ReportForm, when=lambda c: _hearing_status(c) == HearingStatus.HELD),
    CaseAction("legal_review", _lazy("法制审核"), REVIEW, (S.PROPOSED, S.NOTICE_OF_RIGHTS),
               lambda u, pk, d: services.legal_review_record(actor=u, case_id=pk, **d), _lazy("法制审核意见已记录。"),
               forms.LegalReviewForm, style=""),
    CaseAction("discussion", _lazy("记录集体讨论"), DECIDE, (S.PROPOSED, S.NOTICE_OF_RIGHTS),
               lambda u, pk, d: services.discussion_record(actor=u, case_id=pk, **d), _lazy("集体讨论已记录。"),
               forms.DiscussionForm, style=""),
    CaseAction("decide", _lazy("作出决定（负责人）"), DECIDE, (S.NOTICE_OF_RIGHTS,),
               lambda u, pk, d: services.case_decide(actor=u, case_id=pk, **d),
               _lazy("决定已作出并编号，PDF正在生成。"), forms.DecisionForm, penalties=True,
               when=lambda c: c.rights_served_at is not None),
    CaseAction("payment", _lazy("记录缴款"), WORK, (S.SERVED, S.ENFORCEMENT),
               lambda u, pk, d: services.payment_record(actor=u, case_id=pk, **d), _lazy("缴款已记录。"),
               forms.PaymentForm, when=lambda c: c.payment_due is not None),
    CaseAction("remind", _lazy("送达催告书"), WORK, (S.SERVED,),
               lambda u, pk, d: services.case_remind(actor=u, case_id=pk, **d), _lazy("催告书送达已记录。"),
               forms.RemindForm, style="",
               when=lambda c: c.payment_due is not None and c.reminder_served_on is None
               and timezone.localdate() > c.payment_due),
    CaseAction("enforce", _lazy("申请人民法院强制执行"), WORK, (S.SERVED,),
               lambda u, pk, d: services.case_apply_enforcement(actor=u, case_id=pk, court=d["court"]),
               _lazy("已记录强制执行申请。"), forms.EnforcementForm, style="danger",
               when=lambda c: c.reminder_served_on is not None),
    CaseAction("execute", _lazy("记录执行完毕"), WORK, (S.SERVED, S.ENFORCEMENT),
               lambda u, pk, d: services.case_execute(actor=u, case_id=pk, note=d["note"]),
               _lazy("执行情况已记录。"), forms.ExecuteForm,
               when=lambda c: c.decision.kind == DecisionKind.PENALTY),
    CaseAction("close", _lazy("结案报告与结案"), DECIDE, (S.EXECUTED, S.SERVED),
               lambda u, pk, d: services.case_close(actor=u, case_id=pk, report=d["report"]), _lazy("已结案。"),
               forms.ReportForm,
               when=lambda c: c.status == S.EXECUTED or c.decision.kind == DecisionKind.NO_PENALTY),
    CaseAction("credit", _lazy("记录联合信用惩戒"), DECIDE, (S.DECIDED, S.SERVED, S.ENFORCEMENT, S.EXECUTED, S.CLOSED),
               lambda u, pk, d: services.decision_record_credit_sanction(actor=u, case_id=pk, note=d["note"]),
               _lazy("联合信用惩戒已记录。"), forms.NoteForm, style="",
               when=lambda c: c.decision.kind == DecisionKind.PENALTY and c.decision.credit_sanction_at is None),
    CaseAction("revision", _lazy("登记决定被变更或撤销（复议、诉讼）"), DECIDE, services.revisions.REVISABLE,
               lambda u, pk, d: services.decision_record_revision(actor=u, case_id=pk, **d),
               _lazy("已登记决定被变更或撤销；已公开的决定须在三个工作日内撤回。"), forms.RevisionForm, style="danger",
               when=lambda c: not c.decision.revision),
    CaseAction("extend", _lazy("延长办案期限"), DECIDE, services.cases.PERIOD_RUNNING,
               lambda u, pk, d: services.case_period_extend(actor=u, case_id=pk, **d), _lazy("办案期限已延长。"),
               forms.ExtendPeriodForm, style=""),
    CaseAction("suspend", _lazy("中止计算办案期限"), DECIDE, services.cases.PERIOD_RUNNING,
               lambda u, pk, d: services.case_period_suspend(actor=u, case_id=pk, reason=d["reason"]),
               _lazy("办案期限已中止计算。"), forms.ReasonForm, style=""),
    CaseAction("resume", _lazy("恢复计算办案期限"), DECIDE, services.cases.PERIOD_RUNNING,
               lambda u, pk, d: services.case_period_resume(actor=u, case_id=pk), _lazy("办案期限已恢复计算。"),
               style=""),
]
CASE_ACTIONS_BY_STEP = {a.step: a for a in CASE_ACTIONS}


def _may(user, case, who) -> bool:
    if who == WORK:
        return permissions.can_work_case(user, case)
    if who == DECIDE:
        return permissions.can_decide_case(user, case)
    return user.department_id == case.department_id and services.reviews.is_legal_reviewer(user)


def _action_form(action, case, data=None, files=None):
    if action.form is None:
        return None
    kwargs = {"department": case.department} if action.department_form else {}
    initial = {}
    if action.step == "decide":
        initial = {"facts": case.investigation_findings,
                   "kind": "no_penalty" if case.adjudication == "no_penalty" else "penalty"}
    if action.step == "conclude":
        initial = {"report": case.investigation_findings}
    return action.form(data, files, initial=initial, **kwargs) if data is not None else action.form(
        initial=initial, **kwargs)


def case_actions(user, case) -> list[dict]:
    """The steps open to `user` on `case` now, each with an unbound form (the services still guard each)."""
    rows = []
    suspended = case.period_changes.filter(kind="suspend", ended_on__isnull=True).exists()
    for action in CASE_ACTIONS:
        if case.status not in action.statuses or not _may(user, case, action.who) or not action.when(case):
            continue
        if action.step == "resume" and not suspended or action.step in ("extend", "suspend") and suspended:
            continue
        rows.append({
            "action": action, "form": _action_form(action, case),
            "penalty_formset": forms.PenaltyFormSet(prefix=forms.PENALTY_PREFIX) if action.penalties else None,
        })
    return rows


def _form_errors(form) -> list[str]:
    """Each refusal of a form, named by its field ("听证时间：请输入一个有效的日期/时间。")."""
    errors = []
    for name, field_errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        errors += [f"{label}：{e}" if label and str(label) not in str(e) else str(e) for e in field_errors]
    return errors


@staff_required
def case_detail(request, pk):
    case = _visible(request, PenaltyCase, pk, related=("institution__region", "department__region"))
    user = request.user
    return render(
        request,
        "penalties/case_detail.html",
        {
            "case": case,
            **selectors.case_page(case=case),
            "case_document_kinds": [
                (kind, title) for kind, title in CASE_DOCUMENT_TITLES.items() if kind != "investigation_record"
            ],
            **case_progress.case_records(case),
            "clock": case_progress.case_clock(case),
            "money": case_progress.case_money(case),
            "actions": case_actions(user, case),
            "can_work": permissions.can_work_case(user, case),
            "can_decide": permissions.can_decide_case(user, case),
        },
    )


@staff_required
@require_POST
def case_step(request, pk, step):
    case = _visible(request, PenaltyCase, pk, related=("institution__region", "department__region"))
    action = CASE_ACTIONS_BY_STEP.get(step)
    if action is None:
        raise Http404
    if not _may(request.user, case, action.who):
        raise PermissionDenied(_("您不能办理该步骤。"))
    data = {}
    if action.form is not None:
        form = _action_form(action, case, request.POST, request.FILES)
        errors = [] if form.is_valid() else _form_errors(form)
        if action.penalties:
            penalties = forms.PenaltyFormSet(request.POST, prefix=forms.PENALTY_PREFIX)
            errors += [] if penalties.is_valid() else penalties.error_list()
        if errors:
            messages.error(request, "；".join(errors))
            return redirect(case)
        data = dict(form.cleaned_data)
        if action.penalties:
            data["penalties"] = penalties.penalties()
    return _act(request, case, lambda: action.call(request.user, case.pk, data), action.success)


@staff_required
def case_serve(request, pk):
    case = _visible(request, PenaltyCase, pk)
    return _serve_page(
        request,
        case,
        allowed=permissions.can_work_case(request.user, case),
        title=_("送达%(title)s") % {"title": case.decision.get_kind_display()} if case.decided_at
        else _("送达行政处罚决定书"),
        serve=lambda data: services.case_serve(actor=request.user, case_id=case.pk, data=data),
        served=(ServedDocument.PENALTY_DECISION, case.decision.pk) if hasattr(case, "decision") else None,
    )


@staff_required
def case_serve_rights(request, pk):
    case = _visible(request, PenaltyCase, pk)
    return _serve_page(
        request,
        case,
        allowed=permissions.can_work_case(request.user, case),
        title=_("送达行政处罚事先告知书"),
        serve=lambda data: services.case_serve_rights_notice(actor=request.user, case_id=case.pk, data=data),
    )


# ---- interviews (约谈) ---------------------------------------------------------------------------------


@staff_required
def interview_list(request):
    rows = (
        Interview.objects.filter(department_id=request.user.department_id)
        .select_related("institution", "case")
        .order_by("-held_at", "-id")[:100]
    )
    return render(request, "penalties/interview_list.html", {"rows": rows})


@staff_required
def interview_new(request, institution_id):
    institution = _institution_for_drafting(request, institution_id)
    form = forms.InterviewForm(request.POST or None, initial={"case": request.GET.get("case")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        case_id = data.pop("case")
        with service_call(request, form, success=_("约谈记录已保存。")) as call:
            interview = services.interview_record(
                actor=request.user, institution_id=institution.pk, case_id=case_id, **data
            )
        if call.ok:
            return redirect(interview)
    return render(
        request, "penalties/simple_form.html", {"form": form, "title": _("记录约谈"), "institution": institution}
    )


@staff_required
def interview_detail(request, pk):
    interview = get_object_or_404(Interview.objects.select_related("institution__region", "department", "case"), pk=pk)
    if not permissions.can_view(request.user, interview):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))
    return render(request, "penalties/interview_detail.html", {"interview": interview})


@staff_required
def decision_pdf(request, pk):
    case = _visible(request, PenaltyCase, pk)
    decision = getattr(case, "decision", None) if case.decided_at else None
    if decision is None:
        raise Http404
    response = _pdf_response(request, decision, "decision")
    return response if isinstance(response, FileResponse) else redirect(case)


# ---- case documents ------------------------------------------------------------------------------------------


@staff_required
def case_document(request, pk, kind=""):
    """GET: the issued document's PDF; POST: issue it (again), its content taken from the case now."""
    case = _visible(request, PenaltyCase, pk)
    kind = kind or request.POST.get("kind", "")
    record_id = request.POST.get("record") or request.GET.get("record") or None
    record_id = int(record_id) if record_id and str(record_id).isdigit() else None
    if request.method == "POST":
        with service_call(request, success=_("文书已制作，PDF正在生成。")):
            services.case_document_issue(actor=request.user, case_id=case.pk, kind=kind, record_id=record_id)
        return redirect(case)
    if not kind:
        raise Http404
    document = get_object_or_404(CaseDocument, case=case, kind=kind, record_id=record_id)
    response = _pdf_response(request, document, "case_document")
    return response if isinstance(response, FileResponse) else redirect(case)


# ---- proofs of service (送达回证) and consent to electronic service ------------------------------------------


def _parse_documents(values) -> list[tuple[str, int]]:
    documents = []
    for value in values:
        kind, _sep, pk = str(value).partition(":")
        if kind in ServedDocument.values and pk.isdigit():
            documents.append((kind, int(pk)))
    return documents


@staff_required
def proof_new(request, institution_id):
    """Pick the documents (of the user's department, awaiting service) to list on one printable 送达回证."""
    institution = get_object_or_404(Institution.objects.select_related("region"), pk=institution_id)
    rows = services.servable_documents(institution_id=institution.pk, department_id=request.user.department_id)
    selected = set(request.POST.getlist("doc") if request.method == "POST" else request.GET.getlist("doc"))
    if request.method == "POST":
        with service_call(request) as call:
            proof = services.service_proof_prepare(
                actor=request.user, documents=_parse_documents(request.POST.getlist("doc"))
            )
        if call.ok:
            messages.success(request, _("送达回证已生成，PDF正在制作。"))
            return redirect(proof)
    choices = [
        {"value": f"{kind}:{pk}", "label": ServedDocument(kind).label, "number": number,
         "checked": f"{kind}:{pk}" in selected}
        for kind, pk, number in rows
    ]
    return render(request, "penalties/proof_new.html", {"institution": institution, "choices": choices})


def _visible_proof(request, pk) -> ServiceProof:
    return _visible(request, ServiceProof, pk)


@staff_required
def proof_detail(request, pk):
    proof = _visible_proof(request, pk)
    can_serve = permissions.is_issuing_staff(request.user, proof) and proof.served_at is None
    publishing = request.method == "POST" and request.POST.get("action") == "publish"
    form = forms.ServiceForm(None if publishing else request.POST or None, request.FILES or None) if can_serve else None
    notice_form = (forms.PublicNoticeForm(request.POST if publishing else None, prefix="notice")
                   if can_serve and not proof.notice_pending else None)
    if request.method == "POST":
        if not can_serve:
            raise PermissionDenied(_("只有送达机关的工作人员可以记录送达。"))
        if publishing:
            if notice_form is not None and notice_form.is_valid():
                with service_call(request, notice_form, success=_("公告送达已记录。")) as call:
                    services.service_proof_publish(actor=request.user, proof_id=proof.pk,
                                                   **notice_form.cleaned_data)
                if call.ok:
                    return redirect(proof)
        elif form.is_valid():
            with service_call(request, form, success=_("送达已记录。")) as call:
                services.service_proof_serve(actor=request.user, proof_id=proof.pk, data=form.cleaned_data)
            if call.ok:
                return redirect(proof)
    return render(
        request,
        "penalties/proof_detail.html",
        {
            "proof": proof,
            "items": list(proof.items.all()),
            "records": list(proof.records.select_related("server")),
            "form": form,
            "notice_form": notice_form,
            "consents": selectors.electronic_consents(institution_id=proof.institution_id),
        },
    )


@staff_required
def proof_pdf(request, pk):
    return _pdf_response(request, _visible_proof(request, pk), "proof")


@staff_required
def consent_new(request, institution_id):
    """Record a signed 电子送达确认书 (who, when, to which address) for an institution of the user's region."""
    institution = _institution_for_drafting(request, institution_id)
    form = forms.ConsentForm(request.POST or None)
    back = request.GET.get("next", "")
    if not back.startswith("/penalties/"):
        back = "penalties:home"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_call(request, form, success=_("电子送达确认书已登记。")) as call:
            services.service_consent_record(
                actor=request.user, institution_id=institution.pk, consented_by=data["consented_by"],
                consented_at=data["consented_at"], address=data["address"],
            )
        if call.ok:
            return redirect(back)
    return render(
        request, "penalties/simple_form.html",
        {"institution": institution, "form": form, "title": _("登记电子送达确认书")},
    )


# ---- inbox -------------------------------------------------------------------------------------------


@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    rows, next_after = selectors.page(
        selectors.inbox(user=request.user, unread_only=unread_only), after=after_param(request.GET), size=50
    )
    return render(
        request, "penalties/inbox.html", {"rows": rows, "next_after": next_after, "unread_only": unread_only}
    )


@login_required
@require_POST
def inbox_mark_read(request):
    ids = parse_ids(request.POST.getlist("id"))
    if request.POST.get("all") == "1":
        ids = list(selectors.inbox(user=request.user, unread_only=True).values_list("pk", flat=True)[:500])
    count = mark_read(user=request.user, notification_ids=ids)
    messages.success(request, _("已标记%(n)d条为已读。") % {"n": count})
    return redirect("penalties:inbox")
