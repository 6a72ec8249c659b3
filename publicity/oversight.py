"""What the publicity app contributes to the oversight floor (regulator/registry.py): reports to assign
and to answer and list entries to review and approve in the heads' queue, the ledgers of reports and list
entries, the summarised publication of entries, and the dashboard's sections on reports and on the lists.

Registered by PublicityConfig.ready().
"""

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from regulator.models import Role
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

from .models import DecisionPublication, EntryStatus, ListEntry, ListKind, PublicationStatus, Report, ReportStatus
from .permissions import is_joint_office_user, visible_entries, visible_reports

# ---- the heads' queue ------------------------------------------------------------------------------------


def _joint_office_head(user) -> bool:
    """The joint office's kinds are for the heads who act as the joint office of their region."""
    return user.role in (Role.HEAD, Role.JOINT_OFFICE) and is_joint_office_user(user)


def _reports_to_assign(user, today):
    return Report.objects.filter(status=ReportStatus.REGISTERED, region__code__startswith=user.region_code)


def _reports_to_answer(user, today):
    return Report.objects.filter(
        department_id=user.department_id,
        status__in=(ReportStatus.ASSIGNED, ReportStatus.VERIFYING, ReportStatus.HANDLING),
    )


def _entries_to_review(user, today):
    return ListEntry.objects.filter(proposing_department_id=user.department_id, status=EntryStatus.PROPOSED)


def _entries_to_approve(user, today):
    # As permissions.can_approve_entry: the office approves for the departments of its region.
    return ListEntry.objects.filter(
        status=EntryStatus.REVIEWED,
        institution__region__code__startswith=user.region_code,
        proposing_department__region__code__startswith=user.region_code,
    )


def _publications_due(user, today):
    """Decisions to publish (7 working days) or to take down (3 working days) for the deciding department."""
    return DecisionPublication.objects.filter(
        department_id=user.department_id,
        status__in=(PublicationStatus.PENDING, PublicationStatus.WITHDRAWAL_DUE),
    )


_REPORT_NAME = Coalesce(F("institution__name"), F("subject_name"))

QUEUE_KINDS = [
    QueueKind("report_assignment", _("举报待分办"), "report", QueueKind.JOINT_OFFICE, _reports_to_assign,
              since=F("received_at"), due=F("deadline"), name=_REPORT_NAME, region_path="region",
              detail_url="publicity:report_detail", admits=_joint_office_head,
              awaited={ReportStatus.REGISTERED: _("待分办")}),
    QueueKind("report_reply", _("举报待答复"), "report", QueueKind.DEPARTMENT, _reports_to_answer,
              since=Coalesce(F("assigned_at"), F("received_at")), due=F("deadline"), name=_REPORT_NAME,
              region_path="region", detail_url="publicity:report_detail",
              awaited={
                  ReportStatus.ASSIGNED: _("已分办，待核查"),
                  ReportStatus.VERIFYING: _("核查中，待答复"),
                  ReportStatus.HANDLING: _("处理中，待答复"),
              }),
    QueueKind("entry_review", _("名单条目待审核"), "entry", QueueKind.DEPARTMENT, _entries_to_review,
              since=F("proposed_at"), detail_url="publicity:entry_detail",
              awaited={EntryStatus.PROPOSED: _("待提出部门负责人审核")}),
    QueueKind("publication_due", _("决定待公开或撤回"), "publication", QueueKind.DEPARTMENT, _publications_due,
              since=F("created_at"), due=Coalesce(F("withdraw_due"), F("publish_due")),
              detail_url="publicity:publication_detail",
              awaited={PublicationStatus.PENDING: _("待公开（决定之日起7个工作日内）"),
                       PublicationStatus.WITHDRAWAL_DUE: _("决定已变更或撤销，待撤回（3个工作日内）")}),
    QueueKind("entry_approval", _("名单条目待批准"), "entry", QueueKind.JOINT_OFFICE, _entries_to_approve,
              since=Coalesce(F("reviewed_at"), F("proposed_at")), detail_url="publicity:entry_detail",
              admits=_joint_office_head, awaited={EntryStatus.REVIEWED: _("待专项治理办公室批准")}),
]


# ---- ledgers -----------------------------------------------------------------------------------------------


def _reports(user):
    return Report.objects.all() if user is None else visible_reports(user)


def _entries(user):
    return ListEntry.objects.all() if user is None else visible_entries(user)


def _handled(low, high):
    return within("received_at", low, high) & (Q(replied_at__isnull=False) | Q(closed_at__isnull=False))


def _handled_in_time(low, high):
    return within("received_at", low, high) & (
        Q(replied_at__date__lte=F("deadline")) | Q(replied_at__isnull=True, closed_at__date__lte=F("deadline"))
    )


LEDGERS = [
    Ledger(
        kind="reports", title=_("举报台账"), scoped=_reports,
        region_field="region__code", department_field="department_id",
        measures={
            "received": Measure(_("收到举报"), lambda lo, hi: within("received_at", lo, hi)),
            "handled": Measure(_("已办理"), _handled),
            "handled_in_time": Measure(_("按期办理"), _handled_in_time),
        },
        filters={"status": ChoiceFilter("status", _("状态"), lambda: ReportStatus.choices)},
        # No reporter identity here: the ledger is seen by departments other than the handling one.
        columns=[(_("查询码"), "tracking_number"), (_("被举报对象"), "subject_name"),
                 (_("被举报机构"), "institution__name"), (_("区划"), "region__name"),
                 (_("承办部门"), "department__name"), (_("状态"), "status"), (_("登记时间"), "received_at"),
                 (_("办理期限"), "deadline"), (_("答复时间"), "replied_at"), (_("办结时间"), "closed_at")],
        choice_labels={"status": choice_labels(ReportStatus)},
    ),
    Ledger(
        kind="entries", title=_("黑白名单台账"), scoped=_entries,
        region_field="institution__region__code", department_field="proposing_department_id",
        measures={"published": Measure(_("公示"), lambda lo, hi: within("published_at", lo, hi),
                                       day_field="published_at")},
        filters={
            "list_kind": ChoiceFilter("list_kind", _("名单"), lambda: ListKind.choices),
            "status": ChoiceFilter("status", _("状态"), lambda: EntryStatus.choices),
        },
        columns=[(_("编号"), "id"), (_("名单"), "list_kind"), (_("机构"), "institution__name"),
                 (_("区划"), "institution__region__name"), (_("提出部门"), "proposing_department__name"),
                 (_("列入原因"), "reason"), (_("状态"), "status"), (_("版本"), "version"),
                 (_("公示时间"), "published_at")],
        choice_labels={"list_kind": choice_labels(ListKind), "status": choice_labels(EntryStatus)},
    ),
]

# Reports are not summarised: whether a report was handled in time changes after the day it was received.
FIGURES = [Figure("entries", "published", dimension="list_kind")]


# ---- dashboard ---------------------------------------------------------------------------------------------

SECTIONS = [
    MeasureSection(
        code="reports", title=_("举报"), order=60,
        columns=[
            Column("received", _("收到举报"), "reports", "received"),
            Column("handled", _("已办理"), "reports", "handled"),
            Column("handled_in_time", _("按期办理"), "reports", "handled_in_time"),
        ],
        chart_title=_("举报办理"),
        headline=(Headline("reports-received", column="received"),
                  Headline("reports-in-time", column="handled_in_time")),
    ),
    BreakdownSection(
        code="entries", title=_("公示名单"), order=70,
        ledger="entries", measure="published", dimension="list_kind", link_filter="list_kind",
        choices=ListKind.choices, chart=BreakdownSection.BY_AREA, chart_title=_("公示名单条目"),
        headline=Headline("entries", _("公示名单条目")),
    ),
]


# Month by month on the dashboard, and beside the previous period (reports are not summarised: no trend).
TRENDS = [Trend("entries", _("公示名单条目"), "entries", "published", order=75, headline="entries")]


def register_all() -> None:
    register(*QUEUE_KINDS, *LEDGERS, *FIGURES, *SECTIONS, *TRENDS)
