"""Filters round-trip through URLs and reach SQL only as parameters."""
from __future__ import annotations

import datetime as dt

import duckdb

from analysis.filters import Filters, reports_where

TODAY = dt.date(2026, 11, 28)


def test_default_is_the_last_90_days():
    f = Filters.default(TODAY)
    assert (f.date_from, f.date_to, f.days) == (dt.date(2026, 8, 31), TODAY, 90)
    prev = f.previous_period()
    assert prev.date_to == dt.date(2026, 8, 30) and prev.days == 90


def test_url_round_trip_and_junk_tolerance():
    f = Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 31), districts=("E07000010", "E06000031"),
                indicators=("van_pickups",))
    assert Filters.from_params(f.to_params(), TODAY) == Filters(
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), districts=("E06000031", "E07000010"), indicators=("van_pickups",))
    junk = Filters.from_params({"from": "yesterday", "to": "2026-13-40", "district": ""}, TODAY)
    assert junk == Filters.default(TODAY)
    swapped = Filters.from_params({"from": "2026-05-01", "to": "2026-01-01"}, TODAY)
    assert swapped.date_from < swapped.date_to


def test_sql_injection_strings_are_only_parameters():
    con = duckdb.connect()
    con.execute("CREATE TABLE reports (received_on DATE, district_code VARCHAR, exploitation_type VARCHAR, "
                "source_type VARCHAR, indicators VARCHAR[], nationalities VARCHAR[])")
    con.execute("INSERT INTO reports VALUES ('2026-11-01', 'E07000010', 'labour', 'public', ['van_pickups'], ['Polish'])")
    evil = "E07000010'); DROP TABLE reports; --"
    f = Filters(dt.date(2026, 1, 1), TODAY, districts=(evil,), nationalities=("' OR 1=1 --",))
    where, params = reports_where(f)
    assert con.execute(f"SELECT count(*) FROM reports r WHERE {where}", params).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 1
    ok = Filters(dt.date(2026, 1, 1), TODAY, districts=("E07000010",), indicators=("van_pickups",))
    where, params = reports_where(ok)
    assert con.execute(f"SELECT count(*) FROM reports r WHERE {where}", params).fetchone()[0] == 1
