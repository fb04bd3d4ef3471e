"""Small builders for messy input files and read-only peeks into a test warehouse."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], sheet: str = "Register") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(db: Path, sql: str, params=None):
    return query(db, sql, params)[0][0]


TODAY = dt.date.today()
