"""The kernel density layer has colours of its own: a dense area must not read as a hot spot.

It ran in oranges, the hot spots' own hues (its #fd8d3c and the 95% hot spot's #ef8a62 were 2 apart in CIELAB
to a tritanope), so turning the layer on painted what looked like hot spots. Its greens now stay apart from
the hot and cold spots, the grey report counts and the purple victim-case areas, measured as seen by normal
eyes and by each kind of colour blindness (the measure of tests/test_map_colours.py), and the map's key
draws the same greens."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import map_render
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.helpers import dashboard_on
from tests.test_map_colours import APART, VISION, _lab, _linear, _seen_apart
from tests.test_visit_plans_dashboard import APP, PASSWORD

OTHER_AREAS = {**{f"hot spot class {k}": c for k, c in map_render.HOTSPOT_COLOURS.items()},
               **{f"report count {c}": c for c in map_render.HEX_COLOURS}, "victim cases": map_render.CASE_COLOUR}


def test_the_density_palette_shares_no_colour_with_the_other_areas():
    density = {c.lower() for c in map_render.KDE_COLOURS}
    assert len(density) == len(map_render.KDE_COLOURS)
    assert not density & {c.lower() for c in OTHER_AREAS.values()}


@pytest.mark.parametrize("vision", VISION)
def test_every_density_class_looks_apart_from_hot_spots_counts_and_cases(vision):
    closest = min((_seen_apart(k, c, VISION[vision]), k, name) for k in map_render.KDE_COLOURS
                  for name, c in OTHER_AREAS.items())
    assert closest[0] > APART, f"density {closest[1]} and the {closest[2]} look alike to {vision} vision"


def test_the_density_runs_light_to_dark_as_the_key_says():
    lightness = [_lab(_linear(c))[0] for c in map_render.KDE_COLOURS]
    assert lightness == sorted(lightness, reverse=True)


def test_the_density_hexagons_are_drawn_in_the_density_palette():
    cells = pd.DataFrame({"h3": ["882a100d25fffff", "882a100d21fffff", "882a100d23fffff", "882a100d27fffff",
                                 "882a100d2bfffff"], "kde": [1.0, 2.0, 3.0, 4.0, 5.0]})
    features = map_render.kde_features(cells)["features"]
    by_density = dict(zip(cells["h3"], cells["kde"]))
    colours = [f["properties"]["colour"] for f in sorted(features, key=lambda f: by_density[f["properties"]["h3"]])]
    assert colours == map_render.KDE_COLOURS       # least dense lightest


def test_the_maps_key_shows_the_density_greens(demo_db, tmp_path, monkeypatch):  # noqa: F811
    dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="signin_name").input("lead")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    at.checkbox(key="map_kde").check().run()
    assert not at.exception, at.exception
    [row] = [m.value for m in at.markdown if "Report density (kernel): where" in m.value]
    line = next(part for part in row.split('<div style="margin:2px 0">') if "Report density (kernel)" in part)
    chips = re.findall(r"background:(#[0-9a-fA-F]{6})", line)
    assert chips == map_render.KDE_COLOURS
    key_spots = {c for c in re.findall(r"background:(#[0-9a-fA-F]{6})", row)} & set(map_render.HOTSPOT_COLOURS.values())
    assert key_spots   # the key draws the hot spots too: the density's chips must look unlike them
    assert min(_seen_apart(k, s, v) for k in chips for s in key_spots for v in VISION.values()) > APART
