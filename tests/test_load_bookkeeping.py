"""What a load leaves behind besides its rows: a file of which no row could be loaded fails as a whole and
keeps its rejected rows for the analyst to read; a failed postcodes or boundaries load keeps them too; a
postcode belongs to the lookup that gave it last; and the licence matches follow a postcodes or boundaries
load that moves stored points.

A register whose every row is rejected used to "load": it ended every licence of its source. A reports or
cases file of rejects alone left a source of no rows in the lists of sources. Either way the analyst's
question is why the rows were refused, so those rows must outlive the failed attempt.
"""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from analysis import rejects as rejects_query
from analysis.data_health import source_health
from etl import address_matches
from etl.cli import main
from etl.errors import FileProblem
from etl.loading import load_file
from etl.removal import remove
from etl.warehouse import Warehouse
from tests.analysis_fixtures import KEY, day
from tests.helpers import query, scalar, write_text

REGISTER = "Licence Number,Address,Postcode,Max Occupants\n" + "".join(
    f"L{i},{i} Orchard Close Wisbech,PE13 1AA,5\n" for i in range(1, 13))
NO_LICENCE_NUMBERS = "Licence Number,Address,Postcode,Max Occupants\n" + "".join(
    f",{i} Orchard Close Wisbech,PE13 1AA,5\n" for i in range(1, 5))
BAD_REPORTS = "Report Ref,Date Received,Address\nR1,not a date,1 Mill Lane\nR2,31/02/2026,2 Mill Lane\n"
BAD_CASES = "Case Reference,Date Opened,Postcode\nC1,never,PE13 2ZZ\nC2,someday,PE13 2ZZ\n"
LOOKUP = "postcode,latitude,longitude,lad_code\nPE13 1AA,52.6650,0.1600,E07000010\nPE13 2ZZ,52.6700,0.1500,E07000010\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _read(db, call):
    con = Warehouse(db).connect_read_only()
    try:
        return call(con)
    finally:
        con.close()


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)


# --- 1. a file of which every row is rejected ------------------------------------------------------------------

@pytest.mark.parametrize("licences", [3, 12])   # under and over the count a register's own guards start at
def test_a_register_whose_every_row_is_rejected_fails_and_keeps_the_source_licences(tmp_path, db, licences):
    register = "".join(REGISTER.splitlines(keepends=True)[:licences + 1])
    load_file("postcodes", write_text(tmp_path / "pc.csv", LOOKUP), db=db, source="Lookup")
    load_file("hmo", write_text(tmp_path / "may.csv", register), db=db, source="Fenland")
    history = query(db, "SELECT * FROM hmo_licence_history ORDER BY licence_ref")
    with pytest.raises(FileProblem) as err:
        load_file("hmo", write_text(tmp_path / "june.csv", NO_LICENCE_NUMBERS), db=db, source="Fenland")
    failed = scalar(db, "SELECT max(load_id) FROM loads")
    assert str(err.value) == (f"june.csv: all 4 rows were rejected (row 2: licence number is blank; …): nothing was "
                              f"loaded; see the rejected rows: python -m etl rejects --load {failed}")
    # no licence ended: the register stands as it was
    assert query(db, "SELECT * FROM hmo_licence_history ORDER BY licence_ref") == history
    assert scalar(db, "SELECT count(*) FROM hmo_licences WHERE source = 'Fenland'") == licences
    assert query(db, "SELECT status, rows_read, rows_rejected FROM loads WHERE file_name = 'june.csv'") == \
        [("failed", 4, 4)]
    # the rejects are kept under the failed attempt, where `etl rejects` and the Data page read them
    assert query(db, "SELECT row_number, reason FROM rejects WHERE load_id = ? ORDER BY 1", [failed]) == \
        [(n, "licence number is blank") for n in range(2, 6)]
    listed = _read(db, rejects_query.reject_loads)
    assert listed[["load_id", "status", "rejected"]].values.tolist() == [[failed, "failed", 4]]
    rows = _read(db, lambda con: rejects_query.rejected_rows(con, failed))
    assert rows["Address"].tolist() == [f"{i} Orchard Close Wisbech" for i in range(1, 5)]
    health = _read(db, lambda con: source_health(con, dt.date.today())).set_index("source")
    assert health.loc["Fenland", "rows"] == licences and health.loc["Fenland", "failed_attempts_since"] == 1
    assert not list(tmp_path.glob("w.duckdb.rejects-*")), "the saved rejects are cleared away"


@pytest.mark.parametrize("kind,text", [("reports", BAD_REPORTS), ("cases", BAD_CASES)])
def test_a_file_of_rejects_alone_fails_on_the_command_line_and_leaves_no_empty_source(tmp_path, db, kind, text):
    f = write_text(tmp_path / f"{kind}.csv", text)
    r = run("load", kind, f, "--db", db, "--source", "Partner", "--accounts", tmp_path / "acc.db")
    assert r.exit_code != 0
    failed = scalar(db, "SELECT load_id FROM loads")
    assert f"{kind}.csv: all 2 rows were rejected" in r.stderr
    assert f"nothing was loaded; see the rejected rows: python -m etl rejects --load {failed}" in r.stderr
    assert ("not a date" in r.stderr) == (kind == "reports"), "a victim case's values stay out of the message"
    assert scalar(db, "SELECT status FROM loads") == "failed"
    assert scalar(db, f"SELECT count(*) FROM {kind}") == 0
    assert _read(db, lambda con: source_health(con, dt.date.today())).empty, "no source of no rows is listed"
    shown = run("rejects", "--db", db, "--load", failed)
    assert shown.exit_code == 0 and shown.stdout.count("\n") == 3     # the header and both rows
    assert "never" in shown.stdout or "not a date" in shown.stdout


def test_a_file_with_some_rows_loaded_still_loads_with_its_rejects(tmp_path, db):
    text = BAD_REPORTS + f"R3,{day(-2)},3 Mill Lane\n"
    s = load_file("reports", write_text(tmp_path / "r.csv", text), db=db, source="Partner")
    assert (s.status, s.rows_loaded, s.rows_rejected) == ("loaded", 1, 2)
    assert scalar(db, "SELECT count(*) FROM rejects WHERE load_id = ?", [s.load_id]) == 2


def test_a_header_only_file_is_refused_and_has_no_rejects(tmp_path, db):
    with pytest.raises(FileProblem, match="no data rows"):
        load_file("reports", write_text(tmp_path / "r.csv", "Report Ref,Date Received,Address\n"), db=db)
    assert scalar(db, "SELECT status FROM loads") == "failed"
    assert scalar(db, "SELECT count(*) FROM rejects") == 0


# --- 2. a failed postcodes or boundaries load keeps its rejects ------------------------------------------------

def test_a_failed_postcodes_load_keeps_its_rejected_rows(tmp_path, db):
    bad = "postcode,lat,lon\nCB1 2AB,north,0.13\nCB1 3CD,52.2,east\n"
    with pytest.raises(FileProblem) as err:
        load_file("postcodes", write_text(tmp_path / "bad.csv", bad), db=db, source="Wrong")
    failed = scalar(db, "SELECT load_id FROM loads")
    assert str(err.value).startswith("bad.csv: all 2 row(s) were rejected, so nothing was loaded (row 2: ")
    assert str(err.value).endswith(f"; see the rejected rows: python -m etl rejects --load {failed}")
    assert query(db, "SELECT row_number, reason FROM rejects WHERE load_id = ? ORDER BY 1", [failed]) == [
        (2, "latitude 'north' is not a number"), (3, "longitude 'east' is not a number")]
    assert scalar(db, "SELECT count(*) FROM postcodes") == 0


def test_a_refused_boundaries_load_keeps_its_rejected_features(tmp_path, db):
    blank = '{"type": "Feature", "properties": {"LAD24CD": null, "LAD24NM": "Fenland"}, "geometry": {"type": ' \
            '"Polygon", "coordinates": [[[0.1, 52.6], [0.2, 52.6], [0.2, 52.7], [0.1, 52.7], [0.1, 52.6]]]}}'
    text = '{"type": "FeatureCollection", "features": [' + blank + "]}"
    with pytest.raises(FileProblem, match=r"\(1 rejected\).*rejects --load 1$"):
        load_file("boundaries", write_text(tmp_path / "b.geojson", text), db=db)
    assert query(db, "SELECT load_id, status FROM loads") == [(1, "failed")]
    assert "blank" in scalar(db, "SELECT reason FROM rejects WHERE load_id = 1")


# --- 3. a postcode is the lookup's that gave it last -------------------------------------------------------------

OLD_LOOKUP = "postcode,latitude,longitude\nPE13 1AA,52.6650,0.1600\nPE13 2ZZ,52.6700,0.1500\n"
NEW_LOOKUP = "postcode,latitude,longitude\nPE13 1AA,52.6650,0.1600\nPE13 3BB,52.6600,0.1550\n"


def test_removing_an_older_lookup_keeps_what_a_newer_one_gave_too(tmp_path, db):
    load_file("postcodes", write_text(tmp_path / "old.csv", OLD_LOOKUP), db=db, source="Old")
    new = load_file("postcodes", write_text(tmp_path / "new.csv", NEW_LOOKUP), db=db, source="New")
    assert (new.rows_loaded, new.rows_unchanged) == (1, 1)
    assert query(db, "SELECT postcode, source, load_id FROM postcodes ORDER BY 1") == [
        ("PE13 1AA", "New", new.load_id), ("PE13 2ZZ", "Old", 1), ("PE13 3BB", "New", new.load_id)]
    done = remove("postcodes", "Old", db=db)
    assert done.rows == 1
    assert query(db, "SELECT postcode FROM postcodes ORDER BY 1") == [("PE13 1AA",), ("PE13 3BB",)]


def test_removing_a_newer_lookup_names_the_earlier_one_which_then_loads_again(tmp_path, db):
    old = write_text(tmp_path / "old.csv", OLD_LOOKUP)
    load_file("postcodes", old, db=db, source="Old")
    load_file("postcodes", write_text(tmp_path / "new.csv", NEW_LOOKUP), db=db, source="New")
    done = remove("postcodes", "New", db=db)
    assert done.rows == 2 and any("load those lookups again" in n and "'Old'" in n for n in done.notes)
    assert query(db, "SELECT postcode FROM postcodes") == [("PE13 2ZZ",)]
    again = load_file("postcodes", old, db=db, source="Old")
    assert again.status == "loaded" and again.rows_loaded == 1
    assert query(db, "SELECT postcode, source FROM postcodes ORDER BY 1") == [("PE13 1AA", "Old"), ("PE13 2ZZ", "Old")]
    assert load_file("postcodes", old, db=db, source="Old").status == "already_loaded"


# --- 4. the licence matches follow a load that moves stored points ----------------------------------------------

LICENCE = ("Licence Number,Address,Postcode,Max Occupants,Licence Expiry Date\n"
           f'L2,"14 Lincoln Road, Wisbech",PE13 1AA,6,{day(300)}\n')
REPORT = f"Report Ref,Date Received,Address,Latitude,Longitude\nN1,{day(-4)},14 Lincoln Road,52.6650,0.1600\n"


def _matches(db) -> tuple[list, list]:
    """(kept, fresh): the licence of each report as kept by the loads, and as matching afresh gives it."""
    def read(con):
        address_matches.register(con)
        kept = con.execute("SELECT r.report_ref, m.licence_ref FROM reports r JOIN address_matches m USING (addr_id) "
                           "ORDER BY 1").fetchall()
        fresh = con.execute("SELECT r.report_ref, m.licence_ref FROM reports r JOIN address_match_rows(NULL) m "
                            "USING (addr_id) ORDER BY 1").fetchall()
        return kept, fresh
    return _read(db, read)


def test_a_postcodes_load_that_moves_a_licence_to_a_report_matches_them(tmp_path, db):
    far = "postcode,latitude,longitude\nPE13 1AA,52.5510,0.0880\n"      # 14 km off: no match
    load_file("postcodes", write_text(tmp_path / "far.csv", far), db=db, source="Lookup")
    load_file("hmo", write_text(tmp_path / "hmo.csv", LICENCE), db=db, source="Fenland")
    load_file("reports", write_text(tmp_path / "r.csv", REPORT), db=db, source="Police")
    assert _matches(db) == ([], [])
    near = "postcode,latitude,longitude\nPE13 1AA,52.6651,0.1601\n"     # the licence at the report's door
    load_file("postcodes", write_text(tmp_path / "near.csv", near), db=db, source="Lookup")
    assert _matches(db) == ([("N1", "L2")], [("N1", "L2")])


def test_a_boundaries_load_that_flags_or_clears_points_updates_the_matches(tmp_path, db):
    import geopandas as gpd
    from shapely.geometry import box

    def districts(name, x):
        """Fenland as a box around longitude x: 0.16 holds the licence and the report, 0.30 neither."""
        rows = [{"LAD24CD": "E07000010", "LAD24NM": "Fenland", "geometry": box(x - 0.02, 52.645, x + 0.02, 52.685)}]
        gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").to_file(tmp_path / name)
        return tmp_path / name

    load_file("postcodes", write_text(tmp_path / "pc.csv", LOOKUP), db=db, source="Lookup")
    load_file("hmo", write_text(tmp_path / "hmo.csv", LICENCE), db=db, source="Fenland")
    load_file("reports", write_text(tmp_path / "r.csv", REPORT), db=db, source="Police")
    assert _matches(db) == ([("N1", "L2")], [("N1", "L2")])
    load_file("boundaries", districts("beside.geojson", 0.30), db=db)     # both points now outside the area
    assert _matches(db) == ([], [])
    load_file("boundaries", districts("around.geojson", 0.16), db=db)
    assert _matches(db) == ([("N1", "L2")], [("N1", "L2")])


def test_rejects_a_killed_writer_kept_for_its_record_are_removed_by_the_next_load(tmp_path, db):
    """A writer killed between its failed load and the record of it leaves the rejects it saved (a file's raw
    rows) beside the warehouse: the next writer removes them, as it removes a killed writer's copy."""
    bad = "postcode,lat,lon\nCB1 2AB,north,0.13\n"
    with pytest.raises(FileProblem):
        load_file("postcodes", write_text(tmp_path / "bad.csv", bad), db=db, source="Wrong")
    assert not list(db.parent.glob(db.name + ".rejects-*"))          # its own are gone once recorded
    left = db.parent / f"{db.name}.rejects-999999-abc"
    left.mkdir()
    (left / "rejects.parquet").write_bytes(b"raw rows")
    load_file("postcodes", write_text(tmp_path / "good.csv", LOOKUP), db=db, source="Lookup")
    assert not left.exists()
