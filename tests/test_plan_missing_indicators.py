"""A visit plan saves a stop whose indicators are missing, and shows it without them.

The store wrote a stop's indicators with `len(value)`: pandas hands a missing cell over as NaN, a float, and
`len(nan)` raised, so the whole plan failed to save over one stop with no indicator recorded. Text was read letter
by letter ("overcrowding" became eleven codes), and None or NaN inside a list were stored as the codes "None" and
"nan". A missing value is now no indicator, and one code given as text is that code."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from operations import plans
from operations.store import OperationsStore
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.test_withdraw_outcome import PASSWORD, TODAY, signed_in
from tests.helpers import dashboard_on

START = plans.Start("Thorpe Wood", 52.57, -0.27)
MISSING = [None, np.nan, pd.NA, "", " ", [], np.array([], dtype=object), [None, np.nan, ""]]


def _stops(missing) -> pd.DataFrame:
    frame = pd.DataFrame({"address_key": ["A|1|", "A|2|"], "address": ["1 Mill Road", "2 Mill Road"],
                          "postcode": ["PE3 6AB", None], "lat": [52.571, 52.572], "lon": [-0.24, -0.24],
                          "reasons": ["2 reports in the last 90 days", "1 report"], "over_occupied": [False, True],
                          "indicators": [["overcrowding", "long_hours_low_pay"], None]})
    frame["indicators"] = frame["indicators"].astype(object)
    frame.at[1, "indicators"] = missing
    return plans.ordered(frame, START)


def _save(store: OperationsStore, stops: pd.DataFrame) -> int:
    return store.save_plan(name="Mill Road", planned_for=TODAY, team="", start_label=START.label,
                           start=(START.lat, START.lon), stops=stops, created_by="lead")


def test_stops_without_indicators_are_saved_without_them(tmp_path):
    """One plan, a stop for each way "none" arrives, beside a stop with indicators."""
    frame = pd.DataFrame({"address_key": [f"A|{i}|" for i in range(len(MISSING) + 1)],
                          "address": [f"{i} Mill Road" for i in range(len(MISSING) + 1)],
                          "lat": [52.571 + i / 1000 for i in range(len(MISSING) + 1)], "lon": -0.24,
                          "indicators": [["overcrowding", "long_hours_low_pay"], *MISSING]})
    store = OperationsStore(tmp_path / "ops.db")
    plan_id = _save(store, plans.ordered(frame, START))
    saved = store.plan(plan_id).stops.set_index("address_key")
    assert len(saved) == len(frame)
    assert saved.loc["A|0|", "indicators"] == ["long_hours_low_pay", "overcrowding"]   # the stop with its own
    assert all(saved.loc[f"A|{i}|", "indicators"] == [] for i in range(1, len(frame))), saved["indicators"]
    # Changing the plan saves it again, from what was read back.
    again = _save(store, plans.ordered(store.plan(plan_id).stops.drop(columns="seq"), START))
    assert store.plan(again).stops["indicators"].map(len).tolist().count(0) == len(MISSING)


def test_one_code_as_text_is_that_code_and_missing_codes_in_a_list_are_dropped(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    saved = store.plan(_save(store, _stops("overcrowding"))).stops.set_index("address_key")
    assert saved.loc["A|2|", "indicators"] == ["overcrowding"]
    saved = store.plan(_save(store, _stops(["overcrowding", None, np.nan, ""]))).stops.set_index("address_key")
    assert saved.loc["A|2|", "indicators"] == ["overcrowding"]


@pytest.fixture
def env(demo_db,  # noqa: F811
        tmp_path, monkeypatch):
    return dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)


def test_the_plans_page_shows_the_stop_without_indicators(env):
    store = OperationsStore()
    _save(store, _stops(np.nan))
    at = signed_in()
    shown = at.dataframe[0].value
    assert shown["address"].tolist() == ["1 Mill Road", "2 Mill Road"]
    partners = shown.set_index("address")["partners"]
    assert "Fire and rescue service" in partners["2 Mill Road"]     # over-occupied, no indicator needed
    assert "GLAA" not in partners["2 Mill Road"] and "GLAA" in partners["1 Mill Road"]
