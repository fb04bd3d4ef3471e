"""Recorded outcomes on the map (a layer of visited addresses, escaped) and the overview (counts over time)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from analysis import visit_outcomes
from analysis.filters import Filters
from operations.store import OperationsStore, Outcome
from tests.helpers import app_signed_in, dashboard_on

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
TODAY = dt.date.today()
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def recorded(demo_db,  # noqa: F811
              tmp_path, monkeypatch) -> OperationsStore:
    dashboard_on(demo_db, tmp_path, monkeypatch)
    store = OperationsStore()
    store.record(Outcome(visited_on=TODAY - dt.timedelta(days=3), address_key="A|1|", address=XSS, lat=52.57,
                         lon=-0.24, outcome="potential_victims", potential_victims=3, nrm_referral=True), "lead")
    store.record(Outcome(visited_on=TODAY - dt.timedelta(days=10), address_key="A|2|", address="2 Fen Road",
                         lat=52.55, lon=0.09, outcome="no_concerns"), "lead")
    store.record(Outcome(visited_on=TODAY - dt.timedelta(days=400), address_key="A|3|", address="Long ago",
                         lat=52.2, lon=0.1, outcome="no_concerns"), "lead")
    return store


def signed_in(page: str) -> AppTest:
    return app_signed_in(page)


def test_totals_and_weeks_count_the_period_only(recorded):
    f = Filters.default(TODAY)
    out = recorded.outcomes()
    assert visit_outcomes.totals(out, f) == {"visits": 2, "potential_victims": 3, "safeguarding_referral": 0,
                                             "nrm_referral": 1, "partner_enforcement": 0}
    weeks = visit_outcomes.weekly(out, f)
    assert weeks["visits"].sum() == 2 and set(weeks["outcome"]) == {"Potential victims identified", "No concerns"}


def test_the_overview_counts_visits_and_people_supported(recorded):
    at = signed_in("views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Addresses visited"] == "2" and metrics["Potential victims identified"] == "3"
    assert metrics["NRM referral"] == "1"


def test_a_visit_is_placed_in_a_district_by_its_point_else_its_postcode(demo_db):  # noqa: F811
    """A visit stores a point and a postcode, no district: it is placed as a report would be."""
    from etl.warehouse import Warehouse

    con = Warehouse(demo_db).connect_read_only()
    try:
        postcode, code = con.execute("SELECT postcode, district_code FROM postcodes WHERE district_code = 'E07000011' "
                                     "ORDER BY postcode LIMIT 1").fetchone()
        got = visit_outcomes.districts_of(con, ((52.57, -0.24, None), (52.55, 0.09, "CB1 2AA"), (None, None, postcode),
                                                (None, None, None), (51.5, -0.1, None)))
    finally:
        con.close()
    assert got == ["E06000031", "E07000010", code, None, None]


def test_the_overview_counts_the_visits_in_the_chosen_districts(recorded):
    """Fenland chosen, the overview counted the whole force's visits beside Fenland's reports."""
    at = signed_in("views/overview.py")
    at.multiselect(key="f_districts").set_value(["E07000010"]).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Addresses visited"] == "1" and metrics["Potential victims identified"] == "0"
    at.multiselect(key="f_districts").set_value(["E07000011"]).run()
    assert not any(m.label == "Addresses visited" for m in at.metric)
    assert any("No visit outcome recorded in the chosen districts" in i.value for i in at.info)


def test_the_map_shows_visited_addresses_escaped(recorded):
    at = signed_in("views/map.py")
    components = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    html = json.loads(components[0].proto.json_args)["script"]
    assert "Visited addresses (last outcome)" in html
    assert "Potential victims identified, 3 potential victims" in html
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Long ago" not in html  # outside the filter dates


def test_the_visit_plan_download_says_what_the_last_visit_found(demo_db, tmp_path, monkeypatch, downloads):  # noqa: F811
    """The list says "27 Nov 2026: Concerns, intelligence submitted"; the plan's CSV held only the date."""
    from analysis.visits import visit_list
    from etl.warehouse import Warehouse
    from operations import vocabulary

    dashboard_on(demo_db, tmp_path, monkeypatch)
    con = Warehouse(demo_db).connect_read_only()
    try:
        top = visit_list(con, Filters.default(TODAY), TODAY, limit=1).iloc[0]
    finally:
        con.close()
    visited = TODAY - dt.timedelta(days=3)
    OperationsStore().record(Outcome(visited_on=visited, address_key=top["address_key"], address=top["address"],
                                     lat=top["lat"], lon=top["lon"], outcome="concerns_intelligence"), "lead")
    at = signed_in("views/visits.py")
    row = list(at.dataframe[0].value["address"]).index(top["address"])
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    # The page names the file by its own today, which is not TODAY when a run crosses midnight; DEMO- first, as
    # every download from the demo (tests/test_demo_downloads_marked.py).
    [name] = [n for n in downloads if n.startswith("DEMO-visit-plan-") and n.endswith(".csv")]
    csv = downloads[name]().decode("utf-8-sig")
    said = f"{visited:%d %b %Y}: {vocabulary.outcome_label('concerns_intelligence')}"
    assert said in csv
