"""Publication of decisions on the public site (行政处罚法 Art 48) and of rectification results.

    publication_open (a decision with social impact; due within DECISION_PUBLICATION_WORKING_DAYS, 7)
        ──publication_publish──▶ published
    published ──publication_withdrawal_required (changed, or annulled on review or by a court)──▶ withdrawal_due
        (due within PUBLICATION_WITHDRAWAL_WORKING_DAYS, 3: the law's 三日 are working days, Art 85)
    published | withdrawal_due ──publication_withdraw──▶ withdrawn
    order_result_publish: a rectification result, published at once when its order closes.

What is stored is what the public reads: names of natural persons, ID-card and mobile numbers are masked here,
before the row is written. The penalties app calls publication_open_for_case when it decides a case marked as
having social impact (penalties.services.case_decide) and publication_withdrawal_required when the decision is
changed or annulled (penalties.services.decision_record_revision); docs/calendar-and-publication.md.
"""

import re
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event, snapshot
from regulator.calendar import add_working_days
from regulator.errors import ActionForbidden, ServiceError, require_status
from regulator.models import Role
from regulator.scope import in_region, is_staff_member

from . import sources
from .audit_kinds import PublicityAuditKind
from .cache import bump_version
from .models import DecisionPublication, PublicationSource, PublicationStatus, WithdrawalReason


def publication_days() -> int:
    return int(getattr(settings, "DECISION_PUBLICATION_WORKING_DAYS", 7))


def withdrawal_days() -> int:
    return int(getattr(settings, "PUBLICATION_WITHDRAWAL_WORKING_DAYS", 3))


# ---- masking -----------------------------------------------------------------------------------------------

_ID_CARD = re.compile(r"(?<![0-9])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9]\d)\d{4}(\d{4})(?![0-9])")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the surname's first character kept."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def mask_text(text: str, *, person_names=()) -> str:
    """The text with the given natural persons' names, ID-card numbers and mobile numbers masked."""
    for name in sorted({n.strip() for n in person_names if n and len(n.strip()) > 1}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


# ---- permissions -------------------------------------------------------------------------------------------


def can_view_publication(user, publication: DecisionPublication) -> bool:
    return is_staff_member(user) and in_region(user, publication.institution.region_id)


def can_manage_publication(user, publication: DecisionPublication) -> bool:
    """The deciding department's head, or the joint office of the region, publishes and withdraws."""
    if not can_view_publication(user, publication):
        return False
    if user.is_admin_role or user.role == Role.JOINT_OFFICE:
        return True
    return user.role == Role.HEAD and user.department_id == publication.department_id


# ---- services ----------------------------------------------------------------------------------------------


def _bump_on_commit() -> None:
    transaction.on_commit(bump_version)


def _lock(publication_id: int) -> DecisionPublication:
    return (DecisionPublication.objects.select_for_update(of=("self",)).select_related("institution")
            .get(pk=publication_id))


@transaction.atomic
def publication_open(*, source_id, institution, department_id: int, decided_on: date, title: str, text: str,
                     document_number: str = "", party_name: str = "", party_is_natural_person: bool = False,
                     person_names=(), facts: str = "", legal_basis: str = "", penalty_kinds: str = "",
                     penalty_amount=None, actor=None, now=None) -> DecisionPublication:
    """A decision with social impact is to be published within 7 working days of `decided_on` (idempotent:
    the same decision twice gives the row that exists). Its parts (facts, legal basis, kinds and amount of the
    penalties) are kept apart for open data, masked like the text; a natural person's credit code is not kept."""
    now = now or timezone.now()
    existing = DecisionPublication.objects.filter(
        source_type=PublicationSource.PENALTY_DECISION, source_id=str(source_id)).first()
    if existing is not None:
        return existing
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写公开内容。"), field="text")
    if decided_on > timezone.localdate(now):
        raise ServiceError(_("决定日期不能晚于今天。"), field="decided_on")
    party = (party_name or institution.name).strip()
    names = [*person_names, institution.legal_representative or ""]
    if party_is_natural_person:
        names.append(party)
    publication = DecisionPublication.objects.create(
        source_type=PublicationSource.PENALTY_DECISION, source_id=str(source_id), institution=institution,
        department_id=department_id, document_number=document_number[:60],
        party_name=mask_name(party) if party_is_natural_person else party[:120],
        title=mask_text(title, person_names=names)[:200], text=mask_text(text, person_names=names),
        credit_code="" if party_is_natural_person else (institution.credit_code or "")[:18],
        facts=mask_text((facts or "").strip(), person_names=names),
        legal_basis=mask_text((legal_basis or "").strip(), person_names=names),
        penalty_kinds=(penalty_kinds or "")[:300], penalty_amount=penalty_amount,
        decided_on=decided_on, publish_due=add_working_days(decided_on, publication_days()),
        created_by=actor, updated_by=actor,
    )
    record_event(actor=actor, kind=PublicityAuditKind.PUBLICATION_OPENED, obj=publication,
                 institution_id=institution.pk, after=snapshot(publication),
                 summary=_("公开期限 %(due)s") % {"due": f"{publication.publish_due:%Y-%m-%d}"}, now=now)
    return publication


@transaction.atomic
def publication_open_for_case(*, case_id, actor, party_is_natural_person: bool = False, person_names=(),
                              now=None) -> DecisionPublication:
    """The deciding department marks a case's decision as having social impact: to publish within 7 working days."""
    details = sources.decision_for_publication(case_id)
    if details is None:
        raise ServiceError(_("该案件尚未作出行政处罚决定，不能公开。"))
    institution = details["institution"]
    allowed = is_staff_member(actor) and in_region(actor, institution.region_id) and (
        actor.is_admin_role or actor.role == Role.JOINT_OFFICE
        or (actor.role == Role.HEAD and actor.department_id == details["department_id"]))
    if not allowed:
        raise ActionForbidden(_("只有作出决定部门的负责人或专项治理办公室可以公开决定。"))
    return publication_open(
        source_id=case_id, institution=institution, department_id=details["department_id"],
        decided_on=timezone.localdate(details["decided_at"]), title=details["title"], text=details["text"],
        document_number=details["number"], party_is_natural_person=party_is_natural_person,
        person_names=person_names, facts=details.get("facts", ""), legal_basis=details.get("legal_basis", ""),
        penalty_kinds=details.get("penalty_kinds", ""), penalty_amount=details.get("penalty_amount"),
        actor=actor, now=now,
    )


@transaction.atomic
def publication_publish(*, publication_id: int, actor, now=None) -> DecisionPublication:
    now = now or timezone.now()
    publication = _lock(publication_id)
    if not can_manage_publication(actor, publication):
        raise ActionForbidden(_("只有作出决定部门的负责人或专项治理办公室可以公开决定。"))
    require_status(publication, (PublicationStatus.PENDING,),
                   message=_("该决定当前状态为“%(status)s”，不能公开。"))
    before = snapshot(publication)
    publication.status, publication.published_at, publication.published_by = (
        PublicationStatus.PUBLISHED, now, actor)
    publication.updated_by = actor
    publication.save(update_fields=["status", "published_at", "published_by", "updated_by", "updated_at"])
    record_event(actor=actor, kind=PublicityAuditKind.PUBLICATION_PUBLISHED, obj=publication,
                 institution_id=publication.institution_id, before=before, after=snapshot(publication), now=now)
    _bump_on_commit()
    return publication


def _withdrawal_values(reason: str, note: str, ordered_on: date | None, now) -> tuple[str, str, date]:
    if reason not in WithdrawalReason.values:
        raise ServiceError(_("请选择撤回原因（变更、复议撤销或诉讼撤销）。"), field="reason")
    if ordered_on is None:
        raise ServiceError(_("请填写变更或撤销决定的日期。"), field="ordered_on")
    if ordered_on > timezone.localdate(now):
        raise ServiceError(_("变更或撤销决定的日期不能晚于今天。"), field="ordered_on")
    return reason, (note or "").strip()[:300], ordered_on


@transaction.atomic
def publication_withdrawal_required(*, source_id, reason: str, ordered_on: date, note: str = "", actor=None,
                                    now=None) -> DecisionPublication | None:
    """The decision was changed or annulled: its publication is to be withdrawn within 3 working days.

    None when the decision was never published (nothing to withdraw); a pending one is withdrawn at once."""
    now = now or timezone.now()
    reason, note, ordered_on = _withdrawal_values(reason, note, ordered_on, now)
    row = DecisionPublication.objects.filter(source_type=PublicationSource.PENALTY_DECISION,
                                             source_id=str(source_id)).values_list("pk", flat=True).first()
    if row is None:
        return None
    publication = _lock(row)
    if publication.status in (PublicationStatus.WITHDRAWN, PublicationStatus.WITHDRAWAL_DUE):
        return publication
    before = snapshot(publication)
    publication.withdrawal_reason, publication.withdrawal_note = reason, note
    publication.withdrawal_ordered_on = ordered_on
    publication.withdraw_due = add_working_days(ordered_on, withdrawal_days())
    fields = ["withdrawal_reason", "withdrawal_note", "withdrawal_ordered_on", "withdraw_due", "status",
              "updated_at"]
    if publication.status == PublicationStatus.PENDING:  # never shown: nothing to take down
        publication.status, publication.withdrawn_at = PublicationStatus.WITHDRAWN, now
        fields.append("withdrawn_at")
    else:
        publication.status = PublicationStatus.WITHDRAWAL_DUE
    publication.save(update_fields=fields)
    record_event(actor=actor, kind=PublicityAuditKind.PUBLICATION_WITHDRAWAL_REQUIRED, obj=publication,
                 institution_id=publication.institution_id, before=before, after=snapshot(publication),
                 summary=_("撤回期限 %(due)s") % {"due": f"{publication.withdraw_due:%Y-%m-%d}"}, now=now)
    return publication


@transaction.atomic
def publication_withdraw(*, publication_id: int, actor, reason: str = "", ordered_on: date | None = None,
                         note: str = "", now=None) -> DecisionPublication:
    """Take a published decision off the public site (its reason recorded, or already recorded)."""
    now = now or timezone.now()
    publication = _lock(publication_id)
    if not can_manage_publication(actor, publication):
        raise ActionForbidden(_("只有作出决定部门的负责人或专项治理办公室可以撤回公开的决定。"))
    require_status(publication, (PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWAL_DUE),
                   message=_("该决定当前状态为“%(status)s”，不能撤回。"))
    before = snapshot(publication)
    fields = ["status", "withdrawn_at", "withdrawn_by", "updated_by", "updated_at"]
    if publication.status == PublicationStatus.PUBLISHED:
        reason, note, ordered_on = _withdrawal_values(reason, note, ordered_on, now)
        publication.withdrawal_reason, publication.withdrawal_note = reason, note
        publication.withdrawal_ordered_on = ordered_on
        publication.withdraw_due = add_working_days(ordered_on, withdrawal_days())
        fields += ["withdrawal_reason", "withdrawal_note", "withdrawal_ordered_on", "withdraw_due"]
    publication.status, publication.withdrawn_at, publication.withdrawn_by = (
        PublicationStatus.WITHDRAWN, now, actor)
    publication.updated_by = actor
    publication.save(update_fields=fields)
    record_event(actor=actor, kind=PublicityAuditKind.PUBLICATION_WITHDRAWN, obj=publication,
                 institution_id=publication.institution_id, before=before, after=snapshot(publication), now=now)
    _bump_on_commit()
    return publication


@transaction.atomic
def order_result_publish(*, order_id: int, institution, department_id: int, number: str, closed_at,
                         items: list[str], actor=None) -> DecisionPublication:
    """A rectification order closed (every item closed): its result is published at once (idempotent)."""
    existing = DecisionPublication.objects.filter(
        source_type=PublicationSource.ORDER_RESULT, source_id=str(order_id)).first()
    if existing is not None:
        return existing
    closed_on = timezone.localdate(closed_at)
    names = [institution.legal_representative or ""]
    day = f"{closed_on.year}年{closed_on.month}月{closed_on.day}日"
    lines = [_("%(name)s：%(number)s所列整改事项已全部整改到位，于%(date)s销号。")
             % {"name": institution.name, "number": number, "date": day}]
    lines += [f"{index}. {item}" for index, item in enumerate(items, start=1)]
    publication = DecisionPublication.objects.create(
        source_type=PublicationSource.ORDER_RESULT, source_id=str(order_id), institution=institution,
        department_id=department_id, document_number=number[:60], party_name=institution.name[:120],
        title=_("%(name)s整改结果") % {"name": institution.name},
        text=mask_text("\n".join(lines), person_names=names),
        decided_on=closed_on, publish_due=closed_on, status=PublicationStatus.PUBLISHED, published_at=closed_at,
        published_by=actor, created_by=actor, updated_by=actor,
    )
    record_event(actor=actor, kind=PublicityAuditKind.PUBLICATION_PUBLISHED, obj=publication,
                 institution_id=institution.pk, after=snapshot(publication), now=closed_at)
    _bump_on_commit()
    return publication
