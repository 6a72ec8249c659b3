"""Supervised accounts (资金监管账户): binding, bank statements imported from the bank's own file (mapped once per
bank in BankFormat), and charges checked against the prepayment rules.

A statement file is imported whole or not at all: a missing column (often another bank's file), an unreadable
date or amount, a reference repeated in the file or already stored with other values, or a balance that does not
follow from the previous one refuses the file, each refused row with its Chinese reason. Rows already imported
with the same values are skipped, so the same file imported twice adds nothing.
"""

import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from institutions.models import Institution
from publicity.cache import bump_version
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from .. import conf, permissions, rules
from ..audit_kinds import FundsAuditKind
from ..models import BankFormat, Charge, ChargeSource, FundAccount, FundTransaction, StatementImport, SupervisionMode
from .alerts import alert_raise, charge_alerts
from .common import acting_department, now_or, snap

_ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,32}$")


def _money(value, field, *, allow_negative=False) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
        amount = amount.quantize(Decimal("0.01")) if amount.is_finite() else amount
    except (InvalidOperation, ValueError):
        raise ServiceError(_("金额“%(v)s”无法识别。") % {"v": value}, field=field) from None
    if not amount.is_finite() or (amount < 0 and not allow_negative) or abs(amount) >= Decimal("1e12"):
        raise ServiceError(_("金额“%(v)s”超出范围。") % {"v": value}, field=field)
    return amount


@transaction.atomic
def account_bind(*, actor, institution_id: int, bank_format_id: int, account_number: str, opened_on,
                 mode: str = SupervisionMode.CUSTODY, minimum_balance=0, now=None) -> FundAccount:
    """Bind (or change) an institution's supervised account and its minimum balance."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_keep_account(actor, institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以绑定资金监管账户。"))
    account_number = re.sub(r"\s+", "", account_number or "")
    if not _ACCOUNT_NUMBER.match(account_number):
        raise ServiceError(_("银行账号应为 8 至 32 位数字。"), field="account_number")
    bank = BankFormat.objects.filter(pk=bank_format_id).first()
    if bank is None:
        raise ServiceError(_("请选择监管银行。"), field="bank_format")
    if mode not in SupervisionMode.values:
        raise ServiceError(_("请选择监管方式。"), field="mode")
    if not isinstance(opened_on, datetime.date):
        raise ServiceError(_("请填写开户日期。"), field="opened_on")
    minimum = _money(minimum_balance or 0, "minimum_balance")
    if FundAccount.objects.filter(bank_format=bank, account_number=account_number).exclude(
            institution=institution).exists():
        raise ServiceError(_("该银行账号已绑定其他机构。"), field="account_number")
    account = FundAccount.objects.select_for_update().filter(institution=institution).first()
    now = now_or(now)
    before = snap(account) if account else None
    if account is None:
        account = FundAccount(institution=institution, created_by=actor,
                              department=acting_department(actor, institution))
    elif account.bank_format_id != bank.pk and account.transactions.exists():
        raise ServiceError(_("该账户已有导入的流水，不能更换银行；请先解除后重新绑定。"), field="bank_format")
    account.bank_format = bank
    account.account_number = account_number
    account.opened_on = opened_on
    account.mode = mode
    account.minimum_balance = minimum
    account.updated_by = actor
    account.save()
    if before is None:
        transaction.on_commit(bump_version)  # the public institution page says whether it has an account
    record_event(actor=actor, kind=FundsAuditKind.ACCOUNT_UPDATED if before else FundsAuditKind.ACCOUNT_BOUND,
                 obj=account, institution_id=institution.pk, before=_masked(before), after=_masked(snap(account)),
                 summary=_("资金监管账户：%(bank)s %(number)s") % {"bank": bank, "number": account.masked_number},
                 now=now)
    return account


def _masked(data):
    if data and data.get("account_number"):
        number = data["account_number"]
        data = {**data, "account_number": "*" * (len(number) - 4) + number[-4:]}
    return data


# ---- bank statements ---------------------------------------------------------------------------------------


class StatementRefused(ServiceError):
    """The statement file was not imported; `rows` lists (row number, reason)."""

    def __init__(self, message, rows=()):
        super().__init__(message)
        self.rows = list(rows)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementRefused(_("文件编码无法识别（应为 UTF-8 或 GBK）。"))


def read_statement(uploaded_file) -> tuple[list[str], list[list]]:
    """The header and rows of a CSV or .xlsx statement file."""
    name = (uploaded_file.name or "").lower()
    if uploaded_file.size == 0:
        raise StatementRefused(_("文件是空的。"))
    if uploaded_file.size > conf.get("FUNDS_STATEMENT_MAX_BYTES"):
        raise StatementRefused(_("文件超过大小上限，请分批导入。"))
    if name.endswith(".csv"):
        text = _decode(uploaded_file.read())
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    elif name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(uploaded_file, read_only=True, data_only=True)
        except Exception as error:  # a damaged or foreign file
            raise StatementRefused(_("文件无法作为 Excel 工作簿读取。")) from error
        try:
            iterator = workbook.worksheets[0].iter_rows(values_only=True)
            header = ["" if cell is None else str(cell) for cell in next(iterator, ())]
            rows = [list(row) for row in iterator if any(cell not in (None, "") for cell in row)]
        finally:
            workbook.close()
    else:
        raise StatementRefused(_("只能导入银行导出的 CSV 或 Excel（.xlsx）文件。"))
    if len(rows) > conf.get("FUNDS_STATEMENT_MAX_ROWS"):
        raise StatementRefused(_("一个文件最多 %(n)s 行。") % {"n": conf.get("FUNDS_STATEMENT_MAX_ROWS")})
    return [str(h).strip() for h in header], rows


def _date(value, fmt: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.datetime.strptime(str(value).strip(), fmt).date()


def _amount_or_zero(value) -> Decimal:
    if value is None or str(value).strip() in ("", "-"):
        return Decimal(0)
    amount = Decimal(str(value).replace(",", "").strip())
    if not amount.is_finite():
        raise ValueError(value)
    return amount.quantize(Decimal("0.01"))


def parse_statement(bank: BankFormat, header: list[str], rows: list[list]) -> tuple[list[dict], list]:
    """Typed rows in file order, and (row number, reason) for each row that cannot be read."""
    missing = [column for column in bank.required_columns if column not in header]
    if missing:
        raise StatementRefused(_("文件缺少列：%(cols)s。该文件可能不是%(bank)s的流水格式。")
                               % {"cols": "、".join(missing), "bank": bank.bank})
    index = {name: position for position, name in enumerate(header)}
    words = conf.get("FUNDS_RELEASE_MEMO_WORDS")

    def cell(row, column):
        position = index.get(column) if column else None
        return row[position] if position is not None and position < len(row) else None

    parsed, refused = [], []
    for number, row in enumerate(rows, start=2):
        reference = str(cell(row, bank.reference_column) or "").strip()
        try:
            if not reference or len(reference) > 60:
                raise ValueError(_("流水号为空或过长"))
            try:
                booked_on = _date(cell(row, bank.date_column), bank.date_format)
            except (TypeError, ValueError):
                raise ValueError(_("交易日期“%(v)s”无法识别") % {"v": cell(row, bank.date_column)}) from None
            try:
                credit = _amount_or_zero(cell(row, bank.credit_column))
                debit = _amount_or_zero(cell(row, bank.debit_column))
                balance = _amount_or_zero(cell(row, bank.balance_column))
            except (InvalidOperation, ValueError):
                raise ValueError(_("金额或余额无法识别")) from None
            if credit < 0 or debit < 0 or (credit and debit) or not (credit or debit):
                raise ValueError(_("收入、支出应只填一项且为正数"))
            if max(abs(credit), abs(debit), abs(balance)) >= Decimal("1e12"):
                raise ValueError(_("金额超出范围"))
        except ValueError as error:
            refused.append((number, str(error)))
            continue
        memo = str(cell(row, bank.memo_column) or "").strip()[:200]
        parsed.append({
            "row": number, "reference": reference, "booked_on": booked_on, "amount": credit - debit,
            "balance_after": balance, "counterparty": str(cell(row, bank.counterparty_column) or "").strip()[:120],
            "memo": memo, "is_release": credit == 0 and any(word in memo for word in words),
        })
    return parsed, refused


def _same(stored: FundTransaction, row: dict) -> bool:
    return (stored.booked_on == row["booked_on"] and stored.amount == row["amount"]
            and stored.balance_after == row["balance_after"])


@transaction.atomic
def statement_import(*, actor, account_id: int, uploaded_file, now=None) -> StatementImport:
    account = FundAccount.objects.select_for_update().select_related("institution", "bank_format").get(pk=account_id)
    if not permissions.can_keep_account(actor, account.institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以导入银行流水。"))
    header, rows = read_statement(uploaded_file)
    if not rows:
        raise StatementRefused(_("文件中没有流水记录。"))
    parsed, refused = parse_statement(account.bank_format, header, rows)
    seen: dict[str, dict] = {}
    for row in parsed:
        if row["reference"] in seen:
            refused.append((row["row"], _("流水号 %(ref)s 与第 %(n)s 行重复")
                            % {"ref": row["reference"], "n": seen[row["reference"]]["row"]}))
        else:
            seen[row["reference"]] = row
    stored = {}
    references = list(seen)
    for start in range(0, len(references), 5000):
        for tx in FundTransaction.objects.filter(account=account, reference__in=references[start:start + 5000]).only(
                "reference", "booked_on", "amount", "balance_after"):
            stored[tx.reference] = tx
    new_rows = []
    last = account.transactions.order_by("-sequence").only("balance_after", "sequence", "booked_on").first()
    balance = last.balance_after if last else None
    for row in parsed:
        if seen.get(row["reference"]) is not row:
            continue
        if row["reference"] in stored:
            if not _same(stored[row["reference"]], row):
                refused.append((row["row"], _("流水号 %(ref)s 已导入，但日期、金额或余额与已导入的记录不同")
                                % {"ref": row["reference"]}))
            continue
        if last and row["booked_on"] < last.booked_on:
            refused.append((row["row"], _("交易日期早于已导入的最后一笔流水（%(d)s）") % {"d": last.booked_on}))
            continue
        if balance is not None and balance + row["amount"] != row["balance_after"]:
            refused.append((row["row"], _("余额不符：上笔余额 %(prev)s + 本笔 %(amount)s ≠ 余额 %(bal)s")
                            % {"prev": balance, "amount": row["amount"], "bal": row["balance_after"]}))
        balance = row["balance_after"]
        new_rows.append(row)
    if refused:
        refused.sort()
        raise StatementRefused(_("有 %(n)s 行不符合要求，整个文件未导入。") % {"n": len(refused)}, refused)
    now = now_or(now)
    statement = StatementImport.objects.create(
        account=account, original_name=(uploaded_file.name or "")[:200], rows=len(parsed), new_rows=len(new_rows),
        skipped_rows=len(parsed) - len(new_rows), closing_balance=balance, created_by=actor, updated_by=actor)
    sequence = last.sequence if last else 0
    batch = []
    for row in new_rows:
        sequence += 1
        batch.append(FundTransaction(account=account, statement=statement, sequence=sequence, **{
            key: row[key] for key in ("reference", "booked_on", "amount", "balance_after", "counterparty", "memo",
                                      "is_release")}))
    try:
        FundTransaction.objects.bulk_create(batch, batch_size=2000)
    except IntegrityError:  # another import of the same rows committed first
        raise StatementRefused(_("该账户正在导入其他流水文件，请稍后再试。")) from None
    if new_rows:
        account.balance = balance
        account.balance_on = new_rows[-1]["booked_on"]
        account.updated_by = actor
        account.save(update_fields=["balance", "balance_on", "updated_by", "updated_at"])
    record_event(actor=actor, kind=FundsAuditKind.STATEMENT_IMPORTED, obj=statement,
                 institution_id=account.institution_id,
                 after={"rows": len(parsed), "new_rows": len(new_rows), "skipped_rows": len(parsed) - len(new_rows),
                        "balance": balance},
                 summary=_("导入银行流水 %(n)s 笔（新增 %(new)s 笔）") % {"n": len(parsed), "new": len(new_rows)},
                 now=now)
    return statement


# ---- charges -----------------------------------------------------------------------------------------------


@transaction.atomic
def charge_record(*, actor, institution_id: int, paid_on, amount, class_hours, covers_from, covers_until,
                  source: str = ChargeSource.CONTRACT, into_supervised_account: bool = True, reference: str = "",
                  course_id: int | None = None, now=None) -> Charge:
    """Record a charge (from a contract, a receipt or a parent's report) and raise an alert for each breach."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_keep_account(actor, institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以登记收费记录。"))
    if source not in ChargeSource.values:
        raise ServiceError(_("请选择来源。"), field="source")
    for field, value in (("paid_on", paid_on), ("covers_from", covers_from), ("covers_until", covers_until)):
        if not isinstance(value, datetime.date):
            raise ServiceError(_("请填写日期。"), field=field)
    if covers_until < covers_from:
        raise ServiceError(_("课程截止日期不能早于起始日期。"), field="covers_until")
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ServiceError(_("金额应大于 0。"), field="amount")
    try:
        class_hours = int(class_hours)
    except (TypeError, ValueError):
        raise ServiceError(_("请填写课时数。"), field="class_hours") from None
    if not 1 <= class_hours <= 10000:
        raise ServiceError(_("课时数应在 1 至 10000 之间。"), field="class_hours")
    course = None
    if course_id:
        course = institution.courses.filter(pk=course_id).first()
        if course is None:
            raise ServiceError(_("班次不属于该机构。"), field="course")
    breaches = rules.prepayment_breaches(amount=amount, class_hours=class_hours, covers_from=covers_from,
                                         covers_until=covers_until, into_supervised_account=into_supervised_account)
    now = now_or(now)
    charge = Charge.objects.create(
        institution=institution, course=course, source=source, paid_on=paid_on, amount=amount,
        class_hours=class_hours, covers_from=covers_from, covers_until=covers_until,
        into_supervised_account=into_supervised_account, breaches=breaches, reference=(reference or "").strip()[:60],
        created_by=actor, updated_by=actor)
    record_event(actor=actor, kind=FundsAuditKind.CHARGE_RECORDED, obj=charge, institution_id=institution.pk,
                 after={**snap(charge), "violations": breaches},
                 summary=_("登记收费 %(amount)s 元") % {"amount": amount}, now=now)
    for alert in charge_alerts(charge):
        alert_raise(actor=actor, now=now, **alert)
    return charge



