"""Supervised accounts (资金监管账户): binding, and charges checked against the prepayment rules. Bank statements
are imported by statements.py."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from institutions.models import Institution
from publicity.cache import bump_version
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from .. import permissions, rules
from ..audit_kinds import FundsAuditKind
from ..models import BankFormat, Charge, ChargeSource, FundAccount, SupervisionMode
from .alerts import alert_raise, charge_alerts
from .common import acting_department, now_or, snap

_ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,32}$")


def _money(value, field, *, allow_negative=False) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
        amount = amount.quantize(Decimal("0.01")) if amount.is_finite() else amount
    except (InvalidOperation, ValueError):
        raise ServiceError(_("金额“%(v)s”无法识别。") % {"v": value}, field=field) from None
    if not amount.is_finite() or (amount < 0 and not allow_negative) or abs(amount) >= Decimal("1e12"):
        raise ServiceError(_("金额“%(v)s”超出范围。") % {"v": value}, field=field)
    return amount


@transaction.atomic
def account_bind(*, actor, institution_id: int, bank_format_id: int, account_number: str, opened_on,
                 mode: str = SupervisionMode.CUSTODY, minimum_balance=0, now=None) -> FundAccount:
    """Bind (or change) an institution's supervised account and its minimum balance."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_keep_account(actor, institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以绑定资金监管账户。"))
    account_number = re.sub(r"\s+", "", account_number or "")
    if not _ACCOUNT_NUMBER.match(account_number):
        raise ServiceError(_("银行账号应为 8 至 32 位数字。"), field="account_number")
    bank = BankFormat.objects.filter(pk=bank_format_id).first()
    if bank is None:
        raise ServiceError(_("请选择监管银行。"), field="bank_format")
    if mode not in SupervisionMode.values:
        raise ServiceError(_("请选择监管方式。"), field="mode")
    if not isinstance(opened_on, datetime.date):
        raise ServiceError(_("请填写开户日期。"), field="opened_on")
    minimum = _money(minimum_balance or 0, "minimum_balance")
    if FundAccount.objects.filter(bank_format=bank, account_number=account_number).exclude(
            institution=institution).exists():
        raise ServiceError(_("该银行账号已绑定其他机构。"), field="account_number")
    account = FundAccount.objects.select_for_update().filter(institution=institution).first()
    now = now_or(now)
    before = snap(account) if account else None
    if account is None:
        account = FundAccount(institution=institution, created_by=actor,
                              department=acting_department(actor, institution))
    elif account.bank_format_id != bank.pk and account.transactions.exists():
        raise ServiceError(_("该账户已有导入的流水，不能更换银行；请先解除后重新绑定。"), field="bank_format")
    account.bank_format = bank
    account.account_number = account_number
    account.opened_on = opened_on
    account.mode = mode
    account.minimum_balance = minimum
    account.updated_by = actor
    account.save()
    if before is None:
        transaction.on_commit(bump_version)  # the public institution page says whether it has an account
    record_event(actor=actor, kind=FundsAuditKind.ACCOUNT_UPDATED if before else FundsAuditKind.ACCOUNT_BOUND,
                 obj=account, institution_id=institution.pk, before=_masked(before), after=_masked(snap(account)),
                 summary=_("资金监管账户：%(bank)s %(number)s") % {"bank": bank, "number": account.masked_number},
                 now=now)
    return account


def _masked(data):
    if data and data.get("account_number"):
        number = data["account_number"]
        data = {**data, "account_number": "*" * (len(number) - 4) + number[-4:]}
    return data


# ---- charges -----------------------------------------------------------------------------------------------


@transaction.atomic
def charge_record(*, actor, institution_id: int, paid_on, amount, class_hours, covers_from, covers_until,
                  source: str = ChargeSource.CONTRACT, into_supervised_account: bool = True, reference: str = "",
                  course_id: int | None = None, now=None) -> Charge:
    """Record a charge (from a contract, a receipt or a parent's report) and raise an alert for each breach."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_keep_account(actor, institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以登记收费记录。"))
    if source not in ChargeSource.values:
        raise ServiceError(_("请选择来源。"), field="source")
    for field, value in (("paid_on", paid_on), ("covers_from", covers_from), ("covers_until", covers_until)):
        if not isinstance(value, datetime.date):
            raise ServiceError(_("请填写日期。"), field=field)
    if covers_until < covers_from:
        raise ServiceError(_("课程截止日期不能早于起始日期。"), field="covers_until")
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ServiceError(_("金额应大于 0。"), field="amount")
    try:
        class_hours = int(class_hours)
    except (TypeError, ValueError):
        raise ServiceError(_("请填写课时数。"), field="class_hours") from None
    if not 1 <= class_hours <= 10000:
        raise ServiceError(_("课时数应在 1 至 10000 之间。"), field="class_hours")
    course = None
    if course_id:
        course = institution.courses.filter(pk=course_id).first()
        if course is None:
            raise ServiceError(_("班次不属于该机构。"), field="course")
    breaches = rules.prepayment_breaches(amount=amount, class_hours=class_hours, covers_from=covers_from,
                                         covers_until=covers_until, into_supervised_account=into_supervised_account)
    now = now_or(now)
    charge = Charge.objects.create(
        institution=institution, course=course, source=source, paid_on=paid_on, amount=amount,
        class_hours=class_hours, covers_from=covers_from, covers_until=covers_until,
        into_supervised_account=into_supervised_account, breaches=breaches, reference=(reference or "").strip()[:60],
        created_by=actor, updated_by=actor)
    record_event(actor=actor, kind=FundsAuditKind.CHARGE_RECORDED, obj=charge, institution_id=institution.pk,
                 after={**snap(charge), "violations": breaches},
                 summary=_("登记收费 %(amount)s 元") % {"amount": amount}, now=now)
    for alert in charge_alerts(charge):
        alert_raise(actor=actor, now=now, **alert)
    return charge



