"""A file written month first (a system set up for the US) is read month first, whole; one odd date is not
enough to turn a file round, and a mixed file is read day first and said to be mixed."""
from __future__ import annotations

import datetime as dt

from etl.loading import load_file
from tests.helpers import query, write_text

HEADER = "Report Ref,Date Received,Address\n"


def _load_reports(tmp_path, name: str, rows: str, source: str):
    """Load `rows` (under HEADER) from a file `name` into the warehouse in `tmp_path`: (its path, the summary)."""
    db = tmp_path / "w.duckdb"
    return db, load_file("reports", write_text(tmp_path / name, HEADER + rows), db=db, source=source)


def _dates(db, source):
    return dict(query(db, "SELECT report_ref, received_on FROM reports WHERE source = ?", [source]))


def test_a_file_whose_dates_are_month_first_is_read_month_first(tmp_path):
    db, s = _load_reports(tmp_path, "us.csv", "U1,01/13/2024,1 A Rd\nU2,01/05/2024,2 A Rd\n"
                                              "U3,1/5/2024 3:04:05 PM,3 A Rd\nU4,02/28/24,4 A Rd\nU5,2024-03-01,5 A Rd\n", "US")
    assert (s.rows_loaded, s.rows_rejected) == (5, 0)
    assert "dates read month first (mm/dd/yyyy): 2 date(s) put a number past 12 second ('01/13/2024'), and none " \
           "puts one first" in s.warnings
    assert _dates(db, "US") == {"U1": dt.date(2024, 1, 13), "U2": dt.date(2024, 1, 5), "U3": dt.date(2024, 1, 5),
                                "U4": dt.date(2024, 2, 28), "U5": dt.date(2024, 3, 1)}
    # The next file, day first, is read day first: the order is the file's, never left over from the last.
    db, s = _load_reports(tmp_path, "uk.csv", "K1,01/05/2024,1 A Rd\nK2,25/12/2024,2 A Rd\n", "UK")
    assert _dates(db, "UK") == {"K1": dt.date(2024, 5, 1), "K2": dt.date(2024, 12, 25)}
    assert not any("month first" in w for w in s.warnings)


def test_one_month_first_date_is_a_warning_not_a_turned_file(tmp_path):
    """"03/13/2024" among day-first dates that all happen to be 12th or earlier may be a typo for 13/03."""
    db, s = _load_reports(tmp_path, "r.csv", "R1,05/01/2024,1 A Rd\nR2,07/02/2024,2 A Rd\nR3,03/13/2024,3 A Rd\n", "R")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert _dates(db, "R") == {"R1": dt.date(2024, 1, 5), "R2": dt.date(2024, 2, 7)}
    assert "1 date puts a number past 12 second ('03/13/2024'): rejected, as no month is past 12. If the file writes " \
           "its dates month first (mm/dd/yyyy), the others were read wrongly: check them" in s.warnings


def test_a_file_with_both_orders_is_read_day_first_and_said_to_be_mixed(tmp_path):
    db, s = _load_reports(tmp_path, "r.csv", "R1,25/01/2024,1 A Rd\nR2,01/13/2024,2 A Rd\nR3,01/14/2024,3 A Rd\n"
                                             "R4,05/01/2024,4 A Rd\n", "R")
    assert (s.rows_loaded, s.rows_rejected) == (2, 2)
    assert _dates(db, "R") == {"R1": dt.date(2024, 1, 25), "R4": dt.date(2024, 1, 5)}
    assert any(w.startswith("dates are written both day first ('25/01/2024') and month first ('01/13/2024')")
               for w in s.warnings)


def test_a_case_file_is_turned_without_its_dates_in_the_summary(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "c.csv", "Case Reference,Date Opened,Postcode\nC1,01/13/2024,PE13 1AB\n"
                                       "C2,02/14/2024,PE13 1AB\nC3,03/01/2024,PE13 1AB\n")
    s = load_file("cases", f, db=db)
    assert s.rows_loaded == 3
    assert "dates read month first (mm/dd/yyyy): 2 date(s) put a number past 12 second, and none puts one first" \
        in s.warnings
    assert sorted(d for (d,) in query(db, "SELECT opened_on FROM cases")) == \
        [dt.date(2024, 1, 13), dt.date(2024, 2, 14), dt.date(2024, 3, 1)]
