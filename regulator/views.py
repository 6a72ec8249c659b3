"""Home, accounts and error pages."""

import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import translation

from . import services
from .models import VerificationRecord

logger = logging.getLogger("regulator.errors")

# Said when even the standalone template cannot be rendered (a broken installation): Chinese, no template.
_BARE_500 = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务器错误</title></head>'
    "<body><h1>服务器暂时无法处理请求</h1><p>您的数据未被修改。请稍后再试。</p></body></html>"
)


@login_required
def home(request):
    """Each role lands on its own day's work (settings.LANDING_BY_ROLE)."""
    return redirect(settings.LANDING_BY_ROLE.get(request.user.role, settings.LANDING_DEFAULT))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, with the change made (and audited) by regulator.services.user_password_change."""

    def form_valid(self, form):
        services.user_password_change(user=form.user, password=form.cleaned_data["new_password1"],
                                      ip_address=get_client_ip_address(self.request))
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def _standalone(template: str, status: int, context: dict | None = None) -> HttpResponse:
    """An error page rendered without the request: no context processor (navigation counts, the user, messages)
    runs, so the page still appears when the database or the cache is what failed."""
    return HttpResponse(loader.get_template(template).render(context or {}), status=status)


def server_error(request):
    try:
        return _standalone("500.html", 500)
    except Exception:  # noqa: BLE001 - the last resort must not fail in its turn
        logger.exception("500 page could not be rendered")
        return HttpResponse(_BARE_500, status=500)


def bad_request(request, exception=None):
    """400, and 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (raised while the form is read)."""
    if isinstance(exception, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return _standalone("413.html", 413, {"limit_mb": limit_mb})
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return _standalone("413.html", 413, {"too_many_fields": True})
    return _standalone("400.html", 400)


def uri_too_long(request):
    """414 from regulator.middleware.RequestLimitsMiddleware, which runs before the language is chosen."""
    with translation.override(translation.get_language_from_request(request)):
        return _standalone("414.html", 414)


def verify_document(request, token: str):
    """Public page reached by a document's QR code: what was issued, by whom, when, and its SHA-256."""


    record = get_object_or_404(VerificationRecord, token=token)
    return render(request, "regulator/verify.html", {"record": record})


def verify_lookup(request):
    """Typing the number printed on a paper notice finds its verification page."""

    number = request.GET.get("number", "").strip()[:80]
    record = VerificationRecord.objects.filter(number=number).first() if number else None
    return render(request, "regulator/verify.html", {"record": record, "number": number, "lookup": True})
