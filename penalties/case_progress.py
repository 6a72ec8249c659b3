"""Where a penalty case stands: the step it waits for, the clock that runs on it (which legal period, until
when, how many days are left) and the records of its steps, for the case page. Reads only."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CaseStatus, DecisionKind, HearingStatus, PenaltyCase, PeriodChangeKind
from .services.execution import enforcement_earliest, money_due, outstanding, paid_total, surcharge
from .services.hearings import hearing_request_last_day
from .services.reviews import discussion_required, legal_review_required


@dataclass
class Clock:
    label: str
    due: datetime.date | None
    article: str = ""
    paused: bool = False
    today: datetime.date | None = None

    @property
    def days_left(self) -> int | None:
        return None if self.due is None or self.today is None else (self.due - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(-(self.days_left or 0), 0)

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def case_clock(case: PenaltyCase, *, today: datetime.date | None = None) -> Clock | None:
    today = today or timezone.localdate()
    paused = case.period_changes.filter(kind=PeriodChangeKind.SUSPEND, ended_on__isnull=True).exists()
    decision_clock = Clock(_("办案期限（自立案起九十日）"), case.decision_due, _("行政处罚法第六十条"), paused, today)
    status = case.status
    if status in (CaseStatus.FILED, CaseStatus.INVESTIGATION, CaseStatus.INVESTIGATED, CaseStatus.PROPOSED):
        return decision_clock
    if status == CaseStatus.NOTICE_OF_RIGHTS:
        if case.rights_served_at is None:
            return decision_clock
        hearing = getattr(case, "hearing", None)
        if hearing is None and case.hearing_right and today <= hearing_request_last_day(case):
            return Clock(_("听证申请期限（送达后五个工作日）"), hearing_request_last_day(case),
                         _("行政处罚法第六十四条"), today=today)
        if hearing is None and case.statement_due and today <= case.statement_due and not case.rights_waived:
            return Clock(_("陈述申辩期限（自送达起）"), case.statement_due, _("行政处罚法第四十四条"), today=today)
        if hearing is not None and hearing.status == HearingStatus.NOTIFIED:
            return Clock(_("听证举行时间"), timezone.localdate(hearing.scheduled_for), _("行政处罚法第六十四条"),
                         today=today)
        return decision_clock
    if status == CaseStatus.DECIDED:
        return Clock(_("决定书送达期限（七个工作日）"), case.service_due, _("行政处罚法第六十一条"), today=today)
    if status == CaseStatus.SERVED and case.payment_due:
        if case.reminder_served_on:
            return Clock(_("可申请法院强制执行之日"), enforcement_earliest(case), _("行政强制法第五十三条、第五十四条"),
                         today=today)
        return Clock(_("罚款缴纳期限（送达后十五日）"), case.payment_due, _("行政处罚法第六十七条"), today=today)
    return None


def case_money(case: PenaltyCase, *, today: datetime.date | None = None) -> dict | None:
    today = today or timezone.localdate()
    if case.status not in (CaseStatus.SERVED, CaseStatus.ENFORCEMENT, CaseStatus.EXECUTED, CaseStatus.CLOSED):
        return None
    due = money_due(case)
    if not due:
        return None
    return {"due": due, "surcharge": surcharge(case, on=today), "paid": paid_total(case),
            "outstanding": outstanding(case, on=today)}


def case_records(case: PenaltyCase) -> dict:
    decision = getattr(case, "decision", None) if case.decided_at else None
    return {
        "records": list(case.records.select_related("evidence")),
        "hearing": getattr(case, "hearing", None),
        "legal_reviews": list(case.legal_reviews.select_related("reviewer")),
        "discussions": list(case.discussions.all()),
        "payments": list(case.payments.all()),
        "period_changes": list(case.period_changes.all()),
        "interviews": list(case.interviews.all()),
        "needs_legal_review": legal_review_required(case),
        "needs_discussion": discussion_required(case),
        "no_penalty": decision is not None and decision.kind == DecisionKind.NO_PENALTY,
    }
