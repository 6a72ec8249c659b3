"""What filings, fund supervision and risk classification contribute to the oversight floor
(regulator/registry.py): fund alerts awaiting their department in the heads' queue; the ledgers of class filings,
fund alerts and supervised accounts with their measures (filings received and decided, accounts under supervision,
alerts raised, closed and closed on time), and of the institutions' current risk levels; the dashboard's (and the
weekly report's) section of filings and funds and its section of institutions by risk level (低/中/高/重点); and
their trends month by month.

Registered by FundsConfig.ready().
"""

import datetime

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from regulator.registry import (
    ChoiceFilter,
    Column,
    CountSection,
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
    AlertKind,
    AlertStatus,
    Course,
    CourseStatus,
    FundAccount,
    FundAlert,
    RiskAssessment,
    RiskLevel,
    SupervisionMode,
)
from .permissions import visible_accounts, visible_alerts, visible_assessments, visible_courses
from .risk import NOT_ASSESSED, level_counts_by_area

# An alert is closed on time within this many days of being raised (a setting of the handling rules; verify).
ALERT_HANDLING_DAYS = 10


def _alert_rows(user, today):
    return FundAlert.objects.filter(department_id=user.department_id,
                                    status__in=(AlertStatus.OPEN, AlertStatus.ASSIGNED))


def _course_rows(user, today):
    return Course.objects.filter(department_id=user.department_id, status=CourseStatus.SUBMITTED)


def _on_assign(actor, object_id, assignee):
    from .services.alerts import queue_assign

    queue_assign(actor, object_id, assignee)


QUEUE_KINDS = [
    QueueKind("fund_alert", _("资金风险预警待处置"), "fund_alert", QueueKind.DEPARTMENT, _alert_rows,
              since=F("raised_at"), detail_url="funds:alert_detail",
              awaited={AlertStatus.OPEN: _("待分派处置"), AlertStatus.ASSIGNED: _("处置中，待办结")},
              on_assign=_on_assign),
    QueueKind("course_review", _("班次备案待审核"), "course", QueueKind.DEPARTMENT, _course_rows,
              since=F("submitted_at"), detail_url="funds:course_detail",
              awaited={CourseStatus.SUBMITTED: _("待审核备案")}),
]


def _courses(user):
    return Course.objects.all() if user is None else visible_courses(user)


def _alerts(user):
    return FundAlert.objects.all() if user is None else visible_alerts(user)


def _accounts(user):
    return FundAccount.objects.all() if user is None else visible_accounts(user)


def _bound_by(low, high) -> Q:
    """Accounts under supervision at the end of the period: bound before it ends (an account is never unbound)."""
    return Q(created_at__lt=high) if high is not None else Q()


LEDGERS = [
    Ledger(
        kind="course_filings", title=_("班次备案台账"), scoped=_courses,
        region_field="institution__region__code", department_field="department_id",
        measures={
            "received": Measure(_("收到备案"), lambda lo, hi: within("created_at", lo, hi), day_field="created_at"),
            "decided": Measure(_("审核办结"), lambda lo, hi: within("reviewed_at", lo, hi)),
        },
        filters={"status": ChoiceFilter("status", _("状态"), lambda: CourseStatus.choices)},
        columns=[(_("班次名称"), "name"), (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                 (_("科目"), "subject"), (_("状态"), "status"), (_("报送时间"), "submitted_at"),
                 (_("审核时间"), "reviewed_at")],
        choice_labels={"status": choice_labels(CourseStatus)},
    ),
    Ledger(
        kind="fund_alerts", title=_("资金风险预警台账"), scoped=_alerts,
        region_field="institution__region__code", department_field="department_id",
        measures={
            "raised": Measure(_("产生预警"), lambda lo, hi: within("raised_at", lo, hi), day_field="raised_at"),
            "closed": Measure(_("办结预警"), lambda lo, hi: within("closed_at", lo, hi), day_field="closed_at"),
            "closed_on_time": Measure(
                _("按期办结"), lambda lo, hi: within("closed_at", lo, hi)
                & Q(closed_at__lte=F("raised_at") + datetime.timedelta(days=ALERT_HANDLING_DAYS)),
                day_field="closed_at"),
        },
        filters={"status": ChoiceFilter("status", _("状态"), lambda: AlertStatus.choices),
                 "alert_kind": ChoiceFilter("kind", _("预警类型"), lambda: AlertKind.choices)},
        columns=[(_("编号"), "id"), (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                 (_("处置部门"), "department__name"), (_("预警类型"), "kind"), (_("状态"), "status"),
                 (_("预警时间"), "raised_at"), (_("办结时间"), "closed_at")],
        choice_labels={"status": choice_labels(AlertStatus), "kind": choice_labels(AlertKind)},
    ),
]

LEDGERS.append(Ledger(
    kind="fund_accounts", title=_("资金监管账户台账"), scoped=_accounts,
    region_field="institution__region__code", department_field="department_id",
    measures={"supervised": Measure(_("监管账户"), _bound_by)},
    filters={"mode": ChoiceFilter("mode", _("监管方式"), lambda: SupervisionMode.choices)},
    columns=[(_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
             (_("监管银行"), "bank_format__bank"), (_("监管方式"), "mode"), (_("最低余额（元）"), "minimum_balance"),
             (_("当前余额（元）"), "balance"), (_("余额日期"), "balance_on")],
    choice_labels={"mode": choice_labels(SupervisionMode)},
))


def _assessments(user):
    return RiskAssessment.objects.all() if user is None else visible_assessments(user)


def _assessed(low, high) -> Q:
    """The current level of the institutions still assessed, whatever the period (a state, not an event)."""
    return Q(is_current=True) & ~Q(institution__operating_state__in=NOT_ASSESSED)


HIGH_LEVELS = (RiskLevel.HIGH, RiskLevel.KEY)

LEDGERS.append(Ledger(
    kind="risk_levels", title=_("机构风险等级台账"), scoped=_assessments,
    region_field="institution__region__code", department_field="",  # the register is every department's
    measures={
        "current": Measure(_("当前风险等级"), _assessed),
        "high": Measure(_("高风险及重点机构"), lambda lo, hi: _assessed(lo, hi) & Q(level__in=HIGH_LEVELS)),
    },
    filters={"risk_level": ChoiceFilter("level", _("风险等级"), lambda: RiskLevel.choices)},
    columns=[(_("机构"), "institution__name"), (_("区划"), "institution__region__name"), (_("风险等级"), "level"),
             (_("得分"), "score"), (_("评估时间"), "assessed_at")],
    choice_labels={"level": choice_labels(RiskLevel)},
))

FIGURES = [
    Figure("course_filings", "received"),
    Figure("fund_alerts", "raised"),
    Figure("fund_alerts", "closed"),
    Figure("fund_alerts", "closed_on_time"),
]

SECTIONS = [
    MeasureSection(
        code="funds", title=_("备案与资金监管"), order=70,
        columns=[
            Column("filings_received", _("收到班次备案"), "course_filings", "received"),
            Column("filings_decided", _("审核办结"), "course_filings", "decided"),
            Column("accounts", _("资金监管账户"), "fund_accounts", "supervised"),
            Column("alerts_raised", _("资金风险预警"), "fund_alerts", "raised"),
            Column("alerts_closed_on_time", _("预警按期办结"), "fund_alerts", "closed_on_time"),
        ],
        chart_title=_("备案与资金预警"),
        chart_columns=("filings_received", "filings_decided", "alerts_raised", "alerts_closed_on_time"),
        headline=(Headline("funds-alerts", column="alerts_raised"),),
    ),
    CountSection(
        code="risk_levels", title=_("机构风险分级（当前）"), order=12,
        ledger="risk_levels", measure="current", link_filter="risk_level", choices=RiskLevel.choices,
        counts=level_counts_by_area, caption=_("各地机构风险等级"), chart_title=_("各地机构风险等级"),
        headline=Headline("risk-high", _("高风险及重点机构")), headline_values=HIGH_LEVELS, headline_measure="high",
        # the colours of the levels' badges: low green, medium amber, high red, key (重点) dark red
        chart_tones={RiskLevel.LOW: "ok", RiskLevel.MEDIUM: "warn", RiskLevel.HIGH: "danger", RiskLevel.KEY: "severe"},
    ),
]

TRENDS = [
    Trend("filings-received", _("收到班次备案"), "course_filings", "received", order=70),
    Trend("alerts-raised", _("资金风险预警"), "fund_alerts", "raised", order=71, headline="funds-alerts"),
    Trend("alerts-closed_on_time", _("预警按期办结"), "fund_alerts", "closed_on_time", order=72, tone="ok"),
]


def register_all() -> None:
    register(*QUEUE_KINDS, *LEDGERS, *FIGURES, *SECTIONS, *TRENDS)
