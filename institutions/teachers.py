"""The people who teach: their identity (one person by identity number, whatever institution employs them) and
the teacher black list (建立教师黑名单制度).

A ban (从业禁止 / 限制从业) comes from a penalty decision or a teacher-conduct finding and runs for a period
(open-ended: for life). It is checked whenever an institution's teacher is recorded (institutions.services
.teacher_save): a person banned today is refused. Identity numbers are never shown whole (masked on pages).

A penalty decision's 限制从业 lands here by itself (`ban_from_penalty`, called by penalties.services in the
deciding transaction, once per penalty row: `penalty_id` is unique); the decision annulled on review or by a
court lifts it, changed it moves its end (`bans_of_case_revised`).
"""

import calendar
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from . import permissions
from .audit_kinds import InstitutionsAuditKind as Kind
from .models import BanKind, InServiceRosterEntry, TeacherBan, TeacherIdentity
from .validators import normalize_id_number


def bans_in_force(today: date | None = None):
    today = today or timezone.localdate()
    return TeacherBan.objects.filter(lifted_at__isnull=True, starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def identity_for(*, id_number: str, name: str) -> TeacherIdentity:
    """The person with this identity number, created on first sight. Inside the caller's transaction."""
    identity, created = TeacherIdentity.objects.get_or_create(
        id_number=normalize_id_number(id_number), defaults={"name": (name or "")[:40]})
    return identity


def in_service_roster_naming(id_number: str) -> int | None:
    """The id of a current in-service teacher roster (institutions.roster) naming the number, or None."""
    if not id_number:
        return None
    return InServiceRosterEntry.objects.filter(roster__is_current=True, id_number=normalize_id_number(id_number)) \
        .order_by("roster_id").values_list("roster_id", flat=True).first()


def refuse_if_banned(id_number: str, today: date | None = None) -> None:
    """Inside the caller's transaction: a person under a ban in force is not recorded as a teacher. The check is
    by identity: whichever institution records them, under whatever name."""
    if not id_number:
        return
    ban = bans_in_force(today).filter(identity__id_number=normalize_id_number(id_number)).first()
    if ban is not None:
        raise ServiceError(
            _("该人员已列入教师黑名单（%(kind)s，%(start)s至%(end)s，依据：%(source)s），不得从事校外培训。") % {
                "kind": ban.get_kind_display(), "start": ban.starts_on.isoformat(),
                "end": ban.ends_on.isoformat() if ban.ends_on else _("终身"), "source": ban.source},
            field="id_number")


@transaction.atomic
def ban_create(*, actor, data: dict) -> TeacherBan:
    if not permissions.can_keep_teacher_blacklist(actor):
        raise ActionForbidden(_("只有教育或人社部门负责人、专项治理办公室可以登记教师黑名单。"))
    if actor.department_id is None:
        raise ActionForbidden(_("您的账号未分配部门。"))
    ban = TeacherBan(**data)
    ban.id_number = normalize_id_number(ban.id_number)
    ban.department, ban.created_by, ban.updated_by = actor.department, actor, actor
    try:
        ban.full_clean()
    except ValidationError as error:
        raise ServiceError("；".join(m for msgs in error.message_dict.values() for m in msgs),
                           errors=error.message_dict) from error
    if bans_in_force(ban.starts_on).filter(id_number=ban.id_number).exists():
        raise ServiceError(_("该身份证号已有生效的黑名单记录。"), field="id_number")
    ban.identity = identity_for(id_number=ban.id_number, name=ban.name)
    ban.save()
    record_event(actor=actor, kind=Kind.TEACHER_BAN_CREATED, obj=ban,
                 after={"name": ban.name, "kind": ban.kind, "starts_on": ban.starts_on, "ends_on": ban.ends_on,
                        "source": ban.source},
                 summary=_("列入教师黑名单：%(name)s（%(kind)s）") % {"name": ban.name, "kind": ban.get_kind_display()})
    return ban


@transaction.atomic
def ban_lift(*, actor, ban_id: int, reason: str) -> TeacherBan:
    ban = TeacherBan.objects.select_for_update().get(pk=ban_id)
    if not permissions.can_keep_teacher_blacklist(actor):
        raise ActionForbidden(_("只有教育或人社部门负责人、专项治理办公室可以解除教师黑名单。"))
    if ban.lifted_at is not None:
        raise ServiceError(_("该记录已解除。"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写解除理由。"), field="reason")
    ban.lifted_at, ban.updated_by = timezone.now(), actor
    ban.save(update_fields=["lifted_at", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.TEACHER_BAN_LIFTED, obj=ban, after={"reason": reason},
                 summary=_("解除教师黑名单：%(name)s（%(reason)s）") % {"name": ban.name, "reason": reason})
    return ban


def add_months(start: date, months: int) -> date:
    """The last day of a period of `months` months from `start` (限制从业十二个月 from 2026-03-15: 2027-03-14)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def ban_from_penalty(*, actor, penalty_id: int, case_id: int, department, name: str, id_number: str,
                     starts_on: date, months: int, source: str, reason: str) -> TeacherBan:
    """Inside the deciding transaction: the 限制从业 of one penalty row on the black list, once (a second call
    for the same penalty returns the ban already there). The decision was checked by its own service."""
    existing = TeacherBan.objects.select_for_update().filter(penalty_id=penalty_id).first()
    if existing is not None:
        return existing
    ban = TeacherBan(name=(name or "").strip(), id_number=normalize_id_number(id_number), kind=BanKind.RESTRICTED,
                     starts_on=starts_on, ends_on=add_months(starts_on, months), source=source[:120],
                     reason=(reason or "").strip()[:300] or source[:300], department=department,
                     penalty_id=penalty_id, case_id=case_id, created_by=actor, updated_by=actor)
    try:
        ban.full_clean()
    except ValidationError as error:
        raise ServiceError("；".join(m for msgs in error.message_dict.values() for m in msgs),
                           errors=error.message_dict) from error
    ban.identity = identity_for(id_number=ban.id_number, name=ban.name)  # the check of teachers is by identity
    ban.save()
    record_event(actor=actor, kind=Kind.TEACHER_BAN_CREATED, obj=ban,
                 after={"name": ban.name, "kind": ban.kind, "starts_on": ban.starts_on, "ends_on": ban.ends_on,
                        "source": ban.source, "penalty": penalty_id},
                 summary=_("处罚决定限制从业，列入教师黑名单：%(name)s（%(source)s）") % {
                     "name": ban.name, "source": ban.source})
    return ban


def bans_of_case_revised(*, actor, case_id: int, annulled: bool, months: int | None, reason: str) -> list[TeacherBan]:
    """Inside the transaction that records the decision's revision: annulled (撤销), or changed (变更) with no
    restriction left (months 0), lifts the case's bans; changed to `months` moves their end; changed without a
    new period leaves them as they are."""
    bans = list(TeacherBan.objects.select_for_update().filter(case_id=case_id, lifted_at__isnull=True)
                .order_by("id"))
    if not annulled and months is None:
        return []
    now = timezone.now()
    for ban in bans:
        before = {"ends_on": ban.ends_on, "lifted_at": ban.lifted_at}
        if annulled or months == 0:
            ban.lifted_at, ban.updated_by = now, actor
            ban.save(update_fields=["lifted_at", "updated_by", "updated_at"])
            kind, summary = Kind.TEACHER_BAN_LIFTED, _("解除教师黑名单：%(name)s（%(reason)s）")
        else:
            ban.ends_on, ban.updated_by = add_months(ban.starts_on, months), actor
            ban.save(update_fields=["ends_on", "updated_by", "updated_at"])
            kind, summary = Kind.TEACHER_BAN_CHANGED, _("变更教师黑名单期限：%(name)s（%(reason)s）")
        record_event(actor=actor, kind=kind, obj=ban, before=before,
                     after={"ends_on": ban.ends_on, "lifted_at": ban.lifted_at, "reason": reason},
                     summary=summary % {"name": ban.name, "reason": reason})
    return bans
