"""Kernel density as an alternative hotspot surface: a quartic kernel with a bandwidth in metres.

Distances are taken in British National Grid, where a metre is a metre; evaluating at H3
cell centres keeps the surface on the same cells as the other layers.
"""
from __future__ import annotations

import numpy as np
from pyproj import Transformer
from scipy.spatial import cKDTree

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)


def quartic_density(cell_lat: np.ndarray, cell_lon: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                    bandwidth_m: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Reports per km² around each cell centre: sum of 3/(pi h²) (1 - d²/h²)² over reports within h.

    `weights` counts the reports at each point (distinct points with counts give the same surface).
    """
    if len(lat) == 0 or len(cell_lat) == 0:
        return np.zeros(len(cell_lat))
    return density_at(cKDTree(to_bng(cell_lat, cell_lon)), to_bng(lat, lon), bandwidth_m, weights)


def to_bng(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points as (x, y) rows in British National Grid metres."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def density_at(cells: cKDTree, points_xy: np.ndarray, bandwidth_m: float,
               weights: np.ndarray | None = None) -> np.ndarray:
    """`quartic_density` from points and cell centres already in BNG (the centres as a KD-tree).

    For a caller that evaluates many sets of points on the same cells (the backtest): each
    projection and tree is then made once. The density is linear in the weights, so the density
    of several sets of points together is the sum of their densities.
    """
    if len(points_xy) == 0 or cells.n == 0:
        return np.zeros(cells.n)
    distances = cells.sparse_distance_matrix(cKDTree(points_xy), bandwidth_m, output_type="coo_matrix")
    u2 = (distances.data / bandwidth_m) ** 2
    kernel = 3.0 / (np.pi * bandwidth_m ** 2) * (1 - u2) ** 2
    if weights is not None:
        kernel = kernel * np.asarray(weights, dtype=float)[distances.col]
    return np.bincount(distances.row, weights=kernel, minlength=cells.n) * 1e6
