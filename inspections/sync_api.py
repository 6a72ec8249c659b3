"""The offline visit page's endpoints (issue 18): the outbox sync, photo chunks, the list of what a phone may keep
for offline use, the service worker and the web app manifest.

The JSON endpoints answer a signed-out request with 401 JSON (not the login page), so the outbox keeps its items
and tells the inspector to sign in again; a mutation's verdict is always 200 (see inspections/sync.py), and
anything else (5xx, no connection) is retried by the phone with backoff.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from regulator.errors import ServiceError
from regulator.params import parse_id
from regulator.scope import is_staff_member

from . import conf, selectors, sync

# The app shell the service worker keeps. Its cache is named after these files' URLs, which carry a content hash
# in production (ManifestStaticFilesStorage): a new release gets a new cache and the old one is dropped.
SHELL_FILES = (
    "css/app.css", "css/inspections.css", "js/app.js", "js/offline.js", "js/outbox.js", "js/visit.js",
    "js/signature.js", "img/inspect-icon.svg", "img/inspect-icon-192.png",
)


def _signed_out(request) -> JsonResponse | None:
    user = request.user
    if not (user.is_authenticated and user.is_active and is_staff_member(user)):
        return JsonResponse({"error": _("登录已失效，请重新登录后同步。"), "signed_out": True}, status=401)
    return None


@require_POST
def mutation(request):
    """Apply one outbox mutation (JSON body) and answer its verdict."""
    refusal = _signed_out(request)
    if refusal:
        return refusal
    try:
        envelope = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": _("同步内容无效。")}, status=400)
    if not isinstance(envelope, dict):
        return JsonResponse({"error": _("同步内容无效。")}, status=400)
    try:
        client_id, verdict = sync.mutation_apply(actor=request.user, envelope=envelope)
    except sync.MutationInvalid as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse(verdict.as_json(client_id))


@require_http_methods(["GET", "POST"])
def upload_chunk(request, upload_id):
    """POST: one chunk of a photo as the raw body (?index=&visit=&total=); GET: the indexes received so far."""
    refusal = _signed_out(request)
    if refusal:
        return refusal
    try:
        if request.method == "GET":
            return JsonResponse(sync.upload_status(actor=request.user, upload_id=upload_id))
        visit_id = parse_id(request.GET.get("visit", ""))
        total = parse_id(request.GET.get("total", ""))
        index = _chunk_index(request.GET.get("index", ""))
        if visit_id is None or total is None or index is None:
            return JsonResponse({"error": _("照片分块无效。")}, status=400)
        received = sync.chunk_store(
            actor=request.user, visit_id=visit_id, upload_id=upload_id, index=index, total=total,
            data=request.body,
        )
    except ServiceError as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"received": received})


def _chunk_index(value: str) -> int | None:
    """0, 1, 2 …: a chunk's place in its photo (a few hundred at most), or None."""
    return int(value) if re.fullmatch(r"[0-9]{1,4}", value or "") else None


@require_GET
def offline_list(request):
    """What this phone may keep for offline use: the inspector's own open visits up to a few days ahead (their
    pages carry the checklist version, the institution's summary and the last visit's failed items), the today
    list, and the photos already on those visits. Nothing of other institutions, nothing of reporters."""
    refusal = _signed_out(request)
    if refusal:
        return refusal
    days = conf.get("INSPECTIONS_OFFLINE_DAYS")
    today = timezone.localdate()
    visits = selectors.offline_visits(user=request.user, until=today + timedelta(days=days))
    urls = [reverse("inspections:today")]
    for visit_id, evidence_ids in visits:
        urls.append(reverse("inspections:visit_detail", args=[visit_id]))
        urls.extend(reverse("inspections:evidence_file", args=[pk]) for pk in evidence_ids)
    return JsonResponse({"user": request.user.pk, "urls": urls, "days": days})


@require_GET
def service_worker(request):
    """The service worker, served under /inspections/ so that its scope covers the today list and visit pages."""
    shell = [static(name) for name in SHELL_FILES]
    version = hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12]
    response = render(
        request,
        "inspections/sw.js",
        # Our own static URLs, as a JavaScript array (json.dumps escapes nothing HTML would need here).
        {"shell_version": version, "shell_json": mark_safe(json.dumps(shell))},
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("inspections:home")
    return response


@require_GET
def manifest(request):
    body = {
        "name": _("校外培训机构协同监管平台 · 现场检查"),
        "short_name": _("现场检查"),
        "lang": "zh-CN",
        "start_url": reverse("inspections:today"),
        "scope": reverse("inspections:home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            {"src": static("img/inspect-icon.svg"), "sizes": "any",
             "type": "image/svg+xml"},
            {"src": static("img/inspect-icon-192.png"), "sizes": "192x192",
             "type": "image/png"},
        ],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8"
    )
