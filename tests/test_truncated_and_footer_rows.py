"""A file cut short inside a quoted cell, and a count of referrals under the table: neither is a report."""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import query, write_text, write_xlsx

HEADER = "Report Ref,Date Received,Address,Postcode\n"


@pytest.mark.parametrize("rest", [
    'R1,01/02/2026,"1 High St, March",PE15 8AA\nR2,02/02/2026,"34',          # cut short, no last newline
    'R1,01/02/2026,"1 High St, March",PE15 8AA\r\nR2,02/02/2026,"34 Mill\r\n',  # cut after a line break
    'R1,01/02/2026,"1 High St, March",PE15 8AA\nR2,02/02/2026,"34\x00',      # careful reader (a NUL byte)
])
def test_a_file_ending_inside_a_quoted_cell_rejects_that_row(tmp_path, db, rest):
    f = write_text(tmp_path / "r.csv", HEADER + rest)
    s = load_file("reports", f, db=db)
    assert query(db, "SELECT report_ref FROM reports") == [("R1",)]
    assert query(db, "SELECT row_number, reason FROM rejects") == [(3, (
        "the file ends inside a quoted cell opened on this row, so the row is incomplete: the file may have been cut "
        "short (truncated?). Check it is complete, or close the quote, and load it again"))]
    assert ("the file ends inside a quoted cell opened on row 3: it may have been cut short (truncated?); that row "
            "is rejected. Check the file is complete") in s.warnings


def test_a_quoted_last_cell_that_is_closed_loads(tmp_path, db):
    f = write_text(tmp_path / "r.csv", HEADER + 'R1,01/02/2026,"1 High St,\nMarch",PE15 8AA')
    s = load_file("reports", f, db=db)
    assert s.rows_loaded == 1 and not s.rows_rejected
    assert not any("quoted cell" in w for w in s.warnings)


@pytest.mark.parametrize("footer", [["Count of referrals", 30], ["Total referrals", "2"], ["2 referrals"]])
def test_a_count_of_referrals_under_the_table_is_a_footer(tmp_path, db, footer):
    rows = [["Report Ref", "Date Received", "Postcode"], ["R1", "01/02/2026", "PE15 8AA"],
            ["R2", "02/02/2026", "PE15 8AB"], footer]
    s = load_file("reports", write_xlsx(tmp_path / "r.xlsx", rows), db=db)
    csv = write_text(tmp_path / "r.csv", "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    s2 = load_file("reports", csv, db=tmp_path / "w2.duckdb")
    for summary in (s, s2):
        assert (summary.rows_loaded, summary.rows_rejected) == (2, 0)
        assert any(w.startswith("1 row(s) read as a footer or a note") for w in summary.warnings)


def test_a_row_with_a_reason_of_its_own_keeps_it_and_says_the_file_ends_in_its_quote(tmp_path, db):
    f = write_text(tmp_path / "r.csv", HEADER + 'R1,05/01/2024,"The Barn, Fen Road,PE13 2ZZ\nR2,05/01/2024,1 A Rd,PE13 2ZZ\n')
    with pytest.raises(FileProblem, match="its only row was rejected"):   # kept, under the failed load
        load_file("reports", f, db=db)
    [(reason,)] = query(db, "SELECT reason FROM rejects")
    assert reason.startswith("the address runs over 1 more line(s), which look like rows of their own")
    assert reason.endswith("(and the file ends inside this row's quoted cell: it may have been cut short)")
