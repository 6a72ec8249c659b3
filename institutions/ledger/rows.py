"""Validating ledger rows: everything checkable in the file (`parse_row`), then, per chunk, against the
database in a fixed handful of queries (`check_chunk_against_database`).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from regulator.models import Region, RegionLevel
from regulator.textnorm import name_key

from .. import permissions
from ..models import Institution, Licence, StudentStage
from ..services import today_local
from ..validators import normalize_credit_code, validate_credit_code
from .columns import (
    ADDRESS,
    BUSINESS_NO,
    CHOICE_ALIASES,
    CHOICE_COLUMNS,
    CREDIT_CODE,
    LEDGER_COLUMNS,
    LEGAL_REP,
    LICENCE_COLUMNS,
    MAX_LENGTHS,
    NAME,
    NOTES,
    ORGANISER,
    PHONE,
    REGION,
    SCHOOL_NO,
    STAGE_FIELDS,
    STAGES,
    choice_labels,
    choice_map,
)
from .names import address_fragment
from .reader import LedgerSheet, is_blank, iter_data_rows

CHUNK_SIZE = 500


@dataclass
class ParsedRow:
    number: int
    data: dict = field(default_factory=dict)
    licences: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (column, reason)
    # (column, reason) of what is imported but put up for review (names.py: 名称疑含地址); never refuses the row
    warnings: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, column: str, reason) -> None:
        self.errors.append((column, str(reason)))

    def warn(self, column: str, reason) -> None:
        self.warnings.append((column, str(reason)))


@dataclass
class FileSeen:
    """What earlier rows of the same file used, for duplicates within the file."""

    credit_codes: dict = field(default_factory=dict)
    licence_numbers: dict = field(default_factory=dict)
    # (name, region, address) of rows without a credit code: the only way to recognise them again
    unregistered: dict = field(default_factory=dict)


def _check_length(row: ParsedRow, name: str, text: str) -> None:
    if len(text) > MAX_LENGTHS[name]:
        row.error(name, _("内容过长：不超过%(max)d字，当前%(len)d字。")
                  % {"max": MAX_LENGTHS[name], "len": len(text)})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    return str(value).strip()


# Dates as a CSV holds them (the register's CSV export writes ISO dates).
TEXT_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


def _text_date(text: str) -> date | None:
    for text_format in TEXT_DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), text_format).date()
        except ValueError:
            continue
    return None


def _date(row: ParsedRow, column: str, value, *, text_dates: bool = False) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and text_dates:
        parsed = _text_date(value)
        if parsed is None:
            row.error(column, _("“%(value)s”不是日期：请按 2024-01-31 的形式填写。") % {"value": value.strip()[:30]})
        return parsed
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
        if name in MAX_LENGTHS:
            _check_length(row, name, text)
        data[model_field] = text
    fragment = address_fragment(data["name"])
    if fragment:
        row.warn(NAME, _("名称疑含地址，请核对（“%(fragment)s”）") % {"fragment": fragment})
    for column in LEDGER_COLUMNS:
        if column.required and is_blank(cell(column.name)):
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
                "value": text[:30], "allowed": choice_labels(CHOICE_COLUMNS[name][0])})
        else:
            data[model_field] = value

    stages_text = _text(cell(STAGES))
    for part in filter(None, (p.strip() for p in re.split(r"[、,，;；/\s]+", stages_text))):
        value = choice_maps[STAGES].get(part)
        if value is None:
            row.error(STAGES, _("“%(value)s”不是可选的培训对象，可选：学龄前、义务教育、普通高中。")
                      % {"value": part[:30]})
        else:
            data[STAGE_FIELDS[value]] = True

    today = today_local()
    for kind, number_column, issued_column, until_column in LICENCE_COLUMNS:
        raw_number = cell(number_column)
        licence_number = _text(raw_number)
        issued = _date(row, issued_column, cell(issued_column), text_dates=ledger.text_dates)
        until = _date(row, until_column, cell(until_column), text_dates=ledger.text_dates)
        if not licence_number:
            if not is_blank(cell(issued_column)) or not is_blank(cell(until_column)):
                row.error(number_column, _("填写了日期但缺少证号。"))
            continue
        if len(licence_number) > 60:
            continue  # reported by the length check below
        if issued is None and is_blank(cell(issued_column)):
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
    """Name and address as they read (regulator.textnorm.name_key: Traditional or Simplified script, full- or
    half-width punctuation, spaces), in one region."""
    return (name_key(data["name"]), data.get("region_id", ""), name_key(data["address"]))


def check_chunk_against_database(rows: list[ParsedRow], *, actor) -> None:
    """Region scope, and duplicates against the register: three queries for the whole chunk."""
    region_codes = {row.data["region_id"] for row in rows if row.data.get("region_id", "").isdigit()}
    regions = dict(Region.objects.filter(code__in=region_codes).values_list("code", "level"))
    codes = {row.data["credit_code"] for row in rows if row.valid and row.data.get("credit_code")}
    taken_codes = set(Institution.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    numbers = {licence["number"] for row in rows for licence in row.licences}
    taken_numbers = set(Licence.objects.filter(number__in=numbers).values_list("kind", "number"))
    unregistered = [row for row in rows if row.valid and not row.data["credit_code"]]
    # Names are compared folded (a Traditional-script copy of a list is the same institutions), so the candidates
    # are every institution without a credit code in the chunk's regions, folded here: one query.
    taken_unregistered = {
        _unregistered_key({"name": name, "region_id": region, "address": address})
        for name, region, address in Institution.objects.filter(
            region_id__in={row.data["region_id"] for row in unregistered},
        ).values_list("name", "region_id", "address").iterator(chunk_size=2000)
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
    maps = {name: choice_map(choices) for name, (choices, _f) in CHOICE_COLUMNS.items()}
    for name, aliases in CHOICE_ALIASES.items():
        maps[name] = {**aliases, **maps[name]}
    maps[STAGES] = choice_map(StudentStage.choices)
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

