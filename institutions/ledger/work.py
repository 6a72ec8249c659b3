"""The work of the import job's two Celery tasks: `validate_job` (phase 1) and `import_job` (phase 2).

Apart from jobs.py (the services, which queue these tasks), so that the tasks and the module that queues them
do not import each other.
"""

import logging
import tempfile
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulator.audit import record_creation_events, snapshot
from regulator.locks import advisory_lock

from ..audit_kinds import InstitutionsAuditKind
from ..models import ImportJob, ImportJobState, Institution, Licence, LicenceState, RegisterReview
from ..services import compute_standing, today_local
from . import annotated
from .columns import CREDIT_CODE
from .reader import LedgerSheet, WorkbookError, estimated_rows, open_ledger
from .rows import ParsedRow, iter_parsed_chunks

logger = logging.getLogger(__name__)

# Errors kept in the stored report; the counts stay exact beyond it.
REPORT_LIMIT = 2000



def _report_entries(rows: list[ParsedRow], phase: str = "validate") -> list[dict]:
    """The report's entries: refusals ("level": "error") and, at validation, what is imported but put up for
    review ("warning")."""
    entries = []
    for row in rows:
        entries.extend({"row": row.number, "column": column, "reason": reason, "phase": phase, "level": "error"}
                       for column, reason in row.errors)
        if phase == "validate":
            entries.extend({"row": row.number, "column": column, "reason": reason, "phase": phase,
                            "level": "warning"} for column, reason in row.warnings)
    return entries


def read_content(job: ImportJob) -> bytes:
    """The uploaded file as stored (at most IMPORT_MAX_BYTES + 1 bytes: more is refused)."""
    job.file.open("rb")
    try:
        return job.file.read(settings.IMPORT_MAX_BYTES + 1)
    finally:
        job.file.close()





def _report_workbook(job: ImportJob, *, report: list[dict], file_error: str = "") -> str:
    """Write the annotated workbook (annotated.py) to storage and return its name; '' when there is nothing to
    report or the file cannot be read. Built here, in the task, because a 10,000-row workbook takes openpyxl
    seconds to write."""
    if not report and not file_error:
        return ""
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        annotated.write_annotated(target, content=read_content(job), name=job.original_name, report=report,
                                  file_error=file_error, truncated=len(report) >= REPORT_LIMIT)
        target.seek(0)
        if job.report_file:
            job.report_file.delete(save=False)
        job.report_file.save(f"{PurePath(job.original_name).stem}-导入报告.xlsx", File(target), save=False)
        return job.report_file.name
    except Exception as error:  # a file refused because it cannot be read is not readable here either
        logger.info("import job %s: no annotated workbook: %r", job.pk, error)
        return ""
    finally:
        target.close()


def validate_job(job_id: int) -> None:
    """Phase 1: read the file and store the per-row report. Idempotent: only a job still validating runs."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.state != ImportJobState.VALIDATING:
        return
    pending = ImportJob.objects.filter(pk=job_id, state=ImportJobState.VALIDATING)
    ledger = None
    try:
        content = read_content(job)
        if len(content) > settings.IMPORT_MAX_BYTES:
            raise WorkbookError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。") % {
                "mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
        ledger = open_ledger(content, job.original_name)
        pending.update(total_rows=estimated_rows(ledger), processed_rows=0)
        report, valid, total, last_row = [], 0, 0, 1
        with translation.override("zh-hans"):
            for done, chunk in iter_parsed_chunks(ledger, actor=job.created_by):
                valid += sum(1 for row in chunk if row.valid)
                total, last_row = done, chunk[-1].number
                if len(report) < REPORT_LIMIT:
                    report.extend(_report_entries(chunk))
                if not pending.update(processed_rows=done):
                    return  # cancelled meanwhile
        if total == 0:
            raise WorkbookError(_("工作表“%(sheet)s”在表头下没有任何数据行。") % {"sheet": ledger.title})
        report = report[:REPORT_LIMIT]
        with translation.override("zh-hans"):
            report_file = _report_workbook(job, report=report)
        pending.update(state=ImportJobState.VALIDATED, valid_rows=valid, report=report, report_file=report_file,
                       total_rows=total, processed_rows=total, empty_rows=(last_row - 1) - total,
                       updated_at=timezone.now())
    except WorkbookError as error:
        with translation.override("zh-hans"):
            report_file = _report_workbook(job, report=[], file_error=error.message)
        pending.update(state=ImportJobState.REJECTED, file_error=error.message, report_file=report_file,
                       updated_at=timezone.now())
    except Exception:
        logger.exception("validating import job %s failed", job_id)
        pending.update(state=ImportJobState.REJECTED, updated_at=timezone.now(), file_error=_(
            "读取工作簿时出错，文件可能已损坏。请用 Excel 打开并另存为 .xlsx 后重新上传。"))
    finally:
        if ledger is not None:
            ledger.close()










def _build(row: ParsedRow, *, actor, today: date) -> tuple[Institution, list[Licence]]:
    institution = Institution(**row.data, created_by=actor, updated_by=actor)
    licences = []
    for spec in row.licences:
        expired = spec["valid_until"] is not None and spec["valid_until"] < today
        licences.append(Licence(
            kind=spec["kind"], number=spec["number"], issued_on=spec["issued_on"],
            valid_until=spec["valid_until"], state=LicenceState.EXPIRED if expired else LicenceState.VALID,
            created_by=actor, updated_by=actor))
    institution.licence_standing = compute_standing(licences, today)
    return institution, licences


def _creation_event(institution: Institution, licences: list[Licence], *, job: ImportJob) -> tuple:
    """(institution, after, summary) of a new institution's first audit event, for record_creation_events."""
    after = {**snapshot(institution), "licences": [snapshot(licence) for licence in licences]}
    summary = _("台账导入登记机构：%(name)s（导入批次 %(job)d）") % {"name": institution.name, "job": job.pk}
    return institution, after, summary


def _write_rows(rows: list[ParsedRow], *, actor, job: ImportJob) -> int:
    """Insert institutions, their licences and their audit events: three bulk inserts for the chunk."""
    today, now = today_local(), timezone.now()
    built = [_build(row, actor=actor, today=today) for row in rows]
    institutions = Institution.objects.bulk_create([institution for institution, _l in built])
    all_licences = []
    for institution, licences in built:
        for licence in licences:
            licence.institution = institution
        all_licences.extend(licences)
    Licence.objects.bulk_create(all_licences)
    # Flagged rows (名称疑含地址) are put up for review by the importing department: 台账导入待核对.
    RegisterReview.objects.bulk_create([
        RegisterReview(institution=institution, department_id=actor.department_id, import_job=job,
                       reason=reason[:200], created_by=actor, updated_by=actor)
        for (institution, _licences), row in zip(built, rows, strict=True) for _column, reason in row.warnings])
    record_creation_events(
        actor=actor, kind=InstitutionsAuditKind.INSTITUTION_CREATED, now=now,
        created=[_creation_event(institution, licences, job=job) for institution, licences in built])
    return len(institutions)


def _write_rows_one_by_one(rows: list[ParsedRow], *, actor, job: ImportJob) -> list[ParsedRow]:
    """Rare path after a conflict with a concurrent writer: each row whole or not at all.

    Returns the rows refused."""
    refused = []
    for row in rows:
        try:
            with transaction.atomic():
                _write_rows([row], actor=actor, job=job)
        except IntegrityError:
            row.error(CREDIT_CODE, _("与同时进行的其他录入冲突（统一社会信用代码或证号重复），未导入。"))
            refused.append(row)
    return refused


def import_job(job_id: int) -> None:
    """Phase 2: write the confirmed rows chunk by chunk. Idempotent and resumable (see the module doc)."""

    with advisory_lock(f"institutions.import_job.{job_id}") as acquired:
        if not acquired:
            return
        job = ImportJob.objects.select_related("confirmed_by").get(pk=job_id)
        if job.state != ImportJobState.IMPORTING:
            return
        actor, ledger = job.confirmed_by, None
        try:
            ledger = open_ledger(read_content(job), job.original_name)
            with translation.override("zh-hans"):
                _import_chunks(job, ledger, actor=actor)
        except Exception as error:
            logger.exception("import job %s failed", job_id)
            message = error.message if isinstance(error, WorkbookError) else _("导入过程中出错。")
            ImportJob.objects.filter(pk=job_id, state=ImportJobState.IMPORTING).update(
                state=ImportJobState.FAILED, updated_at=timezone.now(), finished_at=timezone.now(),
                file_error=message + _("已导入的记录保留，其余未导入。"))
        finally:
            if ledger is not None:
                ledger.close()


def _import_chunks(job: ImportJob, ledger: LedgerSheet, *, actor) -> None:
    start = job.processed_rows
    for done, chunk in iter_parsed_chunks(ledger, actor=actor, skip_rows=start):
        with transaction.atomic():
            locked = (ImportJob.objects.select_for_update().only("state", "imported_rows", "report")
                      .get(pk=job.pk))
            if locked.state != ImportJobState.IMPORTING:
                return
            # Rows that were valid at validation but are not now (e.g. registered meanwhile) are reported.
            newly_invalid = [row for row in chunk if not row.valid and _was_valid(job, row)]
            valid = [row for row in chunk if row.valid]
            imported = 0
            if valid:
                try:
                    with transaction.atomic():
                        imported = _write_rows(valid, actor=actor, job=job)
                except IntegrityError:
                    refused = _write_rows_one_by_one(valid, actor=actor, job=job)
                    newly_invalid += refused
                    imported = len(valid) - len(refused)
            fields = {"processed_rows": done, "imported_rows": locked.imported_rows + imported,
                      "updated_at": timezone.now()}
            if newly_invalid and len(locked.report) < REPORT_LIMIT:
                fields["report"] = locked.report + _report_entries(newly_invalid, phase="import")
            ImportJob.objects.filter(pk=job.pk).update(**fields)
    finished = ImportJob.objects.filter(pk=job.pk, state=ImportJobState.IMPORTING).update(
        state=ImportJobState.DONE, processed_rows=job.total_rows, updated_at=timezone.now(),
        finished_at=timezone.now())
    job.refresh_from_db(fields=["report", "report_file"])
    if finished and any(entry.get("phase") == "import" for entry in job.report):
        # Rows refused at import time join the workbook's reasons.
        ImportJob.objects.filter(pk=job.pk).update(report_file=_report_workbook(job, report=job.report))


def _was_valid(job: ImportJob, row: ParsedRow) -> bool:
    rows_in_report = job.__dict__.setdefault("_rows_in_report", {
        entry["row"] for entry in job.report if entry.get("level", "error") == "error"})
    return row.number not in rows_in_report



