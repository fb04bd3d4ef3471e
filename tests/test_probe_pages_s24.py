"""Defects a tactical lead saw on the pages in a browser (1366x768 and 390x844), each pinned here.

- The Overview's visits chart: one week of visits was a hairline across the whole width, its one tick "Mon 30"
  where every other chart says "30 Nov", and the outcomes in default colours, not the map's.
- A plan opened again offered stop 1 to record, though its outcome was saved: the next save landed on it."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from operations import vocabulary
from operations.store import OperationsStore, Outcome
from tests import analysis_fixtures
from tests.helpers import app_signed_in, dashboard_on

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "viewer-password-1"
demo_db = analysis_fixtures.demo_db      # the fixture, under its own name
TODAY = dt.date.today()


def _weekly(week: dt.date, outcome: str = "Potential victims identified", visits: int = 1, victims: int = 2):
    return pd.DataFrame([{"week": pd.Timestamp(week), "outcome": outcome, "visits": visits,
                          "potential_victims": victims}])


# --- the chart and its words -------------------------------------------------------------------------------------

def test_one_week_of_visits_is_a_week_wide_bar_with_ticks_like_the_trend():
    from dashboard import visit_chart     # here, so the other tests fail on their own without it

    monday = dt.date(2026, 11, 30)
    spec = visit_chart.weekly_visits(_weekly(monday), dt.date(2026, 9, 4), dt.date(2026, 12, 2)).to_dict()
    x = spec["encoding"]["x"]
    assert x["axis"]["format"] == "%d %b" and x["axis"]["labelAngle"] == 0
    ticks = [dt.date(v["year"], v["month"], v["date"]) for v in x["axis"]["values"]]
    assert ticks[0] == dt.date(2026, 8, 31) and all(t.weekday() == 0 for t in ticks) and len(ticks) <= 12
    assert x["scale"]["domain"] == ["2026-08-31", "2026-12-07"]          # the dates chosen, whole weeks
    assert spec["encoding"]["x2"]["field"] == "week_end"                   # a bar as wide as its week
    assert (spec["encoding"]["y"]["field"], spec["encoding"]["y2"]["field"]) == ("bottom", "top")  # as tall as its count
    two = pd.concat([_weekly(monday), _weekly(monday, "No access (nobody answered, or entry refused)", visits=2)])
    rows = visit_chart.weekly_visits(two, dt.date(2026, 9, 4), dt.date(2026, 12, 2)).to_dict()
    assert [(r["bottom"], r["top"]) for r in next(iter(rows["datasets"].values()))] == [(0, 1), (1, 3)]   # stacked
    colour = spec["encoding"]["color"]["scale"]
    kinds = vocabulary.outcomes()
    assert dict(zip(colour["domain"], colour["range"])) == {k["label"]: k["colour"] for k in kinds.values()}


# --- the pages ---------------------------------------------------------------------------------------------------

@pytest.fixture
def env(demo_db, tmp_path, monkeypatch):
    return dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)


def signed_in(page: str) -> AppTest:
    return app_signed_in(page, password=PASSWORD)


def _plan_with_first_stop_visited(store: OperationsStore) -> int:
    stops = pd.DataFrame([{"address_key": f"A|{i}|", "address": f"{i} Mill Road", "postcode": None,
                           "lat": 52.57 + i / 1000, "lon": -0.24, "reasons": "2 reports in the last 90 days"}
                          for i in range(1, 4)])
    plan_id = store.save_plan(name="Mill Road", planned_for=TODAY, team="", start_label="Thorpe Wood",
                              start=(52.57, -0.27), stops=stops, created_by="lead")
    first = store.plan(plan_id).stops.iloc[0]
    store.record(Outcome(visited_on=TODAY, address_key=first["address_key"], address=first["address"], lat=52.571,
                         lon=-0.24, outcome="potential_victims", potential_victims=2, plan_id=plan_id), "lead")
    return plan_id


def test_a_plan_opened_again_offers_its_first_door_without_an_outcome(env):
    store = OperationsStore()
    plan_id = _plan_with_first_stop_visited(store)
    at = signed_in("views/plans.py")
    box = at.selectbox(key=f"outcome_stop_{plan_id}")
    recorded = set(store.outcomes(plan_id=plan_id)["address_key"])
    stops = store.plan(plan_id).stops
    assert stops.iloc[int(box.value)]["address_key"] not in recorded
    assert int(box.value) == 1
    assert any(f"at **2\\. {stops.iloc[1]['address']}**" in c.value for c in at.caption)   # the line by Save
    box.set_value(0).run()                                   # a correction of stop 1 is still the lead's to choose
    assert int(at.selectbox(key=f"outcome_stop_{plan_id}").value) == 0


def test_the_overview_draws_the_visits_chart_with_monday_ticks(env):
    _plan_with_first_stop_visited(OperationsStore())
    at = signed_in("views/overview.py")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    [visits] = [s for s in specs if s.get("encoding", {}).get("y", {}).get("title") == "Visits"]
    assert visits["encoding"]["y2"]["field"] == "top"
    assert visits["encoding"]["x"]["axis"]["format"] == "%d %b"
