"""Emerging-trend categories and the quartic kernel, on cases small enough to check by hand."""
from __future__ import annotations

import h3
import numpy as np
import pytest

from analysis.gistar import neighbour_weights
from analysis.kde import quartic_density
from analysis.trends import classify, mann_kendall


def test_mann_kendall_on_monotone_and_flat_series():
    z, p = mann_kendall(np.array([np.arange(12.0), -np.arange(12.0), np.ones(12)]))
    assert z[0] > 3 and p[0] < 0.01
    assert z[1] < -3 and p[1] < 0.01
    assert z[2] == 0 and p[2] == 1


def _grid():
    cells = np.array(sorted(h3.grid_disk(h3.latlng_to_cell(52.4, 0.0, 8), 10)), dtype=object)
    return cells, neighbour_weights(cells, 1), {c: i for i, c in enumerate(cells)}


def _with_background(n_cells, periods, rng):
    return rng.poisson(1.0, (n_cells, periods)).astype(float)


@pytest.mark.parametrize("shape,expected", [
    ("new", "new"), ("rising", "intensifying"), ("steady", "persistent"), ("falling", "diminishing"),
    ("on_off", "sporadic"),
])
def test_categories(shape, expected):
    cells, w, index = _grid()
    rng = np.random.default_rng(2)
    counts = _with_background(len(cells), 12, rng)  # a busy area: Gi* z then follows the cell's own count
    target = index[cells[len(cells) // 2]]
    series = {"new": [0] * 11 + [15], "rising": [8 + 3 * t for t in range(12)], "steady": [15] * 12,
              "falling": [50 - 3 * t for t in range(12)], "on_off": [15, 0, 0, 15, 0, 15, 0, 0, 15, 0, 0, 15]}[shape]
    for cell in h3.grid_disk(cells[target], 1):  # a hotspot is a neighbourhood, not one cell
        counts[index[cell]] = series
    labels = classify(counts, w)
    assert labels[target] == expected


def test_quartic_kernel_integrates_to_the_number_of_points():
    # a fine grid of evaluation points around two reports: density (per km²) × cell area sums to ~2
    lat0, lon0 = 52.4, 0.0
    dlat, dlon = 0.0005, 0.0008
    lats, lons = np.meshgrid(np.arange(-60, 61) * dlat + lat0, np.arange(-60, 61) * dlon + lon0, indexing="ij")
    density = quartic_density(lats.ravel(), lons.ravel(), np.array([lat0, lat0 + 0.003]), np.array([lon0, lon0]), 800)
    cell_km2 = (dlat * 111.2) * (dlon * 111.2 * np.cos(np.radians(lat0)))
    assert density.sum() * cell_km2 == pytest.approx(2, rel=0.03)
    assert density.max() == pytest.approx(2 * 3 / (np.pi * 0.8 ** 2), rel=0.25)


def test_density_of_several_sets_of_points_is_the_sum_of_theirs():
    """The backtest adds up monthly densities instead of recomputing each training window's."""
    from scipy.spatial import cKDTree

    from analysis import kde

    rng = np.random.default_rng(1)
    cell_lat, cell_lon = rng.uniform(52.0, 52.3, 200), rng.uniform(-0.4, 0.0, 200)
    lat, lon, n = rng.uniform(52.0, 52.3, 3000), rng.uniform(-0.4, 0.0, 3000), rng.integers(1, 4, 3000)
    whole = quartic_density(cell_lat, cell_lon, lat, lon, 1000, weights=n)
    tree, xy = cKDTree(kde.to_bng(cell_lat, cell_lon)), kde.to_bng(lat, lon)
    parts = sum(kde.density_at(tree, xy[i::3], 1000, weights=n[i::3]) for i in range(3))
    assert (whole > 0).sum() > 100
    np.testing.assert_allclose(parts, whole, rtol=1e-12)
    assert not kde.density_at(tree, xy[:0], 1000).any()
