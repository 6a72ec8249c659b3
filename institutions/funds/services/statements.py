"""Bank statements (银行流水) imported into a supervised account from the bank's own file (mapped once per bank in
BankFormat): CSV in UTF-8 or GBK, or .xlsx read by python-calamine.

A file is imported whole or not at all: a missing column (often another bank's file), an unreadable date or
amount, a reference repeated in the file or already stored with other values, a row dated before the last one
imported, or a balance that does not follow from the previous one refuses the file, each refused row with its
Chinese reason. Rows already imported with the same values are skipped, so the same file imported twice adds
nothing.

Streamed in chunks of CHUNK_ROWS: each chunk is read, checked against what is stored (one query) and written
(COPY on PostgreSQL, bulk_create elsewhere) inside the import's one transaction, which a refusal anywhere rolls
back; so the Python memory of an import does not grow with the file (bench/funds.py measures it: docs/funds.md).
Only the refusals (on a refused file) and 4 bytes per new row (its file row, to name a repeat) are kept.

Amounts go from the cell to the check as whole cents (int: a workbook's float cell is rounded once, a text through
Decimal) and into COPY as text, so no Decimal is made per cell; the table keeps only the indexes a query uses and
one foreign key per row (FundTransaction's docstring). A profile of 50,000 rows is in docs/funds.md.
"""

import codecs
import contextlib
import csv
import datetime
import gc
import io
import re
import zipfile
from array import array
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from itertools import batched

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from .. import conf, permissions
from ..audit_kinds import FundsAuditKind
from ..models import BankFormat, FundAccount, FundTransaction, StatementImport
from .common import now_or

CHUNK_ROWS = 5000
_LIMIT_CENTS = 10 ** 14  # 1e12 yuan
_CENT = Decimal("0.01")
_COLUMNS = ("account_id", "statement_id", "reference", "booked_on", "amount", "balance_after", "counterparty",
            "memo", "is_release", "sequence")


class StatementRefused(ServiceError):
    """The statement file was not imported; `rows` lists (row number, reason)."""

    def __init__(self, message, rows=()):
        super().__init__(message)
        self.rows = list(rows)


# ---- reading: (file row number, cells) one row at a time ---------------------------------------------------


def _encoding(uploaded_file) -> str:
    """UTF-8 (with or without BOM) or GBK/GB 18030, checked over the whole file block by block (nothing kept)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        uploaded_file.seek(0)
        try:
            while block := uploaded_file.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise StatementRefused(_("文件编码无法识别（应为 UTF-8 或 GBK）。"))


def _csv_rows(uploaded_file) -> Iterator[tuple[int, list]]:
    encoding = _encoding(uploaded_file)
    uploaded_file.seek(0)
    text = io.TextIOWrapper(uploaded_file, encoding=encoding, newline="")
    try:
        yield from enumerate(csv.reader(text), start=1)
    except csv.Error:
        raise StatementRefused(_("CSV 文件格式有误，无法读取。")) from None
    finally:
        try:
            text.detach()  # the upload stays open for its owner
        except ValueError:  # the owner closed it first (the generator was dropped unfinished)
            pass


def _xlsx_rows(uploaded_file) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    uploaded_file.seek(0)
    try:  # a zip bomb never reaches the reader: its directory says what it would unpack to
        with zipfile.ZipFile(uploaded_file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise StatementRefused(_("文件无法作为 Excel 工作簿读取。")) from None
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise StatementRefused(_("工作簿解压后过大，请分批导入。"))
    uploaded_file.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(uploaded_file)
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine raises its own kinds for a damaged or foreign file
        raise StatementRefused(_("文件无法作为 Excel 工作簿读取。")) from error
    try:
        start = sheet.start
        if start is None:
            return
        first_row, first_col = start
        if first_col:
            pad = [None] * first_col
            for offset, cells in enumerate(sheet.iter_rows()):
                yield first_row + offset + 1, pad + list(cells)
        else:
            yield from enumerate(sheet.iter_rows(), start=first_row + 1)
    finally:
        workbook.close()


def statement_rows(uploaded_file) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """The header and an iterator over the non-empty rows (file row number, cells) of a CSV or .xlsx file."""
    name = (uploaded_file.name or "").lower()
    if uploaded_file.size == 0:
        raise StatementRefused(_("文件是空的。"))
    if uploaded_file.size > conf.get("FUNDS_STATEMENT_MAX_BYTES"):
        raise StatementRefused(_("文件超过大小上限，请分批导入。"))
    if name.endswith(".csv"):
        rows = _csv_rows(uploaded_file)
    elif name.endswith(".xlsx"):
        rows = _xlsx_rows(uploaded_file)
    else:
        raise StatementRefused(_("只能导入银行导出的 CSV 或 Excel（.xlsx）文件。"))
    first = next(rows, None)
    header = ["" if cell is None else str(cell).strip() for cell in (first[1] if first else [])]

    def data() -> Iterator[tuple[int, list]]:
        limit, count = conf.get("FUNDS_STATEMENT_MAX_ROWS"), 0
        for number, cells in rows:
            first = cells[0] if cells else None
            if type(first) is not str or not first.strip():  # a row not opening with text: look at every cell
                for cell in cells:  # a plain loop: a generator per row costs more than the check
                    if cell is not None and cell != "" and (type(cell) is not str or cell.strip()):
                        break
                else:
                    continue  # an empty row
            count += 1
            if count > limit:
                raise StatementRefused(_("一个文件最多 %(n)s 行。") % {"n": limit})
            yield number, cells

    return header, data()


# ---- parsing one row ---------------------------------------------------------------------------------------
# Amounts are kept in whole cents (int) from the cell to the check, and written as text: no Decimal per cell.


def _cents(value) -> int:
    """Whole cents of a cell (0 when empty), rounded half to even at the cent like Decimal.quantize; ValueError
    when it is no number."""
    kind = type(value)
    if kind is float:  # a number cell of a workbook: a bank's amount is within a hair of a whole cent
        scaled = value * 100
        cents = round(scaled)  # OverflowError / ValueError for inf and nan
        if abs(scaled - cents) < 1e-6:
            return cents
        amount = Decimal(repr(value))
    elif kind is int:
        return value * 100
    elif value is None or value == "":
        return 0
    else:
        text = str(value).strip()
        if text in ("", "-"):
            return 0
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(value) from None
    if not amount.is_finite():
        raise ValueError(value)
    return int(amount.quantize(_CENT).scaleb(2))


def money(cents: int) -> str:
    """'1234.50' or '-0.05': the text of whole cents (COPY and the Chinese reasons). Exact below 2**53 / 100 yuan:
    the float nearest cents / 100 rounds back to the same two decimals (amounts stop at 1e12 yuan, _LIMIT_CENTS)."""
    return f"{cents / 100:.2f}"


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class RowParser:
    """Typed rows of one bank's file (`parse`), or ValueError with a Chinese reason. Dates repeat row after row:
    each text is parsed once."""

    def __init__(self, bank: BankFormat, header: list[str]):
        missing = [column for column in bank.required_columns if column not in header]
        if missing:
            raise StatementRefused(_("文件缺少列：%(cols)s。该文件可能不是%(bank)s的流水格式。")
                                   % {"cols": "、".join(missing), "bank": bank.bank})
        index = {name: position for position, name in enumerate(header)}
        self.reference, self.date = index[bank.reference_column], index[bank.date_column]
        self.credit, self.debit = index[bank.credit_column], index[bank.debit_column]
        self.balance = index[bank.balance_column]
        self.counterparty = index.get(bank.counterparty_column) if bank.counterparty_column else None
        self.memo = index.get(bank.memo_column) if bank.memo_column else None
        self.width = len(header)
        self.date_format = bank.date_format
        self.iso = bank.date_format == "%Y-%m-%d"
        words = [word for word in conf.get("FUNDS_RELEASE_MEMO_WORDS") if word]
        self.release = re.compile("|".join(map(re.escape, words))).search if words else (lambda _memo: None)
        self.dates: dict[str, datetime.date] = {}
        self.reasons = {  # translated once per import, not per row
            "reference": _("流水号为空或过长"), "amount": _("金额或余额无法识别"),
            "sides": _("收入、支出应只填一项且为正数"), "range": _("金额超出范围")}

    def _date(self, value) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        day = self.dates.get(text)
        if day is None:
            try:
                day = (datetime.date.fromisoformat(text) if self.iso and len(text) == 10
                       else datetime.datetime.strptime(text, self.date_format).date())
            except (TypeError, ValueError):
                raise ValueError(_("交易日期“%(v)s”无法识别") % {"v": value}) from None
            if len(self.dates) > 4096:
                self.dates.clear()
            self.dates[text] = day
        return day

    def parse(self, cells: list) -> tuple:
        """(reference, booked_on, amount, balance_after, counterparty, memo, is_release) of one row, the amounts in
        whole cents."""
        if len(cells) < self.width:
            cells = [*cells, *([None] * (self.width - len(cells)))]
        reference = cells[self.reference]
        reference = reference.strip() if type(reference) is str else str(reference or "").strip()
        if not reference or len(reference) > 60:
            raise ValueError(self.reasons["reference"])
        raw_date = cells[self.date]
        booked_on = (self.dates.get(raw_date) if type(raw_date) is str else None) or self._date(raw_date)
        try:
            credit, debit, balance = _cents(cells[self.credit]), _cents(cells[self.debit]), _cents(cells[self.balance])
        except (ValueError, OverflowError, InvalidOperation):
            raise ValueError(self.reasons["amount"]) from None
        if credit < 0 or debit < 0 or (credit and debit) or not (credit or debit):
            raise ValueError(self.reasons["sides"])
        if credit >= _LIMIT_CENTS or debit >= _LIMIT_CENTS or abs(balance) >= _LIMIT_CENTS:
            raise ValueError(self.reasons["range"])
        memo = "" if self.memo is None else cells[self.memo]
        memo = memo.strip()[:200] if type(memo) is str else str(memo or "").strip()[:200]
        counterparty = "" if self.counterparty is None else cells[self.counterparty]
        counterparty = (counterparty.strip()[:120] if type(counterparty) is str
                        else str(counterparty or "").strip()[:120])
        is_release = not credit and self.release(memo) is not None
        return reference, booked_on, credit - debit, balance, counterparty, memo, is_release


# ---- writing -----------------------------------------------------------------------------------------------


def _stored(account_id: int, references: list[str]) -> dict:
    """reference -> (booked_on, amount, balance_after, statement_id, sequence) of the account's stored rows among
    `references`, the amounts in whole cents: one query (on PostgreSQL with one array parameter rather than
    thousands)."""
    if not references:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT reference, booked_on, amount, balance_after, statement_id, sequence "
                           f"FROM {FundTransaction._meta.db_table} WHERE account_id = %s AND reference = ANY(%s)",
                           [account_id, references])
            rows = cursor.fetchall()
    else:
        rows = FundTransaction.objects.filter(account_id=account_id, reference__in=references).values_list(
            "reference", "booked_on", "amount", "balance_after", "statement_id", "sequence")
    return {reference: (booked_on, int(amount.scaleb(2)), int(balance_after.scaleb(2)), statement_id, sequence)
            for reference, booked_on, amount, balance_after, statement_id, sequence in rows}


def _repeats(account_id: int, statement_id: int, batch: list[tuple], rows_of: array, first_sequence: int) -> list:
    """(row, reason) for each row of `batch` whose reference an earlier chunk of the same file already wrote."""
    written = dict(FundTransaction.objects.filter(
        account_id=account_id, statement_id=statement_id, reference__in=[row[2] for row in batch]).values_list(
        "reference", "sequence"))
    return [(rows_of[row[-1] - first_sequence - 1], _("流水号 %(ref)s 与第 %(n)s 行重复")
             % {"ref": row[2], "n": rows_of[written[row[2]] - first_sequence - 1]})
            for row in batch if row[2] in written]


def _write(rows: list[tuple]) -> None:
    """One chunk of new rows (tuples in _COLUMNS' order, the amounts as text): COPY on PostgreSQL (CSV written by
    the csv module, far faster than INSERT), bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        text.seek(0)
        columns = ", ".join(connection.ops.quote_name(column) for column in _COLUMNS)
        # an empty text field is '' (FORCE_NOT_NULL), never NULL; the driver's errors become Django's
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.copy_expert(f"COPY {FundTransaction._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv, "
                               f"FORCE_NOT_NULL (reference, counterparty, memo))", text)
    else:
        FundTransaction.objects.bulk_create([FundTransaction(**dict(zip(_COLUMNS, row, strict=True))) for row in rows],
                                            batch_size=2000)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """The cyclic garbage collector paused for the import: its rows make no cycles (refcounting frees each chunk),
    yet the collector would scan the chunk's tens of thousands of tuples again and again (about 6% of the import
    at 50,000 rows). Process-wide for the import's duration; turned back on even if the import fails."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_cyclic_gc_paused()
@transaction.atomic
def statement_import(*, actor, account_id: int, uploaded_file, now=None) -> StatementImport:
    account = FundAccount.objects.select_for_update().select_related("institution", "bank_format").get(pk=account_id)
    if not permissions.can_keep_account(actor, account.institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以导入银行流水。"))
    header, rows = statement_rows(uploaded_file)
    parse = RowParser(account.bank_format, header).parse
    now = now_or(now)
    last = account.transactions.order_by("-sequence").only("balance_after", "sequence", "booked_on").first()
    balance = int(last.balance_after.scaleb(2)) if last else None  # in whole cents, row after row
    last_booked_on = last.booked_on if last else None
    first_sequence = sequence = last.sequence if last else 0
    statement = StatementImport.objects.create(account=account, original_name=(uploaded_file.name or "")[:200],
                                               created_by=actor, updated_by=actor)
    account_id, statement_id = account.pk, statement.pk
    refused: list[tuple[int, str]] = []
    new_rows_of = array("I")  # the file row of each new row, by sequence: to name the first of a repeat
    total = new = 0
    last_day = None
    repeat = _("流水号 %(ref)s 与第 %(n)s 行重复")
    try:
        for chunk in batched(rows, CHUNK_ROWS):
            parsed = []
            for number, cells in chunk:
                try:
                    parsed.append((number, parse(cells)))
                except ValueError as error:
                    refused.append((number, str(error)))
            total += len(chunk)
            # Rows stored by earlier imports (none in an account new to statements: no query). A reference repeated
            # from an earlier chunk of this file is caught by the unique constraint when the chunk is written.
            stored = _stored(account_id, [row[0] for _number, row in parsed]) if last else None
            in_chunk: dict[str, int] = {}
            batch = []
            for number, row in parsed:
                reference, booked_on, amount, balance_after, counterparty, memo, is_release = row
                if reference in in_chunk:
                    refused.append((number, repeat % {"ref": reference, "n": in_chunk[reference]}))
                    continue
                in_chunk[reference] = number
                if stored:
                    if reference in stored:
                        day, cents, after, stored_statement, stored_sequence = stored[reference]
                        if stored_statement == statement_id:  # written by an earlier chunk of this file
                            refused.append((number, repeat % {
                                "ref": reference, "n": new_rows_of[stored_sequence - first_sequence - 1]}))
                        elif (day, cents, after) != (booked_on, amount, balance_after):
                            refused.append((number, _("流水号 %(ref)s 已导入，但日期、金额或余额与已导入的记录不同")
                                            % {"ref": reference}))
                        continue
                if last_booked_on is not None and booked_on < last_booked_on:
                    refused.append((number, _("交易日期早于已导入的最后一笔流水（%(d)s）") % {"d": last_booked_on}))
                    continue
                if balance is not None and balance + amount != balance_after:
                    refused.append((number, _("余额不符：上笔余额 %(prev)s + 本笔 %(amount)s ≠ 余额 %(bal)s")
                                    % {"prev": money(balance), "amount": money(amount), "bal": money(balance_after)}))
                balance = balance_after
                sequence += 1
                new_rows_of.append(number)
                last_day = booked_on
                batch.append((account_id, statement_id, reference, booked_on, f"{amount / 100:.2f}",
                              f"{balance_after / 100:.2f}", counterparty, memo, is_release, sequence))  # money()
            if not batch:
                continue
            try:
                with transaction.atomic():  # a savepoint: a repeat from an earlier chunk undoes this chunk only
                    _write(batch)  # a refusal later rolls it back with the rest
            except IntegrityError:
                refused.extend(_repeats(account_id, statement_id, batch, new_rows_of, first_sequence))
                continue
            new += len(batch)
    except IntegrityError:  # another import of the same rows committed first
        raise StatementRefused(_("该账户正在导入其他流水文件，请稍后再试。")) from None
    if not total:
        raise StatementRefused(_("文件中没有流水记录。"))
    if refused:
        refused.sort()
        raise StatementRefused(_("有 %(n)s 行不符合要求，整个文件未导入。") % {"n": len(refused)}, refused)
    statement.rows, statement.new_rows, statement.skipped_rows = total, new, total - new
    balance = None if balance is None else _decimal(balance)
    statement.closing_balance = balance
    statement.save(update_fields=["rows", "new_rows", "skipped_rows", "closing_balance", "updated_at"])
    if new:
        account.balance = balance
        account.balance_on = last_day
        account.updated_by = actor
        account.save(update_fields=["balance", "balance_on", "updated_by", "updated_at"])
    record_event(actor=actor, kind=FundsAuditKind.STATEMENT_IMPORTED, obj=statement,
                 institution_id=account.institution_id,
                 after={"rows": total, "new_rows": new, "skipped_rows": total - new, "balance": balance},
                 summary=_("导入银行流水 %(n)s 笔（新增 %(new)s 笔）") % {"n": total, "new": new}, now=now)
    return statement
