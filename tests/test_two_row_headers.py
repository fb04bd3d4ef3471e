"""A spreadsheet's header written over two rows: group names merged over their columns ("Location" over
"Address", "Town", "Postcode"; "Coordinates" over "Lat", "Long"), and a name with no group merged down over
both rows ("Ref"). Read as one row, the names row was rejected as data and "Lat" read as a whole pair."""
from __future__ import annotations

import pytest

from etl.errors import LoadError
from etl.loading import load_file
from tests.helpers import query, write_text, write_xlsx

POSTCODES = "postcode,latitude,longitude\nPE13 1AA,52.6651,0.1601\n"


def test_merged_group_names_over_the_names_row_read_as_one_header(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", POSTCODES), db=db)
    path = write_xlsx(tmp_path / "reports.xlsx", [
        ["Ref", "Date Received", "Location", None, None, "Coordinates", None, "Indicators"],
        [None, None, "Address", "Town", "Postcode", "Lat", "Long", None],
        ["R1", "03/11/2026", "14 Cromwell Road", "Wisbech", "PE13 1AA", 52.6651, 0.1601, "mattresses on floor"],
        ["R2", "04/11/2026", "2 High Street", "March", "PE15 8AA", 52.5512, 0.0893, "fear of authorities"],
    ], merges=("A1:A2", "B1:B2", "C1:E1", "F1:G1", "H1:H2"))
    s = load_file("reports", path, db=db, source="two rows")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0), s.lines()
    got = query(db, "SELECT report_ref, received_on::VARCHAR, address, postcode, lat, lon, indicators FROM reports "
                    "ORDER BY 1")
    assert got == [("R1", "2026-11-03", "14 Cromwell Road, Wisbech", "PE13 1AA", 52.6651, 0.1601, ["mattresses"]),
                   ("R2", "2026-11-04", "2 High Street, March", "PE15 8AA", 52.5512, 0.0893, ["fear_of_authorities"])]


def test_a_name_read_under_its_group_when_it_names_nothing_alone(tmp_path):
    """"Number" under "Licence" is the licence number; "Expiry" under it the licence's expiry."""
    db = tmp_path / "w.duckdb"
    path = write_xlsx(tmp_path / "hmo.xlsx", [
        ["Licence", None, None, "Property", None],
        ["Number", "Start", "Expiry", "Address", "Postcode"],
        ["L1", "01/01/2025", "01/01/2030", "3 Kappa Road", "PE13 1AA"],
    ], merges=("A1:C1", "D1:E1"))
    s = load_file("hmo", path, db=db, source="h")
    assert (s.rows_loaded, s.rows_rejected) == (1, 0), s.lines()
    assert query(db, "SELECT licence_ref, address, postcode, licence_expiry::VARCHAR FROM hmo_licences") == [
        ("L1", "3 Kappa Road", "PE13 1AA", "2030-01-01")]


def test_a_title_above_a_one_row_header_is_no_group_row(tmp_path):
    db = tmp_path / "w.duckdb"
    path = write_xlsx(tmp_path / "hmo.xlsx", [
        ["Fenland HMO register, November 2026"],
        ["Licence Number", "Address", "Postcode"],
        ["L1", "3 Kappa Road", "PE13 1AA"],
    ])
    s = load_file("hmo", path, db=db, source="h")
    assert (s.rows_loaded, s.rows_rejected) == (1, 0), s.lines()
    assert query(db, "SELECT licence_ref, address FROM hmo_licences") == [("L1", "3 Kappa Road")]


def test_two_header_rows_that_cannot_be_read_as_one_are_refused_not_rejected_as_data(tmp_path):
    """Names below blank cells of the header row, and a cell under a one-column name that names nothing: no
    reading of the two as one header holds, and loading the names row as a report would reject it with a
    misleading reason."""
    db = tmp_path / "w.duckdb"
    path = write_xlsx(tmp_path / "reports.xlsx", [
        ["Ref", "Date Received", "Address", "Postcode", None, None],
        ["Remarks", None, None, None, "Latitude", "Longitude"],
        ["R1", "03/11/2026", "14 Cromwell Road", "PE13 1AA", 52.6651, 0.1601],
    ])
    with pytest.raises(LoadError) as err:
        load_file("reports", path, db=db, source="r")
    said = str(err.value)
    assert "reports.xlsx" in said and "rows 1 and 2 look like one header written over two rows" in said, said
    assert query(db, "SELECT count(*) FROM reports") == [(0,)]
