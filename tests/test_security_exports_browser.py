"""Exports and safety settings in a real browser (Chromium): a server started from another folder than the
repository (so .streamlit/config.toml is not read), as a service unit or a careless `streamlit run` would.

- No export's file is at a /media/ address before its button is clicked (the websocket frames say which
  addresses the page was given); the click downloads it and writes exactly one audit row.
- The tables' own "Download as CSV" stays off: the dashboard sets client.disableDataExport itself.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.app_server import (CHROMIUM, dashboard_env, demo_warehouse, downloaded_lines, sign_in, streamlit_app,
                              tick_visit_rows)

USER, PASSWORD = "lead", "browser-test-password"
DEMO_KEY = "ab" * 32    # the seed-3 demo's, as tests/test_browser.py's: one build serves both

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from access.store import Store

    db = demo_warehouse(tmp_path_factory, "elsewhere", seed=3, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "viewer", PASSWORD), HOTSPOTS_SERVER_PREFETCH="0")
    # The server's working folder is the warehouse's: no .streamlit/ in it.
    with streamlit_app(env, cwd=db.parent, output=subprocess.DEVNULL) as (url, _proc):
        yield url, Store(env["HOTSPOTS_ACCOUNTS"])


def test_an_export_leaves_only_when_clicked_with_one_audit_row(server, browser, tmp_path):
    url, accounts = server
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    media: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: media.extend(
        re.findall(r"/media/[0-9a-f]+\.[a-z]+", payload.decode("latin-1") if isinstance(payload, bytes)
                   else payload))))
    try:
        sign_in(page, url + "/visits?district=E06000031", USER, PASSWORD, state="visible")
        tick_visit_rows(page, (0, 1))
        button = page.get_by_role("button", name="Download CSV")
        button.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        assert media == [], media                                   # nothing to fetch without a click
        assert accounts.audit_rows(action="export") == []
        lines = downloaded_lines(page, button, tmp_path / "plan.csv")
        assert lines[0].startswith("Rank,Address,Postcode") and len(lines) == 3
        page.wait_for_timeout(2000)
        rows = accounts.audit_rows(action="export")
        assert len(rows) == 1 and rows[0]["actor"] == USER and rows[0]["rows"] == 2

        # The table's toolbar: no "Download as CSV" of its own, though config.toml was not read.
        page.locator("[data-testid='stDataFrame']").first.hover()
        toolbar = page.locator("[data-testid='stElementToolbar']").first
        toolbar.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        labels = [b.get_attribute("aria-label") or b.inner_text() for b in toolbar.locator("button").all()]
        assert labels and not any("download" in (label or "").lower() for label in labels), labels
    finally:
        context.close()
