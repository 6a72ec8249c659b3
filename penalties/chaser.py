"""The daily deadline chaser: reminders, overdue orders, escalation, penalty-case time limits and refunds.

Safe to run twice, twice at once, or again after a worker died mid-run:
- one advisory lock per run (a second chaser at the same moment skips);
- state changes in small transactions over rows taken with select_for_update(skip_locked=True), each
  change moving the row out of the filter that found it;
- every notification has a unique key (regulator.notifications.notify never writes a key twice);
- every step is set-based, a few queries a batch whatever its size: overdue orders and escalations change
  state in one UPDATE … RETURNING a batch with their audit events in one bulk append (penalties/services/
  overdue.py, escalation.py; the escalations' cases in one INSERT, their black-list proposals through
  publicity.services.list_entries_propose_many); reminders and time limits read a batch in one SELECT; every
  notice of a batch goes in one INSERT (regulator.notifications.notify_many), its recipients loaded in at
  most two queries;
- rows are read in batches by id (keyset), so 100,000 orders cost the same memory as 500.
"""

import datetime
import logging
from collections import Counter
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections import services as inspection_services
from institutions.models import Institution
from publicity import services as publicity_services
from regulator.errors import ServiceError
from regulator.locks import advisory_lock
from regulator.models import Role, User
from regulator.notifications import notify_many

from . import conf, services
from .models import (
    ORDER_RUNNING,
    CaseStatus,
    Payment,
    Penalty,
    PenaltyCase,
    PenaltyKind,
    RectificationOrder,
    SuspensionNotice,
    SuspensionStatus,
)

logger = logging.getLogger(__name__)

LOCK_NAME = "penalties.chase_deadlines"


class _Recipients:
    """Department heads and named staff, cached for one run (a few hundred users at most)."""

    def __init__(self):
        self._heads: dict[int, list[User]] = {}
        self._users: dict[int, User | None] = {}

    def heads(self, department_id: int) -> list[User]:
        if department_id not in self._heads:
            self._heads[department_id] = list(
                User.objects.filter(department_id=department_id, role=Role.HEAD, is_active=True).order_by(
                    "id"
                )
            )
        return self._heads[department_id]

    def user(self, user_id: int | None) -> User | None:
        if user_id is None:
            return None
        if user_id not in self._users:
            self._users[user_id] = User.objects.filter(pk=user_id, is_active=True).first()
        return self._users[user_id]

    def prefetch(self, department_ids, user_ids) -> None:
        """Load the heads and users a batch needs that no earlier batch loaded: at most two queries."""
        departments = {pk for pk in department_ids if pk not in self._heads}
        if departments:
            for pk in departments:
                self._heads[pk] = []
            heads = User.objects.filter(department_id__in=departments, role=Role.HEAD, is_active=True)
            for head in heads.order_by("id"):
                self._heads[head.department_id].append(head)
        users = {pk for pk in user_ids if pk is not None and pk not in self._users}
        if users:
            found = {user.pk: user for user in User.objects.filter(pk__in=users, is_active=True)}
            for pk in users:
                self._users[pk] = found.get(pk)

    def collect(self, department_id: int, *user_ids, heads: bool = True) -> list[User]:
        people = {}
        for user_id in user_ids:
            user = self.user(user_id)
            if user is not None:
                people[user.pk] = user
        if heads:
            for head in self.heads(department_id):
                people[head.pk] = head
        return list(people.values())


class _Notice(NamedTuple):
    """A notice for one row of a batch: to the people named (and the department's heads if `heads`), each under
    `key` + ":u<id>"."""

    department_id: int
    user_ids: tuple
    heads: bool
    key: str
    subject: str
    body: str
    link: str


def _notify_batch(notices: list[_Notice], *, people, now, stats: Counter, stat: str) -> None:
    """Every notice of a batch in one INSERT, the recipients loaded first in at most two queries."""
    people.prefetch({notice.department_id for notice in notices if notice.heads},
                    {pk for notice in notices for pk in notice.user_ids})
    rows = []
    for notice in notices:
        for user in people.collect(notice.department_id, *notice.user_ids, heads=notice.heads):
            rows.append((user, f"{notice.key}:u{user.pk}", notice.subject, notice.body, notice.link))
    stats[stat] += len(notify_many(rows, now=now))


def _link(name: str) -> str:
    """The URL of `name` for any object id, as a format string (reverse once a run, not once a row)."""
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def _batches(queryset, fields, size):
    """Rows as dicts, `size` at a time, by ascending id — never the whole table at once."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values("pk", *fields)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


def _windows(today: datetime.date):
    """(days, first_date, last_date) per reminder: 7 → deadlines 2–7 days away, 1 → 0–1 day away."""
    days = conf.reminder_days()
    for index, threshold in enumerate(days):
        lower = days[index + 1] + 1 if index + 1 < len(days) else 0
        yield threshold, today + datetime.timedelta(days=lower), today + datetime.timedelta(days=threshold)


# ---- rectification orders ---------------------------------------------------------------------------


def _remind_orders(*, now, today, people, stats, size):
    fields = ("deadline", "department_id", "drafted_by_id", "number", "institution__name")
    subject = _("整改期限提醒：%(name)s %(number)s 将于%(deadline)s到期")
    body = _("距整改期限还有%(days)d天，请督促机构整改并及时核实销号。")
    link = _link("penalties:order_detail")
    for threshold, first, last in _windows(today):
        queryset = RectificationOrder.objects.filter(
            status__in=ORDER_RUNNING, deadline__gte=first, deadline__lte=last
        )
        for rows in _batches(queryset, fields, size):
            notices = [
                _Notice(row["department_id"], (row["drafted_by_id"],), False,
                        f"order:{row['pk']}:remind{threshold}:{row['deadline']:%Y%m%d}",
                        subject % {"name": row["institution__name"], "number": row["number"],
                                   "deadline": row["deadline"]},
                        body % {"days": (row["deadline"] - today).days}, link.format(row["pk"]))
                for row in rows
            ]
            with transaction.atomic():
                _notify_batch(notices, people=people, now=now, stats=stats, stat="order_reminders")


def _plan_reinspections(orders, *, now, people, stats) -> None:
    """Plan a re-inspection visit a week ahead, by the order's drafter, for each order of the batch that came from
    a visit, in one call (inspections.services.reinspections_plan_many); the inspector is told either way
    (_mark_overdue's notices)."""
    plan = getattr(inspection_services, "reinspections_plan_many", None)
    plans = [(people.user(order.drafted_by_id), order.visit_id) for order in orders
             if order.visit_id and people.user(order.drafted_by_id) is not None]
    if plan is None or not plans:
        return
    planned_on = timezone.localdate(now) + datetime.timedelta(days=7)
    for (_planner, visit_id), result in zip(plans, plan(plans=plans, planned_on=planned_on, now=now), strict=True):
        if isinstance(result, ServiceError):
            logger.warning("re-inspection of visit %s not planned: %s", visit_id, result)
        else:
            stats["reinspections_scheduled"] += 1


def _mark_overdue(*, now, today, people, stats, size):
    """Set-based, per batch (penalties.services.orders_mark_overdue_batch): one UPDATE … RETURNING, the audit
    events in one bulk append, every notice of the batch in one INSERT (regulator.notifications.notify_many).
    The re-inspections of the orders that came from a visit are planned in one call too."""
    grace = conf.escalation_grace_days()
    # Translated and resolved once a run, not once an order.
    overdue_subject, overdue_body = _("逾期未整改：%(name)s %(number)s"), _(
        "整改期限%(deadline)s已过，仍有事项未销号。宽限%(grace)d天后仍未整改的，将升级为处罚案件。"
    )
    reinspect_subject = _("请安排复查：%(name)s %(number)s 逾期未整改")
    reinspect_body = _("整改期限%(deadline)s已过，仍有事项未销号，请安排复查核实。")
    link = _link("penalties:order_detail")
    while True:
        with transaction.atomic():
            marked = services.orders_mark_overdue_batch(today=today, now=now, size=size)
            if not marked:
                return
            overdue = [row for row in marked if row.overdue]
            people.prefetch(
                {row.order.department_id for row in overdue}, {row.order.drafted_by_id for row in overdue}
            )
            notices, kinds = [], {}
            for row in overdue:
                order = row.order
                names = {"name": row.institution_name, "number": order.number}
                url = link.format(order.pk)
                stats["orders_overdue"] += 1
                subject = overdue_subject % names
                body = overdue_body % {"deadline": order.deadline, "grace": grace}
                for user in people.collect(order.department_id, order.drafted_by_id):
                    key = f"order:{order.pk}:overdue:u{user.pk}"
                    notices.append((user, key, subject, body, url))
                    kinds[key] = "overdue_notices"
                subject, body = reinspect_subject % names, reinspect_body % {"deadline": order.deadline}
                for user in people.collect(order.department_id, order.drafted_by_id, heads=False):
                    key = f"order:{order.pk}:reinspect:u{user.pk}"
                    notices.append((user, key, subject, body, url))
                    kinds[key] = "reinspection_notices"
            for key in notify_many(notices, now=now):
                stats[kinds[key]] += 1
            _plan_reinspections([row.order for row in overdue], now=now, people=people, stats=stats)


def _propose_black_list(escalated, *, now, people, stats) -> None:
    """Draft the black-list proposals (逾期未整改) of a batch of escalated orders for the publicity app to review,
    in one call (publicity.services.list_entries_propose_many).

    A proposal needs an acting member of staff: the order's drafter proposes, else the department's first head.
    Where publicity refuses one, or nobody can propose it, the heads are told instead, so a proposal is never
    silently lost."""
    propose = getattr(publicity_services, "list_entries_propose_many", None)
    proposals, proposed = [], []
    for row in escalated:
        order = row.order
        proposer = people.user(order.drafted_by_id) or next(iter(people.heads(order.department_id)), None)
        if propose is None or proposer is None:
            continue
        proposals.append({
            "institution": Institution(pk=order.institution_id, region_id=row.region_id, name=row.institution_name),
            "list_kind": "black", "actor": proposer,
            "reason": _("%(number)s 逾期未整改，已升级为处罚案件线索") % {"number": order.number},
            "source_type": "overdue_order", "source_id": order.pk, "source_object_type": order._meta.label_lower,
            "handling_result": _("责令限期整改逾期未改，立案调查"),
        })
        proposed.append(row)
    results = propose(proposals=proposals, now=now) if proposals else []
    made = set()
    for row, result in zip(proposed, results, strict=True):
        if isinstance(result, ServiceError):
            logger.warning("black-list proposal for order %s refused: %s", row.order.pk, result)
        else:
            made.add(row.order.pk)
            stats["black_list_proposals"] += 1
    subject = _("建议列入黑名单：%(name)s")
    body = _("%(number)s 逾期未整改，已升级为处罚案件线索，请审核是否提请列入黑名单。")
    link = _link("penalties:case_detail")
    _notify_batch([
        _Notice(row.order.department_id, (), True, f"order:{row.order.pk}:blacklist",
                subject % {"name": row.institution_name}, body % {"number": row.order.number},
                link.format(row.case.pk))
        for row in escalated if row.order.pk not in made
    ], people=people, now=now, stats=stats, stat="black_list_notices")


def _escalate(*, now, today, people, stats, size):
    """Set-based, per batch (penalties.services.orders_escalate_batch): the orders escalated and their cases
    opened in a few statements, every notice in one INSERT, the black-list proposals in one call."""
    grace = conf.escalation_grace_days()
    limit = today - datetime.timedelta(days=grace)
    subject = _("已升级处理：%(name)s %(number)s")
    body = _("逾期超过%(grace)d天仍未整改，已登记为处罚案件线索。") % {"grace": grace}
    link = _link("penalties:case_detail")
    while True:
        with transaction.atomic():
            escalated = services.orders_escalate_batch(limit=limit, now=now, size=size)
            if not escalated:
                return
            stats["orders_escalated"] += len(escalated)
            _notify_batch([
                _Notice(row.order.department_id, (row.order.drafted_by_id,), True, f"order:{row.order.pk}:escalated",
                        subject % {"name": row.institution_name, "number": row.order.number}, body,
                        link.format(row.case.pk))
                for row in escalated
            ], people=people, now=now, stats=stats, stat="escalation_notices")
            _propose_black_list(escalated, now=now, people=people, stats=stats)


# ---- penalty cases -----------------------------------------------------------------------------------


def _unpaid(queryset):
    """Cases whose payments do not yet cover the fine and confiscated money (the surcharge is on the case page)."""
    paid = Payment.objects.filter(case=OuterRef("pk")).values("case").annotate(s=Sum("amount")).values("s")
    due = (
        Penalty.objects.filter(decision__case=OuterRef("pk"), kind__in=(PenaltyKind.FINE, PenaltyKind.CONFISCATION))
        .values("decision").annotate(s=Sum("amount")).values("s")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return queryset.annotate(
        paid=Coalesce(Subquery(paid, output_field=money), Value(Decimal("0"), output_field=money)),
        due=Subquery(due, output_field=money),
    ).filter(
        paid__lt=F("due")
    )


def _chase_cases(*, now, today, people, stats, size):
    fields = (
        "department_id",
        "opened_by_id",
        "investigation_by_id",
        "institution__name",
        "decision_due",
        "statement_due",
        "service_due",
        "payment_due",
    )
    link = _link("penalties:case_detail")
    pending = (CaseStatus.FILED, CaseStatus.INVESTIGATION, CaseStatus.INVESTIGATED, CaseStatus.PROPOSED,
               CaseStatus.NOTICE_OF_RIGHTS)
    subject = _("办案期限提醒：%(name)s 案应于%(due)s前作出决定")
    body = _("自立案之日起九十日内应作出处罚决定（行政处罚法第六十条）。")
    for threshold, first, last in _windows(today):
        queryset = PenaltyCase.objects.filter(
            status__in=pending, decision_due__gte=first, decision_due__lte=last
        )
        for rows in _batches(queryset, fields, size):
            notices = [
                _Notice(row["department_id"], (row["investigation_by_id"],), True,
                        f"case:{row['pk']}:decision_remind{threshold}",
                        subject % {"name": row["institution__name"], "due": row["decision_due"]}, body,
                        link.format(row["pk"]))
                for row in rows
            ]
            with transaction.atomic():
                _notify_batch(notices, people=people, now=now, stats=stats, stat="case_reminders")
    checks = [
        (
            PenaltyCase.objects.filter(status__in=pending, decision_due__lt=today),
            "decision_overdue",
            _("办案超期：%(name)s 案未在%(due)s前作出决定"),
            "decision_due",
        ),
        (
            PenaltyCase.objects.filter(
                status=CaseStatus.NOTICE_OF_RIGHTS,
                statement_due__lt=today,
                statement_recorded_at__isnull=True,
            ),
            "statement_elapsed",
            _("陈述申辩期限届满：%(name)s 案（%(due)s），可提请负责人决定"),
            "statement_due",
        ),
        (
            PenaltyCase.objects.filter(status=CaseStatus.DECIDED, service_due__lt=today),
            "service_overdue",
            _("决定书送达超期：%(name)s 案应于%(due)s前送达"),
            "service_due",
        ),
        (
            _unpaid(PenaltyCase.objects.filter(status=CaseStatus.SERVED, payment_due__lt=today)),
            "payment_overdue",
            _("罚款缴纳期限已过：%(name)s 案（%(due)s），请核实缴款或依法加处罚款、申请强制执行"),
            "payment_due",
        ),
    ]
    for queryset, kind, subject, due_field in checks:
        for rows in _batches(queryset, fields, size):
            notices = [
                _Notice(row["department_id"], (row["investigation_by_id"] or row["opened_by_id"],), True,
                        f"case:{row['pk']}:{kind}:{row[due_field]:%Y%m%d}",
                        subject % {"name": row["institution__name"], "due": row[due_field]}, "",
                        link.format(row["pk"]))
                for row in rows
            ]
            with transaction.atomic():
                _notify_batch(notices, people=people, now=now, stats=stats, stat="case_notices")


# ---- refunds -------------------------------------------------------------------------------------------


def _chase_refunds(*, now, today, people, stats, size):
    fields = ("department_id", "drafted_by_id", "institution__name", "number", "refund_deadline")
    running = (SuspensionStatus.APPROVED, SuspensionStatus.SERVED)
    link = _link("penalties:suspension_detail")

    def names(row):
        return {"name": row["institution__name"], "number": row["number"], "due": row["refund_deadline"]}

    subject = _("退费期限提醒：%(name)s %(number)s 应于%(due)s前退费完毕")
    for threshold, first, last in _windows(today):
        queryset = SuspensionNotice.objects.filter(
            status__in=running, refund_deadline__gte=first, refund_deadline__lte=last
        )
        for rows in _batches(queryset, fields, size):
            notices = [_Notice(row["department_id"], (row["drafted_by_id"],), False,
                               f"suspension:{row['pk']}:refund_remind{threshold}", subject % names(row), "",
                               link.format(row["pk"]))
                       for row in rows]
            with transaction.atomic():
                _notify_batch(notices, people=people, now=now, stats=stats, stat="refund_reminders")
    subject = _("退费逾期：%(name)s %(number)s 未在%(due)s前退费完毕")
    body = _("请核实退费情况，必要时立案查处。")
    queryset = SuspensionNotice.objects.filter(status__in=running, refund_deadline__lt=today)
    for rows in _batches(queryset, fields, size):
        notices = [_Notice(row["department_id"], (row["drafted_by_id"],), True,
                           f"suspension:{row['pk']}:refund_overdue", subject % names(row), body,
                           link.format(row["pk"]))
                   for row in rows]
        with transaction.atomic():
            _notify_batch(notices, people=people, now=now, stats=stats, stat="refund_notices")


def _complete_public_notices(*, now, stats) -> None:
    """公告送达 recorded while its period ran: served once the period is over."""
    from .services.proofs import service_proof_complete_notices

    counts = service_proof_complete_notices(now=now)
    for key, name in (("served", "public_notices_served"), ("failed", "public_notices_failed")):
        if counts[key]:
            stats[name] += counts[key]


def chase_deadlines(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> dict:
    """One run of every chase. Returns counts; {"skipped": 1} if another chaser holds the lock."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    size = batch_size or conf.chaser_batch_size()
    stats: Counter = Counter()
    with advisory_lock(LOCK_NAME) as acquired:
        if not acquired:
            logger.info("chase_deadlines: another run holds the lock; skipping")
            return {"skipped": 1}
        people = _Recipients()
        _remind_orders(now=now, today=today, people=people, stats=stats, size=size)
        _mark_overdue(now=now, today=today, people=people, stats=stats,
                      size=batch_size or conf.overdue_batch_size())
        _escalate(now=now, today=today, people=people, stats=stats, size=size)
        _chase_cases(now=now, today=today, people=people, stats=stats, size=size)
        _chase_refunds(now=now, today=today, people=people, stats=stats, size=size)
        _complete_public_notices(now=now, stats=stats)
    return dict(stats)
