"""Export of the filtered register as .xlsx (re-importable: the ledger's own columns) and streamed .csv.

Both walk the queryset with `.iterator()` and prefetch the licences per chunk, so an export costs a few
queries per 2,000 rows and constant memory on the Python side.
"""

import csv
from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.utils import translation

from regulator.spreadsheets import csv_cell

from .ledger import columns as ledger
from .ledger.template import workbook_file
from .models import Institution, Licence

EXPORT_MAX_ROWS = 100_000
ITERATOR_CHUNK = 2000
EXPORT_COLUMNS: list[str] = ledger.COLUMNS + ledger.EXPORT_EXTRA_COLUMNS
_LICENCE_COLUMNS = {kind: (number, issued, until) for kind, number, issued, until in ledger.LICENCE_COLUMNS}


def export_queryset(queryset: QuerySet) -> QuerySet:
    licences = Licence.objects.filter(kind__in=list(_LICENCE_COLUMNS)).order_by("kind", "-issued_on", "-id")
    return (queryset.select_related("region")
            .prefetch_related(Prefetch("licences", queryset=licences, to_attr="ledger_licences"))
            .order_by("id"))


def exceeds_limit(queryset: QuerySet, limit: int | None = None) -> bool:
    """True when there are more rows than an export may hold; reads at most limit+1 index entries."""
    limit = limit or EXPORT_MAX_ROWS
    return queryset.order_by().values("pk")[limit:limit + 1].exists()


def _stages(institution: Institution) -> str:
    return "、".join(ledger.short_label(str(label)) for label in institution.students_served)


def _short(label) -> str:
    return ledger.short_label(str(label))


def institution_row(institution: Institution) -> dict[str, object]:
    """One row of the ledger, keyed by header string; labels in Chinese whatever the user's language."""
    row = {
        ledger.NAME: institution.name,
        ledger.CREDIT_CODE: institution.credit_code,
        ledger.ORGANISER: institution.organiser,
        ledger.LEGAL_REP: institution.legal_representative,
        ledger.PHONE: institution.contact_phone,
        ledger.ADDRESS: institution.address,
        ledger.REGION: institution.region_id,
        ledger.PREMISES: str(institution.get_premises_type_display()),
        ledger.CATEGORY: str(institution.get_category_display()),
        ledger.STAGES: _stages(institution),
        ledger.DELIVERY: str(institution.get_delivery_display()),
        ledger.PROFIT: _short(institution.get_profit_type_display()),
        ledger.STATE: str(institution.get_operating_state_display()),
        ledger.NOTES: institution.notes,
        "证照情况": str(institution.get_licence_standing_display()),
        "所在区划名称": institution.region.name,
    }
    done = set()
    for licence in getattr(institution, "ledger_licences", []):
        if licence.kind in done:
            continue  # the latest licence of each kind; older ones stay on the institution's page
        done.add(licence.kind)
        number, issued, until = _LICENCE_COLUMNS[licence.kind]
        row.update({number: licence.number, issued: licence.issued_on, until: licence.valid_until})
    return row


def iter_rows(queryset: QuerySet) -> Iterator[dict[str, object]]:
    with translation.override("zh-hans"):
        for institution in export_queryset(queryset).iterator(chunk_size=ITERATOR_CHUNK):
            yield institution_row(institution)


def xlsx_file(queryset: QuerySet, *, caption=()):
    """A temporary file holding the workbook (under its title block, which the importer skips), rewound; the
    caller streams and closes it."""
    return workbook_file(iter_rows(queryset), columns=EXPORT_COLUMNS, caption=caption)


class _Echo:
    def write(self, value):
        return value


def csv_lines(queryset: QuerySet) -> Iterator[str]:
    """UTF-8 with a byte-order mark so Excel opens the Chinese correctly; dates as YYYY-MM-DD."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    names = [ledger.normalize_header(header) for header in EXPORT_COLUMNS]
    for row in iter_rows(queryset):
        yield writer.writerow([csv_cell(row.get(name)) for name in names])
