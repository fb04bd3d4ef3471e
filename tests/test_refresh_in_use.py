"""A full reload while tactical leads are using the dashboard (issue 6, section 2).

The app runs on a demo warehouse (seed 3, plus the sample district boundaries). Three browser
sessions click through Overview, Data and Map again and again (session 0 opens a fresh tab and
signs in at the start of every round) while `python -m etl demo --seed 4` rebuilds every source
of the same warehouse through the real loaders and swaps it in. Every page the sessions finish must show no error and
exactly the old warehouse's numbers or exactly the new one's, never some of each, and never the
old after the new. After the reload, the same sessions and a fresh tab show the new numbers:
no restart. The expected numbers come from the two warehouses themselves, through the same
analysis functions the pages call, and each page reads several of them from different queries
(Overview: headline and nationalities; Data: sources table and row counts; Map: hotspot
statistics, hexagon counts and the backtest sentence), so a page whose queries straddled the
swap is caught.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_app

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")]

USER, PASSWORD = "lead", "refresh-test-password"
KEY = "ab" * 32
SESSIONS = 3
ROUND = ("Overview", "Data", "Map")
HREF = {"Overview": "/overview", "Data": "/data", "Map": "/"}
DEADLINE_SECONDS = 300  # a hung page fails the test instead of hanging CI
# The data grid puts only the columns in view into the page: this wide, the Data page's Rows and Rejected are.
VIEWPORT = {"width": 1600, "height": 1000}

# One atomic look at the page: whether the run has finished, and everything we compare.
READ = """(title) => {
  const GRIDS = {Overview: 1, Data: 2};  // tables each page draws (the grid draws a moment after the run)
  const app = document.querySelector("[data-testid='stApp']");
  const main = document.querySelector("[data-testid='stMain']");
  const h1 = main && main.querySelector("h1");
  const grids = Array.from(main ? main.querySelectorAll("[data-testid='stDataFrame']") : []);
  const tables = grids.map(g => Array.from(g.querySelectorAll("table tr")).map(
      r => Array.from(r.querySelectorAll("td,th")).map(c => c.innerText.trim())));
  return {
    done: !!(app && app.dataset.testScriptState === "notRunning" && h1 && h1.innerText.trim() === title
             && !document.querySelector("[data-stale='true']") && tables.length >= (GRIDS[title] || 0)
             && tables.every(t => t.length > 1)),
    metrics: Object.fromEntries(Array.from(main ? main.querySelectorAll("[data-testid='stMetric']") : []).map(m => [
        m.querySelector("[data-testid='stMetricLabel']").innerText.trim(),
        m.querySelector("[data-testid='stMetricValue']").innerText.trim()])),
    tables: tables,
    text: main ? main.innerText : "",
    errors: document.querySelectorAll("[data-testid='stException'], [data-testid='stAlertContentError']").length,
  };
}"""
TROUBLE = ("Traceback", "can't be shown", "can't be read", "being refreshed by a load right now")


@dataclass
class Seen:
    session: int
    page: str
    clicked: float        # before the click: every run that produced this page started after it
    read: float
    shown: dict


@dataclass
class Control:
    rounds: dict = field(default_factory=dict)   # session -> [start of each finished round]
    seen: list = field(default_factory=list)
    reload_started: float | None = None
    reload_ended: float | None = None


def _number(text: str) -> int:
    return int(text.replace(",", ""))


@dataclass(frozen=True)
class State:
    """What each page must show for one warehouse, from the analysis functions the pages call."""
    name: str
    headline: tuple
    nationalities: tuple
    sources: tuple
    row_counts: tuple
    incidents: int
    placed: int
    sentence: str

    @classmethod
    def of(cls, name: str, db: Path, today: dt.date) -> "State":
        from analysis import backtest, data_health, hotspots, map_layers, overview
        from analysis.filters import Filters
        from dashboard import warehouse_view
        from etl.warehouse import Warehouse

        f = Filters.default(today)  # what a session with no filters in its address sees
        con = Warehouse(db).connect_read_only()
        try:
            nat = overview.nationality_languages(con, f)
            health = data_health.source_health(con, today)
            return cls(
                name=name,
                headline=tuple((m.label, m.value) for m in overview.headline(con, f, today)),
                nationalities=tuple((str(r.nationality), int(r.reports)) for r in nat.itertuples()),
                sources=tuple((r.source, int(r.rows), int(r.rejected)) for r in health.itertuples()),
                row_counts=tuple((warehouse_view.COUNTED_TABLES[t], n)
                                 for t, n in warehouse_view.counts(con).items()),
                incidents=hotspots.compute(con, f).incidents,
                placed=int(map_layers.report_hexes(con, f, resolution=7)["reports"].sum()),
                sentence=backtest.run(con, f).sentence,
            )
        finally:
            con.close()

    def parts(self, page: str) -> dict:
        return {"Overview": {"headline": self.headline, "nationalities": self.nationalities},
                "Data": {"sources": self.sources, "row_counts": self.row_counts},
                "Map": {"hotspots": self.incidents, "hexagons": self.placed, "backtest": self.sentence}}[page]

    def matches(self, page: str, shown: dict) -> dict[str, bool]:
        """Each part of the page (each from its own query): does it show this warehouse?"""
        metrics = {k: _number(v) for k, v in shown["metrics"].items()}
        tables = shown["tables"]
        if page == "Overview":
            rows = [(r[0], _number(r[1])) for r in tables[0][1:]] if tables else []
            return {"headline": metrics == dict(self.headline),
                    "nationalities": bool(rows) and tuple(rows) == self.nationalities[:len(rows)]}
        if page == "Data":
            # Sources loaded: what, source, latest file, files, last load, days old, newest record, rows; then
            # rows not loaded or not on the map: what, source, rejected, ...
            loaded, quality = (tables[0][1:], tables[1][1:]) if len(tables) > 1 else ([], [])
            rows = [(a[1], _number(a[7]), _number(b[2])) for a, b in zip(loaded, quality)]
            return {"sources": bool(rows) and tuple(rows) == self.sources[:len(rows)],
                    "row_counts": metrics == dict(self.row_counts)}
        text = shown["text"]
        counted = re.search(r"([\d,]+) reports counted there", text)
        placed = re.search(r"([\d,]+) reports with a position are counted", text)
        return {"hotspots": bool(counted) and _number(counted.group(1)) == self.incidents,
                "hexagons": bool(placed) and _number(placed.group(1)) == self.placed,
                "backtest": self.sentence in text}


@pytest.fixture
def app(tmp_path):
    """The dashboard on a seed-3 demo warehouse, with the old state kept aside for the expectations.

    The old state also holds the sample boundaries and reports, so that even the row counts differ from the
    new one (a boundary file lacking some of the six districts keeps their stored outlines: the boundaries
    alone no longer change a count).
    """
    from access.store import Store
    from etl.admin import build_demo
    from etl.loading import load_file
    from etl.warehouse import Warehouse

    db = tmp_path / "hotspots.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
        build_demo(db, seed=3, out=tmp_path / "old-files")
        load_file("boundaries", ROOT / "data" / "samples" / "boundaries_sample.geojson", db=db, source="ONS sample")
        load_file("reports", ROOT / "data" / "samples" / "reports_sample.csv", db=db, source="Sample reports")
    # Loading the samples marked the demo 'mixed', and `etl demo` rightly refuses to overwrite a demo that may
    # hold an analyst's real rows. These samples are synthetic too: say so, so the reload below may replace them.
    with Warehouse(db).transaction() as con:
        con.execute("UPDATE meta SET value = 'true' WHERE key = 'synthetic'")
    shutil.copyfile(db, tmp_path / "old.duckdb")
    accounts = tmp_path / "accounts.db"
    Store(accounts).add(USER, "analyst", PASSWORD)
    log = open(tmp_path / "streamlit.log", "w+")
    env = {**os.environ, "HOTSPOTS_PSEUDONYM_KEY": KEY, "HOTSPOTS_ACCOUNTS": str(accounts),
           "HOTSPOTS_DB": str(db), "HOTSPOTS_TILES": "none"}
    try:
        with streamlit_app(env, output=log) as (url, proc):
            yield {"url": url, "db": db, "old": tmp_path / "old.duckdb", "env": env,
                   "folder": tmp_path, "proc": proc, "log": log}
    finally:
        log.close()


async def _signed_in(page, url: str, first: str) -> None:
    await page.goto(url + HREF[first], timeout=90_000)
    await page.get_by_label("User name").fill(USER, timeout=90_000)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_text(f"Signed in as {USER}", exact=False).first.wait_for(timeout=90_000)


async def _read(page, title: str) -> dict:
    deadline = time.monotonic() + 90
    while True:
        shown = await page.evaluate(READ, title)
        if shown["done"]:
            return shown
        assert time.monotonic() < deadline, f"{title} did not finish: {shown['text'][:500]}"
        await asyncio.sleep(0.2)


async def _session(browser, n: int, url: str, ctl: Control) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    fresh_tabs = n == 0  # this one opens the address anew (and signs in) at every round
    started_at = time.monotonic()
    ctl.rounds[n] = []
    try:
        await _signed_in(page, url, ROUND[0])
        while True:
            round_start = time.monotonic()
            for i, title in enumerate(ROUND):
                clicked = time.monotonic()
                if i == 0 and fresh_tabs and ctl.rounds[n]:
                    await _signed_in(page, url, title)
                elif not (i == 0 and not ctl.rounds[n]):  # the first page is the one signing in opened
                    await page.locator(f"[data-testid='stSidebarNav'] a[href='{url}{HREF[title]}']").click()
                shown = await _read(page, title)
                ctl.seen.append(Seen(n, title, clicked, time.monotonic(), shown))
            ctl.rounds[n].append(round_start)
            if ctl.reload_ended is not None and round_start > ctl.reload_ended:
                return  # a whole round after the reload finished
            assert time.monotonic() - started_at < DEADLINE_SECONDS, "the sessions took too long"
    finally:
        await context.close()


async def _drive(app: dict) -> tuple[Control, dict]:
    from playwright.async_api import async_playwright

    ctl = Control()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        sessions = [asyncio.create_task(_session(browser, n, app["url"], ctl)) for n in range(SESSIONS)]
        # every session has shown the old data once before the reload starts
        while not all(ctl.rounds.get(n) for n in range(SESSIONS)):
            for task in sessions:
                if task.done():
                    task.result()  # raise the session's failure
            await asyncio.sleep(0.2)
        ctl.reload_started = time.monotonic()
        reload = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "etl", "demo", "--db", str(app["db"]), "--seed", "4",
            "--out", str(app["folder"] / "new-files"), cwd=ROOT, env=app["env"],
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await reload.communicate()
        ctl.reload_ended = time.monotonic()
        assert reload.returncode == 0, output.decode()
        await asyncio.gather(*sessions)
        # a fresh tab after the reload: the new data, from the same server process (no restart)
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        await _signed_in(page, app["url"], "Overview")
        fresh = await _read(page, "Overview")
        await context.close()
        await browser.close()
    return ctl, fresh


def test_pages_show_old_or_new_data_during_a_full_reload(app):
    ctl, fresh = asyncio.run(_drive(app))
    assert app["proc"].poll() is None, "the dashboard stopped"

    today = dt.date.today()
    old, new = State.of("old", app["old"], today), State.of("new", app["db"], today)
    # On every page at least two parts, from different queries, tell the two warehouses apart: else
    # "old or new" would prove nothing, and a page mixing them could pass.
    for page in ROUND:
        telling = [part for part in old.parts(page) if old.parts(page)[part] != new.parts(page)[part]]
        assert len(telling) >= 2, (page, telling)

    problems, states_of = [], {n: [] for n in range(SESSIONS)}
    for s in ctl.seen:
        where = f"session {s.session}, {s.page} read {s.read - ctl.reload_started:+.1f}s after the reload started"
        if s.shown["errors"] or any(t in s.shown["text"] for t in TROUBLE):
            problems.append(f"{where}: an error on the page: {s.shown['text'][:300]!r}")
            continue
        parts = {state.name: state.matches(s.page, s.shown) for state in (old, new)}
        whole = [name for name, ok in parts.items() if all(ok.values())]
        if len(whole) != 1:
            problems.append(f"{where}: neither the old nor the new warehouse, part by part: {parts}; "
                            f"metrics {s.shown['metrics']}, tables {[t[:4] for t in s.shown['tables']]}")
            continue
        states_of[s.session].append(whole[0])
        if s.read < ctl.reload_started and whole[0] != "old":
            problems.append(f"{where}: new data before the reload started")
        if s.clicked > ctl.reload_ended and whole[0] != "new":
            problems.append(f"{where}: old data after the reload had finished")
    for n, states in states_of.items():
        if "new" in states and "old" in states[states.index("new"):]:
            problems.append(f"session {n} went back to the old data after the new: {states}")
    assert not problems, "\n".join(problems)
    assert old.matches("Overview", fresh) != new.matches("Overview", fresh) and all(
        new.matches("Overview", fresh).values()), "a fresh tab after the reload does not show the new data"
    assert all("old" in states and states[-1] == "new" for states in states_of.values()), states_of
    app["log"].seek(0)
    assert "Traceback" not in app["log"].read()
