"""Supervised accounts: binding, bank statement import (every row or none, idempotent), charges."""

import datetime
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from institutions.funds import services
from institutions.funds.models import AlertKind, Charge, FundAlert, FundTransaction, StatementImport
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests.factories.funds import STATEMENT_HEADER, bank_format, bound_account, statement_csv, statement_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(users, institution):
    return bound_account(actor=users["education_head"], institution=institution)


def test_bind_masks_the_number_in_the_audit_trail(account):
    assert account.masked_number == "************5678"
    event = AuditEvent.objects.get(kind="fund_account.bound")
    assert "6228480012345678" not in str(event.after)


@pytest.mark.parametrize("number", ["123", "62284800abc45678", ""])
def test_bind_refuses_a_bad_number(users, institution, number):
    with pytest.raises(ServiceError):
        services.account_bind(actor=users["education_head"], institution_id=institution.pk,
                              bank_format_id=bank_format().pk, account_number=number,
                              opened_on=datetime.date(2025, 1, 1))


def test_an_account_number_bound_twice_is_refused(users, institution, account, regions):
    from tests.factories import InstitutionFactory

    other = InstitutionFactory(region=regions["township"])
    with pytest.raises(ServiceError):
        bound_account(actor=users["education_head"], institution=other)


def test_police_may_not_bind(users, institution):
    with pytest.raises(ActionForbidden):
        bound_account(actor=users["police_inspector"], institution=institution)


def test_import_and_reimport_is_idempotent(users, account):
    rows = statement_rows(30)
    first = services.statement_import(actor=users["education_head"], account_id=account.pk,
                                      uploaded_file=statement_csv(rows))
    assert (first.rows, first.new_rows, first.skipped_rows) == (30, 30, 0)
    account.refresh_from_db()
    assert account.balance == Decimal(rows[-1][4])
    again = services.statement_import(actor=users["education_head"], account_id=account.pk,
                                      uploaded_file=statement_csv(rows))
    assert (again.new_rows, again.skipped_rows) == (0, 30)
    # the next week's file starts from the last balance
    more = statement_rows(5, start_balance=account.balance, start=datetime.date(2025, 9, 10), prefix="TY")
    services.statement_import(actor=users["education_head"], account_id=account.pk, uploaded_file=statement_csv(more))
    assert FundTransaction.objects.filter(account=account).count() == 35
    assert FundTransaction.objects.filter(is_release=True).count() == 10 + 1


def _refused(users, account, upload):
    with pytest.raises(services.StatementRefused) as error:
        services.statement_import(actor=users["education_head"], account_id=account.pk, uploaded_file=upload)
    assert not FundTransaction.objects.exists() and not StatementImport.objects.exists()
    return error.value


def test_a_missing_column_or_another_banks_file_is_refused(users, account):
    error = _refused(users, account, statement_csv([r[:4] for r in statement_rows(3)], header=STATEMENT_HEADER[:4]))
    assert "账户余额" in error.message and "齐鲁银行" in error.message
    other = ["流水号", "日期", "金额", "余额"]
    assert "缺少列" in _refused(users, account, statement_csv([["A1", "2025-09-01", "1", "1"]], header=other)).message


def test_a_duplicate_reference_in_the_file_is_refused(users, account):
    rows = statement_rows(5)
    rows.append(rows[1])
    error = _refused(users, account, statement_csv(rows))
    assert any("重复" in reason for _n, reason in error.rows)


def test_a_reference_repeated_in_a_later_chunk_is_refused_naming_the_first_row(users, account, monkeypatch):
    from institutions.funds.services import statements

    monkeypatch.setattr(statements, "CHUNK_ROWS", 2)
    rows = statement_rows(5)
    repeat = list(rows[0])
    repeat[4] = f"{Decimal(rows[-1][4]) + Decimal(repeat[2]):.2f}"  # reconciles: only the reference is wrong
    rows.append(repeat)
    error = _refused(users, account, statement_csv(rows))
    assert error.rows == [(7, "流水号 TX0000000 与第 2 行重复")]


def test_a_repeat_across_chunks_is_refused_in_an_account_with_statements(users, account, monkeypatch):
    from institutions.funds.services import statements

    rows = statement_rows(6)
    services.statement_import(actor=users["education_head"], account_id=account.pk,
                              uploaded_file=statement_csv(rows[:2]))
    monkeypatch.setattr(statements, "CHUNK_ROWS", 2)
    repeat = list(rows[2])
    repeat[4] = f"{Decimal(rows[-1][4]) + Decimal(repeat[2] or 0) - Decimal(repeat[3] or 0):.2f}"
    error = _refused_keeping(users, account, statement_csv([*rows, repeat]), kept=2)
    assert error.rows == [(8, "流水号 TX0000002 与第 4 行重复")]


def _refused_keeping(users, account, upload, *, kept):
    with pytest.raises(services.StatementRefused) as error:
        services.statement_import(actor=users["education_head"], account_id=account.pk, uploaded_file=upload)
    assert FundTransaction.objects.count() == kept and StatementImport.objects.count() == 1
    return error.value


def test_chunks_reimport_and_extend_like_one_file(users, account, monkeypatch):
    from institutions.funds.services import statements

    monkeypatch.setattr(statements, "CHUNK_ROWS", 3)
    rows = statement_rows(7)
    services.statement_import(actor=users["education_head"], account_id=account.pk,
                              uploaded_file=statement_csv(rows[:4]))
    statement = services.statement_import(actor=users["education_head"], account_id=account.pk,
                                          uploaded_file=statement_csv(rows))
    assert (statement.rows, statement.new_rows, statement.skipped_rows) == (7, 3, 4)
    assert list(FundTransaction.objects.order_by("sequence").values_list("reference", flat=True)) == [
        row[0] for row in rows]
    account.refresh_from_db()
    assert account.balance == Decimal(rows[-1][4])


def test_a_balance_that_does_not_reconcile_is_refused_with_its_row(users, account):
    rows = statement_rows(6)
    rows[3][4] = "99999.00"
    error = _refused(users, account, statement_csv(rows))
    assert [n for n, _reason in error.rows] == [5, 6]  # row 5 is off, row 6 follows from the wrong balance
    assert "余额不符" in error.rows[0][1]


def test_a_reference_already_stored_with_other_values_is_refused(users, account):
    rows = statement_rows(3)
    services.statement_import(actor=users["education_head"], account_id=account.pk, uploaded_file=statement_csv(rows))
    changed = [list(r) for r in rows]
    changed[2][3] = "100.00"
    with pytest.raises(services.StatementRefused) as error:
        services.statement_import(actor=users["education_head"], account_id=account.pk,
                                  uploaded_file=statement_csv(changed))
    assert "已导入" in error.value.rows[0][1]
    assert FundTransaction.objects.count() == 3


@pytest.mark.parametrize("column,value", [(1, "2025/13/01"), (2, "abc"), (2, "NaN"), (2, "1e400"), (3, "")])
def test_unreadable_cells_are_refused(users, account, column, value):
    rows = statement_rows(3)
    rows[0][column] = value
    if column == 3:
        rows[0][2] = ""  # neither credit nor debit
    error = _refused(users, account, statement_csv(rows))
    assert error.rows[0][0] == 2


def test_wrong_file_types_are_refused(users, account):
    _refused(users, account, SimpleUploadedFile("a.pdf", b"%PDF"))
    _refused(users, account, SimpleUploadedFile("a.csv", b""))
    _refused(users, account, SimpleUploadedFile("a.csv", "\ufffe".encode("utf-16") + b"\xff\xfe\x00"))


def test_gbk_and_excel_statements(users, account):
    rows = statement_rows(4)
    services.statement_import(actor=users["education_head"], account_id=account.pk,
                              uploaded_file=statement_csv(rows, encoding="gb18030"))
    book = Workbook()
    book.active.append(STATEMENT_HEADER)
    for row in statement_rows(3, start_balance=Decimal(rows[-1][4]), start=datetime.date(2025, 9, 5), prefix="XL"):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    services.statement_import(actor=users["education_head"], account_id=account.pk,
                              uploaded_file=SimpleUploadedFile("s.xlsx", out.getvalue()))
    assert FundTransaction.objects.count() == 7


def test_several_thousand_rows_import_in_reasonable_memory(users, account):
    rows = statement_rows(5000)
    upload = statement_csv(rows)
    tracemalloc.start()
    statement = services.statement_import(actor=users["education_head"], account_id=account.pk, uploaded_file=upload)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert statement.new_rows == 5000
    assert peak < 200 * 1024 * 1024


def test_charges_checked_against_the_prepayment_rules(users, institution, account):
    ok = services.charge_record(actor=users["education_head"], institution_id=institution.pk,
                                paid_on=datetime.date(2025, 9, 1), amount="3000", class_hours=40,
                                covers_from=datetime.date(2025, 9, 1), covers_until=datetime.date(2025, 11, 30))
    assert ok.breaches == [] and not FundAlert.objects.exists()
    bad = services.charge_record(actor=users["education_head"], institution_id=institution.pk,
                                 paid_on=datetime.date(2025, 9, 1), amount="9800", class_hours=96,
                                 covers_from=datetime.date(2025, 9, 1), covers_until=datetime.date(2026, 6, 30),
                                 into_supervised_account=False)
    assert len(bad.breaches) == 4
    kinds = set(FundAlert.objects.values_list("kind", flat=True))
    assert kinds == {AlertKind.PREPAYMENT, AlertKind.OFF_ACCOUNT}


@pytest.mark.parametrize("field,value", [("amount", "-5"), ("amount", "NaN"), ("class_hours", "x"),
                                         ("covers_until", "2025-01-01")])
def test_bad_charges_are_refused(users, institution, field, value):
    data = {"paid_on": datetime.date(2025, 9, 1), "amount": "3000", "class_hours": 40,
            "covers_from": datetime.date(2025, 9, 1), "covers_until": datetime.date(2025, 11, 30)}
    data[field] = datetime.date.fromisoformat(value) if field == "covers_until" else value
    with pytest.raises(ServiceError):
        services.charge_record(actor=users["education_head"], institution_id=institution.pk, **data)
    assert not Charge.objects.exists()


def test_account_pages(education_head_client, police_inspector_client, institution, users):
    bank = bank_format()
    url = reverse("funds:account_edit", args=[institution.pk])
    bad = education_head_client.post(url, {"bank_format": bank.pk, "account_number": "12", "opened_on": "2025-03-01",
                                           "mode": "custody", "minimum_balance": "1000"})
    assert bad.status_code == 400 and "8 至 32 位数字" in bad.content.decode()
    response = education_head_client.post(url, {"bank_format": bank.pk, "account_number": "6228480012345678",
                                                "opened_on": "2025-03-01", "mode": "custody",
                                                "minimum_balance": "1000"})
    assert response.status_code == 302
    account = institution.supervised_account
    upload = reverse("funds:statement_upload", args=[account.pk])
    rows = statement_rows(3)
    rows[1][4] = "1.00"
    refused = education_head_client.post(upload, {"file": statement_csv(rows)})
    assert refused.status_code == 400 and "余额不符" in refused.content.decode()
    assert education_head_client.post(upload, {"file": statement_csv(statement_rows(3))}).status_code == 302
    page = education_head_client.get(reverse("funds:account_detail", args=[account.pk])).content.decode()
    assert "TX0000002" in page and "6228480012345678" not in page
    assert police_inspector_client.get(url).status_code == 403
    charge = education_head_client.post(reverse("funds:charge_create", args=[institution.pk]), {
        "source": "contract", "paid_on": "2025-09-01", "amount": "6000", "class_hours": "50",
        "covers_from": "2025-09-01", "covers_until": "2025-11-30", "into_supervised_account": "on"})
    assert charge.status_code == 302
    assert FundAlert.objects.filter(kind=AlertKind.PREPAYMENT).count() == 1


@pytest.mark.parametrize(("cell", "cents"), [
    (1234.56, 123456), (0.1 + 0.2, 30), (2980.0, 298000), (7, 700), (None, 0), ("", 0), (" - ", 0),
    ("1,234.5", 123450), ("-0.05", -5), (1.005, 100), ("2.675", 268),  # half to even at the cent, as Decimal rounds
])
def test_amount_cells_become_whole_cents(cell, cents):
    from institutions.funds.services.statements import _cents, money

    assert _cents(cell) == cents
    assert money(cents) == f"{Decimal(cents).scaleb(-2):.2f}"


@pytest.mark.parametrize("cell", ["abc", "1e999999999", float("nan"), float("inf"), "NaN"])
def test_amount_cells_that_are_no_number_are_refused(cell):
    from institutions.funds.services.statements import _cents

    with pytest.raises((ValueError, OverflowError, ArithmeticError)):
        _cents(cell)


def test_a_transaction_belongs_to_its_statements_account(users, account, regions):
    """The one foreign key of a transaction, (statement, account) -> the statement's (id, account), refuses a row
    whose account is not its statement's, and a statement or account that does not exist."""
    from django.db import IntegrityError, connection, transaction

    from tests.factories import InstitutionFactory

    services.statement_import(actor=users["education_head"], account_id=account.pk,
                              uploaded_file=statement_csv(statement_rows(2)))
    other = services.account_bind(actor=users["education_head"], institution_id=InstitutionFactory(
        region=regions["township"]).pk, bank_format_id=account.bank_format_id, account_number="6228480099998888",
        opened_on=datetime.date(2025, 3, 1))
    statement = StatementImport.objects.get(account=account)
    for account_id, statement_id in ((other.pk, statement.pk), (account.pk, statement.pk + 1000)):
        with pytest.raises(IntegrityError), transaction.atomic():
            FundTransaction.objects.create(account_id=account_id, statement_id=statement_id, reference="X1",
                                           booked_on=datetime.date(2025, 9, 1), amount=1, balance_after=1, sequence=9)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert FundTransaction.objects.count() == 2
