"""执行: payments of the fine (amount, date, receipt), the 加处罚款 of 行政处罚法 Art 72 (3% of the fine a day
once the 15 days of Art 67 have passed, never more than the fine), the written reminder (催告书, 行政强制法
Art 54) and, 10 days after it and once the periods for review and lawsuit have passed (Art 53), the
application to the court (强制执行申请书).

Payments go to the fine first, then to confiscated money, then to the surcharge; the surcharge accrues on the
part of the fine still unpaid."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseDocument, CaseStatus, Payment, PenaltyCase, PenaltyKind, ServedDocument, ServiceRecord
from .common import _now, _snap, _today
from .documents import _record_service, _validate_service

CENT = Decimal("0.01")
_WORK_DENIED = _("只有承办部门的执法人员可以办理该案件。")


def _sum(case, kinds) -> Decimal:
    decision = getattr(case, "decision", None) if case.decided_at else None
    if decision is None:
        return Decimal("0")
    return decision.penalties.filter(kind__in=kinds).aggregate(s=Sum("amount"))["s"] or Decimal("0")


def fine_total(case: PenaltyCase) -> Decimal:
    return _sum(case, [PenaltyKind.FINE])


def money_due(case: PenaltyCase) -> Decimal:
    """The fine and the confiscated illegal income, without the surcharge."""
    return _sum(case, [PenaltyKind.FINE, PenaltyKind.CONFISCATION])


def _months_after(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def surcharge(case: PenaltyCase, *, on: datetime.date, payments=None) -> Decimal:
    """加处罚款 accrued up to and including `on`: 3% a day of the unpaid fine after payment_due, capped at the fine."""
    fine = fine_total(case)
    if not fine or case.payment_due is None or on <= case.payment_due:
        return Decimal("0.00")
    rate = conf.surcharge_daily_rate()
    payments = list(case.payments.order_by("paid_on", "id")) if payments is None else payments
    paid_before = sum((p.amount for p in payments if p.paid_on <= case.payment_due), Decimal("0"))
    unpaid = max(fine - paid_before, Decimal("0"))
    cursor, accrued = case.payment_due, Decimal("0")
    for p in payments:
        if p.paid_on <= case.payment_due or p.paid_on > on:
            continue
        accrued += unpaid * rate * (p.paid_on - cursor).days
        unpaid = max(unpaid - p.amount, Decimal("0"))
        cursor = p.paid_on
    accrued += unpaid * rate * (on - cursor).days
    return min(accrued, fine).quantize(CENT)


def paid_total(case: PenaltyCase, *, on: datetime.date | None = None) -> Decimal:
    rows = case.payments.all() if on is None else case.payments.filter(paid_on__lte=on)
    return rows.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def outstanding(case: PenaltyCase, *, on: datetime.date) -> Decimal:
    """What the party still owes on `on`: fine and confiscated money plus the surcharge, less what it paid."""
    return max(money_due(case) + surcharge(case, on=on) - paid_total(case), Decimal("0")).quantize(CENT)


def _locked(case_id, actor):
    case = PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    return case


@transaction.atomic
def payment_record(*, actor, case_id: int, amount, paid_on: datetime.date, receipt: str, now=None) -> Payment:
    now = _now(now)
    case = _locked(case_id, actor)
    require_status(case, (CaseStatus.SERVED, CaseStatus.ENFORCEMENT), _("记录缴款"))
    if not money_due(case):
        raise TransitionNotAllowed(_("本案决定没有罚款或没收违法所得，无须缴款。"))
    try:
        amount = Decimal(amount).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceError(_("请填写有效的缴款金额。"), field="amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ServiceError(_("缴款金额必须大于零。"), field="amount")
    if not isinstance(paid_on, datetime.date):
        raise ServiceError(_("请填写缴款日期。"), field="paid_on")
    if paid_on > _today(now):
        raise ServiceError(_("缴款日期不能晚于今天。"), field="paid_on")
    if case.served_at and paid_on < timezone.localdate(case.served_at):
        raise ServiceError(_("缴款日期不能早于决定书送达日期。"), field="paid_on")
    receipt = (receipt or "").strip()
    if not receipt:
        raise ServiceError(_("请填写缴款凭证号。"), field="receipt")
    due = outstanding(case, on=paid_on)
    if amount > due:
        raise ServiceError(
            _("缴款金额¥%(amount)s大于应缴金额¥%(due)s（含截至%(day)s的加处罚款）。")
            % {"amount": f"{amount:,.2f}", "due": f"{due:,.2f}", "day": paid_on},
            field="amount",
        )
    payment = Payment.objects.create(
        case=case, amount=amount, paid_on=paid_on, receipt=receipt[:60], recorded_at=now, recorded_by=actor
    )
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_PAYMENT_RECORDED, obj=case, institution_id=case.institution_id,
        after={"payment": _snap(payment)},
        summary=_("记录缴款¥%(amount)s（凭证%(r)s）") % {"amount": f"{amount:,.2f}", "r": receipt[:30]}, now=now,
    )
    return payment


def _reminder_guards(case: PenaltyCase, *, today: datetime.date) -> None:
    require_status(case, (CaseStatus.SERVED,), _("送达催告书"))
    if case.reminder_served_on is not None:
        raise TransitionNotAllowed(_("催告书已送达。"))
    if case.payment_due is None or today <= case.payment_due:
        raise TransitionNotAllowed(_("缴款期限（%(due)s）未满，不能催告。") % {"due": case.payment_due})
    if outstanding(case, on=today) <= 0:
        raise TransitionNotAllowed(_("罚款已缴清，无须催告。"))


def _check_reminder_day(case: PenaltyCase, served_on: datetime.date, *, today: datetime.date, field: str) -> None:
    if served_on > today or served_on <= case.payment_due:
        raise ServiceError(_("催告书送达日期应在缴款期限之后、不晚于今天。"), field=field)


def _reminded(case: PenaltyCase, *, actor, served_on: datetime.date, now, service=None) -> None:
    before = _snap(case)
    case.reminder_served_on, case.reminder_by, case.updated_by = served_on, actor, actor
    case.save(update_fields=["reminder_served_on", "reminder_by", "updated_by", "updated_at"])
    after = _snap(case) if service is None else {**_snap(case), "service": _snap(service)}
    summary = (_("送达催告书（%(day)s）") % {"day": served_on} if service is None else
               _("送达催告书（%(method)s，%(day)s）") % {"method": service.get_method_display(), "day": served_on})
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_REMINDED, obj=case, institution_id=case.institution_id,
        before=before, after=after, summary=summary, now=now,
    )


@transaction.atomic
def case_remind(*, actor, case_id: int, served_on: datetime.date, now=None) -> PenaltyCase:
    """催告书 served on `served_on` (a date, as recorded so far), once the payment period has passed and money
    is still owed. case_serve_reminder records its service on a 送达回证 instead."""
    now = _now(now)
    today = _today(now)
    case = _locked(case_id, actor)
    _reminder_guards(case, today=today)
    if not isinstance(served_on, datetime.date):
        raise ServiceError(_("请填写催告书送达日期。"), field="served_on")
    _check_reminder_day(case, served_on, today=today, field="served_on")
    _reminded(case, actor=actor, served_on=served_on, now=now)
    return case


@transaction.atomic
def case_serve_reminder(*, actor, case_id: int, data: dict, now=None) -> ServiceRecord:
    """送达 the 催告书 like any document (送达回证): the ten days before the court may be applied to count from
    the time of service; 公告送达 counts as served only when its notice period is over (_validate_service)."""
    now = _now(now)
    today = _today(now)
    case = _locked(case_id, actor)
    _reminder_guards(case, today=today)
    issued = CaseDocument.objects.filter(case=case, kind="reminder").first()
    cleaned = _validate_service(data=data, issued_at=issued.issued_at if issued else None, now=now)
    served_on = timezone.localdate(cleaned["served_at"])
    _check_reminder_day(case, served_on, today=today, field="served_at")
    record = _record_service(
        actor=actor, document_type=ServedDocument.PAYMENT_REMINDER, document_id=case.pk,
        number=issued.number if issued else "", institution=case.institution, data=cleaned, now=now,
    )
    _reminded(case, actor=actor, served_on=served_on, now=now, service=record)
    return record


def enforcement_earliest(case: PenaltyCase) -> datetime.date | None:
    """The first day the court may be applied to: 10 days after the reminder, and after the lawsuit period."""
    if case.reminder_served_on is None or case.served_at is None:
        return None
    after_reminder = case.reminder_served_on + datetime.timedelta(days=conf.enforcement_after_reminder_days())
    after_lawsuit = _months_after(timezone.localdate(case.served_at), conf.enforcement_wait_months())
    return max(after_reminder, after_lawsuit + datetime.timedelta(days=1))


@transaction.atomic
def case_apply_enforcement(*, actor, case_id: int, court: str, now=None) -> PenaltyCase:
    court = (court or "").strip()
    if not court:
        raise ServiceError(_("请填写受理申请的人民法院。"), field="court")
    now = _now(now)
    today = _today(now)
    case = _locked(case_id, actor)
    require_status(case, (CaseStatus.SERVED,), _("申请强制执行"))
    if case.reminder_served_on is None:
        raise TransitionNotAllowed(_("申请强制执行前应先送达催告书（行政强制法第五十四条）。"))
    earliest = enforcement_earliest(case)
    if today < earliest:
        raise TransitionNotAllowed(
            _("催告书送达满十日且复议、诉讼期限届满后（%(day)s起）方可申请人民法院强制执行。") % {"day": earliest}
        )
    if outstanding(case, on=today) <= 0:
        raise TransitionNotAllowed(_("罚款已缴清，无须申请强制执行。"))
    before = _snap(case)
    case.status, case.enforcement_applied_on, case.enforcement_court = CaseStatus.ENFORCEMENT, today, court[:100]
    case.updated_by = actor
    case.save(update_fields=["status", "enforcement_applied_on", "enforcement_court", "updated_by", "updated_at"])
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_ENFORCEMENT_APPLIED, obj=case, institution_id=case.institution_id,
        before=before, after=_snap(case), summary=_("申请%(court)s强制执行") % {"court": court}, now=now,
    )
    return case
