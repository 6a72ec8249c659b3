"""Gap-free document numbers (e.g. 历下教〔2026〕整改第0042号), taken in the transaction that approves the
document, so that a rolled-back approval rolls back its number too."""

from regulator.documents import format_document_number, next_document_number

from ..models import DocumentKind
from .common import _today

# The word inside a document number; numbers are never translated.
NUMBER_LABELS = {
    DocumentKind.RECTIFICATION_ORDER: "整改",
    DocumentKind.SUSPENSION_NOTICE: "停办",
    DocumentKind.PENALTY_DECISION: "罚字",
}


def _assign_number(obj, *, kind: str, department, now) -> None:
    """Take the next gap-free number in the approving transaction (rolled back with it)."""
    year = _today(now).year
    serial = next_document_number(department=department, kind=kind, year=year)
    obj.year, obj.serial = year, serial
    obj.number = format_document_number(
        department=department, kind_label=NUMBER_LABELS[kind], year=year, number=serial
    )
