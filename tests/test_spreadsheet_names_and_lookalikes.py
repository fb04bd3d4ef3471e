"""Spreadsheet exports: a sheet named after any file name opens in Excel, full-width look-alikes of the formula
signs are neutralised like the ASCII ones, and positions are written to 6 decimals, not 17."""
from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from analysis import export_files, spreadsheets as exports

LOOKALIKES = ["＝1+1", "＋1+1", "－2+3", "＠SUM(A1)", "﹦1+1", "﹢1", "﹣1", "﹫SUM(A1)"]


@pytest.mark.parametrize("value", LOOKALIKES)
def test_full_width_and_small_formula_signs_are_neutralised(value):
    assert exports.neutralise(value) == "'" + value
    rows = list(csv.reader(io.StringIO(exports.to_csv(pd.DataFrame({"Address": [value]})).decode("utf-8-sig"))))
    assert rows[1] == ["'" + value]


@pytest.mark.parametrize("value", ["１ High Street", "Ｍill Lane", "a＝b", "", "—dash first"])
def test_other_full_width_text_is_left_alone(value):
    assert exports.neutralise(value) == value


@pytest.mark.parametrize("name, title", [
    ("visits [draft]", "visits draft"),
    ("a:b*c?d/e\\f", "a b c d e f"),
    ("Priority visits for Operation Hearth November 2026 final", "Priority visits for Operation H"),
    ("'quoted'", "quoted"),
    ("[]", "Sheet1"),
    ("History", "Sheet1"),
    ("tab\there", "tab here"),
    ("Visit plan", "Visit plan"),
])
def test_sheet_titles_excel_accepts(name, title):
    assert exports.sheet_title(name) == title
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(pd.DataFrame({"a": [1]}), sheet=name)))
    assert wb.active.title == title


def test_an_xlsx_export_named_with_brackets_is_written(tmp_path):
    out = tmp_path / "visits [draft].xlsx"
    assert export_files.write(pd.DataFrame({"rank": [1], "address": ["＝1+1"]}), out, ("XLSX",)) == "XLSX"
    ws = openpyxl.load_workbook(out).active
    assert ws.title == "visits draft" and ws["B2"].value == "'＝1+1"


def test_positions_are_written_to_six_decimals():
    frame = pd.DataFrame({"lat": [52.57355159999999, None], "Longitude": [-0.24199526666666665, "n/a"],
                          "score": [1.23456789, 2.0]})
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(frame).decode("utf-8-sig"))))
    assert rows[0]["lat"] == "52.573552" and rows[0]["Longitude"] == "-0.241995"
    assert rows[1]["lat"] == "" and rows[1]["Longitude"] == "n/a"    # text stays as written
    assert rows[0]["score"] == "1.23456789"                          # only positions are rounded
    ws = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    assert ws["A2"].value == 52.573552 and ws["B2"].value == -0.241995
