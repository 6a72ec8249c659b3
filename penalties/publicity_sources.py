"""The penalties app's answer to publicity.sources: is this case decided, is this order escalated?"""

from django.utils.translation import gettext as _

from .models import OrderStatus, PenaltyCase, RectificationOrder


def _pk(source_id):
    try:
        return int(source_id)
    except (TypeError, ValueError):
        return None


def penalty_decision_ripe(source_id) -> str | None:
    """A black-list proposal from a case only after the case's decision (行政处罚决定)."""
    case = PenaltyCase.objects.filter(pk=_pk(source_id)).only("id", "decided_at").first()
    if case is None:
        return _("来源处罚案件不存在。")
    if case.decided_at is None:
        return _("案件尚未作出行政处罚决定，不能提请列入黑名单。")
    return None


def overdue_order_ripe(source_id) -> str | None:
    """A black-list proposal from an order only once it was escalated as overdue (逾期未整改，升级处理)."""
    order = RectificationOrder.objects.filter(pk=_pk(source_id)).only("id", "status", "escalated_at").first()
    if order is None:
        return _("来源整改通知书不存在。")
    if order.status != OrderStatus.ESCALATED and order.escalated_at is None:
        return _("整改通知书尚未逾期升级处理，不能提请列入黑名单。")
    return None


def register_all() -> None:
    from publicity import sources

    sources.register("penalty_decision", penalty_decision_ripe)
    sources.register("overdue_order", overdue_order_ripe)
