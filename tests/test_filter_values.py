"""`filter_values` (etl/filter_values.py): the sidebar's choices, kept by the loads instead of scanned per page.

After every load the kept values must include every value the data holds, so no filter ever lacks a
choice the data has; and the sidebar's options come from them.
"""
from __future__ import annotations

from dashboard.options import filter_options
from etl import filter_values
from etl.loading import load_file
from etl.warehouse import Warehouse
from tests.analysis_fixtures import KEY, POSTCODES, build_warehouse, day

REPORTS = f"""Report Ref,Date Received,Address,Postcode,Indicators,Nationalities,Source Type,Exploitation Type
P1,{day(-2)},"5 Orchard Close",PE13 1AA,mattresses on floors,Lithuanian,public,labour
P2,{day(-5)},"9 Mill Lane",PE1 9ZZ,people collected by van early morning,Romanian; Polish,police,sexual
"""
CASES = f"""Case Reference,Date Opened,Postcode,Nationality,Exploitation Type
C1,{day(-20)},CB1 1AA,Vietnamese,criminal
"""
MORE_POSTCODES = "postcode,latitude,longitude,lad_code\nPE7 1AA,52.5000,-0.2000,E07000011\n"
LATE_REPORTS = f"""Report Ref,Date Received,Address,Postcode,Nationalities
Q1,{day(-1)},"1 Fen Road",PE7 1AA,Albanian
"""


def _kept_and_fresh(db):
    con = Warehouse(db).connect_read_only()
    try:
        filter_values.register(con)
        kept = set(con.execute("SELECT kind, value FROM filter_values").fetchall())
        fresh = set(con.execute("SELECT kind, value FROM filter_value_rows(NULL)").fetchall())
        options = filter_options(con)
    finally:
        con.close()
    return kept, fresh, options


def test_kept_values_hold_every_value_after_every_load(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES})
    for kind, text, name in [("reports", REPORTS, "police"), ("cases", CASES, "hub"),
                             ("postcodes", MORE_POSTCODES, "more"), ("reports", LATE_REPORTS, "public")]:
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        load_file(kind, path, db=db, source=name)
        kept, fresh, options = _kept_and_fresh(db)
        assert fresh <= kept, (kind, fresh - kept)
    assert kept == fresh
    assert {("nationality", "Polish"), ("nationality", "Vietnamese"), ("nationality", "Albanian"),
            ("district", "E07000011"), ("source_type", "police")} <= kept
    assert {"Albanian", "Lithuanian", "Polish", "Romanian", "Vietnamese"} <= set(options["nationalities"])
    assert "E07000011" in options["districts"] and "police" in options["source_types"]
