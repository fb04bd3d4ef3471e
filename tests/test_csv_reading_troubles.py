"""A quote left open swallows the rows after it into one cell; Mac-style line ends and stray carriage
returns break Python's CSV reader; UTF-16 without a byte-order mark reads as garbage. None may lose a row
or a letter silently, nor fail a whole file."""
from __future__ import annotations

import duckdb
import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from etl.reading import fast_csv
from etl.reading.stage import stage_file
from tests.helpers import query, write_text

HEADER = "Report Ref,Date Received,Address,Postcode\n"
STRAY = (HEADER + 'R1,05/01/2024,"The Barn, Fen Road,PE13 2ZZ\nR2,05/01/2024,1 A Rd,PE13 2ZZ\n'
         'R3,05/01/2024,2 A Rd,PE13 2ZZ\nR4,05/01/2024,Flat 2",PE13 2ZZ\nR5,05/01/2024,3 A Rd,PE13 2ZZ\n')


def _rejects(db):
    return query(db, "SELECT row_number, reason FROM rejects ORDER BY row_number")


@pytest.mark.parametrize("fast", [True, False])
def test_a_quote_closed_rows_later_rejects_the_row_that_swallowed_them(tmp_path, monkeypatch, fast):
    """DuckDB's reader (a clean file) and the careful one read the same single cell over four lines: the row
    is rejected, saying how many lines it took and quoting the first, and the rows after it still load."""
    if not fast:
        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    f = write_text(tmp_path / "r.csv", STRAY)
    s = load_file("reports", f, db=tmp_path / "w.duckdb")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 1, 1)
    assert query(tmp_path / "w.duckdb", "SELECT report_ref FROM reports") == [("R5",)]
    assert _rejects(tmp_path / "w.duckdb") == [(2, (
        "the address runs over 3 more line(s), which look like rows of their own ('R2,05/01/2024,1 A Rd,PE13 2ZZ'): "
        "a quote (\") opened on this row is closed rows later, or never, so those rows were read into this cell; "
        "fix the quote and load the file again"))]
    con = duckdb.connect()
    assert stage_file(con, f, "reports").read_by_duckdb == fast


def test_a_quote_never_closed_rejects_its_row_instead_of_loading_the_rest_into_it(tmp_path):
    f = write_text(tmp_path / "r.csv", HEADER + 'R1,05/01/2024,"The Barn, Fen Road,PE13 2ZZ\nR2,05/01/2024,1 A Rd,PE13 2ZZ\n')
    with pytest.raises(FileProblem, match="its only row was rejected"):    # kept, under the failed load
        load_file("reports", f, db=tmp_path / "w.duckdb")
    assert "runs over 1 more line(s), which look like rows of their own ('R2,05/01/2024,1 A Rd,PE13 2ZZ')" \
        in _rejects(tmp_path / "w.duckdb")[0][1]


@pytest.mark.parametrize("fast", [True, False])
def test_an_address_typed_over_lines_in_a_quoted_cell_still_loads(tmp_path, monkeypatch, fast):
    """A legitimate line break holds fewer delimiters than a row: the address loads, as one line."""
    if not fast:
        monkeypatch.setattr(fast_csv, "stage", lambda *a, **k: None)
    f = write_text(tmp_path / "r.csv", HEADER + 'R1,05/01/2024,"Flat 2\n14 Mill Lane, Wisbech",PE13 2ZZ\n'
                                                'R2,05/01/2024,1 A Rd,PE13 2ZZ\n')
    s = load_file("reports", f, db=tmp_path / "w.duckdb")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert query(tmp_path / "w.duckdb", "SELECT address FROM reports ORDER BY 1") == \
        [("1 A Rd",), ("Flat 2, 14 Mill Lane, Wisbech",)]


def test_only_a_file_with_a_line_break_in_a_cell_is_searched_for_swallowed_rows(tmp_path):
    """The fast path knows from its line count, the careful one from the cells it reads."""
    for fast in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if not fast:
                mp.setattr(fast_csv, "stage", lambda *a, **k: None)
            plain = stage_file(duckdb.connect(), write_text(tmp_path / "p.csv", HEADER + "R1,05/01/2024,1 A Rd,PE1 1AA"),
                               "reports")
            broken = stage_file(duckdb.connect(), write_text(tmp_path / "b.csv", STRAY), "reports")
        assert (plain.read_by_duckdb, broken.read_by_duckdb) == (fast, fast)
        assert not plain.line_breaks_in_cells and broken.line_breaks_in_cells


def test_a_file_saved_with_mac_line_ends_loads_like_the_same_file_with_unix_ones(tmp_path):
    """"CSV (Macintosh)" ends lines in CR alone; Python's CSV reader failed the whole file on it."""
    rows = HEADER + 'R1,05/01/2024,"Flat 2\n1 A Rd",PE13 2ZZ\nR2,06/01/2024,2 A Rd,PE13 2ZZ\nR3,someday,3 A Rd,PE13 2ZZ\n'
    unix = write_text(tmp_path / "unix.csv", rows)
    mac = tmp_path / "mac.csv"
    mac.write_bytes(rows.replace("\n", "\r").encode())
    got = []
    for f in (unix, mac):
        db = tmp_path / f"{f.stem}.duckdb"
        s = load_file("reports", f, db=db)
        got.append((s.rows_read, s.rows_loaded, s.rows_rejected,
                    query(db, "SELECT report_ref, received_on, address FROM reports ORDER BY 1"),
                    query(db, "SELECT row_number, reason FROM rejects")))
        mac_note = any("carriage return alone" in w for w in s.warnings)
        assert mac_note == (f is mac)
    assert got[0] == got[1] and got[0][:3] == (3, 2, 1)


def test_a_stray_carriage_return_inside_a_row_is_read_as_a_space(tmp_path):
    f = tmp_path / "r.csv"
    f.write_bytes((HEADER + "R1,05/01/2024,1 A\rRd,PE13 2ZZ\nR2,05/01/2024,2 A Rd,PE13 2ZZ\n").replace("\n", "\r\n").encode())
    s = load_file("reports", f, db=tmp_path / "w.duckdb")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert "1 carriage return(s) (CR) alone inside rows read as spaces" in s.warnings
    assert query(tmp_path / "w.duckdb", "SELECT address FROM reports ORDER BY 1") == [("1 A Rd",), ("2 A Rd",)]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read_as_utf16(tmp_path, codec):
    text = HEADER + "R1,05/01/2024,14 Orchard Close,PE13 2ZZ\nR2,05/01/2024,Šarūnas and Ștefan's flat,PE13 2ZZ\n"
    f = tmp_path / "r.csv"
    f.write_bytes(text.replace("\n", "\r\n").encode(codec))
    s = load_file("reports", f, db=tmp_path / "w.duckdb")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert query(tmp_path / "w.duckdb", "SELECT address FROM reports ORDER BY 1") == \
        [("14 Orchard Close",), ("Šarūnas and Ștefan's flat",)]
    assert not any("NUL" in w for w in s.warnings)


def test_a_header_too_far_down_is_said_to_be_too_far_down_even_with_a_mapping(tmp_path):
    """--mapping was the advice the analyst had just taken: the next step is the rows above the header."""
    from etl.errors import FileProblem

    notes = "".join(f"Note line {i}\n" for i in range(35))
    f = write_text(tmp_path / "r.csv", notes + "Permit,Premises\nP1,1 A Rd\n")
    mapping = write_text(tmp_path / "m.toml", 'licence_ref = "Permit"\naddress = "Premises"\n')
    with pytest.raises(FileProblem) as got:
        load_file("hmo", f, db=tmp_path / "w.duckdb", mapping=mapping)
    assert "none of the first 30 rows holds a header --mapping names ('Permit', 'Premises'), nor one we know; the " \
           "first row is 'Note line 0'. If the header row is further down, delete the rows above it" in str(got.value)
    with pytest.raises(FileProblem, match="Add --mapping FILE to name them, or if the header row is further down, "
                                          "delete the rows above it"):
        load_file("hmo", f, db=tmp_path / "w.duckdb")
