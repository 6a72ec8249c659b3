"""Chinese PDF notices by WeasyPrint from Django templates (A4, Noto Sans CJK SC subset per document by
regulator/pdf.py, QR code to the public verification page). Called from the render_pdf task, never in a request
(docs/pitfalls.md)."""

import base64
import hashlib
import io

import qrcode
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from regulator.documents import register_document
from regulator.pdf import write_pdf

from . import conf
from .models import Decision, RectificationOrder, ServedDocument, ServiceRecord, SuspensionNotice

# kind → (model, related rows to load, template, verification kind)
KINDS = {
    "order": (
        RectificationOrder,
        ("institution", "department"),
        "penalties/pdf/order.html",
        ServedDocument.RECTIFICATION_ORDER,
    ),
    "suspension": (
        SuspensionNotice,
        ("institution", "department"),
        "penalties/pdf/suspension.html",
        ServedDocument.SUSPENSION_NOTICE,
    ),
    "decision": (
        Decision,
        ("case__institution", "case__department"),
        "penalties/pdf/decision.html",
        ServedDocument.PENALTY_DECISION,
    ),
}


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, box_size=4, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def file_name(kind: str, object_id: int) -> str:
    return f"penalties/pdf/{kind}-{object_id}.pdf"


def _context(kind: str, obj) -> dict:
    context = {"doc": obj, "now": timezone.localtime()}
    if kind == "order":
        context.update(
            institution=obj.institution,
            department=obj.department,
            items=list(obj.items.all()),
            extension=getattr(obj, "extension", None) if obj.original_deadline else None,
        )
    elif kind == "suspension":
        context.update(
            institution=obj.institution, department=obj.department, refunds=list(obj.refunds.all())
        )
    else:
        case = obj.case
        context.update(
            institution=case.institution,
            department=case.department,
            case=case,
            penalties=list(obj.penalties.all()),
            evidence=list(case.evidence.all()),
            issued_on=timezone.localdate(obj.decided_at),
        )
    return context


def render_document(kind: str, obj, *, verify_url: str) -> bytes:
    with translation.override("zh-hans"):
        html = render_to_string(
            KINDS[kind][2], {**_context(kind, obj), "verify_url": verify_url, "qr": qr_data_uri(verify_url)}
        )
    return write_pdf(html, base_url=str(conf.public_base_url()))


def render_and_store(*, kind: str, object_id: int) -> str:
    """Render, overwrite penalties/pdf/<kind>-<id>.pdf, store its SHA-256 on row and record."""
    model, related, _template, verification_kind = KINDS[kind]
    obj = model.objects.select_related(*related).get(pk=object_id)
    if not obj.number:
        return ""
    institution = obj.case.institution if kind == "decision" else obj.institution
    department = obj.case.department if kind == "decision" else obj.department
    record = register_document(
        obj=obj,
        kind=verification_kind,
        number=obj.number,
        title=str(verification_kind.label),
        issuer_name=department.name,
        subject_name=institution.name,
    )
    content = render_document(kind, obj, verify_url=conf.public_base_url() + record.get_absolute_url())
    digest = hashlib.sha256(content).hexdigest()
    name = file_name(kind, obj.pk)
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(content))
    with transaction.atomic():
        model.objects.filter(pk=obj.pk).update(pdf=stored, pdf_sha256=digest)
        register_document(
            obj=obj,
            kind=verification_kind,
            number=obj.number,
            title=record.title,
            issuer_name=record.issuer_name,
            sha256=digest,
        )
    return stored


def service_record_for(kind: str, object_id: int) -> ServiceRecord | None:
    document_type = KINDS[kind][3]
    return ServiceRecord.objects.filter(document_type=document_type, document_id=object_id).first()
