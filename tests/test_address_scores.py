"""The visit list's scores summed in memory (analysis/address_scores.py) equal the SQL's
(analysis/visits.py `_score_addresses`) row for row, on any filters the pages can ask for.

The demo warehouse opened read-only gets the in-memory copy (analysis/report_index.py), so every
other analysis test on `demo_con` runs the in-memory path; these compare it with the SQL one.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from analysis import report_index, visits
from analysis.filters import NO_DISTRICT, Filters
from tests.analysis_fixtures import TODAY, connect, demo_con, demo_db  # noqa: F401


def _scores(con, f: Filters, keep, in_memory: bool, monkeypatch, today: dt.date = TODAY) -> pd.DataFrame:
    with monkeypatch.context() as mp:
        if not in_memory:
            mp.setattr(report_index, "for_connection", lambda con: None)
        elif not f.nationalities:       # else a failed copy would compare the SQL with itself
            assert report_index.for_connection(con) is not None
        visits._score_addresses(con, f, today, keep)
    got = con.execute(f"SELECT * FROM {visits._SCORES} ORDER BY group_id").df()
    con.execute(f"DROP TABLE {visits._SCORES}")
    return got


def _same(con, f: Filters, keep, monkeypatch, today: dt.date = TODAY) -> int:
    sql = _scores(con, f, keep, False, monkeypatch, today)
    memory = _scores(con, f, keep, True, monkeypatch, today)
    pd.testing.assert_frame_equal(memory, sql, check_dtype=False, rtol=1e-9)
    return len(sql)


def _values(con, column: str) -> list[str]:
    return [v for (v,) in con.execute(f"SELECT DISTINCT {column} FROM reports WHERE {column} IS NOT NULL "
                                      f"ORDER BY 1").fetchall()]


def test_the_demo_warehouse_read_only_is_scored_in_memory(demo_con):  # noqa: F811
    index = report_index.for_connection(demo_con)
    assert index is not None
    assert len(index.day) == demo_con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL").fetchone()[0]
    assert np.all(np.diff(index.group) >= 0)


def test_a_writable_connection_is_scored_in_sql(demo_db, tmp_path):  # noqa: F811
    import duckdb
    import shutil

    copy = tmp_path / "w.duckdb"
    shutil.copy(demo_db, copy)
    con = duckdb.connect(str(copy))
    try:
        assert report_index.for_connection(con) is None
    finally:
        con.close()


def test_a_changed_file_gets_a_new_copy(demo_db, tmp_path):  # noqa: F811
    """A load swaps in a new file; a file changed in place (an old-style writer) is a new version too."""
    import duckdb
    import shutil

    copy = tmp_path / "w.duckdb"
    shutil.copy(demo_db, copy)
    before = connect(copy)
    try:
        first = report_index.for_connection(before)
        assert report_index.for_connection(before) is first
    finally:
        before.close()
    writer = duckdb.connect(str(copy))
    try:
        writer.execute("DELETE FROM reports WHERE addr_id IN (SELECT addr_id FROM reports WHERE addr_id IS NOT NULL "
                       "LIMIT 5)")
        writer.execute("CHECKPOINT")
    finally:
        writer.close()
    after = connect(copy)
    try:
        second = report_index.for_connection(after)
        assert second is not first
        assert len(second.day) < len(first.day)
    finally:
        after.close()


@pytest.mark.parametrize("keep", [None, (25, 1.0, 0.0), (5, 0.25, 40.0)])
def test_the_default_view_scores_the_same(demo_con, monkeypatch, keep):  # noqa: F811
    assert _same(demo_con, Filters.default(TODAY), keep, monkeypatch) > 0


def test_every_filter_scores_the_same(demo_con, monkeypatch):  # noqa: F811
    con = demo_con
    districts = _values(con, "district_code") + [NO_DISTRICT]
    sources = _values(con, "source_type")
    kinds = _values(con, "exploitation_type")
    codes = [c for (c,) in con.execute("SELECT code FROM indicator_bits ORDER BY code").fetchall()] + ["no_such_code"]
    first = con.execute("SELECT min(received_on) FROM reports").fetchone()[0]

    @hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(start=st.integers(0, (TODAY - first).days), days=st.integers(1, 800),
           district=st.sets(st.sampled_from(districts), max_size=2), source=st.sets(st.sampled_from(sources), max_size=2),
           kind=st.sets(st.sampled_from(kinds), max_size=2), code=st.sets(st.sampled_from(codes), max_size=2),
           keep=st.sampled_from([None, (10, 1.0, 0.0), (3, 0.5, 20.0)]))
    def check(start, days, district, source, kind, code, keep):
        date_from = first + dt.timedelta(days=start)
        f = Filters(date_from=date_from, date_to=date_from + dt.timedelta(days=days - 1),
                    districts=tuple(sorted(district)), source_types=tuple(sorted(source)),
                    exploitation_types=tuple(sorted(kind)), indicators=tuple(sorted(code)))
        _same(con, f, keep, monkeypatch)

    check()


def test_licences_on_the_day_they_expire_or_start_expiring_score_the_same(demo_con, monkeypatch):  # noqa: F811
    from analysis import settings

    expiry = demo_con.execute("""
        SELECT m.licence_expiry FROM address_matches m JOIN reports r ON r.addr_id = m.addr_id
        WHERE m.licence_expiry IS NOT NULL ORDER BY r.received_on DESC, m.licence_expiry LIMIT 1""").fetchone()[0]
    soon = dt.timedelta(days=settings.expiring_days())
    for today in (expiry - soon - dt.timedelta(days=1), expiry - soon, expiry, expiry + dt.timedelta(days=1)):
        f = Filters(date_from=today - dt.timedelta(days=729), date_to=today)
        assert _same(demo_con, f, None, monkeypatch, today) > 0


def test_a_view_with_no_reports_scores_nothing(demo_con, monkeypatch):  # noqa: F811
    f = Filters(date_from=dt.date(1990, 1, 1), date_to=dt.date(1990, 1, 31))
    assert _same(demo_con, f, (10, 1.0, 0.0), monkeypatch) == 0


def test_nationality_filters_are_left_to_sql(demo_con, monkeypatch):  # noqa: F811
    nationality = demo_con.execute("SELECT unnest(nationalities) FROM reports LIMIT 1").fetchone()[0]
    f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY, nationalities=(nationality,))
    assert not report_index.for_connection(demo_con).covers(f)
    assert _same(demo_con, f, None, monkeypatch) > 0


def test_the_visit_list_is_the_same_either_way(demo_con, monkeypatch):  # noqa: F811
    f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
    memory = visits.visit_list(demo_con, f, TODAY, limit=30)
    monkeypatch.setattr(report_index, "for_connection", lambda con: None)
    pd.testing.assert_frame_equal(memory, visits.visit_list(demo_con, f, TODAY, limit=30))


def test_in_the_background_queries_are_answered_in_sql_while_the_copy_is_made(demo_db, tmp_path,  # noqa: F811
                                                                                      monkeypatch):
    import shutil
    import time

    copy = tmp_path / "w.duckdb"
    shutil.copy(demo_db, copy)      # a version no other test has made a copy of
    monkeypatch.setattr(report_index, "_MODE", report_index.BACKGROUND)
    con = connect(copy)
    try:
        assert report_index.for_connection(con) is None      # only make_in_background makes it
        report_index.make_in_background(con)
        f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
        sql = visits.visit_list(con, f, TODAY, limit=20)
        deadline = time.monotonic() + 60
        while (index := report_index.for_connection(con)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index is not None
        pd.testing.assert_frame_equal(visits.visit_list(con, f, TODAY, limit=20), sql)
    finally:
        con.close()


def test_a_warehouse_the_copy_cannot_be_made_of_is_answered_in_sql(demo_db, tmp_path, monkeypatch, caplog):  # noqa: F811
    import shutil

    copy = tmp_path / "w.duckdb"
    shutil.copy(demo_db, copy)
    con = connect(copy)
    try:
        monkeypatch.setattr(report_index, "build", lambda con: (_ for _ in ()).throw(MemoryError("no room")))
        assert report_index.for_connection(con) is None
        assert "queries stay in SQL" in caplog.text
        f = Filters(date_from=TODAY - dt.timedelta(days=364), date_to=TODAY)
        assert len(visits.visit_list(con, f, TODAY, limit=5)) == 5
    finally:
        con.close()


def test_in_the_background_a_newer_version_replaces_the_copy_and_the_older_is_answered_in_sql(  # noqa: F811
        demo_db, tmp_path, monkeypatch):
    """A swap must not hold two copies in the dashboard's memory (each is hundreds of MB at national scale)."""
    import duckdb
    import shutil
    import time

    older, newer = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    shutil.copy(demo_db, older)
    shutil.copy(demo_db, newer)
    writer = duckdb.connect(str(newer))
    try:        # as a load would: one more row in `loads`, ended later than every other
        writer.execute("""INSERT INTO loads (load_id, kind, source, file_name, started_at, finished_at, status)
                          SELECT max(load_id) + 1, 'reports', 'Test', 'later.csv', now(), now(), 'loaded' FROM loads""")
    finally:
        writer.close()
    monkeypatch.setattr(report_index, "_MODE", report_index.BACKGROUND)

    def copied(con):
        report_index.make_in_background(con)
        deadline = time.monotonic() + 60
        while (index := report_index.for_connection(con)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return index

    a, b = connect(older), connect(newer)
    try:
        assert copied(a) is not None
        assert copied(b) is not None
        assert report_index.for_connection(a) is None
        assert report_index._version(a) not in report_index._INDEXES
        assert report_index._version(a) not in report_index._BUILDING
    finally:
        a.close()
        b.close()


def test_one_off_commands_make_no_copy(demo_con, monkeypatch):  # noqa: F811
    """An export or a load asks once: making a copy (seconds at national scale) would cost more than the SQL."""
    monkeypatch.setattr(report_index, "_MODE", report_index.OFF)
    assert report_index.for_connection(demo_con) is None
    with pytest.raises(ValueError):
        report_index.use("sometimes")
