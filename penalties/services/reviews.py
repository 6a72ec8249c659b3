"""法制审核 (行政处罚法 Art 58) and 集体讨论 (Art 57 ¶2) before a decision.

The review is required for cases with a hearing, heavy penalties (those that give the hearing right) and those
the department marks; the reviewer is another person than the investigators, with a legal qualification
(penalties.models.LegalQualification, kept in admin). The collective discussion is required for heavy or marked
(complex) cases: attendees and conclusion recorded."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, require_status

from .. import permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseStatus, CollectiveDiscussion, LegalQualification, LegalReview, PenaltyCase, ReviewConclusion
from .common import _now, _snap

REVIEWABLE = (CaseStatus.PROPOSED, CaseStatus.NOTICE_OF_RIGHTS)


def legal_review_required(case: PenaltyCase) -> bool:
    return bool(case.legal_review_marked or case.hearing_requested or case.hearing_right)


def discussion_required(case: PenaltyCase) -> bool:
    return bool(case.discussion_marked or case.hearing_right)


def _locked(case_id):
    return PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)


def is_legal_reviewer(user) -> bool:
    return LegalQualification.objects.filter(user_id=user.pk, active=True).exists()


@transaction.atomic
def legal_review_record(*, actor, case_id: int, conclusion: str, opinion: str, now=None) -> LegalReview:
    from .hearings import investigator_ids

    if conclusion not in ReviewConclusion.values:
        raise ServiceError(_("请选择审核结论。"), field="conclusion")
    opinion = (opinion or "").strip()
    if not opinion:
        raise ServiceError(_("请填写法制审核意见。"), field="opinion")
    now = _now(now)
    case = _locked(case_id)
    if not permissions.can_view(actor, case) or actor.department_id != case.department_id:
        raise ActionForbidden(_("只有承办部门的法制审核人员可以审核该案件。"))
    require_status(case, REVIEWABLE, _("法制审核"))
    if not is_legal_reviewer(actor):
        raise ActionForbidden(_("您没有法制审核资格（须取得法律职业资格并在系统中登记）。"))
    if actor.pk in investigator_ids(case):
        raise ActionForbidden(_("参与本案调查的人员不能进行法制审核。"))
    review = LegalReview.objects.create(
        case=case, reviewer=actor, reviewed_at=now, conclusion=conclusion, opinion=opinion
    )
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_LEGAL_REVIEWED, obj=case, institution_id=case.institution_id,
        after={"legal_review": _snap(review)},
        summary=_("法制审核：%(c)s") % {"c": review.get_conclusion_display()}, now=now,
    )
    return review


@transaction.atomic
def discussion_record(
    *, actor, case_id: int, held_at, attendees: str, conclusion: str, opinions: str = "", now=None
) -> CollectiveDiscussion:
    attendees, conclusion = (attendees or "").strip(), (conclusion or "").strip()
    if not attendees:
        raise ServiceError(_("请填写参加集体讨论的人员。"), field="attendees")
    if not conclusion:
        raise ServiceError(_("请填写集体讨论的结论。"), field="conclusion")
    now = _now(now)
    held_at = held_at or now
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    if held_at > now:
        raise ServiceError(_("讨论时间不能晚于现在。"), field="held_at")
    case = _locked(case_id)
    if not permissions.can_decide_case(actor, case):
        raise ActionForbidden(_("集体讨论由承办部门负责人记录。"))
    require_status(case, REVIEWABLE, _("记录集体讨论"))
    discussion = CollectiveDiscussion.objects.create(
        case=case, held_at=held_at, attendees=attendees, opinions=(opinions or "").strip(), conclusion=conclusion,
        recorded_by=actor,
    )
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_DISCUSSED, obj=case, institution_id=case.institution_id,
        after={"discussion": _snap(discussion)}, summary=_("负责人集体讨论：%(c)s") % {"c": conclusion[:60]}, now=now,
    )
    return discussion
