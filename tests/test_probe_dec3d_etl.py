"""Red-team probes (December, third round, d): notes under a table, invisible characters, a script's UPRNs.

- A note under a register with commas in it ("Source: Cambridge City Council, public register, November 2026")
  has as many fields as commas, so it was rejected as a row with its values in the wrong columns, not skipped as
  a note. Its first cell says it is a note; a data row whose fields don't fit is still rejected.
- "Data as at 01/11/2026", "Contains OS data © Crown copyright …" under a table were read as data rows.
- A reference copied from a web page or Teams ("R1" and a zero-width space), or the first cell of a file pasted
  onto another without its header ("\\ufeffR2"), was stored with the invisible character: another report.
- A register written by a script gives UPRNs as decimals ("100090123457.0"): every licence read as changed.
"""
from __future__ import annotations

import pytest

from tests.helpers import load_text, query, write_xlsx

REGISTER = ("Licence Number,Address,Postcode,Maximum Occupants\n"
            "L1,1 A St,PE13 1AB,5\nL2,\"2 A St, Wisbech\",PE13 1AB,6\n")
FOOTER = "1 row(s) read as a footer or a note"


def _loaded(db) -> list[str]:
    return [r for (r,) in query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1")]


@pytest.mark.parametrize("note", [
    "Source: Cambridge City Council, public register, November 2026",        # fewer fields than the rows
    "Source: Cambridge City Council, Licensing, Mandell House, Regent St, Cambridge, CB2 1BY, tel 01223, Nov 2026",
    "Data as at 01/11/2026, extracted by J Smith, Licensing",
    "Printed on 30/11/2026 09:14, by jsmith, page 2",
    "Note: 2 licences pending, see the, council's, website, online",                 # more fields than the rows
    "* Names redacted, s.40, FOIA, 2000, see notes",
    "Total, 2 licences, of which 1 mandatory, 1 additional, 0 pending",        # a total, after the data
    "Contains OS data © Crown copyright, and database right 2026",
])
def test_a_note_with_commas_under_the_table_is_skipped_as_a_note(tmp_path, reader, note):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", REGISTER + note + "\n", source="cambridge")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    assert _loaded(db) == ["L1", "L2"]
    assert any(w.startswith(FOOTER) for w in s.warnings)
    assert not any("more or fewer fields" in w for w in s.warnings)


def test_notes_after_a_total_and_between_rows_are_skipped_too(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Address,Postcode,Maximum Occupants\nL1,1 A St,PE13 1AB,5\n"
                             "Note: the rows below, are, Wisbech's, own, licences\nL2,2 A St,PE13 1AB,6\n"
                             "Total, 2 licences, of which 1 mandatory, 1 additional, 0 pending\n"
                             "Source: Fenland DC, public register\n", source="fen")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    assert any(w.startswith("3 row(s) read as a footer or a note") for w in s.warnings)


@pytest.mark.parametrize("rows, bad", [
    ("L3,3 A St, Wisbech,PE13 1AB,5\n", 4),                       # an address with an unquoted comma, last
    ("Total Lets,3 A St, Wisbech,PE13 1AB,5\n", 4),               # a licence whose reference starts "Total"
    ("*L3,3 A St, Wisbech,PE13 1AB,5\n", 4),                      # a reference marked for a footnote
    ("Total, 2 licences, of which 1 mandatory, 1 additional, 0 pending\nL3,3 A St,PE13 1AB,5\n", 4),  # data after it
])
def test_a_data_row_whose_fields_dont_fit_is_still_rejected(tmp_path, reader, rows, bad):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", REGISTER + rows, source="fen")
    assert s.rows_rejected == 1
    [(row, reason)] = query(db, "SELECT row_number, reason FROM rejects")
    assert row == bad and "into the wrong columns" in reason
    assert not any(w.startswith(FOOTER) for w in s.warnings)


def test_a_quoted_note_and_a_note_of_one_cell_in_a_workbook_are_notes(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", REGISTER + '"Source: Cambridge City Council, public register, November 2026"\n'
                  "Data as at 01/11/2026\n", source="cambridge")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    rows = [["Licence Number", "Address", "Postcode"], ["L1", "1 A St", "PE13 1AB"], ["L2", "2 A St", "PE13 1AB"],
            ["Data as at 01/11/2026, extracted by J Smith"], ["Last updated 3/11/2026"],
            ["Contains OS data © Crown copyright and database right 2026"]]
    from etl.loading import load_file
    s = load_file("hmo", write_xlsx(tmp_path / "r.xlsx", rows), db=tmp_path / "x.duckdb", source="cambridge")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    assert any(w.startswith("3 row(s) read as a footer or a note") for w in s.warnings)


def test_invisible_characters_around_a_reference_are_dropped(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Source Type,Postcode\n"
                                 "R1,2026-06-01,police,PE13 1AB\nR1\u200b,2026-06-02,police,PE13 1AB\n"
                                 "\ufeffR2,2026-06-02,police,PE13 1AB\n\u2060R3\u200d,2026-06-03,police,PE13 1AB\n")
    assert query(db, "SELECT report_ref, received_on::VARCHAR FROM reports ORDER BY 1") == \
        [("R1", "2026-06-02"), ("R2", "2026-06-02"), ("R3", "2026-06-03")]
    assert any(w.startswith("rows with the same reference, the last one kept: 'R1' rows 2, 3") for w in s.warnings)


def test_a_scripts_decimal_uprns_are_the_registers_uprns(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    plain = "Licence Number,Address,Postcode,UPRN\nL1,1 A St,PE13 1AB,100090123456\nL2,2 A St,PE13 1AB,\n"
    load_text(db, "hmo", plain, source="fen")
    s = load_text(db, "hmo", plain.replace("123456", "123456.0"), source="fen", name="g.csv")
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged) == (0, 0, 2)
    assert query(db, "SELECT uprn FROM hmo_licences ORDER BY 1") == [("100090123456",), (None,)]
