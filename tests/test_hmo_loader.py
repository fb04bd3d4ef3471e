"""HMO registers: aliases, encodings, XLSX layouts, BNG, bad rows, repeat loads and supersession."""
from __future__ import annotations

import datetime as dt

import pytest

from etl.errors import FileProblem, LoadError
from etl.loading import load_file
from tests.helpers import query, scalar, write_text, write_xlsx

OXFORD_STYLE = (
    "Case Number,Location,Total Number Occupants,Total Number Units,Licence Commenced,Licence Expires\n"
    "16/01202/HMOADS,18 Abbey Road Wisbech Cambridgeshire pe131ab,4,,13/05/2016,24/01/2031\n"
    "16/01865/HMOADS,20 Abbey Road Wisbech Cambridgeshire PE13 1AB,6,2,29/05/2016,24/01/2031\n"
)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


def test_oxford_layout_takes_postcode_from_the_address_and_reads_dd_mm_dates(tmp_path, db):
    f = write_text(tmp_path / "oxford.csv", OXFORD_STYLE)
    s = load_file("hmo", f, db=db, source="Test council")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    rows = query(db, "SELECT licence_ref, postcode, max_occupants, households, licence_start, licence_expiry "
                     "FROM hmo_licences ORDER BY licence_ref")
    assert rows[0] == ("16/01202/HMOADS", "PE13 1AB", 4, None, dt.date(2016, 5, 13), dt.date(2031, 1, 24))
    assert rows[1][3] == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, db, encoding):
    text = "Licence No.,Property Address,Post Code,Max. Occupiers,Expiry Date\nL1,1 Caf\u00e9 Row \u2019Wisbech\u2019,PE13 1AB,5,1 Mar 2030\n"
    f = write_text(tmp_path / "reg.csv", text, encoding)
    load_file("hmo", f, db=db)
    assert scalar(db, "SELECT address FROM hmo_licences") == "1 Caf\u00e9 Row \u2019Wisbech\u2019"


def test_a_stray_windows_1252_line_in_a_utf8_file_is_recoded_and_reported(tmp_path, db):
    good = "Licence Number,Address,Postcode\nL1,1 Caf\u00e9 Row,PE13 1AB\n".encode("utf-8")
    bad = "L2,2 Caf\u00e9 Row,PE13 1AB\n".encode("cp1252")
    f = tmp_path / "mixed.csv"
    f.write_bytes(good + bad)
    s = load_file("hmo", f, db=db)
    assert scalar(db, "SELECT count(*) FROM hmo_licences WHERE address = '2 Caf\u00e9 Row'") == 1
    assert any("Windows-1252" in w for w in s.warnings)


def test_a_baltic_windows_1257_file_keeps_its_lithuanian_letters(tmp_path, db):
    """A Lithuanian or Latvian system's export: read as Windows-1252, "Šeštokų" was "Ðeðtokø"."""
    f = tmp_path / "baltic.csv"
    f.write_bytes("Licence Number,Address,Postcode,Licence Holder\nL1,1 Mill Lane,PE13 1AB,Šeštokų Žemaitė\n"
                  "L2,2 Mill Lane,PE13 1AB,Jonas Petraitis\n".encode("cp1257"))
    s = load_file("hmo", f, db=db)
    assert scalar(db, "SELECT licence_holder FROM hmo_licences WHERE licence_ref = 'L1'") == "Šeštokų Žemaitė"
    assert "1 line(s) were not UTF-8 and were read as Windows-1257 (Baltic)" in s.warnings


def test_semicolon_delimiter_and_header_aliases(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "LICENCE REF;Address;Postcode;Maximum Occupants;Licence Expiry Date\n"
                                         "A-1;3 Mill Lane;PE15 8AA;7;2030-01-31\n")
    load_file("hmo", f, db=db)
    assert query(db, "SELECT licence_ref, max_occupants, licence_expiry FROM hmo_licences") == \
        [("A-1", 7, dt.date(2030, 1, 31))]


def test_counts_with_a_decimal_comma_are_not_multiplied(tmp_path, db):
    """A continental Excel writes 5 occupants as '5,0': that is 5, not 50; '1,5' is no whole number."""
    f = write_text(tmp_path / "reg.csv", "Licence Number;Address;Postcode;Max Occupants;Households;Storeys\n"
                                         "L1;1 High St;PE13 1PS;5,0;3,0;2,0\nL2;2 High St;PE13 1PS;1,5;2;3\n"
                                         'L3;3 High St;PE13 1PS;"6,00";4;2\n')
    s = load_file("hmo", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert query(db, "SELECT licence_ref, max_occupants, households, storeys FROM hmo_licences ORDER BY 1") == \
        [("L1", 5, 3, 2), ("L3", 6, 4, 2)]


def test_xlsx_with_title_rows_excel_dates_and_a_footer(tmp_path, db):
    f = write_xlsx(tmp_path / "reg.xlsx", [
        ["Peterborough City Council - Register of Licensed HMOs"],
        [],
        ["Licence No.", "Property Address", "Post Code", "Max Occupants", "Licence Start", "Expiry Date"],
        ["P1", "1 Bridge St", "PE1 1AA", 6, dt.datetime(2024, 2, 1), dt.datetime(2029, 1, 31)],
        [None, None, None, None, None, None],
        ["P2", "2 Bridge St", "PE1 1AA", 5.0, 45000, "31/12/2029"],
        ["Total licences: 2"],
    ])
    s = load_file("hmo", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    assert query(db, "SELECT licence_ref, max_occupants, licence_start FROM hmo_licences ORDER BY 1") == \
        [("P1", 6, dt.date(2024, 2, 1)), ("P2", 5, dt.date(2023, 3, 15))]


def test_xlsx_sheet_choice(tmp_path, db):
    """A workbook that opens on a notes sheet is read from the sheet with the register's headers, and
    the summary says so; --sheet picks one by name; a workbook with no such sheet names every sheet."""
    import openpyxl

    f = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("Register")
    ws.append(["Licence Number", "Address"])
    ws.append(["X1", "1 Sheet Lane, March PE15 9AA"])
    wb.create_sheet("Empty")
    wb.save(f)
    s = load_file("hmo", f, db=db)
    assert scalar(db, "SELECT postcode FROM hmo_licences") == "PE15 9AA"
    assert "read sheet 'Register', the one with hmo headers (the first sheet, 'Notes', has none)" in s.warnings
    again = load_file("hmo", f, db=db, sheet="Register")
    assert again.status == "already_loaded" or again.rows_unchanged == 1
    with pytest.raises(FileProblem, match="no sheet named 'Nope'; sheets are 'Notes', 'Register', 'Empty'"):
        load_file("hmo", f, db=db, sheet="Nope")
    del wb["Register"]
    wb.save(f)
    with pytest.raises(FileProblem, match="no recognised hmo headers in the first 30 rows of any sheet "
                                          r"\('Notes', 'Empty'\)"):
        load_file("hmo", f, db=db)


def test_of_two_register_sheets_the_first_is_read(tmp_path, db):
    import openpyxl

    f = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    for i, title in enumerate(("2026", "2025")):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        ws.append(["Licence Number", "Address"])
        ws.append([f"X{i}", "1 Sheet Lane, March PE15 9AA"])
    wb.save(f)
    s = load_file("hmo", f, db=db)
    assert scalar(db, "SELECT licence_ref FROM hmo_licences") == "X0"
    assert not any("read sheet" in w for w in s.warnings)


def test_bng_coordinates_are_transformed_in_the_right_axis_order(tmp_path, db):
    f = write_text(tmp_path / "bng.csv", "Reference,Property Address,Easting,Northing\nH1,1 Cambridge Rd,546182,257043\n")
    load_file("hmo", f, db=db)
    lat, lon, status = query(db, "SELECT lat, lon, geocode_status FROM hmo_licences")[0]
    assert status == "coordinates"
    assert lat == pytest.approx(52.192254, abs=1e-4) and lon == pytest.approx(0.137179, abs=1e-4)


def test_bad_rows_are_rejected_with_row_numbers_and_reasons(tmp_path, db):
    f = write_text(tmp_path / "bad.csv",
                   "Licence Number,Address,Postcode,Max Occupants,Licence Expiry Date\n"
                   "G1,1 Good St,PE1 1AA,5,2030-01-01\n"
                   ",2 No Ref St,PE1 1AA,5,2030-01-01\n"
                   "B2,3 Bad St,PE1 1AA,six or seven,2030-01-01\n"
                   "B3,4 Bad St,PE1 1AA,5,12/31/2030\n"
                   "B4,5 Bad St,PE1 1AA,5,31/02/2030\n"
                   "B5,6 Bad St,PE1 1AA,5,01/01/2100\n"
                   "B6,7 Shifted St, March,PE1 1AA,5,2030-01-01\n")
    s = load_file("hmo", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (7, 1, 6)
    reasons = dict(query(db, "SELECT row_number, reason FROM rejects ORDER BY 1"))
    assert reasons[3] == "licence number is blank"
    assert reasons[4] == "maximum occupants 'six or seven' is not a whole number"
    assert "'12/31/2030' is not a date" in reasons[5]
    assert "'31/02/2030' is not a date" in reasons[6]
    assert "not plausible" in reasons[7]
    assert "6 values but the header has 5" in reasons[8]
    raw = scalar(db, "SELECT raw->>'Max Occupants' FROM rejects WHERE row_number = 4")
    assert raw == "six or seven"


def test_points_outside_the_area_or_swapped_are_flagged_not_moved(tmp_path, db):
    f = write_text(tmp_path / "pts.csv", "Licence Number,Address,Latitude,Longitude\n"
                                         "IN,1 Wisbech Rd,52.66,0.16\nSWAP,2 Wisbech Rd,0.16,52.66\nLDN,3 London Rd,51.5,-0.12\n")
    load_file("hmo", f, db=db)
    rows = dict((r[0], r[1:]) for r in query(db, "SELECT licence_ref, lat, lon, location_flag, district_code FROM hmo_licences"))
    assert rows["IN"][2] is None
    assert rows["SWAP"] == (0.16, 52.66, "swapped_lat_lon", None)
    assert rows["LDN"] == (51.5, -0.12, "outside_area", None)


def test_missing_required_columns_name_what_is_missing_and_what_was_found(tmp_path, db):
    f = write_text(tmp_path / "nope.csv", "Licence Number,Town\nL1,March\n")
    with pytest.raises(FileProblem) as err:
        load_file("hmo", f, db=db)
    assert "required column(s) missing: property address (address)" in str(err.value)
    assert "'Licence Number', 'Town'" in str(err.value)
    assert not db.exists() or scalar(db, "SELECT count(*) FROM hmo_licence_history") == 0


def test_mapping_file_names_unknown_headers(tmp_path, db):
    f = write_text(tmp_path / "odd.csv", "Permit,Where,Occ\nZ1,9 Odd Lane PE13 1AB,5\n")
    m = write_text(tmp_path / "map.toml", 'licence_ref = "Permit"\naddress = "Where"\nmax_occupants = "Occ"\n')
    load_file("hmo", f, db=db, mapping=m)
    assert query(db, "SELECT licence_ref, postcode, max_occupants FROM hmo_licences") == [("Z1", "PE13 1AB", 5)]
    bad = write_text(tmp_path / "bad.toml", 'licence_nr = "Permit"\n')
    with pytest.raises(FileProblem, match="unknown field 'licence_nr'"):
        load_file("hmo", f, db=db, mapping=bad)


def test_same_file_twice_changes_nothing(tmp_path, db):
    f = write_text(tmp_path / "oxford.csv", OXFORD_STYLE)
    load_file("hmo", f, db=db)
    again = load_file("hmo", f, db=db)
    assert again.status == "already_loaded"
    assert scalar(db, "SELECT count(*) FROM hmo_licence_history") == 2
    assert query(db, "SELECT status FROM loads ORDER BY load_id") == [("loaded",), ("already_loaded",)]


def test_a_register_replaced_by_a_wrong_file_comes_back_by_loading_the_right_one_again(tmp_path, db):
    """A register is replaced by each load of its source: after a wrong file, or under another --source, the
    right file is the way back, not "already loaded"."""
    right = write_text(tmp_path / "fenland.csv", "Licence No,Address,Postcode\nF1,1 Mill Lane,PE13 1AB\n")
    wrong = write_text(tmp_path / "oxford.csv", "Licence No,Address,Postcode\nX1,1 High St,OX1 1AA\n")
    load_file("hmo", right, db=db, source="Fenland")
    load_file("hmo", wrong, db=db, source="Fenland")
    again = load_file("hmo", right, db=db, source="Fenland")
    assert again.status == "loaded"
    assert query(db, "SELECT licence_ref FROM hmo_licences WHERE source = 'Fenland'") == [("F1",)]
    assert load_file("hmo", right, db=db, source="Fenland").status == "already_loaded"
    other = load_file("hmo", right, db=db, source="Fenland District Council")
    assert other.status == "loaded"
    assert scalar(db, "SELECT count(*) FROM hmo_licences WHERE source = 'Fenland District Council'") == 1


def _older_then_newer(tmp_path, db, header: str, older: str, newer: str):
    """Fenland's register loaded twice, older then newer; the newer load's summary."""
    load_file("hmo", write_text(tmp_path / "older.csv", header + older), db=db, source="Fenland")
    return load_file("hmo", write_text(tmp_path / "newer.csv", header + newer), db=db, source="Fenland")


def test_a_newer_register_supersedes_the_older_and_keeps_history(tmp_path, db):
    s = _older_then_newer(tmp_path, db, "Licence Number,Address,Max Occupants\n",
                          "L1,1 A St PE13 1AB,5\nL2,2 A St PE13 1AB,6\nL3,3 A St PE13 1AB,7\n",
                          "L1,1 A St PE13 1AB,5\nL2,2 A St PE13 1AB,8\nL4,4 A St PE13 1AB,9\n")
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged, s.rows_ended) == (1, 1, 1, 1)
    assert query(db, "SELECT licence_ref, max_occupants FROM hmo_licences ORDER BY 1") == [("L1", 5), ("L2", 8), ("L4", 9)]
    history = query(db, "SELECT licence_ref, max_occupants, ended_on IS NOT NULL FROM hmo_licence_history ORDER BY 1, 2")
    assert history == [("L1", 5, False), ("L2", 6, True), ("L2", 8, False), ("L3", 7, True), ("L4", 9, False)]


def test_a_licence_whose_row_a_newer_register_rejects_is_kept_not_ended(tmp_path, db):
    """A typo in the newer register's row for L1 (expiry 31/13/2029) rejects that row, but L1 is still on the
    register: it keeps its current version and is never taken for a licence that has gone."""
    s = _older_then_newer(tmp_path, db, "Licence Number,Address,Licence Expiry Date\n",
                          "L1,1 A St PE13 1AB,31/03/2029\nL2,2 A St PE13 1AB,31/03/2029\n",
                          "L1,1 A St PE13 1AB,31/13/2029\nL3,3 A St PE13 1AB,31/03/2030\n")
    assert (s.rows_rejected, s.rows_ended) == (1, 1)
    assert "1 licence(s) kept as they were: their rows in this register were rejected" in " ".join(s.warnings)
    assert query(db, "SELECT licence_ref, licence_expiry FROM hmo_licences ORDER BY 1") == [
        ("L1", dt.date(2029, 3, 31)), ("L3", dt.date(2030, 3, 31))]


def test_the_same_register_as_xlsx_after_csv_is_unchanged(tmp_path, db):
    csv_file = write_text(tmp_path / "register.csv", "Licence Number,Address,Max Occupants,Licence Expiry Date\n"
                                                     "L1,1 A St PE13 1AB,5,01/03/2030\n")
    xlsx_file = write_xlsx(tmp_path / "register.xlsx", [["Licence Number", "Address", "Max Occupants", "Licence Expiry Date"],
                                                        ["L1", "1 A St PE13 1AB", 5, dt.datetime(2030, 3, 1)]])
    load_file("hmo", csv_file, db=db)
    s = load_file("hmo", xlsx_file, db=db)
    assert (s.source, s.rows_unchanged, s.rows_loaded, s.rows_ended) == ("register", 1, 0, 0)


def test_duplicate_rows_collapse(tmp_path, db):
    f = write_text(tmp_path / "dup.csv", "Licence Number,Address\nL1,1 A St PE13 1AB\nL1,1 A St PE13 1AB\n")
    s = load_file("hmo", f, db=db)
    assert (s.rows_loaded, s.rows_collapsed) == (1, 1)


def test_an_address_in_parts_is_joined_into_one(tmp_path, db):
    """Registers often split the address (house number, street, lines, town): without a whole-address
    column the parts are joined, house number and street with a space, the rest with commas, and the
    summary names the columns. A row with no part at all has a blank address."""
    f = write_text(tmp_path / "parts.csv", "Licence No,House No,Street,Address Line 2,Town,Postcode\n"
                                           "L1,12,High Street,,Wisbech,PE13 1AB\nL2,,Rose Cottage,Mill Lane,March,\n"
                                           "L3,,,,,\n")
    s = load_file("hmo", f, db=db, source="Fenland")
    assert query(db, "SELECT licence_ref, address, addr_key FROM hmo_licences ORDER BY 1") == [
        ("L1", "12 High Street, Wisbech", "12 HIGH STREET WISBECH"),
        ("L2", "Rose Cottage, Mill Lane, March", "ROSE COTTAGE MILL LANE MARCH")]
    assert scalar(db, "SELECT reason FROM rejects") == "address is blank"
    assert "the address is read from its parts, joined: 'House No', 'Street', 'Address Line 2', 'Town'" in s.warnings


def test_a_whole_address_column_wins_over_parts(tmp_path, db):
    f = write_text(tmp_path / "both.csv", "Licence No,Address,Town\nL1,\"12 High Street, Wisbech\",March\n")
    s = load_file("hmo", f, db=db, source="Fenland")
    assert scalar(db, "SELECT address FROM hmo_licences") == "12 High Street, Wisbech"
    assert not any("parts" in w for w in s.warnings)


def test_the_summary_says_why_rows_were_not_geocoded_and_what_would_place_them(tmp_path, db):
    register = ("Licence Number,Address,Postcode\n"
                "L1,1 High Street Oxford,OX4 1AX\nL2,2 High Street Oxford,OX4 1AX\n"
                "L3,3 Mill Lane,N/A\nL4,4 Mill Lane,\n")
    first = load_file("hmo", write_text(tmp_path / "reg.csv", register), db=db, source="Council")
    assert first.rows_ungeocoded == 4
    assert "2 row(s) have no location because no postcodes are loaded" in " ".join(first.warnings)
    assert "1 row(s) have a postcode that is not a UK postcode ('N/A')" in " ".join(first.warnings)
    assert "1 row(s) have neither a postcode nor coordinates (0, 0 counts as none)" in \
        " ".join(first.warnings)

    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n"), db=db)
    # One licence the lookup places: a register none of whose licences is here is refused as another council's.
    again = load_file("hmo", write_text(tmp_path / "reg2.csv", register.replace("L4", "L5") + "L6,6 Mill Lane,PE13 1AB\n"),
                      db=db, source="Council")
    said = " ".join(again.warnings)
    assert "2 row(s) have postcodes in areas the loaded postcode lookup does not cover at all ('OX4 1AX'; postcode areas OX)" in said
    assert "no postcodes are loaded" not in said


def test_a_fully_geocoded_load_says_nothing_about_geocoding(tmp_path, db):
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n"), db=db)
    s = load_file("hmo", write_text(tmp_path / "reg.csv", "Licence Number,Address,Postcode\nL1,1 Mill Lane,PE13 1AB\n"), db=db)
    assert s.rows_ungeocoded == 0 and not any("location" in w for w in s.warnings)


def test_an_address_typed_over_several_lines_of_a_cell_is_one_line(tmp_path, db):
    f = write_xlsx(tmp_path / "reg.xlsx", [["Licence Number", "Property Address"],
                                          ["L1", "45 Histon Road\nCambridge\nCB4 3JD"],
                                          ["L2", "Flat 1,\r\n3 Hills Road,\nCambridge"]])
    load_file("hmo", f, db=db)
    assert query(db, "SELECT address, postcode FROM hmo_licences ORDER BY licence_ref") == [
        ("45 Histon Road, Cambridge, CB4 3JD", "CB4 3JD"), ("Flat 1, 3 Hills Road, Cambridge", None)]


def test_a_count_that_is_a_whole_number_but_implausible_says_so(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Max Occupants,Households\n"
                                         "L1,1 A St,-4,2\nL2,2 A St,6,45292\nL3,3 A St,6,2\n")
    load_file("hmo", f, db=db)     # with one row that loads: a register of rejects alone fails whole
    assert [r[0] for r in query(db, "SELECT reason FROM rejects ORDER BY row_number")] == [
        "maximum occupants '-4' is negative", "households '45292' is more than 10,000: not plausible"]


def test_rows_placed_at_an_outward_codes_centre_are_said_to_be_approximate(tmp_path, db):
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n"
                                                           "PE13 2CD,52.67,0.17\n"), db=db)
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Postcode\nL1,1 A St,PE13 9ZZ\nL2,2 A St,PE13\n"
                                         "L3,3 A St,PE13 1AB\n")
    s = load_file("hmo", f, db=db)
    assert ("2 row(s) placed approximately, at the centre of their postcode's outward code ('PE13', 'PE13 9ZZ')"
            in " ".join(s.warnings))


def test_duplicate_references_name_their_rows_and_the_one_kept(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Max Occupants\nL1,1 A St,5\nL2,2 A St,5\nL1,1 A St,6\n")
    s = load_file("hmo", f, db=db)
    assert s.rows_collapsed == 1
    assert "rows with the same reference, the last one kept: 'L1' rows 2, 4 (row 4 kept)" in s.warnings
    assert scalar(db, "SELECT max_occupants FROM hmo_licences WHERE licence_ref = 'L1'") == 6


def test_zero_occupants_households_or_storeys_are_not_recorded(tmp_path, db):
    """A register's 0 is "not recorded": a licence of no one would show "maximum occupants 0" in the map's popup."""
    f = write_text(tmp_path / "z.csv", "Licence Number,Address,Postcode,Max Occupants,Households,Storeys\n"
                                       "Z1,1 Mill Lane,PE13 1AB,0,0,2\nZ2,2 Mill Lane,PE13 1AB,6,3,0\nOK,3 Mill Lane,PE13 1AB,5,2,2\n")
    s = load_file("hmo", f, db=db)
    assert s.rows_loaded == 3 and s.rows_rejected == 0
    rows = {r[0]: r[1:] for r in query(db, "SELECT licence_ref, max_occupants, households, storeys FROM hmo_licences")}
    assert rows == {"Z1": (None, None, 2), "Z2": (6, 3, None), "OK": (5, 2, 2)}
    assert ("2 licence(s) give 0 for maximum occupants, households or storeys: an HMO has people, households and "
            "floors, so 0 is stored as not recorded") in s.warnings


def test_an_address_header_over_several_columns_reads_them_all(tmp_path, db):
    """A register whose "Property Address" header was merged over four cells: the flat and the town are in
    the columns without a header after it, and two flats of one building are two doors."""
    f = write_text(tmp_path / "reg.csv", "Licence No,Property Address,,,,Postcode,Max Occupants\n"
                                         "L1,1 Test Street,Flat A,,Wisbech,PE15 0WA,5\n"
                                         "L2,1 Test Street,Flat B,,Wisbech,PE15 0WA,4\n"
                                         "L3,2 Test Street,5,Y,01/02/2024,PE15 0WA,4\n")   # no words: not an address
    s = load_file("hmo", f, db=db)
    assert query(db, "SELECT licence_ref, address FROM hmo_licences ORDER BY 1") == [
        ("L1", "1 Test Street, Flat A, Wisbech"), ("L2", "1 Test Street, Flat B, Wisbech"), ("L3", "2 Test Street")]
    assert any("the address continues into 3 column(s) without a header after 'Property Address'" in w
               for w in s.warnings)


def test_empty_columns_without_a_header_after_the_address_say_nothing(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence No,Postcode,Property Address,,\nL1,PE15 0WA,1 Test Street,,\n")
    s = load_file("hmo", f, db=db)
    assert query(db, "SELECT address FROM hmo_licences") == [("1 Test Street",)]
    assert not any("continues" in w for w in s.warnings)


def test_uprns_excel_wrote_in_scientific_notation_are_warned_about(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Postcode,UPRN\nL1,1 A St,PE13 1PS,1.00090E+11\n"
                                         "L2,2 A St,PE13 1PS,100090123456\n")
    s = load_file("hmo", f, db=db)
    assert s.rows_loaded == 2
    assert any(w.startswith("1 UPRN(s) in scientific notation (e.g. '1.00090E+11')") for w in s.warnings)


def test_x_and_y_columns_holding_flags_are_not_read_as_coordinates(tmp_path, db):
    """A register's X and Y columns of ticks and flags are no point: the rows are placed by their postcodes,
    not rejected or put in the sea, and the summary says the columns were not read."""
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Postcode,X,Y\nL1,1 A St,PE13 1AA,Y,N\n"
                                         "L2,2 A St,PE13 1AA,1,0\nL3,3 A St,PE13 1AA,,Y\n")
    postcodes = write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AA,52.665,0.160\n")
    load_file("postcodes", postcodes, db=db)
    s = load_file("hmo", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)
    assert set(query(db, "SELECT geocode_status, lat FROM hmo_licences")) == {("postcode", 52.665)}
    assert any(w.startswith("columns 'X' and 'Y' not read as coordinates: 3 of their 3 values") for w in s.warnings)


def test_a_postcode_written_with_a_note_or_inside_the_address_is_found(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence No,Address,Postcode\n"
                                         "L1,1 Mill Lane Wisbech,PE13 1AB (rear)\n"
                                         "L2,\"12 Mill Road, PE13 1AB, Wisbech\",\n"
                                         "L3,Unit AB12CD Mill Road,\n"           # no space: not taken as one
                                         "L4,4 Mill Lane Wisbech,PE131AB (approx)\n")   # in its column, it is
    load_file("hmo", f, db=db)
    assert query(db, "SELECT licence_ref, postcode FROM hmo_licences ORDER BY 1") == [
        ("L1", "PE13 1AB"), ("L2", "PE13 1AB"), ("L3", None), ("L4", "PE13 1AB")]


def test_a_newer_export_under_its_own_file_name_is_refused_as_another_copy_of_a_register(tmp_path, db):
    """Monthly files loaded without --source would each be a register of their own: every licence twice."""
    header = "Licence No,Address,Postcode,Max Occupants\n"
    october = write_text(tmp_path / "fenland_hmo_2026-10.csv", header + "F1,1 Mill Lane,PE13 1AB,6\nF2,2 Mill Lane,PE13 1AB,5\n")
    november = write_text(tmp_path / "fenland_hmo_2026-11.csv", header + "F1,1 Mill Lane,PE13 1AB,7\nF2,2 Mill Lane,PE13 1AB,5\n")
    load_file("hmo", october, db=db)
    with pytest.raises(FileProblem, match="2 of the 2 licence numbers in this file are on the register loaded as "
                                          "'fenland_hmo_2026-10': a newer export of that register\\? Load it with "
                                          "--source 'fenland_hmo_2026-10'"):
        load_file("hmo", november, db=db)
    assert load_file("hmo", november, db=db, source="fenland_hmo_2026-10").rows_updated == 1
    named = load_file("hmo", november, db=db, source="Fenland District Council")   # named: both kept, and said
    assert any("on the register loaded as 'fenland_hmo_2026-10' too" in w for w in named.warnings)
    assert scalar(db, "SELECT count(*) FROM hmo_licences") == 4


def test_another_councils_register_loaded_as_this_ones_is_refused(tmp_path, db):
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n"), db=db)
    fenland = write_text(tmp_path / "fenland.csv", "Licence No,Address,Postcode\nF1,1 Mill Lane,PE13 1AB\n")
    oxford = write_text(tmp_path / "oxford.csv", "Licence No,Address,Postcode,Latitude,Longitude\n"
                                                 "X1,1 High St,OX1 1AA,51.75,-1.26\nX2,2 High St,OX1 1AB,,\n")
    load_file("hmo", fenland, db=db, source="Fenland")
    with pytest.raises(FileProblem, match="none of its 2 licences is in the six districts .* would end the 1 "
                                          "licence\\(s\\) of that source on the map now: another council's register"):
        load_file("hmo", oxford, db=db, source="Fenland")
    assert query(db, "SELECT licence_ref FROM hmo_licences") == [("F1",)]


def test_a_sheet_of_expired_licences_loaded_over_the_register_is_refused(tmp_path, db):
    """The "Expired" sheet of a council's workbook, loaded without --sheet: its licences are not the current ones,
    and loading it would end most of the register. A register ending most of its licences for other reasons
    (a renumbering, licences that are all still live) loads, and so does the expired sheet under its own name."""
    header = "Licence No,Address,Postcode,Licence Expiry\n"
    live = "".join(f"F{i},{i} Mill Lane,PE13 1AB,31/03/2030\n" for i in range(12))
    load_file("hmo", write_text(tmp_path / "register.csv", header + live), db=db, source="Fenland")
    expired = write_text(tmp_path / "expired.csv", header + "".join(
        f"E{i},{i} Quay Way,PE13 1AB,31/03/2022\n" for i in range(9)) + "F1,1 Mill Lane,PE13 1AB,31/03/2030\n")
    with pytest.raises(FileProblem, match="9 of its 10 licences expired before today, and loading it as 'Fenland' "
                                          "would end 11 of the 12 current licences of that source: an expired-"
                                          r"licences sheet, or an old export\? Nothing was changed"):
        load_file("hmo", expired, db=db, source="Fenland")
    assert scalar(db, "SELECT count(*) FROM hmo_licences") == 12
    assert load_file("hmo", expired, db=db, source="Fenland expired").rows_loaded == 10
    renumbered = write_text(tmp_path / "renumbered.csv", header + live.replace("F", "FDC-"))
    assert load_file("hmo", renumbered, db=db, source="Fenland").rows_ended == 12   # live licences: loaded


def test_part_of_a_register_loaded_over_the_whole_is_refused_unless_it_is_the_whole_register(tmp_path, db):
    """A file of the month's two new licences, loaded under the council's --source, ended the other 177: a source's
    load replaces its whole register. Refused; --whole-register (a licensing scheme ended) loads it, and so does a
    --source of its own. The expired-licences guard stands aside for --whole-register too."""
    header = "Licence No,Address,Postcode,Licence Expiry\n"
    live = "".join(f"F{i},{i} Mill Lane,PE13 1AB,31/03/2030\n" for i in range(12))
    load_file("hmo", write_text(tmp_path / "register.csv", header + live), db=db, source="Fenland")
    new = write_text(tmp_path / "new.csv", header + "F20,20 Mill Lane,PE13 1AB,31/03/2031\n"
                                                    "F21,21 Mill Lane,PE13 1AB,31/03/2031\n")
    with pytest.raises(FileProblem, match="it holds 2 licence\\(s\\), and loading it as 'Fenland' would end 12 of the 12 "
                                          "current licences of that source: each load of a source replaces its whole "
                                          "register.*--whole-register"):
        load_file("hmo", new, db=db, source="Fenland")
    assert scalar(db, "SELECT count(*) FROM hmo_licences") == 12
    assert load_file("hmo", new, db=db, source="Fenland new this month").rows_loaded == 2
    shrunk = load_file("hmo", new, db=db, source="Fenland", whole_register=True)
    assert (shrunk.rows_loaded, shrunk.rows_ended) == (2, 12)
    expired = write_text(tmp_path / "expired.csv", header + "".join(f"E{i},{i} Quay Way,PE13 1AB,31/03/2022\n"
                                                                    for i in range(12)))
    load_file("hmo", write_text(tmp_path / "register2.csv", header + live), db=db, source="Fenland")
    assert load_file("hmo", expired, db=db, source="Fenland", whole_register=True).rows_ended == 12


def test_a_licence_for_hundreds_of_occupants_is_loaded_and_named(tmp_path, db):
    register = "Licence No,Address,Postcode,Max Occupants\nF1,1 Mill Lane,PE13 1AB,500\nF2,2 Mill Lane,PE13 1AB,6\n"
    s = load_file("hmo", write_text(tmp_path / "r.csv", register), db=db, source="Fenland")
    assert s.rows_loaded == 2
    assert "1 licence(s) allow more than 50 occupants (the most: 'F1', 500): loaded as given; check them for a " \
           "typo" in s.warnings


def test_whole_register_is_for_hmo_registers_only(tmp_path, db):
    with pytest.raises(LoadError, match="--whole-register is for HMO registers only"):
        load_file("reports", write_text(tmp_path / "r.csv", "Report Ref\nR1\n"), db=db, whole_register=True)


def test_one_licence_twice_in_a_file_in_other_case_or_spacing_is_one_licence(tmp_path, db):
    """'FDC/1' and 'fdc/1 ' in one register were stored as two current licences for one address."""
    header = "Licence No,Address,Postcode\n"
    s = load_file("hmo", write_text(tmp_path / "r.csv", header + "FDC/1,1 Mill Lane,PE13 1AB\n"
                                                                "fdc / 1 ,1 Mill Lane,PE13 1AB\n"
                                                                "FDC/2,2 Mill Lane,PE13 1AB\n"), db=db, source="F")
    assert (s.rows_loaded, s.rows_collapsed) == (2, 1)
    assert sorted(r[0] for r in query(db, "SELECT licence_ref FROM hmo_licences")) == ["FDC/2", "fdc / 1"]
    assert any("rows with the same reference, the last one kept: 'FDC/1' rows 2, 3 (row 3 kept)" in w
               for w in s.warnings)


def test_licence_numbers_retyped_or_through_excel_are_the_same_licences(tmp_path, db):
    header = "Licence No,Address,Postcode\n"
    load_file("hmo", write_text(tmp_path / "v1.csv", header + "FDC/HMO/0002,2 Mill Lane,PE13 1AB\n"
                                                   "000123,3 Mill Lane,PE13 1AB\n"), db=db, source="Fenland")
    again = load_file("hmo", write_text(tmp_path / "v2.csv", header + "fdc / hmo / 0002,2 Mill Lane,PE13 1AB\n"
                                                          "123,3 Mill Lane,PE13 1AB\n"), db=db, source="Fenland")
    assert (again.rows_loaded, again.rows_updated, again.rows_ended) == (0, 2, 0)
    assert sorted(r[0] for r in query(db, "SELECT licence_ref FROM hmo_licences")) == ["123", "fdc / hmo / 0002"]


def test_a_status_saying_no_live_licence_rejects_the_row_and_ends_the_licence(tmp_path, db):
    """"Revoked" or "Application refused" in a status column is no licence: before, such rows were stored as live."""
    header = "Licence No,Address,Postcode,Licence Status\n"
    load_file("hmo", write_text(tmp_path / "v1.csv", header + "U1,1 Mill Lane,PE13 1AB,Granted\n"
                                                   "U3,3 Mill Lane,PE13 1AB,Licence Issued\n"), db=db, source="F")
    s = load_file("hmo", write_text(tmp_path / "v2.csv", header + "U1,1 Mill Lane,PE13 1AB,Granted\n"
                                                       "U3,3 Mill Lane,PE13 1AB,REVOKED 01/10/2026\n"
                                                       "U5,5 Mill Lane,PE13 1AB,Application refused\n"
                                                       "U6,6 Mill Lane,PE13 1AB,Pending\n"), db=db, source="F")
    assert (s.rows_loaded, s.rows_unchanged, s.rows_rejected, s.rows_ended) == (1, 1, 2, 1)
    assert sorted(r[0] for r in query(db, "SELECT licence_ref FROM hmo_licences")) == ["U1", "U6"]
    reasons = [r[0] for r in query(db, "SELECT reason FROM rejects ORDER BY row_number")]
    assert reasons == ["licence status 'REVOKED 01/10/2026': no live licence, so not loaded as one",
                       "licence status 'Application refused': no live licence, so not loaded as one"]


def test_a_second_column_under_a_fields_header_is_read(tmp_path, db):
    """"Address", "Address" (street, then town) are joined; "Postcode" twice fills a blank first one."""
    f = write_text(tmp_path / "reg.csv", "Licence No,Address,Address,Postcode,Postcode\n"
                                         "D1,1 Mill Lane,Wisbech,PE13 1AB,\n"
                                         "D2,2 Mill Lane,2 Mill Lane,,PE13 1AB\n")
    s = load_file("hmo", f, db=db)
    assert query(db, "SELECT licence_ref, address, postcode FROM hmo_licences ORDER BY 1") == [
        ("D1", "1 Mill Lane, Wisbech", "PE13 1AB"), ("D2", "2 Mill Lane", "PE13 1AB")]
    assert any(w.startswith("second column(s) with a field's header ('Address', 'Postcode')") for w in s.warnings)
