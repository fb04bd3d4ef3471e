"""The demo's schematic district outlines: six shapes that tile the area and agree with the demo's postcodes."""
from __future__ import annotations

import csv
import datetime as dt
import itertools
import json

import pytest
import shapely
from shapely.geometry import Point, shape

from etl import vocab
from etl.demo import generate
from etl.demo.generate import table
from etl.demo.outlines import district_outlines


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return {f.kind: f for f in generate(out, seed=42, scale=1, today=dt.date(2025, 6, 1))}


@pytest.fixture(scope="module")
def outlines(files) -> dict[str, shapely.Geometry]:
    features = json.loads(files["boundaries"].path.read_text())["features"]
    return {f["properties"]["LAD24CD"]: shape(f["geometry"]) for f in features}


def test_one_valid_outline_per_district_named_as_the_ons_file_names_them(outlines):
    assert set(outlines) == set(vocab.area_districts())
    assert all(s.is_valid and not s.is_empty and s.geom_type == "Polygon" for s in outlines.values())


def test_outlines_do_not_overlap_and_leave_no_gap_between_them(outlines):
    for a, b in itertools.combinations(outlines.values(), 2):
        assert a.intersection(b).area < 1e-9
    union = shapely.union_all(list(outlines.values()))
    assert union.geom_type == "Polygon" and len(union.interiors) == 0


def test_every_demo_postcode_lies_in_its_own_districts_outline(files, outlines):
    """A point loaded by its postcode, or by coordinates near it, gets the same district either way."""
    with open(files["postcodes"].path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    wrong = [r["postcode"] for r in rows
             if not outlines[r["lad_code"]].contains(Point(float(r["longitude"]), float(r["latitude"])))]
    assert wrong == []


def test_each_town_is_inside_its_district_and_a_wider_margin_gives_more_land():
    places, names = table("places"), vocab.area_districts()
    narrow = district_outlines(places["towns"], names, 5)
    wide = district_outlines(places["towns"], names, 15)
    for town in places["towns"].values():
        lat, lon = town["centre"]
        assert narrow[town["lad"]].contains(Point(lon, lat))
    assert all(wide[c].area > narrow[c].area for c in names)
