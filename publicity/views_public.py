"""The public site (no login): lists, institution pages, batches, open data, typical cases, reports.

Read-only pages are cached in Django's cache under a version bumped on every publish or removal, and
carry Cache-Control/ETag headers; they show only the dicts of public fields the selectors build.
"""

import csv
import hashlib
import io
import json
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from inspections.models import SpotCheckDraw
from inspections.selectors import published_draw_results, published_draws
from institutions import selectors as register_selectors
from institutions.models import Institution
from regulator.clientaddr import client_ip
from regulator.models import Region, VerificationRecord
from regulator.paging import BadPageParameter, after_param
from regulator.params import parse_id
from regulator.spreadsheets import csv_cell
from regulator.textnorm import search_text
from regulator.uploads import file_response
from regulator.views_helpers import service_call

from . import cache as public_cache
from . import selectors, services
from .api import DATASETS, bulk_index, openapi_document
from .forms import OpenDataForm, PageForm, PublicListForm, PublicSearchForm, ReportForm
from .models import Batch, BulkFile, ListKind, ReportStatus, ReportTopic

MAX_QUERY_STRING = 2000
# HTML pages: browsers revalidate every time (a 304 costs no query), shared caches may keep them a minute;
# so a batch published now shows on the next page view. Data and immutable batch pages are kept longer.
HTML_CACHE = {"max_age": 0, "s_maxage": 60}
DATA_CACHE = {"max_age": 300}
IMMUTABLE_CACHE = {"max_age": 86400}
DATA_LICENSE = "CC BY 4.0"
DATA_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"
REPORT_RATE_LIMIT = getattr(settings, "REPORT_RATE_LIMIT", 5)
REPORT_RATE_WINDOW = getattr(settings, "REPORT_RATE_WINDOW", 600)


def _refuse(request, message, status=400):
    response = render(request, "publicity/public_error.html", {"message": message}, status=status)
    patch_cache_control(response, no_cache=True)
    return response


def public_cached(name: str, caching: dict | None = None):
    """Serve from cache (by language, day and full path, if stored under the current public version); add
    ETag and Cache-Control."""

    caching = caching or HTML_CACHE

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
                return _refuse(request, _("查询条件过长，请缩短后重试。"), status=414)
            parts = (get_language(), timezone.localdate().isoformat(), request.get_full_path())
            # One Redis read: the public version and the page stored under it, if any (publicity/cache.py).
            key = public_cache.page_key(name, *parts)
            version, stored = public_cache.read(key)
            digest = hashlib.sha256("|".join(map(str, (version, *parts))).encode()).hexdigest()[:32]
            etag = f'"{digest}"'
            if request.headers.get("If-None-Match") == etag:
                response = HttpResponseNotModified()
                response["ETag"] = etag
                patch_cache_control(response, public=True, **caching)
                return response
            if stored is not None:
                status, headers, body = stored
                response = HttpResponse(body, status=status)
                for header, value in headers.items():
                    response[header] = value
            else:
                response = view(request, *args, **kwargs)
                if response.status_code != 200:
                    patch_cache_control(response, no_cache=True)
                    return response
                headers = {
                    h: response[h] for h in ("Content-Type", "Content-Disposition", "Link") if h in response
                }
                public_cache.store(key, version, (response.status_code, headers, response.content))
            response["ETag"] = etag
            patch_cache_control(response, public=True, **caching)
            return response

        return wrapper

    return decorator


def _regions_versioned() -> tuple:
    """(version, regions) of the public filters, cached under their own version (not the public one)."""
    key = public_cache.page_key("regions")
    version, regions = public_cache.read(key, public_cache.REGIONS_VERSION_KEY)
    if regions is None:
        regions = selectors.public_regions()
        public_cache.store(key, version, regions, version_key=public_cache.REGIONS_VERSION_KEY)
    return version, regions


def _regions():
    return _regions_versioned()[1]


def _page_links(request, page: int, has_next: bool) -> dict:
    params = request.GET.copy()
    links = {}
    if page > 1:
        params["page"] = page - 1
        links["prev_url"] = "?" + params.urlencode()
    if has_next:
        params["page"] = page + 1
        links["next_url"] = "?" + params.urlencode()
    return links


@public_cached("home")
def public_home(request):
    batches, _more = selectors.batch_page(page=1, size=5)
    return render(request, "publicity/public_home.html", {"batches": batches})


def _list_view(request, list_kind: str | None, template_title, *, typical_only=False):
    version, regions = _regions_versioned()
    form = PublicListForm(
        request.GET or None, regions=regions, show_black_category=list_kind != ListKind.WHITE, choices_version=version
    )
    if request.GET and not form.is_valid():
        return render(
            request,
            "publicity/public_list.html",
            {
                "form": form,
                "rows": [],
                "title": template_title,
                "list_kind": list_kind,
                "invalid": True,
            },
            status=400,
        )
    data = form.cleaned_data if request.GET else {}
    page = data.get("page") or 1
    rows, has_next = selectors.public_list_page(
        page=page,
        list_kind=list_kind,
        q=data.get("q", ""),
        credit_code=data.get("credit_code", ""),
        region=data.get("region", ""),
        category=data.get("category", ""),
        students=data.get("students", ""),
        black_category=data.get("black_category", ""),
        typical_only=typical_only,
    )
    return render(
        request,
        "publicity/public_list.html",
        {
            "form": form,
            "rows": rows,
            "title": template_title,
            "list_kind": list_kind,
            "page": page,
            "typical_only": typical_only,
            **_page_links(request, page, has_next),
        },
    )


@public_cached("search")
def public_search(request):
    """Every institution with a public page — white-listed, black-listed or neither — by name (Simplified or
    Traditional), address or credit code, with its standing, list status and last inspection."""
    version, regions = _regions_versioned()
    form = PublicSearchForm(request.GET or None, regions=regions, choices_version=version)
    if request.GET and not form.is_valid():
        return render(request, "publicity/public_search.html", {"form": form, "rows": [], "invalid": True},
                      status=400)
    data = form.cleaned_data if request.GET else {}
    page = data.get("page") or 1
    queryset = selectors.public_search(q=data.get("q", ""), region=data.get("region", ""),
                                       category=data.get("category", ""), list_status=data.get("list_status", ""))
    rows, has_next = selectors.public_search_page(queryset, page=page)
    return render(request, "publicity/public_search.html", {
        "form": form, "rows": rows, "page": page, "searched": bool(request.GET), "q": data.get("q", ""),
        **_page_links(request, page, has_next),
    })


@public_cached("white")
def white_list(request):
    return _list_view(request, ListKind.WHITE, _("白名单"))


@public_cached("black")
def black_list(request):
    return _list_view(request, ListKind.BLACK, _("黑名单"))


@public_cached("typical")
def typical_cases(request):
    return _list_view(request, ListKind.BLACK, _("典型案例曝光"), typical_only=True)


@public_cached("institution")
def institution_page(request, pk: int):
    institution = selectors.public_institution(institution_id=pk)
    if institution is None:
        raise Http404
    return render(
        request,
        "publicity/public_institution.html",
        {
            "institution": institution,
            **selectors.institution_public_page(institution=institution),
        },
    )


@public_cached("batches")
def batch_list(request):
    form = PageForm(request.GET or None)
    if request.GET and not form.is_valid():
        return _refuse(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    page = (form.cleaned_data.get("page") if request.GET else None) or 1
    batches, has_next = selectors.batch_page(page=page)
    return render(
        request,
        "publicity/public_batches.html",
        {"batches": batches, "page": page, **_page_links(request, page, has_next)},
    )


def _batch_or_404(pk: int) -> Batch:
    batch = Batch.objects.filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


@public_cached("batch", IMMUTABLE_CACHE)
def batch_detail(request, pk: int):

    batch = _batch_or_404(pk)
    content = json.loads(batch.canonical_json)
    kinds = dict(ListKind.choices)
    for entry in content["entries"]:
        entry["list_kind_label"] = kinds.get(entry["list_kind"], "")
    record = VerificationRecord.objects.filter(object_type="publicity.batch", object_id=str(batch.pk)).first()
    return render(
        request, "publicity/public_batch.html", {"batch": batch, "content": content, "record": record}
    )


@public_cached("batch-json", IMMUTABLE_CACHE)
def batch_json(request, pk: int):
    """Exactly the bytes whose SHA-256 the verification page shows."""
    batch = _batch_or_404(pk)
    return HttpResponse(batch.canonical_json.encode(), content_type="application/json; charset=utf-8")


# ---- open data -----------------------------------------------------------------------------------

OPEN_DATA_COLUMNS = list(selectors.PUBLIC_ENTRY_FIELDS)


def _open_data_rows(request):
    form = OpenDataForm(request.GET or None)
    if request.GET and not form.is_valid():
        return None, form, 1, False
    data = form.cleaned_data if request.GET else {}
    page = data.get("page") or 1
    queryset = selectors.public_entries_filtered(list_kind=data.get("list_kind") or None)
    rows, has_next = selectors.public_entry_page(queryset, page=page, size=selectors.OPEN_DATA_PAGE_SIZE)
    return rows, form, page, has_next


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@public_cached("data-json", DATA_CACHE)
def open_data_json(request):
    rows, form, page, has_next = _open_data_rows(request)
    if rows is None:
        return JsonResponse(
            {"error": {k: [str(e) for e in v] for k, v in form.errors.items()}},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    params = request.GET.copy()
    params["page"] = page + 1
    body = {
        "schema_version": 1,
        "license": DATA_LICENSE,
        "license_url": DATA_LICENSE_URL,
        "publisher": str(settings.SITE_TITLE),
        "page": page,
        "page_size": selectors.OPEN_DATA_PAGE_SIZE,
        "next": (reverse("publicity:open_data_json") + "?" + params.urlencode()) if has_next else None,
        "results": [{column: _json_value(row[column]) for column in OPEN_DATA_COLUMNS} for row in rows],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Link"] = f'<{DATA_LICENSE_URL}>; rel="license"'
    return response


@public_cached("data-csv", DATA_CACHE)
def open_data_csv(request):
    rows, form, page, has_next = _open_data_rows(request)
    if rows is None:
        return _refuse(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(OPEN_DATA_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(_json_value(row[column])) for column in OPEN_DATA_COLUMNS])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="publicity-entries-p{page}.csv"'
    response["Link"] = f'<{DATA_LICENSE_URL}>; rel="license"'
    return response


@public_cached("openapi", DATA_CACHE)
def openapi(request):
    """The OpenAPI 3.1 document of open data v1 (publicity/api.py), generated from the code that serves it."""
    response = JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def open_data_bulk(request):
    """The nightly bulk files per county (publicity/bulk.py): stable URL, size, rows, generation time, SHA-256.
    Not cached: one query, and a run's new files show at once."""
    region = request.GET.get("region", "")
    if not (region.isascii() and region.isdigit() and len(region) <= 12):
        region = ""
    response = render(request, "publicity/public_bulk.html", {
        "files": bulk_index(region=region), "datasets": DATASETS.values(), "region": region,
        "index_url": reverse("open-data:bulk"),
    })
    patch_cache_control(response, no_cache=True)
    return response


def open_data_bulk_file(request, region: str, dataset: str, fmt: str):
    """One county's current file of one dataset: the URL stays, the file behind it is switched each night."""
    row = BulkFile.objects.filter(region_id=region, dataset=dataset, format=fmt).first()
    if row is None:
        raise Http404(_("该数据文件不存在。"))
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = file_response(row.file, content_type=content_type, filename=f"{region}-{dataset}.{fmt}")
    response["Access-Control-Allow-Origin"] = "*"
    response["Link"] = f'<{DATA_LICENSE_URL}>; rel="license"'
    response["X-Checksum-SHA256"] = row.sha256
    response["ETag"] = f'"{row.sha256}"'
    return response


# ---- reports -------------------------------------------------------------------------------------


def _rate_limited(request) -> bool:
    """Count this attempt against the client's address; True once it exceeds the limit in the window."""
    address = client_ip(request) or "unknown"
    key = "publicity:report-rate:" + hashlib.sha256(address.encode()).hexdigest()[:24]
    cache.add(key, 0, REPORT_RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, REPORT_RATE_WINDOW)
        count = 1
    return count > REPORT_RATE_LIMIT


def report_rate_limit(view):
    """Refuse a POST over the per-address limit from its headers and the cache alone, before the body is read.

    A flood of 200 MB uploads must cost the server a cache increment each, not a parsed multipart body: so this
    runs outside the view's CSRF check (whose token lookup reads request.POST) — the view is exempted from the
    middleware and checked by csrf_protect inside this wrapper instead.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and _rate_limited(request):
            message = _(
                "您提交举报过于频繁，请%(minutes)d分钟后再试。如情况紧急，请拨打当地教育部门举报电话。"
            ) % {"minutes": REPORT_RATE_WINDOW // 60}
            response = render(request, "publicity/public_error.html", {"message": message}, status=429)
            response["Retry-After"] = str(REPORT_RATE_WINDOW)
            patch_cache_control(response, private=True, no_store=True)
            return response
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _report_institution(value):
    institution_id = parse_id(value)
    if institution_id is None:
        return None
    return selectors.public_institution(institution_id=institution_id)


@report_rate_limit
@csrf_protect
def report_form(request):
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        return _refuse(request, _("查询条件过长，请缩短后重试。"), status=414)
    institution = _report_institution(request.POST.get("institution") or request.GET.get("institution"))
    regions = [(code, name) for code, name in _regions() if len(code) == 6]
    initial = {"institution": institution.pk} if institution else {}
    if request.method == "POST":
        form = ReportForm(
            request.POST, request.FILES, regions=regions, institution=institution, initial=initial
        )
        if request.POST.get("website"):
            return _refuse(request, _("提交未被接受。"))
        if form.is_valid():
            data = form.cleaned_data
            region = None
            if institution is None:

                region = Region.objects.get(pk=data["region"])
            with service_call(request, form) as call:
                report = services.report_file(
                    region=region,
                    institution=institution,
                    content=data["content"],
                    subject_name=data["subject_name"],
                    subject_address=data["subject_address"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    attachments=data["photos"],
                    topic=data["topic"] or ReportTopic.GENERAL,
                    charge=form.charge(),
                    payment_proof=data["payment_proof"],
                )
            if call.ok:
                return redirect(
                    reverse("publicity:report_track") + "?new=1&number=" + report.tracking_display
                )
        status = 400
    else:
        form = ReportForm(regions=regions, institution=institution, initial=initial)
        status = 200
    response = render(
        request,
        "publicity/public_report_form.html",
        {"form": form, "institution": institution},
        status=status,
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def report_track(request):
    """Follow a report by its tracking number: one indexed query, whether the number exists or not."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        return _refuse(request, _("查询条件过长，请缩短后重试。"), status=414)
    raw = request.GET.get("number", "")
    context = {"number": raw[:40], "new": request.GET.get("new") == "1"}
    status = 200
    if raw:
        steps = selectors.public_report_steps(tracking_number=services.normalize_tracking_number(raw))
        if steps:
            context.update(
                report=steps[0].report, steps=steps, closed=steps[0].report.status == ReportStatus.CLOSED
            )
        else:
            context["not_found"] = True
            status = 404
    response = render(request, "publicity/public_report_track.html", context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "no-referrer"
    return response


def institution_search_for_report(request):
    """Registered institutions with a public page, by name (for the report form's picker)."""
    term = request.GET.get("q", "").strip()[:60]
    rows = []
    if len(term) >= 2:
        rows = list(
            Institution.objects.filter(
                Q(name__contains=term) | Q(name__contains=search_text(term)),
                pk__in=selectors.published_entries().values("institution_id"),
            )
            .order_by("name")
            .values("id", "name", "address")[:10]
        )
    return render(request, "publicity/public_report_pick.html", {"rows": rows, "q": term})


@public_cached("spot_checks")
def spot_checks(request):
    """Published double-random draws (双随机、一公开), newest first."""

    try:
        after = after_param(request.GET, strict=True)
    except BadPageParameter as error:
        return _refuse(request, error.message)
    draws, next_after = published_draws(after=after)
    return render(request, "publicity/public_spot_checks.html", {
        "draws": draws, "next_url": f"?after={next_after}" if next_after else ""})


@public_cached("spot_check")
def spot_check_detail(request, pk: int):

    draw = SpotCheckDraw.objects.filter(pk=pk, published_at__isnull=False).select_related(
        "campaign", "campaign__lead_department").first()
    if draw is None:
        raise Http404
    return render(request, "publicity/public_spot_check.html", {
        "draw": draw, "rows": published_draw_results(draw=draw)})


# ---- published annual-inspection results (年检结果公告): institutions.annual.services.plan_publish ----------------

@public_cached("annual_batches")
def annual_batches(request):
    try:
        after = after_param(request.GET, strict=True)
    except BadPageParameter as error:
        return _refuse(request, error.message)
    batches, next_after = register_selectors.published_annual_batches(after=after)
    return render(request, "publicity/public_annual_batches.html", {
        "batches": batches, "next_url": f"?after={next_after}" if next_after else ""})


def _annual_batch_or_404(pk: int):
    found = register_selectors.published_annual_batch(plan_id=pk)
    if found is None:
        raise Http404
    return found


@public_cached("annual_batch", IMMUTABLE_CACHE)
def annual_batch_detail(request, pk: int):
    plan, content = _annual_batch_or_404(pk)
    record = VerificationRecord.objects.filter(object_type="institutions.annualinspectionplan",
                                               object_id=str(plan.pk)).first()
    return render(request, "publicity/public_annual_batch.html", {"plan": plan, "content": content,
                                                                  "record": record})


@public_cached("annual_batch-json", IMMUTABLE_CACHE)
def annual_batch_json(request, pk: int):
    """Exactly the bytes whose SHA-256 the batch page and its verification record show."""
    plan, _content = _annual_batch_or_404(pk)
    return HttpResponse(plan.canonical_json.encode(), content_type="application/json; charset=utf-8")
