"""Rectification orders, suspension notices and penalty cases, walked to their status through penalties.services.

Every trait calls the services a department would (draft → approve → serve → …), with the clock passed as
`now=`: the rows carry real numbers, service records, audit events and verification records. The moments a
caller names (`approved_at`, `served_at`, `closed_at`, …) are the `now` of that step; the others follow
the first step's `now`. The chaser's own steps (overdue, escalated) happen at 01:00, when beat runs it.

    RectificationOrderFactory(institution=…)               draft
    RectificationOrderFactory(approved=True)               numbered
    RectificationOrderFactory(served=True)                 served in person
    RectificationOrderFactory(closed=True)                 served, every item closed after a re-inspection
    RectificationOrderFactory(overdue=True)                served, deadline passed (default deadline: 2 days ago)
    RectificationOrderFactory(escalated=True)              overdue past the grace period: a penalty case opened
    RectificationOrderFactory(cancelled=True)              cancelled as a draft
    SuspensionNoticeFactory(...)                           draft / approved / served / completed / cancelled
    PenaltyCaseFactory(status=CaseStatus.X)                any status, step by step from the lead
"""

import datetime
import importlib
from decimal import Decimal

import factory
from django.apps import apps
from django.utils import timezone

from penalties import conf, services
from penalties.models import (
    CaseSource,
    CaseStatus,
    OrderStatus,
    PenaltyCase,
    PenaltyKind,
    Provision,
    RectificationOrder,
    SuspensionNotice,
    SuspensionStatus,
)
from regulator.models import Role

from .organisation import at, department_for, staff
from .register import InstitutionFactory

ISSUED = {OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.CLOSED, OrderStatus.OVERDUE, OrderStatus.ESCALATED}
SERVED = {OrderStatus.SERVED, OrderStatus.CLOSED, OrderStatus.OVERDUE, OrderStatus.ESCALATED}


def serve_data(served_at: datetime.datetime) -> dict:
    """A proof of service (送达回证) handed over in person."""
    return {"served_at": served_at, "method": "in_person", "receiver_name": "王某", "receiver_relation": "法定代表人",
            "place": "机构前台"}


def _first_moment(deadline, *, now, days_before: int):
    """When the first step happens: `now`, or — for a deadline already past — `days_before` days before it,
    since a service accepts only a deadline 1 to 90 days after its own clock."""
    if now is not None:
        return now
    if deadline is not None and deadline <= timezone.localdate():
        return at(deadline - datetime.timedelta(days=days_before))
    return timezone.now()


def _chaser_run(deadline: datetime.date, days_after: int) -> datetime.datetime:
    """The chaser's run (01:00) `days_after` days after a deadline; a run not yet due today is the present."""
    return min(at(deadline + datetime.timedelta(days=days_after), hour=1), timezone.now())


def _default_deadline(status):
    today = timezone.localdate()
    if status == OrderStatus.OVERDUE:
        return today - datetime.timedelta(days=2)
    if status == OrderStatus.ESCALATED:
        return today - datetime.timedelta(days=conf.escalation_grace_days() + 2)
    return None


class RectificationOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RectificationOrder

    class Params:
        approved = factory.Trait(status=OrderStatus.APPROVED)
        served = factory.Trait(status=OrderStatus.SERVED)
        closed = factory.Trait(status=OrderStatus.CLOSED)
        overdue = factory.Trait(status=OrderStatus.OVERDUE)
        escalated = factory.Trait(status=OrderStatus.ESCALATED)
        cancelled = factory.Trait(status=OrderStatus.CANCELLED)

    institution = factory.SubFactory(InstitutionFactory)
    department = factory.LazyAttribute(lambda o: department_for(o.institution.region_id))
    drafted_by = factory.LazyAttribute(lambda o: staff(o.department, Role.INSPECTOR))
    approved_by = factory.LazyAttribute(lambda o: staff(o.department, Role.HEAD, exclude=[o.drafted_by]))
    status = OrderStatus.DRAFT
    deadline = None  # the service's default: 30 days after drafting
    requirements = ""
    visit = None
    items = 2  # how many items, or the items themselves ({"text", "legal_basis"[, "problem_item"]})
    now = None  # when it is drafted (and approved and served unless named)
    approved_at = None
    served_at = None
    closed_at = None
    overdue_at = None
    escalated_at = None
    cancelled_at = None

    @classmethod
    def _create(cls, model_class, *, institution, department, drafted_by, approved_by, status, deadline, items, now,
                approved_at, served_at, closed_at, overdue_at, escalated_at, cancelled_at, requirements="",
                visit=None):
        assert drafted_by.department_id == department.pk, "orders are drafted by their department's staff"
        deadline = deadline or _default_deadline(status)
        now = _first_moment(deadline, now=now or approved_at, days_before=30)
        if isinstance(items, int):
            items = [{"text": f"问题{i}：未公示收费项目", "legal_basis": "《价格法》第十三条"}
                     for i in range(1, items + 1)]
        order = services.order_draft(actor=drafted_by, institution_id=institution.pk, items=items, deadline=deadline,
                                     requirements=requirements, visit=visit, now=now)
        approved_at = approved_at or now
        if status in ISSUED:
            services.order_approve(actor=approved_by, order_id=order.pk, now=approved_at)
        if status in SERVED:
            served_at = served_at or approved_at
            services.order_serve(actor=drafted_by, order_id=order.pk, data=serve_data(served_at), now=served_at)
        if status == OrderStatus.CLOSED:
            for item in order.items.all():
                services.order_item_close(actor=drafted_by, item_id=item.pk, method="reinspection",
                                          note="复查核实已整改", now=closed_at or served_at)
        if status in (OrderStatus.OVERDUE, OrderStatus.ESCALATED):
            order.refresh_from_db()
            # penalties.chaser does this step on the row it has locked, at 01:00 of the day after the deadline.
            services.order_mark_overdue(order=order, now=overdue_at or _chaser_run(order.deadline, 1))
        if status == OrderStatus.ESCALATED:
            services.order_escalate(
                order=order, now=escalated_at or _chaser_run(order.deadline, conf.escalation_grace_days() + 1))
        if status == OrderStatus.CANCELLED:
            services.order_cancel(actor=approved_by, order_id=order.pk, reason="通知书内容有误，重新拟制",
                                  now=cancelled_at or now)
        order.refresh_from_db()
        assert order.status == status, f"the services left the order {order.status}, not {status}"
        return order


class SuspensionNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuspensionNotice

    class Params:
        approved = factory.Trait(status=SuspensionStatus.APPROVED)
        served = factory.Trait(status=SuspensionStatus.SERVED)
        completed = factory.Trait(status=SuspensionStatus.COMPLETED)
        cancelled = factory.Trait(status=SuspensionStatus.CANCELLED)

    institution = factory.SubFactory(InstitutionFactory)
    department = factory.LazyAttribute(lambda o: department_for(o.institution.region_id))
    drafted_by = factory.LazyAttribute(lambda o: staff(o.department, Role.INSPECTOR))
    approved_by = factory.LazyAttribute(lambda o: staff(o.department, Role.HEAD, exclude=[o.drafted_by]))
    status = SuspensionStatus.DRAFT
    facts = "在居民住宅内开展学科类培训"
    legal_basis = "《民办教育促进法》第六十四条"
    refund_deadline = None  # the service's default: 30 days after drafting
    visit = None
    now = None
    approved_at = None
    served_at = None
    cancelled_at = None

    @classmethod
    def _create(cls, model_class, *, institution, department, drafted_by, approved_by, status, refund_deadline, now,
                approved_at, served_at, cancelled_at, **kwargs):
        now = _first_moment(refund_deadline, now=now or approved_at, days_before=30)
        notice = services.suspension_draft(actor=drafted_by, institution_id=institution.pk,
                                           refund_deadline=refund_deadline, now=now, **kwargs)
        approved_at = approved_at or now
        if status != SuspensionStatus.DRAFT:
            services.suspension_approve(actor=approved_by, notice_id=notice.pk, now=approved_at)
        if status in (SuspensionStatus.SERVED, SuspensionStatus.COMPLETED):
            served_at = served_at or approved_at
            services.suspension_serve(actor=drafted_by, notice_id=notice.pk, data=serve_data(served_at),
                                      now=served_at)
        if status == SuspensionStatus.COMPLETED:  # every group refunded: the service completes the notice
            services.refund_record(actor=drafted_by, notice_id=notice.pk, student_group="春季一班", students=20,
                                   amount_due=Decimal("12000"), amount_refunded=Decimal("12000"), now=served_at)
        if status == SuspensionStatus.CANCELLED:
            # No service cancels a notice yet: written as penalties.services.order_cancel writes an order's
            # cancellation (status, cancelled_at, cancelled_by), on the approved notice.
            notice.refresh_from_db()
            notice.status, notice.cancelled_at, notice.cancelled_by = (
                SuspensionStatus.CANCELLED, cancelled_at or approved_at, approved_by)
            notice.updated_by = approved_by
            notice.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_by", "updated_at"])
        notice.refresh_from_db()
        assert notice.status == status, f"the services left the notice {notice.status}, not {status}"
        return notice


# The statuses of a case in the order the procedure reaches them (dropped branches off the lead; withdrawn and
# referred off the investigated case; enforcement off the served one).
CASE_PATH = [
    CaseStatus.LEAD,
    CaseStatus.PRELIMINARY_REVIEW,
    CaseStatus.FILED,
    CaseStatus.INVESTIGATION,
    CaseStatus.INVESTIGATED,
    CaseStatus.PROPOSED,
    CaseStatus.NOTICE_OF_RIGHTS,
    CaseStatus.DECIDED,
    CaseStatus.SERVED,
    CaseStatus.EXECUTED,
    CaseStatus.CLOSED,
]
BRANCHES = {
    CaseStatus.DROPPED: CaseStatus.LEAD,
    CaseStatus.WITHDRAWN: CaseStatus.INVESTIGATED,
    CaseStatus.REFERRED: CaseStatus.INVESTIGATED,
    CaseStatus.ENFORCEMENT: CaseStatus.SERVED,
}

# The penalty article a factory penalty cites when the test names none (laws as seeded by penalties 0005).
DEFAULT_PROVISIONS = {
    PenaltyKind.WARNING: ("民办教育促进法", "第六十二条"),
    PenaltyKind.CONFISCATION: ("民办教育促进法", "第六十二条"),
    PenaltyKind.STOP_ENROLMENT: ("民办教育促进法", "第六十二条"),
    PenaltyKind.LICENCE_REVOCATION: ("民办教育促进法", "第六十二条"),
    PenaltyKind.FINE: ("校外培训行政处罚暂行办法", "第十八条"),
    PenaltyKind.STOP_RUNNING: ("校外培训行政处罚暂行办法", "第十七条"),
    PenaltyKind.TRADE_RESTRICTION: ("校外培训行政处罚暂行办法", "第二十条"),
}


def ensure_provisions() -> None:
    """The data migration's library of provisions; transactional tests flush it, so load it again when missing
    (loading is idempotent)."""
    if not Provision.objects.exists():
        migration = importlib.import_module("penalties.migrations.0005_seed_provisions")
        migration.load(apps, None)


def provision(law: str, article: str) -> Provision:
    ensure_provisions()
    return Provision.objects.get(law=law, article=article, paragraph="")


RESTRICTED_PERSON_ID = "11010519491231002X"  # GB 11643's own example


def penalty_rows(penalties) -> list[dict]:
    """Factory penalties ({"kind", "amount"[, "provision": (law, article) or Provision], …}) as the services take
    them: each cites a penalty article (the kind's default when none is named) and no free-text supplement."""
    rows = []
    for raw in penalties:
        row = {k: v for k, v in raw.items() if k != "legal_basis"}
        cited = row.pop("provision", None) or DEFAULT_PROVISIONS[row["kind"]]
        row["provision_id"] = (cited if isinstance(cited, Provision) else provision(*cited)).pk
        if row["kind"] == PenaltyKind.TRADE_RESTRICTION:
            row.setdefault("period_months", 12)
            row.setdefault("person_name", "孟某")
            row.setdefault("person_id_number", RESTRICTED_PERSON_ID)
        rows.append(row)
    return rows


class PenaltyCaseFactory(factory.django.DjangoModelFactory):
    """A case opened by an inspector and walked to `status`; its head files, adjudicates, decides and closes.

    On the way: the violation ended 30 days before `now`; one 询问笔录; the investigation report (with the
    illegal income when `income_taken` is given); the head proposes `penalties` (rows of penalty_rows); the
    事先告知书 is served at `now`. A case left in notice_of_rights is still in its statement period unless
    `statement_recorded=True` (the party states and waives the rest). `penalties` are the decision's too.
    ENFORCEMENT is reached with a fine: served 200 days before `now`, reminded 170 days before, applied at `now`."""

    class Meta:
        model = PenaltyCase

    class Params:
        preliminary_review = factory.Trait(status=CaseStatus.PRELIMINARY_REVIEW)
        filed = factory.Trait(status=CaseStatus.FILED)
        investigation = factory.Trait(status=CaseStatus.INVESTIGATION)
        investigated = factory.Trait(status=CaseStatus.INVESTIGATED)
        proposed = factory.Trait(status=CaseStatus.PROPOSED)
        notice_of_rights = factory.Trait(status=CaseStatus.NOTICE_OF_RIGHTS)
        decided = factory.Trait(status=CaseStatus.DECIDED)
        served = factory.Trait(status=CaseStatus.SERVED)
        enforcement = factory.Trait(status=CaseStatus.ENFORCEMENT)
        executed = factory.Trait(status=CaseStatus.EXECUTED)
        closed = factory.Trait(status=CaseStatus.CLOSED)
        dropped = factory.Trait(status=CaseStatus.DROPPED)
        withdrawn = factory.Trait(status=CaseStatus.WITHDRAWN)
        referred = factory.Trait(status=CaseStatus.REFERRED)

    institution = factory.SubFactory(InstitutionFactory)
    department = factory.LazyAttribute(lambda o: department_for(o.institution.region_id))
    opened_by = factory.LazyAttribute(lambda o: staff(o.department, Role.INSPECTOR))
    head = factory.LazyAttribute(lambda o: staff(o.department, Role.HEAD))
    status = CaseStatus.LEAD
    source = CaseSource.INSPECTION
    summary = "检查发现违规收费"
    source_visit = None
    source_reference = ""
    statement = "对调查事实无异议"
    statement_recorded = False
    income_taken = None
    refunds_made = None
    penalties = ({"kind": PenaltyKind.WARNING},)
    social_impact = False  # the decision is published (行政处罚法 Art 48): publicity.publications
    now = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *, institution, department, opened_by, head, status, statement,
                statement_recorded, income_taken, refunds_made, penalties, social_impact, now, **kwargs):
        assert opened_by.department_id == department.pk, "cases are opened by their department's staff"
        enforcement = status == CaseStatus.ENFORCEMENT
        if enforcement and not any(r["kind"] == PenaltyKind.FINE for r in penalties):
            penalties = [*penalties, {"kind": PenaltyKind.FINE, "amount": Decimal("10000")}]
        rows = penalty_rows(penalties)
        start = now - datetime.timedelta(days=200) if enforcement else now
        case = services.case_open(actor=opened_by, institution_id=institution.pk, now=start, **kwargs)
        reached = BRANCHES.get(status, status)
        record = lambda: services.case_record_add(  # noqa: E731
            actor=opened_by, case_id=case.pk, kind="inquiry", started_at=start - datetime.timedelta(hours=2),
            ended_at=start - datetime.timedelta(hours=1), place="机构办公室", officers="张三（执法证号37010001）",
            subject_name="王某", subject_role="法定代表人", content="问：……答：……", now=start)
        steps = {
            CaseStatus.PRELIMINARY_REVIEW: lambda: services.case_review(actor=opened_by, case_id=case.pk, now=start),
            CaseStatus.FILED: lambda: services.case_file(
                actor=head, case_id=case.pk, violation_ended_on=timezone.localdate(start) - datetime.timedelta(days=30),
                now=start),
            CaseStatus.INVESTIGATION: lambda: services.case_investigate(actor=opened_by, case_id=case.pk, now=start),
            CaseStatus.INVESTIGATED: lambda: (record(), services.case_conclude_investigation(
                actor=opened_by, case_id=case.pk, report="经查，该机构超标准收费", income_taken=income_taken,
                refunds_made=refunds_made, now=start)),
            CaseStatus.PROPOSED: lambda: services.case_adjudicate(
                actor=head, case_id=case.pk, outcome="penalty", reason="事实清楚，证据确凿", penalties=rows, now=start),
            CaseStatus.NOTICE_OF_RIGHTS: lambda: (
                services.case_notify_rights(actor=opened_by, case_id=case.pk, now=start),
                services.case_serve_rights_notice(actor=opened_by, case_id=case.pk, data=serve_data(start), now=start),
            ),
            CaseStatus.DECIDED: lambda: services.case_decide(
                actor=head, case_id=case.pk, facts="经查，该机构超标准收费", penalties=rows,
                statement_adopted=True if statement else None, social_impact=social_impact, now=start),
            CaseStatus.SERVED: lambda: services.case_serve(
                actor=opened_by, case_id=case.pk, data=serve_data(start), now=start),
            CaseStatus.EXECUTED: lambda: services.case_execute(
                actor=opened_by, case_id=case.pk, note="已执行完毕", now=start),
            CaseStatus.CLOSED: lambda: services.case_close(
                actor=head, case_id=case.pk, report="处罚决定已执行完毕，予以结案", now=start),
        }
        record_statement = lambda: services.case_record_statement(  # noqa: E731
            actor=opened_by, case_id=case.pk, statement=statement, waived=True, now=start)
        for step in CASE_PATH[1 : CASE_PATH.index(reached) + 1]:
            if step == CaseStatus.DECIDED:
                record_statement()
            if step == CaseStatus.EXECUTED:
                _pay_in_full(case, opened_by, start)
            steps[step]()
        if status == CaseStatus.NOTICE_OF_RIGHTS and statement_recorded:
            record_statement()
        if status == CaseStatus.DROPPED:
            services.case_drop(actor=head, case_id=case.pk, reason="证据不足，不予立案", now=now)
        if status == CaseStatus.WITHDRAWN:
            services.case_adjudicate(actor=head, case_id=case.pk, outcome="withdraw", reason="违法事实不能成立",
                                     now=now)
        if status == CaseStatus.REFERRED:
            services.case_adjudicate(actor=head, case_id=case.pk, outcome="refer", reason="涉嫌非法吸收公众存款",
                                     referred_to="历下区公安分局", now=now)
        if enforcement:
            reminded = now - datetime.timedelta(days=170)
            services.case_remind(actor=opened_by, case_id=case.pk, served_on=timezone.localdate(reminded), now=reminded)
            services.case_apply_enforcement(actor=opened_by, case_id=case.pk, court="历下区人民法院", now=now)
        case.refresh_from_db()
        assert case.status == status, f"the services left the case {case.status}, not {status}"
        return case


def _pay_in_full(case, actor, now):
    from penalties.services.execution import outstanding

    case = PenaltyCase.objects.get(pk=case.pk)
    due = outstanding(case, on=timezone.localdate(now))
    if due:
        services.payment_record(actor=actor, case_id=case.pk, amount=due, paid_on=timezone.localdate(now),
                                receipt="NO.0001", now=now)
