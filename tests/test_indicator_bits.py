"""`reports.indicator_bits` (etl/indicator_bits.py) holds exactly each report's indicator codes, and the
readers' SQL over it (severity, crowding: analysis/addresses.py) gives what the lists give.

The visit list and the map weigh and test indicators on the mask alone, so a mask that drifted from the
codes, or a bit given twice, would silently change every score.
"""
from __future__ import annotations

import shutil

import duckdb

from analysis import addresses, settings
from etl import indicator_bits, migrate
from etl.warehouse import Warehouse
from tests.analysis_fixtures import demo_db  # noqa: F401 - fixture


def _rows(con):
    bits = addresses.indicator_bits(con)
    severity_sql, severity_params = addresses.severity_sql(bits, "r")
    registered = addresses.registered_districts(con)
    crowded_sql, crowded_params = addresses.crowded_sql(bits, registered, "r")
    rows = con.execute(f"""
        SELECT r.source, r.report_ref, r.indicators, r.indicator_bits, r.people_count, {severity_sql}, {crowded_sql},
               r.district_code
        FROM reports r ORDER BY r.source, r.report_ref
    """, [*severity_params, *crowded_params]).fetchall()
    return bits, rows, registered


def test_masks_hold_each_reports_codes_and_the_sql_matches_the_lists(demo_db):  # noqa: F811
    con = Warehouse(demo_db).connect_read_only()
    try:
        bits, rows, (registered, unknown) = _rows(con)
    finally:
        con.close()
    assert len(set(bits.values())) == len(bits) and set(settings.indicator_severity()) <= set(bits)
    assert registered and set(registered) < {r[-1] for r in rows}    # the demo leaves districts without a register
    weights = settings.indicator_severity()
    pu = settings.section("possible_unlicensed")
    with_codes = 0
    for _source, _ref, codes, mask, people, severity, crowded, district in rows:
        codes = codes or []
        with_codes += bool(codes)
        assert mask == sum(1 << bits[c] for c in set(codes))
        assert severity == sum(weights.get(c, 0) for c in codes)
        checked = district in registered if district is not None else unknown
        assert crowded == (checked and ((people or 0) >= pu["min_people"] or bool(set(codes) & set(pu["indicators"]))))
    assert with_codes > 100


def test_an_older_warehouse_gets_the_same_masks(demo_db, tmp_path):  # noqa: F811
    db = tmp_path / "v6.duckdb"
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    before = con.execute("SELECT source, report_ref, indicators FROM reports ORDER BY ALL").fetchall()
    con.execute("ALTER TABLE reports DROP COLUMN indicator_bits")
    con.execute("DROP TABLE indicator_bits")
    con.execute("DELETE FROM schema_migrations WHERE version >= 7")
    con.execute("ALTER TABLE addresses DROP COLUMN place")
    assert migrate.upgrade(con) == ["0007_indicator_bits", "0008_reports_unindexed", "0009_addresses_naming_no_place",
                                    "0010_addresses_placed_without_postcode",
                                    "0011_street_level_locations_are_no_door", "0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    bits, rows, _ = _rows(con)
    con.close()
    assert [r[:3] for r in rows] == before
    assert all(mask == sum(1 << bits[c] for c in (codes or [])) for _, _, codes, mask, *_ in rows)


def test_a_new_code_gets_the_next_bit_and_old_bits_keep_theirs(monkeypatch):
    con = duckdb.connect()
    con.execute("CREATE TABLE indicator_bits (code VARCHAR PRIMARY KEY, bit INTEGER NOT NULL)")
    con.execute("INSERT INTO indicator_bits VALUES ('van_pickups', 0), ('curtains_drawn', 1)")
    monkeypatch.setattr(indicator_bits.vocab, "load", lambda name: {"curtains_drawn": {}, "van_pickups": {},
                                                                   "alpha_new": {}, "zeta_new": {}})
    indicator_bits.register(con)
    assert dict(con.execute("SELECT code, bit FROM indicator_bits").fetchall()) == {
        "van_pickups": 0, "curtains_drawn": 1, "alpha_new": 2, "zeta_new": 3}
    assert con.execute("SELECT indicator_mask(['zeta_new', 'van_pickups']), indicator_mask([]), "
                       "indicator_mask(NULL), indicator_mask(['not_a_code'])").fetchone() == (9, 0, 0, 0)
