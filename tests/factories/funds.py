"""Filings and fund supervision, walked through their services: a class submitted or filed, an account bound
to a bank whose statement format is mapped, a statement file in that bank's columns."""

import csv
import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from institutions.funds import services
from institutions.funds.models import BankFormat, CourseStatus, GuidedPrice, SupervisionMode
from institutions.models import Category, StudentStage

# A term of autumn 2025 on Monday and Wednesday evenings; National Day (1–8 October) is skipped.
NOW = timezone.make_aware(datetime.datetime(2025, 8, 20, 10, 0))
NATIONAL_DAY_LESSONS = "2025-10-01,2025-10-06,2025-10-08"


def course_data(**overrides) -> dict:
    data = {
        "name": "初二数学提高班", "subject": "数学", "category": Category.ACADEMIC, "stage": StudentStage.COMPULSORY,
        "grade": "八年级", "delivery": "offline", "syllabus": "人教版八年级上册同步，不超纲不超前。",
        "starts_on": datetime.date(2025, 9, 8), "ends_on": datetime.date(2025, 12, 17),
        "schedule": "周一 18:00-19:30；周三 18:00-19:30", "skipped_dates": NATIONAL_DAY_LESSONS,
        "lesson_minutes": 45, "class_hours": 56, "class_size": 20, "fee_per_hour": "60", "fee_total": "",
        "teachers": [],
    }
    data.update(overrides)
    return data


def guided_price(region, *, stage=StudentStage.COMPULSORY, delivery="offline", max_fee="80", subject="",
                 valid_from=datetime.date(2025, 1, 1)):
    return GuidedPrice.objects.create(region=region, stage=stage, delivery=delivery, max_fee_per_hour=Decimal(max_fee),
                                      subject=subject, valid_from=valid_from, reference="鲁发改价格〔2022〕1号")


def submitted_course(*, actor, institution, now=NOW, **overrides):
    return services.course_submit(actor=actor, institution_id=institution.pk, data=course_data(**overrides), now=now)


def filed_course(*, actor, reviewer, institution, now=NOW, **overrides):
    course = submitted_course(actor=actor, institution=institution, now=now, **overrides)
    return services.course_review(actor=reviewer, course_id=course.pk, decision=CourseStatus.FILED, now=now)


def bank_format(bank="齐鲁银行") -> BankFormat:
    return BankFormat.objects.get_or_create(bank=bank, defaults={
        "reference_column": "交易流水号", "date_column": "交易日期", "credit_column": "贷方发生额",
        "debit_column": "借方发生额", "balance_column": "账户余额", "counterparty_column": "对方户名",
        "memo_column": "摘要"})[0]


def bound_account(*, actor, institution, minimum_balance="10000", mode=SupervisionMode.CUSTODY, bank=None):
    return services.account_bind(actor=actor, institution_id=institution.pk, bank_format_id=(bank or bank_format()).pk,
                                 account_number="6228480012345678", opened_on=datetime.date(2025, 3, 1), mode=mode,
                                 minimum_balance=minimum_balance)


STATEMENT_HEADER = ["交易流水号", "交易日期", "贷方发生额", "借方发生额", "账户余额", "对方户名", "摘要"]


def statement_rows(count: int, *, start_balance=Decimal("0"), start=datetime.date(2025, 9, 1), prefix="TX"):
    """`count` rows that reconcile: tuition in, lessons released out, one row a day."""
    balance, rows = start_balance, []
    for n in range(count):
        day = start + datetime.timedelta(days=n // 20)
        if n % 3 == 2:
            amount, credit, debit, memo, party = Decimal("-120.00"), "", "120.00", "消课划拨", "机构结算户"
        else:
            amount, credit, debit, memo, party = Decimal("1500.00"), "1500.00", "", "学费", f"家长{n}"
        balance += amount
        rows.append([f"{prefix}{n:07d}", day.isoformat(), credit, debit, f"{balance:.2f}", party, memo])
    return rows


def statement_csv(rows, *, header=STATEMENT_HEADER, name="statement.csv", encoding="utf-8-sig"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")
