"""A coordinates column's pair is parsed once per row, not once per use: written out in full, each of its many
uses in the location's expressions expanded the parsing macros again, and DuckDB took 20 seconds to plan a
file of 8 rows."""
from __future__ import annotations

from pathlib import Path

from etl.loaders import checks
from etl.reading.headers import HeaderMatch
from etl.reading.records import ReadNotes
from etl.reading.stage import StagedFile
from tests.helpers import load_text, query


def _staged() -> StagedFile:
    match = HeaderMatch(header_row=0, headers=["Ref", "Coordinates"], columns={"report_ref": 0, "coordinates": 1})
    return StagedFile(path=Path("x.csv"), match=match, notes=ReadNotes())


def test_the_pair_is_named_once_and_read_by_name():
    values: dict[str, str] = {}
    loc = checks.location(_staged(), once=checks.computed_once(values))
    written = " ".join([loc.lat, loc.lon, loc.coarse, *loc.checks])
    assert written.count("parse_degrees(coordinate_pair(") == 0
    assert written.count("point_in_text(") <= 2
    assert sum(sql.count("parse_degrees(coordinate_pair(") for sql in values.values()) == 2
    assert "po_coordinates_first" in loc.lat


def test_every_loader_reads_a_coordinates_column_with_the_pair_parsed_once(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence No,Address,Coordinates\nL1,1 Mill Lane,\"52.574, -0.241\"\n"
                             "L2,2 Mill Lane,POINT (-0.241 52.574)\nL3,3 Mill Lane,\"546182 257043\"\n", source="h")
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)
    got = {ref: (round(lat, 3), round(lon, 3)) for ref, lat, lon in query(db, "SELECT licence_ref, lat, lon FROM hmo_licences")}
    assert got["L1"] == got["L2"] == (52.574, -0.241) and 52.0 < got["L3"][0] < 52.3
    s = load_text(db, "cases", "Case Ref,Date Opened,Coordinates\nC1,03/11/2026,\"52.574, -0.241\"\n", source="c")
    assert (s.rows_loaded, s.rows_rejected) == (1, 0)
    assert [tuple(round(v, 3) for v in r) for r in query(db, "SELECT lat, lon FROM cases")] == [(52.574, -0.241)]
