"""The heads' queue page (待办): filter, sort and page the queue; assign several rows to an inspector at once."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.models import Role, User
from regulator.params import parse_id
from regulator.views_helpers import service_call, staff_required

from . import queue as work_queue


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@staff_required
def queue(request):
    user = request.user
    if request.method == "POST":
        return _assign(request)
    options = work_queue.filter_options(user)
    filters, errors = work_queue.parse_filters(user, request.GET, options)
    page = None
    if not errors and options.kinds:
        page = work_queue.queue_page(user, filters, today=timezone.localdate(), names=options.inspector_names)
    context = {
        "options": options,
        "filters": filters,
        "errors": errors,
        "page": page,
        "rows": page.rows if page else [],
        "can_assign": work_queue.can_assign(user),
        "personal": work_queue.is_personal(user),
        "lateness_choices": work_queue.Lateness.CHOICES,
        "sorts": work_queue.SORTS,
        "query": _query_without_page(request),
    }
    return render(request, "oversight/queue.html", context, status=400 if errors else 200)


def _assign(request):
    actor = request.user
    if not work_queue.can_assign(actor):
        raise PermissionDenied(_("只有部门负责人或专项治理办公室可以分派待办。"))
    back = request.get_full_path()
    assignee_id = request.POST.get("assignee", "")
    assignee = (
        User.objects.filter(pk=parse_id(assignee_id), role=Role.INSPECTOR).first() if parse_id(assignee_id) else None
    )
    with service_call(request) as call:
        rows = work_queue.parse_row_keys(request.POST.getlist("rows"))
        count = work_queue.queue_assign(actor=actor, rows=rows, assignee=assignee)
    if call.ok:
        messages.success(request, _("已将 %(n)s 条待办分派给 %(name)s。") % {"n": count, "name": assignee})
    return redirect(back)
