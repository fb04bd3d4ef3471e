"""What a tactical lead saw in Debian's Chromium on a phone (390 x 844) and a laptop (1366 x 768), on a demo
warehouse with a reports file of hostile text loaded into it (3 December, second round), each pinned here.

- The Overview's "Nationalities and the languages to bring" table ran off a phone's right edge: Streamlit's grid
  keeps each cell on one line, so "Languages to bring" (the column a lead reads the table for) showed
  "Lithuanian, Russia" cut at the edge, behind a sideways scroll. A phone now gets the same rows as a table
  whose cells wrap; a laptop keeps the grid.
- The Map's panel (a hexagon clicked) had the same table, cut the same way on a phone; and its "Signs reported
  here" grid cut "Identity documents held by someone else or missing" mid-word on a laptop and a phone. The
  panel now names the signs as the sidebar's filter and the Overview's chart do (at most 30 characters).
- The Overview's table left "Languages to bring" blank for a nationality with none known (British), where the
  Map's panel says "–"; both say "–" now.
- The sidebar's open "Districts" and "Who reported" lists cut "Unknown district (not placed, or flagged)" to
  "Unknown district (not placed, or flagg" and "GLAA (Gangmasters and Labour Abuse Authority)" mid-word, at both
  sizes. The filters now offer "Unknown district" and "GLAA", as the README and the Overview's chart name them;
  their help says what each holds.
- Escaping: addresses, summaries, nationalities and the source name of a file holding `<script>`, `<img
  onerror>`, `"><svg onload>`, `{{7*7}}`, Markdown and formula starts ran no script on any page and showed as
  text; the new phone table is checked the same way."""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os

import duckdb
import pytest

from tests.app_server import CHROMIUM, dashboard_env, demo_warehouse, sign_in, streamlit_app
from tests.test_probe_dec3_pages import CLIPPED_OPTIONS

USER, PASSWORD = "lead", "dec3b-pages-password"
DEMO_KEY = "cd" * 32    # the seed-5 demo's, as tests/test_probe_dec3_pages.py's: one build serves both
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>", "{{7*7}}"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} missing: apt-get install chromium")


def _hostile_reports(db, folder):
    """A reports file whose free text is hostile, placed where the demo's own reports are, received last week."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        lat, lon = con.execute("SELECT lat, lon FROM reports WHERE lat IS NOT NULL LIMIT 1").fetchone()
    finally:
        con.close()
    path = folder / "hostile.csv"
    when = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    with open(path, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Report Ref", "Date Received", "Source Type", "Address", "Latitude", "Longitude", "Indicators",
                    "Exploitation Type", "Nationalities", "People Seen", "Grading", "Summary"])
        for i, text in enumerate(HOSTILE):
            w.writerow([f"HX-{i}", when, "Police officer", f"{text}, {i + 1} Test Road", lat, lon,
                        "many people coming and going", "Labour exploitation", text, 6, "1-A-P", f"Seen {text}"])
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from etl.loading import load_file

    db = demo_warehouse(tmp_path_factory, "dec3b-pages", seed=5, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "viewer", PASSWORD))
    with pytest.MonkeyPatch.context() as mp:
        for name in ("HOTSPOTS_PSEUDONYM_KEY", "HOTSPOTS_ACCOUNTS", "HOTSPOTS_OPERATIONS", "HOTSPOTS_KEY_FILE"):
            mp.setenv(name, env[name])
        load_file("reports", _hostile_reports(db, db.parent), db=db, source="<script>alert(1)</script> =1+1")
    with streamlit_app(env) as (url, _proc):
        yield url


@contextlib.contextmanager
def _page(browser, viewport):
    """A page in a fresh browser context of that size, recording any dialog a script opens."""
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        yield page
    finally:
        context.close()


@pytest.fixture
def phone(browser):
    with _page(browser, PHONE) as page:
        yield page


@pytest.fixture
def laptop(browser):
    with _page(browser, LAPTOP) as page:
        yield page


def _settled(page, extra_ms: int = 2000) -> None:
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=90_000)
    page.wait_for_timeout(extra_ms)


def _open_overview(page, server: str) -> None:
    sign_in(page, server + "/overview", USER, PASSWORD)
    page.get_by_text("Nationalities and the languages to bring").first.wait_for(timeout=90_000)
    _settled(page, 3000)


NATIONALITY_TABLE = """() => {
    // The nationality table a lead can see: its headings, whether it fits the window, cells wider than they are.
    const t = [...document.querySelectorAll('table')].find(t => t.offsetParent
        && [...t.querySelectorAll('th')].some(h => h.textContent.trim() === 'Languages to bring'));
    if (!t) return null;
    const cells = [...t.querySelectorAll('th, td')];
    return {right: t.getBoundingClientRect().right, width: window.innerWidth,
            cut: cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent),
            text: t.innerText, rows: [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent))};
}"""


@needs_chromium
@pytest.mark.browser
def test_a_phone_reads_the_languages_to_bring_without_scrolling_sideways(server, phone):
    page = phone
    _open_overview(page, server)
    table = page.evaluate(NATIONALITY_TABLE)
    assert table is not None, "no nationality table a phone shows whole"
    assert table["right"] <= table["width"] and table["cut"] == [], table
    assert "Lithuanian" in table["text"] and "Russian" in table["text"]
    british = [row for row in table["rows"] if row[0] == "British"]
    assert british and british[0][-1] == "–", british        # no language known: said, not a blank cell
    # The hostile nationalities are the loaded file's own words, shown as text; no script ran.
    assert "<img src=x onerror=alert" in table["text"]
    assert page.locator("img[onerror], svg[onload]").count() == 0 and page.dialogs == []


@needs_chromium
@pytest.mark.browser
def test_a_laptop_keeps_the_nationality_grid_and_no_second_table(server, laptop):
    page = laptop
    _open_overview(page, server)
    assert page.evaluate(NATIONALITY_TABLE) is None      # the phone's table is hidden
    assert page.locator(".st-key-wide_view_nationalities [data-testid='stDataFrame']").is_visible()
    assert page.dialogs == []


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_district_and_reporter_filters_show_every_option_whole(server, browser, viewport):
    with _page(browser, viewport) as page:
        sign_in(page, server + "/", USER, PASSWORD)
        _settled(page)
        if viewport is PHONE:
            page.locator("[data-testid='stExpandSidebarButton']").first.click()
            page.wait_for_timeout(1000)
        for name, option in (("Districts", "Unknown district"), ("Who reported", "GLAA")):
            box = page.get_by_role("combobox", name=name)
            box.scroll_into_view_if_needed()
            box.click()
            page.locator("[role=option]").nth(1).wait_for(timeout=30_000)
            seen, cut = page.evaluate(CLIPPED_OPTIONS)
            assert seen >= 7 and cut == [], (name, cut)
            assert page.get_by_role("option", name=option, exact=True).count() == 1
            page.keyboard.press("Escape")
            page.wait_for_timeout(800)
        assert page.dialogs == []


BUSIEST_HEXAGON = """() => {
    // Focus the report hexagon with the most reports (its tooltip starts "63 reports in this area").
    const n = l => { const m = (l.feature.properties.tip || '').match(/^([0-9,]+) reports?/);
                     return m ? parseInt(m[1].replace(/,/g, '')) : 0; };
    const hexes = Object.values(window.map._layers).filter(l => l._path && l.feature && l.feature.properties
                                                             && l.feature.properties.kind === 'hex');
    hexes.sort((a, b) => n(b) - n(a));
    hexes[0]._path.focus();
    return n(hexes[0]);
}"""

SIGNS_GRID = """() => {
    // The panel's first grid is "Signs reported here": how wide its columns are, against the room it has.
    const grid = [...document.querySelectorAll('[data-testid=stDataFrame]')].find(d => d.offsetParent);
    const scroller = grid && grid.querySelector('.dvn-scroller');
    return scroller && [scroller.scrollWidth, scroller.clientWidth];
}"""


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_map_panel_shows_the_signs_and_the_languages_whole(server, browser, viewport):
    with _page(browser, viewport) as page:
        sign_in(page, server + "/", USER, PASSWORD)
        frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=90_000).content_frame()
        frame.wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)
        page.wait_for_timeout(1500)
        assert frame.evaluate(BUSIEST_HEXAGON) > 20
        page.keyboard.press("Enter")
        page.get_by_text("In this hexagon", exact=True).first.wait_for(timeout=30_000)
        page.get_by_text("Nationalities seen", exact=True).first.wait_for(timeout=30_000)
        _settled(page, 3000)
        wide, room = page.evaluate(SIGNS_GRID)
        assert wide <= room + 1, (wide, room)     # no sign name runs past the panel's edge
        table = page.evaluate(NATIONALITY_TABLE)
        if viewport is PHONE:
            assert table is not None, "no nationality table a phone shows whole"
            assert table["right"] <= table["width"] and table["cut"] == [], table
            assert "Languages to bring" in table["text"]
        else:
            assert table is None and page.locator(
                ".st-key-wide_view_cell_nationalities [data-testid='stDataFrame']").is_visible()
        assert page.dialogs == []


# --- in process ---------------------------------------------------------------------------------------------------

def test_the_phone_table_shows_data_as_text():
    import pandas as pd

    from dashboard import ui

    rows = pd.DataFrame({"nationality": [HOSTILE[1], None], "reports": [3, 1], "languages": ["`${alert(1)}`", ""]})
    html = ui.phone_table_html(rows, {"nationality": "Nationality", "reports": "Reports", "languages": "Languages",
                                      "cases": "Victim cases"}, "Nationalities")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "${" not in html and "None" not in html
    assert html.count("<th scope") == 3        # a column the rows lack is left out
