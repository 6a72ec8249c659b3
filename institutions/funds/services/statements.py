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
"""

import codecs
import csv
import datetime
import io
import zipfile
from array import array
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

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
_LIMIT = Decimal("1e12")
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
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
        pad = [None] * first_col
        for offset, cells in enumerate(sheet.iter_rows()):
            yield first_row + offset + 1, pad + list(cells)
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


def _amount_or_zero(value) -> Decimal:
    kind = type(value)
    if kind is float or kind is int:  # a number cell of a workbook
        amount = Decimal(repr(value))
    elif value is None or value == "":
        return _ZERO
    else:
        text = str(value).strip()
        if text in ("", "-"):
            return _ZERO
        amount = Decimal(text.replace(",", ""))
    if not amount.is_finite():
        raise ValueError(value)
    return amount.quantize(_CENT)


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
        self.date_format = bank.date_format
        self.iso = bank.date_format == "%Y-%m-%d"
        self.words = conf.get("FUNDS_RELEASE_MEMO_WORDS")
        self.dates: dict[str, datetime.date] = {}

    @staticmethod
    def _cell(cells, position):
        return cells[position] if position is not None and position < len(cells) else None

    def _date(self, value) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        day = self.dates.get(text)
        if day is None:
            day = (datetime.date.fromisoformat(text) if self.iso and len(text) == 10
                   else datetime.datetime.strptime(text, self.date_format).date())
            if len(self.dates) > 4096:
                self.dates.clear()
            self.dates[text] = day
        return day

    def parse(self, cells: list) -> tuple:
        """(reference, booked_on, amount, balance_after, counterparty, memo, is_release) of one row."""
        cell = self._cell
        reference = cell(cells, self.reference)
        reference = reference.strip() if type(reference) is str else str(reference or "").strip()
        if not reference or len(reference) > 60:
            raise ValueError(_("流水号为空或过长"))
        raw_date = cell(cells, self.date)
        try:
            booked_on = self._date(raw_date)
        except (TypeError, ValueError):
            raise ValueError(_("交易日期“%(v)s”无法识别") % {"v": raw_date}) from None
        try:
            credit = _amount_or_zero(cell(cells, self.credit))
            debit = _amount_or_zero(cell(cells, self.debit))
            balance = _amount_or_zero(cell(cells, self.balance))
        except (InvalidOperation, ValueError):
            raise ValueError(_("金额或余额无法识别")) from None
        if credit < 0 or debit < 0 or (credit and debit) or not (credit or debit):
            raise ValueError(_("收入、支出应只填一项且为正数"))
        if credit >= _LIMIT or debit >= _LIMIT or abs(balance) >= _LIMIT:
            raise ValueError(_("金额超出范围"))
        memo = str(cell(cells, self.memo) or "").strip()[:200]
        counterparty = str(cell(cells, self.counterparty) or "").strip()[:120]
        is_release = not credit and any(word in memo for word in self.words)
        return reference, booked_on, credit - debit, balance, counterparty, memo, is_release


# ---- writing -----------------------------------------------------------------------------------------------


def _stored(account_id: int, references: list[str]) -> dict:
    """reference -> (booked_on, amount, balance_after, statement_id, sequence) of the account's stored rows among
    `references`: one query (on PostgreSQL with one array parameter rather than thousands)."""
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
    return {reference: tuple(rest) for reference, *rest in rows}


def _repeats(account_id: int, statement_id: int, batch: list[tuple], rows_of: array, first_sequence: int) -> list:
    """(row, reason) for each row of `batch` whose reference an earlier chunk of the same file already wrote."""
    written = dict(FundTransaction.objects.filter(
        account_id=account_id, statement_id=statement_id, reference__in=[row[2] for row in batch]).values_list(
        "reference", "sequence"))
    return [(rows_of[row[-1] - first_sequence - 1], _("流水号 %(ref)s 与第 %(n)s 行重复")
             % {"ref": row[2], "n": rows_of[written[row[2]] - first_sequence - 1]})
            for row in batch if row[2] in written]


def _write(rows: list[tuple]) -> None:
    """One chunk of new rows (tuples in _COLUMNS' order): COPY on PostgreSQL (CSV written by the csv module, far
    faster than INSERT), bulk_create elsewhere."""
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
        FundTransaction.objects.bulk_create([FundTransaction(**dict(zip(_COLUMNS, row, strict=True)))
                                             for row in rows], batch_size=2000)


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@transaction.atomic
def statement_import(*, actor, account_id: int, uploaded_file, now=None) -> StatementImport:
    account = FundAccount.objects.select_for_update().select_related("institution", "bank_format").get(pk=account_id)
    if not permissions.can_keep_account(actor, account.institution):
        raise ActionForbidden(_("只有教育或金融监管部门可以导入银行流水。"))
    header, rows = statement_rows(uploaded_file)
    parse = RowParser(account.bank_format, header).parse
    now = now_or(now)
    last = account.transactions.order_by("-sequence").only("balance_after", "sequence", "booked_on").first()
    balance = last.balance_after if last else None
    first_sequence = sequence = last.sequence if last else 0
    statement = StatementImport.objects.create(account=account, original_name=(uploaded_file.name or "")[:200],
                                               created_by=actor, updated_by=actor)
    refused: list[tuple[int, str]] = []
    new_rows_of = array("I")  # the file row of each new row, by sequence: to name the first of a repeat
    total = new = 0
    last_day = None
    try:
        for chunk in _chunks(rows, CHUNK_ROWS):
            parsed = []
            for number, cells in chunk:
                try:
                    parsed.append((number, parse(cells)))
                except ValueError as error:
                    refused.append((number, str(error)))
            total += len(chunk)
            # Rows stored by earlier imports (none in an account new to statements: no query). A reference repeated
            # from an earlier chunk of this file is caught by the unique constraint when the chunk is written.
            stored = _stored(account.pk, [row[0] for _number, row in parsed]) if last else {}
            in_chunk: dict[str, int] = {}
            batch = []
            for number, row in parsed:
                reference, booked_on, amount, balance_after = row[:4]
                if reference in in_chunk:
                    refused.append((number, _("流水号 %(ref)s 与第 %(n)s 行重复")
                                    % {"ref": reference, "n": in_chunk[reference]}))
                    continue
                in_chunk[reference] = number
                if reference in stored:
                    *values, statement_id, stored_sequence = stored[reference]
                    if statement_id == statement.pk:  # written by an earlier chunk of this file
                        refused.append((number, _("流水号 %(ref)s 与第 %(n)s 行重复") % {
                            "ref": reference, "n": new_rows_of[stored_sequence - first_sequence - 1]}))
                    elif tuple(values) != (booked_on, amount, balance_after):
                        refused.append((number, _("流水号 %(ref)s 已导入，但日期、金额或余额与已导入的记录不同")
                                        % {"ref": reference}))
                    continue
                if last and booked_on < last.booked_on:
                    refused.append((number, _("交易日期早于已导入的最后一笔流水（%(d)s）") % {"d": last.booked_on}))
                    continue
                if balance is not None and balance + amount != balance_after:
                    refused.append((number, _("余额不符：上笔余额 %(prev)s + 本笔 %(amount)s ≠ 余额 %(bal)s")
                                    % {"prev": balance, "amount": amount, "bal": balance_after}))
                balance = balance_after
                sequence += 1
                new_rows_of.append(number)
                last_day = booked_on
                batch.append((account.pk, statement.pk, *row, sequence))
            try:
                with transaction.atomic():  # a savepoint: a repeat from an earlier chunk undoes this chunk only
                    _write(batch)  # a refusal later rolls it back with the rest
            except IntegrityError:
                refused.extend(_repeats(account.pk, statement.pk, batch, new_rows_of, first_sequence))
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
