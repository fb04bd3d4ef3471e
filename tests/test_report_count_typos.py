"""Reports' number of people typed "1O" (letter O for zero) is rejected naming the value, never read as 1."""
from __future__ import annotations

from tests.helpers import TODAY, load_text, query

D = TODAY.strftime("%d/%m/%Y")


def test_people_seen_typed_with_a_letter_o_are_rejected_naming_the_value(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Reference,Date received,Address,Postcode,Source,Number of people\n"
                                 f"R1,{D},1 Mill Lane,PE13 1AB,Police,1O\n"
                                 f"R2,{D},2 Mill Lane,PE13 1AB,Police,about 2O men\n"
                                 f"R3,{D},3 Mill Lane,PE13 1AB,Police,10\n")
    assert (s.rows_loaded, s.rows_rejected) == (1, 2)
    assert query(db, "SELECT report_ref, people_count FROM reports") == [("R3", 10)]
    reasons = [r for (r,) in query(db, "SELECT reason FROM rejects ORDER BY row_number")]
    assert reasons == [f"number of people '{v}' has a letter where a digit may be meant (O for 0, I or l for 1): "
                       "not read as a number" for v in ("1O", "about 2O men")]


def test_a_time_beside_the_date_is_said_once_and_not_as_a_missing_field(tmp_path):
    """"Date", "Time": the time was listed among the columns no field took, with the advice to use --mapping,
    though no field of ours is a time of day; "Incident Date" beside "Time" was refused as ambiguous."""
    s = load_text(tmp_path / "w.duckdb", "reports", "Report Ref,Incident Date,Time,Postcode,Colour\n"
                                                     "R1,01/02/2026,14:22,PE1 1AB,red\n", source="r")
    assert s.rows_loaded == 1
    notes = [w for w in s.warnings if "'Time'" in w]
    assert len(notes) == 1 and "a time beside the date, not read" in notes[0] and "'Colour'" in notes[0]
