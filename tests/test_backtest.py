"""The backtest scores each method month by month, and says plainly how last quarter's hotspots did."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis import backtest
from analysis.filters import Filters
from etl.loading import load_file
from etl.warehouse import Warehouse

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def persistent(tmp_path_factory):
    """Fifteen months of reports: a steady cluster in Wisbech over a thin uniform background."""
    tmp = tmp_path_factory.mktemp("bt")
    rng = np.random.default_rng(9)
    rows = []
    for i in range(900):
        day = TODAY - dt.timedelta(days=int(rng.integers(0, 460)))
        if i % 3 == 0:
            lat, lon = 52.6664 + rng.normal(0, 0.0015), 0.1596 + rng.normal(0, 0.0015)
        else:
            lat, lon = rng.uniform(52.05, 52.70), rng.uniform(-0.45, 0.45)
        rows.append(f"R{i},{day},{'GLAA' if i < 40 else 'public'},{lat:.6f},{lon:.6f}")
    (tmp / "r.csv").write_text("Reference,Date,Source Type,Latitude,Longitude\n" + "\n".join(rows) + "\n")
    db = tmp / "w.duckdb"
    load_file("reports", tmp / "r.csv", db=db)
    return db


def test_every_method_beats_chance_on_a_persistent_cluster(persistent):
    result = backtest.run(Warehouse(persistent).connect_read_only(), Filters.default())
    assert set(result.summary["method"]) == {"counts", "kde", "gi_star"}
    assert (result.summary["pai"] > 3).all()
    assert result.months["month"].nunique() == 12
    assert result.sentence.startswith("The previous quarter's hotspots captured ")
    last = result.months["month"].max()
    assert f"% of {pd.Timestamp(last):%B %Y}'s reports in " in result.sentence and "% of the area" in result.sentence


def test_pai_is_hit_share_over_area_share(persistent):
    months = backtest.run(Warehouse(persistent).connect_read_only(), Filters.default()).months
    row = months.dropna().iloc[0]
    assert row["pai"] == pytest.approx((row["n"] / row["N"]) / (row["a"] / row["A"]))


def test_few_incidents_are_warned_about(persistent):
    thin = Filters(TODAY - dt.timedelta(days=89), TODAY, source_types=("GLAA",))
    result = backtest.run(Warehouse(persistent).connect_read_only(), thin)
    assert result.warning and "fewer than 30 reports" in result.warning


def test_a_short_span_of_data_says_the_hotspots_cant_be_tested(tmp_path):
    """One month of police.uk viewed with dates ending before it is over: the months tested hold nothing, and
    the page says so rather than "12 of 12 months had fewer than 30 reports". (Dates up to its last day test
    that month: tests/test_backtest_anchor.py.)"""
    rows = "".join(f"C{i},2021-01,On or near X,{52.2 + i / 1000:.4f},0.12\n" for i in range(40))
    (tmp_path / "r.csv").write_text("Crime ID,Month,Location,Latitude,Longitude\n" + rows)
    db = tmp_path / "w.duckdb"
    load_file("reports", tmp_path / "r.csv", db=db)
    result = backtest.run(Warehouse(db).connect_read_only(), Filters(dt.date(2020, 10, 18), dt.date(2021, 1, 15)))
    assert result.sentence.startswith("The 12 months tested hold no report that matches these filters")
    assert result.warning is None and "short span" not in result.sentence


def test_months_that_made_no_hotspot_say_so_rather_than_0_percent_in_0_percent(tmp_path):
    """Too few reports in the three months before the last one tested make no Gi* hotspot: "captured 0% of the
    month's reports in 0.0% of the area" read as a finding. With none at all there (police.uk months not yet
    loaded), the sentence says there was nothing to draw hotspots from."""
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    rows = "".join(f"R{i},{last_month.isoformat()},Police,{52.2 + i / 100:.4f},{0.1 + i / 100:.4f}\n"
                   for i in range(10))
    (tmp_path / "r.csv").write_text("Reference,Date,Source Type,Latitude,Longitude\n" + rows)
    db = tmp_path / "w.duckdb"
    load_file("reports", tmp_path / "r.csv", db=db)
    result = backtest.run(Warehouse(db).connect_read_only(), Filters.default())
    last = result.months[result.months["method"] == "gi_star"].tail(1).iloc[0]
    assert last["N"] > 0 and last["a"] == 0 and last["N_prev"] == 0
    assert result.sentence.startswith("No reports in the quarter before ") and "captured 0%" not in result.sentence

    # Reports before it, spread so evenly that no hexagon stands out (Gi* flags none): said as such.
    months = pd.DataFrame([{"month": "2026-10", "method": "gi_star", "N": 12, "n": 0, "a": 0, "A": 40, "N_prev": 40,
                            "hit_rate": 0.0, "area_share": 0.0, "pai": np.nan, "rri": np.nan}])
    sentence = backtest._sentence(months, 3)
    assert sentence == ("The previous quarter's reports made no hotspot, so there was none to test against "
                        "October 2026's reports (Gi*).")
