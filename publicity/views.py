"""Staff pages: the list-entry queue (propose, review, approve, publish a batch, remove, correct) and the
report ledger (assign, hand back, show the reporter, verify, handle, reply, close). Thin: parse, check
permission, call one service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from institutions.models import Institution
from institutions.permissions import visible_institutions
from institutions.validators import normalize_credit_code
from regulator import uploads
from regulator.audit import describe_events
from regulator.models import AuditEvent, Region, RegionLevel
from regulator.paging import after_param, keyset_page
from regulator.params import parse_id, parse_ids
from regulator.views_helpers import service_call, staff_required

from . import permissions, services
from .forms import (
    BatchPublishForm,
    CorrectionForm,
    DecisionForm,
    EntryProposeForm,
    NoticeForm,
    ReasonForm,
    ReportAssignForm,
    ReportRecordForm,
    ReportStepForm,
    StatementForm,
)
from .models import EntryStatus, ListEntry, Report, ReportStatus

QUEUE_STATUSES = (
    EntryStatus.PROPOSED,
    EntryStatus.REVIEWED,
    EntryStatus.APPROVED,
    EntryStatus.REMOVAL_PROPOSED,
)


_NO_DEPARTMENT = _lazy("您的账号未分配部门，无法使用公示与举报功能。")


@staff_required(message=_NO_DEPARTMENT)
def staff_home(request):
    status = request.GET.get("status", "")
    queryset = permissions.visible_entries(request.user).select_related("institution", "proposing_department")
    if status in EntryStatus.values:
        queryset = queryset.filter(status=status)
    else:
        status = ""
        queryset = queryset.filter(status__in=QUEUE_STATUSES)
    rows, next_after = keyset_page(queryset, after=after_param(request.GET))
    approved = [row for row in rows if row.status == EntryStatus.APPROVED]
    return render(
        request,
        "publicity/staff_home.html",
        {
            "rows": rows,
            "status": status,
            "statuses": EntryStatus.choices,
            "approved": approved,
            "next_after": next_after,
            "can_publish": permissions.can_publish_batch(request.user),
        },
    )


def _institution_for_proposal(request, form) -> Institution | None:
    data = form.cleaned_data
    queryset = visible_institutions(request.user)
    if data.get("institution_id"):
        return queryset.filter(pk=data["institution_id"]).first()
    return queryset.filter(credit_code=normalize_credit_code(data["credit_code"])).first()


@staff_required(message=_NO_DEPARTMENT)
def entry_propose(request):
    initial = (
        {"institution_id": request.GET.get("institution")}
        if parse_id(request.GET.get("institution", ""))
        else {}
    )
    form = EntryProposeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        institution = _institution_for_proposal(request, form)
        if institution is None:
            form.add_error("credit_code", _("在您的管辖范围内未找到该机构。"))
        else:
            data = form.cleaned_data
            with service_call(request, form, success=_("已提出名单条目，待部门负责人审核。")) as call:
                entry = services.list_entry_propose(
                    institution=institution,
                    list_kind=data["list_kind"],
                    reason=data["reason"],
                    source_type="manual",
                    source_id=None,
                    actor=request.user,
                    black_category=data["black_category"],
                    handling_result=data["handling_result"],
                    internal_remark=data["internal_remark"],
                    is_typical_case=data["is_typical_case"],
                )
            if call.ok:
                return redirect("publicity:entry_detail", pk=entry.pk)
    return render(request, "publicity/staff_entry_form.html", {"form": form})


def _entry_or_404(request, pk) -> ListEntry:
    entry = get_object_or_404(
        ListEntry.objects.select_related(
            "institution",
            "proposing_department",
            "proposed_by",
            "reviewed_by",
            "approved_by",
            "batch",
            "supersedes",
        ),
        pk=pk,
    )
    if not permissions.can_view_entry(request.user, entry):
        raise PermissionDenied(_("该条目不在您的管辖范围内。"))
    return entry


@staff_required(message=_NO_DEPARTMENT)
def entry_detail(request, pk: int):
    entry = _entry_or_404(request, pk)
    user = request.user
    return render(
        request,
        "publicity/staff_entry_detail.html",
        {
            "entry": entry,
            "statements": list(entry.statements.select_related("recorded_by")),
            "removals": list(entry.removals.select_related("proposed_by", "decided_by")),
            "corrections": list(entry.corrections.only("id", "version", "status")),
            "history": describe_events(
                AuditEvent.objects.filter(object_type="publicity.listentry", object_id=str(entry.pk))[:50]
            ),
            "can_review": permissions.can_review_entry(user, entry) and entry.status == EntryStatus.PROPOSED,
            "can_approve": permissions.can_approve_entry(user, entry)
            and entry.status == EntryStatus.REVIEWED,
            "can_statement": permissions.can_record_statement(user, entry)
            and entry.status in (EntryStatus.PROPOSED, EntryStatus.REVIEWED),
            "can_notify": permissions.can_record_statement(user, entry)
            and entry.status in (EntryStatus.PROPOSED, EntryStatus.REVIEWED)
            and entry.needs_statement_period,
            "notice_form": NoticeForm(),
            "can_remove": permissions.can_propose_removal(user, entry)
            and entry.status == EntryStatus.PUBLISHED
            and not entry.superseded_at,
            "can_decide_removal": permissions.can_approve_removal(user, entry)
            and entry.status == EntryStatus.REMOVAL_PROPOSED,
            "can_correct": permissions.can_correct_entry(user, entry)
            and entry.status == EntryStatus.PUBLISHED
            and not entry.superseded_at,
            "decision_form": DecisionForm(),
            "statement_form": StatementForm(),
            "reason_form": ReasonForm(),
            "correction_form": CorrectionForm(
                initial={"reason": entry.reason, "handling_result": entry.handling_result}
            ),
        },
    )


def _run(request, call):
    """Call a service: its result, or None when refused (shown as a message; forbidden is a 403)."""
    with service_call(request):
        return call()
    return None


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def entry_action(request, pk: int, action: str):
    entry = _entry_or_404(request, pk)
    user = request.user
    if action in ("review", "approve", "removal_decide"):
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择同意或不同意。"))
            return redirect("publicity:entry_detail", pk=pk)
        approve = form.cleaned_data["decision"] == "approve"
        note = form.cleaned_data["note"]
        if action == "review":
            done = _run(
                request,
                lambda: services.list_entry_review(entry_id=pk, actor=user, approve=approve, note=note),
            )
        elif action == "approve":
            done = _run(
                request,
                lambda: services.list_entry_approve(
                    entry_id=pk,
                    actor=user,
                    approve=approve,
                    note=note,
                    is_typical_case=form.cleaned_data["is_typical_case"],
                ),
            )
        else:
            done = _run(request, lambda: services.removal_decide(entry_id=pk, actor=user, approve=approve))
    elif action == "statement":
        form = StatementForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写收到日期和陈述申辩内容。"))
            return redirect("publicity:entry_detail", pk=pk)
        done = _run(request, lambda: services.statement_record(entry_id=pk, actor=user, **form.cleaned_data))
    elif action == "notify":
        form = NoticeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写告知日期和告知方式。"))
            return redirect("publicity:entry_detail", pk=pk)
        done = _run(request, lambda: services.list_entry_notify(entry_id=pk, actor=user, **form.cleaned_data))
    elif action == "removal":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写移出原因。"))
            return redirect("publicity:entry_detail", pk=pk)
        done = _run(
            request,
            lambda: services.removal_propose(entry_id=pk, actor=user, reason=form.cleaned_data["reason"]),
        )
    elif action == "correct":
        form = CorrectionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写更正后的列入原因。"))
            return redirect("publicity:entry_detail", pk=pk)
        done = _run(
            request, lambda: services.list_entry_correct(entry_id=pk, actor=user, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, _("已提出更正版本，须重新审核、批准后公示。"))
            return redirect("publicity:entry_detail", pk=done.pk)
    else:
        raise Http404
    if done is not None:
        messages.success(request, _("已保存。"))
    return redirect("publicity:entry_detail", pk=entry.pk)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def batch_publish(request):
    if not permissions.can_publish_batch(request.user):
        raise PermissionDenied(_("只有专项治理办公室可以发布名单批次。"))
    ids = parse_ids(request.POST.getlist("entry_ids"))
    form = BatchPublishForm(request.POST, entry_choices=[(value, str(value)) for value in ids])
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("publicity:staff_home")
    batch = _run(
        request,
        lambda: services.batch_publish(
            entry_ids=form.cleaned_data["entry_ids"],
            actor=request.user,
            title=form.cleaned_data["title"],
            as_of=form.cleaned_data["as_of"],
        ),
    )
    if batch is None:
        return redirect("publicity:staff_home")
    messages.success(request, _("已发布批次 %(number)s。") % {"number": batch.number})
    return redirect("publicity:batch_detail", pk=batch.pk)


# ---- reports -------------------------------------------------------------------------------------


@staff_required(message=_NO_DEPARTMENT)
def report_ledger(request):
    status = request.GET.get("status", "")
    queryset = permissions.visible_reports(request.user).select_related("institution", "region", "department")
    if status in ReportStatus.values:
        queryset = queryset.filter(status=status)
    else:
        status = ""
    if request.GET.get("mine") == "1" and request.user.department_id:
        queryset = queryset.filter(department_id=request.user.department_id)
    rows, next_after = keyset_page(queryset, after=after_param(request.GET))
    return render(
        request,
        "publicity/staff_reports.html",
        {
            "rows": rows,
            "status": status,
            "statuses": ReportStatus.choices,
            "next_after": next_after,
        },
    )


@staff_required
def report_record(request):
    """Enter a report received by phone, letter or in person; the clerk reads the tracking number back."""
    regions = [(region.code, region.name) for region in Region.objects.filter(
        level__gte=RegionLevel.COUNTY, code__startswith=request.user.region_code).order_by("code")[:500]]
    form = ReportRecordForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        institution = None
        if data["credit_code"].strip():
            institution = Institution.objects.filter(credit_code=normalize_credit_code(data["credit_code"])).first()
            if institution is None:
                form.add_error("credit_code", _("台账中没有这个统一社会信用代码；未登记的机构请填写名称和地址。"))
        if form.is_valid():
            with service_call(request, form) as call:
                report = services.report_record(
                    actor=request.user, channel=data["channel"], received_at=data["received_at"],
                    region=Region.objects.get(code=data["region"]), content=data["content"], institution=institution,
                    subject_name=data["subject_name"], subject_address=data["subject_address"],
                    reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"])
            if call.ok:
                messages.success(request, _("已登记，查询码 %(number)s，请告知举报人用于查询办理进度。")
                                 % {"number": report.tracking_display})
                return redirect("publicity:report_detail", report.pk)
    return render(request, "publicity/staff_report_record.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _report_or_404(request, pk) -> Report:
    report = get_object_or_404(Report.objects.select_related("institution", "region", "department"), pk=pk)
    if not permissions.can_view_report(request.user, report):
        raise PermissionDenied(_("该举报不在您的管辖范围内。"))
    return report


IDENTITY_VIEWED = "report.identity_viewed"


def _report_context(user, report: Report, *, identity: dict | None = None) -> dict:
    status = report.status
    can_reveal = permissions.can_see_reporter_identity(user, report) and not report.is_anonymous
    can_assign = permissions.can_assign_report(user, report)
    return {
        "report": report,
        "identity": identity,
        "can_reveal": can_reveal,
        # Who looked at the identity, when: for the handling department and the joint office (never the identity).
        "identity_views": list(
            AuditEvent.objects.filter(
                object_type="publicity.report", object_id=str(report.pk), kind=IDENTITY_VIEWED
            ).order_by("-id")[:50]
        )
        if can_reveal or can_assign
        else None,
        "steps": list(report.steps.select_related("actor")),
        "attachments": list(report.attachments.all()),
        "can_assign": can_assign and status in (ReportStatus.REGISTERED, ReportStatus.ASSIGNED),
        "can_return": permissions.can_return_report(user, report)
        and status in services.RETURNABLE_REPORT_STATUSES,
        "can_verify": permissions.can_work_report(user, report) and status == ReportStatus.ASSIGNED,
        "can_handle": permissions.can_work_report(user, report) and status == ReportStatus.VERIFYING,
        "can_reply": permissions.can_work_report(user, report)
        and status in (ReportStatus.VERIFYING, ReportStatus.HANDLING),
        "can_close": permissions.can_close_report(user, report) and status == ReportStatus.REPLIED,
        "assign_form": ReportAssignForm(
            departments=permissions.assignable_departments(user, report), initial={"deadline": report.deadline}
        ),
        "step_form": ReportStepForm(),
        "reason_form": ReasonForm(),
    }


@staff_required(message=_NO_DEPARTMENT)
def report_detail(request, pk: int):
    report = _report_or_404(request, pk)
    return render(request, "publicity/staff_report_detail.html", _report_context(request.user, report))


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def report_identity(request, pk: int):
    """显示举报人信息: the identity is shown only in answer to this POST, which the service audits."""
    report = _report_or_404(request, pk)
    identity = _run(request, lambda: services.report_identity_reveal(report_id=pk, actor=request.user))
    if identity is None:
        return redirect("publicity:report_detail", pk=pk)
    response = render(
        request, "publicity/staff_report_detail.html", _report_context(request.user, report, identity=identity)
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@staff_required(message=_NO_DEPARTMENT)
def report_attachment(request, pk: int, attachment_id: int):
    report = _report_or_404(request, pk)
    attachment = get_object_or_404(report.attachments, pk=attachment_id)
    return uploads.file_response(
        attachment.file,
        content_type=attachment.content_type,
        filename=f"举报附件-{attachment.pk}{attachment.extension}",
    )


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def report_action(request, pk: int, action: str):
    report = _report_or_404(request, pk)
    user = request.user
    if action == "assign":
        form = ReportAssignForm(request.POST, departments=permissions.assignable_departments(user, report))
        if not form.is_valid():
            messages.error(request, _("请选择承办部门，期限须为有效日期。"))
            return redirect("publicity:report_detail", pk=pk)
        data = form.cleaned_data
        done = _run(
            request,
            lambda: services.report_assign(
                report_id=pk,
                actor=user,
                department=data["department"],
                deadline=data["deadline"],
                note=data["note"],
            ),
        )
    elif action == "return":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写退回理由。"))
            return redirect("publicity:report_detail", pk=pk)
        done = _run(
            request,
            lambda: services.report_return(report_id=pk, actor=user, reason=form.cleaned_data["reason"]),
        )
        if done is not None:
            messages.success(request, _("已退回专项治理办公室重新分办。"))
            return redirect("publicity:report_detail", pk=pk)
    elif action in ("verify", "handle", "reply", "close"):
        form = ReportStepForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("输入内容过长或无效。"))
            return redirect("publicity:report_detail", pk=pk)
        data = form.cleaned_data
        calls = {
            "verify": lambda: services.report_verify(
                report_id=pk, actor=user, note=data["note"], open_visit=data["open_visit"]
            ),
            "handle": lambda: services.report_handle(report_id=pk, actor=user, note=data["note"]),
            "reply": lambda: services.report_reply(
                report_id=pk, actor=user, reply=data["reply"], note=data["note"]
            ),
            "close": lambda: services.report_close(report_id=pk, actor=user, note=data["note"]),
        }
        done = _run(request, calls[action])
    else:
        raise Http404
    if done is not None:
        messages.success(request, _("已保存。"))
    return redirect("publicity:report_detail", pk=report.pk)
