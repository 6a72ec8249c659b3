"""What every penalties service shares: the audit snapshot, the clock and the validation of deadlines
(money amounts are parsed by the forms' DecimalField). Refusals are regulator.errors' ServiceError and
its subclasses."""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator import uploads
from regulator.audit import snapshot
from regulator.errors import ServiceError

from .. import conf


def _checked_file(upload, *, accept, field: str):
    """An uploaded file decoded by regulator.uploads (images re-encoded, their EXIF kept: staff-only evidence),
    before anything is written; None when there is none."""
    if not upload:
        return None
    try:
        return uploads.check(upload, accept=accept, keep_metadata=True)
    except uploads.UploadRefused as error:
        raise ServiceError(error.message, field=field) from None


def _snap(instance) -> dict:
    """regulator.audit.snapshot, except that an empty file field (which it cannot read) is written as ""."""
    concrete = instance._meta.concrete_fields
    files = [f.name for f in concrete if isinstance(f, models.FileField)]
    data = snapshot(instance, fields=[f.name for f in concrete if f.name not in files])
    for field in concrete:
        if field.name in files:
            # The stored name, not getattr(): a FieldFile bound to the row makes a reference cycle that keeps
            # every order of a chaser run alive until the next full garbage collection.
            raw = instance.__dict__.get(field.attname)
            data[field.name] = str(getattr(raw, "name", raw) or "")
    return data


def _now(now=None) -> datetime.datetime:
    return now or timezone.now()


def _today(now=None) -> datetime.date:
    return timezone.localdate(_now(now))


def validate_deadline(deadline, today: datetime.date) -> datetime.date:
    if not isinstance(deadline, datetime.date):
        raise ServiceError(_("请填写有效的整改期限（日期）。"), field="deadline")
    days = (deadline - today).days
    if days < 1:
        raise ServiceError(_("整改期限不能早于明天（不能是过去或今天）。"), field="deadline")
    if days > conf.max_deadline_days():
        raise ServiceError(
            _("整改期限最长为%(days)d天。") % {"days": conf.max_deadline_days()}, field="deadline"
        )
    return deadline


