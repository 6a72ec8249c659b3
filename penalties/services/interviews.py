"""约谈: its own record, not a penalty (who, when, with whom, what was said, what was promised), with or
without a case."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import Institution
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from .. import permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import Interview, PenaltyCase
from .common import _now, _snap


@transaction.atomic
def interview_record(
    *, actor, institution_id: int, held_at, place: str, staff: str, interviewees: str, said: str,
    promised: str = "", case_id: int | None = None, now=None,
) -> Interview:
    now = _now(now)
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_draft_for(actor, institution):
        raise ActionForbidden(_("该机构不在您的管辖范围内，不能记录约谈。"))
    if not isinstance(held_at, datetime.datetime):
        raise ServiceError(_("请填写约谈时间。"), field="held_at")
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    if held_at > now + datetime.timedelta(minutes=5):
        raise ServiceError(_("约谈时间不能晚于现在。"), field="held_at")
    values = {"place": place, "staff": staff, "interviewees": interviewees, "said": said}
    labels = {"place": _("约谈地点"), "staff": _("约谈人"), "interviewees": _("被约谈人"), "said": _("约谈内容")}
    for name, value in values.items():
        if not (value or "").strip():
            raise ServiceError(_("请填写%(field)s。") % {"field": labels[name]}, field=name)
    case = None
    if case_id:
        case = PenaltyCase.objects.filter(pk=case_id, institution_id=institution.pk).first()
        if case is None or not permissions.can_work_case(actor, case):
            raise ServiceError(_("关联案件不存在，或不是该机构的案件。"), field="case")
    interview = Interview.objects.create(
        department=actor.department, institution=institution, case=case, held_at=held_at,
        place=place.strip()[:200], staff=staff.strip()[:200], interviewees=interviewees.strip()[:200],
        said=said.strip(), promised=(promised or "").strip(), created_by=actor, updated_by=actor,
    )
    record_event(
        actor=actor, kind=PenaltiesAuditKind.INTERVIEW_RECORDED, obj=interview, institution_id=institution.pk,
        after=_snap(interview), summary=_("约谈%(who)s") % {"who": interview.interviewees[:40]}, now=now,
    )
    return interview
