"""Spreadsheet output shared by every export: one .xlsx writer and one guard against formula injection.

Excel, WPS and LibreOffice run a cell whose text starts with = + - @, a tab or a carriage return as a formula
when they open a CSV file (CSV or formula injection: a name typed by the public such as
`=HYPERLINK("http://…")` would become a live link). One rule for every export:

- in a CSV such text is prefixed with an apostrophe (`csv_cell`);
- in an .xlsx it is written as a text cell, which no spreadsheet evaluates, and otherwise left exactly as it
  is, so that the register's export can be imported again unchanged (`write_xlsx`).

Numbers, dates and empty cells are never altered.
"""

import datetime
import io
import tempfile
from collections.abc import Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# (sheet title, header row, data rows); a row is a sequence of cell values in header order.
Sheet = tuple[str, Sequence[str], Iterable[Sequence]]


def looks_like_formula(value) -> bool:
    """True for text that a spreadsheet would read as the start of a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_cell(value):
    """A value ready for `csv.writer`: '' for None, ISO dates, and formula-like text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if looks_like_formula(value):
        return "'" + value
    return value


def _cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if looks_like_formula(value):
        cell.data_type = "s"  # openpyxl would store "=…" as a formula; a text cell is never evaluated
    elif isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


# The title block above an export's header (制表单位, 制表时间, 筛选条件): each line's first cell starts with one
# of these; the register's importer skips such lines, so an export with its title block imports again.
CAPTION_PREFIXES = ("制表单位：", "制表时间：", "筛选条件：")
MIN_WIDTH, MAX_WIDTH = 8, 48


def display_width(text) -> int:
    """Columns of a spreadsheet a text takes: CJK and full-width characters two, others one."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(text or ""))


def caption_lines(*, unit: str, filters: str, at: datetime.datetime) -> list[str]:
    """The three lines of an export's title block."""
    return [f"制表单位：{unit or '—'}", f"制表时间：{at:%Y-%m-%d %H:%M}", f"筛选条件：{filters or '全部'}"]


def write_xlsx(target, *, sheets: Iterable[Sheet], caption: Sequence[str] = ()) -> None:
    """A write-only workbook (rows streamed, constant memory), one sheet per (title, headers, rows): the title
    block (`caption` lines, then a blank line) above the header, headers bold, the header row frozen, an
    autofilter over header and rows, columns as wide as their header (within reason), dates as date cells,
    datetimes naive local time to the minute."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(str(title)[:31])  # Excel's limit for a sheet name
        headers = [str(header) for header in headers]
        for position, header in enumerate(headers, start=1):
            width = min(max(display_width(header) + 4, MIN_WIDTH), MAX_WIDTH)
            sheet.column_dimensions[get_column_letter(position)].width = width
        header_row = len(caption) + 2 if caption else 1
        sheet.freeze_panes = f"A{header_row + 1}"
        for line in caption:
            sheet.append([_cell(sheet, line)])
        if caption:
            sheet.append([])
        header_cells = []
        for header in headers:
            cell = _cell(sheet, header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        count = 0
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
            count += 1
        if headers:
            sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + count}"
    workbook.save(target)


def xlsx_bytes(*, sheets: Iterable[Sheet], caption: Sequence[str] = ()) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets=sheets, caption=caption)
    return buffer.getvalue()


def xlsx_file(*, sheets: Iterable[Sheet], caption: Sequence[str] = ()):
    """A temporary file holding the workbook (in memory up to 8 MB), rewound; the caller streams and closes it."""
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(target, sheets=sheets, caption=caption)
    target.seek(0)
    return target
