"""How precise a row's position is decides how it is placed, however the position is written.

An easting and northing rounded to the kilometre (523000, 261000) is as approximate as degrees rounded to 2 decimals,
and placed the same way: by the row's postcode when the lookup knows it, else at the rounded point as 'grid_square'.
A row giving degrees twice (latitude/longitude columns and a coordinates column) is placed by the more precise, as a
row giving degrees and the grid is. And rounded degrees beside a blank easting/northing (or grid reference) are
placed at their rounded point, never dropped as 'not geocoded'."""
from __future__ import annotations

import duckdb
import pytest

from etl.loaders import checks
from tests.helpers import load_text, query, write_text
from etl.loading import load_file

# One place in Cambridge: 546182, 257043 is 52.19225, 0.13718.
POSTCODES = "postcode,latitude,longitude\nCB1 1AA,52.1920,0.1350\n"


def _by_ref(db, table: str, ref: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in query(db, f"SELECT {ref}, geocode_status, round(lat, 4), round(lon, 4), location_flag "
                                           f"FROM {table}")}


def test_an_easting_and_northing_rounded_to_the_km_is_coarse_as_rounded_degrees_are(tmp_path):
    """546000, 257000 is a kilometre's rounding: a known postcode places the row instead, else it stays at the
    rounded point flagged approximate. Round hundreds place a door (as 3 decimals do), and one round axis alone is
    an exact reference's chance, so both load as coordinates."""
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", POSTCODES), db=db)
    s = load_text(db, "reports", "Ref,Date Received,Address,Postcode,Easting,Northing\n"
                                 "E1,03/11/2026,1 Mill Road,CB1 1AA,546000,257000\n"    # the postcode wins
                                 "E2,03/11/2026,2 Mill Road,CB1 9ZZ,546000,257000\n"    # unknown postcode: the point
                                 "E3,03/11/2026,3 Mill Road,,546100,257000\n"           # round hundreds: a door
                                 "E4,03/11/2026,4 Mill Road,CB1 1AA,546182,257043\n"    # to the metre
                                 "E5,03/11/2026,5 Mill Road,,546000,257043\n", source="r")   # one axis round
    assert (s.rows_loaded, s.rows_rejected, s.rows_ungeocoded) == (5, 0, 0)
    got = _by_ref(db, "reports", "report_ref")
    assert got["E1"] == ("postcode", 52.192, 0.135, None)
    assert got["E2"][0] == "grid_square" and got["E2"][1:3] == (52.1919, 0.1345)   # 546000, 257000 as written
    assert {r: got[r][0] for r in ("E3", "E4", "E5")} == dict.fromkeys(("E3", "E4", "E5"), "coordinates")
    assert ("2 row(s) give an easting and northing both multiples of 1,000 m ('546000, 257000' …): each is rounded "
            "as much as latitude and longitude with 2 decimals are (a finer rounding places a door). A row with a "
            "postcode we know is placed by the postcode; the others where the rounded point is, approximate"
            ) in s.warnings, s.warnings
    assert ("1 row(s) with a coarse grid reference or rounded coordinates were placed by their postcode instead, the "
            "more precise of the two") in s.warnings


def test_rounded_metres_in_a_coordinates_column_or_x_y_are_coarse_too_and_a_victims_are_not_shown(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence No,Address,Coordinates\nL1,1 Mill Road,\"546000 257000\"\n"
                             "L2,2 Mill Road,\"546182 257043\"\n", source="h")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert {r: v[0] for r, v in _by_ref(db, "hmo_licences", "licence_ref").items()} == {
        "L1": "grid_square", "L2": "coordinates"}
    s = load_text(db, "cases", "Case Reference,Date Opened,X,Y\nC1,03/11/2026,546000,257000\n"
                               "C2,03/11/2026,546182,257043\n", source="c", name="c.csv")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert sorted(status for (status,) in query(db, "SELECT geocode_status FROM cases")) == ["coordinates", "grid_square"]
    said = [w for w in s.warnings if "multiples of 1,000" in w]
    assert len(said) == 1 and said[0].startswith("1 row(s) give an easting and northing both multiples of 1,000 m: ")
    assert "546000" not in " ".join(s.lines())


def test_two_columns_of_degrees_place_the_row_by_the_more_precise(tmp_path):
    """Taken by column order, latitude/longitude rounded to 52.2, 0.12 (about 8 km) placed the row although its
    coordinates column held 52.1923, 0.1372; the same rule as for degrees beside the grid now picks, and a tie (both
    a door's point) keeps the latitude/longitude, as before."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Ref,Date Received,Latitude,Longitude,Coordinates\n"
                                 "D1,03/11/2026,52.2,0.12,\"52.1923, 0.1372\"\n"       # the coordinates column's
                                 "D2,03/11/2026,52.1923,0.1372,\"52.2, 0.12\"\n"       # the latitude/longitude
                                 "D3,03/11/2026,52.1923,0.1372,\"52.19226, 0.13719\"\n"    # both a door: the first
                                 "D4,03/11/2026,52.2,0.12,\"52.19, 0.14\"\n", source="r")   # both rounded: flagged
    assert (s.rows_loaded, s.rows_rejected) == (4, 0)
    got = _by_ref(db, "reports", "report_ref")
    assert got["D1"] == got["D2"] == got["D3"] == ("coordinates", 52.1923, 0.1372, None)
    assert got["D4"] == ("grid_square", 52.19, 0.14, None)     # 2 decimals beat 1, and the row is still coarse


@pytest.mark.parametrize("kind, header, extra, table, ref", [
    ("reports", "Ref,Date Received,Postcode,Latitude,Longitude,Easting,Northing\n", "03/11/2026,", "reports", "report_ref"),
    ("hmo", "Licence No,Address,Postcode,Latitude,Longitude,Grid Ref\n", "1 Mill Road,", "hmo_licences", "licence_ref"),
])
def test_rounded_degrees_without_a_postcode_are_placed_at_their_point_not_dropped(tmp_path, kind, header, extra,
                                                                                    table, ref):
    """Beside a blank easting and northing (or grid reference), rounded degrees were judged less precise than the
    blank position, which placed the row nowhere: stored 'not geocoded'. They are placed at the rounded point,
    flagged approximate; a point outside the area is flagged so, and kept."""
    db = tmp_path / "w.duckdb"
    blank = ",," if kind == "reports" else ","
    s = load_text(db, kind, header + f"B1,{extra},52.2,0.12{blank}\n"
                                     f"B2,{extra} ,52.57,-0.24{blank}\n"
                                     f"B3,{extra},51.5,-0.12{blank}\n", source="x")   # London: outside the area
    assert (s.rows_loaded, s.rows_rejected, s.rows_ungeocoded) == (3, 0, 0)
    got = _by_ref(db, table, ref)
    assert got == {"B1": ("grid_square", 52.2, 0.12, None), "B2": ("grid_square", 52.57, -0.24, None),
                   "B3": ("grid_square", 51.5, -0.12, "outside_area")}


def test_what_is_coarse_is_one_ground_precision_from_the_vocabulary(monkeypatch):
    """A kilometre (etl/vocab/locations.toml): 2 decimals of degrees, a 4-figure grid reference and round thousands of
    metres are coarse; 3 decimals, 6 figures and round hundreds are not. The step is data: at 100 m, round
    hundreds are coarse too."""
    assert checks.coarse_step_metres() == 1000
    assert (checks.DECIMALS_THAT_PLACE_A_DOOR, checks.FIGURES_THAT_PLACE_A_DOOR) == (3, 6)
    pairs = [(546000, 257000), (546100, 257000), (546000, 257043), (546000.5, 257000), (546182, 257043)]

    def coarse() -> list[bool]:
        sql = checks.rounded_metres("e", "n")
        return [r[0] for r in duckdb.execute(f"SELECT {sql} FROM (VALUES {', '.join(map(str, pairs))}) t(e, n)").fetchall()]
    assert coarse() == [True, False, False, False, False]
    monkeypatch.setattr(checks, "coarse_step_metres", lambda: 100.0)
    assert coarse() == [True, True, False, False, False]


@pytest.mark.parametrize("kind, header, extra, table, ref", [
    ("reports", "Ref,Date Received,Easting,Northing,Grid Reference\n", "03/11/2026,", "reports", "report_ref"),
    ("hmo", "Licence No,Address,Easting,Northing,Grid Ref\n", "1 Mill Road,", "hmo_licences", "licence_ref"),
    ("cases", "Case Reference,Date Opened,Easting,Northing,OS Grid Ref\n", "03/11/2026,", "cases", None),
])
def test_an_easting_and_northing_beside_a_grid_reference_place_the_row_by_the_more_precise(tmp_path, kind, header,
                                                                                          extra, table, ref):
    """A file giving only grid positions (no degrees) and two kinds of them was refused with DuckDB's syntax
    error. Beside an easting and northing to the metre, an 8-figure grid reference (a 10 m square) places the
    same door, and a blank one leaves them alone; a 10-figure one alone places the row."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, kind, header + f"G1,{extra}546182,257043,TL 4618 5704\n"
                                     f"G2,{extra}546182,257043,\n"
                                     f"G3,{extra},,TL 46182 57043\n", source="g")
    assert (s.rows_loaded, s.rows_rejected) == (3, 0), s.lines()
    points = sorted(query(db, f"SELECT geocode_status, round(lat, 4), round(lon, 4) FROM {table}"))
    assert points == [("coordinates", 52.1923, 0.1372)] * 3, points
