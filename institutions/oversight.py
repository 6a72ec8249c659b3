"""What the register contributes to the oversight floor (regulator/registry.py): the dashboard's first
section, the institutions' current state (licence standing, category, operating state) per sub-region, each
figure linking to the register list filtered the same way; the ledgers of annual inspections (年检) and of the
campaigns over institutions (重新审核登记, 回头看) with their dashboard sections; and the annual inspections
awaiting a desk review or a result in the heads' queue.

Registered by InstitutionsConfig.ready().
"""

from urllib.parse import urlencode

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulator.registry import (
    BreakdownSection,
    ChoiceFilter,
    Column,
    Headline,
    Ledger,
    Measure,
    MeasureSection,
    QueueKind,
    StateSection,
    choice_labels,
    register,
    within,
)
from regulator.scope import is_staff_member

from .models import (
    AnnualInspection,
    AnnualInspectionStatus,
    AnnualResult,
    CampaignEnrolment,
    Category,
    Institution,
    LicenceStanding,
    OperatingState,
    RegisterCampaignKind,
    RegisterReview,
    RegisterReviewStatus,
    Teacher,
)


def register_link(user, region: str, filters: dict) -> str:
    """The register list's region filter takes prefectures and counties (townships only for county staff)."""
    if len(region) > 6 and len(user.region_code) < 6:
        region = region[:6]
    if len(region) < 4:
        region = ""
    params = {"region": region, **filters}
    return reverse("institutions:list") + "?" + urlencode({k: v for k, v in params.items() if v})


SECTIONS = [
    StateSection(
        code="institutions", title=_("机构（当前状态）"), order=10,
        rows=Institution.objects.all,  # the register is every department's: the region is the scope
        region_field="region__code",
        # The fields are the columns of regulator.models.InstitutionFigure, the snapshot of prefectures and larger.
        dimensions=[
            ("licence_standing", LicenceStanding.choices, _("证照情况")),
            ("category", Category.choices, _("类别")),
            ("operating_state", OperatingState.choices, _("经营状态")),
        ],
        chart_dimension="licence_standing", chart_title=_("各地机构证照情况"),
        chart_tones={LicenceStanding.BOTH: "ok", LicenceStanding.BUSINESS_ONLY: "warn",
                     LicenceStanding.SCHOOL_ONLY: "warn", LicenceStanding.NONE: "danger"},
        headline=Headline("institutions", _("机构总数")),
        link=register_link,
    ),
]


# ---- annual inspection and campaigns ---------------------------------------------------------------------

def _scoped(model):
    def scoped(user):
        if user is None or (user.is_admin_role and user.department_id is None):
            return model.objects.all()
        if not is_staff_member(user):
            return model.objects.none()
        return model.objects.filter(institution__region__code__startswith=user.region_code)

    return scoped


def _decided_within(low, high) -> Q:
    """Results by the local day they were reached (decided_on is a date)."""
    q = Q(decided_on__isnull=False, status__in=[AnnualInspectionStatus.DECIDED, AnnualInspectionStatus.REFUSED])
    if low is not None:
        q &= Q(decided_on__gte=timezone.localtime(low).date())
    if high is not None:
        q &= Q(decided_on__lt=timezone.localtime(high).date())
    return q


LEDGERS = [
    Ledger(
        kind="annual_inspections", title=_("年检台账"), scoped=_scoped(AnnualInspection),
        region_field="institution__region__code", department_field="plan__department_id",
        measures={
            "decided": Measure(_("作出年检结论"), _decided_within),
            "failed": Measure(_("年检不合格"), lambda lo, hi: _decided_within(lo, hi) & Q(result=AnnualResult.FAIL)),
        },
        filters={
            "result": ChoiceFilter("result", _("年检结论"), lambda: AnnualResult.choices),
            "annual_status": ChoiceFilter("status", _("状态"), lambda: AnnualInspectionStatus.choices),
        },
        columns=[(_("编号"), "id"), (_("年度"), "plan__year"), (_("机构"), "institution__name"),
                 (_("区划"), "institution__region__name"), (_("年检部门"), "plan__department__name"),
                 (_("状态"), "status"), (_("年检结论"), "result"), (_("理由"), "reasons"),
                 (_("结论日期"), "decided_on")],
        choice_labels={"status": choice_labels(AnnualInspectionStatus), "result": choice_labels(AnnualResult)},
    ),
    Ledger(
        kind="register_campaigns", title=_("专项工作台账（重新审核登记 / 回头看）"), scoped=_scoped(CampaignEnrolment),
        region_field="institution__region__code", department_field="campaign__department_id",
        measures={
            "enrolled": Measure(_("列入机构"), lambda lo, hi: within("created_at", lo, hi)),
            "completed": Measure(_("完成"), lambda lo, hi: within("completed_at", lo, hi)),
            "leads": Measure(_("逾期或复办转为线索"),
                             lambda lo, hi: Q(lead_case_id__isnull=False) & within("updated_at", lo, hi)),
            "pending": Measure(_("未完成（暂停招生及收费）"), lambda lo, hi: Q(
                completed_at__isnull=True, campaign__kind=RegisterCampaignKind.RE_REGISTRATION)
                & within("created_at", None, hi)),
        },
        filters={"campaign_kind": ChoiceFilter("campaign__kind", _("类型"), lambda: RegisterCampaignKind.choices)},
        columns=[(_("编号"), "id"), (_("专项工作"), "campaign__name"), (_("类型"), "campaign__kind"),
                 (_("机构"), "institution__name"), (_("区划"), "institution__region__name"),
                 (_("完成期限"), "campaign__deadline"), (_("完成时间"), "completed_at"),
                 (_("案件线索"), "lead_case_id")],
        choice_labels={"campaign__kind": choice_labels(RegisterCampaignKind)},
    ),
]


def _in_service_flagged(low, high) -> Q:
    """Current employment records flagged 在职教师违规兼职, by when the flag was set (live: a re-import clears)."""
    return Q(in_service_flagged_at__isnull=False, ended_on__isnull=True) & within("in_service_flagged_at", low, high)


# The people flagged by an in-service teacher roster: names and institutions only, never the roster or ID numbers.
LEDGERS.append(Ledger(
    kind="in_service_teachers", title=_("在职教师违规兼职台账"), scoped=_scoped(Teacher),
    region_field="institution__region__code", department_field="in_service_roster__department_id",
    measures={"flagged": Measure(_("在职教师违规兼职"), _in_service_flagged)},
    columns=[(_("编号"), "id"), (_("姓名"), "name"), (_("机构"), "institution__name"),
             (_("区划"), "institution__region__name"), (_("名单部门"), "in_service_roster__department__name"),
             (_("标记时间"), "in_service_flagged_at")],
))


def _annual_awaiting_review(user, today):
    return AnnualInspection.objects.filter(plan__department_id=user.department_id,
                                           status=AnnualInspectionStatus.PENDING, plan__deadline__lt=today)


def _annual_awaiting_result(user, today):
    return AnnualInspection.objects.filter(plan__department_id=user.department_id,
                                           status=AnnualInspectionStatus.REVIEWED)


def _register_review(user, today):
    """What the user's department put up for review in the register (the ledger import's 名称疑含地址)."""
    return RegisterReview.objects.filter(department_id=user.department_id, status=RegisterReviewStatus.PENDING)


QUEUE_KINDS = [
    QueueKind("annual_overdue", _("年检逾期未审查"), "annual_inspection", QueueKind.DEPARTMENT,
              _annual_awaiting_review, since=F("created_at"), due=F("plan__deadline"),
              detail_url="institutions:annual_inspection",
              awaited={AnnualInspectionStatus.PENDING: _("已过截止日期，材料未齐或未书面审查")}),
    QueueKind("annual_result", _("年检待作出结论"), "annual_inspection", QueueKind.DEPARTMENT,
              _annual_awaiting_result, since=F("reviewed_at"), detail_url="institutions:annual_inspection",
              awaited={AnnualInspectionStatus.REVIEWED: _("书面审查完成，待作出年检结论")}),
    QueueKind("register_review", _("台账导入待核对"), "register_review", QueueKind.DEPARTMENT,
              _register_review, since=F("created_at"), detail_url="institutions:review",
              awaited={RegisterReviewStatus.PENDING: _("名称疑含地址等，待核对后修改或确认")}),
]

THROUGH_TIME_SECTIONS = [
    BreakdownSection(
        code="annual_inspections", title=_("年检结论"), order=15,
        ledger="annual_inspections", measure="decided", dimension="result", link_filter="result",
        choices=AnnualResult.choices, chart_title=_("各地年检结论"),
        headline=Headline("annual-decided", _("年检作出结论")),
    ),
    MeasureSection(
        code="register_campaigns", title=_("重新审核登记与回头看"), order=16,
        columns=[Column("enrolled", _("列入机构"), "register_campaigns", "enrolled"),
                 Column("completed", _("完成"), "register_campaigns", "completed"),
                 Column("pending", _("未完成（暂停招生及收费）"), "register_campaigns", "pending"),
                 Column("leads", _("转为线索"), "register_campaigns", "leads")],
        chart_title=_("各地专项工作进度"),
        headline=(Headline("campaign-pending", column="pending"),),
    ),
    MeasureSection(
        code="in_service_teachers", title=_("在职教师违规兼职"), order=17,
        columns=[Column("flagged", _("在职教师违规兼职"), "in_service_teachers", "flagged")],
        chart_title=_("各地在职教师违规兼职"),
        headline=(Headline("in-service-flagged", column="flagged"),),
    ),
]


def register_all() -> None:
    register(*SECTIONS, *LEDGERS, *QUEUE_KINDS, *THROUGH_TIME_SECTIONS)
