"""Chinese PDF enforcement documents by WeasyPrint from Django templates, one layout for all of them
(templates/penalties/pdf/_base.html, after GB/T 9704-2012: A4, its margins, a Song-style title and a FangSong
body, the issuer block never alone on a page; docs/enforcement-documents.md), the faces subset per document by
regulator/pdf.py, a QR code to the public verification page and the SHA-256 of the file on its row.

A kind of document is one `DocumentSpec` in KINDS: its model, its template (which extends _base.html and fills
the body), its verification kind and the function giving its own context. Called from the render_pdf task,
never in a request (docs/pitfalls.md).
"""

import base64
import dataclasses
import datetime
import decimal
import hashlib
import io
from collections.abc import Callable

import qrcode
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from regulator.documents import register_document
from regulator.locks import advisory_lock
from regulator.models import DepartmentKind, RegionLevel
from regulator.pdf import font_stack, write_pdf

from . import conf
from .models import (
    CaseDocument,
    Decision,
    DocumentKind,
    DocumentLetterhead,
    PenaltyKind,
    RectificationOrder,
    ServedDocument,
    ServiceMethod,
    ServiceProof,
    ServiceRecord,
    SuspensionNotice,
)

# Departments reviewed by the department above them, not by the government of their region
# (行政复议法 Art 27: 海关、金融、外汇管理等实行垂直领导的行政机关、税务和国家安全机关).
VERTICALLY_REVIEWED = frozenset({DepartmentKind.TAX, DepartmentKind.FINANCE})


@dataclasses.dataclass(frozen=True)
class DocumentSpec:
    model: type
    related: tuple[str, ...]
    template: str
    verification_kind: str
    context: Callable[[object], dict]
    document_word: str = "通知书"  # 本通知书 / 本决定书 in the remedy lines

    def institution(self, obj):
        return obj.institution

    def department(self, obj):
        return obj.department

    def title(self, obj) -> str:
        return str(self.verification_kind.label)


def review_body(department) -> str:
    """The body that hears an administrative review of the department's acts (行政复议法 2023, Art 24: the
    government of the department's own level, e.g. 历下区人民政府); a township's acts go to its county."""
    if department.kind in VERTICALLY_REVIEWED:
        return "上一级主管部门"
    region = department.region
    if region.level == RegionLevel.TOWNSHIP and region.parent_id:
        region = region.parent
    return f"{region.name}人民政府"


def officer(user) -> dict:
    return {"name": user.full_name or user.username, "certificate": user.enforcement_certificate}


def officers_of(*users) -> list[dict]:
    seen, rows = set(), []
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            rows.append(officer(user))
    return rows


def _order_context(order) -> dict:
    visit = order.visit
    items = list(order.items.prefetch_related("provisions"))
    for item in items:  # the provisions picked from the library, the free text printed after them
        item.provision_list = list(item.provisions.all())
    if visit is not None:
        inspectors = [assignment.inspector for assignment in visit.assignments.select_related("inspector")]
        inspected_at = visit.started_at or visit.submitted_at
        inspected_on = timezone.localdate(inspected_at) if inspected_at else visit.planned_on
    else:
        inspectors, inspected_on = [order.drafted_by], None
    return {
        "items": items,
        "visit": visit,
        "inspected_on": inspected_on,
        "officers": officers_of(*inspectors),
        "extension": getattr(order, "extension", None) if order.original_deadline else None,
        "issued_on": timezone.localdate(order.approved_at) if order.approved_at else None,
        "contact_phone": order.drafted_by.phone if order.drafted_by else "",
        "title": ServedDocument.RECTIFICATION_ORDER.label,
    }


def _suspension_context(notice) -> dict:
    return {
        "refunds": list(notice.refunds.all()),
        "officers": officers_of(notice.drafted_by),
        "issued_on": timezone.localdate(notice.approved_at) if notice.approved_at else None,
        "contact_phone": notice.drafted_by.phone if notice.drafted_by else "",
    }


def _decision_context(decision) -> dict:
    case = decision.case
    penalties = list(decision.penalties.all())
    return {
        "case": case,
        "penalties": penalties,
        "has_fine": any(p.kind == PenaltyKind.FINE for p in penalties),
        "evidence": list(case.evidence.all()),
        "officers": officers_of(case.investigation_by, case.opened_by),
        "issued_on": timezone.localdate(decision.decided_at),
        "contact_phone": case.investigation_by.phone if case.investigation_by else "",
    }


def _proof_context(proof) -> dict:
    items = list(proof.items.all())
    records = {
        (record.document_type, record.document_id): record
        for record in ServiceRecord.objects.filter(proof=proof).select_related("server", "consent")
    }
    record = next(iter(records.values()), None)
    return {
        "items": items,
        "record": record,
        "methods": [(value, label, record is not None and record.method == value) for value, label in
                    ServiceMethod.choices],
        "public_notice_days": conf.public_notice_days(),
        "issued_on": timezone.localdate(proof.created_at),
        "contact_phone": proof.created_by.phone,
    }


@dataclasses.dataclass(frozen=True)
class CaseDocumentSpec(DocumentSpec):
    """A document of a case: its party and department are the case's."""

    def institution(self, obj):
        return obj.case.institution

    def department(self, obj):
        return obj.case.department


@dataclasses.dataclass(frozen=True)
class CaseDocumentFileSpec(CaseDocumentSpec):
    """A CaseDocument row: its template is its kind's, its content the context frozen at issue."""

    def title(self, obj) -> str:
        return obj.title


KINDS: dict[str, DocumentSpec] = {
    "order": DocumentSpec(
        RectificationOrder,
        ("institution", "department__region", "visit", "drafted_by"),
        "penalties/pdf/order.html",
        ServedDocument.RECTIFICATION_ORDER,
        _order_context,
    ),
    "suspension": DocumentSpec(
        SuspensionNotice,
        ("institution", "department__region", "drafted_by"),
        "penalties/pdf/suspension.html",
        ServedDocument.SUSPENSION_NOTICE,
        _suspension_context,
    ),
    "decision": CaseDocumentSpec(
        Decision,
        ("case__institution", "case__department__region", "case__investigation_by", "case__opened_by"),
        "penalties/pdf/decision.html",
        ServedDocument.PENALTY_DECISION,
        _decision_context,
        document_word="决定书",
    ),
    "case_document": CaseDocumentFileSpec(
        CaseDocument,
        ("case__institution", "case__department__region", "case__investigation_by", "case__opened_by"),
        "penalties/pdf/case/_case_base.html",  # each row renders its kind's template (render_html)
        "case_document",
        lambda row: {},
    ),
    "proof": DocumentSpec(
        ServiceProof,
        ("institution", "department__region", "created_by"),
        "penalties/pdf/proof.html",
        DocumentKind.SERVICE_PROOF,
        _proof_context,
    ),
}


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, box_size=4, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def file_name(kind: str, object_id: int) -> str:
    return f"penalties/pdf/{kind}-{object_id}.pdf"


def document_fonts() -> dict:
    return {"title": font_stack("title"), "body": font_stack("body")}


def _context(kind: str, obj) -> dict:
    spec = KINDS[kind]
    department = spec.department(obj)
    return {
        "doc": obj,
        "now": timezone.localtime(),
        "institution": spec.institution(obj),
        "department": department,
        "letterhead": DocumentLetterhead.objects.filter(department=department).first(),
        "review_body": review_body(department),
        "document_word": spec.document_word,
        "fonts": document_fonts(),
        "officers": [],
        "contact_phone": "",
        **spec.context(obj),
    }


def render_html(kind: str, obj, *, verify_url: str) -> str:
    if kind == "case_document":
        return render_case_document_html(obj.case, obj.kind, thaw(obj.content), number=obj.number,
                                         verify_url=verify_url)
    with translation.override("zh-hans"):
        return render_to_string(
            KINDS[kind].template, {**_context(kind, obj), "verify_url": verify_url, "qr": qr_data_uri(verify_url)}
        )


def render_document(kind: str, obj, *, verify_url: str) -> bytes:
    return write_pdf(render_html(kind, obj, verify_url=verify_url), base_url=str(conf.public_base_url()))


def render_and_store(*, kind: str, object_id: int) -> str:
    """Render, overwrite penalties/pdf/<kind>-<id>.pdf, store its SHA-256 on row and record. Two renders of one
    document (a retry beside the first, two workers) run one after the other: at once, the second one's save found
    the first one's file and stored a copy under another name (storages never overwrite on save)."""
    with advisory_lock(f"penalties.render_pdf.{kind}.{object_id}", wait=True):
        return _render_and_store(kind=kind, object_id=object_id)


def _render_and_store(*, kind: str, object_id: int) -> str:
    spec = KINDS[kind]
    obj = spec.model.objects.select_related(*spec.related).get(pk=object_id)
    if not obj.number:
        return ""
    record = register_document(
        obj=obj,
        kind=spec.verification_kind,
        number=obj.number,
        title=spec.title(obj),
        issuer_name=spec.department(obj).name,
        subject_name=spec.institution(obj).name,
    )
    content = render_document(kind, obj, verify_url=conf.public_base_url() + record.get_absolute_url())
    digest = hashlib.sha256(content).hexdigest()
    name = file_name(kind, obj.pk)
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(content))
    with transaction.atomic():
        spec.model.objects.filter(pk=obj.pk).update(pdf=stored, pdf_sha256=digest)
        register_document(
            obj=obj,
            kind=spec.verification_kind,
            number=obj.number,
            title=record.title,
            issuer_name=record.issuer_name,
            sha256=digest,
        )
    return stored


# ---- the case documents of the procedure (contexts: penalties.services.case_documents) -------------------------

CASE_DOCUMENT_TITLES = {
    "filing_approval": _("立案审批表"),
    "investigation_record": _("现场检查笔录/询问笔录"),
    "investigation_report": _("调查终结报告"),
    "referral": _("案件移送书"),
    "rights_notice": _("行政处罚事先告知书"),
    "hearing_notice": _("听证通知书"),
    "hearing_record": _("听证笔录"),
    "hearing_report": _("听证报告"),
    "legal_review": _("法制审核意见书"),
    "discussion": _("集体讨论记录"),
    "no_penalty_decision": _("不予行政处罚决定书"),
    "reminder": _("催告书"),
    "enforcement_application": _("强制执行申请书"),
    "closure_report": _("结案报告"),
}
# Forms kept in the file, not sent to the party: the case's fields as a table instead of an addressee block.
INTERNAL_CASE_DOCUMENTS = frozenset({
    "filing_approval", "investigation_record", "investigation_report", "hearing_record", "hearing_report",
    "legal_review", "discussion", "closure_report",
})
# Sent to the party and numbered (济教罚告字〔2026〕第1号): the DocumentKind of their sequence and pattern.
NUMBERED_CASE_DOCUMENTS = {
    "rights_notice": DocumentKind.RIGHTS_NOTICE,
    "hearing_notice": DocumentKind.HEARING_NOTICE,
    "referral": DocumentKind.CASE_TRANSFER,
    "no_penalty_decision": DocumentKind.NO_PENALTY_DECISION,
    "reminder": DocumentKind.PAYMENT_REMINDER,
    "enforcement_application": DocumentKind.ENFORCEMENT_APPLICATION,
}


def freeze(value):
    """A case document's context as JSON (CaseDocument.content): dates, times and amounts tagged, so that
    `thaw` gives the template the same values at every re-render."""
    if isinstance(value, dict):
        return {str(key): freeze(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [freeze(item) for item in value]
    if isinstance(value, datetime.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"__decimal__": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # lazy translations


def thaw(value):
    if isinstance(value, list):
        return [thaw(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"__datetime__"}:
            return datetime.datetime.fromisoformat(value["__datetime__"])
        if set(value) == {"__date__"}:
            return datetime.date.fromisoformat(value["__date__"])
        if set(value) == {"__decimal__"}:
            return decimal.Decimal(value["__decimal__"])
        return {key: thaw(item) for key, item in value.items()}
    return value


def render_case_document_html(case, kind: str, context: dict, *, number: str = "", verify_url: str = "") -> str:
    """One case document from its plain context (penalties.services.case_documents.CASE_DOCUMENTS[kind](case)),
    in the common layout: templates/penalties/pdf/case/<kind>.html extends case/_case_base.html."""
    title = context.get("title") if kind == "investigation_record" else CASE_DOCUMENT_TITLES[kind]
    department = case.department
    with translation.override("zh-hans"):
        return render_to_string(
            f"penalties/pdf/case/{kind}.html",
            {
                "c": context,
                "doc": {"number": number or context.get("number", "")},
                "title": str(title),
                "internal": kind in INTERNAL_CASE_DOCUMENTS,
                "institution": case.institution,
                "department": department,
                "letterhead": DocumentLetterhead.objects.filter(department=department).first(),
                "review_body": review_body(department),
                "document_word": "决定书" if kind == "no_penalty_decision" else "通知书",
                "fonts": document_fonts(),
                "officers": officers_of(case.investigation_by, case.opened_by),
                "contact_phone": case.investigation_by.phone if case.investigation_by else "",
                "issued_on": timezone.localdate(),
                "verify_url": verify_url,
                "qr": qr_data_uri(verify_url) if verify_url else "",
            },
        )


def render_case_document(case, kind: str, context: dict, *, number: str = "", verify_url: str = "") -> bytes:
    html = render_case_document_html(case, kind, context, number=number, verify_url=verify_url)
    return write_pdf(html, base_url=str(conf.public_base_url()))


def service_record_for(kind: str, object_id: int) -> ServiceRecord | None:
    document_type = KINDS[kind].verification_kind
    return ServiceRecord.objects.filter(document_type=document_type, document_id=object_id).first()
