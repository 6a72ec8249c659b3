"""What the inspections app contributes to the oversight floor (regulator/registry.py): the visits
waiting for inspectors or an outcome in the heads' queue, the ledgers of visits and problem items, their
summarised measures, and the dashboard's sections on visits and on problems by checklist item.

Registered by InspectionsConfig.ready().
"""

from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from regulator.registry import (
    ChoiceFilter,
    Column,
    Figure,
    Headline,
    ItemSection,
    Ledger,
    Measure,
    MeasureSection,
    QueueKind,
    Trend,
    choice_labels,
    register,
    within,
)

from . import services
from .models import (
    ChecklistItem,
    InspectionKind,
    ProblemItem,
    ProblemStatus,
    Visit,
    VisitInspector,
    VisitOutcome,
    VisitStatus,
)
from .permissions import visible_problem_items, visible_visits

# ---- the heads' queue ------------------------------------------------------------------------------------


def _unassigned_visits(user, today):
    return Visit.objects.filter(lead_department_id=user.department_id, status=VisitStatus.PLANNED).filter(
        ~Exists(VisitInspector.objects.filter(visit_id=OuterRef("pk")))
    )


def _visits_without_outcome(user, today):
    return Visit.objects.filter(lead_department_id=user.department_id, status=VisitStatus.SUBMITTED,
                                outcome=VisitOutcome.NONE)


def _assign_inspector(actor, object_id: int, assignee) -> None:
    """A visit still without inspectors gets the queue's assignee as its inspector too (the visit's own
    assignment), so the inspector finds it among today's visits."""
    services.visit_assign_inspectors(actor=actor, visit_id=object_id, inspectors=[assignee])


QUEUE_KINDS = [
    QueueKind("visit_unassigned", _("检查待分派"), "visit", QueueKind.DEPARTMENT, _unassigned_visits,
              since=F("created_at"), due=F("planned_on"), detail_url="inspections:visit_detail",
              awaited={VisitStatus.PLANNED: _("待分派检查人员")},
              on_assign=_assign_inspector),
    QueueKind("visit_outcome", _("检查待定处理结果"), "visit", QueueKind.DEPARTMENT, _visits_without_outcome,
              since=F("submitted_at"), detail_url="inspections:visit_detail",
              awaited={VisitStatus.SUBMITTED: _("已提交，待确定处理结果")}),
]


# ---- ledgers -----------------------------------------------------------------------------------------------


def _visits(user):
    return Visit.objects.all() if user is None else visible_visits(user)


def _problems(user):
    return ProblemItem.objects.all() if user is None else visible_problem_items(user)


def _checklist_codes():
    rows = ChecklistItem.objects.order_by("code", "-template_id").values_list("code", "text")
    seen = {}
    for code, text in rows:
        seen.setdefault(code, f"{code} {text[:20]}")
    return sorted(seen.items())


LEDGERS = [
    Ledger(
        kind="visits", title=_("检查台账"), scoped=_visits,
        region_field="institution__region__code", department_field="lead_department_id",
        department_kind_field="lead_department__kind",
        measures={
            "done": Measure(_("完成检查"), lambda lo, hi: Q(status=VisitStatus.SUBMITTED)
                            & within("submitted_at", lo, hi), day_field="submitted_at"),
            "planned": Measure(_("登记的检查"), lambda lo, hi: within("created_at", lo, hi)),
        },
        filters={
            "status": ChoiceFilter("status", _("状态"), lambda: VisitStatus.choices),
            "visit_kind": ChoiceFilter("kind", _("检查类型"), lambda: InspectionKind.choices),
        },
        columns=[(_("编号"), "id"), (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                 (_("牵头部门"), "lead_department__name"), (_("检查类型"), "kind"),
                 (_("计划日期"), "planned_on"), (_("状态"), "status"), (_("提交时间"), "submitted_at"),
                 (_("处理结果"), "outcome")],
        choice_labels={"kind": choice_labels(InspectionKind), "status": choice_labels(VisitStatus),
                       "outcome": choice_labels(VisitOutcome)},
    ),
    Ledger(
        kind="problems", title=_("问题项台账"), scoped=_problems,
        region_field="institution__region__code", department_field="department_id",
        department_kind_field="department__kind",
        measures={"found": Measure(_("发现问题"), lambda lo, hi: within("created_at", lo, hi),
                                   day_field="created_at")},
        filters={"item": ChoiceFilter("item_code", _("检查项"), _checklist_codes)},
        columns=[(_("编号"), "id"), (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                 (_("责任部门"), "department__name"), (_("检查项代码"), "item_code"),
                 (_("检查内容"), "item_text"), (_("发现问题"), "finding"), (_("发现时间"), "created_at"),
                 (_("状态"), "status")],
        choice_labels={"status": choice_labels(ProblemStatus)},
    ),
]

FIGURES = [Figure("visits", "done"), Figure("problems", "found", dimension="item_code")]


# ---- dashboard ---------------------------------------------------------------------------------------------


def _current_checklist_texts() -> dict[str, str]:
    return dict(ChecklistItem.objects.filter(template__is_current=True).values_list("code", "text"))


SECTIONS = [
    MeasureSection(
        code="visits", title=_("检查"), order=20,
        columns=[Column("done", _("完成检查"), "visits", "done")],
        chart_title=_("完成检查（次）"),
        headline=(Headline("visits-done", column="done"),),
    ),
    ItemSection(
        code="problems", title=_("发现问题（按检查项）"), order=30,
        ledger="problems", measure="found", dimension="item_code", link_filter="item",
        texts=_current_checklist_texts,
        caption=_("按检查项和%(level)s"), head=_("检查项"), count_label=_("问题数"),
        chart_title=_("各检查项发现问题数"),
        headline=Headline("problems", _("发现问题")),
    ),
]


# Month by month on the dashboard, and beside the previous period.
TRENDS = [
    Trend("visits-done", _("完成检查"), "visits", "done", order=20, headline="visits-done", chart=True),
    Trend("problems", _("发现问题"), "problems", "found", order=30, headline="problems"),
]


def register_all() -> None:
    register(*QUEUE_KINDS, *LEDGERS, *FIGURES, *SECTIONS, *TRENDS)
