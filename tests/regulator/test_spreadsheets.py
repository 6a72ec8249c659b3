"""The one .xlsx writer and the one formula guard (regulator.spreadsheets), and the exports that use them."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from regulator.spreadsheets import FORMULA_PREFIXES, csv_cell, looks_like_formula, xlsx_bytes
from tests.factories import InstitutionFactory

DANGEROUS = ['=HYPERLINK("http://x","点我")', "+123", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_could_start_a_formula_gets_an_apostrophe_in_csv(text):
    assert looks_like_formula(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["历下星光", "a=b", "1+1", " =x", "", "0531-88888888"])
def test_ordinary_text_is_left_alone(value):
    assert not looks_like_formula(value) and csv_cell(value) == value


@pytest.mark.parametrize("value", [-5, -1.5, Decimal("-30000.50"), 0, 42])
def test_numbers_stay_numbers(value):
    assert not looks_like_formula(value)
    assert csv_cell(value) == value and type(csv_cell(value)) is type(value)


def test_empty_and_dates_in_csv():
    assert csv_cell(None) == ""
    assert csv_cell(datetime.date(2026, 3, 1)) == "2026-03-01"


def test_every_prefix_of_the_rule():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def _workbook(sheets):
    return load_workbook(io.BytesIO(xlsx_bytes(sheets=sheets)))


def test_xlsx_keeps_formula_like_text_exact_as_text_cells():
    workbook = _workbook([("台账", ["名称", "金额"], [[text, -5] for text in DANGEROUS])])
    sheet = workbook.worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    # XML readers turn a bare carriage return into a line feed; every other character comes back as written.
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [text.replace("\r", "\n") for text in DANGEROUS]
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))
    assert all(row[1].value == -5 and row[1].data_type == "n" for row in sheet.iter_rows(min_row=2))


def test_xlsx_sheets_headers_and_dates():
    long_title = "一个非常非常非常非常非常非常非常非常非常非常非常长的工作表名称"
    workbook = _workbook([
        ("检查台账", ["日期", "时间"], [[datetime.date(2026, 3, 1), datetime.datetime(2026, 3, 1, 9, 30)]]),
        (long_title, ["空"], [[None]]),
    ])
    first, second = workbook.worksheets
    assert first.title == "检查台账" and second.title == long_title[:31]
    assert first.freeze_panes == "A2" and first["A1"].font.b and first["A1"].value == "日期"
    assert first["A2"].value == datetime.datetime(2026, 3, 1) and first["A2"].number_format == "yyyy-mm-dd"
    assert first["B2"].value == datetime.datetime(2026, 3, 1, 9, 30)
    assert first["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert second["A2"].value is None


@pytest.mark.django_db
def test_register_csv_uses_the_stricter_rule(education_inspector_client, regions):
    InstitutionFactory(name="@SUM(A1)", region=regions["county"], organiser="-2+3", notes="\t=1+1",
                       contact_phone="0531-88888888")
    response = education_inspector_client.get(reverse("institutions:export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    by_name = dict(zip(header, row, strict=True))
    assert by_name["机构名称*"] == "'@SUM(A1)" and by_name["举办者"] == "'-2+3"
    assert by_name["备注"] == "'\t=1+1" and by_name["联系电话"] == "0531-88888888"
