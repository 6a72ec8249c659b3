"""Pages of filings and fund supervision: parse the form, check permission, call one service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from institutions.models import Institution
from publicity import permissions as report_permissions
from regulator.views_helpers import service_call, staff_required

from . import permissions, rules, selectors, services
from .forms import AccountForm, AssignForm, ChargeForm, CloseForm, CourseForm, CourseReviewForm, UploadForm
from .models import AlertStatus, Course, CourseStatus, FundAccount, FundAlert
from .services import courses
from .services.course_import import REQUIRED_COLUMNS

_NO_DEPARTMENT = _lazy("您的账号未分配部门，无法查看备案与资金监管。")
LIST_SIZE = 100


def _institution_or_404(request, pk: int) -> Institution:
    institution = get_object_or_404(Institution.objects.select_related("region"), pk=pk)
    if not permissions.can_view_funds(request.user, institution):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))
    return institution


def _course_or_404(request, pk: int) -> Course:
    course = get_object_or_404(Course.objects.select_related("institution__region", "department", "reviewed_by"),
                               pk=pk)
    if not permissions.can_view_funds(request.user, course.institution):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))
    return course


def _alert_or_404(request, pk: int) -> FundAlert:
    alert = get_object_or_404(FundAlert.objects.select_related("institution__region", "department", "assigned_to",
                                                               "case"), pk=pk)
    if not permissions.visible_alerts(request.user).filter(pk=alert.pk).exists():
        raise PermissionDenied(_("您无权查看该预警。"))
    return alert


@staff_required(message=_NO_DEPARTMENT)
def institution_funds(request, pk: int):
    institution = _institution_or_404(request, pk)
    account = FundAccount.objects.filter(institution=institution).select_related("bank_format").first()
    return render(request, "funds/institution_funds.html", {
        "institution": institution,
        "courses": list(institution.courses.order_by("-id")[:LIST_SIZE]),
        "account": account,
        "charges": list(institution.charges.all()[:20]),
        "alerts": list(institution.fund_alerts.all()[:20]),
        "assessment": selectors.current_assessment(institution.pk),
        "risk_history": list(institution.risk_assessments.order_by("-assessed_at")[:10]),
        "can_submit": permissions.can_submit_course(request.user, institution),
        "can_keep_account": permissions.can_keep_account(request.user, institution),
    })


def _course_form_page(request, institution, course=None):
    if not permissions.can_submit_course(request.user, institution):
        raise PermissionDenied(_("只有机构所在地的教育部门可以报送班次备案。"))
    initial = {}
    if course is not None:
        initial = {field: getattr(course, field) for field in courses.FIELDS}
        initial["schedule"] = rules.schedule_text(course.schedule)
        initial["skipped_dates"] = ",".join(course.skipped_dates)
        initial["teachers"] = list(course.teachers.values_list("pk", flat=True))
    form = CourseForm(request.POST or None, request.FILES or None, institution=institution, initial=initial)
    if request.method == "POST" and form.is_valid():
        with service_call(request, form, success=_("已报送班次备案，等待审核。")) as call:
            saved = services.course_submit(actor=request.user, institution_id=institution.pk,
                                           data=form.service_data(), course_id=course.pk if course else None,
                                           materials=form.cleaned_data.get("materials"))
        if call.ok:
            return redirect(saved)
    return render(request, "funds/course_form.html", {"institution": institution, "form": form, "course": course},
                  status=400 if request.method == "POST" else 200)


@staff_required(message=_NO_DEPARTMENT)
def course_create(request, pk: int):
    return _course_form_page(request, _institution_or_404(request, pk))


@staff_required(message=_NO_DEPARTMENT)
def course_resubmit(request, pk: int):
    course = _course_or_404(request, pk)
    if course.status != CourseStatus.RETURNED:
        raise PermissionDenied(_("只有退回补正的班次可以修改后重新报送。"))
    return _course_form_page(request, course.institution, course)


@staff_required(message=_NO_DEPARTMENT)
def course_import_view(request, pk: int):
    institution = _institution_or_404(request, pk)
    if not permissions.can_submit_course(request.user, institution):
        raise PermissionDenied(_("只有机构所在地的教育部门可以报送班次备案。"))
    form = UploadForm(request.POST or None, request.FILES or None)
    refused_rows = []
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            imported = services.course_import(actor=request.user, institution_id=institution.pk,
                                             uploaded_file=form.cleaned_data["file"])
        if call.ok:
            messages.success(request, _("已导入 %(n)s 个班次，等待审核。") % {"n": len(imported)})
            return redirect("funds:institution", pk=institution.pk)
        refused_rows = getattr(call.error, "rows", [])
    return render(request, "funds/upload.html", {
        "institution": institution, "form": form, "refused_rows": refused_rows, "title": _("导入班次备案"),
        "help": _("第一行为列名：%(cols)s（另可有：年级、培训方式、停课日期、每期收费（元）、授课教师、"
                  "使用境外课程）。")
        % {"cols": "、".join(REQUIRED_COLUMNS)},
    }, status=400 if request.method == "POST" else 200)


@staff_required(message=_NO_DEPARTMENT)
def course_list(request):
    courses = (permissions.visible_courses(request.user).filter(status=CourseStatus.SUBMITTED)
               .select_related("institution").order_by("submitted_at", "pk")[:LIST_SIZE])
    return render(request, "funds/course_list.html", {"courses": list(courses)})


@staff_required(message=_NO_DEPARTMENT)
def course_detail(request, pk: int):
    course = _course_or_404(request, pk)
    can_review = course.status == CourseStatus.SUBMITTED and permissions.can_review_course(request.user, course)
    return render(request, "funds/course_detail.html", {
        "course": course, "schedule": rules.schedule_text(course.schedule),
        "teachers": list(course.teachers.all()),
        "review_form": CourseReviewForm(initial={"materials_opinion": course.materials_opinion}) if can_review
        else None,
        "can_resubmit": course.status == CourseStatus.RETURNED
        and permissions.can_submit_course(request.user, course.institution),
    })


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def course_review_view(request, pk: int):
    course = _course_or_404(request, pk)
    form = CourseReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with service_call(request, form, success=_("审核完成。")) as call:
            services.course_review(actor=request.user, course_id=course.pk, decision=data["decision"],
                                   reason=data["reason"], materials_opinion=data["materials_opinion"])
        if call.ok:
            return redirect(course)
    return render(request, "funds/course_detail.html", {
        "course": course, "schedule": rules.schedule_text(course.schedule), "teachers": list(course.teachers.all()),
        "review_form": form}, status=400)


@staff_required(message=_NO_DEPARTMENT)
def account_edit(request, pk: int):
    institution = _institution_or_404(request, pk)
    if not permissions.can_keep_account(request.user, institution):
        raise PermissionDenied(_("只有教育或金融监管部门可以绑定资金监管账户。"))
    account = FundAccount.objects.filter(institution=institution).first()
    initial = {}
    if account:
        initial = {"bank_format": account.bank_format_id, "account_number": account.account_number,
                   "opened_on": account.opened_on, "mode": account.mode, "minimum_balance": account.minimum_balance}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_call(request, form, success=_("资金监管账户已保存。")) as call:
            saved = services.account_bind(actor=request.user, institution_id=institution.pk,
                                          bank_format_id=data["bank_format"].pk, account_number=data["account_number"],
                                          opened_on=data["opened_on"], mode=data["mode"],
                                          minimum_balance=data["minimum_balance"])
        if call.ok:
            return redirect(saved)
    return render(request, "funds/simple_form.html", {"institution": institution, "form": form,
                                                      "title": _("资金监管账户")},
                  status=400 if request.method == "POST" else 200)


@staff_required(message=_NO_DEPARTMENT)
def account_detail(request, pk: int):
    account = get_object_or_404(FundAccount.objects.select_related("institution__region", "bank_format"), pk=pk)
    if not permissions.can_view_funds(request.user, account.institution):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))
    return render(request, "funds/account_detail.html", {
        "account": account,
        "transactions": list(account.transactions.order_by("-sequence")[:LIST_SIZE]),
        "imports": list(account.statement_imports.all()[:20]),
        "can_keep_account": permissions.can_keep_account(request.user, account.institution),
    })


@staff_required(message=_NO_DEPARTMENT)
def statement_upload(request, pk: int):
    account = get_object_or_404(FundAccount.objects.select_related("institution__region", "bank_format"), pk=pk)
    if not permissions.can_keep_account(request.user, account.institution):
        raise PermissionDenied(_("只有教育或金融监管部门可以导入银行流水。"))
    form = UploadForm(request.POST or None, request.FILES or None)
    refused_rows = []
    if request.method == "POST" and form.is_valid():
        with service_call(request, form) as call:
            statement = services.statement_import(actor=request.user, account_id=account.pk,
                                                  uploaded_file=form.cleaned_data["file"])
        if call.ok:
            messages.success(request, _("已导入 %(n)s 笔流水（新增 %(new)s 笔，已导入过 %(skip)s 笔）。")
                             % {"n": statement.rows, "new": statement.new_rows, "skip": statement.skipped_rows})
            return redirect(account)
        refused_rows = getattr(call.error, "rows", [])
    return render(request, "funds/upload.html", {
        "institution": account.institution, "form": form, "refused_rows": refused_rows,
        "title": _("导入银行流水"),
        "help": _("%(bank)s的流水文件（CSV 或 .xlsx），须含列：%(cols)s。")
        % {"bank": account.bank_format.bank, "cols": "、".join(account.bank_format.required_columns)},
    }, status=400 if request.method == "POST" else 200)


@staff_required(message=_NO_DEPARTMENT)
def charge_create(request, pk: int):
    institution = _institution_or_404(request, pk)
    if not permissions.can_keep_account(request.user, institution):
        raise PermissionDenied(_("只有教育或金融监管部门可以登记收费记录。"))
    form = ChargeForm(request.POST or None, initial={"into_supervised_account": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_call(request, form) as call:
            charge = services.charge_record(actor=request.user, institution_id=institution.pk, **data)
        if call.ok:
            if charge.breaches:
                messages.warning(request, _("已登记。该收费不符合预收费规定：%(list)s 已产生资金风险预警。")
                                 % {"list": "".join(charge.breaches)})
            else:
                messages.success(request, _("已登记，符合预收费规定。"))
            return redirect("funds:institution", pk=institution.pk)
    return render(request, "funds/simple_form.html", {"institution": institution, "form": form,
                                                      "title": _("登记收费记录")},
                  status=400 if request.method == "POST" else 200)


@staff_required(message=_NO_DEPARTMENT)
def alert_list(request):
    alerts = (permissions.visible_alerts(request.user).filter(status__in=(AlertStatus.OPEN, AlertStatus.ASSIGNED))
              .select_related("institution", "assigned_to").order_by("raised_at", "pk")[:LIST_SIZE])
    return render(request, "funds/alert_list.html", {"alerts": list(alerts)})


@staff_required(message=_NO_DEPARTMENT)
def alert_detail(request, pk: int):
    alert = _alert_or_404(request, pk)
    return _alert_page(request, alert)


def _alert_page(request, alert, *, assign_form=None, close_form=None, status=200):
    open_ = alert.status != AlertStatus.CLOSED
    can_assign = open_ and permissions.can_assign_alert(request.user, alert)
    return render(request, "funds/alert_detail.html", {
        "alert": alert,
        "assign_form": assign_form or (AssignForm(department_id=alert.department_id) if can_assign else None),
        "close_form": close_form or (CloseForm() if open_ and permissions.can_handle_alert(request.user, alert)
                                     else None),
        "can_open_case": can_assign and not alert.case_id,
        # The report's own rules decide whether its page (and, for the handling department, its reporter) is shown.
        "can_view_report": bool(alert.source_report_id) and report_permissions.visible_reports(request.user).filter(
            pk=alert.source_report_id).exists(),
    }, status=status)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def alert_assign_view(request, pk: int):
    alert = _alert_or_404(request, pk)
    form = AssignForm(request.POST, department_id=alert.department_id)
    if form.is_valid():
        with service_call(request, form, success=_("已分派。")) as call:
            services.alert_assign(actor=request.user, alert_id=alert.pk, assignee_id=form.cleaned_data["assignee"].pk)
        if call.ok:
            return redirect(alert)
    return _alert_page(request, alert, assign_form=form, status=400)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def alert_close_view(request, pk: int):
    alert = _alert_or_404(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        with service_call(request, form, success=_("预警已办结。")) as call:
            services.alert_close(actor=request.user, alert_id=alert.pk, note=form.cleaned_data["note"])
        if call.ok:
            return redirect(alert)
    return _alert_page(request, alert, close_form=form, status=400)


@staff_required(message=_NO_DEPARTMENT)
@require_POST
def alert_case_view(request, pk: int):
    alert = _alert_or_404(request, pk)
    with service_call(request, success=_("已登记处罚案件线索。")) as call:
        case = services.alert_open_case(actor=request.user, alert_id=alert.pk)
    if call.ok:
        return redirect(case)
    return redirect(alert)
