"""Open data, version 1: the public datasets as paged JSON (or CSV) with totals and filters, and the OpenAPI 3.1
document generated from this code by django-ninja (so the document cannot drift from what is served).

Datasets: list entries (every published version, removals included), institutions with a public page (public
fields only), published double-random spot-check results, penalty decisions published under 行政处罚法 Art 48
(withdrawals included) and annual-inspection results published in batches. Each is a `Dataset` in DATASETS, which
the nightly bulk files (publicity/bulk.py) write out with the same rows. Every dataset filters by region (a code
prefix), by date and by `updated_since`, pages with `page`/`page_size` and says its `total`. Times are in Asia/Shanghai
with their offset (+08:00). Responses carry CORS for GET (open data is read from other sites' pages) and the
CC BY 4.0 licence. Nothing here is ever written.
"""

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import field_validator

from inspections import selectors as inspection_selectors
from institutions.annual import public as annual_public
from institutions.models import Institution

from . import selectors
from .models import (
    PUBLIC_STATUSES,
    BulkFile,
    DecisionPublication,
    EntryStatus,
    ListEntry,
    PublicationSource,
    PublicationStatus,
    WithdrawalReason,
)
from .publications import mask_text

EARLIEST, LATEST = datetime.date(1970, 1, 1), datetime.date(2100, 12, 31)
LICENSE = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
MAX_PAGE_SIZE = 1000

api = NinjaAPI(
    title="校外培训机构公示公开 · 开放数据",
    version="1",
    description=("Open data of the off-campus training institutions' joint regulation: white and black list "
                 "entries, institutions with a public page, spot-check results, published penalty decisions, "
                 f"annual-inspection results, and the nightly bulk files per county. Licence: {LICENSE}. Times are "
                 "Asia/Shanghai (+08:00). Every list pages with `page`/`page_size` and gives its `total`; "
                 "`updated_since` returns what changed since a moment (removals included), for incremental copies."),
    urls_namespace="open-data",
    docs_url=None,
    openapi_url=None,  # served by publicity.views_public.openapi at /public/openapi.json (cached, CORS)
)


@api.exception_handler(NinjaValidationError)
def _invalid(request, error):
    """A bad parameter: 400 with the reason in Chinese (what the page's validators say), never a 500."""
    reasons = []
    for item in error.errors:
        where = ".".join(str(part) for part in item.get("loc", [])[1:]) or "query"
        reasons.append({"parameter": where, "reason": _chinese(item)})
    return _cors(api.create_response(request, {"error": "参数无效", "details": reasons}, status=400))


def _chinese(item: dict) -> str:
    kind = item.get("type", "")
    context = item.get("ctx") or {}
    if kind in ("int_parsing", "int_type"):
        return "须为整数。"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {context.get('ge', context.get('gt'))}。"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {context.get('le', context.get('lt'))}。"
    if kind.startswith("datetime") or kind.startswith("date"):
        return "日期时间格式无效，请用 ISO 8601，例如 2026-12-01 或 2026-12-01T08:00:00+08:00。"
    if kind == "literal_error":
        return f"取值无效，可选：{context.get('expected', '')}。"
    if kind == "string_too_long":
        return f"不能超过 {context.get('max_length')} 个字符。"
    if kind == "string_pattern_mismatch":
        return "格式无效。"
    if kind == "value_error":
        return str(context.get("error", "")) or "取值无效。"
    return "取值无效。"


def _cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Link"] = f'<{LICENSE_URL}>; rel="license"'
    return response


def _local(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


# ---- parameters and pages ----------------------------------------------------------------------------------


class Filters(Schema):
    region: str = Field("", max_length=12, pattern=r"^\d{0,12}$", description="区划代码前缀，如 3701（济南市）")
    since: datetime.date | None = Field(None, description="日期下限（含），按各数据集的主要日期")
    until: datetime.date | None = Field(None, description="日期上限（含）")
    updated_since: datetime.datetime | None = Field(None, description="只返回此时刻之后有变化的记录")
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
    format: Literal["json", "csv"] = Field("json", description="csv：中英双语表头的 UTF-8 CSV")

    @field_validator("since", "until")
    @classmethod
    def _plausible_date(cls, value):
        if value is not None and not (EARLIEST.year <= value.year <= LATEST.year):
            raise ValueError(f"日期须在 {EARLIEST.year} 年至 {LATEST.year} 年之间。")
        return value

    @field_validator("updated_since")
    @classmethod
    def _plausible_moment(cls, value):
        """A moment in UTC (PostgreSQL refuses offsets beyond ±15:59 and far years): within 1970–2100."""
        if value is None:
            return None
        offset = value.utcoffset()
        if offset is not None and abs(offset) > datetime.timedelta(hours=14):
            raise ValueError("时区偏移须在 ±14:00 之内。")
        moment = _aware(value)
        if not (EARLIEST.year <= moment.year <= LATEST.year):
            raise ValueError(f"时间须在 {EARLIEST.year} 年至 {LATEST.year} 年之间。")
        return moment.astimezone(datetime.UTC)


class PageOut(Schema):
    license: str
    license_url: str
    total: int
    page: int
    page_size: int


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _dated(queryset: QuerySet, field: str, filters: Filters) -> QuerySet:
    zone = timezone.get_current_timezone()
    if filters.since:
        queryset = queryset.filter(**{f"{field}__gte": datetime.datetime.combine(filters.since, datetime.time(),
                                                                               tzinfo=zone)})
    if filters.until:
        end = datetime.datetime.combine(filters.until + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


@dataclass(frozen=True)
class Dataset:
    """One dataset: its rows as a queryset for the filters (region, dates, updated_since; ordered stably), how a
    row reads, and its columns (key, 中文, English) for CSV."""

    code: str
    title: str
    columns: list[tuple[str, str, str]]
    rows: Callable[["Filters"], QuerySet]
    row_of: Callable[[object], dict]
    region_field: str  # the region code of a row, for the counties of the bulk files


DATASETS: dict[str, Dataset] = {}


def dataset(code: str, title: str, columns, row_of, *, region_field="institution__region_id"):
    def register(rows):
        DATASETS[code] = Dataset(code=code, title=title, columns=columns, rows=rows, row_of=row_of,
                                 region_field=region_field)
        return rows
    return register


def csv_header(columns) -> list[str]:
    return [f"{chinese}/{key}" for key, chinese, _english in columns]


def csv_row(row: dict, columns) -> list:
    return ["" if row[key] is None else row[key] for key, _c, _e in columns]


def _page(request, code: str, filters: Filters):
    """One page: total (a COUNT) and rows (one query); CSV with 中文/English headers when asked."""
    data = DATASETS[code]
    queryset = data.rows(filters)
    total = queryset.count()
    offset = (filters.page - 1) * filters.page_size
    rows = [data.row_of(item) for item in queryset[offset: offset + filters.page_size]]
    if filters.format == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel and WPS open UTF-8 CSV right with the BOM
        writer = csv.writer(buffer)
        writer.writerow(csv_header(data.columns))
        for row in rows:
            writer.writerow(csv_row(row, data.columns))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["X-Total-Count"] = str(total)
        return _cors(response)
    body = {"license": LICENSE, "license_url": LICENSE_URL, "total": total, "page": filters.page,
            "page_size": filters.page_size, "results": rows}
    return _cors(api.create_response(request, body, status=200))


def _changed_since(queryset: QuerySet, filters: Filters, field="updated_at") -> QuerySet:
    if filters.updated_since:
        queryset = queryset.filter(**{f"{field}__gt": _aware(filters.updated_since)})
    return queryset


# ---- list entries ------------------------------------------------------------------------------------------


class EntryOut(Schema):
    entry_id: int
    version: int
    supersedes_id: int | None
    status: Literal["published", "corrected", "removed"]
    list_kind: str
    black_category: str
    institution_id: int
    institution_name: str
    credit_code: str
    address: str
    region_code: str
    region_name: str
    category: str
    reason: str
    handling_result: str
    is_typical_case: bool
    published_at: str | None
    removed_at: str | None
    updated_at: str
    batch_number: str | None
    batch_id: int | None


class EntryPage(PageOut):
    results: list[EntryOut]


ENTRY_COLUMNS = [
    ("entry_id", "条目编号", "entry id"), ("version", "版本", "version"), ("supersedes_id", "更正前条目", "supersedes"),
    ("status", "状态", "status"), ("list_kind", "名单", "list"), ("black_category", "黑名单类别", "black category"),
    ("institution_id", "机构编号", "institution id"), ("institution_name", "机构名称", "institution name"),
    ("credit_code", "统一社会信用代码", "credit code"), ("address", "地址", "address"),
    ("region_code", "区划代码", "region code"), ("region_name", "区划", "region"), ("category", "类别", "category"),
    ("reason", "公示说明/列入原因", "reason"), ("handling_result", "处理结果", "handling result"),
    ("is_typical_case", "典型案例", "typical case"), ("published_at", "公示时间", "published at"),
    ("removed_at", "移出时间", "removed at"), ("updated_at", "更新时间", "updated at"),
    ("batch_number", "公示批次", "batch"), ("batch_id", "批次编号", "batch id"),
]


def _entry_status(entry: ListEntry) -> str:
    if entry.status == EntryStatus.REMOVED:
        return "removed"
    return "corrected" if entry.superseded_at else "published"


def _entry_row(entry: ListEntry) -> dict:
    institution = entry.institution
    return {
        "entry_id": entry.pk, "version": entry.version, "supersedes_id": entry.supersedes_id,
        "status": _entry_status(entry), "list_kind": entry.list_kind, "black_category": entry.black_category,
        "institution_id": institution.pk, "institution_name": institution.name,
        "credit_code": institution.credit_code, "address": institution.address,
        "region_code": institution.region_id, "region_name": institution.region.name,
        "category": institution.category, "reason": entry.reason, "handling_result": entry.handling_result,
        "is_typical_case": entry.is_typical_case, "published_at": _local(entry.published_at),
        "removed_at": _local(entry.removed_at), "updated_at": _local(entry.updated_at),
        "batch_number": entry.batch.number if entry.batch_id else None, "batch_id": entry.batch_id,
    }


@dataset("entries", "黑白名单条目", ENTRY_COLUMNS, _entry_row)
def _entry_rows(filters: Filters) -> QuerySet:
    queryset = (
        ListEntry.objects.filter(status__in=(*PUBLIC_STATUSES, EntryStatus.REMOVED), published_at__isnull=False)
        .select_related("institution", "institution__region", "batch")
        .order_by("published_at", "id")
    )
    if filters.region:
        queryset = queryset.filter(institution__region__code__startswith=filters.region)
    return _changed_since(_dated(queryset, "published_at", filters), filters)


@api.get("/entries", response=EntryPage, summary="黑白名单条目（含更正与移出）", tags=["entries"])
def entries(request, filters: Query[Filters]):
    """Every version of every published entry: current ones, those replaced by a correction and those removed."""
    return _page(request, "entries", filters)


# ---- institutions ------------------------------------------------------------------------------------------


class InstitutionOut(Schema):
    institution_id: int
    name: str
    credit_code: str
    address: str
    region_code: str
    region_name: str
    category: str
    licence_standing: str
    operating_state: str
    serves_preschool: bool
    serves_compulsory: bool
    serves_senior_high: bool
    updated_at: str


class InstitutionPage(PageOut):
    results: list[InstitutionOut]


INSTITUTION_COLUMNS = [
    ("institution_id", "机构编号", "institution id"), ("name", "机构名称", "name"),
    ("credit_code", "统一社会信用代码", "credit code"), ("address", "地址", "address"),
    ("region_code", "区划代码", "region code"), ("region_name", "区划", "region"), ("category", "类别", "category"),
    ("licence_standing", "证照情况", "licence standing"), ("operating_state", "经营状态", "operating state"),
    ("serves_preschool", "学前", "preschool"), ("serves_compulsory", "义务教育", "compulsory"),
    ("serves_senior_high", "高中", "senior high"), ("updated_at", "更新时间", "updated at"),
]


def _institution_row(institution: Institution) -> dict:
    return {
        "institution_id": institution.pk, "name": institution.name, "credit_code": institution.credit_code,
        "address": institution.address, "region_code": institution.region_id,
        "region_name": institution.region.name, "category": institution.category,
        "licence_standing": institution.licence_standing, "operating_state": institution.operating_state,
        "serves_preschool": institution.serves_preschool, "serves_compulsory": institution.serves_compulsory,
        "serves_senior_high": institution.serves_senior_high, "updated_at": _local(institution.updated_at),
    }


@dataset("institutions", "有公示页面的机构", INSTITUTION_COLUMNS, _institution_row, region_field="region_id")
def _institution_rows(filters: Filters) -> QuerySet:
    queryset = (
        Institution.objects.filter(selectors.public_institution_ids())
        .select_related("region")
        .only("id", "name", "credit_code", "address", "region__name", "category", "licence_standing",
              "operating_state", "serves_preschool", "serves_compulsory", "serves_senior_high", "updated_at")
        .order_by("id")
    )
    if filters.region:
        queryset = queryset.filter(region__code__startswith=filters.region)
    return _changed_since(_dated(queryset, "updated_at", filters), filters)


@api.get("/institutions", response=InstitutionPage, summary="有公示页面的机构（公开字段）", tags=["institutions"])
def institutions(request, filters: Query[Filters]):
    """Institutions with a public page (a published list entry or spot-check result): public fields only.
    The dates filter by the last change of the record."""
    return _page(request, "institutions", filters)


# ---- spot-check results ------------------------------------------------------------------------------------


class SpotCheckOut(Schema):
    visit_id: int
    draw_id: int
    institution_id: int
    institution_name: str
    credit_code: str
    region_code: str
    checked_at: str | None
    outcome: str
    outcome_label: str
    draw_published_at: str | None
    updated_at: str


class SpotCheckPage(PageOut):
    results: list[SpotCheckOut]


SPOT_CHECK_COLUMNS = [
    ("visit_id", "检查编号", "visit id"), ("draw_id", "抽取编号", "draw id"),
    ("institution_id", "机构编号", "institution id"), ("institution_name", "机构名称", "institution name"),
    ("credit_code", "统一社会信用代码", "credit code"), ("region_code", "区划代码", "region code"),
    ("checked_at", "检查时间", "checked at"), ("outcome", "结果代码", "outcome"),
    ("outcome_label", "检查结果", "outcome label"), ("draw_published_at", "公示时间", "draw published at"),
    ("updated_at", "更新时间", "updated at"),
]


def _spot_check_row(visit) -> dict:
    return {
        "visit_id": visit.pk, "draw_id": visit.draw_id, "institution_id": visit.institution_id,
        "institution_name": visit.institution.name, "credit_code": visit.institution.credit_code,
        "region_code": visit.region_code, "checked_at": _local(visit.submitted_at), "outcome": visit.outcome,
        "outcome_label": inspection_selectors.public_outcome(visit.outcome),
        "draw_published_at": _local(visit.draw.published_at), "updated_at": _local(visit.updated_at),
    }


@dataset("spot-checks", "双随机抽查结果", SPOT_CHECK_COLUMNS, _spot_check_row)
def _spot_check_rows(filters: Filters) -> QuerySet:
    queryset = inspection_selectors.published_spot_check_visits().annotate(
        region_code=F("institution__region_id")).order_by("submitted_at", "id")
    if filters.region:
        queryset = queryset.filter(Q(institution__region__code__startswith=filters.region))
    return _changed_since(_dated(queryset, "submitted_at", filters), filters)


@api.get("/spot-checks", response=SpotCheckPage, summary="双随机抽查结果（已公示）", tags=["spot-checks"])
def spot_checks(request, filters: Query[Filters]):
    """Completed checks of published double-random draws (双随机、一公开); dates filter by the check's time."""
    return _page(request, "spot-checks", filters)


# ---- penalty decisions (行政处罚法 Art 48) -------------------------------------------------------------------


class DecisionOut(Schema):
    publication_id: int
    status: Literal["published", "withdrawn"]
    decision_number: str
    institution_name: str
    credit_code: str
    region_code: str
    facts: str
    legal_basis: str
    penalty_kinds: str
    penalty_amount: str | None = Field(description="罚没金额合计（元），十进制字符串")
    department_name: str
    decided_on: str
    published_at: str | None
    withdrawn_at: str | None
    withdrawal_reason: Literal["", "changed", "annulled_on_review", "annulled_by_court"]
    withdrawal_reason_label: str
    updated_at: str


class DecisionPage(PageOut):
    results: list[DecisionOut]


DECISION_COLUMNS = [
    ("publication_id", "公开编号", "publication id"), ("status", "状态", "status"),
    ("decision_number", "决定书文号", "decision number"), ("institution_name", "当事人", "party"),
    ("credit_code", "统一社会信用代码", "credit code"), ("region_code", "区划代码", "region code"),
    ("facts", "违法事实", "facts"), ("legal_basis", "处罚依据", "legal basis"),
    ("penalty_kinds", "处罚种类", "penalty kinds"), ("penalty_amount", "罚没金额（元）", "penalty amount"),
    ("department_name", "处罚机关", "department"), ("decided_on", "决定日期", "decided on"),
    ("published_at", "公开时间", "published at"), ("withdrawn_at", "撤回时间", "withdrawn at"),
    ("withdrawal_reason", "撤回原因代码", "withdrawal reason"),
    ("withdrawal_reason_label", "撤回原因", "withdrawal reason label"), ("updated_at", "更新时间", "updated at"),
]


def _decision_row(publication: DecisionPublication) -> dict:
    withdrawn = publication.status == PublicationStatus.WITHDRAWN
    reason = publication.withdrawal_reason if withdrawn else ""
    return {
        "publication_id": publication.pk, "status": "withdrawn" if withdrawn else "published",
        "decision_number": publication.document_number, "institution_name": publication.party_name,
        "credit_code": publication.credit_code, "region_code": publication.region_code,
        "facts": publication.facts, "legal_basis": publication.legal_basis,
        "penalty_kinds": publication.penalty_kinds,
        "penalty_amount": None if publication.penalty_amount is None else f"{publication.penalty_amount:.2f}",
        "department_name": publication.department.name, "decided_on": publication.decided_on.isoformat(),
        "published_at": _local(publication.published_at),
        "withdrawn_at": _local(publication.withdrawn_at) if withdrawn else None,
        "withdrawal_reason": reason, "withdrawal_reason_label": str(WithdrawalReason(reason).label) if reason else "",
        "updated_at": _local(publication.updated_at),
    }


@dataset("decisions", "行政处罚决定公开", DECISION_COLUMNS, _decision_row)
def _decision_rows(filters: Filters) -> QuerySet:
    """Decisions once published; a withdrawn one stays, as a withdrawal (a pending one never shows)."""
    queryset = (
        DecisionPublication.objects
        .filter(source_type=PublicationSource.PENALTY_DECISION, published_at__isnull=False,
                status__in=(PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWAL_DUE,
                            PublicationStatus.WITHDRAWN))
        .select_related("department")
        .annotate(region_code=F("institution__region_id"))
        .only("id", "status", "document_number", "party_name", "credit_code", "facts", "legal_basis",
              "penalty_kinds", "penalty_amount", "department__name", "decided_on", "published_at",
              "withdrawn_at", "withdrawal_reason", "updated_at")
        .order_by("published_at", "id")
    )
    if filters.region:
        queryset = queryset.filter(institution__region__code__startswith=filters.region)
    return _changed_since(_dated(queryset, "published_at", filters), filters)


@api.get("/decisions", response=DecisionPage, summary="行政处罚决定公开（含撤回）", tags=["decisions"])
def decisions(request, filters: Query[Filters]):
    """Penalty decisions published under 行政处罚法 Art 48, as published (natural persons' names, ID-card and
    mobile numbers masked; nothing of the reporter). A decision changed or annulled is withdrawn: it stays in
    the dataset with `status` withdrawn, the time and the reason. Dates filter by the publication time."""
    return _page(request, "decisions", filters)


# ---- annual-inspection results (年检结果) ----------------------------------------------------------------------


class AnnualResultOut(Schema):
    result_id: int
    batch_number: str
    year: int
    institution_id: int
    institution_name: str
    credit_code: str
    region_code: str
    licence_number: str
    result: Literal["pass", "basic_pass", "fail", "refused", "cancelled"]
    result_label: str
    reasons: str
    department_name: str
    published_at: str | None
    updated_at: str


class AnnualResultPage(PageOut):
    results: list[AnnualResultOut]


ANNUAL_COLUMNS = [
    ("result_id", "结果编号", "result id"), ("batch_number", "公布批次号", "batch number"), ("year", "年度", "year"),
    ("institution_id", "机构编号", "institution id"), ("institution_name", "机构名称", "institution name"),
    ("credit_code", "统一社会信用代码", "credit code"), ("region_code", "区划代码", "region code"),
    ("licence_number", "办学许可证号", "licence number"), ("result", "结果代码", "result"),
    ("result_label", "年检结果", "result label"), ("reasons", "原因", "reasons"),
    ("department_name", "年检部门", "department"), ("published_at", "公布时间", "published at"),
    ("updated_at", "更新时间", "updated at"),
]


def _annual_row(inspection) -> dict:
    plan, institution = inspection.plan, inspection.institution
    result = annual_public.public_result(inspection)
    return {
        "result_id": inspection.pk, "batch_number": plan.batch_number, "year": plan.year,
        "institution_id": institution.pk, "institution_name": institution.name,
        "credit_code": institution.credit_code, "region_code": institution.region_id,
        "licence_number": inspection.licence_number or "", "result": result,
        "result_label": str(annual_public.PUBLIC_RESULTS[result]),
        "reasons": mask_text(annual_public.public_reasons(inspection)), "department_name": plan.department.name,
        "published_at": _local(plan.published_at), "updated_at": _local(inspection.changed_at),
    }


@dataset("annual-results", "年检结果", ANNUAL_COLUMNS, _annual_row)
def _annual_rows(filters: Filters) -> QuerySet:
    queryset = (annual_public.published_annual_results()
                .annotate(changed_at=Greatest("updated_at", "plan__updated_at"))
                .order_by("plan__published_at", "id"))
    if filters.region:
        queryset = queryset.filter(institution__region__code__startswith=filters.region)
    return _changed_since(_dated(queryset, "plan__published_at", filters), filters, field="changed_at")


@api.get("/annual-results", response=AnnualResultPage, summary="年检结果（分批公布）", tags=["annual-results"])
def annual_results(request, filters: Query[Filters]):
    """Results of annual inspections published as a numbered batch (nothing of a plan still open); dates filter
    by the batch's publication time; the reasons of 基本合格 and 不合格 only."""
    return _page(request, "annual-results", filters)


# ---- the nightly bulk files (publicity/bulk.py writes them) ----------------------------------------------------


class BulkFileOut(Schema):
    region_code: str
    region_name: str
    dataset: str
    title: str
    format: Literal["csv", "json"]
    url: str
    size: int
    rows: int
    sha256: str
    generated_at: str


class BulkIndex(Schema):
    license: str
    license_url: str
    total: int
    files: list[BulkFileOut]


class BulkFilters(Schema):
    region: str = Field("", max_length=12, pattern=r"^\d{0,12}$", description="区划代码前缀，如 3701（济南市）")


def bulk_file_url(row: BulkFile) -> str:
    return reverse("publicity:open_data_bulk_file", args=[row.region_id, row.dataset, row.format])


def bulk_index(*, region: str = "") -> list[dict]:
    """The current bulk files (one query), each with its stable URL."""
    queryset = BulkFile.objects.select_related("region").order_by("region_id", "dataset", "format")
    if region:
        queryset = queryset.filter(region__code__startswith=region)
    return [{
        "region_code": row.region_id, "region_name": row.region.name, "dataset": row.dataset,
        "title": DATASETS[row.dataset].title if row.dataset in DATASETS else row.dataset, "format": row.format,
        "url": bulk_file_url(row), "size": row.size, "rows": row.rows, "sha256": row.sha256,
        "generated_at": _local(row.generated_at),
    } for row in queryset]


@api.get("/bulk", response=BulkIndex, summary="按区县的批量数据文件（每晚生成）", tags=["bulk"])
def bulk(request, filters: Query[BulkFilters]):
    """Every county's file of every dataset, CSV and JSON, written each night with the rows the datasets above
    give for `region=<county>`: its stable URL, size in bytes, row count, generation time and SHA-256."""
    files = bulk_index(region=filters.region)
    body = {"license": LICENSE, "license_url": LICENSE_URL, "total": len(files), "files": files}
    return _cors(api.create_response(request, body, status=200))


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the datasets above (paths as mounted, /public/api/v1/...)."""
    schema = api.get_openapi_schema()
    schema["info"]["license"] = {"name": LICENSE, "url": LICENSE_URL}
    return schema
