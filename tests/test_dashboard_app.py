"""The dashboard page, run headless with Streamlit's AppTest against small warehouses built here."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import warehouse_view as view
from etl.loading import prepare
from etl.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
CHROMIUM = "/usr/bin/chromium"


def run_page(timeout: float = 60) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    return at


def page_text(at: AppTest) -> str:
    parts = []
    for kind in ("title", "caption", "markdown", "info", "warning", "error", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def build_warehouse(path: Path, *, synthetic: bool = True) -> Path:
    with Warehouse(path).transaction() as con:
        prepare(con)
        if synthetic:
            con.execute("INSERT INTO meta VALUES (?, ?)", ["synthetic", "true"])
        con.execute("""
            INSERT INTO loads (load_id, kind, source, file_name, started_at, finished_at, status,
                               rows_read, rows_loaded, rows_rejected, rows_ungeocoded)
            VALUES (1, 'hmo', 'Fenland District Council', 'fenland_hmo.csv',
                    TIMESTAMP '2024-03-01 09:00', TIMESTAMP '2024-03-01 09:01', 'loaded', 5, 3, 2, 1),
                   (2, 'cases', 'MSHT unit', 'cases.xlsx',
                    TIMESTAMP '2024-03-02 10:00', TIMESTAMP '2024-03-02 10:00', 'loaded', 2, 2, 0, 0),
                   (3, 'cases', 'MSHT unit', 'cases_broken.xlsx',
                    TIMESTAMP '2024-03-03 10:00', TIMESTAMP '2024-03-03 10:00', 'failed', 0, 0, 0, 0)
        """)
        con.execute("""
            INSERT INTO hmo_licence_history (licence_ref, postcode, geocode_status, source, load_id, row_hash)
            VALUES ('L1', 'PE13 1AB', 'postcode', 'Fenland District Council', 1, 'h1'),
                   ('L2', 'PE13 2CD', 'postcode', 'Fenland District Council', 1, 'h2'),
                   ('L3', NULL, 'not_geocoded', 'Fenland District Council', 1, 'h3')
        """)
        con.execute("""
            INSERT INTO cases (case_key, opened_on, geocode_status, exploitation_type, source, load_id, row_hash)
            VALUES ('k1', DATE '2024-01-05', 'postcode', 'labour', 'MSHT unit', 2, 'c1'),
                   ('k2', DATE '2024-02-07', 'postcode', 'sexual', 'MSHT unit', 2, 'c2')
        """)
    return path


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "hotspots.duckdb"
    monkeypatch.setenv("HOTSPOTS_DB", str(path))
    return path


def test_missing_warehouse_shows_a_friendly_message(db):
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Hotspots"
    assert any("No warehouse yet" in i.value and "make run" in i.value for i in at.info)
    assert "Traceback" not in page_text(at)
    assert not at.dataframe and not at.metric


def test_synthetic_warehouse_shows_banner_sources_and_counts(db):
    build_warehouse(db)
    at = run_page()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "SYNTHETIC DEMO DATA" in text

    frame = at.dataframe[0].value
    assert list(frame.columns) == ["kind", "source", "file", "last load", "rows loaded", "rejected", "not geocoded"]
    hmo = frame[frame["source"] == "Fenland District Council"].iloc[0]
    assert (hmo["file"], hmo["rows loaded"], hmo["rejected"], hmo["not geocoded"]) == ("fenland_hmo.csv", 3, 2, 1)
    cases = frame[frame["source"] == "MSHT unit"].iloc[0]
    assert cases["file"] == "cases.xlsx"  # the failed attempt changed nothing, so it is not the latest load
    assert any("failed" in w.value for w in at.warning)

    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"HMO licences (current)": "3", "Intelligence reports": "0", "People in victim cases": "2",
                       "Boundaries": "0", "Postcodes": "0"}


def test_real_warehouse_has_no_banner(db):
    build_warehouse(db, synthetic=False)
    at = run_page()
    assert not at.exception
    assert "SYNTHETIC" not in page_text(at)
    assert len(at.metric) == 5


def test_missing_tables_are_named_not_a_traceback(db):
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('synthetic', 'true')")
    con.execute("CREATE TABLE postcodes (postcode VARCHAR)")
    con.close()
    at = run_page()
    assert not at.exception
    text = page_text(at)
    assert "SYNTHETIC DEMO DATA" in text
    assert "no `loads` table" in text and "python -m etl init" in text
    assert {m.label: m.value for m in at.metric}["Postcodes"] == "0"
    assert {m.label: m.value for m in at.metric}["Intelligence reports"] == "missing"


def test_unreadable_file_is_a_message(db):
    db.write_bytes(b"this is not a duckdb file" * 100)
    at = run_page()
    assert not at.exception
    assert any("can't be read" in e.value for e in at.error)


def test_view_functions_close_their_connections(db):
    """A writer's swap must not be blocked, and the next read must see the new file."""
    build_warehouse(db)
    assert view.row_counts(db)["cases"] == 2
    with Warehouse(db).transaction() as con:
        con.execute("DELETE FROM cases WHERE case_key = 'k1'")
    assert view.row_counts(db)["cases"] == 1
    assert view.is_synthetic(db) is True


# --- in a real browser -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_page_renders_in_chromium(db, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    build_warehouse(db)
    port = _free_port()
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    server = subprocess.Popen(
        [streamlit, "run", APP, "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "HOTSPOTS_DB": str(db)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, server.stdout.read()
            time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
                page.get_by_text("SYNTHETIC DEMO DATA", exact=False).first.wait_for(timeout=60_000)
                page.get_by_text("People in victim cases").first.wait_for(timeout=30_000)
                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
                assert "Traceback" not in page.content()
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
