"""Report rows without a reference that repeat an earlier row of the file are kept (two sightings can read
alike), but counted and named in the summary: a block pasted twice doubled those reports without a word."""
from __future__ import annotations

from etl.loading import load_file
from tests.helpers import write_text

HEADER = "Date Received,Address,Postcode,Indicators,People seen\n"
BLOCK = ('20/10/2026,"11 Beta Street, Peterborough",PE1 2AF,"many men, mattresses",7\n'
         "21/10/2026,\"12 Beta Street, Peterborough\",PE1 2AJ,curtains always drawn,4\n")


def test_a_block_pasted_twice_is_counted_and_named(db):
    once = load_file("reports", write_text(db.parent / "once.csv", HEADER + BLOCK), db=db, source="Once")
    assert not any("identical to an earlier row" in w for w in once.warnings)
    s = load_file("reports", write_text(db.parent / "twice.csv", HEADER + BLOCK + BLOCK), db=db, source="Pasted")
    assert (s.rows_read, s.rows_loaded) == (4, 4)
    assert ("2 row(s) identical to an earlier row of the file (the same date, place, indicators, people seen, "
            "grading and text), with no reference to tell them apart: row(s) 4, 5 repeat row(s) 2, 3; kept as "
            "separate reports, as two sightings can read alike. If a block of the file was pasted twice, remove "
            "the copy and load the file again") in s.warnings


def test_many_copies_are_cut_short_and_rows_with_references_are_not_counted(db):
    row = "20/10/2026,1 Gamma Road,PE1 2AF,,3\n"
    refs = "".join(f"R{i}," + row for i in range(3))
    s = load_file("reports", write_text(db.parent / "many.csv", "Ref," + HEADER + refs + ("," + row) * 9), db=db,
                  source="Many")
    assert s.rows_loaded == 12
    assert any(w.startswith("8 row(s) identical to an earlier row") and "row(s) 6, 7, 8, 9, 10, 11 … repeat row(s) "
               "5, 5, 5, 5, 5, 5 …;" in w for w in s.warnings)
