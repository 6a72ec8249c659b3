"""Notifications (once per key, e-mailed once), document numbers (gap-free, rolled back with their
transaction), verification pages, and the official working-day calendar."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from regulator.calendar import add_working_days, is_working_day, working_days_between
from regulator.documents import format_document_number, next_document_number, register_document
from regulator.models import DocumentSequence, Notification, VerificationRecord
from regulator.notifications import notify

pytestmark = pytest.mark.django_db


def test_notify_once_per_key_and_email_once(users, django_capture_on_commit_callbacks):
    user = users["education_head"]
    user.email = "head@example.gov.cn"
    user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(recipient=user, key="order:1:overdue", subject="整改逾期", body="请处理")
        second = notify(recipient=user, key="order:1:overdue", subject="整改逾期", body="请处理")
    assert first is not None and second is None
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "整改逾期"
    first.refresh_from_db()
    assert first.emailed_at is not None
    from regulator.mail import send_email

    send_email(first.pk)
    assert len(mail.outbox) == 1


def test_document_numbers_are_gap_free_and_roll_back(departments):
    department = departments["education"]
    with transaction.atomic():
        assert next_document_number(department=department, kind="order", year=2026) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_document_number(department=department, kind="order", year=2026) == 2
        raise RuntimeError("approval failed")
    with transaction.atomic():
        assert next_document_number(department=department, kind="order", year=2026) == 2
        assert next_document_number(department=department, kind="order", year=2027) == 1
    assert DocumentSequence.objects.get(department=department, kind="order", year=2026).last_number == 2


def test_number_format_uses_the_official_brackets(departments):
    department = departments["education"]
    department.short_name = "历下教"
    assert format_document_number(department=department, kind_label="整改", year=2026, number=42) == (
        "历下教〔2026〕整改第0042号")


def test_verification_page_and_lookup(client, departments):
    department = departments["education"]
    record = register_document(obj=department, kind="order", number="历下教〔2026〕整改第0001号",
                               title="限期整改通知书", issuer_name=department.name, sha256="ab" * 32)
    page = client.get(record.get_absolute_url())
    assert page.status_code == 200 and "限期整改通知书" in page.content.decode() and "ab" * 32 in page.content.decode()
    found = client.get(reverse("verify_lookup"), {"number": "历下教〔2026〕整改第0001号"})
    assert "限期整改通知书" in found.content.decode()
    missing = client.get(reverse("verify_lookup"), {"number": "历下教〔2026〕整改第9999号"})
    assert "未找到" in missing.content.decode()
    assert client.get(reverse("verify", args=["guessed-token"])).status_code == 404
    assert len(record.token) >= 24
    assert VerificationRecord.objects.count() == 1


def test_official_calendar_knows_holidays_and_adjusted_working_days():
    assert not is_working_day(datetime.date(2026, 10, 1))  # National Day
    assert is_working_day(datetime.date(2026, 9, 28))  # an ordinary Monday
    # 2026-09-30 (Wed) + 1 working day jumps the National Day holiday
    assert add_working_days(datetime.date(2026, 9, 30), 1) > datetime.date(2026, 10, 7)
    assert working_days_between(datetime.date(2026, 9, 25), datetime.date(2026, 9, 30)) == 3


def test_years_beyond_the_calendar_fall_back_to_weekdays():
    assert add_working_days(datetime.date(2031, 1, 3), 1) == datetime.date(2031, 1, 6)  # Friday -> Monday
