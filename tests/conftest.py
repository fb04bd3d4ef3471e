"""Fixtures shared by every test: a private warehouse path, pseudonymisation key and operations store."""
from __future__ import annotations

import os
import time

import pytest


@pytest.fixture(scope="session", autouse=True)
def _new_warehouses_start_migrated(tmp_path_factory):
    """A test's new warehouse starts as a copy of one migrated once per session: migrating a new file took about
    0.8 s of the 2 s a test's first load takes, and most tests make one. The tests of the migrations run
    `etl.migrate.upgrade` on their own connections, and a load in a child process (`python -m etl load`)
    migrates its own new file, so the migrations are still run from scratch by the suite."""
    import shutil

    from etl import migrate
    from etl.warehouse import Warehouse

    blank = tmp_path_factory.mktemp("blank_warehouse") / "blank.duckdb"
    with Warehouse(blank).transaction() as con:
        migrate.upgrade(con)
    from_scratch = Warehouse._start_copy

    def start_copy(self, staged):
        if self.path.exists():
            from_scratch(self, staged)
        else:
            shutil.copyfile(blank, staged)

    patch = pytest.MonkeyPatch()
    patch.setattr(Warehouse, "_start_copy", start_copy)
    yield
    patch.undo()


@pytest.fixture(params=["fast", "careful"])
def reader(request, monkeypatch):
    """Each file is read by DuckDB's reader and by the careful row-by-row one: both must agree. A test that asks
    for `reader` runs once with each."""
    if request.param == "careful":
        from etl.reading import fast_csv

        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    return request.param


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path, monkeypatch):
    """No test reads or creates the analyst's real key (~/.config/hotspots/pseudonym.key)."""
    monkeypatch.setenv("HOTSPOTS_KEY_FILE", str(tmp_path / "pseudonym.key"))


@pytest.fixture(autouse=True)
def _private_operations_store(tmp_path, monkeypatch):
    """Visit plans and outcomes of one test never reach another's (nor the developer's own)."""
    monkeypatch.setenv("HOTSPOTS_OPERATIONS", str(tmp_path / "operations.db"))


@pytest.fixture(autouse=True)
def _no_prefetch_in_process(monkeypatch):
    """No background prefetch thread outlives an in-process test (tests/test_prefetch.py turns it on; real
    servers started by tests/app_server.py run with it, as in production)."""
    monkeypatch.setenv("HOTSPOTS_PREFETCH", "0")


@pytest.fixture(autouse=True)
def _report_copy_made_when_asked(monkeypatch):
    """Analysis code makes the in-memory copy of the reports on first use (a one-off command makes none), so
    the analysis tests run the path the dashboard's pages take, and know which path answered. A test that
    runs dashboard/app.py in process switches to the background mode, as the server does, for that test only."""
    from collections import OrderedDict

    from analysis import report_index

    monkeypatch.setattr(report_index, "_MODE", report_index.ON_FIRST_USE)
    # Each test starts with no copies: one test's newer version of the demo warehouse would otherwise
    # supersede another's in the background mode.
    monkeypatch.setattr(report_index, "_INDEXES", OrderedDict())
    monkeypatch.setattr(report_index, "_BUILDING", {})
    monkeypatch.setattr(report_index, "_FAILED", set())


@pytest.fixture
def db(tmp_path):
    """A warehouse file of the test's own; `load_file(..., db=db)` creates it."""
    return tmp_path / "w.duckdb"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (never `playwright install`), one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.app_server import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """Each download button's data by file name, as the page handed it to Streamlit (AppTest has no media
    store: a callable is kept here instead, as the server would keep it until the browser asks)."""
    from streamlit.elements.widgets import button as st_button

    made: dict = {}
    real = st_button.marshall_file

    def marshall(coordinates, data, proto, mimetype, file_name=None, **kwargs):
        made[file_name] = data
        if callable(data):
            proto.deferred_file_id = f"deferred-{len(made)}"
            proto.url = ""
            return None
        return real(coordinates, data, proto, mimetype, file_name, **kwargs)

    monkeypatch.setattr(st_button, "marshall_file", marshall)
    return made


@pytest.fixture
def machine_on():
    """Sets the machine's zone (TZ) for one test, as a server's clock would be set, and puts it back."""
    was = os.environ.get("TZ")

    def set_zone(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield set_zone
    if was is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = was
    time.tzset()
