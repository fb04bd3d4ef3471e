"""The backtest tests the last whole month of the chosen dates, not the month before today's.

An archive (a police.uk download of January 2021) is viewed with dates up to its last day: the page's own
"Show 3 Nov 2020 to 31 Jan 2021 instead". The backtest left January out as "the month the dates end in", so
the sentence under the map said there was nothing to test while the map held a whole month of reports.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import backtest
from analysis.filters import Filters
from etl.warehouse import Warehouse
from tests import analysis_fixtures
from tests.helpers import load_text

TODAY = analysis_fixtures.TODAY
demo_db, demo_con = analysis_fixtures.demo_db, analysis_fixtures.demo_con   # fixtures
HEADER = "Crime ID,Month,Location,Latitude,Longitude\n"
ARCHIVE = Filters(dt.date(2020, 11, 3), dt.date(2021, 1, 31))   # 90 days up to the archive's last day
CAPTURED = re.compile(r"^The previous quarter's hotspots captured (\d+)% of (\w+ \d{4})'s reports "
                      r"in (\d+\.\d)% of the area \(Gi\*\)\.$")


def _police_uk(months: list[str], seed: int = 3) -> str:
    """police.uk rows (each dated by its month): a steady cluster in Wisbech over a thin background."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in months:
        for i in range(90):
            if i % 3 == 0:
                lat, lon = 52.6664 + rng.normal(0, 0.0015), 0.1596 + rng.normal(0, 0.0015)
            else:
                lat, lon = rng.uniform(52.05, 52.70), rng.uniform(-0.45, 0.45)
            rows.append(f"C{month}-{i},{month},On or near X,{lat:.6f},{lon:.6f}\n")
    return HEADER + "".join(rows)


def _warehouse(folder, months: list[str]):
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "w.duckdb"
    load_text(db, "reports", _police_uk(months))
    return Warehouse(db).connect_read_only()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """January 2021 and the quarter before it, nothing else."""
    con = _warehouse(tmp_path_factory.mktemp("archive"), ["2020-10", "2020-11", "2020-12", "2021-01"])
    yield con
    con.close()


def _captured(sentence: str) -> tuple[int, str, float]:
    found = CAPTURED.match(sentence)
    assert found, sentence
    return int(found[1]), found[2], float(found[3])


def test_dates_ending_on_a_months_last_day_test_that_month(archive):
    result = backtest.run(archive, ARCHIVE)
    share, month, area = _captured(result.sentence)
    assert month == "January 2021" and 0 < share <= 100 and 0 < area < 100
    assert result.months["month"].max() == "2021-01"
    scored = result.months[(result.months["method"] == "gi_star") & (result.months["month"] == "2021-01")]
    assert scored["N"].iloc[0] == 90 and scored["N_prev"].iloc[0] == 270


def test_dates_ending_in_the_following_month_test_the_month_before(archive):
    result = backtest.run(archive, Filters(dt.date(2020, 12, 1), dt.date(2021, 2, 15)))
    assert _captured(result.sentence)[1] == "January 2021"


def test_dates_ending_mid_month_test_the_whole_month_before(archive):
    """January is not over on 20 January: December is the last whole month."""
    result = backtest.run(archive, Filters(dt.date(2020, 11, 1), dt.date(2021, 1, 20)))
    assert _captured(result.sentence)[1] == "December 2020"


def test_dates_ending_today_test_last_month_even_on_a_months_last_day(archive):
    """Today's month is still coming in, its last day included: the default view tests the month before."""
    on_the_day = backtest.run(archive, ARCHIVE, today=dt.date(2021, 1, 31))
    assert _captured(on_the_day.sentence)[1] == "December 2020"
    next_day = backtest.run(archive, ARCHIVE, today=dt.date(2021, 2, 1))
    assert _captured(next_day.sentence)[1] == "January 2021"


def test_dates_ending_after_today_test_last_month(archive):
    """Dates into the future: this month is not whole yet, so the month before is tested, never this one."""
    result = backtest.run(archive, Filters(dt.date(2020, 12, 1), dt.date(2021, 2, 20)), today=dt.date(2021, 2, 10))
    assert _captured(result.sentence)[1] == "January 2021"


def test_one_month_of_police_uk_says_there_was_nothing_to_draw_hotspots_from(tmp_path):
    """January alone: January is tested, and the sentence says why it can't be, naming the month; no warning
    calls scores unreliable that were never made."""
    result = backtest.run(_warehouse(tmp_path, ["2021-01"]), ARCHIVE)
    assert result.sentence == ("No reports in the quarter before January 2021 to draw hotspots from, so they can't "
                               "be tested against January 2021's reports.")
    assert result.warning is None


def test_a_month_without_reports_is_named(tmp_path):
    """The quarter before, but nothing in January: "no reports last month" read wrong for dates in 2021."""
    result = backtest.run(_warehouse(tmp_path, ["2020-10", "2020-11", "2020-12"]), ARCHIVE)
    assert result.sentence == "No reports in January 2021 to test the hotspots against."


def test_the_default_dates_still_test_the_month_before_this_one(demo_con):
    result = backtest.run(demo_con, Filters.default())
    last_month = pd.Timestamp(TODAY.replace(day=1) - dt.timedelta(days=1))
    assert result.months["month"].max() == f"{last_month:%Y-%m}"
    share, month, _area = _captured(result.sentence)
    assert month == f"{last_month:%B %Y}" and 0 < share <= 100
    assert backtest.run(demo_con, Filters.default(), today=TODAY).sentence == result.sentence


def test_the_map_page_names_the_archive_month_it_tested(tmp_path, monkeypatch):
    """The sentence under the map, for the archive viewed with the dates the page offers for it."""
    from streamlit.testing.v1 import AppTest

    from tests.helpers import dashboard_on

    db = tmp_path / "w.duckdb"
    load_text(db, "reports", _police_uk(["2020-10", "2020-11", "2020-12", "2021-01"]))
    dashboard_on(db, tmp_path, monkeypatch)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"), default_timeout=90)
    at.query_params.update(ARCHIVE.to_params())
    at.run()
    at.text_input(key="signin_name").input("lead")
    at.text_input(key="signin_password").input("viewer-password-1")
    at.button[0].click().run()
    said = [str(i.value) for i in at.info if "hotspots captured" in str(i.value)]
    assert len(said) == 1 and "of January 2021's reports in " in said[0], [str(i.value) for i in at.info]
