"""Reads for publicity. Public selectors return only published data, as plain dicts of public fields,
so that no staff field (internal remarks, drafts, reporter identity) can reach a public page or download.
"""

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from inspections import selectors as inspection_selectors
from institutions.models import Category, Institution, Licence, StudentStage
from institutions.validators import normalize_credit_code
from regulator.models import Region, RegionLevel
from regulator.prepared import Prepared
from regulator.textnorm import search_text

from .models import (
    PUBLIC_STATUSES,
    Batch,
    BlackCategory,
    EntryStatus,
    ListEntry,
    ListKind,
    Report,
    ReportAttachment,
    ReportStep,
    ReportTopic,
)

PUBLIC_PAGE_SIZE = 20
PUBLIC_MAX_PAGE = 500
OPEN_DATA_PAGE_SIZE = 500
OPEN_DATA_MAX_PAGE = 2000
STALE_INSPECTION_DAYS = 365

_STAGE_FIELD = {
    StudentStage.PRESCHOOL: "institution__serves_preschool",
    StudentStage.COMPULSORY: "institution__serves_compulsory",
    StudentStage.SENIOR_HIGH: "institution__serves_senior_high",
}

# The public columns of an entry, in the order of the legacy open-data files (entries.json/.csv).
PUBLIC_ENTRY_FIELDS = {
    "entry_id": "id",
    "version": "version",
    "supersedes_id": "supersedes_id",
    "list_kind": "list_kind",
    "black_category": "black_category",
    "institution_id": "institution_id",
    "institution_name": "institution__name",
    "credit_code": "institution__credit_code",
    "address": "institution__address",
    "region_code": "institution__region_id",
    "region_name": "institution__region__name",
    "category": "institution__category",
    "reason": "reason",
    "handling_result": "handling_result",
    "is_typical_case": "is_typical_case",
    "published_at": "published_at",
    "batch_number": "batch__number",
    "batch_id": "batch_id",
}


def published_entries() -> QuerySet:
    """Entries the public sees now: published (or with removal pending) and not replaced by a correction."""
    return ListEntry.objects.filter(status__in=PUBLIC_STATUSES, superseded_at__isnull=True)


def _entry_filter_values(*, q: str, credit_code: str, region: str, category: str, black_category: str) -> dict:
    """The values the public list filters by, normalised: what the query's parameters are made of."""
    values = {}
    if credit_code:
        values["credit_code"] = normalize_credit_code(credit_code)
    term = q.strip()
    if term:
        code = normalize_credit_code(term)
        if len(code) == 18 and code.isalnum():
            values["code"] = code
        else:
            # A Traditional-script or full-width query finds the register's Simplified names (and, typed as
            # stored, the names kept in Traditional script too).
            for number, each in enumerate(sorted({term, search_text(term)})):
                values[f"term{number}"] = each
    for name, value in (("region", region), ("category", category), ("black_category", black_category)):
        if value:
            values[name] = value
    return values


def _entries_filtered_by(values: dict, *, list_kind, students: str, typical_only: bool) -> QuerySet:
    """The published entries filtered by normalised values (_entry_filter_values), with no further change to them:
    the same function builds a prepared query from markers (public_list_page)."""
    queryset = published_entries()
    if list_kind:
        queryset = queryset.filter(list_kind=list_kind)
    if "credit_code" in values:
        queryset = queryset.filter(institution__credit_code=values["credit_code"])
    if "code" in values:
        queryset = queryset.filter(institution__credit_code=values["code"])
    terms = [value for name, value in sorted(values.items()) if name.startswith("term")]
    if terms:
        match = Q()
        for each in terms:
            match |= Q(institution__name__contains=each) | Q(institution__address__contains=each)
        queryset = queryset.filter(match)
    if "region" in values:
        queryset = queryset.filter(institution__region__code__startswith=values["region"])
    if "category" in values:
        queryset = queryset.filter(institution__category=values["category"])
    if students:
        queryset = queryset.filter(**{_STAGE_FIELD[students]: True})
    if "black_category" in values:
        queryset = queryset.filter(black_category=values["black_category"])
    if typical_only:
        queryset = queryset.filter(list_kind=ListKind.BLACK, is_typical_case=True)
    return queryset


def public_entries_filtered(
    *,
    list_kind: str | None = None,
    q: str = "",
    credit_code: str = "",
    region: str = "",
    category: str = "",
    students: str = "",
    black_category: str = "",
    typical_only: bool = False,
) -> QuerySet:
    values = _entry_filter_values(q=q, credit_code=credit_code, region=region, category=category,
                                  black_category=black_category)
    return _entries_filtered_by(values, list_kind=list_kind, students=students, typical_only=typical_only)


# Prepared public list queries (regulator/prepared.py), one per shape: which filters apply, how many terms, the
# list, the audience, the page. A few hundred shapes at most (the page is bounded by PUBLIC_MAX_PAGE).
_LIST_PAGES: dict[tuple, Prepared] = {}
_LIST_PAGES_KEPT = 1024
# Marker values: letters no name, address or code holds, upper case and 18 long where a credit code is expected.
_MARKERS = {"credit_code": "QZXQZXQZXQZXQZXQZ1", "code": "QZXQZXQZXQZXQZXQZ2", "term0": "qzxmarkerterm0",
            "term1": "qzxmarkerterm1", "region": "qzxmarkerregion", "category": "qzxmarkercategory",
            "black_category": "qzxmarkerblack"}


def public_list_page(*, page: int, size: int = PUBLIC_PAGE_SIZE, list_kind: str | None = None, q: str = "",
                     credit_code: str = "", region: str = "", category: str = "", students: str = "",
                     black_category: str = "", typical_only: bool = False) -> tuple[list[dict], bool]:
    """public_entry_page(public_entries_filtered(…)) with the query compiled once per shape in this process: the
    ORM's building and compiling of this four-table query was half an uncached public list page's time."""
    values = _entry_filter_values(q=q, credit_code=credit_code, region=region, category=category,
                                  black_category=black_category)
    offset = (page - 1) * size
    shape = (list_kind, students, typical_only, tuple(sorted(values)), offset, size)
    prepared = _LIST_PAGES.get(shape)
    if prepared is None:
        markers = {name: _MARKERS[name] for name in values}

        def build(**marked):
            queryset = _entries_filtered_by(marked, list_kind=list_kind, students=students, typical_only=typical_only)
            return (queryset.order_by("-published_at", "-id")[offset : offset + size + 1]
                    .values_list(*PUBLIC_ENTRY_FIELDS.values()))

        prepared = Prepared(ListEntry, build, markers)
        if len(_LIST_PAGES) >= _LIST_PAGES_KEPT:
            _LIST_PAGES.clear()
        _LIST_PAGES[shape] = prepared
    keys = list(PUBLIC_ENTRY_FIELDS)
    rows = [dict(zip(keys, row, strict=True)) for row in prepared.rows(**values)]
    return _labelled(rows[:size]), len(rows) > size


def _labelled(rows: list[dict]) -> list[dict]:
    if not rows:
        return rows
    # Each label translated once a page, not once a row (the labels are lazy).
    kinds, blacks, categories = ({value: str(label) for value, label in choices}
                                 for choices in (ListKind.choices, BlackCategory.choices, Category.choices))
    for row in rows:
        row["list_kind_label"] = kinds.get(row["list_kind"], "")
        row["black_category_label"] = blacks.get(row["black_category"], "")
        row["category_label"] = categories.get(row["category"], "")
    return rows


def _public_values(queryset) -> list[dict]:
    """Rows as dicts keyed by the open-data column names, holding only the public columns."""
    paths = list(PUBLIC_ENTRY_FIELDS.values())
    keys = list(PUBLIC_ENTRY_FIELDS)
    return [dict(zip(keys, values, strict=True)) for values in queryset.values_list(*paths)]


def public_entry_page(
    queryset: QuerySet, *, page: int, size: int = PUBLIC_PAGE_SIZE
) -> tuple[list[dict], bool]:
    """One bounded page (newest first) of public entry dicts, and whether a next page exists. One query."""
    offset = (page - 1) * size
    rows = _public_values(queryset.order_by("-published_at", "-id")[offset : offset + size + 1])
    return _labelled(rows[:size]), len(rows) > size


def public_regions() -> list[tuple[str, str]]:
    """Regions offered in the public filters (prefecture and county levels)."""
    rows = Region.objects.filter(level__in=(RegionLevel.PREFECTURE, RegionLevel.COUNTY)).order_by("code")
    return [
        (region.code, ("　" if region.level == RegionLevel.COUNTY else "") + region.name)
        for region in rows.only("code", "name", "level")
    ]


def public_institution(*, institution_id: int) -> Institution | None:
    """An institution has a public page once it has had a published entry (current, corrected or removed), a
    published spot-check result or a result in a published annual-inspection batch (public_institution_ids)."""
    return (
        Institution.objects.filter(public_institution_ids(), pk=institution_id)
        .select_related("region")
        .only(
            "id",
            "name",
            "credit_code",
            "address",
            "region__name",
            "region__code",
            "category",
            "serves_preschool",
            "serves_compulsory",
            "serves_senior_high",
            "operating_state",
            "licence_standing",
        )
        .first()
    )


def published_spot_checks(*, institution_id: int) -> list[dict]:
    """Published double-random results (date, outcome) of the institution (inspections.selectors)."""
    return list(inspection_selectors.published_spot_check_results(institution_id=institution_id))


def last_inspection_date(*, institution_id: int) -> date | None:
    """The date of the institution's last completed inspection (inspections.selectors)."""
    return inspection_selectors.last_inspection_date(institution_id=institution_id)


def institution_public_page(*, institution: Institution, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    licences = list(
        Licence.objects.filter(institution_id=institution.pk)
        .only("kind", "number", "issuer_name", "issued_on", "valid_until", "state")
        .order_by("kind", "-issued_on")
    )
    current = _labelled(
        _public_values(published_entries().filter(institution_id=institution.pk).order_by("-published_at"))
    )
    removed = list(
        ListEntry.objects.filter(
            institution_id=institution.pk, status=EntryStatus.REMOVED, superseded_at__isnull=True
        )
        .order_by("-removed_at")
        .values("list_kind", "published_at", "removed_at")
    )
    last_inspection = last_inspection_date(institution_id=institution.pk)
    white_since = next((row["published_at"] for row in current if row["list_kind"] == ListKind.WHITE), None)
    return {
        "white_since": white_since,
        "licences": licences,
        "current_entries": current,
        "removed_entries": removed,
        "spot_checks": published_spot_checks(institution_id=institution.pk),
        "last_inspection": last_inspection,
        "inspection_stale": last_inspection is None
        or (today - last_inspection) > timedelta(days=STALE_INSPECTION_DAYS),
    }


def batch_page(*, page: int, size: int = PUBLIC_PAGE_SIZE) -> tuple[list, bool]:
    offset = (page - 1) * size
    rows = list(
        Batch.objects.order_by("-published_at", "-id").only("id", "number", "title", "as_of", "published_at")[
            offset : offset + size + 1
        ]
    )
    return rows[:size], len(rows) > size


def public_report_steps(*, tracking_number: str) -> list[ReportStep]:
    """The report's public steps by its unique tracking number: one indexed query, hit or miss alike."""
    if not tracking_number:
        return []
    return list(
        ReportStep.objects.filter(report__tracking_number=tracking_number)
        .select_related("report")
        .only(
            "status",
            "at",
            "public_note",
            "report__tracking_number",
            "report__status",
            "report__received_at",
            "report__deadline",
            "report__reply",
            "report__replied_at",
            "report__closed_at",
        )
        .order_by("at", "id")
    )


# ---- one public search over every institution with a public page ------------------------------------------

SEARCH_PAGE_SIZE = 20


class ListStatus:
    WHITE = "white"
    BLACK = "black"
    NONE = "none"


def public_institution_ids() -> Q:
    """Institutions with a public page: a list entry once published (current, corrected or removed), or a
    published spot-check result, or a result in a published annual-inspection batch (Institution.has_public_page,
    set by the services that publish them). Nothing else of the register is public."""
    return Q(has_public_page=True)


def public_search(*, q: str = "", region: str = "", category: str = "", list_status: str = "") -> QuerySet:
    """Every institution with a public page matching the filters (public_search_page reads one page of it, with
    each row's list status and last inspection)."""
    current = published_entries().filter(institution_id=OuterRef("pk"))
    queryset = Institution.objects.filter(public_institution_ids())
    term = q.strip()
    if term:
        code = normalize_credit_code(term)
        if len(code) == 18 and code.isalnum():
            queryset = queryset.filter(credit_code=code)
        else:
            match = Q()
            for each in {term, search_text(term)}:
                match |= Q(name__contains=each) | Q(address__contains=each)
            queryset = queryset.filter(match)
    if region:
        queryset = queryset.filter(region__code__startswith=region)
    if category:
        queryset = queryset.filter(category=category)
    white, black = Exists(current.filter(list_kind=ListKind.WHITE)), Exists(current.filter(list_kind=ListKind.BLACK))
    if list_status == ListStatus.WHITE:
        queryset = queryset.filter(white)
    elif list_status == ListStatus.BLACK:
        queryset = queryset.filter(black)
    elif list_status == ListStatus.NONE:
        queryset = queryset.filter(~white, ~black)
    return queryset


def public_search_page(queryset: QuerySet, *, page: int, size: int = SEARCH_PAGE_SIZE) -> tuple[list, bool]:
    """One page of search results by name, each labelled for the page: the page's ids, then those rows with their
    list status and last inspection (two queries). In one query PostgreSQL computed the list status of every match
    before the LIMIT, hashing all the published entries (~50 ms a search at 100,000 institutions)."""
    offset = (page - 1) * size
    ids = list(queryset.order_by("name", "id").values_list("pk", flat=True)[offset: offset + size + 1])
    has_next = len(ids) > size
    ids = ids[:size]
    if not ids:
        return [], has_next
    current = published_entries().filter(institution_id=OuterRef("pk"))
    found = {row.pk: row for row in (
        Institution.objects.filter(pk__in=ids)
        .select_related("region")
        .only("id", "name", "credit_code", "address", "region__name", "category", "licence_standing",
              "operating_state")
        .annotate(on_white=Exists(current.filter(list_kind=ListKind.WHITE)),
                  on_black=Exists(current.filter(list_kind=ListKind.BLACK)),
                  **inspection_selectors.last_inspection_annotations())
    )}
    rows = [found[pk] for pk in ids if pk in found]
    for row in rows:
        row.list_status = ListStatus.BLACK if row.on_black else ListStatus.WHITE if row.on_white else ListStatus.NONE
        row.last_inspected_on = timezone.localdate(row.last_inspected_at) if row.last_inspected_at else None
        row.last_check_on = timezone.localdate(row.last_check_at) if row.last_check_at else None
        row.last_check_result = inspection_selectors.public_outcome(row.last_check_outcome)
    return rows, has_next


def reported_off_account_charges(*, since) -> QuerySet:
    """Parents' reports of a charge outside the supervised account (收费未进入监管账户) about a registered institution,
    received since `since`, for the fund alert job: the charge as reported and whether a transfer screenshot came
    with it — never the reporter (no name, phone, tracking number or the screenshot itself), so what the fund staff
    see of a report stays within the report's own rules (permissions.can_see_reporter_identity)."""
    proof = ReportAttachment.objects.filter(report=OuterRef("pk"), is_payment_proof=True)
    return (Report.objects.filter(topic=ReportTopic.OFF_ACCOUNT, institution__isnull=False, received_at__gte=since)
            .annotate(has_proof=Exists(proof))
            .values("pk", "institution_id", "charge_amount", "charge_paid_on", "charge_payee", "received_at",
                    "has_proof")
            .order_by("pk"))
