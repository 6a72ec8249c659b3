"""Approval and service (送达) of the documents that orders and suspension notices share: the numbered
approval with its public verification record, the proof of service, and the PDF queued after commit."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator import uploads
from regulator.audit import record_event
from regulator.documents import register_document
from regulator.errors import ServiceError, TransitionNotAllowed

from .. import conf
from ..models import ElectronicServiceConsent, ServiceMethod, ServiceRecord
from ..tasks import render_pdf
from .common import _checked_file, _now, _snap
from .numbering import _assign_number


def _queue_pdf(kind: str, object_id: int) -> None:
    transaction.on_commit(lambda: render_pdf.delay(kind, object_id))


def _validate_service(*, data: dict, issued_at, now) -> dict:
    """送达回证 rules (行政处罚法 Art 61, which follows 民事诉讼法 on service): time to the minute, not in the future
    or before issue; 留置送达 (also where the receiver refused) needs a witness and a photo; 公告送达 counts as served
    PENALTIES_PUBLIC_NOTICE_DAYS after the notice, which `served_at` then dates, and cannot be recorded as served
    before; electronic service needs the addressee's recorded consent (checked in _record_service)."""
    served_at = data.get("served_at")
    if not isinstance(served_at, datetime.datetime):
        raise ServiceError(_("请填写送达时间。"), field="served_at")
    if timezone.is_naive(served_at):
        served_at = timezone.make_aware(served_at)
    served_at = served_at.replace(second=0, microsecond=0)
    if served_at > _now(now) + datetime.timedelta(minutes=5):
        raise ServiceError(_("送达时间不能晚于现在。"), field="served_at")
    if issued_at and served_at < issued_at.replace(second=0, microsecond=0):
        raise ServiceError(_("送达时间不能早于文书批准时间。"), field="served_at")
    method = data.get("method")
    if method not in ServiceMethod.values:
        raise ServiceError(_("请选择送达方式。"), field="method")
    refused = bool(data.get("refused"))
    witness = (data.get("witness_name") or "").strip()
    receiver = (data.get("receiver_name") or "").strip()
    if refused and method != ServiceMethod.LEFT_WITH_WITNESS:
        raise ServiceError(_("拒绝签收的，送达方式应为留置送达。"), field="method")
    if method == ServiceMethod.LEFT_WITH_WITNESS and not witness:
        raise ServiceError(_("留置送达须有见证人在场，请填写见证人。"), field="witness_name")
    if method in (ServiceMethod.IN_PERSON, ServiceMethod.POST) and not refused and not receiver:
        raise ServiceError(_("请填写签收人。"), field="receiver_name")
    photo = _checked_file(data.get("photo"), accept={uploads.IMAGE}, field="photo")
    if method == ServiceMethod.LEFT_WITH_WITNESS and photo is None:
        raise ServiceError(_("留置送达须拍照记录送达过程，请上传送达照片。"), field="photo")
    notice_published_at, notice_medium = None, ""
    if method == ServiceMethod.PUBLIC_NOTICE:
        notice_medium = (data.get("notice_medium") or "").strip()
        if not notice_medium:
            raise ServiceError(_("公告送达须填写公告载体（如：本机关公告栏、门户网站）。"), field="notice_medium")
        notice_published_at = served_at
        served_at = notice_published_at + datetime.timedelta(days=conf.public_notice_days())
        if served_at > _now(now):
            raise ServiceError(
                _("公告送达自公告之日起经过%(days)d日视为送达，即%(date)s；期满前不能记录为已送达。")
                % {"days": conf.public_notice_days(), "date": timezone.localtime(served_at).strftime("%Y-%m-%d %H:%M")},
                field="served_at",
            )
    return {
        "served_at": served_at,
        "method": method,
        "refused": refused,
        "witness_name": witness,
        "receiver_name": receiver,
        "receiver_relation": (data.get("receiver_relation") or "").strip(),
        "place": (data.get("place") or "").strip(),
        "co_server_name": (data.get("co_server_name") or "").strip(),
        "remarks": (data.get("remarks") or "").strip(),
        "notice_published_at": notice_published_at,
        "notice_medium": notice_medium,
        "photo": photo,
    }


def electronic_consent(*, institution, at) -> ElectronicServiceConsent | None:
    """The addressee's consent to electronic service in force at `at` (given before, not withdrawn by then)."""
    return (
        ElectronicServiceConsent.objects.filter(institution=institution, consented_at__lte=at)
        .exclude(withdrawn_at__lte=at)
        .order_by("-consented_at")
        .first()
    )


def _record_service(*, actor, document_type, document_id, number, institution, data, now) -> ServiceRecord:
    if ServiceRecord.objects.filter(document_type=document_type, document_id=document_id).exists():
        raise TransitionNotAllowed(_("该文书已送达，不能重复送达。"))
    if data["method"] == ServiceMethod.ELECTRONIC:
        consent = electronic_consent(institution=institution, at=data["served_at"])
        if consent is None:
            raise ServiceError(
                _("电子送达须经受送达人同意：该机构没有在送达前签署且未撤回的电子送达确认书（同意人、时间、送达地址），请先登记。"),
                field="method",
            )
        data = {**data, "consent": consent, "electronic_address": consent.address}
    photo = data.pop("photo", None)
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                document_type=document_type,
                document_id=document_id,
                document_number=number,
                institution=institution,
                server=actor,
                recorded_at=_now(now),
                **data,
            )
    except IntegrityError:
        raise TransitionNotAllowed(_("该文书已送达，不能重复送达。")) from None
    if photo:
        with uploads.stored_files() as store:
            store(record.photo, photo.content, uploads.new_name(photo.extension))
            record.save(update_fields=["photo"])
    return record


def _serve_document(document, *, actor, data, now, status, served_kind, event: str, summary: str):
    """The service step (送达) shared by orders and suspension notices, on a locked, approved row: validate
    the proof of service, record it, set the status, write the audit event. Returns the ServiceRecord."""
    cleaned = _validate_service(data=data, issued_at=document.approved_at, now=now)
    record = _record_service(
        actor=actor,
        document_type=served_kind,
        document_id=document.pk,
        number=document.number,
        institution=document.institution,
        data=cleaned,
        now=now,
    )
    before = _snap(document)
    document.status, document.served_at, document.updated_by = status, record.served_at, actor
    document.save(update_fields=["status", "served_at", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=event,
        obj=document,
        institution_id=document.institution_id,
        before=before,
        after={**_snap(document), "service": _snap(record)},
        summary=summary % {"method": record.get_method_display()},
        now=now,
    )
    return record


def _approve_document(document, *, actor, now, status, number_kind, served_kind, event: str, summary: str) -> None:
    """The approval step shared by orders and suspension notices, on a locked row: the gap-free number
    (in this transaction), the status, the public verification record and the audit event."""
    before = _snap(document)
    _assign_number(document, kind=number_kind, department=document.department, now=now)
    document.status, document.approved_at, document.approved_by, document.updated_by = status, now, actor, actor
    document.save(
        update_fields=["status", "approved_at", "approved_by", "year", "serial", "number", "updated_by", "updated_at"]
    )
    register_document(
        obj=document,
        kind=served_kind,
        number=document.number,
        title=str(served_kind.label),
        issuer_name=document.department.name,
        subject_name=document.institution.name,
        issued_at=now,
    )
    record_event(
        actor=actor,
        kind=event,
        obj=document,
        institution_id=document.institution_id,
        before=before,
        after=_snap(document),
        summary=summary % {"number": document.number},
        now=now,
    )
