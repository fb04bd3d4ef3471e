"""Every dashboard page and every filter, run headless with Streamlit's AppTest against a demo warehouse
built once for this module (and small warehouses for the failure states)."""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from etl.warehouse import Warehouse
from tests.app_server import VISIT_ROW_HEIGHT

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
CHROMIUM = "/usr/bin/chromium"
PAGES = {"map": "views/map.py", "visits": "views/visits.py", "overview": "views/overview.py", "data": "views/data.py"}
TITLES = {"map": "Map", "visits": "Visit list", "overview": "Overview", "data": "Data"}
KEY = "ab" * 32


# --- helpers ---------------------------------------------------------------------------------------------------

def app(page: str = "map", query: dict | None = None, timeout: float = 90) -> AppTest:
    """The app after one run on `page` (the entry script registers the pages, then we switch)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if query:
        at.query_params.update(query)
    at.run()
    sign_in(at)
    if page != "map":
        at.switch_page(PAGES[page]).run()
    return at


def sign_in(at: AppTest, name: str = "tester", password: str = "tester-password-1") -> AppTest:
    """Every page sits behind the sign-in form (tests/test_access_dashboard.py tests the roles)."""
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button[0].click().run()
    return at


@pytest.fixture(scope="module")
def _accounts(tmp_path_factory) -> Path:
    from access.store import Store

    path = tmp_path_factory.mktemp("accounts") / "accounts.db"
    Store(path).add("tester", "analyst", "tester-password-1")
    return path


@pytest.fixture(autouse=True)
def _signed_in_as_analyst(_accounts, monkeypatch) -> None:
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(_accounts))


def text(at: AppTest) -> str:
    parts = []
    for kind in ("title", "caption", "markdown", "info", "warning", "error", "subheader", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def as_int(value: str) -> int:
    return int(value.replace(",", ""))


def folium_args(at: AppTest) -> dict:
    """The arguments the page passed to the st_folium component: the map's script, header and asset links."""
    components = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    assert len(components) == 1
    return json.loads(components[0].proto.json_args)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert "Traceback" not in text(at)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    from etl.admin import build_demo

    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
        build_demo(folder / "demo.duckdb", seed=1, out=folder / "files")
    return folder / "demo.duckdb"


@pytest.fixture
def demo(demo_db, monkeypatch) -> Path:
    monkeypatch.setenv("HOTSPOTS_DB", str(demo_db))
    monkeypatch.delenv("HOTSPOTS_TILES", raising=False)
    return demo_db


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "hotspots.duckdb"
    monkeypatch.setenv("HOTSPOTS_DB", str(path))
    return path


# --- every page on the demo ------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_with_the_demo_banner(demo, page):
    at = app(page)
    assert_clean(at)
    assert at.title[0].value == TITLES[page]
    assert "SYNTHETIC DEMO DATA" in text(at)
    assert not at.error, [e.value for e in at.error]
    # An address that says the view already is not rewritten (each rewrite is a step for the browser's Back):
    # no dates is the last 90 days. A filter chosen writes the view whole (test_filters_live_in_the_url_...).
    assert "from" not in at.query_params and "to" not in at.query_params


def test_map_page_draws_every_layer_from_local_assets(demo):
    at = app("map")
    assert_clean(at)
    args = folium_args(at)
    assert args["returned_objects"] == ["last_object_clicked", "last_active_drawing"]  # panning never reruns
    links = args["js_links"] + args["css_links"]
    assert links and all(link.startswith("/app/static/vendor/") for link in links), links
    assert any(link.endswith("leaflet.markercluster.js") for link in links)
    script = args["script"]
    for layer in ("Reports by area (hexagons)", "HMO licences", "Reports (individual)", "Victim cases (areas only)"):
        assert layer in script
    assert "L.circleMarker" in script and "L.markerClusterGroup" in script and "L.geoJson" in script
    everything = args["script"] + args["header"] + args["html"]
    assert "https://" not in everything.replace("https://www.openstreetmap.org/copyright", "").replace(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "")
    assert "bootstrap" not in everything.lower() and "font-awesome" not in everything.lower()
    assert (ROOT / "dashboard" / "static" / "vendor" / "leaflet" / "leaflet.js").is_file()
    assert "reports with a position are counted in the hexagons" in text(at)
    assert "Hot spot: more reports" in text(at)  # the later layer is only a labelled note
    assert "getting hotter" in text(at) and "intensifying" not in text(at)    # the tooltips' plain words
    assert "Reports in a hexagon" in text(at) and "Report density (kernel): where" not in text(at)
    at.checkbox(key="map_kde").check().run()
    assert "Report density (kernel): where reports lie close together" in text(at)
    empty = app("map", query={"nationality": "Martian"})        # no report: no heading over nothing
    assert "Reports in a hexagon" not in text(empty) and "Hot spot: more reports" in text(empty)


def _in_page_order(node):
    """Every element under `node`, in the order the page draws them (a phone stacks columns in this order)."""
    yield node
    for i in sorted(getattr(node, "children", {}) or {}):
        yield from _in_page_order(node.children[i])


def test_the_map_panel_follows_the_map_before_the_key_and_notes(demo):
    """On a phone the columns stack: the place clicked on the map must come right after the map, not after
    the reliability notes and the open key (about 2,200 pixels further down)."""
    at = app("map")
    assert_clean(at)
    order = [(e.type, getattr(e, "value", None) or getattr(e, "label", None)) for e in _in_page_order(at.main)]
    panel = order.index(("subheader", "What is known here"))
    key = order.index(("expander", "Key"))
    backtest = next(i for i, (kind, text) in enumerate(order) if kind == "info" and "hotspots captured" in str(text))
    folium = [kind for kind, _ in order].index("component_instance")   # streamlit-folium's map
    assert folium < panel < backtest < key


def test_map_tiles_follow_the_environment_and_the_select(demo, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_TILES", "none")   # an offline force: OpenStreetMap is not even offered
    at = app("map")
    assert "tile.openstreetmap.org" not in folium_args(at)["script"]
    assert at.selectbox(key="map_tiles").options == ["No base map"]

    monkeypatch.setenv("HOTSPOTS_TILES", "https://tiles.force.example/{z}/{x}/{y}.png")
    at = app("map")
    assert "tiles.force.example" in folium_args(at)["script"]
    assert at.selectbox(key="map_tiles").options == ["Force tile server", "No base map"]

    monkeypatch.delenv("HOTSPOTS_TILES")
    at = app("map")
    assert "tile.openstreetmap.org" in folium_args(at)["script"]
    at.selectbox(key="map_tiles").set_value("none").run()
    assert "tile.openstreetmap.org" not in folium_args(at)["script"]


def test_the_maps_controls_are_kept_when_the_lead_comes_back_to_it(demo):
    """Going to the Overview and back reset the hexagon size and the layers ticked (Streamlit drops the state of
    widgets a run does not draw)."""
    at = app("map")
    at.selectbox(key="map_resolution").set_value(9).run()
    at.checkbox(key="map_points").check().run()
    at.switch_page(PAGES["overview"]).run()
    assert_clean(at)
    at.switch_page(PAGES["map"]).run()
    assert_clean(at)
    assert at.selectbox(key="map_resolution").value == 9 and at.checkbox(key="map_points").value is True
    assert at.checkbox(key="map_kde").value is False


def test_map_hexagon_size_select(demo):
    at = app("map")
    auto = folium_args(at)["script"]
    assert "zoomend" in auto  # the size follows the zoom in the browser
    at.selectbox(key="map_resolution").set_value(9).run()
    assert_clean(at)
    fixed = folium_args(at)["script"]
    assert "zoomend" not in fixed and fixed != auto


def test_visit_list_plan_and_exports(demo):
    at = app("visits")
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == 100
    for column in ("rank", "address", "reasons", "last_report", "last_visit", "licence_status", "languages"):
        assert column in table.columns
    assert table["rank"].tolist() == list(range(1, 101))
    assert not at.get("download_button")
    assert any("Tick the rows" in i.value for i in at.info)

    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    plan = at.table[0].value      # a static table: the reasons in full, wrapped
    from dashboard.escape import markdown_text   # st.table reads Markdown: the data's text is escaped, shown as typed
    assert plan["Address"].tolist() == [markdown_text(table["address"].iloc[i]) for i in (0, 2)]
    assert plan["Why"].tolist() == [markdown_text(table["reasons"].iloc[i]) for i in (0, 2)]
    assert list(plan.columns[:4]) == ["Rank", "Address", "District", "Language support"]
    assert at.table[0].proto.hide_index    # no index beside the rank, read as a second rank
    grid = at.dataframe[0].proto
    assert grid.placeholder == "–" and "Shift+Space ticks a row" in grid.alt   # never a grey "None"; named
    # In view on a laptop: the last visit and what it found, the reasons wrapped in rows tall enough for five
    # lines (Streamlit wraps a cell's text only in rows taller than 64 px), then the languages.
    assert list(table.columns[:5]) == ["rank", "address", "last_visit", "reasons", "languages"]
    assert grid.row_height > 64 and grid.row_height == VISIT_ROW_HEIGHT    # where the browser tests click
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download Excel (XLSX)"]

    at.selectbox(key="visit_limit").set_value(25).run()
    assert len(at.dataframe[0].value) == 25


def _tick(at: AppTest, rows: list[int]) -> AppTest:
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def test_ticks_follow_the_address_when_the_list_changes_length(demo):
    """A tick is an address, not a row: a shorter list keeps the ticks it holds and names the others,
    and a longer list ticks them again (row numbers alone would have ticked other doors, or none)."""
    at = app("visits")
    full = at.dataframe[0].value
    _tick(at, [1, 3, 60])
    assert at.table[0].value["Rank"].tolist() == [2, 4, 61]

    at.selectbox(key="visit_limit").set_value(25).run()
    assert_clean(at)
    assert at.table[0].value["Rank"].tolist() == [2, 4]
    assert at.dataframe[0].proto.selection_default and json.loads(at.dataframe[0].proto.selection_default)[
        "selection"]["rows"] == [1, 3]
    from dashboard.escape import markdown_text
    note = " ".join(c.value for c in at.caption)
    assert "1 ticked address is not in this list" in note and markdown_text(full["address"].iloc[60]) in note

    _tick(at, [1, 3, 5])          # one more tick in the short list
    at.selectbox(key="visit_limit").set_value(100).run()
    assert_clean(at)
    assert at.table[0].value["Rank"].tolist() == [2, 4, 6, 61]
    assert "not in this list" not in " ".join(c.value for c in at.caption)

    _tick(at, [1])                # unticking in a list removes the ticks it holds
    at.selectbox(key="visit_limit").set_value(25).run()
    assert at.table[0].value["Rank"].tolist() == [2]

    _tick(at, [])
    at.selectbox(key="visit_limit").set_value(100).run()
    assert not at.table and any("Tick the rows" in i.value for i in at.info)


def test_the_list_length_is_in_the_link(demo):
    """A colleague's link showed 100 addresses whatever the sender chose: the length is in the address."""
    def opened(limit: str) -> AppTest:      # the link opens the sign-in form at /visits, then that page
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params.update({"limit": limit})
        at.run()
        at._page_hash = calc_hash("visits")
        at.run()
        return sign_in(at)

    at = opened("25")
    assert_clean(at)
    assert at.title[0].value == "Visit list" and len(at.dataframe[0].value) == 25
    at.selectbox(key="visit_limit").set_value(50).run()
    assert at.query_params["limit"] in ("50", ["50"])
    assert len(opened("7").dataframe[0].value) == 100     # not a length the page offers: the default


def test_ticks_outside_the_list_can_be_let_go(demo):
    at = app("visits")
    _tick(at, [0, 80])
    at.selectbox(key="visit_limit").set_value(25).run()
    next(b for b in at.button if b.label == "Untick them").click().run()
    assert_clean(at)
    assert "not in this list" not in " ".join(c.value for c in at.caption)
    at.selectbox(key="visit_limit").set_value(100).run()
    assert at.table[0].value["Rank"].tolist() == [1]


def test_overview_headline_numbers_have_deltas_and_help(demo):
    at = app("overview")
    assert_clean(at)
    labels = [m.label for m in at.metric]
    assert labels == ["Reports", "Addresses of concern", "HMOs licensed", "HMOs expiring", "HMOs expired in these dates",
                      "Victim cases"]
    for m in at.metric:
        assert m.proto.help, m.label
        assert m.delta  # against the previous period
    assert "change on the previous 90 days" in text(at)
    # Each bar chart is 28 px a bar, whatever its count: one bar in a fixed height was a hairline.
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    bars = [spec for spec in specs if spec.get("mark", {}).get("type") == "bar"]
    assert len(bars) == 3 and all(b["height"] == {"step": 28} for b in bars)
    nat = at.dataframe[0].value
    assert list(nat.columns) == ["nationality", "reports", "cases", "languages"]


def test_the_trend_says_when_it_leaves_out_periods_no_file_speaks_for(demo):
    first = duckdb.connect(str(demo), read_only=True).execute("SELECT min(received_on) FROM reports").fetchone()[0]
    at = app("overview")
    assert_clean(at)
    assert "The chart shows only the weeks that the loaded files speak for" not in text(at)
    at = app("overview", query={"from": f"{first - dt.timedelta(days=400):%Y-%m-%d}", "to": f"{first:%Y-%m-%d}"})
    assert_clean(at)
    said = [c.value for c in at.caption if "The chart shows only the weeks that the loaded files speak for" in c.value]
    assert said and f"({first:%d %b %Y} to " in said[0]


def test_data_page_lists_every_source(demo):
    at = app("data")
    assert_clean(at)
    sources, quality = at.dataframe[0].value, at.dataframe[1].value
    # The table names a source as its warnings do ("Report data from … is 14 months old"): one set of words.
    assert {"HMO register", "Report data", "Victim case data", "Postcode lookup"} <= set(sources["kind"])
    assert "newest" in sources.columns and (sources["newest"] != "").any()
    # The second table, the same sources in the same order, says what did not load or is not on the map.
    assert list(quality["source"]) == list(sources["source"])
    assert (quality["rejected"] > 0).any() and quality["top_reasons"].notna().any()
    # What each load noted, one note a line: for the cases, that references are only stored as keyed hashes.
    assert any(e.label.startswith("What the last load of each source noted") for e in at.expander)
    notes = [m.value for m in at.markdown if m.value.startswith("**Victim case data from")]
    assert notes and "- case references are stored only as keyed hashes \\(case\\_key\\)" in notes[0]


def test_data_page_warns_about_an_old_register(demo_db, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    old = dt.datetime.now() - dt.timedelta(days=426)
    with Warehouse(db).transaction() as con:
        con.execute("UPDATE loads SET started_at = ?, finished_at = ? WHERE source = ?",
                    [old, old, "Fenland District Council"])
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    at = app("data")
    assert_clean(at)
    assert any("HMO register from Fenland District Council is 14 months old" in w.value for w in at.warning)


# --- the filters -----------------------------------------------------------------------------------------------

FILTERS = {  # widget key → a value that narrows the demo
    "f_districts": ["E07000010"],
    "f_exploitation": ["sexual"],
    "f_indicators": ["van_pickups"],
    "f_source_types": ["police"],
    "f_nationalities": ["Polish"],
}


@pytest.mark.slow
def test_every_filter_changes_the_numbers(demo):
    at = app("overview")
    baseline = as_int(metrics(at)["Reports"])
    assert baseline > 0
    for key, value in FILTERS.items():
        at.multiselect(key=key).set_value(value).run()
        assert_clean(at)
        narrowed = as_int(metrics(at)["Reports"])
        assert 0 < narrowed < baseline, (key, narrowed, baseline)
        at.multiselect(key=key).set_value([]).run()
        assert as_int(metrics(at)["Reports"]) == baseline

    today = dt.date.today()
    at.date_input(key="f_dates").set_value((today - dt.timedelta(days=29), today)).run()
    assert 0 < as_int(metrics(at)["Reports"]) < baseline
    assert at.query_params["from"] == (today - dt.timedelta(days=29)).isoformat()


def test_filters_live_in_the_url_and_persist_across_pages(demo):
    at = app("overview")
    at.multiselect(key="f_districts").set_value(["E07000010"]).run()
    at.multiselect(key="f_nationalities").set_value(["Lithuanian", "Polish"]).run()
    assert at.query_params["district"] == "E07000010"
    assert at.query_params["nationality"] == "Lithuanian,Polish"
    assert at.query_params.get("from") and at.query_params.get("to")  # a changed view is written whole
    fenland = as_int(metrics(at)["Reports"])

    at.switch_page(PAGES["visits"]).run()
    assert_clean(at)
    assert at.multiselect(key="f_districts").value == ["E07000010"]
    assert at.query_params["district"] == "E07000010"
    assert set(at.dataframe[0].value["district"]) == {"Fenland"}

    at.switch_page(PAGES["map"]).run()
    assert at.multiselect(key="f_nationalities").value == ["Lithuanian", "Polish"]

    # A shared link reproduces the view in a new session.
    shared = app("overview", query=dict(at.query_params))
    assert shared.multiselect(key="f_districts").value == ["E07000010"]
    assert as_int(metrics(shared)["Reports"]) == fenland


def test_sidebar_names_districts_and_resets(demo):
    at = app("overview", query={"district": "E07000010,E06000031", "from": "2026-01-01", "to": "2026-03-31"})
    districts = at.multiselect(key="f_districts")
    assert districts.value == ["E06000031", "E07000010"]
    assert "Fenland" in districts.options and "Peterborough" in districts.options  # names, not codes
    assert at.date_input(key="f_dates").value == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    at.button[0].click().run()  # Reset filters
    assert at.multiselect(key="f_districts").value == []
    assert at.query_params.get("district") is None


def test_dates_before_every_report_say_so_and_offer_the_reported_dates(demo):
    first = duckdb.connect(str(demo), read_only=True).execute("SELECT min(received_on) FROM reports").fetchone()[0]
    at = app("overview", query={"from": "2020-01-01", "to": "2020-03-30"})
    assert as_int(metrics(at)["Reports"]) == 0
    said = [i.value for i in at.info if "No report was received in these dates" in i.value]
    assert said and f"{first:%d %b %Y}" in said[0] and "after they end" in said[0]
    at.button(key="show_reported_dates").click().run()
    assert at.date_input(key="f_dates").value == (first, first + dt.timedelta(days=89))
    assert as_int(metrics(at)["Reports"]) > 0
    assert not any("No report was received" in i.value for i in at.info)

    at.switch_page(PAGES["map"]).run()
    assert_clean(at)
    at = app("map", query={"from": "2020-01-01", "to": "2020-03-30"})
    assert any("No report falls in these filters (01 Jan 2020 to 30 Mar 2020), so there are no hotspots" in w.value
               for w in at.warning)
    assert not any("has a place on the map" in w.value or "Only 0 reports" in w.value for w in at.warning)


def test_dates_after_the_newest_report_offer_the_days_up_to_it(demo):
    newest = duckdb.connect(str(demo), read_only=True).execute("SELECT max(received_on) FROM reports").fetchone()[0]
    at = app("visits", query={"from": "2099-01-01", "to": "2099-01-28"})
    said = [i.value for i in at.info if "No report was received in these dates" in i.value]
    assert said and f"newest report in the warehouse was received on {newest:%d %b %Y}" in said[0]
    assert not at.dataframe    # no list of licences ranked on their licence alone, in dates without a report
    at.button(key="show_reported_dates").click().run()
    assert at.date_input(key="f_dates").value == (newest - dt.timedelta(days=27), newest)
    assert len(at.dataframe[0].value) > 0


def test_a_view_without_reports_lists_no_licences_ranked_on_their_licence_alone(demo):
    """A filter nothing matches, or a gap between files: the dates hold reports, the view none. A list of
    licences, each "no reports between …", would read as findings for those dates."""
    at = app("visits", query={"nationality": "Martian"})
    assert_clean(at)
    assert not at.dataframe
    assert any("No address has a report in this period with these filters" in i.value for i in at.info)


def test_the_visit_list_says_how_many_reports_name_no_door(tmp_path, monkeypatch):
    """police.uk's "On or near ..." locations and blank addresses count on the map, not on a list of doors:
    the page says how many there are, whether the list is empty or short."""
    from tests.analysis_fixtures import POSTCODES, build_warehouse, day

    police = "Crime ID,Month,Location,Latitude,Longitude\n" + "".join(
        f"C{i},{day(-i)},On or near Parking Area,52.6661,0.1588\n" for i in range(1, 4))
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": police})
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    at = app("visits")
    assert_clean(at)
    assert any(i.value.startswith("No door to list in this view. 3 reports in this view name no door")
               for i in at.info)

    mixed = police + f"D1,{day(-1)},\"2 Mill Lane, Wisbech\",52.6650,0.1600\n"
    monkeypatch.setenv("HOTSPOTS_DB", str(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": mixed},
                                                          name="mixed.duckdb")))
    at = app("visits")
    assert at.dataframe[0].value["address"].tolist() == ["2 Mill Lane, Wisbech"]
    assert at.dataframe[0].value["postcode"].tolist() == [""]      # blank, not a grey "None"
    assert any("3 reports in this view name no door" in c.value for c in at.caption)

    at.switch_page(PAGES["overview"]).run()        # reports without signs: not "no reports"
    assert any(c.value == "No signs recorded in the reports of this period." for c in at.caption)

    # With a register, police.uk's reports alone leave a list of licences without reports: still said.
    register = "Licence Number,Address,Postcode,Licence Expiry\n" + "".join(
        f"L{i},{i} Quay Way,PE13 1AA,2020-01-01\n" for i in range(1, 26))      # a full list of 25
    monkeypatch.setenv("HOTSPOTS_DB", str(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": police,
                                                                      "hmo": register}, name="register.duckdb")))
    at = app("visits")
    at.selectbox(key="visit_limit").set_value(25).run()
    assert at.dataframe[0].value["reports"].tolist() == [0] * 25
    assert any("3 reports in this view name no door" in c.value for c in at.caption)


def test_dates_in_a_gap_between_files_offer_the_reported_dates_either_side(tmp_path, monkeypatch):
    """Two files a year apart: dates between them hold no report, and a page of zeros there reads as "nothing
    happened". Every page says so and offers the same number of days before and after the gap."""
    from tests.analysis_fixtures import POSTCODES, TODAY, build_warehouse, day

    reports = "Ref,Date Received,Address,Postcode\n" + "".join(
        f"R{i},{day(-d)},{i} Mill Lane,PE13 1AA\n" for i, d in enumerate((400, 395, 10, 5)))
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("HOTSPOTS_DB", str(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})))
    gap_from, gap_to = TODAY - dt.timedelta(days=300), TODAY - dt.timedelta(days=211)
    for page in ("map", "overview", "visits"):
        at = app(page, query={"from": gap_from.isoformat(), "to": gap_to.isoformat()})
        assert_clean(at)
        said = [i.value for i in at.info if "they fall between the files loaded" in i.value]
        before, after = TODAY - dt.timedelta(days=395), TODAY - dt.timedelta(days=10)
        assert said and f"{before:%d %b %Y} and on {after:%d %b %Y}" in said[0], page
    at.button(key="show_reported_dates").click().run()
    assert at.date_input(key="f_dates").value == (TODAY - dt.timedelta(days=400), before)
    assert at.dataframe[0].value["reports"].sum() == 2
    at = app("visits", query={"from": gap_from.isoformat(), "to": gap_to.isoformat()})
    at.button(key="show_reported_dates_after").click().run()
    assert at.date_input(key="f_dates").value == (after, TODAY - dt.timedelta(days=5))
    assert not any("between the files loaded" in i.value for i in at.info)


def test_the_map_of_reports_placed_in_no_district_says_none_has_a_place(demo):
    at = app("map", query={"district": "unknown", "from": "2000-01-01"})
    assert_clean(at)
    assert any("No report in this view has a place on the map" in w.value for w in at.warning)
    assert not any(c.value.startswith("Study area") for c in at.caption)    # not "no boundaries" beside boundaries
    assert any("Not on the map:" in c.value for c in at.caption)


def test_a_repeated_parameter_in_a_link_keeps_every_value(demo):
    """A tool or a hand-edited link may write district=A&district=B: both, as the sidebar's district=A,B."""
    at = app("overview", query={"district": ["E07000010", "E06000031"]})
    assert at.multiselect(key="f_districts").value == ["E06000031", "E07000010"]
    assert at.query_params["district"] == "E06000031,E07000010"


def test_a_hand_edited_link_does_not_break_the_page(demo):
    at = app("overview", query={"from": "yesterday", "district": "E07000010,'); DROP TABLE reports; --",
                                "nationality": "<script>alert(1)</script>"})
    assert_clean(at)
    assert as_int(metrics(at)["Reports"]) == 0  # an unknown value matches nothing; it never reaches SQL as text
    assert Warehouse(os.environ["HOTSPOTS_DB"]).version_token() is not None


# --- failure states --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", list(PAGES))
def test_missing_warehouse_is_a_message(db, page):
    at = app(page)
    assert_clean(at)
    assert any("No warehouse yet" in i.value for i in at.info)
    assert not at.dataframe and not at.metric
    assert "SYNTHETIC" not in text(at)


def test_missing_tables_are_named(db):
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('synthetic', 'true')")
    con.execute("CREATE TABLE postcodes (postcode VARCHAR)")
    con.close()
    for page, table in (("map", "`reports`"), ("visits", "`hmo_licences`"), ("overview", "`cases`"),
                        ("data", "`loads`")):
        at = app(page)
        assert_clean(at)
        assert "SYNTHETIC DEMO DATA" in text(at)
        assert any(table in w.value and "python -m etl init" in w.value for w in at.warning), (page, text(at))


@pytest.mark.parametrize("page", list(PAGES))
def test_empty_warehouse_says_so(db, page):
    from etl.admin import init_warehouse

    init_warehouse(db)
    at = app(page)
    assert_clean(at)
    if page == "data":
        assert any("Nothing has been loaded yet" in i.value for i in at.info)
    else:
        assert any("The warehouse is empty" in i.value for i in at.info)
    assert "SYNTHETIC" not in text(at)


def test_unreadable_file_is_a_message(db):
    db.write_bytes(b"this is not a duckdb file" * 100)
    for page in PAGES:
        at = app(page)
        assert_clean(at)
        assert any("can't be read" in e.value for e in at.error), page


def test_a_refresh_in_progress_is_announced(demo_db, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    lock = db.with_name(db.name + ".lock")
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)   # what a writer holds while it builds the next file
    db.with_name(db.name + ".next-99999").write_bytes(b"")
    try:
        at = app("overview")
        assert_clean(at)
        assert "A load is running" in text(at)
        assert at.metric  # the old data is still shown meanwhile

        db.unlink()  # the very first build: no file yet, a writer busy
        at = app("overview")
        assert_clean(at)
        assert at.info and not at.metric
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@pytest.mark.slow
def test_real_warehouse_has_no_banner(demo_db, tmp_path, monkeypatch):
    db = tmp_path / "real.duckdb"
    shutil.copyfile(demo_db, db)
    with Warehouse(db).transaction() as con:
        con.execute("UPDATE meta SET value = 'false' WHERE key = 'synthetic'")
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    for page in PAGES:
        at = app(page)
        assert_clean(at)
        assert "SYNTHETIC" not in text(at)


@pytest.mark.slow
def test_a_new_load_shows_without_a_restart(demo_db, tmp_path, monkeypatch):
    """The cache is keyed by the warehouse file's version: a swapped-in file is read at once."""
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    at = app("overview")
    before = as_int(metrics(at)["Reports"])
    with Warehouse(db).transaction() as con:
        con.execute("DELETE FROM reports WHERE received_on >= current_date - 10")
    at.run()
    assert as_int(metrics(at)["Reports"]) < before

# The dashboard in a real browser: tests/test_browser.py


def test_a_link_naming_a_district_as_people_do_shows_that_district(demo):
    """`?district=Fenland` or `?district=Unknown district`, typed by hand, read as the codes the sidebar writes:
    before, each matched nothing and every count on the page was 0."""
    at = app("overview", query={"district": "fenland,Unknown district", "from": "2000-01-01"})
    assert_clean(at)
    assert at.multiselect(key="f_districts").value == ["E07000010", "unknown"]
    assert as_int(metrics(at)["Reports"]) > 0
    assert not at.warning


def test_a_link_naming_what_the_warehouse_lacks_says_so(demo):
    """A filter value with no row (a typo in a link) is named, escaped, instead of the page's zeros saying
    "none here"."""
    at = app("overview", query={"district": "Atlantis", "nationality": "*Martian*"})
    assert_clean(at)
    said = [w.value for w in at.warning if "No row in this warehouse has" in w.value]
    assert said and "“Atlantis”" in said[0] and "“\\*Martian\\*”" in said[0]
