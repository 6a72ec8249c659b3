"""What the penalties app contributes to the oversight floor (regulator/registry.py): orders, suspension
notices and penalty cases awaiting their department in the heads' queue (with the step each status waits for and
the legal time limit that runs), the ledgers of orders, suspensions, cases and penalties, their summarised
measures, and the dashboard's sections on rectification and on penalties by kind.

Registered by PenaltiesConfig.ready().
"""

import datetime

from django.db.models import Case, DateField, DateTimeField, F, Q, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from regulator.registry import (
    BreakdownSection,
    ChoiceFilter,
    Column,
    Figure,
    Headline,
    Ledger,
    Measure,
    MeasureSection,
    QueueKind,
    Trend,
    choice_labels,
    register,
    within,
)

from .models import (
    ORDER_RUNNING,
    CaseStatus,
    OrderStatus,
    Penalty,
    PenaltyCase,
    PenaltyKind,
    RectificationOrder,
    SuspensionNotice,
    SuspensionStatus,
)
from .permissions import visible_cases, visible_orders, visible_suspensions

DUE_SOON_DAYS = 7  # "orders due within 7 days"

# ---- the heads' queue ------------------------------------------------------------------------------------


def _department_rows(model, **filters):
    def rows(user, today):
        return model.objects.filter(department_id=user.department_id, **filters)

    return rows


def _orders_due_soon(user, today):
    return RectificationOrder.objects.filter(
        department_id=user.department_id,
        status__in=ORDER_RUNNING,
        deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
    )


# Penalty cases: which step each status waits for, when it began and which legal time limit runs.
CASE_STEP_STATUSES = (CaseStatus.LEAD, CaseStatus.FILED, CaseStatus.INVESTIGATION, CaseStatus.PROPOSED,
                      CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.ENFORCEMENT)
CASE_DECISION_STATUSES = (CaseStatus.PRELIMINARY_REVIEW, CaseStatus.INVESTIGATED, CaseStatus.NOTICE_OF_RIGHTS,
                          CaseStatus.EXECUTED)
_CASE_SINCE = Coalesce(
    Case(
        When(status=CaseStatus.LEAD, then=F("opened_at")),
        When(status=CaseStatus.PRELIMINARY_REVIEW, then=F("reviewed_at")),
        When(status=CaseStatus.FILED, then=F("filed_at")),
        When(status=CaseStatus.INVESTIGATION, then=F("investigation_at")),
        When(status=CaseStatus.INVESTIGATED, then=F("investigation_closed_at")),
        When(status=CaseStatus.PROPOSED, then=F("adjudicated_at")),
        When(status=CaseStatus.NOTICE_OF_RIGHTS,
             then=Coalesce(F("statement_recorded_at"), F("rights_notified_at"))),
        When(status=CaseStatus.DECIDED, then=F("decided_at")),
        When(status=CaseStatus.SERVED, then=F("served_at")),
        When(status=CaseStatus.EXECUTED, then=F("executed_at")),
        When(status=CaseStatus.ENFORCEMENT, then=F("updated_at")),
        output_field=DateTimeField(),
    ),
    F("created_at"),
)
_CASE_DUE = Case(
    When(status__in=(CaseStatus.FILED, CaseStatus.INVESTIGATION, CaseStatus.INVESTIGATED, CaseStatus.PROPOSED,
                     CaseStatus.NOTICE_OF_RIGHTS),
         then=F("decision_due")),  # 行政处罚法 Art 60
    When(status=CaseStatus.DECIDED, then=F("service_due")),  # Art 61
    When(status=CaseStatus.SERVED, then=F("payment_due")),  # Art 67
    default=None,
    output_field=DateField(),
)

QUEUE_KINDS = [
    QueueKind("order_approval", _("整改通知书待批准"), "order", QueueKind.DEPARTMENT,
              _department_rows(RectificationOrder, status=OrderStatus.DRAFT), since=F("created_at"),
              detail_url="penalties:order_detail", awaited={OrderStatus.DRAFT: _("待负责人批准")}),
    QueueKind("order_due_soon", _("整改 7 日内到期"), "order", QueueKind.DEPARTMENT, _orders_due_soon,
              since=Coalesce(F("served_at"), F("approved_at"), F("created_at")), due=F("deadline"),
              detail_url="penalties:order_detail",
              awaited={OrderStatus.APPROVED: _("已批准，待送达，期限将至"),
                       OrderStatus.SERVED: _("待整改销号，期限将至")}),
    QueueKind("order_overdue", _("整改逾期"), "order", QueueKind.DEPARTMENT,
              _department_rows(RectificationOrder, status=OrderStatus.OVERDUE),
              since=Coalesce(F("overdue_at"), F("created_at")), due=F("deadline"),
              detail_url="penalties:order_detail", awaited={OrderStatus.OVERDUE: _("逾期未整改，待复查或升级")}),
    QueueKind("order_escalated", _("整改已升级"), "order", QueueKind.DEPARTMENT,
              _department_rows(RectificationOrder, status=OrderStatus.ESCALATED),
              since=Coalesce(F("escalated_at"), F("created_at")), due=F("deadline"),
              detail_url="penalties:order_detail", awaited={OrderStatus.ESCALATED: _("已升级处理，待销号或处罚")}),
    QueueKind("refund_outstanding", _("停办退费未完成"), "suspension", QueueKind.DEPARTMENT,
              _department_rows(SuspensionNotice, status__in=(SuspensionStatus.APPROVED, SuspensionStatus.SERVED)),
              since=Coalesce(F("served_at"), F("approved_at"), F("created_at")), due=F("refund_deadline"),
              detail_url="penalties:suspension_detail",
              awaited={SuspensionStatus.APPROVED: _("已批准，待送达"), SuspensionStatus.SERVED: _("待退费完成")}),
    QueueKind("case_step", _("处罚案件待办理"), "case", QueueKind.DEPARTMENT,
              _department_rows(PenaltyCase, status__in=CASE_STEP_STATUSES), since=_CASE_SINCE, due=_CASE_DUE,
              detail_url="penalties:case_detail",
              awaited={
                  CaseStatus.LEAD: _("待初核"),
                  CaseStatus.FILED: _("已立案，待调查取证"),
                  CaseStatus.INVESTIGATION: _("调查中，待提交调查终结报告"),
                  CaseStatus.PROPOSED: _("已审理，待制作并送达事先告知书"),
                  CaseStatus.ENFORCEMENT: _("已申请法院强制执行，待执行结果"),
                  CaseStatus.DECIDED: _("已决定，待送达决定书"),
                  CaseStatus.SERVED: _("已送达，待执行"),
              }),
    QueueKind("case_decision", _("处罚案件待决定"), "case", QueueKind.DEPARTMENT,
              _department_rows(PenaltyCase, status__in=CASE_DECISION_STATUSES), since=_CASE_SINCE, due=_CASE_DUE,
              detail_url="penalties:case_detail",
              awaited={
                  CaseStatus.PRELIMINARY_REVIEW: _("初核完毕，待决定是否立案"),
                  CaseStatus.INVESTIGATED: _("调查终结，待负责人审理"),
                  CaseStatus.NOTICE_OF_RIGHTS: _("已告知，待作出处罚决定"),
                  CaseStatus.EXECUTED: _("已执行，待结案"),
              }),
]


# ---- ledgers -----------------------------------------------------------------------------------------------


def _orders(user):
    return RectificationOrder.objects.all() if user is None else visible_orders(user)


def _suspensions(user):
    return SuspensionNotice.objects.all() if user is None else visible_suspensions(user)


def _cases(user):
    return PenaltyCase.objects.all() if user is None else visible_cases(user)


def _penalties(user):
    if user is None:
        return Penalty.objects.all()
    return Penalty.objects.filter(decision__case_id__in=_cases(user).values("pk"))


LEDGERS = [
    Ledger(
        kind="orders", title=_("整改通知书台账"), scoped=_orders,
        region_field="institution__region__code", department_field="department_id",
        measures={
            "issued": Measure(_("下达"), lambda lo, hi: within("approved_at", lo, hi), day_field="approved_at"),
            "closed": Measure(_("销号"), lambda lo, hi: within("closed_at", lo, hi), day_field="closed_at"),
            "closed_on_time": Measure(_("按期销号"), lambda lo, hi: within("closed_at", lo, hi)
                                      & Q(closed_at__date__lte=F("deadline")), day_field="closed_at"),
            "overdue": Measure(_("逾期"), lambda lo, hi: within("overdue_at", lo, hi), day_field="overdue_at"),
        },
        filters={"status": ChoiceFilter("status", _("状态"), lambda: OrderStatus.choices)},
        columns=[(_("文号"), "number"), (_("机构"), "institution__name"),
                 (_("区划"), "institution__region__name"), (_("下达部门"), "department__name"),
                 (_("状态"), "status"), (_("整改期限"), "deadline"), (_("批准时间"), "approved_at"),
                 (_("销号时间"), "closed_at"), (_("逾期时间"), "overdue_at")],
        choice_labels={"status": choice_labels(OrderStatus)},
    ),
    Ledger(
        kind="suspensions", title=_("停办通知书台账"), scoped=_suspensions,
        region_field="institution__region__code", department_field="department_id",
        measures={"issued": Measure(_("下达停办通知"), lambda lo, hi: within("approved_at", lo, hi),
                                    day_field="approved_at")},
        filters={"status": ChoiceFilter("status", _("状态"), lambda: SuspensionStatus.choices)},
        columns=[(_("文号"), "number"), (_("机构"), "institution__name"),
                 (_("区划"), "institution__region__name"), (_("下达部门"), "department__name"),
                 (_("状态"), "status"), (_("退费期限"), "refund_deadline"), (_("批准时间"), "approved_at")],
        choice_labels={"status": choice_labels(SuspensionStatus)},
    ),
    Ledger(
        kind="cases", title=_("行政处罚案件台账"), scoped=_cases,
        region_field="institution__region__code", department_field="department_id",
        measures={
            "opened": Measure(_("登记案件"), lambda lo, hi: within("opened_at", lo, hi)),
            "decided": Measure(_("作出决定"), lambda lo, hi: within("decided_at", lo, hi)),
            "closed": Measure(_("结案"), lambda lo, hi: within("closed_at", lo, hi)),
        },
        filters={"status": ChoiceFilter("status", _("状态"), lambda: CaseStatus.choices)},
        columns=[(_("编号"), "id"), (_("当事人"), "institution__name"),
                 (_("区划"), "institution__region__name"), (_("承办部门"), "department__name"),
                 (_("案件来源"), "source"), (_("状态"), "status"), (_("登记时间"), "opened_at"),
                 (_("决定时间"), "decided_at"), (_("结案时间"), "closed_at")],
        choice_labels={"status": choice_labels(CaseStatus)},
    ),
    Ledger(
        kind="penalties", title=_("处罚决定台账"), scoped=_penalties,
        region_field="decision__case__institution__region__code",
        department_field="decision__case__department_id",
        measures={"decided": Measure(_("处罚"), lambda lo, hi: within("decision__decided_at", lo, hi),
                                     day_field="decision__decided_at")},
        filters={"penalty_kind": ChoiceFilter("kind", _("处罚种类"), lambda: PenaltyKind.choices)},
        columns=[(_("决定书文号"), "decision__number"), (_("当事人"), "decision__case__institution__name"),
                 (_("区划"), "decision__case__institution__region__name"),
                 (_("承办部门"), "decision__case__department__name"), (_("处罚种类"), "kind"),
                 (_("金额（元）"), "amount"), (_("法律依据"), "legal_basis"),
                 (_("决定时间"), "decision__decided_at")],
        choice_labels={"kind": choice_labels(PenaltyKind)},
    ),
]

FIGURES = [
    Figure("orders", "issued"),
    Figure("orders", "closed"),
    Figure("orders", "closed_on_time"),
    Figure("orders", "overdue"),
    Figure("suspensions", "issued"),
    Figure("penalties", "decided", dimension="kind", amount="amount"),
]


# ---- dashboard ---------------------------------------------------------------------------------------------

SECTIONS = [
    MeasureSection(
        code="orders", title=_("整改与停办"), order=40,
        columns=[
            Column("issued", _("下达整改通知"), "orders", "issued"),
            Column("closed", _("销号"), "orders", "closed"),
            Column("closed_on_time", _("按期销号"), "orders", "closed_on_time"),
            Column("overdue", _("逾期"), "orders", "overdue"),
            Column("suspensions", _("下达停办通知"), "suspensions", "issued"),
        ],
        chart_title=_("整改通知书"), chart_columns=("issued", "closed", "closed_on_time", "overdue"),
        headline=(Headline("orders-issued", column="issued"),
                  Headline("orders-closed_on_time", column="closed_on_time"),
                  Headline("orders-overdue", column="overdue"),
                  Headline("orders-suspensions", column="suspensions")),
    ),
    BreakdownSection(
        code="penalties", title=_("行政处罚（按处罚种类）"), order=50,
        ledger="penalties", measure="decided", dimension="kind", link_filter="penalty_kind",
        choices=PenaltyKind.choices, only_seen=True,
        amount="amount", amount_label=_("金额（元）"),
        chart=BreakdownSection.BY_VALUE, chart_series=_("处罚数"), chart_title=_("各处罚种类数量"),
        headline=Headline("penalties", _("处罚")), amount_headline=Headline("penalty-amount", _("处罚金额（元）")),
    ),
]


# Month by month on the dashboard, and beside the previous period; overdue orders keep the colour of danger.
TRENDS = [
    Trend("orders-issued", _("下达整改通知"), "orders", "issued", order=40, headline="orders-issued", chart=True),
    Trend("orders-closed_on_time", _("整改按期销号"), "orders", "closed_on_time", order=41,
          headline="orders-closed_on_time", tone="ok"),
    Trend("orders-overdue", _("整改逾期"), "orders", "overdue", order=42, headline="orders-overdue", chart=True,
          tone="danger"),
    Trend("suspensions", _("下达停办通知"), "suspensions", "issued", order=43, headline="orders-suspensions"),
    Trend("penalties", _("处罚"), "penalties", "decided", order=50, headline="penalties"),
]


def register_all() -> None:
    register(*QUEUE_KINDS, *LEDGERS, *FIGURES, *SECTIONS, *TRENDS)
