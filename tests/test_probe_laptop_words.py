"""What a page probe on a laptop (1366x768) found, each pinned here: the Visit plans page's stops table needed a
sideways scroll for why, the languages and the outcome; the Overview's "Who reported" axis cut the GLAA's name
short, and the "Signs reported" axis the signs' (the documents held, the poor living conditions); and the
Overview called an action "Partner enforcement" where the Visit plans page says "Enforcement by a partner"."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from operations import vocabulary
from operations.store import OperationsStore, Outcome
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.app_server import CHROMIUM, dashboard_env, demo_warehouse, sign_in, streamlit_app
from tests.helpers import app_signed_in, dashboard_on

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "viewer-password-1"
TODAY = dt.date.today()
# The page's width in Chromium at 1366x768 with the sidebar open (layout "wide"): 380 px to 1286 px.
LAPTOP_PAGE_WIDTH = 906
LAPTOP = {"width": 1366, "height": 768}
REASONS = ("4 reports in the last 90 days (latest 12 Nov); signs: long hours for low pay, workers picked up by van, "
           "overcrowding; the HMO licence expired 3 months ago; 2 victim cases nearby")


def _stops(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"address_key": [f"A|{i} PROBE ST|PE13 1AA" for i in range(n)],
                         "address": [f"{i} Probe Street, Wisbech" for i in range(n)], "postcode": ["PE13 1AA"] * n,
                         "district": ["E07000010"] * n, "lat": [52.665 + i / 500 for i in range(n)],
                         "lon": [0.16 + i / 500 for i in range(n)], "licence_ref": [None] * n,
                         "licence_status": ["expired"] * n, "reasons": [REASONS] * n,
                         "languages": ["Romanian, Bulgarian (at this address)"] * n,
                         "indicators": [None] * n, "over_occupied": [False] * n, "rank": list(range(1, n + 1)),
                         "score": [9.0] * n})


def _save_plan(store: OperationsStore, user: str = "lead") -> int:
    return store.save_plan(name="Probe", planned_for=TODAY, team="PC 1", start_label="Wisbech", start=(52.66, 0.16),
                           stops=_stops(), created_by=user)


def _signed_in(page: str) -> AppTest:
    return app_signed_in(page, password=PASSWORD)


@pytest.fixture
def env(demo_db, tmp_path, monkeypatch):  # noqa: F811
    dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)
    return OperationsStore()


# --- 1. the plan's stops: why, the languages and the outcome in a laptop's width -----------------------------

def test_the_stops_table_puts_why_the_languages_and_the_outcome_within_a_laptops_width():
    from dashboard import stops_grid

    assert stops_grid.IN_VIEW == ["stop", "address", "reasons", "languages", "outcome"]
    assert stops_grid.COLUMNS[:5] == stops_grid.IN_VIEW
    assert stops_grid.COLUMNS.index("reasons") < stops_grid.COLUMNS.index("postcode")
    assert sum(stops_grid.WIDTHS[c] for c in stops_grid.IN_VIEW) <= LAPTOP_PAGE_WIDTH - 2   # the grid's border
    config = stops_grid.column_config()
    assert [config[c]["label"] for c in stops_grid.IN_VIEW] == ["Stop", "Address", "Why", "Language support",
                                                                "Outcome recorded"]
    assert all(config[c]["width"] == stops_grid.WIDTHS[c] for c in stops_grid.COLUMNS)
    assert stops_grid.ROW_HEIGHT > 64     # Streamlit's grid wraps a cell's text only in rows taller than 64 px


def test_the_plans_page_shows_its_stops_under_the_map_at_the_pages_width(env):
    _save_plan(env)
    at = _signed_in("views/plans.py")
    grids = [d for d in at.dataframe if "address" in d.value.columns and "reasons" in d.value.columns]
    assert len(grids) == 1
    grid = grids[0]
    assert list(grid.value.columns[:5]) == ["stop", "address", "reasons", "languages", "outcome"]
    assert grid.value["reasons"].tolist() == [REASONS] * 3
    assert grid.proto.row_height > 64
    widths = {name: spec.get("width") for name, spec in json.loads(grid.proto.columns).items()}
    assert widths["reasons"] and widths["languages"] and widths["outcome"]
    # Not in a column beside the map, where the page gave it about 500 px of a laptop's 906.
    for column in at.columns:
        assert not any("reasons" in d.value.columns for d in column.dataframe)


# --- 2. the "Who reported" axis: short names, the full ones in the tooltip and the table ---------------------

def test_every_short_source_name_is_a_source_type_and_none_is_shared():
    from dashboard import labels

    codes = {code.lower() for code in labels.SOURCE_TYPES}
    assert labels.SOURCE_TYPES_SHORT and all(code.lower() in codes for code in labels.SOURCE_TYPES_SHORT)
    axis = [labels.source_type_short(code) for code in labels.SOURCE_TYPES]
    assert len(set(axis)) == len(axis)                  # no two bars drawn as one
    assert labels.source_type_short("GLAA") == labels.source_type_short("glaa") == "GLAA"
    assert labels.source_type_short("NCA") == "NCA"
    assert labels.source_type_short("helpline") == labels.source_type("helpline") == "Modern Slavery Helpline"
    assert labels.source_type_short("a feed nobody named") == "a feed nobody named"


def _chart_rows(element) -> tuple[dict, pd.DataFrame]:
    """A chart's Vega-Lite spec and the rows it draws (Streamlit sends an Altair chart's data beside the spec)."""
    spec = json.loads(element.proto.spec)
    frames = [pa.ipc.open_stream(io.BytesIO(d.data.data)).read_all().to_pandas() for d in element.proto.datasets]
    if not frames and element.proto.data.data:
        frames = [pa.ipc.open_stream(io.BytesIO(element.proto.data.data)).read_all().to_pandas()]
    assert len(frames) == 1, len(frames)
    return spec, frames[0]


def test_the_who_reported_axis_has_short_names_and_the_tooltip_and_table_the_full_ones(env):
    from dashboard import labels

    at = _signed_in("views/overview.py")
    charts = [c for c in at.get("vega_lite_chart")
              if any(t.get("title") == "Who reported" for t in json.loads(c.proto.spec).get("encoding", {})
                     .get("tooltip", []))]
    assert len(charts) == 1
    spec, rows = _chart_rows(charts[0])
    axis, tooltip = spec["encoding"]["y"]["field"], spec["encoding"]["tooltip"][0]["field"]
    glaa = labels.source_type("GLAA")
    assert glaa.startswith("GLAA (Gangmasters")
    assert glaa in rows[tooltip].tolist() and "GLAA" in rows[axis].tolist()          # the demo has GLAA reports
    assert rows.loc[rows[tooltip] == glaa, axis].tolist() == ["GLAA"]
    # Every name on the axis whole within its label limit (11 px text: about 40 characters in 240 px).
    assert max(len(v) for v in rows[axis]) <= 30, rows[axis].tolist()
    # The table beneath keeps the full names.
    tables = [t.value for t in at.table if "Who reported" in t.value.columns]
    assert tables and glaa in tables[0]["Who reported"].tolist()


# --- 2b. the "Signs reported" axis: the same, for the signs -------------------------------------------------

def test_every_short_sign_name_is_a_sign_within_30_characters_and_none_is_shared():
    from dashboard import labels

    signs = labels.indicators()
    assert labels.INDICATORS_SHORT and set(labels.INDICATORS_SHORT) <= set(signs)   # the stored codes, exactly
    axis = {code: labels.indicator_short(code) for code in signs}
    assert len(set(axis.values())) == len(axis)         # no two bars drawn as one
    assert all(len(name) <= 30 for name in axis.values()), {c: n for c, n in axis.items() if len(n) > 30}
    # Every label the axis would cut has a short name; a short label is its own.
    assert all(code in labels.INDICATORS_SHORT for code, label in signs.items() if len(label) > 30)
    assert labels.indicator_short("documents_withheld") == "ID held by another or missing"
    assert labels.indicator_short("many_occupants") == "Many people at one address"
    assert labels.indicator_short("poor_living_conditions") == "Poor living conditions"
    assert labels.indicator_short("mattresses") == labels.indicator("mattresses") == "Mattresses on floors"
    assert labels.indicator_short("a_sign_nobody_named") == labels.indicator("a_sign_nobody_named")
    # The Overview's breakdown gives the page the full labels: those find their short names too.
    assert all(labels.indicator_short(signs[code]) == axis[code] for code in signs)
    assert labels.indicator_short("A sign nobody named") == "A sign nobody named"


def test_the_exploitation_types_fit_their_axis_without_short_names():
    """Checked, not shortened: "Domestic servitude" is the longest. A longer type added to categories.toml
    would need an [exploitation_short] table as the signs have."""
    from dashboard import labels

    names = [labels.exploitation(value) for value in labels.exploitation_types()]
    assert names and max(len(name) for name in names) <= 30, names


def _chart_titled(at: AppTest, title: str):
    charts = [c for c in at.get("vega_lite_chart")
              if any(t.get("title") == title for t in json.loads(c.proto.spec).get("encoding", {}).get("tooltip", []))]
    assert len(charts) == 1, len(charts)
    return charts[0]


def test_the_signs_axis_has_short_names_and_the_tooltip_and_table_the_full_ones(env):
    from dashboard import labels

    at = _signed_in("views/overview.py")
    spec, rows = _chart_rows(_chart_titled(at, "Signs reported"))
    axis, tooltip = spec["encoding"]["y"]["field"], spec["encoding"]["tooltip"][0]["field"]
    code_of = {label: code for code, label in labels.indicators().items()}
    assert set(rows[tooltip]) <= set(code_of), rows[tooltip].tolist()                 # full labels in the tooltip
    assert [labels.indicator_short(code_of[v]) for v in rows[tooltip]] == rows[axis].tolist()
    assert (rows[axis] != rows[tooltip]).any()             # the demo's reports have signs whose labels are long
    assert max(len(v) for v in rows[axis]) <= 30, rows[axis].tolist()
    assert rows[axis].is_unique
    tables = [t.value for t in at.table if "Signs reported" in t.value.columns]
    assert tables and sorted(tables[0]["Signs reported"]) == sorted(rows[tooltip])
    # The exploitation chart's names are whole on its axis as they are.
    spec, rows = _chart_rows(_chart_titled(at, "Type of exploitation"))
    assert max(len(v) for v in rows[spec["encoding"]["y"]["field"]]) <= 30


# --- 3. one wording for the follow-up actions --------------------------------------------------------------

def test_the_overviews_action_counts_say_what_the_visit_plans_page_says(env):
    env.record(Outcome(visited_on=TODAY - dt.timedelta(days=3), address_key="A|1|", address="1 Fen Road", lat=52.57,
                       lon=-0.24, outcome="potential_victims", potential_victims=2, nrm_referral=True,
                       partner_enforcement=True), "lead")
    at = _signed_in("views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    actions = vocabulary.actions()
    assert actions["partner_enforcement"] == "Enforcement by a partner"
    assert {label: metrics.get(label) for label in actions.values()} == {
        actions["safeguarding_referral"]: "0", actions["nrm_referral"]: "1", actions["partner_enforcement"]: "1"}
    assert "Partner enforcement" not in metrics


# --- in the browser -------------------------------------------------------------------------------------------

DEMO_KEY = "cd" * 32    # the seed-5 demo's, as tests/test_layout_browser.py's: one build serves both
USER, BROWSER_PASSWORD = "lead", "probe-laptop-password"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_warehouse(tmp_path_factory, "laptop_words", seed=5, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "analyst", BROWSER_PASSWORD), HOTSPOTS_SERVER_PREFETCH="0")
    _save_plan(OperationsStore(env["HOTSPOTS_OPERATIONS"]), USER)
    with streamlit_app(env) as (url, _proc):
        yield url


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")
@pytest.mark.browser
def test_a_laptop_sees_why_the_languages_and_the_outcome_of_each_stop_without_scrolling_sideways(server, browser):
    """The grid draws the headings of the columns in view only: before, Stop, Address, Postcode, HMO licence and
    the start of Why."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    try:
        sign_in(page, server + "/plans", USER, BROWSER_PASSWORD)
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for(timeout=90_000)
        page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=90_000)
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        box = grid.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], box
        headings = page.evaluate("() => [...document.querySelectorAll(\"[data-testid='stDataFrame'] "
                                 "[role=columnheader]\")].map(e => e.textContent.trim())")
        assert headings[:5] == ["Stop", "Address", "Why", "Language support", "Outcome recorded"], headings
        assert page.locator("iframe[title='streamlit_folium.st_folium']").first.is_visible()
    finally:
        context.close()
