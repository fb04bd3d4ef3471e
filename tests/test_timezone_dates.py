"""A date-time with an offset from UTC ("Z", "+01:00") names a moment: it is dated as the UK saw it, so a report
received at 23:30 UTC on a summer evening (00:30 BST) is dated the next day. A time without an offset is the UK's
already and keeps its date."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from etl import loading
from tests.helpers import load_text, query

d = dt.date
MOMENTS = {
    "2026-07-15T23:30:00Z": d(2026, 7, 16),            # 00:30 BST
    "2026-07-16T00:30:00+01:00": d(2026, 7, 16),
    "2026-07-15T22:59:59Z": d(2026, 7, 15),            # 23:59:59 BST
    "2026-07-15T23:30:00.1234567+00:00": d(2026, 7, 16),
    "2026-07-15 23:30:00+00:00": d(2026, 7, 16),
    "2026-07-15T23:30z": d(2026, 7, 16),
    "2026-07-15 23:30Z": d(2026, 7, 16),
    "20260715T233000Z": d(2026, 7, 16),                 # ISO's basic form
    "2026-07-16T01:30:00+0200": d(2026, 7, 16),         # 23:30 UTC
    "2026-07-15T18:30:00-05": d(2026, 7, 16),
    "'2026-07-15T23:30:00Z": d(2026, 7, 16),            # the apostrophe a spreadsheet keeps
    "2026-11-03T23:30:00Z": d(2026, 11, 3),             # GMT in winter: the same day
    "2026-10-25T00:30:00+01:00": d(2026, 10, 25),       # the night the clocks go back
    "2026-03-29T00:30:00Z": d(2026, 3, 29),             # and the night they go forward
    "2026-03-28T23:30:00-01:00": d(2026, 3, 29),
}
AS_WRITTEN = {
    "2026-07-15T23:30:00": d(2026, 7, 15),              # no offset: the UK's time
    "2026-07-15 23:30": d(2026, 7, 15),
    "2026-07-15 23:30 GMT": d(2026, 7, 15),             # a zone's name: often written for UK time all year
    "Wed, 15 Jul 2026 23:30:00 GMT": d(2026, 7, 15),
    "2026-07-15 13:00-14:00": d(2026, 7, 15),           # a time range, not 13:00 at UTC-14
    "2026-07-15 23:30:00-16:00": d(2026, 7, 15),        # no zone is 16 hours off UTC
    "2026-09-05Z": d(2026, 9, 5),
    "15/07/2026": d(2026, 7, 15),
    "2026-02-30T10:00:00Z": None,
}


def _parsed(values: list[str], time_zone: str | None = None) -> dict:
    con = duckdb.connect()
    if time_zone:
        con.execute(f"SET TimeZone = '{time_zone}'")
    loading.define_value_macros(con)
    return dict(con.execute("SELECT v, parse_date(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)", [values]).fetchall())


def test_a_moment_with_an_offset_is_dated_as_the_uk_saw_it():
    assert _parsed(list(MOMENTS)) == MOMENTS


def test_a_time_without_an_offset_keeps_its_date():
    assert _parsed(list(AS_WRITTEN)) == AS_WRITTEN


@pytest.mark.parametrize("time_zone", ["America/New_York", "Asia/Tokyo"])
def test_the_date_does_not_depend_on_the_machine_s_time_zone(time_zone):
    both = {**MOMENTS, **AS_WRITTEN}
    assert _parsed(list(both), time_zone) == both


def test_reports_and_cases_are_stored_with_the_uk_date(tmp_path):
    reports, cases = tmp_path / "r.duckdb", tmp_path / "c.duckdb"
    load_text(reports, "reports", "Reference,Date/Time Received,Address,Postcode\n"
                                  "R1,2026-07-15T23:30:00Z,12 Lincoln Road,PE1 2AA\n"
                                  "R2,2026-07-16T00:30:00+01:00,14 Lincoln Road,PE1 2AA\n"
                                  "R3,2026-07-15T23:30:00,16 Lincoln Road,PE1 2AA\n")
    assert query(reports, "SELECT report_ref, received_on FROM reports ORDER BY 1") == [
        ("R1", d(2026, 7, 16)), ("R2", d(2026, 7, 16)), ("R3", d(2026, 7, 15))]
    load_text(cases, "cases", "Case Reference,Date Opened,Postcode\nC1,2026-07-15T23:30:00Z,PE1 2AA\n")
    assert query(cases, "SELECT opened_on FROM cases") == [(d(2026, 7, 16),)]
