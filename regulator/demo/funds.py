"""Filings and fund supervision for the demo (`load_demo`): filed classes and fee standards, supervised accounts
with statements in two banks' own columns, charges, every kind of fund alert (the daily job run once) and the
institutions' risk levels — all in 历下区 and all through the app's services."""

import csv
import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from institutions.funds import rules, services
from institutions.funds.models import BankFormat, CourseStatus, GuidedPrice, SupervisionMode
from institutions.funds.risk import risk_assess
from institutions.models import Category, Institution, LicenceStanding, OperatingState, StudentStage, Teacher
from publicity import services as report_services
from publicity.models import ReportTopic
from regulator.demo.regions import MAIN_COUNTY
from regulator.models import Region, User

BANKS = [
    {"bank": "齐鲁银行", "reference_column": "交易流水号", "date_column": "交易日期", "credit_column": "贷方发生额",
     "debit_column": "借方发生额", "balance_column": "账户余额", "counterparty_column": "对方户名",
     "memo_column": "摘要", "date_format": "%Y-%m-%d"},
    {"bank": "中国建设银行", "reference_column": "账户明细编号", "date_column": "交易时间", "credit_column": "收入",
     "debit_column": "支出", "balance_column": "余额", "counterparty_column": "对方账户名称", "memo_column": "交易摘要",
     "date_format": "%Y%m%d"},
]


def _term(today: datetime.date) -> tuple[datetime.date, datetime.date, list[str]]:
    """A term of the coming months on Monday and Wednesday evenings, leaving out its rest days and school holidays."""
    starts = today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7)
    ends = starts + datetime.timedelta(days=90)
    schedule = rules.parse_schedule("周一 18:00-19:30；周三 18:00-19:30")
    skipped = [day.isoformat() for day, _entry in rules.lesson_dates(starts_on=starts, ends_on=ends,
                                                                       schedule=schedule, skipped=set())
               if rules.is_rest_day(day) or rules.in_school_holiday(day)]
    return starts, ends, sorted(set(skipped))


def _statement(bank: BankFormat, rows: list[tuple]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([bank.reference_column, bank.date_column, bank.credit_column, bank.debit_column,
                     bank.balance_column, bank.counterparty_column, bank.memo_column])
    balance = Decimal(0)
    for reference, day, amount, party, memo in rows:
        balance += amount
        writer.writerow([reference, day.strftime(bank.date_format), f"{amount:.2f}" if amount > 0 else "",
                         f"{-amount:.2f}" if amount < 0 else "", f"{balance:.2f}", party, memo])
    return SimpleUploadedFile(f"{bank.bank}流水.csv", out.getvalue().encode("utf-8-sig"), content_type="text/csv")


def load_funds() -> dict:
    today = timezone.localdate()
    inspector = User.objects.get(username="edu_inspector")
    head = User.objects.get(username="edu_head")
    province = Region.objects.get(code=MAIN_COUNTY[:2])
    for stage, price in ((StudentStage.COMPULSORY, "80"), (StudentStage.SENIOR_HIGH, "100")):
        for delivery in ("offline", "online"):
            GuidedPrice.objects.get_or_create(region=province, stage=stage, delivery=delivery,
                                              valid_from=datetime.date(2022, 1, 1),
                                              defaults={"max_fee_per_hour": Decimal(price) * (
                                                  Decimal("0.8") if delivery == "online" else 1),
                                                  "reference": "鲁发改价格〔2022〕第1号（示例）"})
    # Rows of one subject: the province's for English, the county's own table for mathematics (the most specific
    # row applies: a 历下区 mathematics class is held to 65, an English class elsewhere in the province to 75).
    county = Region.objects.get(code=MAIN_COUNTY)
    for region, subject, price in ((province, "英语", "75"), (county, "数学", "65")):
        GuidedPrice.objects.get_or_create(region=region, stage=StudentStage.COMPULSORY, delivery="offline",
                                          subject=subject, valid_from=datetime.date(2023, 9, 1),
                                          defaults={"max_fee_per_hour": Decimal(price),
                                                    "reference": "学科类培训政府指导价（示例）"})
    banks = [BankFormat.objects.get_or_create(bank=b["bank"], defaults=b)[0] for b in BANKS]
    # Classes are filed only for institutions whose school-running licence is in force (services.licence_problems).
    institutions = list(Institution.objects.filter(region__code__startswith=MAIN_COUNTY, category=Category.ACADEMIC,
                                                   operating_state=OperatingState.OPERATING,
                                                   licence_standing__in=(LicenceStanding.BOTH,
                                                                         LicenceStanding.SCHOOL_ONLY))
                        .order_by("pk")[:4])
    starts, ends, skipped = _term(today)
    courses = 0
    for index, institution in enumerate(institutions):
        teachers = list(Teacher.objects.filter(institution=institution, is_in_service_teacher=False)
                        .exclude(qualification_number="").values_list("pk", flat=True)[:2])
        for number, (subject, fee, decision) in enumerate((("数学", "60", CourseStatus.FILED),
                                                           ("英语", "55", CourseStatus.FILED),
                                                           ("物理", "70", None))):
            course = services.course_submit(actor=inspector, institution_id=institution.pk, data={
                "name": f"八年级{subject}同步班（{number + 1}期）", "subject": subject, "category": Category.ACADEMIC,
                "stage": StudentStage.COMPULSORY, "grade": "八年级", "delivery": "offline",
                "syllabus": f"人教版八年级{subject}同步辅导，不超纲不超前。", "starts_on": starts, "ends_on": ends,
                "schedule": "周一 18:00-19:30；周三 18:00-19:30", "skipped_dates": ",".join(skipped),
                "lesson_minutes": 45, "class_hours": 48, "class_size": 20 + index, "fee_per_hour": fee,
                "teachers": teachers})
            if decision == CourseStatus.FILED and index < 3:
                services.course_review(actor=head, course_id=course.pk, decision=decision)
            elif index == 3 and number == 0:
                services.course_review(actor=head, course_id=course.pk, decision=CourseStatus.RETURNED,
                                       reason="请补充培训材料（教材目录及课件）。")
            courses += 1
    transactions = 0
    start = today - datetime.timedelta(days=40)
    for index, institution in enumerate(institutions[:3]):
        bank = banks[index % 2]
        account = services.account_bind(actor=head, institution_id=institution.pk, bank_format_id=bank.pk,
                                        account_number=f"62284800{index:02d}1234567{index}",
                                        opened_on=today - datetime.timedelta(days=200),
                                        mode=SupervisionMode.RISK_DEPOSIT if index == 2 else SupervisionMode.CUSTODY,
                                        minimum_balance="25000" if index == 1 else "5000")
        rows, n = [], 0
        for day in range(30):
            date = start + datetime.timedelta(days=day)
            for _ in range(2):
                n += 1
                rows.append((f"D{index}{n:06d}", date, Decimal("1800.00"), f"家长{n}", "学费"))
            if index != 0 or day < 14:  # the first institution stops releasing fees for lessons (卷钱跑路)
                n += 1
                rows.append((f"D{index}{n:06d}", date, Decimal("-900.00"), "机构结算户", "消课划拨"))
        if index == 1:
            n += 1
            rows.append((f"D{index}{n:06d}", start + datetime.timedelta(days=31), Decimal("-60000.00"),
                         "某商贸有限公司", "转账"))
        statement = services.statement_import(actor=head, account_id=account.pk, uploaded_file=_statement(bank, rows))
        transactions += statement.new_rows
    if institutions:
        first = institutions[0]
        services.charge_record(actor=head, institution_id=first.pk, paid_on=today - datetime.timedelta(days=20),
                               amount="3600", class_hours=48, covers_from=starts, covers_until=ends,
                               reference="HT2025-0001")
        services.charge_record(actor=head, institution_id=first.pk, paid_on=today - datetime.timedelta(days=18),
                               amount="8800", class_hours=96, covers_from=today,
                               covers_until=today + datetime.timedelta(days=180), reference="HT2025-0002")
        services.charge_record(actor=head, institution_id=institutions[-1].pk,
                               paid_on=today - datetime.timedelta(days=10), amount="2400", class_hours=30,
                               covers_from=today, covers_until=today + datetime.timedelta(days=60),
                               source="parent_report", into_supervised_account=False)
    if len(institutions) > 1:
        # A parent's public report of a fee paid to a personal account (收费未进入监管账户), with a name and phone
        # that only the handling department may see: the alert job raises it without them.
        report = report_services.report_file(
            region=None, institution=institutions[1], topic=ReportTopic.OFF_ACCOUNT,
            content="报名时老师让把学费转到负责人个人微信，说这样有优惠，没有开收据。",
            charge={"amount": "4200", "paid_on": today - datetime.timedelta(days=5), "payee": "负责人个人微信（王某）"},
            reporter_name="李女士", reporter_phone="13800005678")
        # assigned to the county's education bureau and being verified (核查中): its head may reveal the reporter
        # under the report's rules; the fund alert never shows it
        report_services.report_assign(report_id=report.pk, actor=User.objects.get(username="joint_office"),
                                      department=head.department, note="涉及预收费资金监管，请核查。")
        report_services.report_verify(report_id=report.pk, actor=head, note="调取家长转账记录与机构收据核对。")
    alerts = services.alerts_compute() or 0
    risk_assess()
    return {"courses": courses, "transactions": transactions, "alerts": alerts}
