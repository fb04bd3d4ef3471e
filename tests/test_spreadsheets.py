"""Spreadsheet exports (visit plans, etl export): formulas neutralised, rows never split."""
from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd

from analysis import spreadsheets as exports

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def plan() -> pd.DataFrame:
    return pd.DataFrame({
        "Rank": [1, 2, 3, 4, 5, 6, 7],
        "Address": HOSTILE + ["12 High Street, Wisbech"],
        "Why": ["3 reports", "=cmd", "ok", "ok", "ok", "ok", "fine; - dash inside is fine"],
        "Language support": [["Romanian", "=x"], np.array(["Polish"]), [], None, "Lithuanian, Russian", "", "-"],
        "Last report": [pd.Timestamp("2026-11-01")] * 6 + [pd.NaT],
        "Last visit": [None] * 7,
        "Latitude": [52.1, 52.2, None, 52.4, 52.5, 52.6, 52.7],
    })


def test_neutralise():
    for value in HOSTILE:
        assert exports.neutralise(value) == "'" + value
    for value in ("12 High Street", "", "a=b", "O'Brien House", 5, None, -3):
        assert exports.neutralise(value) == value


def test_csv_cells_are_neutralised():
    data = exports.to_csv(plan())
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a byte-order mark
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["Address"] for r in rows[:6]] == ["'" + v for v in HOSTILE]
    assert rows[6]["Address"] == "12 High Street, Wisbech"
    assert rows[1]["Why"] == "'=cmd"
    assert rows[0]["Language support"] == "Romanian; =x" and rows[1]["Language support"] == "Polish"
    assert rows[6]["Language support"] == "'-"
    assert rows[0]["Last report"] == "2026-11-01" and rows[6]["Last report"] == ""
    for row in rows:
        for value in row.values():
            assert not value.startswith(exports.FORMULA_STARTS), value


def test_xlsx_cells_are_text_never_formulas():
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(plan())))
    ws = wb.active
    assert ws.title == "Visit plan"
    header = [c.value for c in ws[1]]
    assert header == ["Rank", "Address", "Why", "Language support", "Last report", "Last visit", "Latitude"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(exports.FORMULA_STARTS), cell.value
    addresses = [ws.cell(row=r, column=2).value for r in range(2, 9)]
    assert addresses[:6] == ["'" + v.replace("\r", "\n") for v in HOSTILE]  # XML reads a CR back as LF
    assert ws.cell(row=2, column=5).value == dt.datetime(2026, 11, 1)
    assert ws.cell(row=2, column=1).value == 1 and ws.cell(row=4, column=7).value is None
