"""DuckDB's fast CSV path stages exactly what the careful row-by-row reader would."""
from __future__ import annotations

import csv
import io

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from etl.errors import FileProblem
from etl.loading import load_file
from etl.reading import fast_csv
from etl.reading.stage import stage_file
from tests.helpers import query, write_text

FILES = {
    "plain": "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\nL2,2 A St PE13 1AB,6\n",
    "bom_title_footer": "\ufeffFenland register\nLicence Number,Address,Max Occupants\nL1,\"1 A St,\nWisbech PE13 1AB\",5\n"
                        "L2,  2 A St PE13 1AB  ,TBC\n,,\nTotal licences: 2\n",
    "blank_row_then_bad": "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\n,,\nL2,2 A St PE13 1AB,TBC\n"
                          "Total licences: 2\nL3,3 A St PE13 1AB,N/K\n",
    "odd_whitespace": "Licence Number,Address,Max Occupants\nL1 \t,\t1 A St PE13 1AB\u00a0,5\u2003\n\"L2\n\",\" 2 A St\",\x0b6\n",
    "semicolon": "Licence Number;Address;Max Occupants\nL1;1 A St PE13 1AB;5\n",
    "blank_line": "Licence Number,Address\nL1,1 A St PE13 1AB\n\nL2,2 A St PE13 1AB\n",
    "too_many": "Licence Number,Address\nL1,1 A St, Wisbech PE13 1AB\nL2,2 A St PE13 1AB\n",
    "broken_quote": "Licence Number,Address\nL0,0 A St PE13 1AB\nL1,\"1 A St PE13 1AB\nL2,2 A St PE13 1AB\n",
    "stray_quote": "Licence Number,Address,Max Occupants\nL1,\"1 A St,5\nL2,2 A St,6\nL3,3\" A St,7\nL4,4 A St,8\n",
    "footer_with_counts": "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\nTotal Lets,2 A St PE13 1AB,6\n"
                          "Total-02,12 Broadway,6\n,,\nTotal,2 licences,11\nTotal licences:,2,\n"
                          "Source: Fenland DC,Page 2,\nPrinted on 30/11/2026,,Page 1 of 3\n",
    "header_again_with_bom": "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\n"
                             "\ufeffLicence Number,Address,Max Occupants\nL2,2 A St PE13 1AB,6\n",
    "notes_under_the_table": "Licence Number,Address,Max Occupants\nL1,1 A St PE13 1AB,5\n"
                             "* Licence holder names redacted under s.40 FOIA,,\nNote: 2 licences pending,,\n"
                             "NB - figures as at 1 October,,\n",
    "ctrl_z_at_the_end": "Licence Number,Address,Max Occupants\r\nL1,1 A St PE13 1AB,5\r\n\x1a",
    "excel_text": 'Licence Number,Address,Max Occupants\n="00124","=""1 A St PE13 1AB""",="5"\n'
                  '="L2 ",="",=" 6"\n="L3","=""3 """"A"""" St PE13 1AB""",5\n',
}


def _loaded(db):
    return (query(db, "SELECT licence_ref, address, postcode, max_occupants, row_number FROM hmo_licence_history ORDER BY ALL"),
            query(db, "SELECT row_number, reason, CAST(raw AS VARCHAR) FROM rejects ORDER BY ALL"),
            query(db, "SELECT rows_read, rows_loaded, rows_rejected FROM loads"))


@pytest.mark.parametrize("name", FILES)
def test_fast_and_careful_paths_agree(tmp_path, monkeypatch, name):
    f = write_text(tmp_path / f"{name}.csv", FILES[name])
    load_file("hmo", f, db=tmp_path / "fast.duckdb")
    monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    load_file("hmo", f, db=tmp_path / "careful.duckdb")
    assert _loaded(tmp_path / "fast.duckdb") == _loaded(tmp_path / "careful.duckdb")


@pytest.mark.parametrize("careful", [False, True])
def test_a_footer_may_give_its_counts_in_cells_of_their_own(tmp_path, monkeypatch, careful):
    """"Total,2 licences,11" and "Printed on …,,Page 1 of 3" are footers, not licences, and the summary counts
    them; a row whose first cell starts "Total" but which has an address is data. A second export's header, byte-order mark and all, is a repeated header."""
    if careful:
        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    s = load_file("hmo", write_text(tmp_path / "f.csv", FILES["footer_with_counts"]), db=tmp_path / "w.duckdb")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (3, 3, 0)
    assert [r for (r,) in query(tmp_path / "w.duckdb", "SELECT licence_ref FROM hmo_licences ORDER BY 1")] == \
        ["L1", "Total Lets", "Total-02"]
    assert any(w.startswith("4 row(s) read as a footer or a note") for w in s.warnings)   # never silently
    s = load_file("hmo", write_text(tmp_path / "g.csv", FILES["header_again_with_bom"]), db=tmp_path / "v.duckdb")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)


def test_clean_files_take_the_fast_path(tmp_path):
    assert fast_csv.is_clean(write_text(tmp_path / "a.csv", FILES["plain"]))
    assert not fast_csv.is_clean(write_text(tmp_path / "b.csv", FILES["blank_line"]))
    assert not fast_csv.is_clean(write_text(tmp_path / "c.csv", "a,b\n1,caf\u00e9\n", "cp1252"))
    assert not fast_csv.is_clean(write_text(tmp_path / "d.csv", "a,b\n1,\x002\n"))


@pytest.mark.parametrize("chunk", [3, 4, 5, 7, 8, 13, 64])
def test_chunk_boundaries_neither_hide_nor_invent_a_blank_line(tmp_path, monkeypatch, chunk):
    """A chunk ending in a newline and one more character is not a blank line; a blank line cut in two is."""
    monkeypatch.setattr(fast_csv, "CHUNK", chunk)
    clean = "Ref,Address\nA,1 B St\nC,2 D St\nE,3 F St\n"
    assert fast_csv.is_clean(write_text(tmp_path / "clean.csv", clean))
    for blank in ("Ref,Address\nA,1 B St\n\nC,2 D St\n", "Ref,Address\nA,1 B St\n  \t \r\nC,2 D St\n",
                  "\nRef,Address\nA,1 B St\n", "Ref,Address\nA,1 B St\r\n\r\nC,2 D St\r\n"):
        assert not fast_csv.is_clean(write_text(tmp_path / "blank.csv", blank)), (chunk, blank)


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 7, 64])
def test_chunk_boundaries_neither_hide_nor_invent_bad_utf8(tmp_path, monkeypatch, chunk):
    """A character of several bytes cut by a chunk's end is valid when the next chunk completes it, even
    a chunk of plain ASCII after it; one left open, or broken by ASCII, is not UTF-8."""
    monkeypatch.setattr(fast_csv, "CHUNK", chunk)
    good = "Ref,Address\nA,1 Caf\u00e9 St\nB,\u0160iauliai \u20ac\U0001f600\nC,2 D St\n".encode()
    assert fast_csv.is_clean(_written(tmp_path / "good.csv", good)), chunk
    for bad in (b"Ref,Address\nA,1 Caf\xc3 St\nC,2 D St\n", b"Ref,Address\nA,\xe2\x82 St\n",
                b"Ref,Address\nA,1 B St\nC,\xc3", b"Ref,Address\nA,\xff St\n",
                b"Ref,Address\nA,1 Caf\xc3 St\nB,\xa9\n"):   # the two halves of an \u00e9 apart
        assert not fast_csv.is_clean(_written(tmp_path / "bad.csv", bad)), (chunk, bad)


@pytest.mark.parametrize("careful", [False, True])
@pytest.mark.parametrize("name, notes", [("ctrl_z_at_the_end", 0), ("notes_under_the_table", 3)])
def test_what_is_left_under_the_table_is_no_row(tmp_path, monkeypatch, careful, name, notes):
    """Old DOS tools end a file with Ctrl-Z (0x1A), and councils put notes under a register ("* Licence holder
    names redacted …"): each was read as a row, and rejected (a licence with no address)."""
    if careful:
        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    s = load_file("hmo", write_text(tmp_path / "f.csv", FILES[name]), db=tmp_path / "w.duckdb")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (1, 1, 0)
    assert not notes or any(w.startswith(f"{notes} row(s) read as a footer or a note") for w in s.warnings)


@pytest.mark.parametrize("careful", [False, True])
def test_excel_text_wrappers_are_read_as_the_value_a_spreadsheet_shows(tmp_path, monkeypatch, careful):
    """`="00124"` is how an export keeps a reference's leading zeros: a spreadsheet shows 00124."""
    if careful:
        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    s = load_file("hmo", write_text(tmp_path / "f.csv", FILES["excel_text"]), db=tmp_path / "w.duckdb")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)   # L2's address is ="": blank
    assert query(tmp_path / "w.duckdb", "SELECT licence_ref, address, postcode, max_occupants FROM hmo_licences "
                 "ORDER BY 1") == [("00124", "1 A St PE13 1AB", "PE13 1AB", 5), ("L3", '3 "A" St PE13 1AB', "PE13 1AB", 5)]
    assert "address is blank" in query(tmp_path / "w.duckdb", "SELECT reason FROM rejects")[0][0]


def _written(path, data: bytes):
    path.write_bytes(data)
    return path


SPACES = "".join(c for c in map(chr, range(0x110000)) if c.isspace())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(alphabet=SPACES + "ab é\u200b,\"\x1a=", max_size=6), min_size=3, max_size=3),
                     min_size=1, max_size=5))
def test_both_paths_strip_the_same_whitespace_from_every_cell(tmp_path_factory, rows):
    """Python's str.strip() (the careful reader) strips tabs, line breaks and Unicode spaces; DuckDB's trim()
    alone strips only the spaces. The staged cells must be the same whichever path read the file."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["Licence Number", "Address", "Max Occupants"], *rows])
    path = tmp_path_factory.mktemp("ws") / "f.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assume(fast_csv.is_clean(path))
    staged = []
    for fast in (True, False):
        con = duckdb.connect()
        with pytest.MonkeyPatch.context() as mp:
            if not fast:
                mp.setattr(fast_csv, "stage", lambda *a, **k: None)
            try:
                s = stage_file(con, path, "hmo")
            except FileProblem:
                staged.append("no data rows")
                continue
        assume(s.read_by_duckdb == fast)   # DuckDB may decline a file (a row it reads differently): then no test
        staged.append(con.execute(f"SELECT {', '.join(f'c{i}' for i in range(3))} FROM stage ORDER BY _row").fetchall())
    assert staged[0] == staged[1]
