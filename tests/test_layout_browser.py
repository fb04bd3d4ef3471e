"""What a keyboard-and-phone review found, checked in Debian's Chromium: a phone's visit list, labels cut short
on a laptop, the browser's Back after a shared link, and the Overview's charts in words.

The chart wording and the address comparison are also checked without a browser, on small frames.
"""
from __future__ import annotations

import datetime as dt
import os
import re

import duckdb
import pandas as pd
import pytest

from tests.app_server import CHROMIUM, dashboard_env, demo_warehouse, sign_in, streamlit_app, visit_row_y

USER, PASSWORD = "lead", "layout-test-password"
DEMO_KEY = "cd" * 32    # the seed-5 demo's, as tests/test_route_map_notice.py's: one build serves both
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} missing: apt-get install chromium")


# --- without a browser ---------------------------------------------------------------------------------------

def test_an_address_that_leaves_out_the_default_dates_says_the_same(monkeypatch):
    from analysis.filters import Filters
    from dashboard import state

    today = dt.date(2026, 11, 30)
    monkeypatch.setattr(state, "today", lambda: today)
    fenland = Filters.from_params({"district": "E07000010"}, today).to_params()
    assert state.says_the_same({"district": "E07000010"}, fenland)
    assert state.says_the_same(fenland, fenland)
    assert state.says_the_same({}, Filters.default(today).to_params())
    assert not state.says_the_same({}, fenland)                                   # a filter chosen since
    assert not state.says_the_same({"district": "E07000010", "from": "yesterday"}, fenland)   # a bad value
    assert not state.says_the_same({"district": "E07000010", "plan": "3"}, fenland)  # another page's parameter
    thirty = Filters(date_from=today - dt.timedelta(days=29), date_to=today, districts=("E07000010",)).to_params()
    assert not state.says_the_same({"district": "E07000010"}, thirty)             # other dates than the default


def test_the_trend_in_words_says_its_numbers():
    from dashboard import ui

    counts = pd.DataFrame({
        "period": pd.to_datetime(["2026-11-02", "2026-11-02", "2026-11-09", "2026-11-09", "2026-11-16", "2026-11-16",
                                  "2026-11-23", "2026-11-23"]),
        "district": ["Fenland", "Peterborough"] * 4,
        "reports": [1, 2, 0, 3, 5, 4, 2, 1]})
    sentence, table = ui.trend_in_words(counts, "week")
    assert sentence == ("In words: 18 reports over the 4 weeks drawn. The most in one week: 9, in the week beginning "
                        "16 Nov 2026. The last 2 weeks had 12, more than the 6 of the first 2. "
                        "By district: Peterborough 10, Fenland 8.")
    assert list(table.columns) == ["Week beginning", "Peterborough", "Fenland", "All districts"]
    assert table["All districts"].tolist() == [3, 3, 9, 3]


def test_bars_and_visits_in_words_name_their_numbers():
    from dashboard import ui

    frame = pd.DataFrame({"label": ["Labour", "Sexual", "Criminal", "Unknown"], "reports": [9, 30, 4, 1]})
    sentence, table = ui.bars_in_words(frame, "Type of exploitation")
    assert sentence == "In words, the most reports: Sexual 30; Labour 9; Criminal 4; and 1 more in the table."
    assert table["Type of exploitation"].tolist() == ["Sexual", "Labour", "Criminal", "Unknown"]
    weekly = pd.DataFrame({"week": pd.to_datetime(["2026-11-02", "2026-11-09", "2026-11-09"]),
                           "outcome": ["No concerns", "No concerns", "No access"], "visits": [1, 2, 1]})
    sentence, table = ui.visits_in_words(weekly)
    assert sentence == ("In words: 4 visits in 2 weeks, by what each found: No concerns 3, No access 1. The most in "
                        "one week: 3, in the week beginning 09 Nov 2026.")
    assert table.to_dict("list") == {"Week beginning": ["02 Nov 2026", "09 Nov 2026"], "No concerns": [1, 2],
                                     "No access": [0, 1]}


def test_a_card_shows_text_from_a_report_as_text():
    from dashboard import ui

    cards = ui.doors_html(pd.DataFrame({"rank": [1], "address": ['<img src=x onerror="alert(1)">'],
                                        "reasons": ["**2** [reports](http://x)"], "languages": [None]}))
    assert "<img" not in cards and "&lt;img" in cards and "none identified" in cards


# --- in the browser ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> dict:
    """A demo warehouse, an analyst's account, and one saved plan with an outcome (the Visit plans page and the
    Overview's visit numbers have something to show)."""
    from operations.store import OperationsStore, Outcome

    db = demo_warehouse(tmp_path_factory, "layout", seed=5, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "analyst", PASSWORD))
    store = OperationsStore(env["HOTSPOTS_OPERATIONS"])
    stops = pd.DataFrame({"address_key": ["A|1 LAYOUT ST|PE13 1AA", "A|2 LAYOUT ST|PE13 1AA"],
                          "address": ["1 Layout St, Wisbech", "2 Layout St, Wisbech"], "lat": [52.665, 52.667],
                          "lon": [0.16, 0.162]})
    store.save_plan(name="Layout check", planned_for=dt.date.today(), team="PC 1", start_label="Wisbech",
                    start=(52.66, 0.16), stops=stops, created_by=USER)
    store.record(Outcome(visited_on=dt.date.today(), address_key="A|1 LAYOUT ST|PE13 1AA", address="1 Layout St",
                         outcome="no_concerns", lat=52.665, lon=0.16), recorded_by=USER)
    return {"db": db, "env": env}


@pytest.fixture(scope="module")
def server(warehouse):
    with streamlit_app(warehouse["env"]) as (url, _proc):
        yield url


def _page(browser, viewport, **kwargs):
    context = browser.new_context(viewport=viewport, **kwargs)
    return context, context.new_page()


def _settled(page, extra_ms: int = 1500) -> None:
    """Until the script run has finished (Streamlit's status widget gone), and a moment for the frontend."""
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=90_000)
    page.wait_for_timeout(extra_ms)


@needs_chromium
@pytest.mark.browser
def test_a_phone_reads_why_the_first_address_is_ranked_and_the_languages_to_bring(server, browser):
    """At 390 px the table showed Rank, Address and District; why and the language support were off the edge."""
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        sign_in(page, server + "/visits", USER, PASSWORD)
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=90_000)
        _settled(page)
        first = page.locator(".hs-door").first
        first.scroll_into_view_if_needed()
        text = first.inner_text()
        assert text.startswith("1. ") and "Why:" in text and "Language support:" in text and "Last visit:" in text
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert 0 <= box["y"] < PHONE["height"]                     # on screen, after scrolling down only
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        for fact in first.locator("p").all():                      # every line inside the card, none cut off
            assert fact.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), fact.inner_text()

        # The plan under the list: the same cards, not a seven-column table squeezed into the width.
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.evaluate("e => e.scrollIntoView({block: 'center'})")   # the first rows clear of the header
        page.wait_for_timeout(800)
        at = grid.bounding_box()
        for row in (0, 1):
            page.mouse.click(at["x"] + 14, visit_row_y(at, row))
            page.wait_for_timeout(1200)
        page.get_by_text("2 addresses in the plan", exact=False).first.wait_for(timeout=60_000)
        _settled(page, 500)
        assert page.locator(".st-key-plan_doors .hs-door").count() == 2
        assert page.locator(".st-key-plan_doors .hs-door").first.is_visible()
        assert not page.locator(".st-key-plan_table").first.is_visible()
    finally:
        context.close()


@needs_chromium
@pytest.mark.browser
def test_a_laptop_shows_the_table_alone_not_the_phone_cards(server, browser):
    context, page = _page(browser, LAPTOP)
    try:
        sign_in(page, server + "/visits", USER, PASSWORD)
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=90_000)
        _settled(page)
        assert page.locator(".hs-door").count() > 0 and not page.locator(".hs-door").first.is_visible()
    finally:
        context.close()


CUT_SHORT = """(known) => {
    // Labels, metric labels, checkbox texts and chosen values that the browser cuts off with an ellipsis.
    const cut = [];
    for (const e of document.querySelectorAll('[data-testid=stMain] *, [data-testid=stSidebar] *')) {
        if (!e.getClientRects().length || !(e.innerText || '').trim()) continue;
        if (getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
            cut.push(e.innerText.trim());
    }
    for (const input of document.querySelectorAll("[data-testid=stSelectbox] input")) {
        if (input.getClientRects().length && input.value && input.scrollWidth > input.clientWidth + 1)
            cut.push(input.value);
    }
    return cut.filter(text => !known.includes(text));
}"""
PLAN_FORM_STARTS: list[str] = []    # none is cut short now (dashboard/plan_form.py gives the choice a wider row)


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("path, ready", [("/", "Hexagon size"), ("/visits", "How many addresses"),
                                         ("/plans", "Outcomes recorded"), ("/overview", "Victim cases"),
                                         ("/data", "The warehouse")])
def test_no_label_is_cut_short_on_a_laptop(server, browser, path, ready):
    """At 1280 x 800: "Addresses of c…", "Potential victims id…", "HMO licences (lates…", "Individual reports
    (the newe…" and "Follows the zoom (smaller as y…"."""
    context, page = _page(browser, LAPTOP)
    try:
        sign_in(page, server + path, USER, PASSWORD)
        page.get_by_text(ready, exact=True).first.wait_for(timeout=90_000)
        _settled(page, 3000)
        assert page.evaluate(CUT_SHORT, PLAN_FORM_STARTS) == []
        if path == "/":   # every hexagon size, not only the one chosen first
            for size in ("Large areas", "Neighbourhoods", "Streets"):
                page.get_by_role("combobox", name="Hexagon size").click()
                page.get_by_role("option", name=re.compile("^" + size)).click()
                _settled(page, 1000)
                assert page.evaluate(CUT_SHORT, PLAN_FORM_STARTS) == [], size
    finally:
        context.close()


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("link", ["/overview?district=E07000010", "/visits?district=E06000031",
                                  "/plans?district=E07000010", "/"])
def test_one_back_press_leaves_a_shared_link(server, browser, link):
    """The app spelled the link out (dates, the list's length, the plan) on its first run, and the browser kept
    the link as typed one step back: the first Back press reran the same view."""
    context, page = _page(browser, LAPTOP)
    try:
        page.goto("about:blank")
        sign_in(page, server + link, USER, PASSWORD)
        _settled(page, 3000)
        assert page.evaluate("() => history.length") == 2, page.url
        page.go_back()
        page.wait_for_url("about:blank", timeout=10_000)
    finally:
        context.close()


@needs_chromium
@pytest.mark.browser
def test_a_filter_chosen_after_a_shared_link_is_written_whole(server, browser):
    """The link is left as it came only while it says what the page shows: a filter the lead changes is written,
    dates included, so the address can be passed on."""
    context, page = _page(browser, LAPTOP)
    try:
        sign_in(page, server + "/overview?district=E07000010", USER, PASSWORD)
        _settled(page)
        entries = page.evaluate("() => history.length")
        page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first.click()
        page.get_by_role("option", name="Peterborough").click()
        page.keyboard.press("Escape")
        page.wait_for_function("() => location.search.includes('E06000031')", timeout=60_000)
        assert "from=" in page.url and "to=" in page.url and "E07000010" in page.url
        assert page.evaluate("() => history.length") == entries + 1   # Back goes to the link
    finally:
        context.close()


def _said(caption: str) -> dict:
    """The numbers in the trend's sentence: the total, and each district's."""
    total = int(re.search(r"In words: ([\d,]+) reports?", caption).group(1).replace(",", ""))
    districts = dict(re.findall(r"([A-Z][A-Za-z ]+?) ([\d,]+)(?=,|\.$)", caption.split("By district: ")[1]))
    return {"total": total, **{k.strip(): int(v.replace(",", "")) for k, v in districts.items()}}


@needs_chromium
@pytest.mark.browser
def test_the_overview_charts_say_their_numbers_in_words(server, browser, warehouse):
    """Vega gave a screen reader "line chart" and nothing of the numbers: each chart now has a sentence and a
    table, and they are the warehouse's own counts."""
    today = dt.date.today()
    con = duckdb.connect(str(warehouse["db"]), read_only=True)
    try:
        window = [today - dt.timedelta(days=89), today]
        total = con.execute("SELECT count(*) FROM reports WHERE received_on BETWEEN ? AND ?", window).fetchone()[0]
        peterborough = con.execute("SELECT count(*) FROM reports WHERE received_on BETWEEN ? AND ? "
                                   "AND district_code = 'E06000031'", window).fetchone()[0]
        types = con.execute("SELECT exploitation_type, count(*) FROM reports WHERE received_on BETWEEN ? AND ? "
                            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1", window).fetchone()
    finally:
        con.close()
    context, page = _page(browser, LAPTOP)
    try:
        sign_in(page, server + "/overview", USER, PASSWORD)
        page.get_by_text("Visits each week: the numbers", exact=True).wait_for(timeout=90_000)
        _settled(page)
        captions = [c for c in page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
                    if c.startswith("In words")]
        assert len(captions) == 5, captions    # the trend, the three bar charts, the visits
        trend = _said(captions[0])
        assert trend["total"] == total and trend["Peterborough"] == peterborough
        assert f"{types[0].capitalize()} {types[1]:,}" in captions[2]
        assert "1 visit in 1 week, by what each found: No concerns 1" in captions[4]
        # ...and the table under the trend, opened from the keyboard, adds up to the same.
        page.locator("[data-testid='stExpander'] summary", has_text="Reports each week: the numbers").focus()
        page.keyboard.press("Enter")
        table = page.locator("[data-testid='stExpander']", has_text="Reports each week: the numbers").locator("table")
        table.wait_for(timeout=10_000)
        rows = table.locator("tbody tr").all()
        column = [h.strip() for h in table.locator("thead th").all_inner_texts()].index("All districts")
        assert sum(int(r.locator("td, th").nth(column).inner_text().replace(",", "")) for r in rows) == total
    finally:
        context.close()


@needs_chromium
@pytest.mark.browser
def test_a_phone_reads_each_stop_of_a_saved_plan_whole(server, browser):
    """The Visit plans page's stops table showed the stop and the address at 390 px; the language support and
    the licence were off the edge."""
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        sign_in(page, server + "/plans", USER, PASSWORD)
        first = page.locator(".st-key-stop_doors .hs-door").first
        first.wait_for(timeout=90_000)
        _settled(page)
        first.scroll_into_view_if_needed()
        text = first.inner_text()
        assert text.startswith("1. ") and "Language support:" in text, text
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
