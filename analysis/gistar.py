"""Getis-Ord Gi* hot spot statistic on H3 cells, with Benjamini–Hochberg FDR and ArcGIS-style bins.

Gi* (Getis & Ord 1992; Ord & Getis 1995) compares the sum of counts in a cell's neighbourhood
(the cell itself included) with what the whole study area would give a neighbourhood of that size:

    z_i = (sum_j w_ij x_j - mean(x) W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1)))

with binary weights w_ij (1 for the cell and its neighbours within k rings), W_i = sum_j w_ij,
S1_i = sum_j w_ij^2 (= W_i for binary weights) and S the population standard deviation of x.
This is what PySAL's `esda.G_Local(y, w, star=True, transform="B")` computes as `Zs`.

The z-scores assume a roughly normal sampling distribution, which fails with very few
incidents: below about 30 the map should say so rather than look confident.

Everything is vectorised over sparse matrices; there is no Python loop per cell.
"""
from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
from scipy import sparse, stats
from scipy.spatial import cKDTree

# ArcGIS Gi_Bin: ±3 at 99%, ±2 at 95%, ±1 at 90% confidence.
BIN_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))


@dataclass
class GiStarResult:
    z: np.ndarray            # z-score per cell
    p: np.ndarray            # two-sided p-value per cell
    gi_bin: np.ndarray       # -3..3 after FDR correction


def neighbour_weights(cells: list[str] | np.ndarray, k: int = 1,
                      latlng: np.ndarray | None = None) -> sparse.csr_matrix:
    """Binary weights: 1 between each cell and every cell of the list within k rings (itself included).

    Neighbours are found by distance between cell centres, which for cells of one resolution
    picks exactly the k-ring: ring k lies within k*d of a centre and ring k+1 beyond
    (k+1)*d*sqrt(3)/2, where d is the distance between adjacent centres. `latlng` (n × 2) may
    pass the centres a caller already has, saving one h3 call per cell.
    """
    cells = np.asarray(cells)
    n = len(cells)
    if n == 0:
        return sparse.csr_matrix((0, 0))
    resolution = h3.get_resolution(str(cells[0]))
    if latlng is None:
        latlng = np.array([h3.cell_to_latlng(str(c)) for c in cells])  # vectorised h3 has no batch call
    latlng = np.asarray(latlng, dtype=float)
    xyz = _unit_vectors(latlng[:, 0], latlng[:, 1])
    adjacent = np.sqrt(3) * h3.average_hexagon_edge_length(resolution, "km") / 6371.0088
    radius = (k + 0.35) * adjacent
    pairs = cKDTree(xyz).query_pairs(r=2 * np.sin(radius / 2), output_type="ndarray")
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def gi_star_z(y: np.ndarray, w: sparse.csr_matrix) -> np.ndarray:
    """Analytical Gi* z-scores for counts `y` under binary weights `w` (self-weights included).

    `y` may be a matrix with one column per period: each column is scored on its own.
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    mean = y.mean(axis=0)
    s = np.sqrt(np.maximum((y ** 2).mean(axis=0) - mean ** 2, 0))
    weight_sum = np.asarray(w.sum(axis=1)).ravel()
    squares_sum = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    spread = np.sqrt((n * squares_sum - weight_sum ** 2) / (n - 1))
    if y.ndim == 2:
        weight_sum, spread = weight_sum[:, None], spread[:, None]
    numerator = w @ y - mean * weight_sum
    denominator = s * spread
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, 0.0)


def benjamini_hochberg(p: np.ndarray, alpha: float) -> np.ndarray:
    """Which p-values survive a false discovery rate of `alpha`."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    thresholds = alpha * np.arange(1, m + 1) / m
    passed = p[order] <= thresholds
    cutoff = np.max(np.nonzero(passed)[0]) + 1 if passed.any() else 0
    reject = np.zeros(m, dtype=bool)
    reject[order[:cutoff]] = True
    return reject


def gi_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS's Gi_Bin after FDR correction: the highest confidence level whose BH test the cell passes."""
    bins = np.zeros(len(z), dtype=int)
    for level, alpha in reversed(BIN_LEVELS):
        bins = np.where(benjamini_hochberg(p, alpha), level, bins)
    return (bins * np.sign(z)).astype(int)


def gi_star(y: np.ndarray, w: sparse.csr_matrix) -> GiStarResult:
    """Gi* z and p per cell and ArcGIS's bins: the map and the visit list name a hotspot by its confidence level
    (90, 95 or 99%), so the bins are fixed levels, each FDR-corrected, not one chosen alpha."""
    z = gi_star_z(y, w)
    p = 2 * stats.norm.sf(np.abs(z))
    return GiStarResult(z=z, p=p, gi_bin=gi_bins(z, p))
