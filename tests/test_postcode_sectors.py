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
