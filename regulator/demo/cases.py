"""Casework for the demo (`load_demo`): a campaign with a double-random draw, visits in every state,
rectification orders, a suspension notice with refunds, a penalty case, published white and black lists
and two public reports — all in 历下区 and all made through the apps' own services, so every row has its
audit history, document number and notifications exactly as in real use.

Called once, inside load_demo's transaction, only when the demo is being created. PDFs and public-page
refreshes are queued by the services on commit (the demo worker renders them later); nothing here waits.
"""

import base64
import datetime
import io
import random
from decimal import Decimal

from django.utils import timezone
from PIL import Image

from inspections import draw as inspection_draw
from inspections import services as inspections
from inspections.models import AnswerResult, InspectionKind, ProblemItem, Visit, VisitOutcome
from institutions.models import Institution, LicenceStanding, OperatingState
from penalties import services as penalties
from penalties.models import CaseSource, ClosingMethod, ServiceMethod
from publicity import services as publicity
from publicity.models import BlackCategory, ListKind
from regulator.demo.regions import MAIN_COUNTY
from regulator.models import Department, DepartmentKind, Region, User

WHITE_LIST_SIZE = 30
BLACK_LIST_SIZE = 5
LEGAL_BASIS = "《山东省校外培训机构管理办法》第十八条、《校外培训行政处罚暂行办法》第十条"
FINDINGS = [
    "消防通道堆放杂物，安全出口指示不亮",
    "收费公示内容与实际收费不一致",
    "一次性收取超过三个月的培训费用",
    "部分教师未取得相应教师资格证",
    "培训结束时间晚于21:00",
    "未与家长签订规范培训合同",
]


def signature_data_url() -> str:
    """A small transparent PNG with one ink line: what the signature pad sends."""
    image = Image.new("RGBA", (120, 40), (0, 0, 0, 0))
    for x in range(10, 110):
        image.putpixel((x, 20), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


class _Cases:
    def __init__(self, *, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.today = timezone.localdate(self.now)
        self.users = {u.username: u for u in User.objects.select_related("department")}
        self.region = Region.objects.get(code=MAIN_COUNTY)
        self.education = Department.objects.get(region=self.region, kind=DepartmentKind.EDUCATION)
        self.market = Department.objects.get(region=self.region, kind=DepartmentKind.MARKET)
        self.signature = signature_data_url()
        self.counts = {"visits": 0, "orders": 0, "entries": 0, "reports": 0}
        mine = Institution.objects.filter(region__code__startswith=MAIN_COUNTY).order_by("pk")
        self.institutions = list(mine)
        self.used: set[int] = set()

    def user(self, name: str) -> User:
        return self.users[name]

    def ago(self, days: int, hour: int = 10) -> datetime.datetime:
        moment = timezone.localtime(self.now) - datetime.timedelta(days=days)
        return min(moment.replace(hour=hour, minute=0), self.now)

    def pick(self, *, states=(OperatingState.OPERATING,), standings=None) -> Institution:
        candidates = [
            i for i in self.institutions
            if i.pk not in self.used and i.operating_state in states
            and (standings is None or i.licence_standing in standings)
        ]
        institution = self.rng.choice(candidates)
        self.used.add(institution.pk)
        return institution

    # ---- inspections -------------------------------------------------------------------------------
    def campaign(self):
        office = self.user("joint_office")
        campaign = inspections.campaign_create(
            actor=office,
            name=f"{self.today.year}年历下区校外培训机构专项治理",
            kind=InspectionKind.SWEEP,
            region=self.region,
            starts_on=self.today - datetime.timedelta(days=60),
            ends_on=self.today + datetime.timedelta(days=60),
            lead_department=self.education,
            departments=[self.market],
            description="教育、市场监管联合开展，重点检查消防安全、收费与资质。",
        )
        draw = inspection_draw.spot_check_draw(
            actor=office,
            campaign=campaign,
            sample_size=6,
            planned_on=self.today + datetime.timedelta(days=3),
            inspectors_per_visit=2,
            seed=f"demo-{self.seed}",
        )
        self.used.update(row["institution"] for row in draw.result)
        self.counts["visits"] += len(draw.result)
        return campaign

    def plan(self, institution, *, days_ago: int, campaign=None, joint=False) -> Visit:
        inspectors = [self.user("edu_inspector"), self.user("edu_inspector2")]
        departments = []
        if joint:
            inspectors.append(self.user("market_inspector"))
            departments = [self.market]
        self.counts["visits"] += 1
        return inspections.visit_plan(
            actor=self.user("edu_head"),
            institution=institution,
            lead_department=self.education,
            planned_on=self.today - datetime.timedelta(days=days_ago),
            inspectors=inspectors,
            departments=departments,
            campaign=campaign,
        )

    def inspect(self, visit: Visit, *, at: datetime.datetime, fails: int, submit=True) -> Visit:
        inspector = self.user("edu_inspector")
        answers = list(visit.answers.select_related("item").order_by("item__position"))
        failing = set(self.rng.sample(range(len(answers)), fails))
        done = answers if submit else answers[: len(answers) // 2]
        for index, answer in enumerate(done):
            failed = index in failing
            inspections.answer_save(
                actor=inspector,
                visit_id=visit.pk,
                item_id=answer.item_id,
                result=AnswerResult.FAIL if failed else AnswerResult.PASS,
                remark=self.rng.choice(FINDINGS) if failed else "",
                now=at + datetime.timedelta(minutes=index),
            )
        if not submit:
            return visit
        inspections.signature_save(actor=inspector, visit_id=visit.pk, signer_name="机构负责人",
                                   signer_role="负责人", data_url=self.signature, now=at + datetime.timedelta(hours=1))
        return inspections.visit_submit(actor=inspector, visit_id=visit.pk, summary="现场检查已完成。",
                                        now=at + datetime.timedelta(hours=1))

    def outcome(self, visit: Visit, outcome: str, at) -> None:
        inspections.visit_set_outcome(actor=self.user("edu_head"), visit_id=visit.pk, outcome=outcome,
                                      note="经研究确定。", now=at + datetime.timedelta(hours=3))

    def visits(self, campaign) -> dict:
        visits = {}
        # Planned for today: the inspector's /inspections/today/ list.
        for index in range(3):
            self.plan(self.pick(), days_ago=0, campaign=campaign, joint=index == 0)
        # Started yesterday, half answered: still on today's list until submitted.
        started = self.plan(self.pick(), days_ago=1, campaign=campaign)
        self.inspect(started, at=self.ago(1), fails=0, submit=False)
        # Submitted with failed items; the outcome decides what follows.
        plan = [
            ("served", 20, VisitOutcome.RECTIFICATION),
            ("overdue", 45, VisitOutcome.RECTIFICATION),
            ("approved", 6, VisitOutcome.RECTIFICATION),
            ("draft", 4, VisitOutcome.RECTIFICATION),
            ("suspension", 15, VisitOutcome.SUSPENSION),
            ("case", 12, VisitOutcome.PENALTY_CASE),
            ("awaiting", 2, None),  # no outcome yet: waits in the head's queue
        ]
        for name, days, outcome in plan:
            visit = self.plan(self.pick(), days_ago=days, campaign=campaign, joint=name == "served")
            at = self.ago(days)
            self.inspect(visit, at=at, fails=2 if name != "suspension" else 3)
            if outcome:
                self.outcome(visit, outcome, at)
            visits[name] = (visit, at)
        # A re-inspection of the served order's visit, planned for next week.
        self.counts["visits"] += 1
        inspections.reinspection_create(actor=self.user("edu_head"), previous_visit_id=visits["served"][0].pk,
                                        planned_on=self.today + datetime.timedelta(days=7))
        return visits

    # ---- penalties ---------------------------------------------------------------------------------
    def order(self, visit: Visit, *, at, deadline_days: int, approve=True):
        problems = list(ProblemItem.objects.filter(visit=visit).order_by("pk").values_list("pk", flat=True))
        drafted = at + datetime.timedelta(days=1)
        order = penalties.order_draft_from_visit(
            actor=self.user("edu_inspector"), visit_id=visit.pk, problem_item_ids=problems,
            legal_bases={pk: LEGAL_BASIS for pk in problems},
            deadline=timezone.localdate(drafted) + datetime.timedelta(days=deadline_days),
            requirements="请按期整改并报送整改材料。", now=drafted,
        )
        self.counts["orders"] += 1
        if approve:
            penalties.order_approve(actor=self.user("edu_head"), order_id=order.pk,
                                    now=drafted + datetime.timedelta(hours=2))
        return order, drafted + datetime.timedelta(hours=2)

    def serve_data(self, at) -> dict:
        return {"served_at": at, "method": ServiceMethod.IN_PERSON, "receiver_name": "机构负责人",
                "receiver_relation": "负责人", "place": "机构经营场所"}

    def casework(self, visits) -> None:
        inspector, head = self.user("edu_inspector"), self.user("edu_head")
        # Served, one item already closed after a re-inspection.
        visit, at = visits["served"]
        order, approved = self.order(visit, at=at, deadline_days=30)
        served = approved + datetime.timedelta(days=1)
        penalties.order_serve(actor=inspector, order_id=order.pk, data=self.serve_data(served), now=served)
        item = order.items.order_by("position").first()
        penalties.order_item_close(actor=inspector, item_id=item.pk, method=ClosingMethod.REINSPECTION,
                                   note="复查确认已整改到位。", now=served + datetime.timedelta(days=5))
        # Served with a deadline already past: marked overdue as the nightly chaser would.
        visit, at = visits["overdue"]
        order, approved = self.order(visit, at=at, deadline_days=30)
        served = approved + datetime.timedelta(days=1)
        penalties.order_serve(actor=inspector, order_id=order.pk, data=self.serve_data(served), now=served)
        order.refresh_from_db()
        penalties.order_mark_overdue(order=order, now=self.now)
        # Approved, not yet served; and one draft awaiting the head's approval.
        visit, at = visits["approved"]
        self.order(visit, at=at, deadline_days=20)
        visit, at = visits["draft"]
        self.order(visit, at=at, deadline_days=20, approve=False)

        # A suspension notice, served, with refunds partly made.
        visit, at = visits["suspension"]
        drafted = at + datetime.timedelta(days=1)
        notice = penalties.suspension_draft(
            actor=inspector, institution_id=visit.institution_id, visit=visit,
            facts="无办学许可证擅自开展学科类培训，现场发现在培学员。", legal_basis=LEGAL_BASIS,
            refund_deadline=timezone.localdate(drafted) + datetime.timedelta(days=30), now=drafted,
        )
        approved = drafted + datetime.timedelta(hours=2)
        penalties.suspension_approve(actor=head, notice_id=notice.pk, now=approved)
        served = approved + datetime.timedelta(hours=3)
        penalties.suspension_serve(actor=inspector, notice_id=notice.pk, data=self.serve_data(served), now=served)
        for group, students, due, refunded in [("周末英语班", 12, Decimal("14400.00"), Decimal("6000.00")),
                                               ("春季数学提高班", 18, Decimal("32400.00"), Decimal("32400.00"))]:
            penalties.refund_record(actor=inspector, notice_id=notice.pk, student_group=group, students=students,
                                    amount_due=due, amount_refunded=refunded,
                                    now=served + datetime.timedelta(days=3))

        # A penalty case, filed and under investigation.
        visit, at = visits["case"]
        opened = at + datetime.timedelta(days=1)
        case = penalties.case_open(actor=inspector, institution_id=visit.institution_id, source=CaseSource.INSPECTION,
                                   source_visit=visit, summary="检查发现超前超标培训、违规收费，拟立案查处。",
                                   now=opened)
        penalties.case_review(actor=inspector, case_id=case.pk, now=opened + datetime.timedelta(hours=1))
        penalties.case_file(actor=head, case_id=case.pk, now=opened + datetime.timedelta(days=1))
        penalties.case_investigate(actor=inspector, case_id=case.pk, now=opened + datetime.timedelta(days=2))

    # ---- publicity ---------------------------------------------------------------------------------
    def lists(self) -> None:
        inspector, head, office = self.user("edu_inspector"), self.user("edu_head"), self.user("joint_office")
        at = self.ago(3)
        whites = [i for i in self.institutions
                  if i.licence_standing == LicenceStanding.BOTH and i.operating_state == OperatingState.OPERATING]
        blacks = [i for i in self.institutions if i.licence_standing == LicenceStanding.NONE]
        self.rng.shuffle(blacks)
        batches = [
            (ListKind.WHITE, whites[:WHITE_LIST_SIZE], "历下区校外培训机构白名单（第一批）"),
            (ListKind.BLACK, blacks[:BLACK_LIST_SIZE], "历下区校外培训机构黑名单（第一批）"),
        ]
        for kind, institutions, title in batches:
            ids = []
            reason = ("证照齐全，检查未发现问题。" if kind == ListKind.WHITE
                      else "无证无照擅自开展培训，拒不整改。")
            for institution in institutions:
                # a black entry waits for the institution's statement period: proposed and told two weeks before
                proposed = self.ago(17) if kind == ListKind.BLACK else at
                entry = publicity.list_entry_propose(
                    institution=institution, list_kind=kind, actor=inspector, now=proposed, reason=reason,
                    black_category=BlackCategory.UNLICENSED if kind == ListKind.BLACK else "",
                )
                if kind == ListKind.BLACK:
                    publicity.list_entry_notify(entry_id=entry.pk, actor=inspector, now=proposed,
                                                notified_on=proposed.date(), method="直接送达告知书")
                publicity.list_entry_review(entry_id=entry.pk, actor=head, approve=True, now=at)
                publicity.list_entry_approve(entry_id=entry.pk, actor=office, now=at)
                ids.append(entry.pk)
            publicity.batch_publish(entry_ids=ids, actor=office, title=title, now=at + datetime.timedelta(hours=1))
            self.counts["entries"] += len(ids)

    def reports(self) -> None:
        first = publicity.report_file(
            region=self.region, institution=self.pick(), now=self.ago(2),
            content="该机构在工作日晚上九点后仍在上课，并要求家长一次性缴纳一年学费。",
        )
        publicity.report_assign(report_id=first.pk, actor=self.user("joint_office"), department=self.education,
                                note="请核查处理。", now=self.ago(2, hour=15))
        publicity.report_file(
            region=self.region, subject_name="小区内无名培训点", subject_address="历下区某小区3号楼1单元",
            content="小区住宅内有人办班培训学科类课程，每晚有二十多名学生。", now=self.ago(0, hour=8),
        )
        self.counts["reports"] += 2


def load_cases(*, seed: int) -> dict:
    """Create the demo casework; returns how many visits, orders, list entries and reports it made."""
    cases = _Cases(seed=seed)
    campaign = cases.campaign()
    visits = cases.visits(campaign)
    cases.casework(visits)
    cases.lists()
    cases.reports()
    return cases.counts
