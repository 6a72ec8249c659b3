"""Gap-free document numbers like 济教罚字〔2022〕第1号: the department's pattern for the kind (机关代字 + 文书代字),
〔year〕, 第N号 without padding. The serial is taken in the transaction that approves the document, so that a
rolled-back approval rolls back its number too (regulator.documents.next_document_number)."""

from regulator.documents import next_document_number

from ..models import DocumentKind, DocumentNumberPattern
from .common import _today

# The kind word (文书代字) of a department without a pattern row; numbers are never translated.
DEFAULT_KIND_WORDS = {
    DocumentKind.RECTIFICATION_ORDER: "责改字",
    DocumentKind.SUSPENSION_NOTICE: "停办字",
    DocumentKind.PENALTY_DECISION: "罚字",
    DocumentKind.RIGHTS_NOTICE: "罚告字",
    DocumentKind.HEARING_NOTICE: "听通字",
    DocumentKind.NO_PENALTY_DECISION: "不罚字",
    DocumentKind.CASE_TRANSFER: "移字",
    DocumentKind.PAYMENT_REMINDER: "催字",
    DocumentKind.ENFORCEMENT_APPLICATION: "强执字",
    DocumentKind.SERVICE_PROOF: "送字",
}


def number_pattern(*, department, kind: str) -> DocumentNumberPattern:
    """The department's pattern for `kind`, or an unsaved default (its short name, the kind's default word)."""
    pattern = DocumentNumberPattern.objects.filter(department=department, kind=kind).first()
    if pattern is None:
        pattern = DocumentNumberPattern(
            department=department,
            kind=kind,
            abbreviation=department.short_name or department.name,
            kind_word=DEFAULT_KIND_WORDS[kind],
        )
    return pattern


def format_number(*, department, kind: str, year: int, serial: int) -> str:
    return number_pattern(department=department, kind=kind).format(year=year, serial=serial)


def _assign_number(obj, *, kind: str, department, now) -> None:
    """Take the next gap-free number in the approving transaction (rolled back with it)."""
    year = _today(now).year
    serial = next_document_number(department=department, kind=kind, year=year)
    obj.year, obj.serial = year, serial
    obj.number = format_number(department=department, kind=kind, year=year, serial=serial)
