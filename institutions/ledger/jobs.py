"""The import job's services (see the package's doc): `import_upload`, `import_confirm`, `import_cancel`, and
`progress` for the page that polls. The work of the two Celery tasks they queue is in work.py.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ServiceError

from .. import permissions
from ..audit_kinds import InstitutionsAuditKind
from ..models import ImportJob, ImportJobState
from .tasks import run_import, validate_import

logger = logging.getLogger(__name__)

# Errors kept in the stored report; the counts stay exact beyond it.


class ImportJobError(ServiceError):
    """A step on an import job that is not allowed now, with a message for the user."""






# ---- services: upload, validate, confirm, cancel, import -------------------------------------------

@transaction.atomic
def import_upload(*, actor, uploaded_file) -> ImportJob:
    """Store the workbook and queue its validation. Nothing is written to the register."""
    if not permissions.can_import_register(actor):
        raise PermissionDenied(_("您的部门无权导入台账。"))
    job = ImportJob(department_id=actor.department_id, original_name=uploaded_file.name[:200],
                    created_by=actor, updated_by=actor)
    job.file.save(uploaded_file.name, uploaded_file, save=False)
    job.save()
    transaction.on_commit(lambda: validate_import.delay(job.pk))
    return job




def _job_for(actor, job_id: int) -> ImportJob:
    """The job, locked, if it belongs to the actor's department; DoesNotExist otherwise (the view's 404)."""
    return ImportJob.objects.select_for_update().get(pk=job_id, department_id=actor.department_id)


@transaction.atomic
def import_confirm(*, actor, job_id: int) -> tuple[ImportJob, bool]:
    """The user confirms the valid rows. Returns (job, started); confirming twice does nothing."""
    if not permissions.can_import_register(actor):
        raise PermissionDenied(_("您的部门无权导入台账。"))
    job = _job_for(actor, job_id)
    if job.state in (ImportJobState.IMPORTING, ImportJobState.DONE):
        return job, False
    if job.state != ImportJobState.VALIDATED:
        raise ImportJobError(_("该导入当前为“%(state)s”，不能确认导入。")
                             % {"state": job.get_state_display()})
    if job.valid_rows == 0:
        raise ImportJobError(_("没有可导入的有效记录。请修正文件后重新上传。"))
    job.state = ImportJobState.IMPORTING
    job.confirmed_by, job.confirmed_at, job.updated_by = actor, timezone.now(), actor
    job.processed_rows = 0
    job.save(update_fields=[
        "state", "confirmed_by", "confirmed_at", "updated_by", "processed_rows", "updated_at"])
    record_event(actor=actor, kind=InstitutionsAuditKind.IMPORT_JOB_CONFIRMED, obj=job,
                 after={"valid_rows": job.valid_rows},
                 summary=_("确认导入台账“%(name)s”：%(count)d 条有效记录") % {"name": job.original_name,
                                                                    "count": job.valid_rows})
    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job, True


CANCELLABLE = frozenset({ImportJobState.VALIDATING, ImportJobState.VALIDATED, ImportJobState.REJECTED})


@transaction.atomic
def import_cancel(*, actor, job_id: int) -> ImportJob:
    if not permissions.can_import_register(actor):
        raise PermissionDenied(_("您的部门无权导入台账。"))
    job = _job_for(actor, job_id)
    if job.state not in CANCELLABLE:
        raise ImportJobError(_("该导入当前为“%(state)s”，不能取消。") % {"state": job.get_state_display()})
    job.state, job.updated_by = ImportJobState.CANCELLED, actor
    job.save(update_fields=["state", "updated_by", "updated_at"])
    return job
















def progress(job: ImportJob) -> dict:
    """What the detail page polls: state and counts, JSON-safe."""
    running = job.state in (ImportJobState.VALIDATING, ImportJobState.IMPORTING)
    total = job.total_rows or 0
    percent = min(100, round(100 * job.processed_rows / total)) if total else (0 if running else 100)
    return {
        "state": job.state, "state_label": str(job.get_state_display()), "running": running,
        "total_rows": total, "processed_rows": job.processed_rows, "valid_rows": job.valid_rows,
        "imported_rows": job.imported_rows, "percent": percent,
    }

