"""`address_matches` (etl/address_matches.py) always equals matching every reported address afresh,
and every report carries the id of its address (etl/address_ids.py).

The loads keep both: a reports load gives its new addresses ids and adds their matches; an HMO load
rebuilds the matches, as licences start and end. After any sequence of loads the kept table must give
every reported address the licence a full rebuild gives, or the visit list and the map would name the
wrong licence; and every address of a licence must share one group id that no other address has, or
the visit list would split or merge doors.
"""
from __future__ import annotations

from etl import address_matches
from etl.loading import load_file
from etl.warehouse import Warehouse
from tests.analysis_fixtures import KEY, POSTCODES, build_warehouse, day, demo_db  # noqa: F401 - fixture

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
        cols = "addr_id, addr_key, postcode, licence_source, licence_ref"
        order = "ORDER BY addr_key, postcode NULLS FIRST, licence_source, licence_ref"
        # Addresses no report uses any more may keep a row until the next HMO load: they match nothing.
        kept = con.execute(f"""SELECT {cols} FROM address_matches m WHERE EXISTS (
            SELECT 1 FROM reports r WHERE r.addr_id = m.addr_id) {order}""").fetchall()
        fresh = con.execute(f"SELECT {cols} FROM address_match_rows(NULL) {order}").fetchall()
        _check_ids(con)
    finally:
        con.close()
    return [row[1:] for row in kept], [row[1:] for row in fresh]


def _check_ids(con):
    """Every report with an address has the id of its (addr_key, full postcode, place), but a street learnt to be no
    door (etl/address_ids.learn_streets) has none; ids are unique; a licence's
    addresses share one group id, which is one of their own ids (so no unmatched address has it)."""
    from etl import address_ids
    from etl.address_keys import full_postcode

    assert con.execute(f"""
        SELECT count(*) FROM reports r LEFT JOIN addresses a ON a.addr_id = r.addr_id
        WHERE (r.addr_id IS NOT NULL) AND (a.addr_id IS NULL OR a.addr_key <> r.addr_key
                                           OR a.postcode IS DISTINCT FROM {full_postcode("r.postcode")}
                                           OR a.place IS DISTINCT FROM {address_ids.place("r")})
           OR (r.addr_key <> '' AND r.addr_id IS NULL AND r.addr_key IN (SELECT addr_key FROM addresses))
           OR (r.addr_key = '' AND r.addr_id IS NOT NULL)""").fetchone()[0] == 0
    assert con.execute("SELECT count(*) = count(DISTINCT addr_id), count(*) = count(DISTINCT (addr_key, postcode, place)) "
                       "FROM addresses").fetchone() == (True, True)
    assert con.execute("SELECT count(*) = count(DISTINCT addr_id) FROM address_matches").fetchone()[0]
    assert con.execute("""
        SELECT count(*) FROM (SELECT licence_source, licence_ref, count(DISTINCT group_id) AS ids,
                                     bool_or(group_id = addr_id) AS own FROM address_matches GROUP BY ALL)
        WHERE ids <> 1 OR NOT own""").fetchone()[0] == 0


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


def test_a_warehouse_from_before_address_ids_is_upgraded(demo_db, tmp_path):  # noqa: F811
    """Migration 0006 on a version-5 warehouse: every report gets its address's id and the matches are
    rebuilt by id, equal to a fresh match, with the same licence for every address as before."""
    import shutil

    import duckdb

    from etl import migrate

    db = tmp_path / "v5.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    before = set(con.execute("SELECT addr_key, postcode, licence_source, licence_ref FROM address_matches").fetchall())
    con.execute("DROP TABLE address_matches")
    con.execute("""CREATE TABLE address_matches (addr_key VARCHAR NOT NULL, postcode VARCHAR,
                   licence_source VARCHAR NOT NULL, licence_ref VARCHAR NOT NULL)""")
    con.executemany("INSERT INTO address_matches VALUES (?, ?, ?, ?)", [list(r) for r in before])
    con.execute("DROP TABLE addresses")
    con.execute("DROP SEQUENCE addr_id_seq")
    con.execute("ALTER TABLE reports DROP COLUMN addr_id")
    con.execute("ALTER TABLE reports DROP COLUMN indicator_bits")
    con.execute("DROP TABLE indicator_bits")
    con.execute("DELETE FROM schema_migrations WHERE version >= 6")
    assert migrate.upgrade(con) == ["0006_address_ids", "0007_indicator_bits", "0008_reports_unindexed",
                                    "0009_addresses_naming_no_place", "0010_addresses_placed_without_postcode",
                                    "0011_street_level_locations_are_no_door", "0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    con.close()
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh and set(kept) == before and before


def test_new_addresses_are_numbered_by_their_first_row_whatever_order_the_rows_are_in(tmp_path):
    """The same load must give the same ids every time (the crash test compares a load with its rerun):
    an address's id follows from its first row in the file, not from the order a parallel DISTINCT
    meets it; and the sequence resumes after the ids a load took."""
    import random

    import duckdb

    from etl import address_ids
    from etl.loading import prepare
    from etl.warehouse import load_spatial

    rows = [(n, f"{n % 700} MILL LANE", f"PE{n % 3} 1AA") for n in range(2, 5000)]
    given = []
    for seed in (1, 2):
        con = duckdb.connect(str(tmp_path / f"w{seed}.duckdb"))
        load_spatial(con)
        prepare(con)
        con.execute("SELECT nextval('addr_id_seq') FROM range(3)")          # ids already given elsewhere
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        con.execute("CREATE TEMP TABLE incoming (row_number BIGINT, addr_key VARCHAR, postcode VARCHAR, h3_7 UBIGINT)")
        con.executemany("INSERT INTO incoming VALUES (?, ?, ?, NULL)", shuffled)
        view = address_ids.assign(con)
        given.append(con.execute(f"SELECT row_number, addr_id FROM {view} ORDER BY row_number").fetchall())
        taken = [i for (i,) in con.execute("SELECT addr_id FROM addresses ORDER BY addr_id").fetchall()]
        assert len(taken) == len(set(taken)) == 2100 and min(taken) == 4, "ids follow on from the sequence"
        assert con.execute("SELECT nextval('addr_id_seq')").fetchone()[0] > max(taken), "and it resumes after them"
        con.close()
    assert given[0] == given[1]
    ids = dict(given[0])
    assert ids[2] == 4 and ids[3] == 5 and ids[2 + 700] != ids[2] and ids[2 + 2100] == ids[2]


def test_a_warehouse_with_addresses_naming_no_place_is_upgraded(demo_db, tmp_path):  # noqa: F811
    """Migration 0009 on a version-8 warehouse whose reports have "No location" as an address: they lose
    the key and id that made them one door, the id goes, and every other address keeps its own."""
    import shutil

    import duckdb

    from etl import migrate

    db = tmp_path / "v8.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM schema_migrations WHERE version >= 9")
    con.execute("ALTER TABLE addresses DROP COLUMN place")
    ids = [r[0] for r in con.execute("SELECT DISTINCT addr_id FROM reports WHERE addr_id IS NOT NULL "
                                     "ORDER BY addr_id LIMIT 2").fetchall()]
    con.execute("UPDATE addresses SET addr_key = 'NO LOCATION' WHERE addr_id = ?", [ids[0]])
    con.execute("UPDATE reports SET address = 'No location', addr_key = 'NO LOCATION' WHERE addr_id = ?", [ids[0]])
    con.execute("UPDATE address_matches SET addr_key = 'NO LOCATION' WHERE addr_id = ?", [ids[0]])
    others = con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL AND addr_id <> ?", [ids[0]]).fetchone()
    assert migrate.upgrade(con) == ["0009_addresses_naming_no_place", "0010_addresses_placed_without_postcode",
                                    "0011_street_level_locations_are_no_door", "0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    n, with_id, with_key = con.execute("SELECT count(*), count(addr_id), count(*) FILTER (addr_key <> '') "
                                       "FROM reports WHERE address = 'No location'").fetchone()
    assert n > 0 and with_id == with_key == 0
    assert con.execute("SELECT count(*) FROM addresses WHERE addr_id = ?", [ids[0]]).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM address_matches WHERE addr_id = ?", [ids[0]]).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM addresses WHERE addr_id = ?", [ids[1]]).fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL").fetchone() == others
    con.close()


def test_the_dashboard_folds_addresses_naming_no_place_as_the_etl_does():
    """Recorded visits are keyed in Python (operations/vocabulary.py), reports in SQL (etl/address_keys.py):
    both give no address for every entry of etl/vocab/addresses.toml, however it is written, and the
    same key for a real address."""
    import duckdb

    from etl import address_keys, vocab
    from operations import vocabulary

    con = duckdb.connect()
    address_keys.register(con)
    written = []
    table = vocab.load("addresses")
    for entry in table["not_addresses"] + [f"{p} Parking Area" for p in table["street_level_prefixes"]]:
        written += [entry, entry.lower(), entry.replace(" ", "/"), f" {entry.title()}. ", f"{entry} PE13 1AB"]
    written += ["Unknown Farm, Wisbech", "14, Mill Lane, Wisbech PE13 1AB", "Flat 2, 14 Mill Lane", "NA Court",
                "Nearby Farm, On Or Nearly Lane", "2 On Or Near Street"]
    for text in written:
        sql = con.execute("SELECT address_key(?)", [text]).fetchone()[0]
        assert sql == vocabulary.address_norm(text), text
    assert {vocabulary.address_norm(t) for t in written[:-6]} == {""}
    assert all(vocabulary.address_norm(t) for t in written[-6:])


def test_a_warehouse_whose_postcode_less_addresses_span_towns_is_upgraded(tmp_path):
    """Migration 0010 on a version-9 warehouse, where "12 High Street" without a full postcode was one
    address in Wisbech and March (and another for "N/A"): it becomes one per place, every report takes
    its place's id, an address with a full postcode keeps its own, and the licence matches equal a fresh
    match (the Wisbech licence no longer takes March's reports)."""
    import duckdb

    from etl import migrate
    from tests.analysis_fixtures import build_warehouse

    hmo = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
L7,"12 High Street",PE13 1AA,6,{day(300)},52.6650,0.1600
"""
    reports = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
W1,{day(-2)},12 High Street,,52.6652,0.1603
W2,{day(-3)},12 High Street,N/A,52.6652,0.1603
M1,{day(-4)},12 High Street,,52.5510,0.0880
M2,{day(-5)},12 High Street,,52.5510,0.0880
N1,{day(-6)},12 High Street,,,
P1,{day(-7)},12 High Street,PE1 9ZZ,,
"""
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "hmo": hmo, "reports": reports})
    con = duckdb.connect(str(db))
    # Back to version 9: one id per (words, postcode as stored), matched by the words alone.
    con.execute("ALTER TABLE addresses DROP COLUMN place")
    con.execute("DELETE FROM addresses")
    con.execute("INSERT INTO addresses SELECT row_number() OVER (ORDER BY addr_key, postcode) + 100, addr_key, postcode "
                "FROM (SELECT DISTINCT addr_key, postcode FROM reports)")
    con.execute("UPDATE reports SET addr_id = a.addr_id FROM addresses a "
                "WHERE a.addr_key = reports.addr_key AND a.postcode IS NOT DISTINCT FROM reports.postcode")
    con.execute("DELETE FROM address_matches")
    con.execute("INSERT INTO address_matches SELECT addr_id, addr_key, postcode, 101, 'Test hmo', 'L7', NULL, 6 "
                "FROM addresses")
    old = dict(con.execute("SELECT report_ref, addr_id FROM reports").fetchall())
    assert old["W1"] == old["M1"] == old["N1"] != old["W2"]
    con.execute("DELETE FROM schema_migrations WHERE version >= 10")
    assert migrate.upgrade(con) == ["0010_addresses_placed_without_postcode",
                                    "0011_street_level_locations_are_no_door", "0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    ids = dict(con.execute("SELECT report_ref, addr_id FROM reports").fetchall())
    matched = {i for (i,) in con.execute("SELECT addr_id FROM address_matches WHERE licence_ref = 'L7'").fetchall()}
    con.close()
    assert ids["W1"] == ids["W2"] and ids["M1"] == ids["M2"]
    assert len({ids["W1"], ids["M1"], ids["N1"], ids["P1"]}) == 4
    assert ids["P1"] == old["P1"]                            # a full postcode: the same address as before
    assert matched == {ids["W1"], ids["N1"]}                  # near the licence, or with no point to say
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh


def test_a_postcode_column_saying_n_a_is_no_postcode(tmp_path):
    """"N/A" or "unknown" in a postcode column (stored upper-cased as given) is no shared postcode: a report
    at "12 High Street, N/A" does not take the licence of "12 Mill Lane, N/A" by their house number, and
    the same words at one point are one door whatever the postcode column said."""
    from tests.analysis_fixtures import build_warehouse, connect

    hmo = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
L1,"12 Mill Lane",N/A,6,{day(300)},52.6650,0.1600
"""
    reports = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
R1,{day(-2)},12 High Street,n/a,52.6652,0.1603
R2,{day(-3)},12 High Street,unknown,52.6652,0.1603
R3,{day(-4)},12 High Street,,52.6652,0.1603
R4,{day(-5)},12 High Street,n/a,52.5510,0.0880
"""
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "hmo": hmo, "reports": reports})
    con = connect(db)
    try:
        stored = dict(con.execute("SELECT report_ref, postcode FROM reports").fetchall())
        ids = dict(con.execute("SELECT report_ref, addr_id FROM reports").fetchall())
        matches = con.execute("SELECT count(*) FROM address_matches").fetchone()[0]
    finally:
        con.close()
    assert stored["R1"] == "N/A" and stored["R2"] == "UNKNOWN"      # kept as the partner wrote it
    assert ids["R1"] == ids["R2"] == ids["R3"] != ids["R4"]
    assert matches == 0
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh


def test_a_warehouse_with_street_level_locations_is_upgraded(demo_db, tmp_path):  # noqa: F811
    """Migration 0011 on a version-10 warehouse whose reports give police.uk's "On or near ..." as an address:
    they lose the key and id that made each street or landmark a door, and every other address keeps its own."""
    import shutil

    import duckdb

    from etl import migrate

    db = tmp_path / "v10.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM schema_migrations WHERE version >= 11")
    ids = [r[0] for r in con.execute("SELECT DISTINCT addr_id FROM reports WHERE addr_id IS NOT NULL "
                                     "ORDER BY addr_id LIMIT 2").fetchall()]
    con.execute("UPDATE addresses SET addr_key = 'ON OR NEAR PARKING AREA' WHERE addr_id = ?", [ids[0]])
    con.execute("UPDATE reports SET address = 'On or near Parking Area', addr_key = 'ON OR NEAR PARKING AREA' "
                "WHERE addr_id = ?", [ids[0]])
    others = con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL AND addr_id <> ?", [ids[0]]).fetchone()
    assert migrate.upgrade(con) == ["0011_street_level_locations_are_no_door", "0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    n, with_id, with_key = con.execute("SELECT count(*), count(addr_id), count(*) FILTER (addr_key <> '') "
                                       "FROM reports WHERE address = 'On or near Parking Area'").fetchone()
    assert n > 0 and with_id == with_key == 0
    assert con.execute("SELECT count(*) FROM addresses WHERE addr_id = ?", [ids[0]]).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM addresses WHERE addr_id = ?", [ids[1]]).fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL").fetchone() == others
    con.close()
