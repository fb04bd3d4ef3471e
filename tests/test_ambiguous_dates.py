"""A file whose every numeric date reads as well month first as day first (03/04/2026) is read day first, as
before, and the summary says so, naming the column, an example and what to do if the file is month first."""
from __future__ import annotations

import datetime as dt

from tests.helpers import load_text, query

SAID = ("every date in 'Date Received' could be read day-first or month-first (03/04/2026): read day first "
        "(3 April 2026, not 4 March 2026); if the file is month-first (US), its dates were read with day and month "
        "swapped: write them as yyyy-mm-dd (or dd/mm/yyyy) and load the file again")


def test_a_file_of_ambiguous_dates_is_read_day_first_and_says_so(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Postcode\nR1,03/04/2026,PE1 1AA\nR2,11/12/2025,PE1 1AA\n"
                                 "R3,05/05/2026,PE1 1AA\nR4,2026-01-02,PE1 1AA\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (4, 0)
    assert SAID in s.warnings
    assert dict(query(db, "SELECT report_ref, received_on FROM reports")) == {
        "R1": dt.date(2026, 4, 3), "R2": dt.date(2025, 12, 11), "R3": dt.date(2026, 5, 5), "R4": dt.date(2026, 1, 2)}


def test_one_unambiguous_date_keeps_the_file_as_it_was(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Postcode\nR1,03/04/2026,PE1 1AA\nR2,25/12/2025,PE1 1AA\n",
                  source="r")
    assert not any("day-first or month-first" in w for w in s.warnings)
    # Dates whose day and month are the same number read alike either way: nothing to say.
    s = load_text(db, "reports", "Report Ref,Date Received,Postcode\nS1,05/05/2026,PE1 1AA\nS2,01/01/2026,PE1 1AA\n",
                  source="s", name="s.csv")
    assert not any("day-first or month-first" in w for w in s.warnings)


def test_each_date_column_is_named_and_a_two_digit_year_read(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence No,Address,Licence Start,Licence Expiry\nL1,1 Mill Lane,03/04/24,05/05/2028\n"
                             "L2,2 Mill Lane,,01/01/2029\n", source="h")
    assert any(w.startswith("every date in 'Licence Start' could be read day-first or month-first (03/04/24): read "
                            "day first (3 April 2024, not 4 March 2024)") for w in s.warnings)
    s = load_text(db, "hmo", "Licence No,Address,Licence Start,Licence Expiry\nL1,1 Mill Lane,03/04/2024,02/01/2029\n",
                  source="h2", name="h2.csv")
    assert any(w.startswith("every date in 'Licence Start' and 'Licence Expiry' could be read") for w in s.warnings)


def test_a_case_files_dates_are_not_shown(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", "Case Ref,Date Opened,Postcode\nC1,03/04/2026,PE1 1AA\n", source="c")
    said = [w for w in s.warnings if "day-first or month-first" in w]
    assert said == ["every date in 'Date Opened' could be read day-first or month-first: read day first (03/04 as "
                    "3 April, not 4 March); if the file is month-first (US), its dates were read with day and month "
                    "swapped: write them as yyyy-mm-dd (or dd/mm/yyyy) and load the file again"]
