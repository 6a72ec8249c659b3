"""Casework for the demo (`load_demo`): a campaign with a double-random draw, visits in every state,
rectification orders, a suspension notice with refunds, penalty cases at every step (decisions published,
awaiting publication and changed on review), published white and black lists, two public reports and weekly
reports at each step of their sign-off, and fifteen months of past site checks and orders for the dashboard's
trends — all in 历下区 and all made through the apps' own services, so every row has its
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
from institutions.validators import id_number_check_char
from penalties import services as penalties
from penalties.models import CaseSource, ClosingMethod, LegalQualification, Provision, ServiceMethod
from publicity import publications
from publicity import services as publicity
from publicity.models import BlackCategory, DecisionPublication, ListKind, PublicationSource
from regulator.calendar import add_working_days
from regulator.demo.regions import MAIN_COUNTY
from regulator.models import Department, DepartmentKind, Region, User, WeeklyReportStatus
from regulator.oversight import weekly

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

    def history(self) -> None:
        """Past site checks month by month over the fifteen months before the casework above (75 to about 470
        days ago), so the dashboard's trends have months to show and a previous year to compare with: most find
        nothing; the others order rectification, served and closed item by item — on time, or late after the
        order was marked overdue. Every order is closed: none of it waits in anyone's queue."""
        inspector = self.user("edu_inspector")
        # Institutions the casework above left alone, each visited again every few months (as a county would).
        operating = [i for i in self.institutions if i.operating_state == OperatingState.OPERATING]
        pool = [i for i in operating if i.pk not in self.used][:12] or operating[:12]
        for month in range(14):
            for number in range(1 + month % 2):
                days = 75 + 30 * month + 9 * number
                institution = pool[(2 * month + number) % len(pool)]
                visit, at = self.plan(institution, days_ago=days), self.ago(days)
                fails = (month + number) % 3
                self.inspect(visit, at=at, fails=fails)
                # A problem item is stamped when it is inserted (created_at, auto_now_add), whatever the service's
                # clock: dated back to its visit, as it would have been found then (the bench does the same).
                ProblemItem.objects.filter(visit=visit).update(created_at=at + datetime.timedelta(hours=1))
                self.outcome(visit, VisitOutcome.RECTIFICATION if fails else VisitOutcome.NO_PROBLEM, at)
                if not fails:
                    continue
                order, approved = self.order(visit, at=at, deadline_days=20)
                served = approved + datetime.timedelta(days=1)
                penalties.order_serve(actor=inspector, order_id=order.pk, data=self.serve_data(served), now=served)
                late = month % 4 == 1
                if late:
                    order.refresh_from_db()
                    penalties.order_mark_overdue(order=order, now=served + datetime.timedelta(days=25))
                closed = served + datetime.timedelta(days=35 if late else 12)
                for item in order.items.order_by("position"):
                    penalties.order_item_close(actor=inspector, item_id=item.pk, method=ClosingMethod.REINSPECTION,
                                               note="复查确认已整改到位。", now=closed)

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
        penalties.case_file(actor=head, case_id=case.pk, violation_ended_on=timezone.localdate(at),
                            now=opened + datetime.timedelta(days=1))
        penalties.case_investigate(actor=inspector, case_id=case.pk, now=opened + datetime.timedelta(days=2))
        self.penalty_cases()

    # ---- penalty cases at every step of the procedure (issue 12) --------------------------------------
    def _case(self, *, target: str, days_ago: int, penalties_rows, summary: str, outcome="penalty", hearing=False,
              income=None, source=CaseSource.COMPLAINT, social_impact=False):
        """A case opened `days_ago` days ago and walked through the services to `target` on a realistic
        timeline: filed the next day, investigated for a week, told, served, decided after the statement period."""
        inspector, head = self.user("edu_inspector"), self.user("edu_head")
        institution = self.pick()
        self.used.add(institution.pk)
        t = self.ago(days_ago)
        step = lambda days, hours=0: t + datetime.timedelta(days=days, hours=hours)  # noqa: E731
        case = penalties.case_open(actor=inspector, institution_id=institution.pk, source=source, summary=summary,
                                   source_reference=f"JB{self.today:%Y}-{len(self.used):04d}", now=t)
        order = ["lead", "preliminary_review", "filed", "investigation", "investigated", "proposed", "told", "served",
                 "hearing", "heard", "reviewed", "decided", "decision_served", "paid", "executed", "closed"]
        reach = order.index(target)

        def upto(name):
            return reach >= order.index(name)

        if upto("preliminary_review"):
            penalties.case_review(actor=inspector, case_id=case.pk, now=step(0, 1))
        if upto("filed"):
            penalties.case_file(actor=head, case_id=case.pk, violation_ended_on=timezone.localdate(t)
                                - datetime.timedelta(days=20), now=step(1))
        if upto("investigation"):
            penalties.case_investigate(actor=inspector, case_id=case.pk, now=step(2))
            penalties.case_record_add(
                actor=inspector, case_id=case.pk, kind="on_site", started_at=step(2), ended_at=step(2, 1),
                place=institution.address or "机构经营场所", officers="王志强（37010201）、李秀梅（37010202）",
                subject_name="机构负责人", subject_role="负责人", content="现场检查发现在培学员14名，收费台账一本。",
                now=step(2, 2))
            penalties.case_record_add(
                actor=inspector, case_id=case.pk, kind="inquiry", started_at=step(3), ended_at=step(3, 1),
                place="区教育局询问室", officers="王志强（37010201）、李秀梅（37010202）", subject_name="机构负责人",
                subject_role="负责人", content="问：收费情况？答：共收取学费四万余元，已退还大部分。", now=step(3, 2))
        if upto("investigated"):
            taken, refunded = income or (None, None)
            penalties.case_conclude_investigation(
                actor=inspector, case_id=case.pk, income_taken=taken, refunds_made=refunded,
                report=summary + "经调查，事实清楚，证据确凿。", now=step(8))
        if upto("proposed"):
            penalties.case_adjudicate(actor=head, case_id=case.pk, outcome=outcome, reason="事实清楚，证据确凿。",
                                      penalties=penalties_rows if outcome == "penalty" else (), now=step(9))
        if upto("told"):
            penalties.case_notify_rights(actor=inspector, case_id=case.pk, now=step(10))
        if upto("served"):
            penalties.case_serve_rights_notice(actor=inspector, case_id=case.pk, data=self.serve_data(step(10, 3)),
                                               now=step(10, 4))
        served_on = timezone.localdate(step(10, 3))
        decide_at = step(18)
        if hearing and upto("hearing"):
            penalties.hearing_request(actor=inspector, case_id=case.pk, requested_on=served_on + datetime.timedelta(1),
                                      now=step(11))
            hearing_day = add_working_days(served_on + datetime.timedelta(1), 8)
            penalties.hearing_notify(
                actor=inspector, case_id=case.pk, scheduled_for=datetime.datetime.combine(
                    hearing_day, datetime.time(9), tzinfo=timezone.get_current_timezone()),
                place="历下区教育局三楼会议室", chair=self.user("edu_inspector2"), members="记录员：刘晓燕",
                notice_served_on=served_on + datetime.timedelta(1), now=step(11, 2))
            if upto("heard"):
                held = datetime.datetime.combine(hearing_day, datetime.time(10), tzinfo=timezone.get_current_timezone())
                penalties.hearing_hold(actor=inspector, case_id=case.pk, party_signed=True, now=held,
                                       record="调查人员陈述事实和证据；当事人申辩称已退还全部费用，请求从轻处理。")
                penalties.hearing_report(actor=self.user("edu_inspector2"), case_id=case.pk,
                                         report="当事人申辩理由不能成立，建议维持拟处罚意见。",
                                         now=held + datetime.timedelta(hours=3))
                decide_at = held + datetime.timedelta(days=2)
        elif upto("hearing"):
            penalties.case_record_statement(actor=inspector, case_id=case.pk,
                                            statement="对违法事实无异议，请求从轻处罚。",
                                            now=step(11))
        if upto("reviewed"):
            penalties.legal_review_record(actor=self.user("joint_office"), case_id=case.pk, conclusion="agree",
                                          opinion="事实清楚，证据确凿，程序合法，适用依据正确，处罚适当。",
                                          now=decide_at)
            penalties.discussion_record(actor=head, case_id=case.pk, held_at=decide_at,
                                        attendees="张建国、李秀梅、刘晓燕",
                                        conclusion="同意拟处罚意见。", now=decide_at)
        if upto("decided"):
            kind = "no_penalty" if outcome == "no_penalty" else "penalty"
            penalties.case_decide(
                actor=head, case_id=case.pk, facts=summary, penalties=penalties_rows if kind == "penalty" else (),
                kind=kind, no_penalty_ground="first_minor" if kind == "no_penalty" else "",
                statement_adopted=False, statement_reasons="当事人所述情节不属于法定从轻情形。",
                correction_order="立即停止违规培训行为，并于十五日内整改到位。", social_impact=social_impact,
                now=decide_at + datetime.timedelta(hours=1))
        if upto("decision_served"):
            penalties.case_serve(actor=inspector, case_id=case.pk, data=self.serve_data(step(21 if hearing else 19)),
                                 now=step(21 if hearing else 19))
        return case

    def penalty_cases(self) -> None:
        """One case at every step (the investigation case above is the fourth), a hearing case, the branches."""
        p = {(row.law, row.article): row.pk for row in Provision.objects.filter(paragraph="")}
        art18 = p[("校外培训行政处罚暂行办法", "第十八条")]
        art62 = p[("民办教育促进法", "第六十二条")]
        fine = [{"kind": "warning", "provision_id": art18}, {"kind": "fine", "amount": Decimal("20000"),
                                                              "provision_id": art18}]
        revoke = [{"kind": "warning", "provision_id": art62}, {"kind": "licence_revocation", "provision_id": art62}]
        LegalQualification.objects.get_or_create(user=self.user("joint_office"),
                                                 defaults={"certificate": "A20183701020001", "granted_on": self.today})
        self._case(target="lead", days_ago=1, penalties_rows=fine, summary="举报该机构在居民楼内开展学科类培训。")
        self._case(target="preliminary_review", days_ago=3, penalties_rows=fine, summary="举报该机构超前超标培训。")
        self._case(target="filed", days_ago=4, penalties_rows=fine, summary="检查发现聘用无教师资格人员。")
        self._case(target="investigated", days_ago=12, penalties_rows=fine, income=(Decimal("46580"), Decimal("43580")),
                   summary="未经审批擅自开展学科类校外培训。")
        self._case(target="proposed", days_ago=14, penalties_rows=fine, summary="以“托管”名义开展学科类培训。")
        self._case(target="told", days_ago=15, penalties_rows=fine, summary="以“研学”名义有偿组织学科类培训。")
        self._case(target="served", days_ago=11, penalties_rows=fine, summary="通过直播平台有偿开展学科类培训。")
        self._case(target="hearing", days_ago=13, penalties_rows=revoke, hearing=True,
                   summary="出租、出借办学许可证。")
        self._case(target="reviewed", days_ago=32, penalties_rows=revoke, hearing=True,
                   summary="发布虚假招生广告，骗取钱财。")
        # Decisions with social impact (行政处罚法 Art 48): one awaiting publication, one published, one
        # published, then changed on administrative review (its publication due for withdrawal), and one
        # annulled by a court and withdrawn.
        self._case(target="decided", days_ago=20, penalties_rows=fine, summary="在宾馆内有偿开展学科类培训。",
                   social_impact=True)
        published = self._case(target="decision_served", days_ago=22, penalties_rows=fine, social_impact=True,
                               summary="以“家政服务”名义开展学科类培训。")
        self._publish(published, at=self.ago(2))
        changed = self._case(target="decision_served", days_ago=50, penalties_rows=fine, social_impact=True,
                             summary="以“夏令营”名义有偿开展学科类培训。")
        self._publish(changed, at=self.ago(30))
        penalties.decision_record_revision(
            actor=self.user("edu_head"), case_id=changed.pk, revision="changed", body_kind="review",
            body="济南市历下区人民政府", revised_on=timezone.localdate(self.ago(1)),
            reference=f"历政复决字〔{self.today.year}〕第7号", note="罚款数额变更为一万元。", now=self.ago(1))
        # Published, annulled by a court and taken down: open data keeps it as a withdrawal.
        annulled = self._case(target="decision_served", days_ago=90, penalties_rows=fine, social_impact=True,
                              summary="以“托育服务”名义开展学科类培训。")
        self._publish(annulled, at=self.ago(70))
        penalties.decision_record_revision(
            actor=self.user("edu_head"), case_id=annulled.pk, revision="annulled", body_kind="court",
            body="济南市历下区人民法院", revised_on=timezone.localdate(self.ago(6)),
            reference=f"（{self.today.year}）鲁0102行初15号", note="认定事实不清，判决撤销。", now=self.ago(6))
        publications.publication_withdraw(
            publication_id=DecisionPublication.objects.get(source_type=PublicationSource.PENALTY_DECISION,
                                                           source_id=str(annulled.pk)).pk,
            actor=self.user("edu_head"), now=self.ago(5))
        # 限制从业 of a teacher (the person named with the ID): on the teacher black list by the decision itself;
        # one decision changed on review to a shorter period, one annulled by a court (its ban lifted).
        art20 = p[("校外培训行政处罚暂行办法", "第二十条")]
        for serial, (name, summary, revision) in enumerate([
            ("刘某", "在职中小学教师在校外培训机构有偿授课。", None),
            ("赵某", "在职教师组织学生到校外有偿补课。", "changed"),
            ("钱某", "举报在职教师有偿补课，复议后撤销。", "annulled"),
        ], start=1):
            first17 = f"3701021985{serial:02d}0{serial}12{serial}"[:17]
            restrict = [{"kind": "trade_restriction", "provision_id": art20, "period_months": 24,
                         "person_name": name, "person_id_number": first17 + id_number_check_char(first17)}]
            case = self._case(target="decision_served", days_ago=45 + serial, penalties_rows=restrict,
                              summary=summary)
            if revision:
                penalties.decision_record_revision(
                    actor=self.user("edu_head"), case_id=case.pk, revision=revision,
                    body_kind="review" if revision == "changed" else "court",
                    body="济南市历下区人民政府" if revision == "changed" else "济南市历下区人民法院",
                    revised_on=timezone.localdate(self.ago(2)),
                    reference=f"历政复决字〔{self.today.year}〕第{8 + serial}号", note="限制从业期限变更为十二个月。"
                    if revision == "changed" else "判决撤销原处罚决定。",
                    restriction_months=12 if revision == "changed" else None, now=self.ago(2))
        # Served months ago, the fine unpaid: the written reminder served, then the court applied to.
        overdue = self._case(target="decision_served", days_ago=215, penalties_rows=fine,
                             summary="以“思维训练”名义开展学科类培训。")
        inspector = self.user("edu_inspector")
        reminded = self.ago(180)
        penalties.case_remind(actor=inspector, case_id=overdue.pk, served_on=timezone.localdate(reminded), now=reminded)
        penalties.case_apply_enforcement(actor=inspector, case_id=overdue.pk, court="济南市历下区人民法院",
                                         now=self.now)
        executed = self._case(target="decision_served", days_ago=40, penalties_rows=fine,
                              summary="在写字楼内有偿开展学科类培训。")
        paid = self.ago(15)
        penalties.payment_record(actor=inspector, case_id=executed.pk, amount=Decimal("20000"),
                                 paid_on=timezone.localdate(paid), receipt="鲁财缴0012345", now=paid)
        penalties.case_execute(actor=inspector, case_id=executed.pk, note="罚款已缴清。", now=self.ago(14))
        closed = self._case(target="decision_served", days_ago=60, penalties_rows=fine,
                            summary="以“素质拓展”名义开展学科类培训。")
        paid = self.ago(35)
        penalties.payment_record(actor=inspector, case_id=closed.pk, amount=Decimal("20000"),
                                 paid_on=timezone.localdate(paid), receipt="鲁财缴0012001", now=paid)
        penalties.case_execute(actor=inspector, case_id=closed.pk, note="罚款已缴清。", now=self.ago(34))
        penalties.case_close(actor=self.user("edu_head"), case_id=closed.pk, report="处罚决定已执行完毕，予以结案。",
                             now=self.ago(30))
        no_penalty = self._case(target="decision_served", days_ago=30, penalties_rows=(), outcome="no_penalty",
                                summary="初次在节假日组织学科类培训，已及时改正。")
        penalties.case_close(actor=self.user("edu_head"), case_id=no_penalty.pk,
                             report="不予行政处罚决定已送达，结案。",
                             now=self.ago(5))
        for outcome, summary, extra in [("withdraw", "举报不实，违法事实不能成立。", {}),
                                        ("refer", "涉嫌以培训为名非法集资。",
                                         {"referred_to": "济南市公安局历下区分局"})]:
            case = self._case(target="investigated", days_ago=25, penalties_rows=(), summary=summary)
            penalties.case_adjudicate(actor=self.user("edu_head"), case_id=case.pk, outcome=outcome, reason=summary,
                                      now=self.ago(10), **extra)
        dropped = self._case(target="preliminary_review", days_ago=6, penalties_rows=(),
                             summary="匿名举报，无具体线索。")
        penalties.case_drop(actor=self.user("edu_head"), case_id=dropped.pk, reason="经初核，无违法事实。",
                            now=self.ago(5))
        penalties.interview_record(
            actor=inspector, institution_id=self.pick().pk, held_at=self.ago(2, hour=15), place="历下区教育局会议室",
            staff="王志强、李秀梅", interviewees="机构法定代表人", said="指出其收费公示不规范、培训结束时间晚于21:00。",
            promised="三日内整改收费公示，严格执行培训时间规定。", now=self.ago(2, hour=16))

    def _publish(self, case, *, at) -> None:
        """The deciding department's head puts the case's decision on the public site."""
        publication = DecisionPublication.objects.get(source_type=PublicationSource.PENALTY_DECISION,
                                                      source_id=str(case.pk))
        publications.publication_publish(publication_id=publication.pk, actor=self.user("edu_head"), now=at)

    # ---- the weekly report, a week at each step of its sign-off -------------------------------------
    def weekly_reports(self) -> None:
        """Three complete Saturday–Friday weeks: sent (filled by the joint office, approved by the head),
        filled and waiting for review, and the last week still being written."""
        office, head = self.user("joint_office"), self.user("edu_head")
        zone = timezone.get_current_timezone()
        last_end = self.today - datetime.timedelta(days=(self.today.weekday() - 4) % 7 or 7)  # the last Friday
        narrative = {
            "progress": "本周开展联合检查，检查机构若干家，下达整改通知书并跟踪整改。",
            "problems": "部分机构以“托管”“研学”名义开展学科类培训，隐蔽性强。",
            "next_steps": "加大对居民小区、写字楼的巡查力度，依法查处违规培训。",
        }
        for weeks_back, target in ((2, WeeklyReportStatus.SENT), (1, WeeklyReportStatus.SUBMITTED),
                                   (0, WeeklyReportStatus.DRAFT)):
            week_end = last_end - datetime.timedelta(weeks=weeks_back)
            opened = min(datetime.datetime.combine(week_end, datetime.time(18), tzinfo=zone), self.now)
            report, _created = weekly.weekly_report_generate(region=self.region,
                                                             week_start=week_end - datetime.timedelta(days=6),
                                                             now=opened)
            filled = min(opened + datetime.timedelta(days=3, hours=-9), self.now)
            weekly.weekly_report_save(report_id=report.pk, actor=office, reporting_unit=report.reporting_unit,
                                      now=filled, **(narrative if target != WeeklyReportStatus.DRAFT
                                                     else {**narrative, "problems": "", "next_steps": ""}))
            if target == WeeklyReportStatus.DRAFT:
                continue
            weekly.weekly_report_submit(report_id=report.pk, actor=office, now=filled)
            if target == WeeklyReportStatus.SENT:
                weekly.weekly_report_approve(report_id=report.pk, actor=head,
                                             now=min(filled + datetime.timedelta(hours=2), self.now))
        self.counts["weekly_reports"] = 3

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
    cases.weekly_reports()
    cases.history()  # last: the picks above stay what they were
    return cases.counts
