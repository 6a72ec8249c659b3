"""Reading an uploaded ledger workbook: refuse what cannot be imported, then give the first sheet's rows.

python-calamine (Rust's calamine) reads .xlsx, .xls and .ods through one public API, several times faster than
openpyxl; the file is bounded by IMPORT_MAX_BYTES and, zipped, by IMPORT_MAX_UNPACKED_BYTES before it is read.
A .csv (the register's own CSV export, or a list saved as CSV) is read by `csv` behind the same small interface
(`CsvWorkbook`): every cell is text, so its dates are read from text (`LedgerSheet.text_dates`).
"""

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from regulator.errors import ServiceError
from regulator.spreadsheets import CAPTION_PREFIXES, FORMULA_PREFIXES
from regulator.uploads import OversizedUpload

from .columns import COLUMN_NAMES, EXPORT_EXTRA_COLUMNS, normalize_header

logger = logging.getLogger(__name__)


class WorkbookError(ServiceError):
    """The file as a whole cannot be imported; nothing in it is looked at further."""


# What the door lets in: Excel's and WPS's workbooks, old and new, and OpenDocument (LibreOffice, WPS).
EXTENSIONS = (".xlsx", ".xls", ".ods")
# The register's import also takes CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it in China).
LEDGER_EXTENSIONS = (*EXTENSIONS, ".csv")
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and an encrypted workbook of any kind)
_ZIP = b"PK\x03\x04"  # .xlsx and .ods


@dataclass
class LedgerSheet:
    """The first worksheet of an uploaded workbook, read by calamine (python-calamine): .xlsx, .xls and .ods."""

    workbook: object
    sheet: object
    title: str
    # column name -> 0-based index in the row
    index: dict[str, int] = field(default_factory=dict)
    width: int = 0
    header_number: int = 1  # the header's Excel row: 1, or below an export's title block
    text_dates: bool = False  # a CSV: dates are text such as 2024-01-31

    def close(self):
        self.workbook.close()


class CsvSheet:
    """A CSV file's rows behind the part of python-calamine's sheet interface the import uses."""

    merged_cell_ranges = ()

    def __init__(self, rows: list[list[str]]):
        self.rows = rows

    @property
    def start(self):
        return (0, 0) if self.rows else None

    @property
    def end(self):
        return (len(self.rows) - 1, max(len(row) for row in self.rows) - 1) if self.rows else None

    def iter_rows(self):
        return iter(self.rows)


class CsvWorkbook:
    """One sheet, named like the import template's."""

    def __init__(self, rows: list[list[str]], title: str = "台账"):
        self.sheet_names = [title]
        self._sheet = CsvSheet(rows)

    def get_sheet_by_index(self, index: int) -> CsvSheet:
        return self._sheet

    def get_sheet_by_name(self, name: str) -> CsvSheet:
        return self._sheet

    def close(self):
        pass


def check_upload(uploaded_file, extensions: tuple[str, ...] = EXTENSIONS) -> None:
    """Refuse at the door what is plainly not an importable ledger, before anything is stored."""
    name = (uploaded_file.name or "").lower()
    if not name.endswith(extensions):
        if ".csv" in extensions:
            raise WorkbookError(_("只能导入 Excel 或 WPS 工作簿（.xlsx、.xls、.ods）或 CSV 文件（.csv）。"
                                  ".et 等文件请先在 Excel 或 WPS 中“另存为” .xlsx。"))
        raise WorkbookError(_("只能导入 Excel 或 WPS 工作簿（.xlsx、.xls、.ods）。.csv、.et 等文件请先在 Excel 或 "
                              "WPS 中“另存为” .xlsx。"))
    if uploaded_file.size == 0:
        raise WorkbookError(_("文件是空的。"))
    # An OversizedUpload was cut off while streaming in (regulator/uploads.py): past any limit, kept nothing.
    if uploaded_file.size > settings.IMPORT_MAX_BYTES or isinstance(uploaded_file, OversizedUpload):
        raise WorkbookError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。")
                            % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
    _check_archive(uploaded_file)


def _check_archive(uploaded_file) -> None:
    """Read a zipped workbook's directory (not its content) and refuse what it would unpack to past
    IMPORT_MAX_UNPACKED_BYTES, so a zip bomb never reaches the reader. A file that is no zip at all is stored
    and refused by validation, which says what it is (`_check_file_kind`)."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        unpacked = 0
    finally:
        uploaded_file.seek(0)
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise WorkbookError(_("工作簿解压后超过 %(mb)d MB，无法导入，请拆分后分批导入。")
                            % {"mb": settings.IMPORT_MAX_UNPACKED_BYTES // (1024 * 1024)})


def _check_file_kind(content: bytes) -> None:
    if content[:4] == _OLE:
        return  # an .xls, or an encrypted workbook: calamine tells them apart (`_unreadable`)
    if content[:4] != _ZIP or not zipfile.is_zipfile(io.BytesIO(content)):
        raise WorkbookError(_("该文件不是 Excel 或 WPS 工作簿，无法读取。"
                              "请下载导入模板，按模板填写后上传 .xlsx 文件。"))


def _unreadable(content: bytes) -> WorkbookError:
    if content[:4] == _OLE:
        return WorkbookError(_("无法读取该工作簿：文件已损坏，或设置了打开密码。"
                               "请在 Excel 或 WPS 中取消密码、“另存为” .xlsx 后重新上传。"))
    return WorkbookError(_("无法读取该工作簿：文件已损坏或不是 Excel 生成的 .xlsx 文件。"
                           "请用 Excel 打开并另存为 .xlsx 后重新上传。"))


def is_csv(content: bytes, name: str) -> bool:
    """A file named .csv that is not a workbook in disguise (a renamed .xlsx or .xls is read as what it is)."""
    return name.lower().endswith(".csv") and content[:4] not in (_OLE, _ZIP)


def _csv_rows(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookError(_("无法读取该 CSV 文件：编码无法识别。请在 Excel 中“另存为” .xlsx，"
                              "或另存为“CSV UTF-8”后重新上传。"))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise WorkbookError(_("无法读取该 CSV 文件：文件已损坏或不是文本文件。")) from error
    # The register's CSV export puts an apostrophe before text a spreadsheet would run as a formula.
    return [[cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_PREFIXES else cell
             for cell in row] for row in rows]


def open_workbook(content: bytes, name: str = ""):
    """The whole file, read: a python-calamine workbook, or a CsvWorkbook for a .csv."""
    if is_csv(content, name):
        return CsvWorkbook(_csv_rows(content))
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(content))


def _load_first_sheet(content: bytes, name: str = "") -> LedgerSheet:
    workbook = open_workbook(content, name)
    if not workbook.sheet_names:
        workbook.close()
        raise WorkbookError(_("工作簿中没有工作表。"))
    title = workbook.sheet_names[0]
    return LedgerSheet(workbook=workbook, sheet=workbook.get_sheet_by_index(0), title=title,
                       text_dates=isinstance(workbook, CsvWorkbook))


def _merged_ranges(ledger: LedgerSheet) -> list[str]:
    """Merged ranges of the sheet as Excel writes them (A1:B2); calamine knows them for .xlsx and .xls."""
    ranges = getattr(ledger.sheet, "merged_cell_ranges", None) or []
    return [f"{_column_name(first_col)}{first_row + 1}:{_column_name(last_col)}{last_row + 1}"
            for (first_row, first_col), (last_row, last_col) in ranges]


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def iter_sheet_rows(ledger: LedgerSheet, width: int | None = None) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values padded to `width`) of every row of the sheet's used range; empty cells are
    None. calamine starts the range at the first used cell, so its offset puts rows and columns back in place."""
    start = ledger.sheet.start
    if start is None:
        return
    first_row, first_col = start
    for offset, cells in enumerate(ledger.sheet.iter_rows()):
        values = [None] * first_col + [None if cell == "" else cell for cell in cells]
        if width is not None:
            values = (values + [None] * width)[:width]
        yield first_row + offset + 1, tuple(values)


def open_ledger(content: bytes, name: str = "") -> LedgerSheet:
    """Open the first sheet (or the CSV), refusing files that are not workbooks, have merged cells or wrong
    headers."""
    if not is_csv(content, name):
        _check_file_kind(content)
    try:
        ledger = _load_first_sheet(content, name)
    except WorkbookError:
        raise
    except Exception as error:  # calamine raises its own kinds for a damaged, encrypted or foreign file
        logger.info("unreadable workbook: %r", error)
        raise _unreadable(content) from None
    merged = _merged_ranges(ledger)
    if merged:
        ledger.close()
        shown = "、".join(merged[:5]) + ("……" if len(merged) > 5 else "")
        raise WorkbookError(_("工作表“%(sheet)s”含有 %(count)d 处合并单元格（%(ranges)s）。"
                              "合并单元格会使数据错行，请取消所有合并、在每一行填写完整后重新上传。") % {
            "sheet": ledger.title, "count": len(merged), "ranges": shown})
    header_number, header_row = find_header(ledger)
    index, unknown, repeated = {}, [], []
    for position, value in enumerate(header_row):
        name = normalize_header(value)
        if not name:
            continue
        if name in COLUMN_NAMES:
            if name in index:
                repeated.append(name)
            index[name] = position
        elif name not in EXPORT_EXTRA_COLUMNS:
            unknown.append(str(value).strip())
    missing = [name for name in COLUMN_NAMES if name not in index]
    if missing or unknown or repeated:
        ledger.close()
        problems = []
        if not index:
            problems.append(_("第1行应为表头，但没有找到任何模板中的列名。"))
        if missing and index:
            problems.append(_("缺少列：%(names)s。") % {"names": "、".join(missing)})
        if unknown:
            problems.append(_("无法识别的列：%(names)s。") % {"names": "、".join(unknown)})
        if repeated:
            problems.append(_("重复的列：%(names)s。") % {"names": "、".join(repeated)})
        raise WorkbookError(_("表头与导入模板不一致：") + "".join(problems)
                            + _("请下载导入模板，第1行使用模板中的列名（带或不带*均可）。"))
    ledger.index, ledger.width, ledger.header_number = index, len(header_row), header_number
    return ledger


def find_header(ledger: LedgerSheet) -> tuple[int, tuple]:
    """(Excel row number, values) of the header: row 1, or the row after an export's title block (lines of
    制表单位/制表时间/筛选条件 and a blank line: regulator.spreadsheets.CAPTION_PREFIXES)."""
    captioned = False
    for number, values in iter_sheet_rows(ledger):
        first = values[0] if values else None
        if isinstance(first, str) and first.startswith(CAPTION_PREFIXES) and (captioned or number == 1):
            captioned = True
            continue
        if captioned and all(is_blank(value) for value in values):
            continue
        if number == 1 or captioned:
            return number, values
        break  # row 1 is empty: no header where it must be
    return 1, ()  # row 1 is empty or something else: no header where it must be


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def iter_data_rows(ledger: LedgerSheet) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values) of the non-empty rows below the header, at most IMPORT_MAX_ROWS of them."""
    limit, count = settings.IMPORT_MAX_ROWS, 0
    for number, values in iter_sheet_rows(ledger, ledger.width):
        if number <= ledger.header_number or all(is_blank(value) for value in values):
            continue
        count += 1
        if count > limit:
            raise WorkbookError(_("数据超过 %(limit)s 行的上限（第 %(row)d 行仍有数据）。"
                                  "请将台账拆分为每份不超过 %(limit)s 行的多个工作簿分批导入。")
                                % {"limit": f"{limit:,}", "row": number})
        yield number, values


def estimated_rows(ledger: LedgerSheet) -> int:
    """Data rows below the header according to the sheet's used range; for progress."""
    end = ledger.sheet.end
    return max(end[0], 0) if end else 0


def cell_text(value) -> str:
    """A cell as text with every whitespace removed; a whole float (calamine's numbers) without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", "", str(value))


def find_list_header(rows: list[tuple[int, tuple]], aliases: dict[str, set | tuple | list], required: tuple[str, ...]):
    """For imports of other lists than the register's: the first of the first 10 rows naming every `required`
    column (a title row may sit above it). Returns ({column: position}, the non-empty data rows below it) or
    None."""
    for position, (_number, values) in enumerate(rows[:10]):
        texts = [cell_text(value) for value in values]
        index = {}
        for column, names in aliases.items():
            for i, text in enumerate(texts):
                if text in names and column not in index:
                    index[column] = i
        if all(column in index for column in required):
            return index, [(n, v) for n, v in rows[position + 1:] if any(cell_text(value) for value in v)]
    return None


def first_sheet_rows(content: bytes, *, limit: int) -> list[tuple[int, tuple]]:
    """(Excel row number, values) of the first sheet's rows, at most `limit`, for imports of other lists than
    the register's (no template header): the same door, reader and errors as the ledger import."""
    _check_file_kind(content)
    try:
        ledger = _load_first_sheet(content)
    except WorkbookError:
        raise
    except Exception as error:  # calamine raises its own kinds for a damaged, encrypted or foreign file
        logger.info("unreadable workbook: %r", error)
        raise _unreadable(content) from None
    try:
        rows = []
        for row in iter_sheet_rows(ledger):
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows
    finally:
        ledger.close()
