"""A CSV row whose fields are shifted (an unquoted comma in an address, a missing value) has its values in the wrong
columns: it is rejected, saying how many fields it has and how many the file's rows have, and the summary names it,
on DuckDB's fast path and the careful reader's alike. Nothing is stored shifted, and no row is dropped silently."""
from __future__ import annotations

import duckdb
import pytest

from etl.reading import fast_csv
from etl.reading.stage import stage_file
from tests.helpers import load_text, query, write_text

# The header, a good row, a row with an unquoted comma in its address, a row missing its address.
FILES = {
    "reports": ("Report Ref,Date Received,Address,Postcode,Source\n", "R1,03/02/2026,1 Mill Road,CB1 2AD,police",
                "R17,03/02/2026,12 Mill Road, Cambridge,CB1 2AD,labour", "R18,03/02/2026,CB1 2AD,police",
                "SELECT report_ref, address, postcode, source_type FROM reports"),
    "hmo": ("Licence Number,Address,Postcode,Licence Holder,Licence Type\n", "L1,1 Mill Road,CB1 2AD,A Smith,Mandatory",
            "L17,12 Mill Road, Cambridge,CB1 2AD,B Jones,Mandatory", "L18,CB1 2AD,C Brown,Mandatory",
            "SELECT licence_ref, address, postcode, licence_holder FROM hmo_licences"),
    "cases": ("Case Ref,Date Opened,Postcode,Exploitation Type,NRM Referred\n", "C1,03/02/2026,CB1 2AD,labour,yes",
              "C17,03/02/2026,CB1, 2AD,labour,yes", "C18,03/02/2026,labour,yes",
              "SELECT exploitation_type, nrm_referred FROM cases"),
}
LOADED = {"reports": [("R1", "1 Mill Road", "CB1 2AD", "police")],
          "hmo": [("L1", "1 Mill Road", "CB1 2AD", "A Smith")], "cases": [("labour", True)]}


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)


def _careful(monkeypatch, careful: bool) -> None:
    if careful:
        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)


@pytest.mark.parametrize("careful", [False, True])
@pytest.mark.parametrize("kind", ["reports", "hmo", "cases"])
def test_a_row_with_a_field_too_many_or_too_few_is_rejected_not_stored_shifted(tmp_path, monkeypatch, kind, careful):
    _careful(monkeypatch, careful)
    header, good, comma, missing, stored = FILES[kind]
    db = tmp_path / "w.duckdb"
    s = load_text(db, kind, header + "\n".join([good, comma, missing, good.replace("1", "2", 1)]) + "\n")
    assert (s.rows_read, s.rows_rejected) == (4, 2)
    assert query(db, stored + " ORDER BY 1")[:1] == LOADED[kind]
    reasons = dict(query(db, "SELECT row_number, reason FROM rejects"))
    assert reasons[3].startswith("the row has 6 values but the header has 5: an unquoted comma in a value (an "
                                 "address?) moves the values after it into the wrong columns")
    assert reasons[4].startswith("the row has 4 fields where the header has 5: a missing value moves the values "
                                 "after it into the wrong columns")
    assert any(w.startswith("2 row(s) rejected for having more or fewer fields than the file's rows have (row 3, 4)")
               for w in s.warnings)


TRAILING = ("Report Ref,Date Received,Address,Postcode,Source,\nR1,03/02/2026,1 Mill Road,CB1 2AD,police,\n"
            "R2,03/02/2026,2 Mill Road,CB1 2AD,police,\n")
SHIFTED = "R17,03/02/2026,12 Mill Road, Cambridge,CB1 2AD,labour,\n"


@pytest.mark.parametrize("careful", [False, True])
def test_a_field_too_many_in_a_file_whose_rows_all_end_in_an_empty_field_is_rejected(tmp_path, monkeypatch, careful):
    """Every row ends in a delimiter (the header too): the shifted row's values reach no further than the others'
    empty column, so it was loaded with 'CAMBRIDGE' as its postcode and 'CB1 2AD' as its source."""
    _careful(monkeypatch, careful)
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", TRAILING + SHIFTED)
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert query(db, "SELECT row_number, reason FROM rejects") == [(4, (
        "the row has 7 fields where the header has 6: an unquoted comma in a value (an address?) moves the values "
        "after it into the wrong columns. Put that value in quotes, or take the comma out, and load the file again"))]


@pytest.mark.parametrize("careful", [False, True])
def test_rows_ending_in_a_delimiter_the_header_lacks_load_but_one_missing_a_value_does_not(tmp_path, monkeypatch,
                                                                                            careful):
    _careful(monkeypatch, careful)
    db = tmp_path / "w.duckdb"
    header = "Report Ref,Date Received,Address,Postcode,Source\n"
    rows = ["R1,03/02/2026,1 Mill Road,CB1 2AD,police,", "R2,03/02/2026,2 Mill Road,CB1 2AD,police,",
            "R18,03/02/2026,CB1 2AD,police,"]
    s = load_text(db, "reports", header + "\n".join(rows) + "\n")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert query(db, "SELECT reason FROM rejects")[0][0].startswith(
        "the row has 5 fields where the file's other rows have 6: a missing value")


def test_the_fast_path_counts_fields_as_the_careful_reader_does(tmp_path, monkeypatch):
    """DuckDB drops a row's empty fields past the columns it reads, unseen: it reads two past the header's, and a
    file with a row reaching them, or with a value past the header, is left to the careful reader."""
    files = [write_text(tmp_path / f"{i}.csv", text) for i, text in enumerate(
        [TRAILING, TRAILING + SHIFTED, TRAILING + "R3,03/02/2026,3 Mill Road,CB1 2AD,police,,,\n",
         TRAILING + "R3,03/02/2026,3 Mill Road,CB1 2AD,police,,x\n"])]
    fast = [stage_file(duckdb.connect(), f, "reports") for f in files]
    assert [s.read_by_duckdb for s in fast] == [True, True, False, False]
    monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    careful = [stage_file(duckdb.connect(), f, "reports") for f in files]
    assert [s.field_counts for s in fast[:2]] == [s.field_counts for s in careful[:2]] == [{6: 2}, {6: 2, 7: 1}]
    assert careful[2].field_counts == {6: 2, 8: 1}


@pytest.mark.parametrize("careful", [False, True])
def test_a_file_whose_rows_mostly_leave_off_their_empty_last_fields_loads_and_says_so(tmp_path, monkeypatch, careful):
    """A program (Excel has) that writes no delimiters for a row's empty last cells: most rows are short, and can't
    be told from rows missing a value, so they are read as leaving their last cells blank, and counted."""
    _careful(monkeypatch, careful)
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Address,Postcode,Source\nR1,03/02/2026,1 Mill Road,CB1 2AD\n"
                                 "R2,03/02/2026,2 Mill Road,CB1 2AD\nR3,03/02/2026,3 Mill Road,CB1 2AD,police\n")
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)
    assert any(w.startswith("2 row(s) have fewer fields than the header's 5, as most rows of this file do: read as "
                            "leaving their last cells blank") for w in s.warnings)
