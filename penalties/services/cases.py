"""Penalty cases (行政处罚案件): lead → preliminary review → filing → investigation → notice of rights →
decision (numbered 罚字, PDF after commit) → service → execution → closure, or dropped before filing.
Revocations and bans take effect on the register at execution."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from institutions import services as institution_services
from institutions.audit_kinds import InstitutionsAuditKind
from institutions.models import Institution, Licence, LicenceKind, LicenceState
from institutions.services import institution_set_operating_state
from regulator import uploads
from regulator.audit import record_event
from regulator.calendar import add_working_days
from regulator.documents import register_document
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import (
    MONETARY_PENALTIES,
    CaseEvidence,
    CaseSource,
    CaseStatus,
    Decision,
    DocumentKind,
    Penalty,
    PenaltyCase,
    PenaltyKind,
    ServedDocument,
    ServiceRecord,
)
from .common import _checked_file, _now, _snap, _today
from .documents import _queue_pdf, _record_service, _validate_service
from .numbering import _assign_number

# Licence kinds a revocation (吊销办学许可证) applies to.
REVOCABLE_LICENCE_KINDS = (LicenceKind.SCHOOL_RUNNING,)


def _locked_case(case_id: int) -> PenaltyCase:
    return PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)


@transaction.atomic
def case_open(
    *,
    actor,
    institution_id: int,
    summary: str,
    source: str,
    department=None,
    source_order=None,
    source_visit=None,
    source_reference: str = "",
    now=None,
) -> PenaltyCase:
    """Register a lead (线索). The chaser calls this with actor=None when an order escalates."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if actor is not None:
        if not permissions.can_draft_for(actor, institution):
            raise ActionForbidden(_("该机构不在您的管辖范围内，不能登记案件线索。"))
        department = actor.department
    if source not in CaseSource.values:
        raise ServiceError(_("请选择案件来源。"), field="source")
    summary = (summary or "").strip()
    if not summary:
        raise ServiceError(_("请填写案情摘要。"), field="summary")
    now = _now(now)
    case = PenaltyCase.objects.create(
        institution=institution,
        department=department,
        source=source,
        source_order=source_order,
        source_visit=source_visit,
        source_reference=(source_reference or "").strip()[:80],
        summary=summary,
        opened_at=now,
        opened_by=actor,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_OPENED,
        obj=case,
        institution_id=institution.pk,
        after=_snap(case),
        summary=_("登记案件线索（%(source)s）") % {"source": case.get_source_display()},
        now=now,
    )
    return case


def _case_step(
    *, actor, case_id, allowed, action, permission, denied_message, changes: dict, kind, summary, now
):
    case = _locked_case(case_id)
    if not permission(actor, case):
        raise ActionForbidden(denied_message)
    require_status(case, allowed, action)
    before = _snap(case)
    for name, value in changes.items():
        setattr(case, name, value(case) if callable(value) else value)
    case.updated_by = actor
    case.save(update_fields=[*changes, "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=kind,
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after=_snap(case),
        summary=summary,
        now=now,
    )
    return case


_WORK_DENIED = _lazy("只有承办部门的执法人员可以办理该案件。")
_DECIDE_DENIED = _lazy("该步骤须由承办部门负责人决定。")


@transaction.atomic
def case_review(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.LEAD,),
        action=_("开始初核"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={"status": CaseStatus.PRELIMINARY_REVIEW, "reviewed_at": now, "reviewed_by": actor},
        kind=PenaltiesAuditKind.CASE_REVIEWED,
        summary=_("开始初核"),
        now=now,
    )


@transaction.atomic
def case_file(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    due = _today(now) + datetime.timedelta(days=conf.decision_limit_days())
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.PRELIMINARY_REVIEW,),
        action=_("立案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.FILED, "filed_at": now, "filed_by": actor, "decision_due": due},
        kind=PenaltiesAuditKind.CASE_FILED,
        summary=_("立案，应于%(due)s前作出决定") % {"due": due},
        now=now,
    )


@transaction.atomic
def case_drop(*, actor, case_id: int, reason: str, now=None) -> PenaltyCase:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写不予立案的理由。"), field="reason")
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.LEAD, CaseStatus.PRELIMINARY_REVIEW),
        action=_("不予立案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.DROPPED, "dropped_at": now, "dropped_by": actor, "drop_reason": reason},
        kind=PenaltiesAuditKind.CASE_DROPPED,
        summary=_("不予立案"),
        now=now,
    )


@transaction.atomic
def case_investigate(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.FILED,),
        action=_("开始调查取证"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={"status": CaseStatus.INVESTIGATION, "investigation_at": now, "investigation_by": actor},
        kind=PenaltiesAuditKind.CASE_INVESTIGATION_STARTED,
        summary=_("开始调查取证"),
        now=now,
    )


@transaction.atomic
def case_evidence_add(*, actor, case_id: int, description: str, file=None, now=None) -> CaseEvidence:
    case = _locked_case(case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    require_status(case, (CaseStatus.FILED, CaseStatus.INVESTIGATION), _("提交证据"))
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("请填写证据名称。"), field="description")
    checked = _checked_file(file, accept=uploads.ALL_KINDS, field="file")
    position = (case.evidence.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    evidence = CaseEvidence(
        case=case, position=position, description=description[:200], added_at=_now(now), added_by=actor
    )
    if checked:
        evidence.sha256 = checked.sha256
        evidence.file.save(uploads.new_name(checked.extension), checked.content, save=False)
    evidence.save()
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_EVIDENCE_ADDED,
        obj=evidence,
        institution_id=case.institution_id,
        after=_snap(evidence),
        summary=_("证据%(n)d：%(d)s") % {"n": position, "d": description[:60]},
        now=now,
    )
    return evidence


@transaction.atomic
def case_notify_rights(
    *, actor, case_id: int, findings: str, proposed_penalties: str, now=None
) -> PenaltyCase:
    """Tell the party the facts and the intended penalty, and its right to state, defend or be heard."""
    findings, proposed = (findings or "").strip(), (proposed_penalties or "").strip()
    if not findings:
        raise ServiceError(_("请填写调查终结报告（查明的事实）。"), field="findings")
    if not proposed:
        raise ServiceError(_("请填写拟作出的处罚。"), field="proposed_penalties")
    now = _now(now)
    due = add_working_days(_today(now), conf.statement_working_days())
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.INVESTIGATION,),
        action=_("告知权利"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={
            "status": CaseStatus.NOTICE_OF_RIGHTS,
            "rights_notified_at": now,
            "rights_notified_by": actor,
            "investigation_findings": findings,
            "proposed_penalties": proposed,
            "statement_due": due,
        },
        kind=PenaltiesAuditKind.CASE_RIGHTS_NOTIFIED,
        summary=_("告知陈述申辩/听证权利，期限至%(due)s") % {"due": due},
        now=now,
    )


@transaction.atomic
def case_record_statement(
    *, actor, case_id: int, statement: str, hearing_requested: bool, now=None
) -> PenaltyCase:
    statement = (statement or "").strip()
    if not statement and not hearing_requested:
        raise ServiceError(_("请记录当事人的陈述申辩内容，或注明要求听证。"), field="statement")
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.NOTICE_OF_RIGHTS,),
        action=_("记录陈述申辩"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={
            "statement": statement,
            "hearing_requested": bool(hearing_requested),
            "statement_recorded_at": now,
            "statement_recorded_by": actor,
        },
        kind=PenaltiesAuditKind.CASE_STATEMENT_RECORDED,
        summary=_("记录当事人陈述申辩%(h)s") % {"h": _("（要求听证）") if hearing_requested else ""},
        now=now,
    )


def _clean_penalties(penalties) -> list[dict]:
    cleaned = []
    for raw in penalties:
        kind = raw.get("kind") or ""
        if not kind:
            continue
        if kind not in PenaltyKind.values:
            raise ServiceError(_("未知的处罚种类。"), field="penalties")
        label = PenaltyKind(kind).label
        basis = (raw.get("legal_basis") or "").strip()
        if not basis:
            raise ServiceError(_("“%(kind)s”缺少法律依据。") % {"kind": label}, field="penalties")
        amount = None
        if kind in MONETARY_PENALTIES:
            amount, name = raw.get("amount"), _("%(kind)s金额") % {"kind": label}
            if amount is None:
                raise ServiceError(_("请填写%(field)s。") % {"field": name}, field="amount")
            if amount < 0:
                raise ServiceError(_("%(field)s不能为负数。") % {"field": name}, field="amount")
            if amount == 0 and kind == PenaltyKind.FINE:
                raise ServiceError(_("罚款金额必须大于零。"), field="amount")
        cleaned.append(
            {
                "kind": kind,
                "amount": amount,
                "legal_basis": basis[:300],
                "note": (raw.get("note") or "").strip()[:200],
            }
        )
    if not cleaned:
        raise ServiceError(_("请至少选择一项处罚。"), field="penalties")
    return cleaned


@transaction.atomic
def case_decide(*, actor, case_id: int, facts: str, penalties: list[dict], now=None) -> Decision:
    """处罚决定 by the department head: numbered (罚字) here, PDF rendered after commit."""
    case = _locked_case(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_("只有承办部门负责人可以作出处罚决定。"))
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("作出处罚决定"))
    today = _today(now)
    if case.statement_recorded_at is None and case.statement_due and today <= case.statement_due:
        raise TransitionNotAllowed(
            _("当事人陈述申辩期限（%(due)s）未满且未记录其意见，暂不能作出决定。")
            % {"due": case.statement_due}
        )
    facts = (facts or "").strip()
    if not facts:
        raise ServiceError(_("请填写经查明的事实。"), field="facts")
    cleaned = _clean_penalties(penalties)
    now = _now(now)
    before = _snap(case)
    decision = Decision(case=case, facts=facts, decided_at=now, decided_by=actor)
    _assign_number(decision, kind=DocumentKind.PENALTY_DECISION, department=case.department, now=now)
    decision.save()
    Penalty.objects.bulk_create(
        [Penalty(decision=decision, position=i, **p) for i, p in enumerate(cleaned, 1)]
    )
    case.status, case.decided_at, case.decided_by, case.updated_by = CaseStatus.DECIDED, now, actor, actor
    case.service_due = add_working_days(today, conf.service_working_days())
    case.save(update_fields=["status", "decided_at", "decided_by", "service_due", "updated_by", "updated_at"])
    register_document(
        obj=decision,
        kind=ServedDocument.PENALTY_DECISION,
        number=decision.number,
        title=str(ServedDocument.PENALTY_DECISION.label),
        issuer_name=case.department.name,
        subject_name=case.institution.name,
        issued_at=now,
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_DECIDED,
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after={
            **_snap(case),
            "decision": decision.number,
            "penalties": [
                {**p, "amount": str(p["amount"]) if p["amount"] is not None else None} for p in cleaned
            ],
        },
        summary=_("作出处罚决定 %(number)s") % {"number": decision.number},
        now=now,
    )
    _queue_pdf("decision", decision.pk)
    return decision


@transaction.atomic
def case_serve(*, actor, case_id: int, data: dict, now=None) -> ServiceRecord:
    case = _locked_case(case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    require_status(case, (CaseStatus.DECIDED,), _("送达决定书"))
    decision = case.decision
    cleaned = _validate_service(data=data, issued_at=decision.decided_at, now=now)
    record = _record_service(
        actor=actor,
        document_type=ServedDocument.PENALTY_DECISION,
        document_id=decision.pk,
        number=decision.number,
        institution=case.institution,
        data=cleaned,
        now=now,
    )
    before = _snap(case)
    case.status, case.served_at, case.updated_by = CaseStatus.SERVED, record.served_at, actor
    fields = ["status", "served_at", "updated_by", "updated_at"]
    if decision.penalties.filter(kind=PenaltyKind.FINE).exists():
        case.payment_due = timezone.localdate(record.served_at) + datetime.timedelta(
            days=conf.fine_payment_days()
        )
        fields.append("payment_due")
    case.save(update_fields=fields)
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_SERVED,
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after={**_snap(case), "service": _snap(record)},
        summary=_("送达处罚决定书 %(number)s") % {"number": decision.number},
        now=now,
    )
    return record


def _revoke_licences(*, case: PenaltyCase, actor, now) -> int:
    """吊销办学许可证: institutions.services has no revocation call yet, so the state change is made here
    on locked rows, recorded, and the register standing re-derived through institutions.services."""

    revoke = getattr(institution_services, "licence_revoke", None)
    licences = list(
        Licence.objects.select_for_update().filter(
            institution_id=case.institution_id,
            kind__in=REVOCABLE_LICENCE_KINDS,
            state__in=(LicenceState.VALID, LicenceState.SUSPENDED, LicenceState.EXPIRED),
        )
    )
    reason = _("处罚决定 %(number)s 吊销") % {"number": case.decision.number}
    for licence in licences:
        if revoke is not None:
            revoke(actor=actor, licence_id=licence.pk, reason=reason)
            continue
        before = {"state": licence.state}
        licence.state, licence.updated_by = LicenceState.REVOKED, actor
        licence.save(update_fields=["state", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            kind=InstitutionsAuditKind.LICENCE_REVOKED,
            obj=licence,
            institution_id=case.institution_id,
            before=before,
            after={"state": LicenceState.REVOKED},
            summary=f"{licence}：{reason}",
            now=now,
        )
    if revoke is None:
        institution = Institution.objects.select_for_update().get(pk=case.institution_id)
        institution_services.refresh_standing(institution=institution, actor=actor, today=_today(now))
    return len(licences)


@transaction.atomic
def case_execute(*, actor, case_id: int, note: str, now=None) -> PenaltyCase:
    """Record execution (执行); a licence revocation takes effect on the register here."""
    case = _locked_case(case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    require_status(case, (CaseStatus.SERVED,), _("记录执行"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写执行情况。"), field="note")
    now = _now(now)
    kinds = set(case.decision.penalties.values_list("kind", flat=True))
    if PenaltyKind.LICENCE_REVOCATION in kinds:
        _revoke_licences(case=case, actor=actor, now=now)
    if PenaltyKind.BAN in kinds:

        institution_set_operating_state(actor=actor, institution_id=case.institution_id, state="banned",
                                        reason=str(_("处罚决定 %(number)s 取缔") % {"number": case.decision.number}))
    before = _snap(case)
    case.status, case.executed_at, case.executed_by = CaseStatus.EXECUTED, now, actor
    case.execution_note, case.updated_by = note, actor
    case.save(
        update_fields=["status", "executed_at", "executed_by", "execution_note", "updated_by", "updated_at"]
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_EXECUTED,
        obj=case,
        institution_id=case.institution_id,
        before=before,
        after=_snap(case),
        summary=_("处罚决定执行完毕"),
        now=now,
    )
    return case


@transaction.atomic
def case_close(*, actor, case_id: int, now=None) -> PenaltyCase:
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.EXECUTED,),
        action=_("结案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.CLOSED, "closed_at": now, "closed_by": actor},
        kind=PenaltiesAuditKind.CASE_CLOSED,
        summary=_("结案"),
        now=now,
    )
