"""Ledger import (台账导入): an .xlsx workbook, one row per institution, validated before anything is written.

Two phases, each a Celery task that calls in here:
1. `validate_job` reads the stored workbook, refuses a file that cannot be imported (not .xlsx, wrong
   headers, merged cells, too many rows) and otherwise stores a per-row report (row, column, reason).
2. After the user confirms (`import_confirm`), `import_job` reads the workbook again, re-checks every row
   against the database as it is *now*, and writes the valid rows in chunks: per chunk a fixed handful of
   queries (regions, duplicate codes, duplicate licence numbers, three bulk inserts, the progress update),
   never one query per row. A chunk commits together with the job's progress, so a task that is run again
   resumes after the last committed chunk and never imports a row twice.
"""

import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from xml.etree.ElementTree import iterparse

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulator.audit import GENESIS_HASH, compute_hash, json_safe, record_event, snapshot
from regulator.errors import ServiceError
from regulator.models import AuditEvent, Region, RegionLevel

from . import permissions
from .models import (
    Category,
    Delivery,
    ImportJob,
    ImportJobState,
    Institution,
    Licence,
    LicenceKind,
    LicenceState,
    OperatingState,
    PremisesType,
    ProfitType,
    StudentStage,
)
from .services import compute_standing, today_local
from .validators import normalize_credit_code, validate_credit_code

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
# Errors kept in the stored report; the counts stay exact beyond it.
REPORT_LIMIT = 2000


# ---- the ledger's columns ------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    allowed: str = ""
    example: str = ""

    @property
    def header(self) -> str:
        return f"{self.name}*" if self.required else self.name


NAME, CREDIT_CODE, ORGANISER = "机构名称", "统一社会信用代码", "举办者"
LEGAL_REP, PHONE, ADDRESS = "法定代表人/负责人", "联系电话", "办学地址"
REGION, PREMISES, CATEGORY, STAGES = "区划代码", "场所类型", "类别", "培训对象"
DELIVERY, PROFIT, STATE, NOTES = "培训方式", "营利性质", "经营状态", "备注"
SCHOOL_NO, SCHOOL_ISSUED, SCHOOL_UNTIL = "办学许可证号", "办学许可证发证日期", "办学许可证有效期至"
BUSINESS_NO, BUSINESS_ISSUED, BUSINESS_UNTIL = "营业执照号", "营业执照发证日期", "营业执照有效期至"

LEDGER_COLUMNS: tuple[Column, ...] = (
    Column(NAME, True, "不超过120字", "历下区阳光艺术培训学校"),
    Column(CREDIT_CODE, False, "18位，含校验位；无照机构可空；设为文本格式", "52370102MJ0000001E"),
    Column(ORGANISER, False, "不超过120字", "张三"),
    Column(LEGAL_REP, False, "不超过40字", "李四"),
    Column(PHONE, False, "不超过30字", "0531-88888888"),
    Column(ADDRESS, True, "不超过200字", "历下区文化路1号"),
    Column(REGION, True, "县（区）或乡镇（街道）代码，须在本单位辖区内", "370102001"),
    Column(PREMISES, True, "商业用房 / 居民住宅 / 地下室 / 其他", "商业用房"),
    Column(CATEGORY, True, "学科类 / 非学科类·体育 / 非学科类·文化艺术 / 非学科类·科技 / 职业技能类",
           "非学科类·文化艺术"),
    Column(STAGES, False, "学龄前、义务教育、普通高中，多项用“、”或“,”分隔", "义务教育、普通高中"),
    Column(DELIVERY, False, "线下 / 线上 / 线上线下（空为线下）", "线下"),
    Column(PROFIT, False, "营利性 / 非营利性（空为营利性）", "营利性"),
    Column(STATE, False, "正常经营 / 停办整改 / 已关停 / 已取缔（空为正常经营）", "正常经营"),
    Column(SCHOOL_NO, False, "不超过60字；同一证号不得重复", "教民137010270000001号"),
    Column(SCHOOL_ISSUED, False, "Excel 日期单元格；填写证号时必填", "2022-03-01"),
    Column(SCHOOL_UNTIL, False, "Excel 日期单元格；不得早于发证日期", "2027-02-28"),
    Column(BUSINESS_NO, False, "不超过60字；同一执照号不得重复", "52370102MJ0000001E"),
    Column(BUSINESS_ISSUED, False, "Excel 日期单元格；填写执照号时必填", "2021-09-15"),
    Column(BUSINESS_UNTIL, False, "Excel 日期单元格；长期有效可空", ""),
    Column(NOTES, False, "任意文字", ""),
)
COLUMNS: list[str] = [column.header for column in LEDGER_COLUMNS]
COLUMN_NAMES: list[str] = [column.name for column in LEDGER_COLUMNS]
DATE_COLUMNS = frozenset({SCHOOL_ISSUED, SCHOOL_UNTIL, BUSINESS_ISSUED, BUSINESS_UNTIL})
# Read-only columns the export adds after the ledger's own; the importer ignores them.
EXPORT_EXTRA_COLUMNS: list[str] = ["证照情况", "所在区划名称"]

# (licence kind, number column, issued column, valid-until column)
LICENCE_COLUMNS = (
    (LicenceKind.SCHOOL_RUNNING, SCHOOL_NO, SCHOOL_ISSUED, SCHOOL_UNTIL),
    (LicenceKind.BUSINESS, BUSINESS_NO, BUSINESS_ISSUED, BUSINESS_UNTIL),
)

_STAGE_FIELDS = {
    StudentStage.PRESCHOOL: "serves_preschool",
    StudentStage.COMPULSORY: "serves_compulsory",
    StudentStage.SENIOR_HIGH: "serves_senior_high",
}
_MAX_LENGTHS = {
    NAME: 120, ORGANISER: 120, LEGAL_REP: 40, PHONE: 30, ADDRESS: 200, SCHOOL_NO: 60, BUSINESS_NO: 60,
}


def normalize_header(value) -> str:
    """'机构名称*', ' 机构名称 ＊' and '机构名称' are the same column."""
    return re.sub(r"[\s*＊]", "", str(value)) if value is not None else ""


def _short_label(label: str) -> str:
    """'营利性（市场监管登记）' -> '营利性'; '学龄前（3–6岁）' -> '学龄前'."""
    return re.split(r"[（(]", label, maxsplit=1)[0].strip()


def _choice_map(choices) -> dict[str, str]:
    """Accept the Chinese label, its short form and the stored value; labels are read in zh-hans."""
    mapping = {}
    with translation.override("zh-hans"):
        for value, label in choices:
            label = str(label)
            mapping[label] = value
            mapping[_short_label(label)] = value
            mapping[value] = value
    return mapping


def _labels(choices) -> str:
    with translation.override("zh-hans"):
        return "、".join(_short_label(str(label)) for _value, label in choices)


CHOICE_COLUMNS = {
    PREMISES: (PremisesType.choices, "premises_type"),
    CATEGORY: (Category.choices, "category"),
    DELIVERY: (Delivery.choices, "delivery"),
    PROFIT: (ProfitType.choices, "profit_type"),
    STATE: (OperatingState.choices, "operating_state"),
}


def write_workbook(rows: Iterable[dict[str, object]], *, columns: list[str] | None = None) -> bytes:
    """An .xlsx ledger (keys of each row = header strings, with or without '*'); dates become date cells."""
    buffer = io.BytesIO()
    save_workbook(buffer, rows, columns=columns)
    return buffer.getvalue()


def save_workbook(target, rows: Iterable[dict[str, object]], *, columns: list[str] | None = None,
                  sheet_title: str = "台账") -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    columns = columns or COLUMNS
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    names = [normalize_header(header) for header in columns]
    for row in rows:
        by_name = {normalize_header(key): value for key, value in row.items()}
        values = []
        for name in names:
            value = by_name.get(name)
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                values.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula (a name like "=HYPERLINK(...)" stays text)
                values.append(cell)
            else:
                values.append(value)
        sheet.append(values)
    workbook.save(target)


def template_workbook() -> io.BytesIO:
    """The downloadable import template: the header row, drop-down lists for the choice columns, date
    and text formats where Excel would otherwise guess, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
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
                labels = [_short_label(str(label)) for _value, label in choices[0]]
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


# ---- reading a workbook ------------------------------------------------------------------------

class WorkbookError(ServiceError):
    """The file as a whole cannot be imported; nothing in it is looked at further."""


class ImportJobError(ServiceError):
    """A step on an import job that is not allowed now, with a message for the user."""


@dataclass
class LedgerSheet:
    """The first worksheet of an uploaded workbook, read straight from its XML (see `iter_sheet_rows`)."""

    archive: zipfile.ZipFile
    path: str
    title: str
    shared_strings: list
    date_styles: frozenset
    epoch: object
    # column name -> 0-based index in the row
    index: dict[str, int] = field(default_factory=dict)
    width: int = 0

    def close(self):
        self.archive.close()


def check_upload(uploaded_file) -> None:
    """Refuse at the door what is plainly not an importable ledger, before anything is stored."""
    name = (uploaded_file.name or "").lower()
    if not name.endswith(".xlsx"):
        raise WorkbookError(_("只能导入 Excel 工作簿（.xlsx）。.xls、.csv、.et 等文件请先在 Excel 或 WPS 中"
                              "“另存为” .xlsx。"))
    if uploaded_file.size == 0:
        raise WorkbookError(_("文件是空的。"))
    if uploaded_file.size > settings.IMPORT_MAX_BYTES:
        raise WorkbookError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。")
                            % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})


def _check_file_kind(content: bytes) -> None:
    if content[:4] == b"\xd0\xcf\x11\xe0":
        raise WorkbookError(_("这是旧版 Excel（.xls）文件或加密的工作簿，无法导入。"
                              "请在 Excel 中“另存为” .xlsx 格式（并取消密码）后重新上传。"))
    if content[:4] != b"PK\x03\x04" or not zipfile.is_zipfile(io.BytesIO(content)):
        raise WorkbookError(_("该文件不是 Excel 工作簿（.xlsx），无法读取。"
                              "请下载导入模板，按模板填写后上传 .xlsx 文件。"))


_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")


def _merged_ranges(ledger: LedgerSheet) -> list[str]:
    """Merged ranges of the sheet: a streaming byte scan of its XML, constant memory."""
    refs, tail = [], b""
    with ledger.archive.open(ledger.path) as stream:
        while block := stream.read(1 << 20):
            data = tail + block
            refs.extend(match.decode() for match in _MERGE_REF.findall(data))
            # Keep a tail so that a tag cut in two by the block boundary is seen whole next time.
            cut = data.rfind(b"<")
            tail = data[cut:] if cut >= 0 and data.find(b">", cut) < 0 else b""
    return refs


def _load_first_sheet(content: bytes) -> LedgerSheet:
    """openpyxl reads the workbook's parts (strings, styles, sheet list); the sheet's rows we read ourselves,
    because openpyxl's read-only sheet parses every cell through its descriptor classes (~6 s for 5,000
    rows on a small server) and scans the whole sheet once more just to size it."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    for sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "worksheet" in rel.Type:
            return LedgerSheet(archive=reader.archive, path=rel.target, title=sheet.name,
                               shared_strings=list(reader.shared_strings),
                               date_styles=frozenset(reader.wb._date_formats), epoch=reader.wb.epoch)
    raise WorkbookError(_("工作簿中没有工作表。"))


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE = f"{_SHEET_NS}row", f"{_SHEET_NS}c", f"{_SHEET_NS}v"
_INLINE, _TEXT = f"{_SHEET_NS}is", f"{_SHEET_NS}t"


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + (ord(char) - 64)
        else:
            break
    return index - 1


def _cell_value(cell, ledger: LedgerSheet):
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    kind = cell.get("t", "n")
    if kind == "inlineStr":
        node = cell.find(_INLINE)
        return None if node is None else "".join(text.text or "" for text in node.iter(_TEXT))
    text = cell.findtext(_VALUE)
    if not text:
        return None
    if kind == "n":
        number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        if int(cell.get("s", 0)) in ledger.date_styles:
            try:
                return from_excel(number, ledger.epoch)
            except (OverflowError, ValueError):
                return number
        return number
    if kind == "s":
        return ledger.shared_strings[int(text)]
    if kind == "b":
        return text == "1"
    if kind == "d":
        return from_ISO8601(text)
    return text  # "str" (a formula's cached text) and "e" (an error such as #N/A)


def iter_sheet_rows(ledger: LedgerSheet, width: int | None = None) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values padded to `width`) of every row present in the sheet's XML."""
    counter = 0
    with ledger.archive.open(ledger.path) as stream:
        for _event, element in iterparse(stream, events=("end",)):
            if element.tag != _ROW:
                continue
            reference = element.get("r")
            counter = int(reference) if reference else counter + 1
            found, position = {}, -1
            for cell in element.findall(_CELL):
                reference = cell.get("r")
                position = _column_index(reference) if reference else position + 1
                if width is None or 0 <= position < width:
                    found[position] = _cell_value(cell, ledger)
            element.clear()
            size = width if width is not None else max(found, default=-1) + 1
            yield counter, tuple(found.get(position) for position in range(size))


def open_ledger(content: bytes) -> LedgerSheet:
    """Open the first sheet, refusing files that are not .xlsx, have merged cells or wrong headers."""
    _check_file_kind(content)
    try:
        ledger = _load_first_sheet(content)
    except WorkbookError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign zip file
        logger.info("unreadable workbook: %r", error)
        raise WorkbookError(_("无法读取该工作簿：文件已损坏或不是 Excel 生成的 .xlsx 文件。"
                              "请用 Excel 打开并另存为 .xlsx 后重新上传。")) from None
    merged = _merged_ranges(ledger)
    if merged:
        ledger.close()
        shown = "、".join(merged[:5]) + ("……" if len(merged) > 5 else "")
        raise WorkbookError(_("工作表“%(sheet)s”含有 %(count)d 处合并单元格（%(ranges)s）。"
                              "合并单元格会使数据错行，请取消所有合并、在每一行填写完整后重新上传。") % {
            "sheet": ledger.title, "count": len(merged), "ranges": shown})
    first = next(iter_sheet_rows(ledger), None)
    header_row = first[1] if first and first[0] == 1 else ()
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
    ledger.index, ledger.width = index, len(header_row)
    return ledger


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def iter_data_rows(ledger: LedgerSheet) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values) of the non-empty rows below the header, at most IMPORT_MAX_ROWS of them."""
    limit, count = settings.IMPORT_MAX_ROWS, 0
    for number, values in iter_sheet_rows(ledger, ledger.width):
        if number < 2 or all(_is_blank(value) for value in values):
            continue
        count += 1
        if count > limit:
            raise WorkbookError(_("数据超过 %(limit)s 行的上限（第 %(row)d 行仍有数据）。"
                                  "请将台账拆分为每份不超过 %(limit)s 行的多个工作簿分批导入。")
                                % {"limit": f"{limit:,}", "row": number})
        yield number, values


def estimated_rows(ledger: LedgerSheet) -> int:
    """Data rows according to the sheet's <dimension> (Excel writes it first); 0 when absent. For progress."""
    with ledger.archive.open(ledger.path) as stream:
        head = stream.read(4096)
    match = re.search(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"[A-Z]+\d+:[A-Z]+(\d+)\"", head)
    return max(int(match.group(1)) - 1, 0) if match else 0


# ---- validating rows -----------------------------------------------------------------------------

@dataclass
class ParsedRow:
    number: int
    data: dict = field(default_factory=dict)
    licences: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (column, reason)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, column: str, reason) -> None:
        self.errors.append((column, str(reason)))


@dataclass
class FileSeen:
    """What earlier rows of the same file used, for duplicates within the file."""

    credit_codes: dict = field(default_factory=dict)
    licence_numbers: dict = field(default_factory=dict)
    # (name, region, address) of rows without a credit code: the only way to recognise them again
    unregistered: dict = field(default_factory=dict)


def _check_length(row: ParsedRow, name: str, text: str) -> None:
    if len(text) > _MAX_LENGTHS[name]:
        row.error(name, _("内容过长：不超过%(max)d字，当前%(len)d字。")
                  % {"max": _MAX_LENGTHS[name], "len": len(text)})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    return str(value).strip()


def _date(row: ParsedRow, column: str, value) -> date | None:
    if _is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        row.error(column, _("“%(value)s”是文本，不是日期：请把该单元格设为 Excel 日期格式，"
                            "按 2024-01-31 的形式输入。") % {"value": value.strip()[:30]})
    else:
        row.error(column, _("“%(value)s”不是日期：请把该单元格设为 Excel 日期格式，"
                            "按 2024-01-31 的形式输入。") % {"value": _text(value)[:30]})
    return None


def parse_row(number: int, values: tuple, ledger: LedgerSheet, seen: FileSeen,
              choice_maps: dict) -> ParsedRow:
    """Everything that can be checked without the database; duplicates within the file included."""
    row = ParsedRow(number=number)

    def cell(name):
        position = ledger.index[name]
        return values[position] if position < len(values) else None

    data = row.data
    for name, model_field in ((NAME, "name"), (ORGANISER, "organiser"), (LEGAL_REP, "legal_representative"),
                              (PHONE, "contact_phone"), (ADDRESS, "address"), (NOTES, "notes")):
        text = _text(cell(name))
        if name in _MAX_LENGTHS:
            _check_length(row, name, text)
        data[model_field] = text
    for column in LEDGER_COLUMNS:
        if column.required and _is_blank(cell(column.name)):
            row.error(column.name, _("必填项为空。"))

    raw_code = cell(CREDIT_CODE)
    if isinstance(raw_code, int | float):
        row.error(CREDIT_CODE, _("统一社会信用代码被 Excel 存成了数字（可能已丢失位数）："
                                 "请把该列设为“文本”格式后重新输入。"))
        data["credit_code"] = ""
    else:
        code = normalize_credit_code(_text(raw_code))
        data["credit_code"] = code
        if code:
            try:
                validate_credit_code(code)
            except ValidationError as error:
                row.error(CREDIT_CODE, " ".join(error.messages))
            else:
                if code in seen.credit_codes:
                    row.error(CREDIT_CODE, _("与本文件第 %(row)d 行的统一社会信用代码重复。")
                              % {"row": seen.credit_codes[code]})
                else:
                    seen.credit_codes[code] = number

    region_code = _text(cell(REGION))
    if region_code and not region_code.isdigit():
        row.error(REGION, _("区划代码应为数字，如 370102 或 370102001。"))
    data["region_id"] = region_code

    for name, (_choices, model_field) in CHOICE_COLUMNS.items():
        text = _text(cell(name))
        if not text:
            continue  # required ones were reported above; optional ones keep the model's default
        value = choice_maps[name].get(text)
        if value is None:
            row.error(name, _("“%(value)s”不是可选值，可选：%(allowed)s。") % {
                "value": text[:30], "allowed": _labels(CHOICE_COLUMNS[name][0])})
        else:
            data[model_field] = value

    stages_text = _text(cell(STAGES))
    for part in filter(None, (p.strip() for p in re.split(r"[、,，;；/\s]+", stages_text))):
        value = choice_maps[STAGES].get(part)
        if value is None:
            row.error(STAGES, _("“%(value)s”不是可选的培训对象，可选：学龄前、义务教育、普通高中。")
                      % {"value": part[:30]})
        else:
            data[_STAGE_FIELDS[value]] = True

    today = today_local()
    for kind, number_column, issued_column, until_column in LICENCE_COLUMNS:
        raw_number = cell(number_column)
        licence_number = _text(raw_number)
        issued = _date(row, issued_column, cell(issued_column))
        until = _date(row, until_column, cell(until_column))
        if not licence_number:
            if not _is_blank(cell(issued_column)) or not _is_blank(cell(until_column)):
                row.error(number_column, _("填写了日期但缺少证号。"))
            continue
        if len(licence_number) > 60:
            continue  # reported by the length check below
        if issued is None and _is_blank(cell(issued_column)):
            row.error(issued_column, _("填写了证号，发证日期必填。"))
        if issued and issued > today:
            row.error(issued_column, _("发证日期（%(issued)s）晚于今天。") % {"issued": issued.isoformat()})
        if issued and until and until < issued:
            row.error(until_column, _("有效期至（%(until)s）早于发证日期（%(issued)s）。") % {
                "until": until.isoformat(), "issued": issued.isoformat()})
        key = (kind, licence_number)
        if key in seen.licence_numbers:
            row.error(number_column, _("与本文件第 %(row)d 行的证号重复。")
                      % {"row": seen.licence_numbers[key]})
        else:
            seen.licence_numbers[key] = number
        row.licences.append({"kind": kind, "number": licence_number, "issued_on": issued,
                             "valid_until": until, "column": number_column})
    for name in (SCHOOL_NO, BUSINESS_NO):
        _check_length(row, name, _text(cell(name)))

    if not data["credit_code"] and data["name"] and data["address"]:
        key = _unregistered_key(data)
        if key in seen.unregistered:
            row.error(NAME, _("与本文件第 %(row)d 行同名、同区划、同地址（均无统一社会信用代码），疑为重复。")
                      % {"row": seen.unregistered[key]})
        else:
            seen.unregistered[key] = number

    return row


def _unregistered_key(data: dict) -> tuple[str, str, str]:
    return (data["name"], data.get("region_id", ""), re.sub(r"\s+", "", data["address"]))


def check_chunk_against_database(rows: list[ParsedRow], *, actor) -> None:
    """Region scope, and duplicates against the register: three queries for the whole chunk."""
    region_codes = {row.data["region_id"] for row in rows if row.data.get("region_id", "").isdigit()}
    regions = dict(Region.objects.filter(code__in=region_codes).values_list("code", "level"))
    codes = {row.data["credit_code"] for row in rows if row.valid and row.data.get("credit_code")}
    taken_codes = set(Institution.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    numbers = {licence["number"] for row in rows for licence in row.licences}
    taken_numbers = set(Licence.objects.filter(number__in=numbers).values_list("kind", "number"))
    unregistered = [row for row in rows if row.valid and not row.data["credit_code"]]
    taken_unregistered = {
        _unregistered_key({"name": name, "region_id": region, "address": address})
        for name, region, address in Institution.objects.filter(
            region_id__in={row.data["region_id"] for row in unregistered},
            name__in={row.data["name"] for row in unregistered},
        ).values_list("name", "region_id", "address")
    } if unregistered else set()
    scope = actor.region_code
    for row in rows:
        code = row.data.get("region_id", "")
        if code.isdigit():
            level = regions.get(code)
            if level is None:
                row.error(REGION, _("区划代码 %(code)s 不存在。") % {"code": code})
            elif level < RegionLevel.COUNTY:
                row.error(REGION, _("区划代码 %(code)s 是省或市级区划，请填写县（区）或乡镇（街道）代码。")
                          % {"code": code})
            elif not permissions.can_create_institution(actor, code):
                row.error(REGION, _("区划 %(code)s 不在您的辖区（%(scope)s）内，不能导入。")
                          % {"code": code, "scope": scope})
        if row.data.get("credit_code") in taken_codes:
            row.error(CREDIT_CODE, _("统一社会信用代码 %(code)s 已在台账中登记，不能重复导入。") % {
                "code": row.data["credit_code"]})
        if not row.data.get("credit_code") and _unregistered_key(row.data) in taken_unregistered:
            row.error(NAME, _("同名、同区划、同地址的机构已在台账中登记（无统一社会信用代码），"
                              "不能重复导入。"))
        for licence in row.licences:
            if (licence["kind"], licence["number"]) in taken_numbers:
                row.error(licence["column"], _("证号 %(number)s 已在台账中登记，不能重复导入。")
                          % {"number": licence["number"]})


def _choice_maps() -> dict:
    maps = {name: _choice_map(choices) for name, (choices, _f) in CHOICE_COLUMNS.items()}
    maps[STAGES] = _choice_map(StudentStage.choices)
    return maps


def iter_parsed_chunks(ledger: LedgerSheet, *, actor, skip_rows: int = 0,
                       chunk_size: int | None = None) -> Iterator[tuple[int, list[ParsedRow]]]:
    """(data rows done so far, rows of the chunk). The first `skip_rows` rows are parsed for in-file
    duplicates only and are not yielded (a resumed import)."""
    chunk_size = chunk_size or CHUNK_SIZE
    seen, maps = FileSeen(), _choice_maps()
    chunk, done = [], 0
    for number, values in iter_data_rows(ledger):
        row = parse_row(number, values, ledger, seen, maps)
        done += 1
        if done <= skip_rows:
            continue
        chunk.append(row)
        if len(chunk) >= chunk_size:
            check_chunk_against_database(chunk, actor=actor)
            yield done, chunk
            chunk = []
    if chunk:
        check_chunk_against_database(chunk, actor=actor)
        yield done, chunk


def _report_entries(rows: list[ParsedRow], phase: str = "validate") -> list[dict]:
    return [{"row": row.number, "column": column, "reason": reason, "phase": phase}
            for row in rows for column, reason in row.errors]


def _read_content(job: ImportJob) -> bytes:
    job.file.open("rb")
    try:
        return job.file.read(settings.IMPORT_MAX_BYTES + 1)
    finally:
        job.file.close()


# ---- services: upload, validate, confirm, cancel, import -------------------------------------------

@transaction.atomic
def import_upload(*, actor, uploaded_file) -> ImportJob:
    """Store the workbook and queue its validation. Nothing is written to the register."""
    if not permissions.can_import_register(actor):
        raise PermissionDenied(_("您的部门无权导入台账。"))
    from .tasks import validate_import

    job = ImportJob(department_id=actor.department_id, original_name=uploaded_file.name[:200],
                    created_by=actor, updated_by=actor)
    job.file.save(uploaded_file.name, uploaded_file, save=False)
    job.save()
    transaction.on_commit(lambda: validate_import.delay(job.pk))
    return job


def validate_job(job_id: int) -> None:
    """Phase 1: read the file and store the per-row report. Idempotent: only a job still validating runs."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.state != ImportJobState.VALIDATING:
        return
    pending = ImportJob.objects.filter(pk=job_id, state=ImportJobState.VALIDATING)
    ledger = None
    try:
        content = _read_content(job)
        if len(content) > settings.IMPORT_MAX_BYTES:
            raise WorkbookError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。") % {
                "mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
        ledger = open_ledger(content)
        pending.update(total_rows=estimated_rows(ledger), processed_rows=0)
        report, valid, total, last_row = [], 0, 0, 1
        with translation.override("zh-hans"):
            for done, chunk in iter_parsed_chunks(ledger, actor=job.created_by):
                valid += sum(1 for row in chunk if row.valid)
                total, last_row = done, chunk[-1].number
                if len(report) < REPORT_LIMIT:
                    report.extend(_report_entries(chunk))
                if not pending.update(processed_rows=done):
                    return  # cancelled meanwhile
        if total == 0:
            raise WorkbookError(_("工作表“%(sheet)s”在表头下没有任何数据行。") % {"sheet": ledger.title})
        pending.update(state=ImportJobState.VALIDATED, valid_rows=valid, report=report[:REPORT_LIMIT],
                       total_rows=total, processed_rows=total, empty_rows=(last_row - 1) - total,
                       updated_at=timezone.now())
    except WorkbookError as error:
        pending.update(state=ImportJobState.REJECTED, file_error=error.message, updated_at=timezone.now())
    except Exception:
        logger.exception("validating import job %s failed", job_id)
        pending.update(state=ImportJobState.REJECTED, updated_at=timezone.now(), file_error=_(
            "读取工作簿时出错，文件可能已损坏。请用 Excel 打开并另存为 .xlsx 后重新上传。"))
    finally:
        if ledger is not None:
            ledger.close()


def _job_for(actor, job_id: int) -> ImportJob:
    """The job, locked, if it belongs to the actor's department; DoesNotExist otherwise (the view's 404)."""
    return ImportJob.objects.select_for_update().get(pk=job_id, department_id=actor.department_id)


@transaction.atomic
def import_confirm(*, actor, job_id: int) -> tuple[ImportJob, bool]:
    """The user confirms the valid rows. Returns (job, started); confirming twice does nothing."""
    if not permissions.can_import_register(actor):
        raise PermissionDenied(_("您的部门无权导入台账。"))
    job = _job_for(actor, job_id)
    if job.state in (ImportJobState.IMPORTING, ImportJobState.DONE):
        return job, False
    if job.state != ImportJobState.VALIDATED:
        raise ImportJobError(_("该导入当前为“%(state)s”，不能确认导入。")
                             % {"state": job.get_state_display()})
    if job.valid_rows == 0:
        raise ImportJobError(_("没有可导入的有效记录。请修正文件后重新上传。"))
    from .tasks import run_import

    job.state = ImportJobState.IMPORTING
    job.confirmed_by, job.confirmed_at, job.updated_by = actor, timezone.now(), actor
    job.processed_rows = 0
    job.save(update_fields=[
        "state", "confirmed_by", "confirmed_at", "updated_by", "processed_rows", "updated_at"])
    record_event(actor=actor, kind="import_confirmed", obj=job, after={"valid_rows": job.valid_rows},
                 summary=_("确认导入台账“%(name)s”：%(count)d 条有效记录") % {"name": job.original_name,
                                                                    "count": job.valid_rows})
    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job, True


CANCELLABLE = frozenset({ImportJobState.VALIDATING, ImportJobState.VALIDATED, ImportJobState.REJECTED})


@transaction.atomic
def import_cancel(*, actor, job_id: int) -> ImportJob:
    if not permissions.can_import_register(actor):
        raise PermissionDenied(_("您的部门无权导入台账。"))
    job = _job_for(actor, job_id)
    if job.state not in CANCELLABLE:
        raise ImportJobError(_("该导入当前为“%(state)s”，不能取消。") % {"state": job.get_state_display()})
    job.state, job.updated_by = ImportJobState.CANCELLED, actor
    job.save(update_fields=["state", "updated_by", "updated_at"])
    return job


def _build(row: ParsedRow, *, actor, today: date) -> tuple[Institution, list[Licence]]:
    institution = Institution(**row.data, created_by=actor, updated_by=actor)
    licences = []
    for spec in row.licences:
        expired = spec["valid_until"] is not None and spec["valid_until"] < today
        licences.append(Licence(
            kind=spec["kind"], number=spec["number"], issued_on=spec["issued_on"],
            valid_until=spec["valid_until"], state=LicenceState.EXPIRED if expired else LicenceState.VALID,
            created_by=actor, updated_by=actor))
    institution.licence_standing = compute_standing(licences, today)
    return institution, licences


def _creation_event(institution: Institution, licences: list[Licence], *, actor, job: ImportJob,
                    now) -> AuditEvent:
    """The 'created' audit event of a new institution, the same row `record_event` would write.

    A new institution's chain is empty (ids are never reused), so its first link is the genesis hash and
    needs neither the chain lock nor a read: the events of a chunk go in with one bulk insert.
    """
    after = json_safe({**snapshot(institution), "licences": [snapshot(licence) for licence in licences]})
    summary = _("台账导入登记机构：%(name)s（导入批次 %(job)d）") % {"name": institution.name, "job": job.pk}
    summary = summary[:200]
    object_type, object_id = institution._meta.label_lower, str(institution.pk)
    digest = compute_hash(
        prev_hash=GENESIS_HASH, created_at=now, actor_id=actor.pk, institution_id=institution.pk,
        object_type=object_type, object_id=object_id, kind="created", summary=summary, before=None,
        after=after)
    return AuditEvent(
        created_at=now, actor_id=actor.pk, actor_name=str(actor), institution_id=institution.pk,
        object_type=object_type, object_id=object_id, kind="created", summary=summary, before=None,
        after=after, prev_hash=GENESIS_HASH, hash=digest)


def _write_rows(rows: list[ParsedRow], *, actor, job: ImportJob) -> int:
    """Insert institutions, their licences and their audit events: three bulk inserts for the chunk."""
    today, now = today_local(), timezone.now()
    built = [_build(row, actor=actor, today=today) for row in rows]
    institutions = Institution.objects.bulk_create([institution for institution, _l in built])
    all_licences = []
    for institution, licences in built:
        for licence in licences:
            licence.institution = institution
        all_licences.extend(licences)
    Licence.objects.bulk_create(all_licences)
    AuditEvent.objects.bulk_create([
        _creation_event(institution, licences, actor=actor, job=job, now=now)
        for institution, licences in built])
    return len(institutions)


def _write_rows_one_by_one(rows: list[ParsedRow], *, actor, job: ImportJob) -> list[ParsedRow]:
    """Rare path after a conflict with a concurrent writer: each row whole or not at all.

    Returns the rows refused."""
    refused = []
    for row in rows:
        try:
            with transaction.atomic():
                _write_rows([row], actor=actor, job=job)
        except IntegrityError:
            row.error(CREDIT_CODE, _("与同时进行的其他录入冲突（统一社会信用代码或证号重复），未导入。"))
            refused.append(row)
    return refused


def import_job(job_id: int) -> None:
    """Phase 2: write the confirmed rows chunk by chunk. Idempotent and resumable (see the module doc)."""
    from regulator.locks import advisory_lock

    with advisory_lock(f"institutions.import_job.{job_id}") as acquired:
        if not acquired:
            return
        job = ImportJob.objects.select_related("confirmed_by").get(pk=job_id)
        if job.state != ImportJobState.IMPORTING:
            return
        actor, ledger = job.confirmed_by, None
        try:
            ledger = open_ledger(_read_content(job))
            with translation.override("zh-hans"):
                _import_chunks(job, ledger, actor=actor)
        except Exception as error:
            logger.exception("import job %s failed", job_id)
            message = error.message if isinstance(error, WorkbookError) else _("导入过程中出错。")
            ImportJob.objects.filter(pk=job_id, state=ImportJobState.IMPORTING).update(
                state=ImportJobState.FAILED, updated_at=timezone.now(), finished_at=timezone.now(),
                file_error=message + _("已导入的记录保留，其余未导入。"))
        finally:
            if ledger is not None:
                ledger.close()


def _import_chunks(job: ImportJob, ledger: LedgerSheet, *, actor) -> None:
    start = job.processed_rows
    for done, chunk in iter_parsed_chunks(ledger, actor=actor, skip_rows=start):
        with transaction.atomic():
            locked = (ImportJob.objects.select_for_update().only("state", "imported_rows", "report")
                      .get(pk=job.pk))
            if locked.state != ImportJobState.IMPORTING:
                return
            # Rows that were valid at validation but are not now (e.g. registered meanwhile) are reported.
            newly_invalid = [row for row in chunk if not row.valid and _was_valid(job, row)]
            valid = [row for row in chunk if row.valid]
            imported = 0
            if valid:
                try:
                    with transaction.atomic():
                        imported = _write_rows(valid, actor=actor, job=job)
                except IntegrityError:
                    refused = _write_rows_one_by_one(valid, actor=actor, job=job)
                    newly_invalid += refused
                    imported = len(valid) - len(refused)
            fields = {"processed_rows": done, "imported_rows": locked.imported_rows + imported,
                      "updated_at": timezone.now()}
            if newly_invalid and len(locked.report) < REPORT_LIMIT:
                fields["report"] = locked.report + _report_entries(newly_invalid, phase="import")
            ImportJob.objects.filter(pk=job.pk).update(**fields)
    ImportJob.objects.filter(pk=job.pk, state=ImportJobState.IMPORTING).update(
        state=ImportJobState.DONE, processed_rows=job.total_rows, updated_at=timezone.now(),
        finished_at=timezone.now())


def _was_valid(job: ImportJob, row: ParsedRow) -> bool:
    rows_in_report = job.__dict__.setdefault("_rows_in_report", {entry["row"] for entry in job.report})
    return row.number not in rows_in_report


def progress(job: ImportJob) -> dict:
    """What the detail page polls: state and counts, JSON-safe."""
    running = job.state in (ImportJobState.VALIDATING, ImportJobState.IMPORTING)
    total = job.total_rows or 0
    percent = min(100, round(100 * job.processed_rows / total)) if total else (0 if running else 100)
    return {
        "state": job.state, "state_label": str(job.get_state_display()), "running": running,
        "total_rows": total, "processed_rows": job.processed_rows, "valid_rows": job.valid_rows,
        "imported_rows": job.imported_rows, "percent": percent,
    }

