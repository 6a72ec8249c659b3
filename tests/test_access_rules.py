"""The access-rule table: role × object owner × action → allowed, for every `can_*` of the project.

Each entry of RULES names one `can_*` function and, for each object it is asked about, the actors allowed;
every other actor of ACTORS is refused. The actors sit in 历下区 (county education — the seat of the joint
office —, county market supervision), 市中区 (another county), 济南市 (the prefecture) or nowhere (the
administrator). The objects are owned by the actor's own department (`_own`), another department of the same
county (`_other_dept`), a department of another county (`_other_county`), the prefecture's department acting
in the county (`_prefecture`), or shared with the county's education bureau by a referral or a grant
(`_shared`, `_joint`). A meta-test asserts that every `can_*` defined anywhere in the apps is in the table,
so a new rule cannot be added untested.
"""

import ast
import datetime
import importlib
from pathlib import Path

import pytest
from guardian.shortcuts import assign_perm

from inspections import permissions as inspection_permissions
from inspections import services as inspection_services
from inspections.models import InspectionKind, Visit, VisitStatus
from institutions import permissions as institution_permissions
from institutions.models import AnnualInspectionPlan, CampaignItem, LicenceKind
from penalties.models import PenaltyCase, RectificationOrder, SuspensionNotice
from publicity import services as publicity_services
from publicity.models import ListEntry
from regulator.models import Role
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.conftest import ensure_checklist

ROOT = Path(__file__).resolve().parent.parent
APPS = ("institutions", "inspections", "penalties", "publicity", "regulator")  # institutions/funds/ included

ACTORS = (
    "inspector",  # 历下区教育局 inspector
    "head",  # 历下区教育局 head (its department seats the joint office)
    "joint_office",  # 专项治理办公室, seated in 历下区教育局
    "other_head",  # 历下区市场监督管理局 head: another department of the same county
    "other_inspector",  # 历下区市场监督管理局 inspector
    "other_county_head",  # 市中区教育局 head
    "prefecture_head",  # 济南市教育局 head
    "prefecture_joint_office",  # 济南市 joint office (济南市教育局)
    "admin",  # system administrator, no department
)

COUNTY = {"inspector", "head", "joint_office", "other_head", "other_inspector"}
PREFECTURE = {"prefecture_head", "prefecture_joint_office"}
EDUCATION = {"inspector", "head", "joint_office"}
MARKET = {"other_head", "other_inspector"}
ALL = set(ACTORS)
NOBODY: set[str] = set()

# ---- the table ---------------------------------------------------------------------------------------------
# function name -> {object key -> actors allowed}; every actor not named is refused.

RULES: dict[str, dict[str, set[str]]] = {
    # -- institutions: the register belongs to no department; education and market keep it in their region --
    "can_view_institution": {
        "inst_county": COUNTY | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": EDUCATION | {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_create_institution": {
        "region_county": COUNTY | PREFECTURE | {"admin"},
        "region_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "region_prefecture": PREFECTURE | {"admin"},
        "no_object": ALL,
    },
    "can_change_institution": {
        "inst_county": COUNTY | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},  # a grant lets one see, not edit
    },
    "can_delete_institution": {
        "inst_county": {"head", "joint_office"} | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_import_register": {"no_object": ALL - {"admin"}},
    "can_change_sites_and_teachers": {
        "inst_county": COUNTY | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    # 谁审批谁监管: a licence with a recorded issuer is changed by that department only.
    "can_change_licence": {
        "licence_own": EDUCATION | {"admin"},
        "licence_other_dept": MARKET | {"admin"},
        "licence_unrecorded": EDUCATION | PREFECTURE | {"admin"},
        "licence_other_county": {"other_county_head", "admin"},
        "licence_prefecture": PREFECTURE | {"admin"},
    },
    "can_add_licence": {
        "inst_county": COUNTY | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_share_institution": {
        "inst_county": {"head", "joint_office", "other_head"} | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    # -- the register through time: changes, annual inspection, campaigns, the teacher black list ------------
    "can_decide_change": {
        "inst_county": {"head", "joint_office", "other_head"} | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_plan_annual_inspection": {"no_object": {"head", "joint_office", "other_county_head"} | PREFECTURE},
    "can_work_on_annual_plan": {
        "annualplan_own": EDUCATION,
        "annualplan_other_county": {"other_county_head"},
    },
    "can_decide_annual_inspection": {
        "annualplan_own": {"head", "joint_office"},
        "annualplan_other_county": {"other_county_head"},
    },
    "can_open_register_campaign": {"no_object": {"joint_office", "prefecture_joint_office"}},
    # 谁审批谁监管: each item by the department whose remit it is, in its region.
    "can_record_campaign_item": {
        "campaignitem_school_licence": EDUCATION | PREFECTURE,
        "campaignitem_business_scope": MARKET,
        "campaignitem_other_county": {"other_county_head"} | PREFECTURE,
    },
    "can_keep_teacher_blacklist": {"no_object": {"head", "joint_office", "other_county_head"} | PREFECTURE
                                   | {"admin"}},
    # Only with the permission keep_in_service_roster, which no actor of the table holds (role and region give
    # nothing): tests/institutions/test_roster.py grants it and checks the department kind.
    "can_keep_in_service_roster": {"no_object": NOBODY},
    # -- inspections ------------------------------------------------------------------------------------------
    "can_view_visit": {
        "visit_own": EDUCATION | PREFECTURE | {"admin"},
        "visit_other_dept": MARKET | {"joint_office", "prefecture_joint_office", "admin"},
        "visit_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "visit_prefecture": PREFECTURE | {"admin"},
        "visit_shared": EDUCATION | MARKET | {"prefecture_joint_office", "admin"},
        "visit_joint": EDUCATION | MARKET | {"prefecture_joint_office", "admin"},
    },
    "can_edit_visit": {
        "visit_own_planned": {"inspector"},
        "visit_other_dept_planned": {"other_inspector"},
        "visit_own": NOBODY,  # submitted
        "visit_joint": NOBODY,
    },
    "can_amend_visit": {
        "visit_own": EDUCATION | {"admin"},
        "visit_other_dept": MARKET | {"admin"},
        "visit_other_county": {"other_county_head", "admin"},
        "visit_prefecture": PREFECTURE | {"admin"},
        "visit_shared": MARKET | {"admin"},
        "visit_joint": MARKET | {"inspector", "admin"},  # the education inspector took part
        "visit_own_planned": NOBODY,
    },
    "can_set_outcome": {
        "visit_own": EDUCATION | {"admin"},
        "visit_other_dept": MARKET | {"admin"},
        "visit_other_county": {"other_county_head", "admin"},
        "visit_prefecture": PREFECTURE | {"admin"},
        "visit_shared": MARKET | {"admin"},
        "visit_joint": MARKET | {"inspector", "admin"},
        "visit_own_planned": NOBODY,
    },
    "can_plan_reinspection": {
        "visit_own": EDUCATION | {"admin"},
        "visit_other_dept": MARKET | {"admin"},
        "visit_other_county": {"other_county_head", "admin"},
        "visit_prefecture": PREFECTURE | {"admin"},
        "visit_shared": MARKET | {"admin"},
        "visit_joint": MARKET | {"admin"},
        "visit_own_planned": NOBODY,
    },
    "can_view_original_evidence": {
        "visit_own": EDUCATION | {"admin"},
        "visit_other_dept": MARKET | {"admin"},
        "visit_other_county": {"other_county_head", "admin"},
        "visit_prefecture": PREFECTURE | {"admin"},
        "visit_shared": MARKET | {"admin"},  # a referral shows the visit, not the originals with GPS
        "visit_joint": MARKET | {"inspector", "admin"},
        "visit_own_planned": EDUCATION | {"admin"},
    },
    "can_plan_visit": {
        "dept_own": EDUCATION | {"admin"},
        "dept_other_dept": MARKET | {"admin"},
        "dept_other_county": {"other_county_head", "admin"},
        "dept_prefecture": PREFECTURE | {"admin"},
    },
    "can_create_campaign": {
        "no_object": {"head", "joint_office", "other_head", "other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_lead_campaign_as": {
        "dept_own": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "dept_other_dept": {"other_head", "joint_office", "prefecture_joint_office", "admin"},
        "dept_other_county": {"other_county_head", "prefecture_joint_office", "admin"},
        "dept_prefecture": PREFECTURE | {"admin"},
    },
    "can_view_campaign": {
        "campaign_own": COUNTY | PREFECTURE | {"admin"},
        "campaign_other_dept": COUNTY | PREFECTURE | {"admin"},
        "campaign_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "campaign_prefecture": COUNTY | PREFECTURE | {"admin"},
        "campaign_shared": EDUCATION | {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_draw": {
        "campaign_own": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "campaign_other_dept": {"other_head", "joint_office", "prefecture_joint_office", "admin"},
        "campaign_other_county": {"other_county_head", "prefecture_joint_office", "admin"},
        # led by the prefecture over the county: not the county's joint office
        "campaign_prefecture": PREFECTURE | {"admin"},
        "campaign_shared": {"other_county_head", "prefecture_joint_office", "admin"},
    },
    # -- penalties: seen in the region, acted on by the issuing department only -----------------------------------
    "can_view": {
        "order_own": COUNTY | PREFECTURE | {"admin"},
        "order_other_dept": COUNTY | PREFECTURE | {"admin"},
        "order_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "order_prefecture": COUNTY | PREFECTURE | {"admin"},
        "case_own": COUNTY | PREFECTURE | {"admin"},
        "suspension_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_draft_for": {
        "inst_county": COUNTY | PREFECTURE,
        "inst_other_county": {"other_county_head"} | PREFECTURE,
        "inst_shared": {"other_county_head"} | PREFECTURE,
    },
    "can_approve": {
        "order_own": {"head", "joint_office"},
        "order_own_drafted_by_head": {"joint_office"},  # nobody approves their own draft (four eyes)
        "order_other_dept": {"other_head"},
        "order_other_county": {"other_county_head"},
        "order_prefecture": PREFECTURE,
        "suspension_own": {"head", "joint_office"},
        "suspension_other_dept": {"other_head"},
    },
    "can_serve": {
        "order_own": EDUCATION,
        "order_other_dept": MARKET,
        "order_other_county": {"other_county_head"},
        "order_prefecture": PREFECTURE,
        "suspension_own": EDUCATION,
        "suspension_other_dept": MARKET,
    },
    "can_close_items": {
        "order_own": EDUCATION,
        "order_other_dept": MARKET,
        "order_other_county": {"other_county_head"},
        "order_prefecture": PREFECTURE,
    },
    "can_extend": {
        "order_own": {"head", "joint_office"},
        "order_other_dept": {"other_head"},
        "order_other_county": {"other_county_head"},
        "order_prefecture": PREFECTURE,
    },
    "can_cancel": {
        "order_own": {"head", "joint_office"},
        "order_other_dept": {"other_head"},
        "order_other_county": {"other_county_head"},
        "order_prefecture": PREFECTURE,
        "suspension_own": {"head", "joint_office"},
        "suspension_other_dept": {"other_head"},
    },
    "can_record_refund": {
        "suspension_own": EDUCATION,
        "suspension_other_dept": MARKET,
        "suspension_other_county": {"other_county_head"},
        "suspension_prefecture": PREFECTURE,
    },
    "can_work_case": {
        "case_own": EDUCATION,
        "case_other_dept": MARKET,
        "case_other_county": {"other_county_head"},
        "case_prefecture": PREFECTURE,
    },
    "can_decide_case": {
        "case_own": {"head", "joint_office"},
        "case_other_dept": {"other_head"},
        "case_other_county": {"other_county_head"},
        "case_prefecture": PREFECTURE,
    },
    # -- publicity: list entries ------------------------------------------------------------------------------
    "can_view_entry": {
        "entry_own": COUNTY | PREFECTURE | {"admin"},
        "entry_other_dept": COUNTY | PREFECTURE | {"admin"},
        "entry_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "entry_prefecture": COUNTY | PREFECTURE | {"admin"},
    },
    "can_propose_entry": {
        "inst_county": COUNTY | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_review_entry": {
        "entry_own": {"head", "joint_office", "admin"},
        "entry_other_dept": {"other_head", "admin"},
        "entry_other_county": {"other_county_head", "admin"},
        "entry_prefecture": PREFECTURE | {"admin"},
    },
    # The joint office approves for the departments of its region (its seat's head counts as the office).
    "can_approve_entry": {
        "entry_own": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "entry_other_dept": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "entry_other_county": {"prefecture_joint_office", "admin"},
        "entry_prefecture": {"prefecture_joint_office", "admin"},
    },
    "can_publish_batch": {"no_object": {"head", "joint_office", "prefecture_joint_office"}},
    "can_record_statement": {
        "entry_own": EDUCATION | {"admin"},
        "entry_other_dept": MARKET | {"admin"},
        "entry_other_county": {"other_county_head", "admin"},
        "entry_prefecture": PREFECTURE | {"admin"},
    },
    "can_propose_removal": {
        "entry_own": EDUCATION | {"admin"},
        "entry_other_dept": MARKET | {"admin"},
        "entry_other_county": {"other_county_head", "admin"},
        "entry_prefecture": PREFECTURE | {"admin"},
    },
    "can_approve_removal": {
        "entry_own": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "entry_other_dept": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "entry_other_county": {"prefecture_joint_office", "admin"},
        "entry_prefecture": {"prefecture_joint_office", "admin"},
    },
    "can_correct_entry": {
        "entry_own": EDUCATION | {"admin"},
        "entry_other_dept": MARKET | {"admin"},
        "entry_other_county": {"other_county_head", "admin"},
        "entry_prefecture": PREFECTURE | {"admin"},
    },
    # -- publicity: decisions published (Art 48) -------------------------------------------------------------
    "can_view_publication": {
        "publication_own": COUNTY | PREFECTURE | {"admin"},
        "publication_other_dept": COUNTY | PREFECTURE | {"admin"},
        "publication_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "publication_prefecture": COUNTY | PREFECTURE | {"admin"},
    },
    # The deciding department's head, or the joint office of the region.
    "can_manage_publication": {
        "publication_own": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "publication_other_dept": {"other_head", "joint_office", "prefecture_joint_office", "admin"},
        "publication_other_county": {"other_county_head", "prefecture_joint_office", "admin"},
        "publication_prefecture": {"prefecture_head", "joint_office", "prefecture_joint_office", "admin"},
    },
    # -- publicity: reports -----------------------------------------------------------------------------------
    # Entering a report received by phone, letter or in person: any staff member whose region holds it.
    "can_record_report": {
        "region_county": COUNTY | PREFECTURE | {"admin"},
        "region_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "region_prefecture": PREFECTURE | {"admin"},
    },
    "can_view_report": {
        "report_unassigned": COUNTY | PREFECTURE | {"admin"},
        "report_own": COUNTY | PREFECTURE | {"admin"},
        "report_other_dept": COUNTY | PREFECTURE | {"admin"},
        "report_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "report_prefecture": COUNTY | PREFECTURE | {"admin"},
    },
    # The reporter: the handling department alone — not the joint office, the prefecture or the administrator.
    "can_see_reporter_identity": {
        "report_unassigned": NOBODY,
        "report_own": EDUCATION,
        "report_other_dept": MARKET,
        "report_other_county": {"other_county_head"},
        "report_prefecture": PREFECTURE,
    },
    "can_assign_report": {
        "report_unassigned": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "report_own": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "report_other_dept": {"head", "joint_office", "prefecture_joint_office", "admin"},
        "report_other_county": {"prefecture_joint_office", "admin"},
        "report_prefecture": {"prefecture_joint_office", "admin"},  # the county office does not take it back
    },
    "can_return_report": {
        "report_unassigned": NOBODY,
        "report_own": {"head", "joint_office"},
        "report_other_dept": {"other_head"},
        "report_other_county": {"other_county_head"},
        "report_prefecture": PREFECTURE,
    },
    "can_work_report": {
        "report_unassigned": NOBODY,
        "report_own": EDUCATION | {"admin"},
        "report_other_dept": MARKET | {"admin"},
        "report_other_county": {"other_county_head", "admin"},
        "report_prefecture": PREFECTURE | {"admin"},
    },
    "can_close_report": {
        "report_unassigned": NOBODY,
        "report_own": {"head", "joint_office", "admin"},
        "report_other_dept": {"other_head", "admin"},
        "report_other_county": {"other_county_head", "admin"},
        "report_prefecture": PREFECTURE | {"admin"},
    },
    # -- oversight (regulator): by role and region; they act on no department's object -----------------------
    "can_view_dashboard": {"no_object": {"head", "joint_office", "other_head", "other_county_head"} | PREFECTURE
                           | {"admin"}},
    "can_view_weekly": {
        "region_county": {"head", "joint_office", "other_head"} | PREFECTURE | {"admin"},
        "region_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "region_prefecture": PREFECTURE | {"admin"},
    },
    "can_generate_weekly": {
        "region_county": {"joint_office", "prefecture_joint_office", "admin"},
        "region_other_county": {"prefecture_joint_office", "admin"},
        "region_prefecture": {"prefecture_joint_office", "admin"},
    },
    "can_assign": {"no_object": {"head", "joint_office", "other_head", "other_county_head"} | PREFECTURE},
    # -- filings and funds (institutions.funds): education files and reviews; education (or the financial
    # regulator) keeps accounts and handles alerts, in its region --------------------------------------------
    "can_view_funds": {
        "inst_county": COUNTY | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": EDUCATION | {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_submit_course": {
        "inst_county": EDUCATION | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_keep_account": {
        "inst_county": EDUCATION | PREFECTURE | {"admin"},
        "inst_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
        "inst_shared": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_review_course": {
        "course_county": {"head", "joint_office"} | PREFECTURE | {"admin"},
        "course_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_assign_alert": {
        "alert_county": {"head", "joint_office"} | PREFECTURE | {"admin"},
        "alert_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    "can_handle_alert": {
        "alert_county": {"inspector", "head", "joint_office"} | PREFECTURE | {"admin"},  # the assignee too
        "alert_other_county": {"other_county_head"} | PREFECTURE | {"admin"},
    },
    # 填报人: the county's own joint office; 审核人: a head or joint office of the county (not the prefecture)
    "can_fill_weekly": {"weekly_county": {"joint_office"}, "weekly_other_county": NOBODY},
    "can_review_weekly": {"weekly_county": {"head", "joint_office", "other_head"},
                          "weekly_other_county": {"other_county_head"}},
}


# ---- discovery ----------------------------------------------------------------------------------------------


def defined_rules() -> dict[str, list[str]]:
    """Every module-level `can_*` function in the apps: name -> the modules defining it."""
    found: dict[str, list[str]] = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("can_"):
                    found.setdefault(node.name, []).append(module)
    return found


def test_every_can_function_is_in_the_table():
    defined = defined_rules()
    assert {name: modules for name, modules in defined.items() if len(modules) > 1} == {}, (
        "two modules define a rule of the same name: rename one so the table stays unambiguous"
    )
    assert sorted(set(defined) - set(RULES)) == [], "add these rules to RULES in tests/test_access_rules.py"
    assert sorted(set(RULES) - set(defined)) == [], "these rules no longer exist"
    for name, table in RULES.items():
        for actors in table.values():
            assert actors <= ALL, (name, actors - ALL)


def test_every_permissions_module_is_covered():
    modules = {module for modules in defined_rules().values() for module in modules}
    for app in APPS:
        if (ROOT / app / "permissions.py").exists():
            assert f"{app}.permissions" in modules


# ---- the world ----------------------------------------------------------------------------------------------


def _actors(users, departments) -> dict:
    prefecture = departments["prefecture_education"]
    return {
        "inspector": users["education_inspector"],
        "head": users["education_head"],
        "joint_office": users["joint_office"],
        "other_head": users["market_head"],
        "other_inspector": users["market_inspector"],
        "other_county_head": UserFactory(username="other_county_head", department=departments["other_education"],
                                         role=Role.HEAD),
        "prefecture_head": users["prefecture_head"],
        "prefecture_joint_office": UserFactory(username="pref_joint_office", department=prefecture,
                                               role=Role.JOINT_OFFICE),
        "admin": users["admin"],
    }


class World:
    """The objects of the table, built family by family as the rule being checked asks for them."""

    def __init__(self, regions, departments, users, actors):
        self.regions, self.departments, self.users, self.actors = regions, departments, users, actors
        self.prefecture_inspector = UserFactory(username="pref_inspector",
                                                department=departments["prefecture_education"])
        self.objects: dict[str, tuple] = {"no_object": ()}
        self._built: set[str] = set()

    def args(self, key: str) -> tuple:
        family = key.split("_", 1)[0]
        if key not in self.objects and family not in self._built:
            getattr(self, f"_build_{family}")()
            self._built.add(family)
        return self.objects[key]

    # owner name -> (department, institution)
    def _owners(self):
        d = self.departments
        county, other = self._inst("inst_county"), self._inst("inst_other_county")
        return {
            "own": (d["education"], county),
            "other_dept": (d["market"], county),
            "other_county": (d["other_education"], other),
            "prefecture": (d["prefecture_education"], county),
        }

    def _drafter(self, department):
        return {
            "education": self.users["education_inspector"],
            "market": self.users["market_inspector"],
            "other_education": self.users["other_county_inspector"],
            "prefecture_education": self.prefecture_inspector,
        }[next(key for key, value in self.departments.items() if value == department)]

    def _inst(self, key):
        return self.args(key)[0]

    def _build_inst(self):
        county = InstitutionFactory(name="星光美术培训", region=self.regions["township"])
        other = InstitutionFactory(name="市中区培训中心", region=self.regions["other_township"])
        shared = InstitutionFactory(name="市中区共享机构", region=self.regions["other_township"])
        assign_perm(institution_permissions.VIEW_INSTITUTION, self.departments["education"].group, shared)
        self.objects.update(inst_county=(county,), inst_other_county=(other,), inst_shared=(shared,))

    def _build_annualplan(self):
        d = self.departments
        deadline = datetime.date(2026, 3, 31)
        self.objects.update(
            annualplan_own=(AnnualInspectionPlan.objects.create(department=d["education"], year=2025,
                                                                deadline=deadline),),
            annualplan_other_county=(AnnualInspectionPlan.objects.create(department=d["other_education"], year=2025,
                                                                         deadline=deadline),),
        )

    def _build_campaignitem(self):
        county, other = self._inst("inst_county"), self._inst("inst_other_county")
        self.objects.update(
            campaignitem_school_licence=(county, CampaignItem.SCHOOL_LICENCE),
            campaignitem_business_scope=(county, CampaignItem.BUSINESS_SCOPE),
            campaignitem_other_county=(other, CampaignItem.SCHOOL_LICENCE),
        )

    def _build_region(self):
        self.objects.update(region_county=("370102",), region_other_county=("370103",),
                            region_prefecture=("3701",))

    def _build_dept(self):
        d = self.departments
        self.objects.update(dept_own=(d["education"],), dept_other_dept=(d["market"],),
                            dept_other_county=(d["other_education"],), dept_prefecture=(d["prefecture_education"],))

    def _build_licence(self):
        d = self.departments
        county, other = self._inst("inst_county"), self._inst("inst_other_county")
        school = LicenceKind.SCHOOL_RUNNING
        self.objects.update(
            licence_own=(county, school, d["education"].pk),
            licence_other_dept=(county, LicenceKind.BUSINESS, d["market"].pk),
            licence_unrecorded=(county, school, None),
            licence_other_county=(other, school, d["other_education"].pk),
            licence_prefecture=(county, school, d["prefecture_education"].pk),
        )

    def _visit(self, department, institution, inspectors, *, departments=(), submitted=True):
        visit = inspection_services.visit_plan(
            actor=self.actors["admin"], institution=institution, lead_department=department,
            planned_on=datetime.date(2025, 5, 20), inspectors=inspectors, departments=departments,
        )
        if submitted:
            Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.SUBMITTED)
            visit.refresh_from_db()
        return visit

    def _build_visit(self):
        ensure_checklist()
        d, u = self.departments, self.users
        owners = self._owners()
        for owner, (department, institution) in owners.items():
            self.objects[f"visit_{owner}"] = (self._visit(department, institution, [self._drafter(department)]),)
        county = owners["own"][1]
        shared = self._visit(d["market"], county, [u["market_inspector"]])
        assign_perm(inspection_permissions.VIEW_VISIT, d["education"].group, shared)  # referred (移送)
        joint = self._visit(d["market"], county, [u["market_inspector"], u["education_inspector"]],
                            departments=[d["education"]])
        self.objects.update(
            visit_shared=(shared,),
            visit_joint=(joint,),
            visit_own_planned=(self._visit(d["education"], county, [u["education_inspector"]], submitted=False),),
            visit_other_dept_planned=(self._visit(d["market"], county, [u["market_inspector"]], submitted=False),),
        )

    def _campaign(self, department, region, departments=()):
        return inspection_services.campaign_create(
            actor=self.actors["admin"], name=f"{department.name}专项检查", kind=InspectionKind.SPOT_CHECK,
            region=region, starts_on=datetime.date(2025, 5, 1), ends_on=datetime.date(2025, 6, 30),
            lead_department=department, departments=departments,
        )

    def _build_campaign(self):
        ensure_checklist()
        d, r = self.departments, self.regions
        self.objects.update(
            campaign_own=(self._campaign(d["education"], r["county"]),),
            campaign_other_dept=(self._campaign(d["market"], r["county"]),),
            campaign_other_county=(self._campaign(d["other_education"], r["other_county"]),),
            campaign_prefecture=(self._campaign(d["prefecture_education"], r["county"]),),
            campaign_shared=(self._campaign(d["other_education"], r["other_county"], [d["education"]]),),
        )

    # Penalty documents and list entries are asked about by attributes only: unsaved rows are enough.
    def _build_order(self):
        for owner, (department, institution) in self._owners().items():
            self.objects[f"order_{owner}"] = (
                RectificationOrder(institution=institution, department=department,
                                   drafted_by=self._drafter(department)),
            )
        department, institution = self._owners()["own"]
        self.objects["order_own_drafted_by_head"] = (
            RectificationOrder(institution=institution, department=department, drafted_by=self.users["education_head"]),
        )

    def _build_suspension(self):
        for owner, (department, institution) in self._owners().items():
            self.objects[f"suspension_{owner}"] = (
                SuspensionNotice(institution=institution, department=department,
                                 drafted_by=self._drafter(department)),
            )

    def _build_case(self):
        for owner, (department, institution) in self._owners().items():
            self.objects[f"case_{owner}"] = (PenaltyCase(institution=institution, department=department),)

    def _build_entry(self):
        for owner, (department, institution) in self._owners().items():
            self.objects[f"entry_{owner}"] = (
                ListEntry(institution=institution, proposing_department=department, list_kind="black"),
            )

    def _build_weekly(self):
        from django.utils import timezone

        from regulator.models import WeeklyReport

        week = datetime.date(2025, 5, 10)
        for key, code in (("weekly_county", "370102"), ("weekly_other_county", "370103")):
            self.objects[key] = (WeeklyReport.objects.create(
                region_id=code, week_start=week, week_end=week + datetime.timedelta(days=6),
                generated_at=timezone.now()),)

    def _build_publication(self):
        from publicity.models import DecisionPublication

        for owner, (department, institution) in self._owners().items():
            self.objects[f"publication_{owner}"] = (DecisionPublication.objects.create(
                source_type="penalty_decision", source_id=f"access-{owner}", institution=institution,
                department=department, party_name=institution.name, title="决定", text="内容",
                decided_on=datetime.date(2025, 5, 10), publish_due=datetime.date(2025, 5, 21)),)

    def _build_report(self):
        county, other = self._inst("inst_county"), self._inst("inst_other_county")

        def report(institution, department=None):
            filed = publicity_services.report_file(region=None, institution=institution, content="周末补课",
                                                   reporter_name="举报人", reporter_phone="13900000000")
            if department is not None:
                publicity_services.report_assign(report_id=filed.pk, actor=self.actors["admin"],
                                                 department=department)
                filed.refresh_from_db()
            return (filed,)

        d = self.departments
        self.objects.update(
            report_unassigned=report(county),
            report_own=report(county, d["education"]),
            report_other_dept=report(county, d["market"]),
            report_other_county=report(other, d["other_education"]),
            report_prefecture=report(county, d["prefecture_education"]),
        )


    def _build_course(self):
        from institutions.funds.models import Course

        def course(institution, department):
            return (Course.objects.create(
                institution=institution, department=department, name="数学班", subject="数学", category="academic",
                stage="compulsory", syllabus="同步", starts_on=datetime.date(2025, 9, 8),
                ends_on=datetime.date(2025, 12, 17), lesson_minutes=45, class_hours=40, class_size=20,
                fee_per_hour=50, fee_total=2000, submitted_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC)),)

        d = self.departments
        self.objects.update(course_county=course(self._inst("inst_county"), d["education"]),
                            course_other_county=course(self._inst("inst_other_county"), d["other_education"]))

    def _build_alert(self):
        from institutions.funds.models import AlertStatus, FundAlert

        def alert(institution, department, key, assignee=None):
            return (FundAlert.objects.create(
                institution=institution, department=department, kind="low_balance", key=key, detail="余额不足",
                raised_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC), assigned_to=assignee,
                status=AlertStatus.ASSIGNED if assignee else AlertStatus.OPEN),)

        d = self.departments
        self.objects.update(
            alert_county=alert(self._inst("inst_county"), d["education"], "a1", self.users["education_inspector"]),
            alert_other_county=alert(self._inst("inst_other_county"), d["other_education"], "a2"))


@pytest.fixture
def world(regions, departments, users):
    return World(regions, departments, users, _actors(users, departments))


def _function(name: str):
    (module,) = defined_rules()[name]
    return getattr(importlib.import_module(module), name)


@pytest.mark.django_db
@pytest.mark.parametrize("rule", sorted(RULES))
def test_access_rule(world, rule):
    """Every cell of the rule's table: actor × object → allowed, as RULES says; all wrong cells are listed."""
    function = _function(rule)
    wrong = []
    for key, allowed in RULES[rule].items():
        args = world.args(key)
        for actor in ACTORS:
            expected = actor in allowed
            got = bool(function(world.actors[actor], *args))
            if got != expected:
                wrong.append(f"{rule}({actor}, {key}) is {got}, the table says {expected}")
    assert not wrong, "\n".join(wrong)
