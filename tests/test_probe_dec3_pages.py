"""What a tactical lead saw on the pages in Debian's Chromium at 1366 x 768 (3 December), each pinned here.

- The sidebar's "Indicators seen": 9 of the 14 signs were cut off mid-word in the list ("Many people living at
  or coming and g", "Property too small for the number livi"), with no ellipsis, and a chosen sign read
  "Many people living …". The filter now offers the short names the Overview's "Signs reported" chart uses, and
  a chosen value is shown whole.
- The Visit list: 640 px of blank page between the table and "Visit plan" on a laptop. The phone's cards are
  hidden there, but their fixed-height box stayed, so the plan looked missing below the table."""
from __future__ import annotations

import os

import pytest

from tests.app_server import CHROMIUM, dashboard_env, demo_warehouse, sign_in, streamlit_app

USER, PASSWORD = "lead", "dec3-pages-password"
DEMO_KEY = "cd" * 32    # the seed-5 demo's, as tests/test_layout_browser.py's: one build serves both
LAPTOP = {"width": 1366, "height": 768}
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} missing: apt-get install chromium")


# --- in a browser ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_warehouse(tmp_path_factory, "dec3-pages", seed=5, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "viewer", PASSWORD))
    with streamlit_app(env) as (url, _proc):
        yield url


@pytest.fixture
def laptop(browser):
    """A page in a laptop-sized window of its own."""
    context = browser.new_context(viewport=LAPTOP)
    yield context.new_page()
    context.close()


def _settled(page, extra_ms: int = 2000) -> None:
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=90_000)
    page.wait_for_timeout(extra_ms)


CLIPPED_OPTIONS = """async () => {
    // The open list is drawn a few rows at a time: scroll through it, noting each option whose text is wider
    // than its row (the row clips it, with no ellipsis).
    const cut = new Set(), seen = new Set();
    const list = document.querySelector('[role=listbox]');
    for (let step = 0; step < 20; step++) {
        for (const o of document.querySelectorAll('[role=option] > div')) {
            seen.add(o.textContent);
            if (o.scrollWidth > o.clientWidth + 1) cut.add(o.textContent);
        }
        let box = list;
        while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
        if (!box) break;
        box.scrollTop += 120;
        await new Promise(r => setTimeout(r, 100));
    }
    return [seen.size, [...cut]];
}"""

CLIPPED_TAGS = """() => [...document.querySelectorAll('.st-key-f_indicators [data-tag] > span[title]')]
    .filter(e => e.textContent && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""


@needs_chromium
@pytest.mark.browser
def test_a_laptop_reads_every_sign_in_the_indicators_filter_whole(server, laptop):
    page = laptop
    sign_in(page, server + "/", USER, PASSWORD)
    _settled(page)
    box = page.get_by_role("combobox", name="Indicators seen")
    box.scroll_into_view_if_needed()
    box.click()
    page.locator("[role=option]").nth(1).wait_for(timeout=30_000)
    seen, cut = page.evaluate(CLIPPED_OPTIONS)
    assert seen > 10 and cut == []
    for nth in (1, 2):    # the two longest signs, first in the list
        page.locator("[role=option]").nth(1).click()
        _settled(page, 1000)
        if nth == 1:
            box.click()
            page.locator("[role=option]").nth(1).wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    _settled(page)
    assert page.locator(".st-key-f_indicators [data-tag]").count() == 2
    assert page.evaluate(CLIPPED_TAGS) == []


@needs_chromium
@pytest.mark.browser
def test_a_laptop_has_the_visit_plan_right_under_the_visit_list(server, laptop):
    page = laptop
    sign_in(page, server + "/visits", USER, PASSWORD)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=90_000)
    _settled(page)
    table = grid.bounding_box()
    plan = page.get_by_role("heading", name="Visit plan").first.bounding_box()
    assert plan["y"] - (table["y"] + table["height"]) < 100, (table, plan)
