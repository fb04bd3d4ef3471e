"""The visit list describes only the addresses that could make the top N (analysis/visits.py `_candidates`).

Pruning must never change the answer: for every cut-off, with and without recorded outcomes (which
lower and raise scores), the list equals the top rows of the unpruned ranking of every address.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from analysis import visits
from analysis.filters import Filters
from tests.analysis_fixtures import TODAY, demo_con, demo_db  # noqa: F401


def _outcomes(every: pd.DataFrame) -> pd.DataFrame:
    """Victims found at the 4th address (raises its neighbours and same-holder licences), no concerns at the top two."""
    rows = []
    for i, (kind, n) in enumerate([("potential_victims", 3), ("no_concerns", 0), ("no_concerns", 0)]):
        r = every.iloc[[3, 0, 1][i]]
        rows.append({"id": i + 1, "visited_on": TODAY - dt.timedelta(days=5 + i), "address_key": r["address_key"],
                     "address": r["address"], "postcode": r["postcode"], "lat": r["lat"], "lon": r["lon"],
                     "licence_ref": r["licence_ref"], "outcome": kind, "potential_victims": n})
    return pd.DataFrame(rows)


CASES = {
    "default": Filters.default(TODAY),
    "one district": replace(Filters.default(TODAY), districts=("E07000010",)),
    "one indicator": replace(Filters.default(TODAY), indicators=("van_pickups",)),
    "a year": Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY),
}


@pytest.mark.parametrize("case", CASES)
def test_the_top_n_equals_the_top_of_the_whole_ranking(demo_con, case):  # noqa: F811
    f = CASES[case]
    every = visits.visit_list(demo_con, f, TODAY, limit=None)
    assert len(every) > 40
    for outcomes in (None, _outcomes(every)):
        whole = visits.visit_list(demo_con, f, TODAY, limit=None, outcomes=outcomes)
        for limit in (1, 5, 25):
            top = visits.visit_list(demo_con, f, TODAY, limit=limit, outcomes=outcomes)
            expected = whole.head(limit).reset_index(drop=True)
            pd.testing.assert_frame_equal(top, expected, check_dtype=False)


def test_pruning_leaves_most_addresses_undescribed(demo_con, monkeypatch):  # noqa: F811
    """The point of it: with a short list, far fewer addresses are described, or even kept with their
    scores, than are in the view."""
    f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
    visits._score_addresses(demo_con, f, TODAY)
    in_view = demo_con.execute(f"SELECT count(*) FROM {visits._SCORES}").fetchone()[0]
    described = {}
    real = visits._describe

    def spy(con, f, today, threshold):
        real(con, f, today, threshold)
        described["n"] = con.execute(f"SELECT count(*) FROM {visits._RANKED}").fetchone()[0]
        described["scored"] = con.execute(f"SELECT count(*) FROM {visits._SCORES}").fetchone()[0]

    monkeypatch.setattr(visits, "_describe", spy)
    visits.visit_list(demo_con, f, TODAY, limit=3)
    assert 3 <= described["n"] <= described["scored"] < in_view


def test_outcome_raises_are_allowed_for(demo_con, monkeypatch):  # noqa: F811
    """With no hotspot or case bonus to hide behind, a large victims-nearby raise must still be reached."""
    from analysis import settings

    bonus, cfg = settings.section("visits")["bonus"], settings.section("visits")["outcomes"]
    for key in ("hotspot_99", "hotspot_95", "hotspot_90", "max_cases_bonus"):
        monkeypatch.setitem(bonus, key, 0.0)
    monkeypatch.setitem(cfg, "victims_nearby_bonus", 500.0)
    monkeypatch.setitem(cfg, "victims_radius_m", 5000.0)
    f = CASES["a year"]
    outcomes = _outcomes(visits.visit_list(demo_con, f, TODAY, limit=None))
    whole = visits.visit_list(demo_con, f, TODAY, limit=None, outcomes=outcomes)
    assert whole["reasons"].head(3).str.contains("potential victims identified within").all()
    for limit in (1, 10):
        pd.testing.assert_frame_equal(visits.visit_list(demo_con, f, TODAY, limit=limit, outcomes=outcomes),
                                      whole.head(limit).reset_index(drop=True), check_dtype=False)


def test_licences_with_reports_are_never_counted_as_unreported_when_scores_are_pruned(demo_con):  # noqa: F811
    """The scores table is cut to the addresses that could make the list, but the licences without reports
    are still those of the whole view: a licence whose reports scored low is not 'unreported'."""
    f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
    visits._score_addresses(demo_con, f, TODAY)
    whole = visits._unreported_status_counts(demo_con, f, TODAY)
    visits._score_addresses(demo_con, f, TODAY, keep=(3, 1.0, 0.0))
    kept = demo_con.execute(f"SELECT count(*) FROM {visits._SCORES} WHERE NOT licensed").fetchone()[0]
    assert kept < 10, "the cut must bite for this test to mean anything"
    assert visits._unreported_status_counts(demo_con, f, TODAY) == whole
