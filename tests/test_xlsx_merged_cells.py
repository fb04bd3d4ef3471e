"""XLSX registers with merged cells: a building's address merged over the rows of its flats' licences is read
on each row, as Excel shows it, while merged titles and headers above the data are read as before."""
from __future__ import annotations

from pathlib import Path


from etl.loading import load_file
from tests.helpers import query, write_xlsx

HEADERS = ["Licence Number", "Address", "Postcode", "Maximum Occupants", "Households"]


def _licences(db: Path) -> list[tuple]:
    return query(db, "SELECT licence_ref, address, postcode, max_occupants, households FROM hmo_licences ORDER BY 1")


def test_an_address_merged_over_a_buildings_rows_is_each_licences_address(tmp_path, db):
    """One building, three flats licensed apart: the address and postcode cells merged over their three rows."""
    f = write_xlsx(tmp_path / "reg.xlsx", [HEADERS,
                                      ["T/1", "10 Test Street, Wisbech", "PE13 1AA", 4, 2],
                                      ["T/2", None, None, 5, 3],
                                      ["T/3", None, None, 6, 3],
                                      ["T/4", "11 Test Street, Wisbech", "PE13 1AB", 3, 1]],
              merges=("B2:B4", "C2:C4"))
    s = load_file("hmo", f, db=db, source="Fenland")
    assert (s.rows_loaded, s.rows_rejected) == (4, 0)
    assert _licences(db) == [("T/1", "10 Test Street, Wisbech", "PE13 1AA", 4, 2),
                             ("T/2", "10 Test Street, Wisbech", "PE13 1AA", 5, 3),
                             ("T/3", "10 Test Street, Wisbech", "PE13 1AA", 6, 3),
                             ("T/4", "11 Test Street, Wisbech", "PE13 1AB", 3, 1)]
    assert ("4 cell(s) in merged ranges of sheet 'Register' filled from the range's first cell (rows 3-4), "
            "as Excel shows them") in s.warnings


def test_a_range_merged_across_columns_in_body_rows_fills_each_cell(tmp_path, db):
    """Occupants and households merged into one cell on a row, and over two rows and two columns at once."""
    f = write_xlsx(tmp_path / "reg.xlsx", [HEADERS,
                                      ["T/1", "1 Test Street, March", "PE15 9AA", 5],
                                      ["T/2", "2 Test Street, March", "PE15 9AA", 6],
                                      ["T/3", "3 Test Street, March", "PE15 9AA"],
                                      ["T/4", "4 Test Street, March", "PE15 9AA", 4, 2]],
              merges=("D2:E2", "D3:E4"))
    s = load_file("hmo", f, db=db, source="Fenland")
    assert [(r[0], r[3], r[4]) for r in _licences(db)] == [("T/1", 5, 5), ("T/2", 6, 6), ("T/3", 6, 6),
                                                          ("T/4", 4, 2)]
    assert any(w.startswith("4 cell(s) in merged ranges of sheet 'Register' filled from the range's first cell "
                            "(rows 2-4)") for w in s.warnings)


def test_merged_titles_and_headers_are_read_as_before_while_the_body_is_filled(tmp_path, db):
    """A title merged over the sheet's width, a row of group headers merged in pairs, and a "Property Address"
    header merged over three columns (the flat and the town in the two without a header) stay as they were: no
    title becomes data, no header is repeated. A section label merged over a body row stays one value."""
    f = write_xlsx(tmp_path / "reg.xlsx", [
        ["Fenland District Council: register of licensed HMOs"],
        ["Licence", None, "Premises", None, None, None],
        ["Licence Number", "Property Address", None, None, "Postcode", "Maximum Occupants"],
        ["T/1", "1 Test Street", "Flat A", "Wisbech", "PE13 1AA", 4],
        ["T/2", None, "Flat B", None, None, 5],
        ["Chatteris"],
        ["T/3", "2 Test Street", None, "Chatteris", "PE16 6AA", 3],
    ], merges=("A1:F1", "A2:B2", "C2:F2", "B3:D3", "B4:B5", "D4:D5", "E4:E5", "A6:F6"))
    s = load_file("hmo", f, db=db, source="Fenland")
    assert [r[:3] for r in _licences(db)] == [("T/1", "1 Test Street, Flat A, Wisbech", "PE13 1AA"),
                                             ("T/2", "1 Test Street, Flat B, Wisbech", "PE13 1AA"),
                                             ("T/3", "2 Test Street, Chatteris", "PE16 6AA")]
    assert s.rows_rejected == 1     # "Chatteris" alone, as before: no licence number copied over its row
    rejected = query(db, "SELECT row_number, reason FROM rejects")
    assert [r[0] for r in rejected] == [6] and "address" in rejected[0][1]
    assert any("the address continues into 2 column(s) without a header after 'Property Address'" in w
               for w in s.warnings)
    assert ("3 cell(s) in merged ranges of sheet 'Register' filled from the range's first cell (row 5), "
            "as Excel shows them") in s.warnings
