"""A backtest score on too few reports carries its caveat in its own sentence, and the map page says it in
the caption's weaker type, not the blue box of a score to act on.

A browser probe read "The previous quarter's hotspots captured 95% of November 2026's reports in 1.6% of the
area" in the blue box, and only on the next line, in small grey type, "12 of the 12 months it tested had fewer
than 30 reports … unreliable": the figure read as solid while its own caveat said it was not.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import backtest
from analysis.filters import Filters
from tests import analysis_fixtures
from tests.helpers import dashboard_on

TODAY = analysis_fixtures.TODAY
demo_db, demo_con = analysis_fixtures.demo_db, analysis_fixtures.demo_con   # fixtures
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PASSWORD = "caveat-password-1"
THIN = Filters(TODAY - dt.timedelta(days=89), TODAY, source_types=("GLAA",))   # a few reports a month


def _months(counts: list[int], flagged: int = 70) -> pd.DataFrame:
    """Gi*'s rows of a backtest, one a month up to November 2026, with `counts` reports tested in each."""
    months = pd.period_range(end="2026-11", periods=len(counts), freq="M").strftime("%Y-%m")
    return pd.DataFrame({"month": months, "method": "gi_star", "N": counts, "n": [c // 2 for c in counts],
                         "a": flagged, "A": 5000, "N_prev": 200, "hit_rate": 0.5, "area_share": flagged / 5000,
                         "pai": 10.0, "rri": 1.0})


def test_a_score_from_a_month_with_too_few_reports_says_so():
    assert backtest._caveat(_months([80] * 11 + [12])) == ("too few reports to rely on: November 2026 had 12, "
                                                           "fewer than 30")


def test_a_score_when_most_months_tested_had_too_few_says_so():
    assert backtest._caveat(_months([10] * 9 + [40] * 3)) == ("too few reports to rely on: 9 of the 12 months "
                                                              "tested had fewer than 30")
    both = backtest._caveat(_months([5] * 12))
    assert both == "too few reports to rely on: November 2026 had 5, and 12 of the 12 months tested had fewer than 30"


def test_the_floor_of_reports_is_a_setting_in_hotspots_toml(monkeypatch):
    from analysis import settings
    tuned = {**settings.method(), "backtest": {**settings.method()["backtest"], "min_reports": 10}}
    monkeypatch.setattr(settings, "method", lambda: tuned)
    assert backtest._caveat(_months([80] * 11 + [12])) is None
    assert backtest._caveat(_months([80] * 11 + [8])) == "too few reports to rely on: November 2026 had 8, fewer than 10"


def test_a_score_on_enough_reports_carries_no_caveat():
    assert backtest._caveat(_months([80] * 12)) is None
    assert backtest._caveat(_months([10] * 6 + [80] * 6)) is None     # half the months thin, its own month not
    assert backtest._caveat(_months([10] * 12, flagged=0)) is None     # no hotspot, no score: the sentence says why
    # An archive: months before its first report were tested on nothing, and are not "too few".
    assert backtest._caveat(_months([0] * 9 + [90] * 3)) is None


def test_the_backtest_of_thin_filters_is_not_reliable_and_its_sentence_says_why(demo_con):
    thin = backtest.run(demo_con, THIN, today=TODAY)
    assert thin.sentence.startswith("The previous quarter's hotspots captured ")
    assert " — too few reports to rely on: " in thin.sentence and thin.sentence.endswith("fewer than 30.")
    assert thin.reliable is False
    assert thin.warning and "fewer than 30 reports" in thin.warning   # the month-by-month detail stays below
    full = backtest.run(demo_con, Filters.default(), today=TODAY)
    assert full.reliable is True and "rely on" not in full.sentence and full.sentence.endswith("(Gi*).")


@pytest.fixture
def env(demo_db, tmp_path, monkeypatch):
    return dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)


def test_the_map_page_shows_an_unreliable_score_as_a_caption_not_the_blue_box(env):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"source_type": "GLAA"})
    at.run()
    at.text_input(key="signin_name").input("lead")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    boxed = [e.value for e in at.info if "hotspots captured" in str(e.value)]
    said = [e.value for e in at.caption if "hotspots captured" in str(e.value)]
    assert not boxed, boxed
    assert len(said) == 1 and "too few reports to rely on" in said[0], said
