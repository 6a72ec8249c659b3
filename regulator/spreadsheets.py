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


def write_xlsx(target, *, sheets: Iterable[Sheet]) -> None:
    """A write-only workbook (rows streamed, constant memory), one sheet per (title, headers, rows): headers
    bold, the header row frozen, dates as date cells, datetimes naive local time to the minute."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(str(title)[:31])  # Excel's limit for a sheet name
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = _cell(sheet, header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    workbook.save(target)


def xlsx_bytes(*, sheets: Iterable[Sheet]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets=sheets)
    return buffer.getvalue()


def xlsx_file(*, sheets: Iterable[Sheet]):
    """A temporary file holding the workbook (in memory up to 8 MB), rewound; the caller streams and closes it."""
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(target, sheets=sheets)
    target.seek(0)
    return target
