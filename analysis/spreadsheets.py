"""CSV and XLSX that a spreadsheet can open safely: shared by the dashboard's downloads and `etl export`. No Streamlit here.

A cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets strip before looking) would be run as a formula by Excel or LibreOffice: an address
typed as `=HYPERLINK("http://…")` in a partner's file must arrive as text. Such a cell is
prefixed with a single quote, the spreadsheet convention for "this is text". Their full-width and
small look-alikes (`＝`, `＋`, `－`, `＠`, `﹦`…) count too: a spreadsheet set up for East Asian input,
or a later tidy-up of the text, can turn them into the ASCII sign.

Excel refuses a sheet name with `[ ] : * ? /` or a backslash, longer than 31 characters, or beginning or ending
with an apostrophe; a workbook named after its file gets a cleaned name rather than failing.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
# Positions are written to 6 decimals (about 10 cm): the 17 digits of a float claim a precision no geocode
# has, and make a postcode area's centre look like a surveyed door.
POSITION_COLUMNS = frozenset({"lat", "lon", "latitude", "longitude"})
POSITION_DECIMALS = 6


def neutralise(value: Any) -> Any:
    """The value, with text that a spreadsheet would treat as a formula made inert.

    The first character is compared in its compatibility form (NFKC), which folds full-width and small
    forms (`＝` U+FF1D, `﹢` U+FE62…) onto their ASCII sign."""
    if isinstance(value, str) and value and unicodedata.normalize("NFKC", value[0]).startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sheet_title(name: str, fallback: str = "Sheet1") -> str:
    """`name` as Excel accepts a sheet name: forbidden and control characters become spaces, at most 31
    characters, no apostrophe at either end, not Excel's reserved "History"; `fallback` when nothing is left."""
    text = "".join(ch if ch.isprintable() else " " for ch in SHEET_NAME_FORBIDDEN.sub(" ", str(name)))
    title = " ".join(text.split())[:SHEET_NAME_MAX].strip().strip("'").strip()
    return fallback if not title or title.casefold() == "history" else title


def _cell(value: Any) -> Any:
    """One value as a spreadsheet cell: lists joined, missing values empty, text neutralised."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, set)):
        return neutralise("; ".join(str(v) for v in value if v is not None))
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
        return value.date() if value.time() == dt.time() else value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, str):
        return neutralise(value)
    return value


def rounded_positions(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its latitude and longitude columns (by name, `POSITION_COLUMNS`) rounded to
    `POSITION_DECIMALS`; other columns as they are."""
    cols = [c for c in frame.columns if str(c).strip().casefold() in POSITION_COLUMNS]
    if not cols:
        return frame
    frame = frame.copy()
    for col in cols:
        numbers = pd.to_numeric(frame[col], errors="coerce")
        frame[col] = numbers.round(POSITION_DECIMALS).where(numbers.notna(), frame[col])   # text stays as written
    return frame


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every cell made spreadsheet-safe (and column names too), positions rounded."""
    frame = rounded_positions(frame)
    out = pd.DataFrame({neutralise(str(col)): [_cell(v) for v in frame[col].tolist()] for col in frame.columns},
                       columns=[neutralise(str(col)) for col in frame.columns])
    return out.astype(object)


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens accented names correctly. Lines end in CRLF, which also
    makes the writer quote a cell holding a lone carriage return (with "\\n" endings it would not, and the
    spreadsheet would split the row there)."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "Visit plan") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(sheet, fallback="Sheet1")
    safe = safe_frame(frame)
    ws.append([str(c) for c in safe.columns])
    for row in safe.itertuples(index=False, name=None):
        ws.append(list(row))
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for i, col in enumerate(safe.columns, start=1):
        longest = max([len(str(col))] + [len(str(v)) for v in safe[col].tolist() if v is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, longest + 2))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
