"""A teacher's employment across institutions: leaving one (离职) and moving to another (调往其他机构).

A Teacher row is one employment record (institution, from, until); the person is their TeacherIdentity, so the
records of one person at one institution after another are their history. Leaving ends the record instead of
deleting it; moving ends it and opens a record at the other institution, which passes the black-list check again.
"""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from . import permissions, services
from .audit_kinds import InstitutionsAuditKind as Kind
from .models import ENDED_STATES, Institution, Teacher

_CARRIED = ("name", "id_number", "subject", "qualification_number", "diploma", "is_in_service_teacher")


def _end(*, actor, teacher: Teacher, ended_on: date, reason: str) -> Teacher:
    if teacher.ended_on is not None:
        raise ServiceError(_("该人员已于%(date)s离职。") % {"date": teacher.ended_on.isoformat()})
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写离职原因。"), field="reason")
    if ended_on is None:
        raise ServiceError(_("请填写离职日期。"), field="ended_on")
    if ended_on > timezone.localdate():
        raise ServiceError(_("离职日期不能晚于今天。"), field="ended_on")
    if teacher.started_on and ended_on < teacher.started_on:
        raise ServiceError(_("离职日期不能早于任职起始日期（%(date)s）。") % {"date": teacher.started_on.isoformat()},
                           field="ended_on")
    teacher.ended_on, teacher.end_reason, teacher.updated_by = ended_on, reason[:120], actor
    teacher.save(update_fields=["ended_on", "end_reason", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.TEACHER_LEFT, obj=teacher, institution_id=teacher.institution_id,
                 after={"ended_on": ended_on, "reason": reason},
                 summary=_("培训人员离职：%(name)s（%(date)s，%(reason)s）") % {
                     "name": teacher.name, "date": ended_on.isoformat(), "reason": reason})
    return teacher


@transaction.atomic
def teacher_leave(*, actor, institution_id: int, teacher_id: int, ended_on: date, reason: str) -> Teacher:
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    if not permissions.can_change_sites_and_teachers(actor, institution):
        raise ActionForbidden(_("您无权修改该机构的培训人员。"))
    teacher = Teacher.objects.select_for_update().get(pk=teacher_id, institution=institution)
    return _end(actor=actor, teacher=teacher, ended_on=ended_on, reason=reason)


@transaction.atomic
def teacher_move(*, actor, institution_id: int, teacher_id: int, to_institution_id: int, moved_on: date,
                 reason: str = "") -> Teacher:
    """End the record here and open one at the other institution from the same day. Returns the new record."""
    if to_institution_id == institution_id:
        raise ServiceError(_("调入机构与原机构相同。"), field="to_institution")
    # Both rows locked, in id order as every writer of two institutions takes them.
    locked = {i.pk: i for i in Institution.objects.select_for_update().filter(
        pk__in=[institution_id, to_institution_id]).order_by("pk")}
    source, target = locked.get(institution_id), locked.get(to_institution_id)
    if source is None or target is None:
        raise ServiceError(_("找不到调入机构。"), field="to_institution")
    if not (permissions.can_change_sites_and_teachers(actor, source)
            and permissions.can_change_sites_and_teachers(actor, target)):
        raise ActionForbidden(_("调动须对原机构和调入机构都有修改培训人员的权限。"))
    if target.operating_state in ENDED_STATES:
        raise ServiceError(_("调入机构%(state)s，不能再聘用培训人员。") % {
            "state": target.get_operating_state_display()}, field="to_institution")
    teacher = Teacher.objects.select_for_update().get(pk=teacher_id, institution=source)
    if not teacher.id_number:
        raise ServiceError(_("该人员未登记身份证号，无法跨机构保留履历：请先补录身份证号。"))
    if teacher.ended_on is not None:
        raise ServiceError(_("该人员已于%(date)s离职。") % {"date": teacher.ended_on.isoformat()})
    if Teacher.objects.filter(identity=teacher.identity, institution=target, ended_on__isnull=True).exists():
        raise ServiceError(_("该人员已在调入机构任职。"), field="to_institution")
    _end(actor=actor, teacher=teacher, ended_on=moved_on,
         reason=(reason or "").strip() or _("调往%(name)s") % {"name": target.name})
    data = {name: getattr(teacher, name) for name in _CARRIED}
    data["started_on"] = moved_on
    return services.teacher_save(actor=actor, institution_id=target.pk, data=data)


def employment_history(teacher: Teacher) -> list[Teacher]:
    """Every employment record of the teacher's person, the newest first (one query). Without an identity
    number the record is its own history."""
    if teacher.identity_id is None:
        return [teacher]
    return list(Teacher.objects.filter(identity_id=teacher.identity_id).select_related("institution__region")
                .order_by(F("started_on").desc(nulls_last=True), "-id"))
