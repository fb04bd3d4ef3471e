"""A file loaded into the demo warehouse (an analyst trying a real export on `make run`'s demo) mixes it: the
banner no longer says that no real person or address is shown, the load says so, and `etl demo` no longer
builds over it unasked."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.admin import build_demo, demo_mark
from etl.loading import DEMO_MIXED_NOTE, load_file
from etl.warehouse import Warehouse, WarehouseError
from tests.analysis_fixtures import KEY, demo_db  # noqa: F401  (a fixture)
from tests.helpers import TODAY, write_text

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
REPORT = ("Report Ref,Date Received,Address,Postcode\n"
          f"REAL-1,{TODAY:%d/%m/%Y},\"27 Lincoln Road, Peterborough\",PE1 2NX\n")


@pytest.fixture
def mixed(demo_db, tmp_path, monkeypatch):  # noqa: F811
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, db)
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    summary = load_file("reports", write_text(tmp_path / "export.csv", REPORT), db=db, source="Police export")
    return db, summary


def test_a_file_loaded_into_the_demo_marks_it_mixed_and_says_so(mixed, demo_db):  # noqa: F811
    db, summary = mixed
    assert demo_mark(Warehouse(db)) == "mixed"
    assert DEMO_MIXED_NOTE in summary.warnings
    assert demo_mark(Warehouse(demo_db)) == "true"      # the demo as built is still the demo alone


def test_the_demo_is_not_built_over_a_mixed_warehouse(mixed, tmp_path):
    db, _ = mixed
    with pytest.raises(WarehouseError, match="is the demo with files loaded into it since .*delete that file"):
        build_demo(db, seed=1, out=tmp_path / "files")


def test_the_banner_says_the_demo_is_mixed(mixed, monkeypatch, tmp_path):
    db, _ = mixed
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "SYNTHETIC DEMO DATA MIXED WITH LOADED FILES" in shown
    assert "No real person or address is shown" not in shown
