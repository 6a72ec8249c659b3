"""What every staff view shares: who may open it (staff_required) and how a service's refusal is shown
(service_call for pages, json_refusal for the JSON calls of the visit page).

A refusal (regulator.errors.ServiceError) becomes a form error on its field (or on the whole form), or a message
on the page the view redirects to; ActionForbidden becomes a 403, which regulator.middleware logs.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .errors import ActionForbidden, ServiceError
from .scope import is_staff_member


def staff_required(view=None, *, message=None):
    """login_required, then 403 unless the user is an active member of staff (in a department, or an
    administrator). `@staff_required` or `@staff_required(message=gettext_lazy("…"))` for the 403 page."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and is_staff_member(user)):
                raise PermissionDenied(_("您的账号未分配部门。") if message is None else str(message))
            # The user itself in place of AuthenticationMiddleware's lazy wrapper, now that it is loaded: the view,
            # its permission checks and the templates read ~100 attributes of it a page, each through the wrapper's
            # __getattribute__ and a caught AttributeError.
            request.user = getattr(user, "_wrapped", user)
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate if view is None else decorate(view)


def show_refusal(request, error: ServiceError, form=None) -> None:
    """A refusal on the form when there is one (on its field if the form has it), else as a message."""
    if form is None:
        messages.error(request, error.message)
    elif error.errors:
        for field, field_errors in error.errors.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(error.field if error.field in form.fields else None, error.message)


@dataclass
class ServiceOutcome:
    """What service_call saw: `error` is the refusal, None if the call went through."""

    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def service_call(request, form=None, *, success=None):
    """Run one service call; a refusal is shown (show_refusal), a forbidden step is a 403, and any other
    exception propagates. On success the optional `success` message is added.

        with service_call(request, form) as call:
            order = services.order_draft(...)
        if call.ok:
            return redirect(order)
    """
    outcome = ServiceOutcome()
    try:
        yield outcome
    except ActionForbidden as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        outcome.error = error
        show_refusal(request, error, form)
    else:
        if success:
            messages.success(request, success)


def json_refusal(error: ServiceError) -> JsonResponse:
    """The JSON answer of a refused call: {"error": message}, 403 if forbidden, else 400."""
    return JsonResponse({"error": error.message}, status=403 if isinstance(error, ActionForbidden) else 400)


def filter_summary(form) -> str:
    """A filter form's chosen values in words (类别：学科类；区划：历下区), for an export's title block; in Chinese."""
    from django.utils import translation

    parts = []
    with translation.override("zh-hans"):
        for name, field in form.fields.items():
            value = form.cleaned_data.get(name)
            if value in (None, "", [], ()) or name in ("page", "after", "sort"):
                continue
            choices = dict(getattr(field, "choices", []) or [])
            if isinstance(value, list | tuple):
                shown = "、".join(str(choices.get(item, item)) for item in value)
            else:
                shown = str(choices.get(value, value)) if choices else str(value)
            parts.append(f"{field.label}：{shown}")
    return "；".join(parts)


def export_caption(request, form) -> list[str]:
    """The title block of an export made by this request's user with this filter form."""
    from django.utils import timezone

    from .spreadsheets import caption_lines

    department = getattr(request.user, "department", None)
    return caption_lines(unit=str(department) if department else str(request.user), filters=filter_summary(form),
                         at=timezone.localtime())
