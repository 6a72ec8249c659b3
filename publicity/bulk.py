"""Nightly bulk files of open data: for every county with public data and every dataset of publicity/api.py, a
CSV and a JSON file in the default storage (file system or S3), listed with size, row count, generation time and
SHA-256 at /public/open-data/bulk/ and /public/api/v1/bulk, each behind a stable URL
(/public/open-data/bulk/<county>/<dataset>.<csv|json>).

The rows are the API's (the same queryset and row function per dataset), so a file says what the API says for
`region=<county>`. A file is regenerated atomically: the new content is written under a name of its own (its
SHA-256 in the name), then the `BulkFile` row is switched to it in one transaction, and only then is the old file
deleted; a reader holding the old URL gets the old or the new file, never half of one. The same content is not
written again (idempotent: a second run over unchanged data writes nothing). The beat job
(publicity.periodic.write_bulk_files) and `manage.py write_open_data_files` hold an advisory lock.
"""

import csv
import hashlib
import io
import json
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from regulator.locks import advisory_lock
from regulator.models import Region, RegionLevel

from .api import DATASETS, LICENSE, LICENSE_URL, Dataset, Filters, csv_header, csv_row
from .models import BulkFile

log = logging.getLogger(__name__)

FORMATS = ("csv", "json")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
FOLDER = "open-data"
LOCK = "publicity.write_bulk_files"


@dataclass
class Outcome:
    written: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: bool = False


def counties_with_public_data() -> list[Region]:
    """The counties under which some dataset has a row (one query per dataset, plus the counties)."""
    counties = {region.code: region for region in Region.objects.filter(level=RegionLevel.COUNTY)}
    found: set[str] = set()
    for data in DATASETS.values():
        codes = data.rows(Filters()).order_by().values_list(data.region_field, flat=True).distinct()
        for code in codes:
            county = _county_of(code or "", counties)
            if county:
                found.add(county)
    return [counties[code] for code in sorted(found)]


def _county_of(code: str, counties: dict[str, Region]) -> str | None:
    if code[:6] in counties:
        return code[:6]
    return next((county for county in counties if code.startswith(county)), None)


def render(data: Dataset, region: Region) -> tuple[dict[str, bytes], int]:
    """The dataset's rows under the county as CSV (the API's, with its BOM and 中文/English headers) and JSON."""
    rows = [data.row_of(item) for item in data.rows(Filters(region=region.code)).iterator(chunk_size=2000)]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(csv_header(data.columns))
    for row in rows:
        writer.writerow(csv_row(row, data.columns))
    document = {
        "dataset": data.code, "title": data.title, "region_code": region.code, "region_name": region.name,
        "license": LICENSE, "license_url": LICENSE_URL, "total": len(rows), "results": rows,
    }
    return {
        "csv": buffer.getvalue().encode("utf-8"),
        "json": json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
    }, len(rows)


def _store(region: Region, data: Dataset, fmt: str, content: bytes, rows: int, now) -> bool:
    """Write the file unless the current one has the same SHA-256; True when a new file was switched in."""
    digest = hashlib.sha256(content).hexdigest()
    current = BulkFile.objects.filter(region=region, dataset=data.code, format=fmt).first()
    if current is not None and current.sha256 == digest and default_storage.exists(current.file.name):
        return False
    name = default_storage.save(f"{FOLDER}/{region.code}/{data.code}-{digest[:16]}.{fmt}", ContentFile(content))
    with transaction.atomic():
        BulkFile.objects.update_or_create(
            region=region, dataset=data.code, format=fmt,
            defaults={"file": name, "size": len(content), "rows": rows, "sha256": digest, "generated_at": now})
    if current is not None and current.file.name != name:
        default_storage.delete(current.file.name)
    return True


def _sweep(region_codes: set[str]) -> int:
    """Delete what no row points at: rows of counties without public data any more, and stray files (a run
    killed between writing a file and switching the row to it)."""
    deleted = 0
    for row in BulkFile.objects.exclude(region_id__in=region_codes):
        default_storage.delete(row.file.name)
        row.delete()
        deleted += 1
    kept = set(BulkFile.objects.values_list("file", flat=True))
    try:
        folders, _files = default_storage.listdir(FOLDER)
    except (FileNotFoundError, NotImplementedError):
        return deleted
    for folder in folders:
        _sub, files = default_storage.listdir(f"{FOLDER}/{folder}")
        for file in files:
            name = f"{FOLDER}/{folder}/{file}"
            if name not in kept:
                default_storage.delete(name)
                deleted += 1
    return deleted


def write_bulk_files(*, now=None) -> Outcome:
    """Every county with public data × every dataset × CSV and JSON; under the advisory lock (a second run at
    the same time returns at once, `skipped`)."""
    outcome = Outcome()
    with advisory_lock(LOCK) as acquired:
        if not acquired:
            outcome.skipped = True
            return outcome
        now = now or timezone.now()
        counties = counties_with_public_data()
        for region in counties:
            for data in DATASETS.values():
                contents, rows = render(data, region)
                for fmt in FORMATS:
                    if _store(region, data, fmt, contents[fmt], rows, now):
                        outcome.written += 1
                    else:
                        outcome.unchanged += 1
        outcome.deleted = _sweep({region.code for region in counties})
    log.info("open data bulk files: %s written, %s unchanged, %s deleted", outcome.written, outcome.unchanged,
             outcome.deleted)
    return outcome
