"""听证 (行政处罚法 Arts 63–65): the request within 5 working days of the service of the 事先告知书, the 听证通知书
served at least 7 working days before the hearing, a chair who did not investigate the case, a recusal request
recorded, the 听证笔录 signed or its refusal noted, the 听证报告; a party who does not come without a reason has
waived the hearing. Each step locks the case, checks the case and hearing status, and writes its audit event."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.calendar import add_working_days, working_days_between
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseDocument, CaseStatus, Hearing, HearingStatus, PenaltyCase, ServedDocument, ServiceRecord
from .common import _now, _snap, _today
from .documents import _record_service, _validate_service

_WORK_DENIED = _("只有承办部门的执法人员可以办理该案件。")


def investigator_ids(case: PenaltyCase) -> set[int]:
    """Everyone who took part in investigating the case: they may not chair its hearing nor review it."""
    ids = {case.opened_by_id, case.reviewed_by_id, case.investigation_by_id, case.investigation_closed_by_id,
           case.rights_notified_by_id}
    ids.update(case.evidence.values_list("added_by_id", flat=True))
    ids.update(case.records.values_list("recorded_by_id", flat=True))
    ids.discard(None)
    return ids


def _locked(case_id: int, actor) -> tuple[PenaltyCase, Hearing | None]:
    case = PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_WORK_DENIED)
    hearing = Hearing.objects.select_for_update().filter(case=case).first()
    return case, hearing


def _require_hearing(hearing, allowed, action):
    if hearing is None:
        raise TransitionNotAllowed(_("当事人未申请听证。"))
    require_status(hearing, allowed, action)


def _event(actor, case, hearing, kind, before, summary, now):
    record_event(actor=actor, kind=kind, obj=case, institution_id=case.institution_id,
                 before={"hearing": before}, after={"hearing": _snap(hearing)}, summary=summary, now=now)


def hearing_request_last_day(case: PenaltyCase) -> datetime.date | None:
    if case.rights_served_at is None:
        return None
    return add_working_days(timezone.localdate(case.rights_served_at), conf.hearing_request_working_days())


@transaction.atomic
def hearing_request(*, actor, case_id: int, requested_on: datetime.date, now=None) -> Hearing:
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("申请听证"))
    if hearing is not None:
        raise TransitionNotAllowed(_("当事人已申请听证。"))
    if not case.hearing_right:
        raise TransitionNotAllowed(_("拟作出的处罚不属于行政处罚法第六十三条规定的听证范围。"))
    if case.rights_served_at is None:
        raise TransitionNotAllowed(_("事先告知书尚未送达。"))
    if not isinstance(requested_on, datetime.date):
        raise ServiceError(_("请填写申请日期。"), field="requested_on")
    if requested_on > _today(now):
        raise ServiceError(_("申请日期不能晚于今天。"), field="requested_on")
    if requested_on < timezone.localdate(case.rights_served_at):
        raise ServiceError(_("申请日期不能早于事先告知书送达日期。"), field="requested_on")
    last = hearing_request_last_day(case)
    if requested_on > last:
        raise ServiceError(
            _("听证申请应在事先告知书送达后五个工作日内（至%(last)s）提出，已逾期（行政处罚法第六十四条）。")
            % {"last": last},
            field="requested_on",
        )
    hearing = Hearing.objects.create(case=case, requested_on=requested_on, updated_at=now, updated_by=actor)
    before = _snap(case)
    case.hearing_requested, case.updated_by = True, actor
    case.save(update_fields=["hearing_requested", "updated_by", "updated_at"])
    record_event(actor=actor, kind=PenaltiesAuditKind.CASE_HEARING_REQUESTED, obj=case,
                 institution_id=case.institution_id, before=before,
                 after={**_snap(case), "hearing": _snap(hearing)},
                 summary=_("当事人于%(day)s申请听证") % {"day": requested_on}, now=now)
    return hearing


def _check_chair(case, chair) -> None:
    if chair is None:
        raise ServiceError(_("请选择听证主持人。"), field="chair")
    if chair.department_id != case.department_id:
        raise ServiceError(_("听证主持人应为承办部门的工作人员。"), field="chair")
    if chair.pk in investigator_ids(case):
        raise ServiceError(
            _("%(name)s参与了本案调查，不能担任听证主持人（行政处罚法第六十四条）。")
            % {"name": chair.full_name or chair.username},
            field="chair",
        )


@transaction.atomic
def hearing_notify(
    *, actor, case_id: int, scheduled_for: datetime.datetime, place: str, chair,
    notice_served_on: datetime.date | None = None, members: str = "", public: bool = True, now=None,
) -> Hearing:
    """The hearing scheduled and its 听证通知书 made: served on `notice_served_on` (a date, as recorded so far), or,
    without it, served afterwards like any document on a 送达回证 (hearing_notice_serve); either way at least
    7 working days before the hearing."""
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("通知听证"))
    _require_hearing(hearing, (HearingStatus.REQUESTED,), _("通知听证"))
    if not isinstance(scheduled_for, datetime.datetime):
        raise ServiceError(_("请填写听证时间。"), field="scheduled_for")
    if timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for)
    if notice_served_on is not None and not isinstance(notice_served_on, datetime.date):
        raise ServiceError(_("请填写听证通知书送达日期。"), field="notice_served_on")
    if notice_served_on is not None and notice_served_on > _today(now):
        raise ServiceError(_("听证通知书送达日期不能晚于今天。"), field="notice_served_on")
    place = (place or "").strip()
    if not place:
        raise ServiceError(_("请填写听证地点。"), field="place")
    _check_chair(case, chair)
    if notice_served_on is not None:
        _check_notice_ahead(notice_served_on, scheduled_for, field="scheduled_for")
    before = _snap(hearing)
    hearing.status, hearing.scheduled_for, hearing.place = HearingStatus.NOTIFIED, scheduled_for, place[:200]
    hearing.notice_served_on, hearing.chair, hearing.members = notice_served_on, chair, (members or "").strip()[:200]
    hearing.public, hearing.updated_at, hearing.updated_by = bool(public), now, actor
    hearing.save()
    _event(actor, case, hearing, PenaltiesAuditKind.CASE_HEARING_NOTIFIED, before,
           _("听证定于%(at)s在%(place)s举行") % {"at": f"{timezone.localtime(scheduled_for):%Y-%m-%d %H:%M}",
                                                "place": place}, now)
    return hearing


def _check_notice_ahead(served_on: datetime.date, scheduled_for: datetime.datetime, *, field: str) -> None:
    """The 听证通知书 served at least 7 working days before the hearing (Art 64 (2)), counted from its service."""
    hearing_day = timezone.localdate(scheduled_for)
    earliest = add_working_days(served_on, conf.hearing_notice_working_days())
    if hearing_day < earliest:
        ahead = working_days_between(served_on, hearing_day)
        raise ServiceError(
            _("听证通知书应在举行听证的七个工作日前送达：%(day)s送达，听证最早可定于%(earliest)s"
              "（所定%(hearing)s仅相隔%(n)d个工作日）。")
            % {"day": served_on, "earliest": earliest, "hearing": hearing_day, "n": ahead},
            field=field,
        )


@transaction.atomic
def hearing_notice_serve(*, actor, case_id: int, data: dict, now=None) -> ServiceRecord:
    """送达 the 听证通知书 like any document (送达回证: method, receiver, time to the minute, witness…); the
    7-working-day rule counts from the time of service (for 公告送达: the end of the notice period)."""
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("送达听证通知书"))
    _require_hearing(hearing, (HearingStatus.NOTIFIED,), _("送达听证通知书"))
    if hearing.notice_served_on is not None:
        raise TransitionNotAllowed(
            _("听证通知书已于%(day)s送达，不能重复送达。") % {"day": hearing.notice_served_on}
        )
    issued = CaseDocument.objects.filter(case=case, kind="hearing_notice").first()
    cleaned = _validate_service(data=data, issued_at=issued.issued_at if issued else None, now=now)
    served_on = timezone.localdate(cleaned["served_at"])
    _check_notice_ahead(served_on, hearing.scheduled_for, field="served_at")
    record = _record_service(
        actor=actor, document_type=ServedDocument.HEARING_NOTICE, document_id=case.pk,
        number=issued.number if issued else "", institution=case.institution, data=cleaned, now=now,
    )
    before = _snap(hearing)
    hearing.notice_served_on, hearing.updated_at, hearing.updated_by = served_on, now, actor
    hearing.save(update_fields=["notice_served_on", "updated_at", "updated_by"])
    _event(actor, case, hearing, PenaltiesAuditKind.CASE_HEARING_NOTICE_SERVED, before,
           _("送达听证通知书（%(method)s，%(at)s）")
           % {"method": record.get_method_display(),
              "at": timezone.localtime(record.served_at).strftime("%Y-%m-%d %H:%M")}, now)
    return record


def _require_notice_served(hearing) -> None:
    if hearing.notice_served_on is None:
        raise TransitionNotAllowed(_("听证通知书尚未送达当事人。"))


@transaction.atomic
def hearing_recusal(*, actor, case_id: int, note: str, new_chair=None, now=None) -> Hearing:
    """The party asks that the chair (or a member) step aside: the request and the decision on it are recorded;
    a new chair is checked like the first."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写回避申请的内容及决定。"), field="note")
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("记录回避申请"))
    _require_hearing(hearing, (HearingStatus.REQUESTED, HearingStatus.NOTIFIED), _("记录回避申请"))
    if new_chair is not None:
        _check_chair(case, new_chair)
        if new_chair.pk == hearing.chair_id:
            raise ServiceError(_("新的听证主持人不能是被申请回避的人员。"), field="chair")
    before = _snap(hearing)
    hearing.recusal_requested = True
    hearing.recusal_note = "\n".join(filter(None, [hearing.recusal_note, note]))
    if new_chair is not None:
        hearing.chair = new_chair
    hearing.updated_at, hearing.updated_by = now, actor
    hearing.save()
    _event(actor, case, hearing, PenaltiesAuditKind.CASE_HEARING_RECUSAL, before, _("记录回避申请"), now)
    return hearing


@transaction.atomic
def hearing_hold(
    *, actor, case_id: int, record: str, party_signed: bool, signature_refusal: str = "", now=None
) -> Hearing:
    """听证笔录: the hearing held at its time, the record signed by the party or the refusal noted."""
    record = (record or "").strip()
    refusal = (signature_refusal or "").strip()
    if not record:
        raise ServiceError(_("请填写听证笔录。"), field="record")
    if not party_signed and not refusal:
        raise ServiceError(_("当事人未签字的，请注明拒绝签字的情况。"), field="signature_refusal")
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("记录听证"))
    _require_hearing(hearing, (HearingStatus.NOTIFIED,), _("记录听证"))
    _require_notice_served(hearing)
    if now < hearing.scheduled_for - datetime.timedelta(minutes=30):
        raise TransitionNotAllowed(_("听证尚未到通知的时间，不能记录听证笔录。"))
    before = _snap(hearing)
    hearing.status, hearing.attended, hearing.held_at = HearingStatus.HELD, True, now
    hearing.record, hearing.party_signed, hearing.signature_refusal = record, bool(party_signed), refusal[:200]
    hearing.updated_at, hearing.updated_by = now, actor
    hearing.save()
    _event(actor, case, hearing, PenaltiesAuditKind.CASE_HEARING_HELD, before, _("举行听证，制作听证笔录"), now)
    return hearing


@transaction.atomic
def hearing_absent(*, actor, case_id: int, note: str, now=None) -> Hearing:
    """The party did not come, without a proper reason: the hearing is waived (Art 65 ¶1)."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写当事人未到场的情况。"), field="note")
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("记录未到场"))
    _require_hearing(hearing, (HearingStatus.NOTIFIED,), _("记录未到场"))
    _require_notice_served(hearing)
    if now < hearing.scheduled_for:
        raise TransitionNotAllowed(_("听证时间未到，不能认定当事人未到场。"))
    before = _snap(hearing)
    hearing.status, hearing.attended, hearing.waived_reason = HearingStatus.WAIVED, False, note[:200]
    hearing.updated_at, hearing.updated_by = now, actor
    hearing.save()
    _event(actor, case, hearing, PenaltiesAuditKind.CASE_HEARING_WAIVED, before,
           _("当事人无正当理由未到场，视为放弃听证"), now)
    return hearing


@transaction.atomic
def hearing_report(*, actor, case_id: int, report: str, now=None) -> Hearing:
    """听证报告 by the chair (or the staff on its behalf) after the hearing."""
    report = (report or "").strip()
    if not report:
        raise ServiceError(_("请填写听证报告。"), field="report")
    now = _now(now)
    case, hearing = _locked(case_id, actor)
    require_status(case, (CaseStatus.NOTICE_OF_RIGHTS,), _("提交听证报告"))
    _require_hearing(hearing, (HearingStatus.HELD,), _("提交听证报告"))
    before = _snap(hearing)
    hearing.status, hearing.report, hearing.reported_at = HearingStatus.REPORTED, report, now
    hearing.updated_at, hearing.updated_by = now, actor
    hearing.save()
    _event(actor, case, hearing, PenaltiesAuditKind.CASE_HEARING_REPORTED, before, _("提交听证报告"), now)
    return hearing
