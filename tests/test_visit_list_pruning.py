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
    """Victims found at the 4th address (raises its neighbours and same-holder licences), no concerns at the top two,
    visited no earlier than their newest report (a report after a visit keeps the address up)."""
    rows = []
    for i, (kind, n) in enumerate([("potential_victims", 3), ("no_concerns", 0), ("no_concerns", 0)]):
        r = every.iloc[[3, 0, 1][i]]
        rows.append({"id": i + 1, "visited_on": _after_reports(r, TODAY - dt.timedelta(days=5 + i)),
                     "address_key": r["address_key"],
                     "address": r["address"], "postcode": r["postcode"], "lat": r["lat"], "lon": r["lon"],
                     "licence_ref": r["licence_ref"], "outcome": kind, "potential_victims": n})
    return pd.DataFrame(rows)


def _after_reports(row, day: dt.date) -> dt.date:
    last = row["last_report"]
    return day if pd.isna(last) else max(day, pd.Timestamp(last).date())


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


def test_licences_with_reports_are_never_listed_as_unreported_when_scores_are_cut(demo_con, monkeypatch):  # noqa: F811
    """The cut scores table names only some licences with reports. When licences without reports could make
    the list (here an expired licence outranks nearly everything), they must still be told from the whole
    view: a licence whose reports scored low is not 'unreported'."""
    from analysis import settings

    monkeypatch.setitem(settings.section("visits")["bonus"], "expired", 60.0)
    f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
    whole = visits.visit_list(demo_con, f, TODAY, limit=None)
    assert (whole.head(25)["reports"] == 0).any() and (whole.head(25)["reports"] > 0).any()
    for limit in (5, 25):
        pd.testing.assert_frame_equal(visits.visit_list(demo_con, f, TODAY, limit=limit),
                                      whole.head(limit).reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("seed", range(40))
def test_the_threshold_counts_unreported_licences_only_when_they_could_move_it(seed):
    """Skipping the count of licences without reports must give the threshold that counting them gives."""
    import numpy as np

    rng = np.random.default_rng(seed)
    kept = rng.choice([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0], size=int(rng.integers(0, 12)))
    limit = int(rng.integers(1, 10))
    bonuses = [4.0, 2.0, 0.0]
    counts = dict(zip(("expired", "expiring", "current"), (int(n) for n in rng.integers(0, 6, size=3))))
    asked = []

    def unreported_counts():
        asked.append(True)
        return counts

    every = np.concatenate([kept] + [np.full(min(n, limit), b) for b, n in zip(bonuses, counts.values())])
    expected = np.sort(every)[::-1][limit - 1] - 1.5 if len(every) >= limit else -np.inf
    assert visits._threshold(kept, limit, 1.5, unreported_counts, bonuses) == expected
    if len(kept) >= limit and np.sort(kept)[::-1][limit - 1] >= max(bonuses):
        assert not asked, "the count was not needed"


def test_a_no_concerns_visit_at_the_top_address_lets_the_next_one_up(demo_con, monkeypatch):  # noqa: F811
    """The cut keeps every address whose own score could beat the guaranteed scores × the no-concerns factor:
    with no bonus to add, the top address visited with no concerns falls below the second, which must be
    there to take its place."""
    from analysis import settings

    for key in ("hotspot_99", "hotspot_95", "hotspot_90", "max_cases_bonus"):
        monkeypatch.setitem(settings.section("visits")["bonus"], key, 0.0)
    f = CASES["a year"]
    every = visits.visit_list(demo_con, f, TODAY, limit=None)
    top = every.iloc[0]
    outcomes = pd.DataFrame([{"id": 1, "visited_on": _after_reports(top, TODAY - dt.timedelta(days=3)),
                              "address_key": top["address_key"],
                              "address": top["address"], "postcode": top["postcode"], "lat": top["lat"],
                              "lon": top["lon"], "licence_ref": top["licence_ref"], "outcome": "no_concerns",
                              "potential_victims": 0}])
    whole = visits.visit_list(demo_con, f, TODAY, limit=None, outcomes=outcomes)
    assert whole.iloc[0]["address_key"] != top["address_key"]
    for limit in (1, 3):
        pd.testing.assert_frame_equal(visits.visit_list(demo_con, f, TODAY, limit=limit, outcomes=outcomes),
                                      whole.head(limit).reset_index(drop=True), check_dtype=False)


def test_when_outcomes_lower_more_addresses_than_guessed_the_rest_are_described_too(demo_con, monkeypatch):  # noqa: F811
    """`_first_described` guesses how many addresses to describe before outcomes are applied; a guess too
    small must cost a second pass, never an address."""
    described = []
    real = visits._describe

    def spy(con, f, today, threshold):
        described.append(threshold)
        real(con, f, today, threshold)

    f = CASES["a year"]
    every = visits.visit_list(demo_con, f, TODAY, limit=None)
    outcomes = _outcomes(every)
    whole = visits.visit_list(demo_con, f, TODAY, limit=None, outcomes=outcomes)
    monkeypatch.setattr(visits, "_describe", spy)
    monkeypatch.setattr(visits, "_first_described", lambda limit, outcomes: 1)
    for limit in (1, 5):
        described.clear()
        pd.testing.assert_frame_equal(visits.visit_list(demo_con, f, TODAY, limit=limit, outcomes=outcomes),
                                      whole.head(limit).reset_index(drop=True), check_dtype=False)
        assert len(described) == 2 and described[1] < described[0]


@pytest.mark.parametrize("case", ["default", "a year"])
def test_every_way_of_describing_gives_the_same_list(demo_con, case, monkeypatch):  # noqa: F811
    """`_describe` reads the reports' text in one pass for every candidate when many are on no licence,
    else only for those the licence does not describe: one scan per address when few, one join when
    more. Whichever it takes, the list is the same."""
    f = CASES[case]
    lists = []
    for few in (0, 1, 3, 10_000):
        monkeypatch.setattr(visits, "_FEW_IDS", few)
        lists.append(visits.visit_list(demo_con, f, TODAY, limit=60))
    for other in lists[1:]:
        pd.testing.assert_frame_equal(other, lists[0])
    assert lists[0]["licence_ref"].isna().any() and lists[0]["licence_ref"].notna().any()    # both kinds


@pytest.mark.parametrize("few", [0, 10_000])
def test_without_a_stored_cell_column_the_list_is_the_same(demo_con, monkeypatch, few):  # noqa: F811
    """At a hotspot resolution the warehouse stores no H3 column for, an address's cell is computed from
    its point (analysis/visits.py `_with_context`) rather than read: the same cell, so the same list."""
    f = CASES["default"]
    monkeypatch.setattr(visits, "_FEW_IDS", few)
    stored = visits.visit_list(demo_con, f, TODAY, limit=40)
    monkeypatch.setattr(visits, "_cell_column", lambda resolution: None)
    computed = visits.visit_list(demo_con, f, TODAY, limit=40)
    pd.testing.assert_frame_equal(computed, stored)
    assert stored["reasons"].str.contains("hotspot").any()
