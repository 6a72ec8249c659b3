"""A decision changed or annulled after it was served: on administrative review (行政复议机关) or by a court
(人民法院). The record (what was done, by which body, when, under which reference) is kept on the decision, and
a publication of it is to be withdrawn within 3 working days (行政处罚法 Art 48 ¶2; publicity.publications).
A 限制从业 of the decision on the teacher black list is lifted with an annulment, and moved to the changed period
(or lifted, 0 months) with a change (institutions.teachers.bans_of_case_revised).

One record per decision: an annulled decision is gone, and a change is entered once (a later ruling on the
changed decision is a matter for a new case record). The case keeps its status: what was paid or executed
under the decision stays recorded as it happened.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions import teachers
from publicity import publications
from publicity.models import WithdrawalReason
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status

from .. import permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseStatus, Decision, DecisionRevision, PenaltyCase, PenaltyKind, RevisionBody
from .common import _now, _snap, _today

# A decision can be challenged once the party has it (the review and lawsuit periods run from service).
REVISABLE = (CaseStatus.SERVED, CaseStatus.ENFORCEMENT, CaseStatus.EXECUTED, CaseStatus.CLOSED)


def withdrawal_reason(revision: str, body_kind: str) -> str:
    """The publication's withdrawal reason for a change or an annulment by that body."""
    if revision == DecisionRevision.CHANGED:
        return WithdrawalReason.CHANGED
    if body_kind == RevisionBody.REVIEW:
        return WithdrawalReason.ANNULLED_ON_REVIEW
    return WithdrawalReason.ANNULLED_BY_COURT


def _clean(*, revision, body_kind, body, revised_on, reference, decided_on: datetime.date, today: datetime.date):
    if revision not in DecisionRevision.values:
        raise ServiceError(_("请选择决定被变更还是被撤销。"), field="revision")
    if body_kind not in RevisionBody.values:
        raise ServiceError(_("请选择作出变更或撤销的是行政复议机关还是人民法院。"), field="body_kind")
    body, reference = (body or "").strip(), (reference or "").strip()
    if not body:
        raise ServiceError(_("请填写复议机关或人民法院的名称。"), field="body")
    if not isinstance(revised_on, datetime.date):
        raise ServiceError(_("请填写变更或撤销决定的日期。"), field="revised_on")
    if revised_on > today:
        raise ServiceError(_("变更或撤销决定的日期不能晚于今天。"), field="revised_on")
    if revised_on < decided_on:
        raise ServiceError(_("变更或撤销决定的日期不能早于原处罚决定的日期。"), field="revised_on")
    if not reference:
        raise ServiceError(_("请填写复议决定书或判决书的文号。"), field="reference")
    return body[:100], reference[:100]


@transaction.atomic
def decision_record_revision(*, actor, case_id: int, revision: str, body_kind: str, body: str,
                             revised_on: datetime.date, reference: str, note: str = "",
                             restriction_months: int | None = None, now=None) -> Decision:
    """The head records that the case's decision was changed (变更) or annulled (撤销) on review or by a court;
    its publication, if any, becomes due for withdrawal (a pending one is withdrawn at once)."""
    now = _now(now)
    case = PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_("只有承办部门负责人可以登记决定被变更或撤销。"))
    require_status(case, REVISABLE, _("登记决定被变更或撤销"))
    decision = Decision.objects.select_for_update().get(case=case)
    if decision.revision:
        raise TransitionNotAllowed(
            _("该决定已登记被%(what)s（%(reference)s），不能再次登记。")
            % {"what": decision.get_revision_display(), "reference": decision.revision_reference})
    body, reference = _clean(revision=revision, body_kind=body_kind, body=body, revised_on=revised_on,
                             reference=reference, decided_on=timezone.localdate(decision.decided_at),
                             today=_today(now))
    restricts = decision.penalties.filter(kind=PenaltyKind.TRADE_RESTRICTION).exists()
    if restriction_months is not None:
        if revision != DecisionRevision.CHANGED:
            raise ServiceError(_("决定被撤销时不填写变更后的限制从业期限（教师黑名单记录将自动解除）。"),
                               field="restriction_months")
        if not restricts:
            raise ServiceError(_("该决定没有限制从业处罚，不能填写变更后的限制从业期限。"), field="restriction_months")
        if not isinstance(restriction_months, int) or not 0 <= restriction_months <= 600:
            raise ServiceError(_("变更后的限制从业期限应为0至600个月。"), field="restriction_months")
    before = _snap(decision)
    decision.revision, decision.revision_body_kind, decision.revision_body = revision, body_kind, body
    decision.revision_on, decision.revision_reference = revised_on, reference
    decision.revision_note = (note or "").strip()
    decision.revision_recorded_at, decision.revision_recorded_by = now, actor
    decision.save(update_fields=["revision", "revision_body_kind", "revision_body", "revision_on",
                                 "revision_reference", "revision_note", "revision_recorded_at",
                                 "revision_recorded_by"])
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_DECISION_REVISED, obj=case, institution_id=case.institution_id,
        before=before, after=_snap(decision),
        summary=_("%(number)s被%(body)s%(what)s（%(reference)s）")
        % {"number": decision.number, "body": body, "what": decision.get_revision_display(), "reference": reference},
        now=now,
    )
    if restricts:
        teachers.bans_of_case_revised(
            actor=actor, case_id=case.pk, annulled=revision == DecisionRevision.ANNULLED, months=restriction_months,
            reason=_("%(number)s被%(what)s（%(reference)s）") % {
                "number": decision.number, "what": decision.get_revision_display(), "reference": reference})
    publications.publication_withdrawal_required(
        source_id=case.pk, reason=withdrawal_reason(revision, body_kind), ordered_on=revised_on,
        note=f"{body} {reference}", actor=actor, now=now)
    return decision
