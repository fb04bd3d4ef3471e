"""Small builders for messy input files and read-only peeks into a test warehouse."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], sheet: str = "Register", merges: tuple[str, ...] = ()) -> Path:
    """A one-sheet workbook of `rows`, with the cell ranges `merges` ("C1:E1") merged as Excel merges them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    wb.save(path)
    return path


def load_text(db: Path, kind: str, text: str, *, source: str | None = None, name: str = "f.csv"):
    """Load `text` as a file of `kind` into `db` (the file beside it); the load's summary."""
    from etl.loading import load_file

    return load_file(kind, write_text(db.parent / name, text), db=db, source=source)


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(db: Path, sql: str, params=None):
    return query(db, sql, params)[0][0]


TODAY = dt.date.today()


def empty_synthetic_warehouse(tmp_path: Path, monkeypatch) -> Path:
    """A warehouse marked synthetic (a demo) with nothing in it, as the dashboard's warehouse, and no
    account store configured: what a first `make run` meets."""
    db = tmp_path / "demo.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('synthetic', 'true')")
    con.close()
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    return db


def dashboard_on(db: Path, tmp_path: Path, monkeypatch, viewer: str = "lead", password: str = "viewer-password-1"):
    """The dashboard on warehouse `db`, with a fresh account store holding one viewer (returned)."""
    from access.store import Store

    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    monkeypatch.delenv("HOTSPOTS_TILES", raising=False)
    accounts = Store()
    accounts.add(viewer, "viewer", password)
    return accounts


def app_signed_in(page: str, name: str = "lead", password: str = "viewer-password-1"):
    """dashboard/app.py in process (streamlit's AppTest), signed in as `name` (`dashboard_on`'s viewer by
    default) and switched to `page`, with no exception on the way."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button[0].click().run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at



def signs_of(texts: list[str]) -> list[list[str]]:
    """Each text's sign codes, read as the loader reads a report's text: negations set aside, then matched."""
    from etl.loaders import vocabularies

    con = duckdb.connect()
    return [c for (c,) in con.execute(
        f"SELECT {vocabularies.indicator_codes_sql('r')} FROM ("
        f"SELECT {vocabularies.negation_sql('t')} AS r, i FROM unnest(?::VARCHAR[]) WITH ORDINALITY u(t, i)) ORDER BY i",
        [texts]).fetchall()]


def signs_read(texts: dict[str, list[str]]) -> dict[str, list[str]]:
    """`signs_of` keyed by the text, to compare with a {text: codes it should give} table."""
    return dict(zip(texts, signs_of(list(texts))))
