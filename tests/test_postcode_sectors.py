"""A postcode sector ('PE15 8': a partner's half-remembered or redacted postcode) places a row at its outward
code's centre, approximate, as the outward code alone ('PE15') does; it was left with no location."""
from __future__ import annotations

from tests.helpers import load_text, query

POSTCODES = "postcode,latitude,longitude\nPE15 8AA,52.5500,0.0900\nPE15 8AB,52.5600,0.1000\n"


def test_a_postcode_sector_is_placed_at_its_outward_codes_centre(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "postcodes", POSTCODES, source="pc", name="pc.csv")
    s = load_text(db, "reports", "Ref,Date Received,Address,Postcode\n"
                                 "S1,03/11/2026,1 High Street,PE15 8\n"
                                 "S2,03/11/2026,2 High Street,pe15  8a\n"
                                 "S3,03/11/2026,3 High Street,PE15\n"
                                 "S4,03/11/2026,4 High Street,PE158\n"       # 'PE1 58' or 'PE15 8': not read
                                 "S5,03/11/2026,5 High Street,PE15 8AB\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (5, 0)
    got = {r[0]: r[1:] for r in query(db, "SELECT report_ref, geocode_status, round(lat, 3), round(lon, 3) "
                                          "FROM reports")}
    centre = ("postcode_district", 52.555, 0.095)
    assert got == {"S1": centre, "S2": centre, "S3": centre, "S4": ("not_geocoded", None, None),
                   "S5": ("postcode", 52.56, 0.1)}
    assert any(w.startswith("3 row(s) placed approximately, at the centre of their postcode's outward code")
               for w in s.warnings), s.warnings


def test_a_sector_keeps_its_space_and_cyrillic_lookalikes_read_as_latin(tmp_path):
    """'PE1 2' is PE1's sector, not the outward code PE12 (Spalding, outside the area); 'CB2 1' is not CB21
    (Linton); 'PE1 2АА' typed with Cyrillic А is the postcode PE1 2AA."""
    db = tmp_path / "w.duckdb"
    load_text(db, "postcodes", "postcode,latitude,longitude\nPE1 2AA,52.5700,-0.2400\nPE12 6AA,52.7900,-0.1500\n"
                               "CB2 1AA,52.2000,0.1200\nCB21 4AA,52.0900,0.2800\n", source="pc", name="pc.csv")
    load_text(db, "reports", "Ref,Date Received,Address,Postcode\n"
                             "T1,03/11/2026,1 Any Road,PE1 2\n"
                             "T2,03/11/2026,2 Any Road,CB2 1\n"
                             "T3,03/11/2026,3 Any Road,PE1 2АА\n"
                             "T4,03/11/2026,4 Any Road,PE12\n", source="r")
    got = {r[0]: r[1:] for r in query(db, "SELECT report_ref, geocode_status, postcode, round(lat, 2) FROM reports")}
    assert got == {"T1": ("postcode_district", "PE1 2", 52.57), "T2": ("postcode_district", "CB2 1", 52.2),
                   "T3": ("postcode", "PE1 2AA", 52.57), "T4": ("postcode_district", "PE12", 52.79)}


def test_a_file_from_outside_the_lookups_areas_names_the_command_that_removes_its_source(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "postcodes", POSTCODES, source="pc", name="pc.csv")
    s = load_text(db, "reports", "Ref,Date Received,Address,Postcode\nO1,03/11/2026,1 High Street,OX1 1AA\n",
                  source="Oxford reports")
    assert any("does not cover at all" in w and "`python -m etl remove reports 'Oxford reports'` takes a wrongly "
               "loaded source out" in w for w in s.warnings), s.warnings


def test_a_postcode_cell_with_two_postcodes_is_placed_by_the_first_and_said_so(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "postcodes", POSTCODES, source="pc", name="pc.csv")
    s = load_text(db, "reports", "Ref,Date Received,Address,Postcode\n"
                                 "P1,03/11/2026,1 High Street,PE15 8AB / PE15 8AA\n"
                                 "P2,03/11/2026,2 High Street,PE15 8AA (rear)\n"
                                 "P3,03/11/2026,3 High Street,PE15 8AA or PE15 8AA\n", source="r")
    assert query(db, "SELECT report_ref, postcode FROM reports ORDER BY 1") == [
        ("P1", "PE15 8AB"), ("P2", "PE15 8AA"), ("P3", "PE15 8AA")]
    assert ("1 row(s) give more than one postcode in the postcode column ('PE15 8AB / PE15 8AA'): each is placed by "
            "the first; check which is the property's, and give one postcode a row") in s.warnings, s.warnings
