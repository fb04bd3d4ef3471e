"""A row giving its location twice (latitude/longitude and easting/northing, a grid reference besides) whose two
positions disagree is rejected, naming both and the distance, in every loader that reads locations; a row whose
positions agree, allowing for their rounding, loads as before. A file giving one kind of location pays nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from etl.loaders import checks, visits
from etl.reading.headers import HeaderMatch
from etl.reading.records import ReadNotes
from etl.reading.stage import StagedFile
from tests.helpers import load_text, query, write_text

# Peterborough, and its easting/northing (519288, 298817): EN_PETERBOROUGH agrees with LL_PETERBOROUGH to a metre.
LL_PETERBOROUGH = "52.5741,-0.2412"
EN_PETERBOROUGH = "519288,298817"
EN_CAMBRIDGE = "545000,258000"     # 48 km away
EN_400_M_EAST = "519688,298817"
EN_150_M_EAST = "519438,298817"
APART = ("latitude/longitude '52.5741, -0.2412' and easting/northing '545000, 258000' are 48 km apart: "
         "check which is right")


def _rejects(db: Path) -> dict[int, str]:
    return dict(query(db, "SELECT row_number, reason FROM rejects ORDER BY row_number"))


def test_a_report_whose_two_positions_disagree_is_rejected_naming_both(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Latitude,Longitude,Easting,Northing\n"
                                 f"R1,01/02/2026,{LL_PETERBOROUGH},{EN_CAMBRIDGE}\n"
                                 f"R2,01/02/2026,{LL_PETERBOROUGH},{EN_PETERBOROUGH}\n"
                                 f"R3,01/02/2026,{LL_PETERBOROUGH},{EN_400_M_EAST}\n"
                                 f"R4,01/02/2026,{LL_PETERBOROUGH},{EN_150_M_EAST}\n"
                                 f"R5,01/02/2026,{LL_PETERBOROUGH},,\n"
                                 f"R6,01/02/2026,,,{EN_CAMBRIDGE}\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (4, 2)
    assert _rejects(db) == {2: APART, 4: "latitude/longitude '52.5741, -0.2412' and easting/northing "
                                         "'519688, 298817' are 400 m apart: check which is right"}
    assert any(w.startswith("2 row(s) rejected for giving two locations (of latitude/longitude and easting/northing) "
                            "more than 250 m apart") for w in s.warnings)
    # Rows that agree (within 250 m), or give one position, are placed as before: by the latitude and longitude first.
    got = {ref: (round(lat, 4), round(lon, 4)) for ref, lat, lon in query(db, "SELECT report_ref, lat, lon FROM reports")}
    assert got["R2"] == got["R4"] == got["R5"] == (52.5741, -0.2412)
    assert 52.1 < got["R6"][0] < 52.3


def test_rounding_is_allowed_for(tmp_path):
    """Degrees to 2 decimals are up to about 800 m off, a 4-figure grid reference's centre 1.4 km (it may be
    rounded, not cut short), a round easting/northing (to the kilometre) 700 m: each is given that much more
    room, and only that much."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Latitude,Longitude,Easting,Northing\n"
                                 f"R1,01/02/2026,52.57,-0.24,{EN_PETERBOROUGH}\n"        # 500 m: rounding
                                 "R2,01/02/2026,52.5741,-0.2412,519000,299000\n"        # 340 m: a round easting
                                 "R3,01/02/2026,52.5741,-0.2412,521288,298817\n"        # 2 km: too far for either
                                 "R4,01/02/2026,52.57,-0.24,521288,298817\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (2, 2)
    reasons = _rejects(db)
    assert set(reasons) == {4, 5} and reasons[4].endswith("are 2.0 km apart: check which is right")
    s = load_text(db, "reports", "Report Ref,Date Received,Grid Reference,Latitude,Longitude\n"
                                 "G1,01/02/2026,TL 19 98,52.5741,-0.2412\n"          # the 1 km square holds the point
                                 "G2,01/02/2026,TL 186 988,52.5741,-0.2412\n"        # a 100 m square, 640 m away
                                 "G3,01/02/2026,TL 45 58,52.5741,-0.2412\n", source="g", name="g.csv")
    assert (s.rows_loaded, s.rows_rejected) == (1, 2)
    assert [r for _, r in query(db, "SELECT row_number, reason FROM rejects WHERE load_id = ? ORDER BY 1",
                                [s.load_id])] == [
        "latitude/longitude '52.5741, -0.2412' and grid reference 'TL 186 988' are 640 m apart: check which is right",
        "latitude/longitude '52.5741, -0.2412' and grid reference 'TL 45 58' are 48 km apart: check which is right"]


@pytest.mark.parametrize("kind,header,row", [
    ("hmo", "Licence No,Address,Latitude,Longitude,Easting,Northing", "L{n},{n} Mill Lane"),
    ("cases", "Case Ref,Date Opened,Latitude,Longitude,Easting,Northing", "C{n},01/02/2026"),
])
def test_every_loader_rejects_disagreeing_positions(tmp_path, kind, header, row):
    db = tmp_path / "w.duckdb"
    s = load_text(db, kind, f"{header}\n{row.format(n=1)},{LL_PETERBOROUGH},{EN_CAMBRIDGE}\n"
                            f"{row.format(n=2)},{LL_PETERBOROUGH},{EN_PETERBOROUGH}\n", source="s")
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert _rejects(db) == {2: APART}
    assert any(w.startswith("1 row(s) rejected for giving two locations") for w in s.warnings)


def test_a_visit_whose_positions_disagree_is_rejected(tmp_path):
    f = write_text(tmp_path / "v.csv", "Visit Date,Address,Outcome,Latitude,Longitude,Easting,Northing\n"
                                       f"01/02/2026,1 Mill Lane,No access,{LL_PETERBOROUGH},{EN_CAMBRIDGE}\n"
                                       f"01/02/2026,2 Mill Lane,No access,{LL_PETERBOROUGH},{EN_PETERBOROUGH}\n")
    got = visits.read(f, db=tmp_path / "none.duckdb")
    assert [(row, reason) for row, reason, _ in got.rejects] == [(2, APART)]
    assert len(got.outcomes) == 1


def test_a_coordinates_column_and_a_grid_reference_are_compared_too(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence No,Address,Coordinates,Grid Ref\n"
                             "L1,1 Mill Lane,\"52.5741, -0.2412\",TL 19288 98817\n"
                             "L2,2 Mill Lane,POINT (-0.2412 52.5741),TL 45000 58000\n", source="h")
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert _rejects(db) == {3: "coordinates 'POINT (-0.2412 52.5741)' and grid reference 'TL 45000 58000' are "
                               "48 km apart: check which is right"}


def _staged(headers: list[str], fields: list[str]) -> StagedFile:
    match = HeaderMatch(header_row=0, headers=headers, columns={f: i for i, f in enumerate(fields)})
    return StagedFile(path=Path("x.csv"), match=match, notes=ReadNotes())


def test_a_file_with_one_kind_of_location_gets_no_extra_work():
    """The bench's 2,000,000 rows give easting/northing only: no position is computed to compare, no distance."""
    for fields in (["report_ref", "easting", "northing"], ["report_ref", "lat", "lon"], ["report_ref", "grid_ref"],
                   ["report_ref", "coordinates"]):
        values: dict[str, str] = {}
        loc = checks.location(_staged(fields, fields), once=checks.computed_once(values))
        written = " ".join([loc.lat, loc.lon, loc.coarse, *loc.checks, *values.values()])
        assert "ST_Distance_Sphere" not in written and "ST_Distance_Sphere" not in checks.stage_with(values)
    fields = ["report_ref", "lat", "lon", "easting", "northing"]
    loc = checks.location(_staged(fields, fields))
    assert sum("ST_Distance_Sphere" in c for c in loc.checks) == 1


def test_latitude_and_longitude_the_wrong_way_round_are_compared_the_right_way_round(tmp_path):
    """A row whose degrees are swapped loads flagged swapped_lat_lon (never moved), as it did before this check:
    its easting/northing agrees with the degrees swapped back, so the row is no conflict (it was rejected as
    7,634 km apart); one whose easting/northing is elsewhere still is."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Latitude,Longitude,Easting,Northing\n"
                                 f"R1,01/02/2026,-0.2412,52.5741,{EN_PETERBOROUGH}\n"
                                 f"R2,01/02/2026,-0.2412,52.5741,{EN_CAMBRIDGE}\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    ((lat, lon, flag),) = query(db, "SELECT lat, lon, location_flag FROM reports")
    assert (round(lat, 4), round(lon, 4)) == (-0.2412, 52.5741) and flag == "swapped_lat_lon"
