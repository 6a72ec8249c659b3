"""What each document of the new case steps says: one `<document>_context(case)` per document, returning plain
data (strings, dates, Decimals, lists of dicts) for the PDF layouts that penalties.pdf renders (the layouts and
numbers are the documents helper's). Reads only; no document is numbered or stored here.

CASE_DOCUMENTS maps each document kind (CaseDocumentKind) to its context function."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Adjudication, PenaltyCase, PenaltyKind
from .execution import enforcement_earliest, fine_total, money_due, outstanding, paid_total, surcharge
from .hearings import hearing_request_last_day


class CaseDocumentKind(models.TextChoices):
    FILING_APPROVAL = "filing_approval", _("立案审批表")
    INVESTIGATION_RECORD = "investigation_record", _("现场检查笔录/询问笔录")
    INVESTIGATION_REPORT = "investigation_report", _("调查终结报告")
    REFERRAL = "referral", _("案件移送书")
    RIGHTS_NOTICE = "rights_notice", _("行政处罚事先告知书")
    HEARING_NOTICE = "hearing_notice", _("听证通知书")
    HEARING_RECORD = "hearing_record", _("听证笔录")
    HEARING_REPORT = "hearing_report", _("听证报告")
    LEGAL_REVIEW = "legal_review", _("法制审核意见书")
    DISCUSSION = "discussion", _("集体讨论记录")
    NO_PENALTY_DECISION = "no_penalty_decision", _("不予行政处罚决定书")
    REMINDER = "reminder", _("催告书")
    ENFORCEMENT_APPLICATION = "enforcement_application", _("强制执行申请书")
    CLOSURE_REPORT = "closure_report", _("结案报告")


def _name(user) -> str:
    return (user.full_name or user.username) if user else ""


def _officer(user) -> dict:
    return {"name": _name(user), "certificate": getattr(user, "enforcement_certificate", "") if user else ""}


def _party(case: PenaltyCase) -> dict:
    institution = case.institution
    return {
        "name": institution.name,
        "credit_code": getattr(institution, "credit_code", ""),
        "legal_representative": getattr(institution, "legal_representative", ""),
        "address": getattr(institution, "address", ""),
    }


def _base(case: PenaltyCase) -> dict:
    return {"case_id": case.pk, "department": case.department.name, "party": _party(case),
            "summary": case.summary, "source": case.get_source_display(), "source_reference": case.source_reference}


def _proposed(case: PenaltyCase) -> list[dict]:
    return [
        {"kind": str(PenaltyKind(r["kind"]).label), "amount": r.get("amount"), "period_months": r.get("period_months"),
         "legal_basis": r.get("legal_basis", "")}
        for r in case.proposed or []
    ]


def filing_approval_context(case: PenaltyCase) -> dict:
    """立案审批表: source, summary, the act's date and the limitation, who proposed and who approved, when."""
    from .cases import limitation_ends

    last = (limitation_ends(violation_ended_on=case.violation_ended_on, endangers_safety=case.endangers_safety)
            if case.violation_ended_on else None)
    return {**_base(case), "opened_at": case.opened_at, "opened_by": _officer(case.opened_by),
            "reviewed_at": case.reviewed_at, "violation_ended_on": case.violation_ended_on,
            "endangers_safety": case.endangers_safety, "limitation_ends": last,
            "filed_at": case.filed_at, "approved_by": _name(case.filed_by), "decision_due": case.decision_due}


def investigation_record_context(case: PenaltyCase, record_id: int) -> dict:
    """现场检查笔录 or 询问笔录: kind, times, place, officers, subject, content, signature or refusal."""
    record = case.records.get(pk=record_id)
    return {**_base(case), "title": record.get_kind_display(), "started_at": record.started_at,
            "ended_at": record.ended_at, "place": record.place, "officers": record.officers,
            "subject_name": record.subject_name, "subject_role": record.subject_role, "content": record.content,
            "signed": record.signed, "refusal_note": record.refusal_note, "evidence_number": record.evidence.position}


def investigation_report_context(case: PenaltyCase) -> dict:
    """调查终结报告: facts found, the numbered evidence list, the illegal income computed, the investigators."""
    return {**_base(case), "report": case.investigation_findings, "closed_at": case.investigation_closed_at,
            "evidence": [{"number": e.position, "description": e.description} for e in case.evidence.all()],
            "income_taken": case.income_taken, "refunds_made": case.refunds_made,
            "illegal_income": case.illegal_income, "investigators": [_officer(case.investigation_by)]}


def referral_context(case: PenaltyCase) -> dict:
    """案件移送书 (Art 27): to which judicial organ, why, the evidence handed over."""
    assert case.adjudication == Adjudication.REFER
    return {**_base(case), "referred_to": case.referred_to, "reason": case.adjudication_reason,
            "referred_at": case.referred_at, "facts": case.investigation_findings,
            "evidence": [{"number": e.position, "description": e.description} for e in case.evidence.all()]}


def rights_notice_context(case: PenaltyCase) -> dict:
    """行政处罚事先告知书 (Arts 44, 63): facts, reasons and basis, the proposed penalty (or no penalty), the right
    to state and defend within the period from service and, where Art 63 applies, to ask for a hearing within
    5 working days of service; the office's contact line comes from the department."""
    return {**_base(case), "facts": case.investigation_findings, "adjudication": case.get_adjudication_display(),
            "reason": case.adjudication_reason, "proposed": _proposed(case), "hearing_right": case.hearing_right,
            "issued_at": case.rights_notified_at, "served_at": case.rights_served_at,
            "statement_due": case.statement_due,
            "hearing_request_due": hearing_request_last_day(case) if case.hearing_right else None}


def hearing_notice_context(case: PenaltyCase) -> dict:
    """听证通知书: time and place, chair and members, public or not, the right to ask for recusal, to attend with
    one or two representatives, and that absence without reason waives the hearing."""
    hearing = case.hearing
    return {**_base(case), "scheduled_for": hearing.scheduled_for, "place": hearing.place,
            "chair": _name(hearing.chair), "members": hearing.members, "public": hearing.public,
            "notice_served_on": hearing.notice_served_on, "requested_on": hearing.requested_on}


def hearing_record_context(case: PenaltyCase) -> dict:
    """听证笔录: when held, chair, members, the record, the party's signature or the refusal noted by the chair."""
    hearing = case.hearing
    return {**_base(case), "held_at": hearing.held_at, "place": hearing.place, "chair": _name(hearing.chair),
            "members": hearing.members, "recusal": hearing.recusal_note, "record": hearing.record,
            "party_signed": hearing.party_signed, "signature_refusal": hearing.signature_refusal}


def hearing_report_context(case: PenaltyCase) -> dict:
    hearing = case.hearing
    return {**_base(case), "report": hearing.report, "reported_at": hearing.reported_at, "chair": _name(hearing.chair),
            "status": hearing.get_status_display(), "waived_reason": hearing.waived_reason}


def legal_review_context(case: PenaltyCase) -> dict:
    """法制审核意见书 (Art 58): the latest review, its conclusion and opinion, the reviewer."""
    review = case.legal_reviews.select_related("reviewer").first()
    return {**_base(case), "proposed": _proposed(case), "reviewer": _name(review.reviewer) if review else "",
            "reviewed_at": review.reviewed_at if review else None,
            "conclusion": review.get_conclusion_display() if review else "",
            "opinion": review.opinion if review else ""}


def discussion_context(case: PenaltyCase) -> dict:
    """集体讨论记录 (Art 57 ¶2)."""
    discussion = case.discussions.first()
    return {**_base(case), "held_at": discussion.held_at, "attendees": discussion.attendees,
            "opinions": discussion.opinions, "conclusion": discussion.conclusion,
            "recorded_by": _name(discussion.recorded_by)}


def no_penalty_decision_context(case: PenaltyCase) -> dict:
    """不予行政处罚决定书: facts, the ground (Art 33), the party's statement and whether adopted, the order to
    correct; remedy lines as the penalty decision (docs12)."""
    decision = case.decision
    return {**_base(case), "number": decision.number, "facts": decision.facts,
            "ground": decision.get_no_penalty_ground_display(), "statement": decision.statement_summary,
            "statement_adopted": decision.statement_adopted, "statement_reasons": decision.statement_reasons,
            "correction_order": decision.correction_order, "decided_at": decision.decided_at}


def reminder_context(case: PenaltyCase, *, on=None) -> dict:
    """催告书 (行政强制法 Art 35): the decision, what is owed (fine, surcharge so far, paid), by when, and that
    the court will be applied to."""
    on = on or timezone.localdate()
    decision = case.decision
    return {**_base(case), "decision_number": decision.number, "served_at": case.served_at,
            "payment_due": case.payment_due, "fine": fine_total(case), "money_due": money_due(case),
            "surcharge": surcharge(case, on=on), "paid": paid_total(case), "outstanding": outstanding(case, on=on),
            "as_of": on, "reminder_served_on": case.reminder_served_on}


def enforcement_application_context(case: PenaltyCase, *, on=None) -> dict:
    """强制执行申请书 (行政强制法 Arts 53–55): the court, the decision, its service, the reminder, what is owed."""
    on = on or timezone.localdate()
    return {**reminder_context(case, on=on), "court": case.enforcement_court,
            "applied_on": case.enforcement_applied_on, "earliest": enforcement_earliest(case)}


def closure_report_context(case: PenaltyCase) -> dict:
    """结案报告: the decision, how it was executed (payments), the report and who closed."""
    decision = getattr(case, "decision", None) if case.decided_at else None
    return {**_base(case), "decision_number": decision.number if decision else "",
            "decision_kind": decision.get_kind_display() if decision else "", "execution": case.execution_note,
            "payments": [{"paid_on": p.paid_on, "amount": p.amount, "receipt": p.receipt} for p in case.payments.all()],
            "report": case.closure_report, "closed_at": case.closed_at, "closed_by": _name(case.closed_by)}


CASE_DOCUMENTS = {
    CaseDocumentKind.FILING_APPROVAL: filing_approval_context,
    CaseDocumentKind.INVESTIGATION_RECORD: investigation_record_context,
    CaseDocumentKind.INVESTIGATION_REPORT: investigation_report_context,
    CaseDocumentKind.REFERRAL: referral_context,
    CaseDocumentKind.RIGHTS_NOTICE: rights_notice_context,
    CaseDocumentKind.HEARING_NOTICE: hearing_notice_context,
    CaseDocumentKind.HEARING_RECORD: hearing_record_context,
    CaseDocumentKind.HEARING_REPORT: hearing_report_context,
    CaseDocumentKind.LEGAL_REVIEW: legal_review_context,
    CaseDocumentKind.DISCUSSION: discussion_context,
    CaseDocumentKind.NO_PENALTY_DECISION: no_penalty_decision_context,
    CaseDocumentKind.REMINDER: reminder_context,
    CaseDocumentKind.ENFORCEMENT_APPLICATION: enforcement_application_context,
    CaseDocumentKind.CLOSURE_REPORT: closure_report_context,
}
