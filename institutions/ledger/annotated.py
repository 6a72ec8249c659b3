"""The import report as the clerk's own workbook (导入报告): the uploaded file written back as .xlsx — the same
sheets, columns and rows in the same places — with a last column 原因 on the ledger sheet giving, on each row the
report names, its reasons in Chinese, and those rows highlighted (refused rows red, rows only flagged for review
yellow). A whole-file refusal is written on the header row.

Cells are read by python-calamine (or `csv` for a .csv: reader.open_workbook) and written by openpyxl into a new
workbook; formulas arrive as their values, formatting other than dates does not travel. Text a spreadsheet would
run as a formula is written as a text cell (regulator.spreadsheets).
"""

import datetime
from collections import defaultdict

from django.utils.translation import gettext as _

from regulator.spreadsheets import looks_like_formula

from .reader import LedgerSheet, find_header, iter_sheet_rows, open_workbook

REASON_HEADER = "原因"
REFUSED_FILL, REVIEW_FILL, HEADER_FILL = "FFC7CE", "FFEB9C", "D9D9D9"


def reasons_by_row(report: list[dict]) -> dict[int, tuple[list[str], bool]]:
    """{Excel row: (["列：原因", …], refused?)} from a job's stored report; a row only flagged is not refused."""
    lines, refused = defaultdict(list), defaultdict(bool)
    for entry in report:
        reason = f"{entry['column']}：{entry['reason']}" if entry.get("column") else entry["reason"]
        if entry.get("phase") == "import":
            reason = _("确认导入时：") + reason
        lines[entry["row"]].append(reason)
        refused[entry["row"]] |= entry.get("level", "error") != "warning"
    return {row: (reasons, refused[row]) for row, reasons in lines.items()}


def _value(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


class _Styles:
    """Style objects made once per workbook: openpyxl hashes a style each time a cell takes it."""

    def __init__(self):
        from openpyxl.styles import Alignment, Font, PatternFill

        self.fills = {colour: PatternFill("solid", fgColor=colour)
                      for colour in (REFUSED_FILL, REVIEW_FILL, HEADER_FILL)}
        self.bold = Font(bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")


def _cell(sheet, value, styles: _Styles, fill: str = "", *, bold=False, wrap=False):
    """A plain value where nothing needs saying (fast), else a cell: text that looks like a formula stays text,
    dates keep a date format, and the row's highlight."""
    value = _value(value)
    is_date = isinstance(value, datetime.date)
    if not (fill or bold or wrap or is_date or looks_like_formula(value)):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if looks_like_formula(value):
        cell.data_type = "s"
    elif isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm" if value.time() != datetime.time(0) else "yyyy-mm-dd"
    elif is_date:
        cell.number_format = "yyyy-mm-dd"
    if fill:
        cell.fill = styles.fills[fill]
    if bold:
        cell.font = styles.bold
    if wrap:
        cell.alignment = styles.wrap
    return cell


def _sheet_rows(sheet) -> list[tuple[int, tuple]]:
    return list(iter_sheet_rows(LedgerSheet(workbook=None, sheet=sheet, title="")))


def write_annotated(target, *, content: bytes, name: str, report: list[dict], file_error: str = "",
                    truncated: bool = False) -> None:
    """Write the annotated workbook to `target` (a file or buffer). Raises whatever the reader raises for a file
    it cannot read (the caller says so)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    source = open_workbook(content, name)
    styles = _Styles()
    try:
        flagged = reasons_by_row(report)
        output = Workbook(write_only=True)
        for position, title in enumerate(source.sheet_names):
            sheet = output.create_sheet(title[:31])
            try:
                source_sheet = source.get_sheet_by_name(title)
                rows = _sheet_rows(source_sheet)
            except Exception:  # a chart sheet or a sheet calamine cannot read: kept, empty, in its place
                source_sheet, rows = None, []
            if position:
                _copy_rows(sheet, rows, styles)
                continue
            header_number = 1
            if source_sheet is not None:
                header_number, _values = find_header(LedgerSheet(workbook=None, sheet=source_sheet, title=title))
            width = max((len(values) for _number, values in rows), default=0)
            sheet.column_dimensions[get_column_letter(width + 1)].width = 60
            header = REASON_HEADER
            if truncated:
                header += _("（问题较多，仅标注前 %(count)d 条）") % {"count": len(report)}
            if file_error:
                header += _("——整个文件未导入：") + file_error
            next_number = 1
            for number, values in rows:
                for _blank in range(next_number, number):
                    sheet.append([])
                next_number = number + 1
                values = tuple(values) + (None,) * (width - len(values))
                if number == header_number:
                    fill = REFUSED_FILL if file_error else HEADER_FILL
                    sheet.append([_cell(sheet, value, styles) for value in values]
                                 + [_cell(sheet, header, styles, fill, bold=True, wrap=bool(file_error))])
                elif number in flagged:
                    reasons, refused = flagged[number]
                    fill = REFUSED_FILL if refused else REVIEW_FILL
                    sheet.append([_cell(sheet, value, styles, fill) for value in values]
                                 + [_cell(sheet, "\n".join(reasons), styles, fill, wrap=True)])
                else:
                    sheet.append([_cell(sheet, value, styles) for value in values])
            if header_number >= next_number:  # an empty sheet: the header row still says why
                for _blank in range(next_number, header_number):
                    sheet.append([])
                sheet.append([_cell(sheet, header, styles, REFUSED_FILL if file_error else HEADER_FILL, bold=True)])
        if not source.sheet_names:
            output.create_sheet(REASON_HEADER).append([file_error or REASON_HEADER])
        output.save(target)
    finally:
        source.close()


def _copy_rows(sheet, rows: list[tuple[int, tuple]], styles: _Styles) -> None:
    next_number = 1
    for number, values in rows:
        for _blank in range(next_number, number):
            sheet.append([])
        next_number = number + 1
        sheet.append([_cell(sheet, value, styles) for value in values])
