"""Planted clusters on a uniform background are found, and nothing else is (FDR holds)."""
from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from analysis import hotspots
from analysis.filters import Filters
from etl.loading import load_file
from etl.warehouse import Warehouse

TODAY = dt.date.today()
NATIONALITIES = ["Lithuanian", "Romanian", "Vietnamese"]
CLUSTERS = [(52.5736, -0.2430), (52.6664, 0.1596), (52.3310, -0.1840)]  # Peterborough, Wisbech, Huntingdon


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Background reports spread evenly over the area, plus three dense clusters.

    Half of each cluster's reports come by postcode only, geocoded through a lookup.
    """
    tmp = tmp_path_factory.mktemp("planted")
    rng = np.random.default_rng(5)
    rows, lookup = [], []
    for i in range(400):
        lat, lon = rng.uniform(52.05, 52.70), rng.uniform(-0.45, 0.45)
        day = TODAY - dt.timedelta(days=int(rng.integers(0, 80)))
        rows.append(f"B{i},{day},{i} Field Road,,{lat:.6f},{lon:.6f},British")
    for c, (lat, lon) in enumerate(CLUSTERS):
        postcode = f"PE{c + 1} 9Z{'ABC'[c]}"
        lookup.append(f"{postcode},{lat:.6f},{lon:.6f}")
        for j in range(30):
            day = TODAY - dt.timedelta(days=int(rng.integers(0, 80)))
            nationality = NATIONALITIES[c]
            if j % 2:
                rows.append(f"C{c}-{j},{day},{c + 1} Cluster Street,{postcode},,,{nationality}")
            else:
                jitter = rng.normal(0, 0.002, 2)
                rows.append(f"C{c}-{j},{day},{j} Cluster Street,,{lat + jitter[0]:.6f},{lon + jitter[1]:.6f},{nationality}")
    (tmp / "pc.csv").write_text("postcode,latitude,longitude\n" + "\n".join(lookup) + "\n")
    (tmp / "r.csv").write_text("Reference,Date,Address,Postcode,Latitude,Longitude,Nationalities\n" + "\n".join(rows) + "\n")
    db = tmp / "w.duckdb"
    load_file("postcodes", tmp / "pc.csv", db=db)
    load_file("reports", tmp / "r.csv", db=db)
    return db


def test_every_report_in_the_area_is_counted_once(planted):
    con = Warehouse(planted).connect_read_only()
    result = hotspots.compute(con, Filters.default())
    assert result.incidents + result.outside_area == 400 + 90
    assert result.cells["h3"].is_unique
    assert (result.cells["reports"] == 0).sum() > len(result.cells) / 2  # empty cells are in the area


def test_a_view_whose_reports_have_no_place_says_so_not_that_it_has_no_reports(tmp_path):
    """"Unknown district" alone holds the reports placed nowhere: the view has reports, none on the map."""
    from analysis.filters import NO_DISTRICT
    from tests.analysis_fixtures import POSTCODES, build_warehouse, day

    reports = "Ref,Date Received,Address,Postcode\n" + "".join(f"R{i},{day(-i)},{i} Mill Lane,ZZ9 9ZZ\n"
                                                                 for i in range(1, 4))
    con = Warehouse(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})).connect_read_only()
    result = hotspots.compute(con, Filters(TODAY - dt.timedelta(days=30), TODAY, districts=(NO_DISTRICT,)))
    assert result.incidents == 0
    assert result.warning == "No report in this view has a place on the map, so there are no hotspots to show."
    empty = hotspots.compute(con, Filters(dt.date(2019, 8, 1), dt.date(2019, 8, 31)))
    assert empty.warning == "No report falls in these filters (01 Aug 2019 to 31 Aug 2019), so there are no hotspots to show."


def test_finds_every_planted_cluster_and_no_noise(planted):
    con = Warehouse(planted).connect_read_only()
    cells = hotspots.compute(con, Filters.default(), resolution=8).cells
    hot = set(cells.loc[cells["gi_bin"] >= 2, "h3"])
    allowed = set()
    for lat, lon in CLUSTERS:
        centre = h3.latlng_to_cell(lat, lon, 8)
        assert centre in hot, "a planted cluster was missed"
        allowed |= set(h3.grid_disk(centre, 2))
    assert hot <= allowed, f"noise flagged: {sorted(hot - allowed)[:5]}"


def test_few_incidents_are_called_unreliable(planted):
    con = Warehouse(planted).connect_read_only()
    narrow = Filters(TODAY - dt.timedelta(days=2), TODAY)
    result = hotspots.compute(con, narrow)
    assert result.incidents < 30 and "unreliable" in result.warning


def test_top_priorities_are_the_planted_addresses_with_their_languages(planted):
    from analysis.visits import visit_list

    con = Warehouse(planted).connect_read_only()
    top = visit_list(con, Filters.default(), TODAY, limit=3)
    assert sorted(top["address"]) == ["1 Cluster Street", "2 Cluster Street", "3 Cluster Street"]
    expected = {"1 Cluster Street": "Lithuanian", "2 Cluster Street": "Romanian", "3 Cluster Street": "Vietnamese"}
    for address, languages in zip(top["address"], top["languages"]):
        assert languages.split(", ")[0] == f"{expected[address]} (at the address)"    # its own reports' first
    assert all("hotspot" in r for r in top["reasons"])


def test_density_is_computed_only_when_asked_and_changes_nothing_else(planted):
    con = Warehouse(planted).connect_read_only()
    plain = hotspots.compute(con, Filters.default())
    dense = hotspots.compute(con, Filters.default(), density=True)
    assert plain.cells["kde"].isna().all(), "not computed must read as NaN, never as a zero density"
    assert dense.cells["kde"].notna().all() and (dense.cells["kde"] > 0).any()
    pd.testing.assert_frame_equal(plain.cells.drop(columns="kde"), dense.cells.drop(columns="kde"))
    assert list(plain.cells.columns) == hotspots.COLUMNS
    assert ((plain.area_note, plain.incidents, plain.outside_area, plain.warning, plain.resolution)
            == (dense.area_note, dense.incidents, dense.outside_area, dense.warning, dense.resolution))


@pytest.mark.parametrize("boundaries", [False, True])
def test_without_the_trend_only_the_trend_is_missing(planted, tmp_path, monkeypatch, boundaries):
    """The visit list asks for Gi* bins alone. With boundaries that reads only the filter window; without
    them the area is drawn from the trend window's cells, as the map's is. Either way nothing but
    `trend` differs from the full answer."""
    import shutil

    from bench.etl_speed import write_boundaries

    db = planted
    if boundaries:
        db = tmp_path / "with_boundaries.duckdb"
        shutil.copyfile(planted, db)
        load_file("boundaries", write_boundaries(tmp_path / "districts.geojson"), db=db, source="Rectangles")
    widened = []
    real = hotspots._grouped
    monkeypatch.setattr(hotspots, "_grouped", lambda *a, **k: widened.append(a[5]) or real(*a, **k))
    con = Warehouse(db).connect_read_only()
    month = Filters(date_from=TODAY - dt.timedelta(days=29), date_to=TODAY)    # older reports are trend-only
    full = hotspots.compute(con, month)
    bins = hotspots.compute(con, month, trend=False)
    assert widened == [True, not boundaries]
    assert 0 < full.incidents < hotspots.compute(con, Filters.default()).incidents
    assert full.cells["trend"].notna().any() and bins.cells["trend"].isna().all()
    pd.testing.assert_frame_equal(full.cells.drop(columns="trend"), bins.cells.drop(columns="trend"))
    assert (full.incidents, full.outside_area, full.warning, full.area_note) == \
        (bins.incidents, bins.outside_area, bins.warning, bins.area_note)
    assert ("district boundaries" in full.area_note) == boundaries


@pytest.mark.parametrize("resolution", [7, 8, 9])
def test_without_boundaries_the_area_holds_every_report_cell(planted, resolution):
    con = Warehouse(planted).connect_read_only()
    result = hotspots.compute(con, Filters.default(), resolution=resolution)
    held = {format(c, "x") for (c,) in con.execute(f"""
        SELECT DISTINCT h3_{resolution} FROM reports
        WHERE lat IS NOT NULL AND location_flag IS NULL AND received_on >= ?""",
        [TODAY - dt.timedelta(days=400)]).fetchall()}
    assert held and held <= set(result.cells["h3"])
    assert result.outside_area == 0 and "hexagons plus 2 km" in result.area_note
    # The buffer is real: the area reaches past the outermost reports' cells.
    assert len(result.cells) > len(held) * 1.5


def test_hull_corners_leave_out_only_cells_inside_the_hull():
    from analysis import study_area

    rng = np.random.default_rng(3)
    centres = [h3.latlng_to_cell(lat, lon, 9) for lat, lon in zip(rng.uniform(52.0, 52.8, 300),
                                                                  rng.uniform(-0.5, 0.5, 300))]
    cells = np.array([int(c, 16) for centre in centres for c in h3.grid_disk(centre, 3)], dtype=np.uint64)
    every = shapely.MultiPoint(np.column_stack(study_area.hull_corners(cells, every_below=10 ** 9))).convex_hull
    lat, lon = study_area.hull_corners(cells, every_below=0)
    assert len(lat) < len(np.unique(cells)) * 6 / 4, "most cells lie inside: their corners are not needed"
    assert shapely.MultiPoint(np.column_stack([lat, lon])).convex_hull.equals(every)


def test_the_hull_area_is_remembered_by_its_cells_and_never_reused_for_other_cells(tmp_path):
    """Without boundaries the area is drawn from the report cells: the same cells give the remembered
    area, other cells a fresh one (the one drawing from scratch gives)."""
    import duckdb

    from analysis import study_area
    from etl.loading import prepare
    from etl.warehouse import load_spatial

    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    load_spatial(con)
    prepare(con)   # no boundaries loaded
    near = np.array([int(c, 16) for c in h3.grid_disk(h3.latlng_to_cell(52.57, -0.24, 8), 2)], dtype=np.uint64)
    far = np.array([int(c, 16) for c in h3.grid_disk(h3.latlng_to_cell(52.20, 0.12, 8), 2)], dtype=np.uint64)
    study_area._AREA_CACHE.clear()
    first, _ = study_area.study_area_cells(con, 8, near)
    again, _ = study_area.study_area_cells(con, 8, near[::-1])     # the same set, in another order
    other, _ = study_area.study_area_cells(con, 8, far)
    study_area._AREA_CACHE.clear()
    fresh_other, _ = study_area.study_area_cells(con, 8, far)
    assert list(first) == list(again)
    assert list(other) == list(fresh_other) and set(other) != set(first)
    first[:] = "changed"   # a caller changing its copy does not change the remembered area
    assert list(study_area.study_area_cells(con, 8, near)[0]) == list(again)


def test_with_boundaries_the_area_follows_the_district_filter(planted, tmp_path):
    """With one district chosen, Gi* compares its cells with that district alone: the answer is the one a
    warehouse holding only that district's boundary gives. The other districts' cells, empty only because
    the filter hides their reports, are not in the area to lower its mean."""
    import json
    import shutil

    from bench.etl_speed import write_boundaries

    every = write_boundaries(tmp_path / "districts.geojson")
    chosen, collection, answers = None, json.loads(every.read_text()), {}
    for name in ("all six", "only the chosen"):
        db = tmp_path / f"{len(answers)}.duckdb"
        shutil.copyfile(planted, db)
        if chosen:
            collection["features"] = [x for x in collection["features"] if x["properties"]["LAD24CD"] == chosen]
        (tmp_path / f"{len(answers)}.geojson").write_text(json.dumps(collection))
        load_file("boundaries", tmp_path / f"{len(answers)}.geojson", db=db, source="Rectangles")
        con = Warehouse(db).connect_read_only()
        chosen = chosen or con.execute("SELECT mode(district_code) FROM reports WHERE report_ref LIKE 'C0-%'").fetchone()[0]
        answers[name] = (hotspots.compute(con, replace_districts(chosen)), hotspots.compute(con, Filters.default()))
    (one, whole), (alone, _) = answers["all six"], answers["only the chosen"]
    assert len(one.cells) < len(whole.cells) / 3, "the area is the chosen district's, not the six's"
    pd.testing.assert_frame_equal(one.cells, alone.cells)
    assert (one.incidents, one.outside_area) == (alone.incidents, alone.outside_area) and one.incidents >= 30
    assert one.cells["gi_bin"].gt(0).any()
    name = collection["features"][0]["properties"]["LAD24NM"]
    assert one.area_note == f"the loaded boundaries of the districts chosen: {name}"
    assert whole.area_note == "the loaded district boundaries"


def replace_districts(code: str) -> Filters:
    from dataclasses import replace

    return replace(Filters.default(), districts=(code,))
