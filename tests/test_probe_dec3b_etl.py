"""Red-team probes (December, third round b): shapes of real partner files that were rejected for no good reason.

- A date cell giving a span ("01/02/2026 - 03/02/2026", "1-3 Feb 2026", "Feb-Mar 2026", "between … and …") or a
  date with a word before it ("approx 01/02/2026", "w/c 02/02/2026") rejected the row as "not a date": a report
  seen over three days was lost for the lack of one day. It is read as its first date, and the summary counts the
  rows read so, with the column, an example and the rows (no example from a victim case file).
- "Lietuvių" and "Români", how a Lithuanian or Romanian caseworker writes the people, were kept as unknown
  nationalities, so no Lithuanian- or Romanian-speaking coordinator was suggested.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from etl import loading
from tests.helpers import load_text, query

FEB_1 = dt.date(2026, 2, 1)


def _dates(values: list[str]) -> dict[str, dt.date | None]:
    con = duckdb.connect()
    loading.define_value_macros(con)
    return dict(con.execute("SELECT v, parse_date(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)", [values]).fetchall())


@pytest.mark.parametrize("value", ["01/02/2026 - 03/02/2026", "01/02/2026-03/02/2026", "01/02/2026 to 05/02/2026",
                                   "Between 01/02/2026 and 03/02/2026", "1-3 Feb 2026", "1st - 3rd February 2026",
                                   "Feb-Mar 2026", "01/02 - 03/02/2026", "2026-02-01 - 2026-02-03",
                                   "01/02/2026 & 03/02/2026", "from 1/2/26 until 3/2/26", "approx 01/02/2026",
                                   "c. 01/02/2026", "w/c 01/02/2026", "on or about 1st February 2026",
                                   "1 Feb 2026 – 3 Feb 2026"])
def test_a_span_or_a_date_with_a_word_before_it_is_its_first_date(value):
    assert _dates([value]) == {value: FEB_1}


def test_what_is_no_span_stays_no_date_and_plain_dates_are_read_as_before():
    """A span's end must be a date no earlier than its start: "- see notes" or an end before the start is a slip to
    fix, not a date to guess. ISO dates' own dashes split nothing."""
    got = _dates(["01/02/2026 - see notes", "03/02/2026 - 01/02/2026", "Q1 2026", "2026-02-01", "01/02/2026 14:00-16:00",
                  "Aug-19", "March 24"])
    assert got == {"01/02/2026 - see notes": None, "03/02/2026 - 01/02/2026": None, "Q1 2026": None,
                   "2026-02-01": FEB_1, "01/02/2026 14:00-16:00": FEB_1, "Aug-19": dt.date(2019, 8, 1),
                   "March 24": None}


def test_reports_dated_by_a_span_load_and_the_summary_names_them(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Reference,Date Received,Address,Postcode\n"
                                 "R1,01/02/2026 - 03/02/2026,1 Bridge St,PE1 1AB\n"
                                 "R2,10/02/2026,2 Bridge St,PE1 1AB\n"
                                 "R3,Feb-Mar 2026,3 Bridge St,PE1 1AB\n"
                                 "R4,01/02/2026 - see notes,4 Bridge St,PE1 1AB\n")
    assert (s.rows_loaded, s.rows_rejected) == (3, 1)
    assert dict(query(db, "SELECT report_ref, received_on FROM reports")) == {
        "R1": FEB_1, "R2": dt.date(2026, 2, 10), "R3": FEB_1}
    note = next(w for w in s.warnings if "span of dates" in w)
    assert "2 row(s)" in note and "'Date Received'" in note and "'01/02/2026 - 03/02/2026'" in note
    assert "rows 2, 4" in note and "first date" in note
    assert "is not a date" in query(db, "SELECT reason FROM rejects")[0][0]


def test_a_registers_licence_start_given_as_a_span_is_its_first_day(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Property Address,Postcode,Licence Start\n"
                             "HMO/1,12 Mill Road,CB1 2AD,01/02/2026 - 03/02/2026\n")
    assert s.rows_rejected == 0
    assert query(db, "SELECT licence_start FROM hmo_licences") == [(FEB_1,)]
    assert any("span of dates" in w and "'Licence Start'" in w for w in s.warnings)


def test_a_case_opened_over_a_span_loads_and_its_date_is_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))
    monkeypatch.delenv("HOTSPOTS_PSEUDONYM_KEY", raising=False)
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", "Case Ref,Date Opened,Postcode\nC1,approx 01/02/2026,PE13 1AB\n")
    assert s.rows_loaded == 1
    assert query(db, "SELECT opened_on FROM cases") == [(FEB_1,)]
    note = next(w for w in s.warnings if "span of dates" in w)
    assert "01/02/2026" not in note


@pytest.mark.parametrize(("written", "stored"), [("Lietuvių", "Lithuanian"), ("lietuviai", "Lithuanian"),
                                                 ("Români", "Romanian"), ("româncă", "Romanian")])
def test_lithuanians_and_romanians_as_they_write_themselves_are_their_nationality(tmp_path, written, stored):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", f"Reference,Date Received,Postcode,Nationalities\nR1,01/02/2026,PE1 1AB,{written}\n")
    assert s.rows_loaded == 1
    assert query(db, "SELECT nationalities FROM reports") == [([stored],)]
