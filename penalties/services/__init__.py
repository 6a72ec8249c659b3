"""Writes for rectification orders, suspension notices and penalty cases, one module per concept:

- `numbering`: gap-free document numbers after each department's pattern (济教罚字〔2022〕第1号);
- `documents`: approval and service (送达) shared by orders and suspension notices, PDFs queued on commit;
- `proofs`: the 送达回证 printed before service for one or several documents, and consent to electronic service;
- `orders`, `suspensions` (with refunds), `cases`: the transitions of each;
- `common`: the audit snapshot, clock and validators they share.

Each transition is one function: it locks the row (select_for_update), checks the allowed source statuses, sets
the status and its *_at/*_by, records the audit event in the same transaction, and queues side effects on commit.
A refusal raises regulator.errors.ServiceError (TransitionNotAllowed, ActionForbidden) and writes nothing.
Callers import from here: `from penalties.services import order_approve`.
"""

from .cases import (
    REVOCABLE_LICENCE_KINDS,
    case_close,
    case_decide,
    case_drop,
    case_evidence_add,
    case_execute,
    case_file,
    case_investigate,
    case_notify_rights,
    case_open,
    case_record_statement,
    case_review,
    case_serve,
)
from .common import validate_deadline
from .numbering import DEFAULT_KIND_WORDS, format_number, number_pattern
from .orders import (
    order_approve,
    order_cancel,
    order_draft,
    order_draft_from_visit,
    order_escalate,
    order_extend,
    order_item_close,
    order_mark_overdue,
    order_serve,
)
from .proofs import (
    servable_documents,
    service_consent_record,
    service_consent_withdraw,
    service_proof_prepare,
    service_proof_serve,
)
from .suspensions import refund_record, suspension_approve, suspension_draft, suspension_serve

__all__ = [
    "DEFAULT_KIND_WORDS",
    "REVOCABLE_LICENCE_KINDS",
    "case_close",
    "case_decide",
    "case_drop",
    "case_evidence_add",
    "case_execute",
    "case_file",
    "case_investigate",
    "case_notify_rights",
    "case_open",
    "case_record_statement",
    "case_review",
    "case_serve",
    "format_number",
    "number_pattern",
    "order_approve",
    "order_cancel",
    "order_draft",
    "order_draft_from_visit",
    "order_escalate",
    "order_extend",
    "order_item_close",
    "order_mark_overdue",
    "order_serve",
    "refund_record",
    "servable_documents",
    "service_consent_record",
    "service_consent_withdraw",
    "service_proof_prepare",
    "service_proof_serve",
    "suspension_approve",
    "suspension_draft",
    "suspension_serve",
    "validate_deadline",
]
