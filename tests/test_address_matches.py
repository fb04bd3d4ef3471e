"""`address_matches` (etl/address_matches.py) always equals matching every reported address afresh.

The loads keep it: a reports load adds its new addresses' matches; an HMO load rebuilds it, as
licences start and end. After any sequence of loads the kept table must give every reported address
the licence a full rebuild gives, or the visit list and the map would name the wrong licence.
"""
from __future__ import annotations

from etl import address_matches
from etl.loading import load_file
from etl.warehouse import Warehouse
from tests.analysis_fixtures import KEY, POSTCODES, build_warehouse, day

HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date
L1,"5 Orchard Close, Wisbech",PE13 1AA,6,{day(200)}
L2,"9 Mill Lane, Wisbech",PE13 2ZZ,8,{day(40)}
L3,"1 Station Road",,5,{day(1000)}
"""
# L1 ends (not in the new register); 12 Orchard Close is licensed now; L3 gains a postcode.
HMO_LATER = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date
L2,"9 Mill Lane, Wisbech",PE13 2ZZ,8,{day(40)}
L3,"1 Station Road",PE1 9ZZ,5,{day(1000)}
L4,"12 Orchard Close, Wisbech",PE13 1AA,7,{day(500)}
"""
REPORTS = f"""Report Ref,Date Received,Address,Postcode
P1,{day(-2)},"5 Orchard Close, Wisbech",PE13 1AA
P2,{day(-5)},"Flat 2, 9 Mill Lane",PE13 2ZZ
P3,{day(-9)},"1 Station Road",PE1 9ZZ
P4,{day(-9)},"12 Orchard Close",PE13 1AA
"""
REPORTS_MORE = f"""Report Ref,Date Received,Address,Postcode
Q1,{day(-1)},"5, ORCHARD CLOSE WISBECH",PE13 1AA
Q2,{day(-3)},"1 Station Road",
"""


def _kept_and_fresh(db):
    con = Warehouse(db).connect_read_only()
    try:
        address_matches.register(con)
        order = "ORDER BY addr_key, postcode NULLS FIRST, licence_source, licence_ref"
        # Addresses no report uses any more may keep a row until the next HMO load: they match nothing.
        kept = con.execute(f"""SELECT * FROM address_matches m WHERE EXISTS (
            SELECT 1 FROM reports r WHERE r.addr_key = m.addr_key AND r.postcode IS NOT DISTINCT FROM m.postcode)
            {order}""").fetchall()
        fresh = con.execute(f"SELECT * FROM address_match_rows(NULL) {order}").fetchall()
    finally:
        con.close()
    return kept, fresh


def _load(db, kind, text, tmp_path, name, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    load_file(kind, path, db=db, source=name if kind == "reports" else "Fenland")


def test_kept_matches_equal_a_fresh_match_after_every_load(tmp_path, monkeypatch):
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES})
    steps = [("hmo", HMO, "register"), ("reports", REPORTS, "police"), ("reports", REPORTS_MORE, "public"),
             ("hmo", HMO_LATER, "register2"), ("reports", REPORTS.replace("Flat 2, ", ""), "police")]
    seen = []
    for kind, text, name in steps:
        _load(db, kind, text, tmp_path, name, monkeypatch)
        kept, fresh = _kept_and_fresh(db)
        assert kept == fresh, (kind, name)
        seen.append({(a, p): ref for a, p, _, ref in kept})
    assert seen[1][("5 ORCHARD CLOSE WISBECH", "PE13 1AA")] == "L1"
    assert seen[1][("FLAT 2 9 MILL LANE", "PE13 2ZZ")] == "L2"          # same postcode and house number
    assert ("1 STATION ROAD", None) in seen[2]                          # no postcode: the key alone
    assert ("5 ORCHARD CLOSE WISBECH", "PE13 1AA") not in seen[3]       # L1 has ended
    assert seen[3][("12 ORCHARD CLOSE", "PE13 1AA")] == "L4"
    assert seen[3][("1 STATION ROAD", "PE1 9ZZ")] == "L3"
