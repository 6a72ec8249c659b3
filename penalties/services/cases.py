"""Penalty cases (行政处罚案件), one transition per step of 行政处罚法 (docs/penalty-procedure.md):
lead → preliminary review → filing (limitation, Art 36) → investigation → 调查终结报告 → 审理 (penalty, no
penalty, withdrawal or referral, Art 57) → 事先告知 served (Art 44; hearing, Arts 63–65, in hearings.py) →
法制审核 / 集体讨论 (reviews.py) → decision → service → execution (payments, surcharge, reminder, court:
execution.py) → closure report. Revocations and orders to stop running take effect on the register at execution."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from institutions import services as institution_services
from institutions import teachers
from institutions.audit_kinds import InstitutionsAuditKind
from institutions.models import Institution, Licence, LicenceKind, LicenceState
from institutions.services import institution_set_operating_state
from institutions.validators import normalize_id_number, validate_id_number
from publicity import publications
from regulator import uploads
from regulator.audit import record_event
from regulator.calendar import add_working_days
from regulator.documents import register_document
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import (
    HEARING_KINDS,
    MONETARY_PENALTIES,
    Adjudication,
    CaseDocument,
    CaseEvidence,
    CasePeriodChange,
    CaseSource,
    CaseStatus,
    Decision,
    DecisionKind,
    DocumentKind,
    NoPenaltyGround,
    Penalty,
    PenaltyCase,
    PenaltyKind,
    PeriodChangeKind,
    Provision,
    ReviewConclusion,
    ServedDocument,
    ServiceRecord,
)
from .common import _checked_file, _now, _snap, _today
from .documents import _queue_pdf, _record_service, _validate_service
from .numbering import _assign_number
from .provisions import illegal_income, provision_check_penalty

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


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def limitation_ends(*, violation_ended_on: datetime.date, endangers_safety: bool) -> datetime.date:
    """The last day a case may be filed for an act that ended on `violation_ended_on` (行政处罚法 Art 36)."""
    return _years_after(violation_ended_on, conf.limitation_years(endangers_safety=endangers_safety))


@transaction.atomic
def case_file(
    *, actor, case_id: int, violation_ended_on=None, endangers_safety: bool = False, now=None
) -> PenaltyCase:
    """立案 approved by the head (立案审批表), refused past the limitation period of Art 36."""
    now = _now(now)
    today = _today(now)
    if not isinstance(violation_ended_on, datetime.date):
        raise ServiceError(_("请填写违法行为发生（终了）日期。"), field="violation_ended_on")
    if violation_ended_on > today:
        raise ServiceError(_("违法行为发生日期不能晚于今天。"), field="violation_ended_on")
    last_day = limitation_ends(violation_ended_on=violation_ended_on, endangers_safety=endangers_safety)
    if today > last_day:
        raise ServiceError(
            _("违法行为终了于%(day)s，已超过%(years)d年的追责期限（至%(last)s），不能立案（行政处罚法第三十六条）。")
            % {
                "day": violation_ended_on,
                "years": conf.limitation_years(endangers_safety=endangers_safety),
                "last": last_day,
            },
            field="violation_ended_on",
        )
    due = today + datetime.timedelta(days=conf.decision_limit_days())
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.PRELIMINARY_REVIEW,),
        action=_("立案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={
            "status": CaseStatus.FILED,
            "filed_at": now,
            "filed_by": actor,
            "decision_due": due,
            "violation_ended_on": violation_ended_on,
            "endangers_safety": bool(endangers_safety),
        },
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


def _money_or_none(value, *, field: str, name: str):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceError(_("%(name)s不是有效的金额。") % {"name": name}, field=field) from None
    if not amount.is_finite() or amount < 0:
        raise ServiceError(_("%(name)s不能为负数。") % {"name": name}, field=field)
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def case_conclude_investigation(
    *, actor, case_id: int, report: str, income_taken=None, refunds_made=None, now=None
) -> PenaltyCase:
    """调查终结报告: the facts found and, where fees were taken, the illegal income (taken − refunded)."""
    report = (report or "").strip()
    if not report:
        raise ServiceError(_("请填写调查终结报告（查明的事实）。"), field="report")
    taken = _money_or_none(income_taken, field="income_taken", name=_("收取费用"))
    refunded = _money_or_none(refunds_made, field="refunds_made", name=_("已退还费用"))
    income = None
    if taken is not None or refunded is not None:
        income = illegal_income(income_taken=taken or 0, refunds_made=refunded or 0)
    now = _now(now)
    case = _locked_case(case_id)
    if case.status == CaseStatus.INVESTIGATION and not case.evidence.exists():
        raise ServiceError(_("调查终结前请至少登记一项证据（现场检查笔录、询问笔录等）。"), field="report")
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.INVESTIGATION,),
        action=_("提交调查终结报告"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={
            "status": CaseStatus.INVESTIGATED,
            "investigation_findings": report,
            "investigation_closed_at": now,
            "investigation_closed_by": actor,
            "income_taken": taken,
            "refunds_made": refunded,
            "illegal_income": income,
        },
        kind=PenaltiesAuditKind.CASE_INVESTIGATION_CLOSED,
        summary=_("提交调查终结报告"),
        now=now,
    )


def _clean_penalties(penalties, *, case: PenaltyCase, required: bool = True) -> list[dict]:
    """Each row: kind, provision (the penalty article cited), amount, especially_serious, period_months, note.
    The kind must be one the article allows and a fine within its range (penalties.services.provisions)."""
    cleaned = []
    for raw in penalties:
        kind = raw.get("kind") or ""
        if not kind:
            continue
        if kind not in PenaltyKind.values:
            raise ServiceError(_("未知的处罚种类。"), field="penalties")
        label = PenaltyKind(kind).label
        provision = raw.get("provision")
        provision_id = raw.get("provision_id") or getattr(provision, "pk", provision)
        if not provision_id:
            raise ServiceError(_("“%(kind)s”请选择依据的罚则条款。") % {"kind": label}, field="penalties")
        provision = Provision.objects.filter(pk=provision_id).first()
        if provision is None:
            raise ServiceError(_("所选法律条款不存在。"), field="penalties")
        serious = bool(raw.get("especially_serious"))
        amount = None
        if kind in MONETARY_PENALTIES:
            amount, name = raw.get("amount"), _("%(kind)s金额") % {"kind": label}
            if amount in (None, ""):
                raise ServiceError(_("请填写%(field)s。") % {"field": name}, field="amount")
            amount = _money_or_none(amount, field="amount", name=name)
            if amount == 0:
                raise ServiceError(_("%(field)s必须大于零。") % {"field": name}, field="amount")
        if kind == PenaltyKind.CONFISCATION and case.illegal_income is not None and amount > case.illegal_income:
            raise ServiceError(
                _("没收违法所得不能多于调查终结报告认定的违法所得（¥%(income)s）。") % {"income": case.illegal_income},
                field="amount",
            )
        provision_check_penalty(
            provision=provision, kind=kind, amount=amount, especially_serious=serious,
            illegal_income=case.illegal_income,
        )
        period = raw.get("period_months")
        if kind == PenaltyKind.TRADE_RESTRICTION:
            try:
                period = int(period)
            except (TypeError, ValueError):
                period = 0
            if period <= 0:
                raise ServiceError(_("限制从业须填写限制期限（月）。"), field="period_months")
            person_name, person_id = _restricted_person(raw)
        else:
            period, person_name, person_id = None, "", ""
        supplement = (raw.get("legal_basis") or "").strip()
        basis = provision.citation + (f"、{supplement}" if supplement and supplement != provision.citation else "")
        cleaned.append(
            {
                "kind": kind,
                "amount": amount,
                "provision_id": provision.pk,
                "especially_serious": serious,
                "period_months": period,
                "person_name": person_name,
                "person_id_number": person_id,
                "legal_basis": basis[:300],
                "note": (raw.get("note") or "").strip()[:200],
            }
        )
    if required and not cleaned:
        raise ServiceError(_("请至少选择一项处罚。"), field="penalties")
    return cleaned


def _restricted_person(raw: dict) -> tuple[str, str]:
    """限制从业 is imposed on a person: the name and an identity number with a valid GB 11643 check character
    (the ban goes on the teacher black list under it)."""
    name = (raw.get("person_name") or "").strip()
    if not name:
        raise ServiceError(_("限制从业须填写被限制从业人员的姓名。"), field="person_name")
    if len(name) > 40:
        raise ServiceError(_("被限制从业人员姓名不能超过40个字。"), field="person_name")
    number = normalize_id_number(raw.get("person_id_number") or "")
    if not number:
        raise ServiceError(_("限制从业须填写被限制从业人员的身份证号。"), field="person_id_number")
    try:
        validate_id_number(number)
    except ValidationError as error:
        raise ServiceError(_("被限制从业人员%(message)s") % {"message": error.messages[0]},
                           field="person_id_number") from error
    return name, number


def _json_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "amount": None if r["amount"] is None else str(r["amount"])} for r in rows]


def _describe(rows) -> str:
    parts = []
    for r in rows:
        text = str(PenaltyKind(r["kind"]).label)
        if r.get("amount") not in (None, ""):
            text += f"¥{Decimal(r['amount']):,.2f}"
        if r.get("period_months"):
            text += _("（%(n)s个月）") % {"n": r["period_months"]}
        parts.append(text)
    return "、".join(parts)


def is_heavy(*, case: PenaltyCase, rows) -> bool:
    """行政处罚法 Art 63: a penalty that gives the right to a hearing — 较大数额 fines or confiscations (the
    province's threshold, a setting) or stopping, revocation, restriction from the trade."""
    threshold = conf.hearing_threshold(region_code=case.department.region.code, person=case.party_is_person)
    for r in rows:
        if r["kind"] in HEARING_KINDS:
            return True
        if r["kind"] in MONETARY_PENALTIES and r.get("amount") not in (None, "") and Decimal(r["amount"]) >= threshold:
            return True
    return False


@transaction.atomic
def case_adjudicate(
    *, actor, case_id: int, outcome: str, reason: str = "", penalties=(), referred_to: str = "", now=None
) -> PenaltyCase:
    """审理 by the head (Art 57): propose a penalty or no penalty (both then told to the party), withdraw the
    filing (撤销立案), or refer the case to the judicial organs (移送司法机关, 案件移送书)."""
    if outcome not in Adjudication.values:
        raise ServiceError(_("请选择审理意见。"), field="outcome")
    reason = (reason or "").strip()
    now = _now(now)
    case = _locked_case(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_DECIDE_DENIED)
    require_status(case, (CaseStatus.INVESTIGATED,), _("审理"))
    changes = {"adjudicated_at": now, "adjudicated_by": actor, "adjudication": outcome, "adjudication_reason": reason}
    if outcome == Adjudication.PENALTY:
        rows = _clean_penalties(penalties, case=case)
        changes.update(
            status=CaseStatus.PROPOSED,
            proposed=_json_rows(rows),
            proposed_penalties=_describe(rows),
            hearing_right=is_heavy(case=case, rows=rows),
        )
        summary = _("审理：拟给予行政处罚（%(p)s）") % {"p": _describe(rows)}
    elif outcome == Adjudication.NO_PENALTY:
        if not reason:
            raise ServiceError(_("请填写不予行政处罚的理由。"), field="reason")
        changes.update(status=CaseStatus.PROPOSED, proposed=[], proposed_penalties="", hearing_right=False)
        summary = _("审理：拟不予行政处罚")
    elif outcome == Adjudication.WITHDRAW:
        if not reason:
            raise ServiceError(_("请填写撤销立案的理由。"), field="reason")
        changes.update(status=CaseStatus.WITHDRAWN, withdrawn_at=now)
        summary = _("审理：撤销立案")
    else:
        referred_to = (referred_to or "").strip()
        if not referred_to:
            raise ServiceError(_("请填写接受移送的司法机关。"), field="referred_to")
        if not reason:
            raise ServiceError(_("请填写移送理由（涉嫌犯罪的事实）。"), field="reason")
        changes.update(status=CaseStatus.REFERRED, referred_at=now, referred_to=referred_to[:100])
        summary = _("审理：移送%(to)s") % {"to": referred_to}
    before = _snap(case)
    for name, value in changes.items():
        setattr(case, name, value)
    case.updated_by = actor
    case.save(update_fields=[*changes, "updated_by", "updated_at"])
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_ADJUDICATED, obj=case, institution_id=case.institution_id,
        before=before, after=_snap(case), summary=summary, now=now,
    )
    return case


@transaction.atomic
def case_notify_rights(*, actor, case_id: int, now=None) -> PenaltyCase:
    """行政处罚事先告知书 issued (Art 44; with the hearing right where Art 63 applies). The statement period runs
    from its service (case_serve_rights_notice), not from here."""
    now = _now(now)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.PROPOSED,),
        action=_("制作事先告知书"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={"status": CaseStatus.NOTICE_OF_RIGHTS, "rights_notified_at": now, "rights_notified_by": actor,
                 "statement_due": None},
        kind=PenaltiesAuditKind.CASE_RIGHTS_NOTIFIED,
        summary=_("制作行政处罚事先告知书，待送达"),
        now=now,
    )


@transaction.atomic
def case_serve_rights_notice(*, actor, case_id: int, data: dict, now=None) -> ServiceRecord:
    """送达 the 事先告知书: the statement (and hearing-request) period runs from the time of service."""
    case = _locked_case(case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("送达事先告知书"))
    if case.rights_served_at is not None:
        raise TransitionNotAllowed(_("事先告知书已送达，不能重复送达。"))
    cleaned = _validate_service(data=data, issued_at=case.rights_notified_at, now=now)
    record = _record_service(
        actor=actor, document_type=ServedDocument.RIGHTS_NOTICE, document_id=case.pk,
        number=CaseDocument.objects.filter(case=case, kind="rights_notice").values_list("number", flat=True).first()
        or "",  # the 事先告知书's number where it has been issued
        institution=case.institution, data=cleaned, now=now,
    )
    before = _snap(case)
    case.rights_served_at = record.served_at
    case.statement_due = add_working_days(timezone.localdate(record.served_at), conf.statement_working_days())
    case.updated_by = actor
    case.save(update_fields=["rights_served_at", "statement_due", "updated_by", "updated_at"])
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_RIGHTS_SERVED, obj=case, institution_id=case.institution_id,
        before=before, after={**_snap(case), "service": _snap(record)},
        summary=_("送达行政处罚事先告知书，陈述申辩期限至%(due)s") % {"due": case.statement_due}, now=now,
    )
    return record


@transaction.atomic
def case_record_statement(
    *, actor, case_id: int, statement: str = "", waived: bool = False, now=None
) -> PenaltyCase:
    """The party's statement and defence (陈述申辩), or its express waiver of statement and hearing."""
    statement = (statement or "").strip()
    if not statement and not waived:
        raise ServiceError(_("请记录当事人的陈述申辩内容，或注明当事人明确放弃。"), field="statement")
    now = _now(now)
    case = _locked_case(case_id)
    if case.status == CaseStatus.NOTICE_OF_RIGHTS and case.rights_served_at is None:
        raise TransitionNotAllowed(_("事先告知书尚未送达，不能记录陈述申辩。"))
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=(CaseStatus.NOTICE_OF_RIGHTS,),
        action=_("记录陈述申辩"),
        permission=permissions.can_work_case,
        denied_message=_WORK_DENIED,
        changes={
            "statement": statement,
            "rights_waived": bool(waived),
            "statement_recorded_at": now,
            "statement_recorded_by": actor,
        },
        kind=PenaltiesAuditKind.CASE_STATEMENT_RECORDED,
        summary=_("记录当事人陈述申辩") if statement else _("当事人明确放弃陈述申辩和听证"),
        now=now,
    )


def _heavier_than_proposed(case: PenaltyCase, rows: list[dict]) -> str:
    """What makes the decision heavier than what the party was told (Art 45), or ''."""
    proposed = {}
    for r in case.proposed or []:
        proposed.setdefault(r["kind"], []).append(r)
    for r in rows:
        told = proposed.get(r["kind"])
        label = PenaltyKind(r["kind"]).label
        if not told:
            return _("事先告知中没有“%(kind)s”") % {"kind": label}
        if r["amount"] is not None and r["amount"] > max(Decimal(t.get("amount") or 0) for t in told):
            return _("“%(kind)s”金额高于事先告知的金额") % {"kind": label}
        if r["period_months"] and r["period_months"] > max(int(t.get("period_months") or 0) for t in told):
            return _("“%(kind)s”期限长于事先告知的期限") % {"kind": label}
    return ""


def _decision_guards(case: PenaltyCase, *, today, rows) -> None:
    from .reviews import discussion_required, legal_review_required

    if case.rights_served_at is None:
        raise TransitionNotAllowed(_("事先告知书尚未送达当事人，不能作出决定（行政处罚法第四十四条）。"))
    if case.statement_due and today <= case.statement_due and not case.rights_waived:
        raise TransitionNotAllowed(
            _("当事人陈述申辩期限（至%(due)s）未满，暂不能作出决定。") % {"due": case.statement_due}
        )
    hearing = getattr(case, "hearing", None)
    if hearing is not None and not hearing.concluded:
        raise TransitionNotAllowed(_("当事人已申请听证，听证尚未举行并提交听证报告，不能作出决定。"))
    if legal_review_required(case):
        review = case.legal_reviews.order_by("-reviewed_at", "-id").first()
        if review is None:
            raise TransitionNotAllowed(_("本案须经法制审核（行政处罚法第五十八条），尚未审核。"))
        if review.conclusion == ReviewConclusion.DISAGREE:
            raise TransitionNotAllowed(_("法制审核意见为不同意，不能作出决定。"))
    if discussion_required(case) and not case.discussions.exists():
        raise TransitionNotAllowed(_("本案须经负责人集体讨论（行政处罚法第五十七条），尚未讨论。"))


@transaction.atomic
def case_decide(
    *,
    actor,
    case_id: int,
    facts: str,
    penalties: list[dict] = (),
    kind: str = DecisionKind.PENALTY,
    no_penalty_ground: str = "",
    statement_adopted=None,
    statement_reasons: str = "",
    correction_order: str = "",
    refund_ordered: bool = False,
    refund_amount=None,
    social_impact: bool = False,
    party_is_natural_person: bool = False,
    person_names=(),
    now=None,
) -> Decision:
    """决定 by the head: 行政处罚决定书 or 不予行政处罚决定书, numbered here, PDF rendered after commit.
    Refused while the statement period runs, while a requested hearing is not concluded, without a required
    legal review or collective discussion, or heavier than the party was told (Art 45).
    A penalty decision marked as having social impact opens its publication (Art 48: within 7 working days),
    masked: the given natural persons' names, and the party's own when it is a natural person."""
    case = _locked_case(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_("只有承办部门负责人可以作出处罚决定。"))
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("作出处罚决定"))
    if kind not in DecisionKind.values:
        raise ServiceError(_("请选择决定类别。"), field="kind")
    today = _today(now)
    facts = (facts or "").strip()
    if not facts:
        raise ServiceError(_("请填写经查明的事实。"), field="facts")
    if kind == DecisionKind.NO_PENALTY:
        if no_penalty_ground not in NoPenaltyGround.values:
            raise ServiceError(_("请选择不予行政处罚的理由。"), field="no_penalty_ground")
        if social_impact:
            raise ServiceError(_("不予行政处罚决定不按具有社会影响的处罚决定公开。"), field="social_impact")
        rows = []
    else:
        if case.adjudication == Adjudication.NO_PENALTY:
            raise TransitionNotAllowed(_("事先告知的是拟不予行政处罚，不能作出处罚决定；如需处罚，应重新审理并告知。"))
        rows = _clean_penalties(penalties, case=case)
        heavier = _heavier_than_proposed(case, rows)
        if heavier:
            raise ServiceError(
                _("%(what)s：决定不得重于事先告知的处罚，不得因当事人陈述申辩而加重（行政处罚法第四十五条）。")
                % {"what": heavier},
                field="penalties",
            )
    _decision_guards(case, today=today, rows=rows)
    reasons = (statement_reasons or "").strip()
    if case.statement and statement_adopted is None:
        raise ServiceError(_("请写明当事人陈述申辩意见是否采纳。"), field="statement_adopted")
    if case.statement and statement_adopted is False and not reasons:
        raise ServiceError(_("不予采纳陈述申辩意见的，请写明理由。"), field="statement_reasons")
    refund = _money_or_none(refund_amount, field="refund_amount", name=_("应退还费用"))
    if refund is not None and not refund_ordered:
        refund_ordered = True
    now = _now(now)
    before = _snap(case)
    decision = Decision(
        case=case, kind=kind, facts=facts, decided_at=now, decided_by=actor,
        no_penalty_ground=no_penalty_ground if kind == DecisionKind.NO_PENALTY else "",
        statement_summary=case.statement,
        statement_adopted=statement_adopted if case.statement else None,
        statement_reasons=reasons,
        correction_order=(correction_order or "").strip(),
        refund_ordered=bool(refund_ordered), refund_amount=refund, social_impact=bool(social_impact),
    )
    number_kind = (
        DocumentKind.NO_PENALTY_DECISION if kind == DecisionKind.NO_PENALTY else DocumentKind.PENALTY_DECISION
    )
    _assign_number(decision, kind=number_kind, department=case.department, now=now)
    decision.save()
    Penalty.objects.bulk_create(
        [
            Penalty(
                decision=decision, position=i, kind=p["kind"], amount=p["amount"], legal_basis=p["legal_basis"],
                provision_id=p["provision_id"], especially_serious=p["especially_serious"],
                period_months=p["period_months"], note=p["note"],
                person_name=p.get("person_name", ""), person_id_number=p.get("person_id_number", ""),
            )
            for i, p in enumerate(rows, 1)
        ]
    )
    _ban_restricted_persons(actor=actor, case=case, decision=decision)
    case.status, case.decided_at, case.decided_by, case.updated_by = CaseStatus.DECIDED, now, actor, actor
    case.service_due = add_working_days(today, conf.service_working_days())
    case.save(update_fields=["status", "decided_at", "decided_by", "service_due", "updated_by", "updated_at"])
    register_document(
        obj=decision,
        kind=ServedDocument.PENALTY_DECISION,
        number=decision.number,
        title=str(decision.get_kind_display()),
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
        after={**_snap(case), "decision": decision.number, "penalties": _json_rows(rows),
               "social_impact": decision.social_impact},
        summary=_("作出%(title)s %(number)s") % {"title": decision.get_kind_display(), "number": decision.number},
        now=now,
    )
    if decision.social_impact:
        # In this transaction: a publication that cannot be opened leaves no decision behind it either.
        publications.publication_open_for_case(case_id=case.pk, actor=actor, now=now,
                                               party_is_natural_person=bool(party_is_natural_person),
                                               person_names=person_names or ())
    _queue_pdf("decision", decision.pk)
    return decision


def _ban_restricted_persons(*, actor, case: PenaltyCase, decision: Decision) -> None:
    """Each 限制从业 of the decision on the teacher black list, in the deciding transaction, from the decision's
    date for its period (institutions.teachers.ban_from_penalty: once per penalty row)."""
    for penalty in decision.penalties.filter(kind=PenaltyKind.TRADE_RESTRICTION).order_by("position"):
        teachers.ban_from_penalty(
            actor=actor, penalty_id=penalty.pk, case_id=case.pk, department=case.department,
            name=penalty.person_name, id_number=penalty.person_id_number,
            starts_on=timezone.localdate(decision.decided_at), months=penalty.period_months,
            source=decision.number,
            reason=_("%(institution)s案：%(basis)s") % {"institution": case.institution.name,
                                                      "basis": penalty.legal_basis})


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
    if decision.penalties.filter(kind__in=(PenaltyKind.FINE, PenaltyKind.CONFISCATION)).exists():
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
        summary=_("送达%(title)s %(number)s") % {"title": decision.get_kind_display(), "number": decision.number},
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
    """Record execution (执行); a licence revocation or an order to stop running takes effect on the register
    here. A fine must be paid in full (with its surcharge), unless the court enforces it."""
    from .execution import outstanding

    case = _locked_case(case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    require_status(case, (CaseStatus.SERVED, CaseStatus.ENFORCEMENT), _("记录执行"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写执行情况。"), field="note")
    now = _now(now)
    if case.decision.kind == DecisionKind.NO_PENALTY:
        raise TransitionNotAllowed(_("不予行政处罚的案件无须执行，送达后即可结案。"))
    if case.status == CaseStatus.SERVED:
        due = outstanding(case, on=_today(now))
        if due > 0:
            raise TransitionNotAllowed(
                _("罚款尚未缴清（尚欠¥%(due)s，含加处罚款），不能记录执行完毕。") % {"due": f"{due:,.2f}"}
            )
    kinds = set(case.decision.penalties.values_list("kind", flat=True))
    if PenaltyKind.LICENCE_REVOCATION in kinds:
        _revoke_licences(case=case, actor=actor, now=now)
    if PenaltyKind.STOP_RUNNING in kinds:
        institution_set_operating_state(
            actor=actor, institution_id=case.institution_id, state="banned",
            reason=str(_("处罚决定 %(number)s 责令停止举办") % {"number": case.decision.number}),
        )
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
def case_close(*, actor, case_id: int, report: str, now=None) -> PenaltyCase:
    """结案报告 and closure: an executed penalty, or a served 不予行政处罚决定书."""
    report = (report or "").strip()
    if not report:
        raise ServiceError(_("请填写结案报告。"), field="report")
    now = _now(now)
    case = _locked_case(case_id)
    allowed = [CaseStatus.EXECUTED]
    decision = getattr(case, "decision", None) if case.decided_at else None
    if decision is not None and decision.kind == DecisionKind.NO_PENALTY:
        allowed.append(CaseStatus.SERVED)
    return _case_step(
        actor=actor,
        case_id=case_id,
        allowed=tuple(allowed),
        action=_("结案"),
        permission=permissions.can_decide_case,
        denied_message=_DECIDE_DENIED,
        changes={"status": CaseStatus.CLOSED, "closed_at": now, "closed_by": actor, "closure_report": report},
        kind=PenaltiesAuditKind.CASE_CLOSED,
        summary=_("结案"),
        now=now,
    )


# Statuses in which the decision period (Art 60) runs.
PERIOD_RUNNING = (
    CaseStatus.FILED, CaseStatus.INVESTIGATION, CaseStatus.INVESTIGATED, CaseStatus.PROPOSED,
    CaseStatus.NOTICE_OF_RIGHTS,
)


def _period_change(*, actor, case_id, kind, reason, new_due=None, now=None):
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写理由。"), field="reason")
    now = _now(now)
    today = _today(now)
    case = _locked_case(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_DECIDE_DENIED)
    require_status(case, PERIOD_RUNNING, _("中止或延长办案期限"))
    if case.period_changes.filter(kind=PeriodChangeKind.SUSPEND, ended_on__isnull=True).exists():
        raise TransitionNotAllowed(_("办案期限已中止，请先恢复计算。"))
    before = _snap(case)
    old_due = case.decision_due
    if kind == PeriodChangeKind.EXTEND:
        if not isinstance(new_due, datetime.date):
            raise ServiceError(_("请填写延长后的期限。"), field="new_due")
        if old_due and new_due <= old_due:
            raise ServiceError(_("延长后的期限须晚于原期限（%(due)s）。") % {"due": old_due}, field="new_due")
        case.decision_due = new_due
        case.updated_by = actor
        case.save(update_fields=["decision_due", "updated_by", "updated_at"])
    change = CasePeriodChange.objects.create(
        case=case, kind=kind, reason=reason, started_on=today, old_due=old_due,
        new_due=new_due if kind == PeriodChangeKind.EXTEND else None, approved_by=actor, recorded_at=now,
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_PERIOD_EXTENDED if kind == PeriodChangeKind.EXTEND
        else PenaltiesAuditKind.CASE_PERIOD_SUSPENDED,
        obj=case, institution_id=case.institution_id, before=before,
        after={**_snap(case), "period_change": _snap(change)},
        summary=(_("办案期限延长至%(due)s：%(r)s") % {"due": new_due, "r": reason[:60]})
        if kind == PeriodChangeKind.EXTEND else _("办案期限中止计算：%(r)s") % {"r": reason[:60]},
        now=now,
    )
    return change


@transaction.atomic
def case_period_extend(*, actor, case_id: int, new_due, reason: str, now=None) -> CasePeriodChange:
    """Extend the decision period (Art 60: 法律、法规、规章另有规定的除外; approved by the head, with a reason)."""
    return _period_change(actor=actor, case_id=case_id, kind=PeriodChangeKind.EXTEND, reason=reason,
                          new_due=new_due, now=now)


@transaction.atomic
def case_period_suspend(*, actor, case_id: int, reason: str, now=None) -> CasePeriodChange:
    """Suspend the decision period (中止: e.g. an expert opinion or the hearing); resumed by case_period_resume."""
    return _period_change(actor=actor, case_id=case_id, kind=PeriodChangeKind.SUSPEND, reason=reason, now=now)


@transaction.atomic
def case_period_resume(*, actor, case_id: int, now=None) -> PenaltyCase:
    """Resume the suspended period: the days it was suspended are added to the decision period."""
    now = _now(now)
    today = _today(now)
    case = _locked_case(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_DECIDE_DENIED)
    require_status(case, PERIOD_RUNNING, _("恢复计算办案期限"))
    change = case.period_changes.select_for_update().filter(
        kind=PeriodChangeKind.SUSPEND, ended_on__isnull=True
    ).first()
    if change is None:
        raise TransitionNotAllowed(_("办案期限未中止。"))
    before = _snap(case)
    days = (today - change.started_on).days
    change.ended_on = today
    change.new_due = (case.decision_due + datetime.timedelta(days=days)) if case.decision_due else None
    change.save(update_fields=["ended_on", "new_due"])
    case.decision_due, case.updated_by = change.new_due, actor
    case.save(update_fields=["decision_due", "updated_by", "updated_at"])
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_PERIOD_RESUMED, obj=case, institution_id=case.institution_id,
        before=before, after=_snap(case),
        summary=_("恢复计算办案期限（中止%(n)d日），期限至%(due)s") % {"n": days, "due": case.decision_due}, now=now,
    )
    return case


@transaction.atomic
def decision_record_credit_sanction(*, actor, case_id: int, note: str, now=None) -> Decision:
    """联合信用惩戒: a consequence recorded after the decision, not a penalty of it."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写联合信用惩戒措施。"), field="note")
    now = _now(now)
    case = _locked_case(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_DECIDE_DENIED)
    require_status(
        case, (CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.ENFORCEMENT, CaseStatus.EXECUTED, CaseStatus.CLOSED),
        _("记录联合信用惩戒"),
    )
    decision = Decision.objects.select_for_update().get(case=case)
    if decision.kind == DecisionKind.NO_PENALTY:
        raise TransitionNotAllowed(_("不予行政处罚的案件不能记录联合信用惩戒。"))
    before = _snap(decision)
    decision.credit_sanction_at, decision.credit_sanction_note = now, note
    decision.save(update_fields=["credit_sanction_at", "credit_sanction_note"])
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_CREDIT_SANCTION, obj=case, institution_id=case.institution_id,
        before=before, after=_snap(decision), summary=_("记录联合信用惩戒：%(n)s") % {"n": note[:60]}, now=now,
    )
    return decision
