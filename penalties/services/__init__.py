"""Writes for rectification orders, suspension notices and penalty cases, one module per concept:

- `numbering`: gap-free document numbers after each department's pattern (济教罚字〔2022〕第1号);
- `documents`: approval and service (送达) shared by orders and suspension notices, PDFs queued on commit;
- `proofs`: the 送达回证 printed before service for one or several documents, and consent to electronic service;
- `orders`, `suspensions` (with refunds), `cases`: the transitions of each;
- the steps of a penalty case apart from `cases`: `records` (笔录), `hearings` (听证), `reviews` (法制审核,
  集体讨论), `execution` (payments, surcharge, reminder, court), `interviews` (约谈), `provisions` (the library
  of provisions: kinds and fine ranges, illegal income); `case_documents` gives each new document's context;
- `common`: the audit snapshot, clock and validators they share.

Each transition is one function: it locks the row (select_for_update), checks the allowed source statuses, sets
the status and its *_at/*_by, records the audit event in the same transaction, and queues side effects on commit.
A refusal raises regulator.errors.ServiceError (TransitionNotAllowed, ActionForbidden) and writes nothing.
Callers import from here: `from penalties.services import order_approve`.
"""

from .case_files import case_document_issue, case_reference
from .cases import (
    REVOCABLE_LICENCE_KINDS,
    case_adjudicate,
    case_close,
    case_conclude_investigation,
    case_decide,
    case_drop,
    case_evidence_add,
    case_execute,
    case_file,
    case_investigate,
    case_notify_rights,
    case_open,
    case_period_extend,
    case_period_resume,
    case_period_suspend,
    case_record_statement,
    case_review,
    case_serve,
    case_serve_rights_notice,
    decision_record_credit_sanction,
)
from .common import validate_deadline
from .escalation import orders_escalate_batch
from .execution import case_apply_enforcement, case_remind, case_serve_reminder, payment_record
from .hearings import (
    hearing_absent,
    hearing_hold,
    hearing_notice_serve,
    hearing_notify,
    hearing_recusal,
    hearing_report,
    hearing_request,
)
from .interviews import interview_record
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
from .overdue import orders_mark_overdue_batch
from .proofs import (
    servable_documents,
    service_consent_record,
    service_consent_withdraw,
    service_proof_complete_notices,
    service_proof_prepare,
    service_proof_publish,
    service_proof_serve,
)
from .provisions import illegal_income, provision_check_penalty
from .records import case_record_add
from .reviews import discussion_record, legal_review_record
from .revisions import decision_record_revision
from .suspensions import refund_record, suspension_approve, suspension_draft, suspension_serve

__all__ = [
    "DEFAULT_KIND_WORDS",
    "REVOCABLE_LICENCE_KINDS",
    "case_adjudicate",
    "case_apply_enforcement",
    "case_close",
    "case_document_issue",
    "case_reference",
    "case_conclude_investigation",
    "case_decide",
    "case_drop",
    "case_evidence_add",
    "case_execute",
    "case_file",
    "case_investigate",
    "case_notify_rights",
    "case_open",
    "case_period_extend",
    "case_period_resume",
    "case_period_suspend",
    "case_record_add",
    "case_record_statement",
    "case_remind",
    "case_serve_reminder",
    "case_review",
    "case_serve",
    "format_number",
    "number_pattern",
    "case_serve_rights_notice",
    "decision_record_credit_sanction",
    "decision_record_revision",
    "discussion_record",
    "hearing_absent",
    "hearing_hold",
    "hearing_notice_serve",
    "hearing_notify",
    "hearing_recusal",
    "hearing_report",
    "hearing_request",
    "illegal_income",
    "interview_record",
    "legal_review_record",
    "order_approve",
    "order_cancel",
    "order_draft",
    "order_draft_from_visit",
    "order_escalate",
    "order_extend",
    "order_item_close",
    "order_mark_overdue",
    "order_serve",
    "payment_record",
    "provision_check_penalty",
    "orders_escalate_batch",
    "orders_mark_overdue_batch",
    "refund_record",
    "servable_documents",
    "service_consent_record",
    "service_consent_withdraw",
    "service_proof_prepare",
    "service_proof_complete_notices",
    "service_proof_publish",
    "service_proof_serve",
    "suspension_approve",
    "suspension_draft",
    "suspension_serve",
    "validate_deadline",
]
