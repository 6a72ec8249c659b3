"""Where a black-list proposal may come from: the apps that own the sources say whether one is ripe.

A proposal from a penalty decision is made only once the decision exists; one from an overdue order only once
the order has been escalated under the rules (penalties.chaser). The penalties app registers its checks in its
AppConfig.ready() (publicity cannot import penalties, which imports publicity); a source type listed in
CHECKED with no check registered is refused rather than taken on trust.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from regulator.errors import ServiceError

from .models import EntrySource

CHECKED = (EntrySource.PENALTY_DECISION, EntrySource.OVERDUE_ORDER)

# source_type -> callable(source_id) -> a Chinese message saying why not, or None when the source is ripe
_checks: dict[str, Callable] = {}
# source_type -> callable(source_ids) -> {str(source_id): message} for those not ripe (the others left out)
_bulk_checks: dict[str, Callable] = {}


def register(source_type: str, check: Callable, many: Callable | None = None) -> None:
    """`check` answers for one source; `many`, if given, for a list of them in one query."""
    _checks[source_type] = check
    if many is not None:
        _bulk_checks[source_type] = many
    else:
        _bulk_checks.pop(source_type, None)


def require_ripe(source_type: str, source_id) -> None:
    """Raise ServiceError unless the source of a proposal allows it now."""
    if source_type not in CHECKED:
        return
    if source_id in (None, ""):
        raise ServiceError(_("请指明名单条目来源的处罚案件或整改通知书。"))
    check = _checks.get(source_type)
    if check is None:
        raise ServiceError(_("无法核实名单条目的来源，不能提出。"))
    refusal = check(source_id)
    if refusal:
        raise ServiceError(refusal)


def refusals(source_type: str, source_ids) -> dict[str, str]:
    """require_ripe for many sources of one type: {str(source_id): why not} for those refused, one query where
    the owning app registered a bulk check. A missing id (None or "") is keyed ""."""
    if source_type not in CHECKED:
        return {}
    ids = list(source_ids)
    refused = {}
    if any(source_id in (None, "") for source_id in ids):
        refused[""] = _("请指明名单条目来源的处罚案件或整改通知书。")
    ids = [source_id for source_id in ids if source_id not in (None, "")]
    if not ids:
        return refused
    if source_type not in _checks:
        return {**refused, **{str(source_id): _("无法核实名单条目的来源，不能提出。") for source_id in ids}}
    many = _bulk_checks.get(source_type)
    if many is not None:
        return {**refused, **many(ids)}
    for source_id in ids:
        refusal = _checks[source_type](source_id)
        if refusal:
            refused[str(source_id)] = refusal
    return refused


# case id -> {institution, department_id, number, decided_at, title, text, facts, legal_basis, penalty_kinds,
# penalty_amount} of its decision (what Art 48 publishes), or None
_decision_provider: list[Callable] = []


def register_decision_provider(provider: Callable) -> None:
    _decision_provider[:] = [provider]


def decision_for_publication(case_id) -> dict | None:
    return _decision_provider[0](case_id) if _decision_provider else None
