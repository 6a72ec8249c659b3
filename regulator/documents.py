"""Document numbers (gap-free, per department/year/kind) and public verification records."""

import secrets

from django.db import connection
from django.utils import timezone

from .models import Department, DocumentSequence, VerificationRecord


def next_document_number(*, department: Department, kind: str, year: int | None = None) -> int:
    """Lock the sequence row and take the next number; call inside the approving transaction so a
    rolled-back approval rolls back its number too."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_document_number must run inside the approving transaction")
    year = year or timezone.localdate().year
    DocumentSequence.objects.get_or_create(department=department, year=year, kind=kind)
    sequence = DocumentSequence.objects.select_for_update().get(department=department, year=year, kind=kind)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def format_document_number(*, department: Department, kind_label: str, year: int, number: int) -> str:
    """e.g. 历下教〔2026〕整改第0042号 — the department's short name, 〔year〕, the kind, the serial."""
    prefix = department.short_name or department.name
    return f"{prefix}〔{year}〕{kind_label}第{number:04d}号"


def register_document(*, obj, kind: str, number: str, title: str, issuer_name: str, subject_name: str = "",
                      sha256: str = "", issued_at=None) -> VerificationRecord:
    """Create (or refresh the hash of) the public verification record of a document."""
    record, created = VerificationRecord.objects.get_or_create(
        object_type=obj._meta.label_lower, object_id=str(obj.pk),
        defaults={
            "token": secrets.token_urlsafe(18), "kind": kind, "number": number, "title": title,
            "issuer_name": issuer_name, "subject_name": subject_name, "sha256": sha256,
            "issued_at": issued_at or timezone.now(),
        },
    )
    if not created and sha256 and record.sha256 != sha256:
        record.sha256 = sha256
        record.save(update_fields=["sha256"])
    return record
