"""The map's possible unlicensed HMOs found in memory (analysis/unlicensed_brief.py) are the SQL's
(analysis/map_layers.py `_brief_unlicensed`, `_unlicensed_markers`): the same markers, words, points
and counts per cell, on any dates and districts."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from analysis import map_layers, report_index
from analysis.filters import NO_DISTRICT, Filters
from tests.analysis_fixtures import TODAY, demo_con, demo_db  # noqa: F401


def _layer(con, f: Filters, limit: int, in_memory: bool, monkeypatch) -> map_layers.MarkerLayer:
    with monkeypatch.context() as mp:
        if not in_memory:
            mp.setattr(report_index, "for_connection", lambda con: None)
        else:       # else a failed copy would compare the SQL with itself
            assert report_index.for_connection(con) is not None
        return map_layers.hmo_marker_layer(con, f, TODAY, limit=limit)


def _same(con, f: Filters, limit: int, monkeypatch) -> map_layers.MarkerLayer:
    sql = _layer(con, f, limit, False, monkeypatch)
    memory = _layer(con, f, limit, True, monkeypatch)
    pd.testing.assert_frame_equal(memory.markers, sql.markers, check_dtype=False)
    pd.testing.assert_frame_equal(memory.rest, sql.rest, check_dtype=False)
    assert memory.total == sql.total
    return sql


def test_the_default_map_draws_the_same_markers(demo_con, monkeypatch):  # noqa: F811
    f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
    for limit in (5000, 40, 3):
        layer = _same(demo_con, f, limit, monkeypatch)
        assert (layer.markers["status"] == "possible_unlicensed").any()
    assert not layer.rest.empty


def test_any_dates_and_districts_draw_the_same_markers(demo_con, monkeypatch):  # noqa: F811
    con = demo_con
    districts = [d for (d,) in con.execute("SELECT DISTINCT district_code FROM reports WHERE district_code "
                                           "IS NOT NULL ORDER BY 1").fetchall()] + [NO_DISTRICT]
    first = con.execute("SELECT min(received_on) FROM reports").fetchone()[0]

    @hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(start=st.integers(0, (TODAY - first).days), days=st.integers(1, 900),
           district=st.sets(st.sampled_from(districts), max_size=2), limit=st.sampled_from([2, 30, 5000]))
    def check(start, days, district, limit):
        date_from = first + dt.timedelta(days=start)
        f = Filters(date_from=date_from, date_to=date_from + dt.timedelta(days=days - 1),
                    districts=tuple(sorted(district)))
        _same(con, f, limit, monkeypatch)

    check()


def test_a_view_with_no_reports_draws_only_licences(demo_con, monkeypatch):  # noqa: F811
    layer = _same(demo_con, Filters(date_from=dt.date(1990, 1, 1), date_to=dt.date(1990, 1, 2)), 100, monkeypatch)
    assert not (layer.markers["status"] == "possible_unlicensed").any()
