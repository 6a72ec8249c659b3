"""Ledger workbooks written by the application: the downloadable import template, and ledgers of rows
keyed by header (the register's export, the tests' and the bench's workbooks) through regulator.spreadsheets.
"""

import io
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils import translation

from regulator.spreadsheets import write_xlsx, xlsx_file

from .columns import (
    BUSINESS_NO,
    CHOICE_COLUMNS,
    COLUMNS,
    CREDIT_CODE,
    DATE_COLUMNS,
    LEDGER_COLUMNS,
    PHONE,
    REGION,
    SCHOOL_NO,
    normalize_header,
    short_label,
)

SHEET_TITLE = "台账"


def ordered_rows(rows: Iterable[dict[str, object]], columns: list[str]) -> Iterator[list]:
    """Rows keyed by header string (with or without '*') as lists in the order of `columns`."""
    names = [normalize_header(header) for header in columns]
    for row in rows:
        by_name = {normalize_header(key): value for key, value in row.items()}
        yield [by_name.get(name) for name in names]


def write_workbook(rows: Iterable[dict[str, object]], *, columns: list[str] | None = None) -> bytes:
    """An .xlsx ledger (keys of each row = header strings, with or without '*'); dates become date cells."""
    buffer = io.BytesIO()
    save_workbook(buffer, rows, columns=columns)
    return buffer.getvalue()


def save_workbook(target, rows: Iterable[dict[str, object]], *, columns: list[str] | None = None) -> None:
    columns = columns or COLUMNS
    write_xlsx(target, sheets=[(SHEET_TITLE, columns, ordered_rows(rows, columns))])


def workbook_file(rows: Iterable[dict[str, object]], *, columns: list[str], caption=()):
    """The ledger in a rewound temporary file, for a streamed download."""
    return xlsx_file(sheets=[(SHEET_TITLE, columns, ordered_rows(rows, columns))], caption=caption)


def template_workbook() -> io.BytesIO:
    """The downloadable import template: the header row, drop-down lists for the choice columns, date
    and text formats where Excel would otherwise guess, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(COLUMNS)
    sheet.freeze_panes = "A2"
    last_row = settings.IMPORT_MAX_ROWS + 1
    required_fill = PatternFill("solid", fgColor="FFF4CC")
    for position, column in enumerate(LEDGER_COLUMNS, start=1):
        letter = get_column_letter(position)
        header = sheet.cell(row=1, column=position)
        header.font = Font(bold=True)
        if column.required:
            header.fill = required_fill
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 2)
        if column.name in DATE_COLUMNS:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif column.name in (CREDIT_CODE, REGION, PHONE, SCHOOL_NO, BUSINESS_NO):
            sheet.column_dimensions[letter].number_format = "@"
        choices = CHOICE_COLUMNS.get(column.name)
        if choices:
            with translation.override("zh-hans"):
                labels = [short_label(str(label)) for _value, label in choices[0]]
            validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True,
                                        showErrorMessage=True, errorTitle="可选值", error="、".join(labels))
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    help_sheet = workbook.create_sheet("填写说明")
    help_sheet.append(["列名", "必填", "可选值/格式", "示例"])
    for column in LEDGER_COLUMNS:
        help_sheet.append([column.header, "是" if column.required else "否", column.allowed, column.example])
    help_sheet.append([])
    help_sheet.append([f"只读取第一个工作表；第1行为表头；每行一个机构；不要合并单元格；每份不超过 "
                       f"{settings.IMPORT_MAX_ROWS:,} 行。"])
    for letter, width in zip("ABCD", (22, 6, 60, 28), strict=True):
        help_sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer

