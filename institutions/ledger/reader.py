"""Reading an uploaded ledger workbook: refuse what cannot be imported, then stream the first sheet's rows.

openpyxl reads the workbook's parts; the sheet's XML is parsed here, row by row in constant memory.
"""

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import iterparse

from django.conf import settings
from django.utils.translation import gettext as _

from regulator.errors import ServiceError
from regulator.uploads import OversizedUpload

from .columns import COLUMN_NAMES, EXPORT_EXTRA_COLUMNS, normalize_header

logger = logging.getLogger(__name__)


class WorkbookError(ServiceError):
    """The file as a whole cannot be imported; nothing in it is looked at further."""



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
    # An OversizedUpload was cut off while streaming in (regulator/uploads.py): past any limit, kept nothing.
    if uploaded_file.size > settings.IMPORT_MAX_BYTES or isinstance(uploaded_file, OversizedUpload):
        raise WorkbookError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。")
                            % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
    _check_archive(uploaded_file)


def _check_archive(uploaded_file) -> None:
    """Read the zip's directory (not its content) and refuse what it would unpack to past
    IMPORT_MAX_UNPACKED_BYTES, so a zip bomb never reaches the worker's XML parser. A file that is no zip at
    all is stored and refused by validation, which says what it is (`_check_file_kind`)."""
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


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def iter_data_rows(ledger: LedgerSheet) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, values) of the non-empty rows below the header, at most IMPORT_MAX_ROWS of them."""
    limit, count = settings.IMPORT_MAX_ROWS, 0
    for number, values in iter_sheet_rows(ledger, ledger.width):
        if number < 2 or all(is_blank(value) for value in values):
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

