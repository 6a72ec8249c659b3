"""The 年检结论通知书 (annual-inspection conclusion notice) as a PDF, in the enforcement documents' layout.

It extends templates/penalties/pdf/_base.html (GB/T 9704-2012: A4, a Song-style title, a FangSong body, the
issuer block never alone on a page), with the faces subset per document by regulator/pdf.py, the remedy lines
of the other notices (行政复议 within 60 days to the department's own government, 行政诉讼 within 6 months), a QR
code to the public verification page and the file's SHA-256 on the inspection and its verification record.
Rendered by the render_annual_notice task after the deciding transaction commits, never in a request.
"""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from penalties import conf as document_conf
from penalties.models import DocumentLetterhead, RectificationOrder
from penalties.pdf import document_fonts, qr_data_uri, review_body
from regulator.documents import register_document
from regulator.locks import advisory_lock
from regulator.pdf import write_pdf

from ..models import AnnualInspection, AnnualInspectionStatus, AnnualResult, Licence, LicenceKind, LicenceState

NOTICE_TITLE = _("年检结论通知书")
VERIFICATION_KIND = "annual_notice"


def file_name(inspection_id: int) -> str:
    return f"institutions/annual/notice-{inspection_id}.pdf"


def _school_licence(inspection: AnnualInspection):
    """The school-running licence the inspection is of: a valid one first, else the latest."""
    licences = Licence.objects.filter(institution_id=inspection.institution_id, kind=LicenceKind.SCHOOL_RUNNING)
    return (licences.filter(state=LicenceState.VALID).order_by("-id").first()
            or licences.order_by("-id").first())


def fails_for_revocation() -> int:
    """How many 不合格 in a row open a revocation lead (settings.ANNUAL_FAILS_FOR_REVOCATION, default 2)."""
    return int(getattr(settings, "ANNUAL_FAILS_FOR_REVOCATION", 2))


def notice_context(inspection: AnnualInspection) -> dict:
    department = inspection.plan.department
    order = (RectificationOrder.objects.filter(pk=inspection.order_id).first() if inspection.order_id else None)
    return {
        "doc": {"number": inspection.notice_number},
        "inspection": inspection,
        "plan": inspection.plan,
        "institution": inspection.institution,
        "department": department,
        "licence": _school_licence(inspection),
        "result": AnnualResult(inspection.result).label if inspection.result else "",
        "passed": inspection.result == AnnualResult.PASS,
        "basic": inspection.result == AnnualResult.BASIC_PASS,
        "failed": inspection.result == AnnualResult.FAIL,
        "site_visit": inspection.site_visit_id is not None,
        "order": order,
        "fails_for_revocation": fails_for_revocation(),
        "letterhead": DocumentLetterhead.objects.filter(department=department).first(),
        "review_body": review_body(department),
        "document_word": "通知书",
        "fonts": document_fonts(),
        "officers": [],
        "contact_phone": inspection.decided_by.phone if inspection.decided_by else "",
        "issued_on": inspection.decided_on,
        "title": str(NOTICE_TITLE),
        "now": timezone.localtime(),
    }


def render_html(inspection: AnnualInspection, *, verify_url: str) -> str:
    with translation.override("zh-hans"):
        return render_to_string("institutions/pdf/annual_notice.html", {
            **notice_context(inspection), "verify_url": verify_url, "qr": qr_data_uri(verify_url)})


def _record(inspection: AnnualInspection, sha256: str = ""):
    return register_document(
        obj=inspection, kind=VERIFICATION_KIND, number=inspection.notice_number, title=str(NOTICE_TITLE),
        issuer_name=inspection.plan.department.name, subject_name=inspection.institution.name, sha256=sha256,
    )


def render_and_store(*, inspection_id: int) -> str:
    """Render, overwrite institutions/annual/notice-<id>.pdf, keep its SHA-256 on the row and the record. Two
    renders of one notice run one after the other (penalties.pdf.render_and_store says why)."""
    with advisory_lock(f"institutions.annual_notice.{inspection_id}", wait=True):
        return _render_and_store(inspection_id=inspection_id)


def _render_and_store(*, inspection_id: int) -> str:
    inspection = AnnualInspection.objects.select_related(
        "plan__department__region", "institution__region", "decided_by").get(pk=inspection_id)
    if not inspection.notice_number or inspection.status != AnnualInspectionStatus.DECIDED:
        return ""
    record = _record(inspection)
    content = write_pdf(render_html(inspection, verify_url=document_conf.public_base_url() + record.get_absolute_url()),
                        base_url=document_conf.public_base_url())
    digest = hashlib.sha256(content).hexdigest()
    name = file_name(inspection.pk)
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(content))
    with transaction.atomic():
        AnnualInspection.objects.filter(pk=inspection.pk).update(notice_pdf=stored, notice_sha256=digest)
        _record(inspection, sha256=digest)
    return stored
