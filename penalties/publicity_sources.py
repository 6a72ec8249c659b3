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


def overdue_orders_ripe(source_ids) -> dict[str, str]:
    """overdue_order_ripe for many orders in one query: {str(id): why not} for those refused."""
    pks = {str(source_id): _pk(source_id) for source_id in source_ids}
    found = {order.pk: order for order in RectificationOrder.objects.filter(
        pk__in=[pk for pk in pks.values() if pk is not None]).only("id", "status", "escalated_at")}
    refused = {}
    for key, pk in pks.items():
        order = found.get(pk)
        if order is None:
            refused[key] = _("来源整改通知书不存在。")
        elif order.status != OrderStatus.ESCALATED and order.escalated_at is None:
            refused[key] = _("整改通知书尚未逾期升级处理，不能提请列入黑名单。")
    return refused


def register_all() -> None:
    from publicity import sources

    sources.register("penalty_decision", penalty_decision_ripe)
    sources.register("overdue_order", overdue_order_ripe, many=overdue_orders_ripe)
    sources.register_decision_provider(decision_for_publication)


def decision_for_publication(case_id) -> dict | None:
    """What publicity.publications publishes of a case's decision (Art 48): None when there is no decision."""
    from .models import Decision

    decision = (Decision.objects.select_related("case__institution").prefetch_related("penalties")
                .filter(case_id=_pk(case_id)).first())
    if decision is None:
        return None
    case = decision.case
    penalties = "；".join(
        f"{penalty.get_kind_display()}{f' {penalty.amount}元' if penalty.amount is not None else ''}"
        f"（{penalty.legal_basis}）" for penalty in decision.penalties.all()
    )
    text = "\n".join([
        _("当事人：%(name)s") % {"name": case.institution.name},
        _("违法事实：%(facts)s") % {"facts": decision.facts},
        _("处罚内容及依据：%(penalties)s") % {"penalties": penalties or "—"},
        _("作出处罚决定的机关：%(department)s") % {"department": case.department.name},
    ])
    listed = list(decision.penalties.all())
    amounts = [penalty.amount for penalty in listed if penalty.amount is not None]
    return {
        "institution": case.institution, "department_id": case.department_id, "number": decision.number,
        "decided_at": decision.decided_at, "text": text, "facts": decision.facts,
        "legal_basis": "；".join(dict.fromkeys(penalty.legal_basis for penalty in listed if penalty.legal_basis)),
        "penalty_kinds": "；".join(dict.fromkeys(str(penalty.get_kind_display()) for penalty in listed)),
        "penalty_amount": sum(amounts) if amounts else None,
        "title": _("%(name)s行政处罚决定（%(number)s）") % {"name": case.institution.name, "number": decision.number},
    }
