"""现场检查笔录 and 询问笔录 recorded in the app during the investigation; each becomes the next entry of the
case's numbered evidence list."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, require_status

from .. import permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseEvidence, CaseStatus, InvestigationRecord, PenaltyCase, RecordKind
from .common import _now, _snap


def _aware(value, field, message):
    if not isinstance(value, datetime.datetime):
        raise ServiceError(message, field=field)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@transaction.atomic
def case_record_add(
    *, actor, case_id: int, kind: str, started_at, ended_at, place: str, officers: str, subject_name: str,
    content: str, subject_role: str = "", signed: bool = True, refusal_note: str = "", now=None,
) -> InvestigationRecord:
    now = _now(now)
    if kind not in RecordKind.values:
        raise ServiceError(_("请选择笔录类别。"), field="kind")
    started_at = _aware(started_at, "started_at", _("请填写开始时间。"))
    ended_at = _aware(ended_at, "ended_at", _("请填写结束时间。"))
    if ended_at < started_at:
        raise ServiceError(_("结束时间不能早于开始时间。"), field="ended_at")
    if ended_at > now + datetime.timedelta(minutes=5):
        raise ServiceError(_("结束时间不能晚于现在。"), field="ended_at")
    values = {"place": place, "officers": officers, "subject_name": subject_name, "content": content}
    labels = {"place": _("地点"), "officers": _("执法人员及执法证号"), "subject_name": _("被检查人/被询问人"),
              "content": _("笔录内容")}
    for name, value in values.items():
        if not (value or "").strip():
            raise ServiceError(_("请填写%(field)s。") % {"field": labels[name]}, field=name)
    refusal_note = (refusal_note or "").strip()
    if not signed and not refusal_note:
        raise ServiceError(_("被检查人/被询问人未签名的，请注明拒绝签名的情况。"), field="refusal_note")
    case = PenaltyCase.objects.select_for_update().get(pk=case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_("只有承办部门的执法人员可以办理该案件。"))
    require_status(case, (CaseStatus.FILED, CaseStatus.INVESTIGATION), _("制作调查笔录"))
    position = (case.evidence.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    label = RecordKind(kind).label
    evidence = CaseEvidence.objects.create(
        case=case, position=position, added_at=now, added_by=actor,
        description=(_("%(kind)s（%(name)s，%(day)s）") % {
            "kind": label, "name": subject_name.strip(), "day": f"{timezone.localtime(started_at):%Y-%m-%d}"})[:200],
    )
    record = InvestigationRecord.objects.create(
        case=case, kind=kind, evidence=evidence, started_at=started_at, ended_at=ended_at,
        place=place.strip()[:200], officers=officers.strip()[:200], subject_name=subject_name.strip()[:60],
        subject_role=(subject_role or "").strip()[:60], content=content.strip(), signed=bool(signed),
        refusal_note=refusal_note[:200], recorded_at=now, recorded_by=actor,
    )
    record_event(
        actor=actor, kind=PenaltiesAuditKind.CASE_RECORD_ADDED, obj=case, institution_id=case.institution_id,
        after={"record": _snap(record)}, summary=_("证据%(n)d：%(d)s") % {"n": position, "d": evidence.description},
        now=now,
    )
    return record
