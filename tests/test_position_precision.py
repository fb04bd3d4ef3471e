"""A row giving its position twice, in degrees and on the grid, the two agreeing within their rounding, is placed
by the more precise of them: degrees rounded to 52.2, 0.12 (about 8 km) give way to an easting and northing to the
metre, and a round easting and northing (to the kilometre) to degrees with 4 decimals."""
from __future__ import annotations

import pytest

from tests.helpers import load_text, query

# One place in Cambridge: 546182, 257043 is 52.19225, 0.13718.
ROWS = ("R1,52.2,0.12,546182,257043\n"          # rounded degrees, a precise easting/northing: the grid's point
        "R2,52.1923,0.1372,546000,257000\n"     # precise degrees, an easting/northing to the km: the degrees
        "R3,52.1923,0.1372,546182,257043\n")    # both place a door: the degrees, as before
WHERE = {"R1": (52.19225, 0.13718), "R2": (52.1923, 0.1372), "R3": (52.1923, 0.1372)}


@pytest.mark.parametrize("kind, header, table, ref", [
    ("reports", "Report Ref,Latitude,Longitude,Easting,Northing,Date Received\n", "reports", "report_ref"),
    ("hmo", "Licence Number,Latitude,Longitude,Easting,Northing,Address\n", "hmo_licences", "licence_ref"),
])
def test_two_agreeing_positions_place_the_row_by_the_more_precise(tmp_path, kind, header, table, ref):
    db = tmp_path / "w.duckdb"
    extra = ",03/02/2026" if kind == "reports" else ",1 Mill Road"
    s = load_text(db, kind, header + "".join(line + extra + "\n" for line in ROWS.splitlines()))
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)
    got = {r: (round(lat, 5), round(lon, 5), status)
           for r, lat, lon, status in query(db, f"SELECT {ref}, lat, lon, geocode_status FROM {table}")}
    assert {r: got[r][:2] for r in got} == {r: tuple(round(v, 5) for v in WHERE[r]) for r in WHERE}
    assert {status for _, _, status in got.values()} == {"coordinates"}
