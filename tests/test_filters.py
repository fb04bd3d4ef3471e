"""Filters round-trip through URLs and reach SQL only as parameters."""
from __future__ import annotations

import datetime as dt

import duckdb

from analysis.filters import NO_DISTRICT, Filters, licences_where, reports_where

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


def test_no_district_picks_the_rows_placed_in_none_and_only_when_chosen():
    """Reports not geocoded or flagged have no district: "all districts" counts them, a chosen district
    does not, and the "Unknown district" choice picks exactly them, alone or beside districts."""
    con = duckdb.connect()
    con.execute("CREATE TABLE reports (received_on DATE, district_code VARCHAR)")
    con.execute("INSERT INTO reports VALUES ('2026-11-01', 'E07000010'), ('2026-11-01', NULL), "
                "('2026-11-02', NULL), ('2026-11-01', 'E06000031')")
    con.execute("CREATE TABLE hmo_licences AS SELECT district_code FROM reports")

    def counted(*districts):
        f = Filters(dt.date(2026, 1, 1), TODAY, districts=districts)
        where, params = reports_where(f)
        lic_where, lic_params = licences_where(f)
        return (con.execute(f"SELECT count(*) FROM reports r WHERE {where}", params).fetchone()[0],
                con.execute(f"SELECT count(*) FROM hmo_licences h WHERE {lic_where}", lic_params).fetchone()[0])

    assert counted() == (4, 4)
    assert counted("E07000010") == (1, 1)
    assert counted(NO_DISTRICT) == (2, 2)
    assert counted(NO_DISTRICT, "E07000010") == (3, 3)
    assert Filters.from_params(Filters(TODAY, TODAY, districts=(NO_DISTRICT,)).to_params(), TODAY).districts == \
        (NO_DISTRICT,)
