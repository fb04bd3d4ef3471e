"""`etl export hotspots|priorities`: formats by extension, the dashboard's filters, safe spreadsheets."""
from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from tests.analysis_fixtures import POSTCODES, build_warehouse, day, demo_db  # noqa: F401 (fixture)


def export(*args):
    return subprocess.run([sys.executable, "-m", "etl", "export", *args], capture_output=True, text=True)


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_hotspots_one_row_per_cell(demo_db, tmp_path, suffix):  # noqa: F811
    out = tmp_path / f"hot{suffix}"
    r = export("hotspots", "--db", str(demo_db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    frame = pd.read_csv(out) if suffix == ".csv" else gpd.read_file(out)
    assert list(frame.columns[:6]) == ["h3", "reports", "gi_z", "gi_p", "gi_bin", "trend"]
    assert frame["h3"].is_unique and frame["gi_bin"].between(-3, 3).all()
    assert f"wrote {len(frame):,} cells" in r.stdout and "warning" not in r.stdout  # the demo has enough reports
    if suffix != ".csv":
        assert frame.crs.to_epsg() == 4326 and frame.geometry.geom_type.eq("Polygon").all()


def test_priorities_take_the_filters(demo_db, tmp_path):  # noqa: F811
    everything, fenland = tmp_path / "all.csv", tmp_path / "fenland.xlsx"
    assert export("priorities", "--db", str(demo_db), "--out", str(everything)).returncode == 0
    r = export("priorities", "--db", str(demo_db), "--out", str(fenland), "--district", "Fenland",
               "--from", "2020-01-01")
    assert r.returncode == 0, r.stderr
    all_rows = pd.read_csv(everything, encoding="utf-8-sig")
    assert list(all_rows.columns) == ["rank", "address", "postcode", "lat", "lon", "score", "reasons", "languages",
                                      "last_visit", "last_outcome"]
    assert all_rows["rank"].tolist() == list(range(1, len(all_rows) + 1))
    assert all_rows["score"].is_monotonic_decreasing
    assert all_rows["last_outcome"].isna().all()
    ws = openpyxl.load_workbook(fenland).active
    assert ws.max_row - 1 < len(all_rows)


def test_priorities_take_recorded_outcomes_into_account(demo_db, tmp_path):  # noqa: F811
    import datetime as dt

    from operations.store import OperationsStore, Outcome

    before = tmp_path / "before.csv"
    assert export("priorities", "--db", str(demo_db), "--out", str(before)).returncode == 0
    top = pd.read_csv(before, encoding="utf-8-sig").iloc[0]
    OperationsStore().record(Outcome(visited_on=dt.date.today(), address_key="A|?|", address=top["address"],
                                     postcode=top["postcode"], outcome="no_concerns"), "lead")  # $HOTSPOTS_OPERATIONS
    after = tmp_path / "after.csv"
    assert export("priorities", "--db", str(demo_db), "--out", str(after)).returncode == 0
    row = pd.read_csv(after, encoding="utf-8-sig").set_index("address").loc[top["address"]]
    # in the dashboard's words, not the stored code "no_concerns"
    assert row["last_outcome"] == "No concerns" and row["rank"] > 1


def test_priority_geojson_and_bad_extension(demo_db, tmp_path):  # noqa: F811
    out = tmp_path / "p.geojson"
    assert export("priorities", "--db", str(demo_db), "--out", str(out)).returncode == 0
    features = json.loads(out.read_text())["features"]
    assert features[0]["properties"]["rank"] == 1 and features[0]["geometry"]["type"] == "Point"
    r = export("priorities", "--db", str(demo_db), "--out", str(tmp_path / "p.gpkg"))
    assert r.returncode == 2 and "use one of .csv, .geojson, .json, .xlsx" in r.stderr


def test_formulas_in_addresses_are_neutralised(tmp_path):
    reports = ("Reference,Date Received,Address,Postcode,Latitude,Longitude\n"
               f"R1,{day(-3)},\"=HYPERLINK(\"\"http://x\"\")\",PE13 1AA,52.665,0.16\n"
               f"R2,{day(-4)},@SUM(A1),PE13 1AA,52.665,0.16\n")
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})
    out = tmp_path / "p.csv"
    assert export("priorities", "--db", str(db), "--out", str(out)).returncode == 0
    addresses = set(pd.read_csv(out, encoding="utf-8-sig")["address"])
    assert addresses == {"'=HYPERLINK(\"http://x\")", "'@SUM(A1)"}


def test_a_hotspot_export_from_too_few_reports_says_so(tmp_path):
    """The map calls Gi* on fewer than 30 reports unreliable; the export printed its hot cells without a word."""
    reports = ("Report Ref,Date Received,Postcode\n"
               + "".join(f"R{i},{day(-3 - i)},PE13 2ZZ\n" for i in range(3)))
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})
    r = export("hotspots", "--db", str(db), "--out", str(tmp_path / "h.csv"))
    assert r.returncode == 0, r.stderr
    assert "warning: Only 3 reports in this view: fewer than 30, so the hotspot statistics are unreliable" in r.stdout


def test_unknown_district_is_a_clear_error(demo_db, tmp_path):  # noqa: F811
    r = export("hotspots", "--db", str(demo_db), "--out", str(tmp_path / "x.csv"), "--district", "Narnia")
    assert r.returncode == 2 and "unknown district 'Narnia'" in r.stderr


def test_the_unknown_district_is_a_district_to_export(tmp_path):
    """The dashboard offers "Unknown district" (rows placed in no district); `--district unknown` was refused."""
    reports = ("Report Ref,Date Received,Address,Postcode\n"
               f"R1,{day(-3)},1 Mill Lane,PE13 1AA\nR2,{day(-4)},2 Nowhere Road,ZZ9 9ZZ\n")
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})
    for name in ("unknown", "Unknown district"):
        out = tmp_path / "unknown.csv"
        r = export("priorities", "--db", str(db), "--out", str(out), "--district", name)
        assert r.returncode == 0, r.stderr
        assert pd.read_csv(out, encoding="utf-8-sig")["address"].tolist() == ["2 Nowhere Road"], name
    everything = tmp_path / "all.csv"
    assert export("priorities", "--db", str(db), "--out", str(everything)).returncode == 0
    assert len(pd.read_csv(everything, encoding="utf-8-sig")) == 2
    helped = export("priorities", "--help")
    assert "'unknown' for rows placed in no district" in " ".join(helped.stdout.split())


def test_an_empty_priority_export_says_why(tmp_path):
    """police.uk's data alone names no door: "wrote 0 addresses" must not read as nothing to visit."""
    import datetime as dt

    month = dt.date.today().strftime("%Y-%m")
    police_uk = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
                 "Last outcome category,Context\n"
                 f"abc1,{month},Cambridgeshire Constabulary,Cambridgeshire Constabulary,0.16,52.665,On or near High St,"
                 "E01018000,Fenland 001A,Other crime,Under investigation,\n")
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": police_uk})
    r = export("priorities", "--db", str(db), "--out", str(tmp_path / "p.csv"))
    assert r.returncode == 0, r.stderr
    assert "wrote 0 addresses" in r.stdout and "1 of the 1 reports in these filters" in r.stdout
    assert "name no address to visit" in r.stdout
    r = export("priorities", "--db", str(db), "--out", str(tmp_path / "q.csv"), "--from", "2001-01-01",
               "--to", "2001-02-01")
    assert "no report falls in these filters (01 Jan 2001 to 01 Feb 2001)" in r.stdout
