"""The map's payload stays bounded: markers capped in the warehouse (the rest counted per area), report
points only when asked for or few, the kernel density layer only when asked for."""
from __future__ import annotations

import h3
import pandas as pd

from analysis import addresses, map_layers as ml
from analysis.filters import Filters
from dashboard import map_render
from tests.analysis_fixtures import TODAY, demo_con, demo_db  # noqa: F401 - fixtures

F90 = Filters.default(TODAY)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values only: every missing value as None, whatever the column's dtype."""
    return frame.astype(object).where(frame.notna(), None)


def test_marker_layer_is_the_capped_marker_list_and_counts_the_rest(demo_con):  # noqa: F811
    """Capped anywhere (inside each status, and at each boundary between statuses), the layer draws the
    first markers of the full list and counts each undrawn one in its res-7 cell."""
    full = ml.hmo_markers(demo_con, F90, TODAY)
    ends = full["status"].map({s: i for i, s in enumerate(ml.MARKER_PRIORITY)}).value_counts().sort_index().cumsum()
    assert len(ends) == len(ml.MARKER_PRIORITY), "the demo has markers of every status"
    limits = sorted({max(n + d, 1) for n in ends for d in (-1, 0, 1)} | {10, len(full) + 5})
    for limit in limits:
        layer = ml.hmo_marker_layer(demo_con, F90, TODAY, limit=limit)
        want, total = map_render.cap_licences(full, limit)
        pd.testing.assert_frame_equal(_plain(layer.markers), _plain(want.reset_index(drop=True)[ml.MARKER_COLUMNS]))
        assert layer.total == total == len(full)
        ordered = full.iloc[map_render.cap_licences(full.assign(_i=range(len(full))), len(full))[0]["_i"]]
        undrawn = ordered.iloc[limit:]
        cells = pd.Series([h3.latlng_to_cell(a, b, ml.REST_RESOLUTION) for a, b in zip(undrawn["lat"], undrawn["lon"])],
                          dtype=object).value_counts()
        assert dict(zip(layer.rest["h3"], layer.rest["markers"])) == dict(cells), limit
        assert layer.rest["h3"].is_unique and list(layer.rest.columns) == ["h3", "lat", "lon", "markers"]


def test_possible_unlicensed_markers_come_newest_report_first(demo_con):  # noqa: F811
    """When the cap bites, the possible unlicensed HMOs drawn are those reported most recently."""
    sql, params = addresses.possible_unlicensed(demo_con, F90)
    pu = demo_con.execute(f"SELECT address, last_report, addr_id FROM ({sql}) WHERE pos IS NOT NULL", params).df()
    want = pu.sort_values(["last_report", "addr_id"], ascending=[False, True])["address"].tolist()
    full = ml.hmo_markers(demo_con, F90, TODAY)
    assert full[full["status"] == "possible_unlicensed"]["address"].tolist() == want
    assert pu["last_report"].nunique() > 3
    layer = ml.hmo_marker_layer(demo_con, F90, TODAY, limit=3)
    assert layer.markers["address"].tolist() == want[:3]


def test_report_points_limit_keeps_the_newest(demo_con):  # noqa: F811
    full = ml.report_points(demo_con, F90)
    some = ml.report_points(demo_con, F90, limit=25)
    assert len(some) == 25
    assert some["report_ref"].tolist() == full["report_ref"].head(25).tolist()


def test_rest_counts_are_drawn_and_the_kernel_layer_only_when_asked():
    hot = pd.DataFrame({"h3": ["8819429a9dfffff"], "reports": [3], "gi_z": [3.0], "gi_p": [0.001], "gi_bin": [3],
                        "trend": [None], "kde": [1.5], "lat": [52.2], "lon": [0.1]})
    rest = pd.DataFrame({"h3": ["8719429a9ffffff"], "lat": [52.2], "lon": [0.12], "markers": [1234]})
    data = map_render.MapData(hotspots=hot, hmo_rest=rest, kde=False)
    html = map_render.render_html(map_render.build_map(data, map_render.Tiles("none")))
    assert "more HMO" in html and "possibly unlicensed" in html and "1234" in html
    assert map_render.LAYER_NAMES["kde"] not in html and map_render.LAYER_NAMES["hotspots"] in html
    data.kde = True
    assert map_render.LAYER_NAMES["kde"] in map_render.render_html(map_render.build_map(data, map_render.Tiles("none")))
