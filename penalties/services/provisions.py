"""The library of provisions at work: a penalty checked against the article it cites (kind allowed, fine within
the article's range) and the illegal income (违法所得) computed from the income taken minus the refunds made."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from regulator.errors import ServiceError

from ..models import FineBasis, PenaltyKind, Provision, ProvisionRole

CENT = Decimal("0.01")


def _money(value, *, field: str, name: str) -> Decimal:
    try:
        amount = Decimal(value if value not in (None, "") else "0")
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceError(_("%(name)s不是有效的金额。") % {"name": name}, field=field) from None
    if not amount.is_finite() or amount < 0:
        raise ServiceError(_("%(name)s不能为负数。") % {"name": name}, field=field)
    return amount.quantize(CENT)


def illegal_income(*, income_taken, refunds_made) -> Decimal:
    """违法所得 = 收取的费用 − 已退还的费用 (a real case: ¥46,580 − ¥43,580 = ¥3,000); refunds above the
    income taken are refused rather than giving a negative income."""
    taken = _money(income_taken, field="income_taken", name=_("收取费用"))
    refunded = _money(refunds_made, field="refunds_made", name=_("已退还费用"))
    if refunded > taken:
        raise ServiceError(_("已退还的费用不能多于收取的费用。"), field="refunds_made")
    return taken - refunded


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def provision_check_penalty(
    *, provision: Provision, kind: str, amount=None, especially_serious: bool = False, illegal_income=None
) -> None:
    """Refuse a penalty the cited article does not allow, or a fine outside its range (ServiceError)."""
    label = PenaltyKind(kind).label if kind in PenaltyKind.values else kind
    if not provision.active:
        raise ServiceError(_("%(p)s已停用，不能引用。") % {"p": provision.citation}, field="provision")
    if provision.role != ProvisionRole.PENALTY:
        raise ServiceError(
            _("%(p)s不是罚则条款，处罚须引用罚则条款。") % {"p": provision.citation}, field="provision"
        )
    if not provision.allows(kind):
        raise ServiceError(
            _("%(p)s未规定“%(kind)s”这一处罚种类。") % {"p": provision.citation, "kind": label}, field="kind"
        )
    if kind != PenaltyKind.FINE:
        return
    if not provision.has_fine:
        raise ServiceError(_("%(p)s未规定罚款幅度。") % {"p": provision.citation}, field="amount")
    if especially_serious and not provision.has_serious_range:
        raise ServiceError(
            _("%(p)s没有“情节特别严重”的罚款幅度。") % {"p": provision.citation}, field="especially_serious"
        )
    if provision.fine_basis == FineBasis.INCOME_MULTIPLE and not illegal_income:
        raise ServiceError(
            _("%(p)s按违法所得的倍数罚款，请先计算违法所得（收取费用减已退还费用）。") % {"p": provision.citation},
            field="illegal_income",
        )
    amount = _money(amount, field="amount", name=_("罚款金额"))
    if amount <= 0:
        raise ServiceError(_("罚款金额必须大于零。"), field="amount")
    low, high = provision.fine_range(especially_serious=especially_serious, illegal_income=illegal_income)
    if (low is not None and amount < low) or (high is not None and amount > high):
        span = (
            _("%(low)s至%(high)s") % {"low": _yuan(low), "high": _yuan(high)}
            if low is not None and high is not None
            else _("不超过%(high)s") % {"high": _yuan(high)}
            if high is not None
            else _("不低于%(low)s") % {"low": _yuan(low)}
        )
        raise ServiceError(
            _("罚款%(amount)s超出%(p)s规定的幅度（%(span)s）。")
            % {"amount": _yuan(amount), "p": provision.citation, "span": span},
            field="amount",
        )


def provisions_for_checklist(code: str):
    """The active provisions the checklist item `code` is cited with (obligation articles first)."""
    return Provision.objects.filter(active=True, checklist_codes__contains=[code]).order_by("role", "position")
