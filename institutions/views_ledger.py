"""Ledger pages: export the filtered register (.xlsx, .csv) and import a county's .xlsx ledger.

Thin views: they check permission, call the ledger import's services or the exporter, and render.
"""

from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from regulator.uploads import file_response
from regulator.views_helpers import export_caption, service_call, staff_required

from . import exporter, permissions, selectors
from .forms import ImportUploadForm
from .ledger import jobs, reader, template, work
from .ledger.columns import LEDGER_COLUMNS
from .models import ImportJob, ImportJobState

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _list_url(request) -> str:
    query = request.GET.urlencode()
    return reverse("institutions:list") + (f"?{query}" if query else "")


@staff_required(message=_lazy("您的账号未分配部门，无法导出台账。"))
def register_export(request, fmt: str):
    if fmt not in ("xlsx", "csv"):
        raise Http404
    register = selectors.register_filter(user=request.user, params=request.GET, request=request)
    if not register.form.is_valid():
        messages.error(request, _("筛选条件有误，无法导出。请修正后重试。"))
        return HttpResponseRedirect(_list_url(request))
    queryset = register.qs
    if exporter.exceeds_limit(queryset):
        messages.error(request, _("符合条件的机构超过 %(limit)s 家，超出单次导出上限。"
                                  "请按区划或类别筛选后分批导出。")
                       % {"limit": f"{exporter.EXPORT_MAX_ROWS:,}"})
        return HttpResponseRedirect(_list_url(request))
    filename = f"机构台账-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        return FileResponse(exporter.xlsx_file(queryset, caption=export_caption(request, register.form)),
                            as_attachment=True, filename=filename,
                            content_type=XLSX_TYPE)
    response = StreamingHttpResponse(exporter.csv_lines(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _importer_required(request) -> None:
    if not permissions.can_import_register(request.user):
        raise PermissionDenied(_("您的部门无权导入台账。"))


def _own_job_or_404(request, job_id: int) -> ImportJob:
    """Only the department that uploaded a job sees it; anyone else gets 404, never another's report."""
    _importer_required(request)
    return get_object_or_404(ImportJob, pk=job_id, department_id=request.user.department_id)


@login_required
def import_template(request):
    _importer_required(request)
    return FileResponse(template.template_workbook(), as_attachment=True,
                        filename="机构台账导入模板.xlsx", content_type=XLSX_TYPE)


@login_required
def import_upload(request):
    _importer_required(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            reader.check_upload(uploaded, reader.LEDGER_EXTENSIONS)
        except reader.WorkbookError as error:
            form.add_error("file", error.message)
        else:
            job = jobs.import_upload(actor=request.user, uploaded_file=uploaded)
            return redirect("institutions:import_detail", job_id=job.pk)
    recent = (ImportJob.objects.filter(department_id=request.user.department_id)
              .select_related("created_by").order_by("-id")[:10])
    return render(request, "institutions/import_upload.html", {
        "form": form, "recent": recent, "columns": LEDGER_COLUMNS,
        "max_rows": settings.IMPORT_MAX_ROWS, "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
    })


@login_required
def import_detail(request, job_id: int):
    job = _own_job_or_404(request, job_id)
    report = job.report or []
    return render(request, "institutions/import_detail.html", {
        "job": job,
        "progress": jobs.progress(job),
        "validation_errors": [entry for entry in report if entry.get("phase", "validate") == "validate"
                              and entry.get("level", "error") == "error"],
        "review_flags": [entry for entry in report if entry.get("level") == "warning"],
        "import_errors": [entry for entry in report if entry.get("phase") == "import"],
        "invalid_rows": max(job.total_rows - job.valid_rows, 0),
        "report_limit": work.REPORT_LIMIT,
        "can_confirm": job.state == ImportJobState.VALIDATED and job.valid_rows > 0,
        "can_cancel": job.state in jobs.CANCELLABLE,
        "has_report_workbook": bool(job.report_file) and job.state not in (ImportJobState.VALIDATING,
                                                                  ImportJobState.IMPORTING),
    })


@login_required
def import_report_workbook(request, job_id: int):
    """The uploaded file back as .xlsx with a 原因 column on the problem rows (written by the job's task); the
    importer's department only, like the job itself."""
    job = _own_job_or_404(request, job_id)
    if not job.report_file or job.state in (ImportJobState.VALIDATING, ImportJobState.IMPORTING):
        raise Http404
    return file_response(job.report_file, content_type=XLSX_TYPE,
                         filename=f"{PurePath(job.original_name).stem}-导入报告.xlsx", inline=False)


@login_required
def import_progress(request, job_id: int):
    job = _own_job_or_404(request, job_id)
    return JsonResponse(jobs.progress(job))


@login_required
@require_POST
def import_confirm(request, job_id: int):
    _importer_required(request)
    try:
        with service_call(request) as call:
            job, started = jobs.import_confirm(actor=request.user, job_id=job_id)
    except ImportJob.DoesNotExist:
        raise Http404 from None
    if call.ok:
        if started:
            messages.success(request, _("已确认导入 %(count)d 条有效记录，正在写入台账。")
                             % {"count": job.valid_rows})
        else:
            messages.info(request, _("该导入已经确认过，不会重复导入。"))
    return redirect("institutions:import_detail", job_id=job_id)


@login_required
@require_POST
def import_cancel(request, job_id: int):
    _importer_required(request)
    try:
        with service_call(request) as call:
            jobs.import_cancel(actor=request.user, job_id=job_id)
    except ImportJob.DoesNotExist:
        raise Http404 from None
    if not call.ok:
        return redirect("institutions:import_detail", job_id=job_id)
    messages.info(request, _("已取消本次导入，台账未作任何改动。"))
    return redirect("institutions:import")
