"""Emerging hot spots: Gi* per period, then a Mann–Kendall trend test per cell.

Follows the categories of ArcGIS's Emerging Hot Spot Analysis, restricted to the five a
tactical lead needs:

- new: hot in the final period and never before;
- intensifying: hot in at least 90% of periods including the final one, and getting hotter;
- persistent: hot in at least 90% of periods, with no significant trend;
- diminishing: hot in at least 90% of periods including the final one, and cooling;
- sporadic: hot in the final period, on and off before, never significantly cold.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse, stats

from analysis.gistar import benjamini_hochberg, gi_star_z


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mann–Kendall z and two-sided p for each row of `series` (cells × periods), ties ignored."""
    x = np.asarray(series, dtype=float)
    n = x.shape[1]
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    variance = n * (n - 1) * (2 * n + 5) / 18.0
    z = np.where(s > 0, (s - 1) / np.sqrt(variance), np.where(s < 0, (s + 1) / np.sqrt(variance), 0.0))
    return z, 2 * stats.norm.sf(np.abs(z))


def classify(counts: np.ndarray, w: sparse.csr_matrix, alpha: float = 0.05, persistent_share: float = 0.9,
             mk_alpha: float = 0.05) -> np.ndarray:
    """One label per cell (or None) from its counts per period (cells × periods, oldest first)."""
    z = gi_star_z(counts, w)
    p = 2 * stats.norm.sf(np.abs(z))
    significant = np.column_stack([benjamini_hochberg(p[:, t], alpha) for t in range(z.shape[1])])
    hot = significant & (z > 0)
    cold = significant & (z < 0)
    periods = z.shape[1]
    hot_share = hot.sum(axis=1) / periods
    final_hot = hot[:, -1]
    trend_z, trend_p = mann_kendall(z)
    rising = (trend_p < mk_alpha) & (trend_z > 0)
    falling = (trend_p < mk_alpha) & (trend_z < 0)
    mostly_hot = hot_share >= persistent_share
    labels = np.full(len(z), None, dtype=object)
    labels[final_hot & ~cold.any(axis=1)] = "sporadic"
    labels[final_hot & (hot[:, :-1].sum(axis=1) == 0)] = "new"
    labels[mostly_hot & final_hot] = "persistent"
    labels[mostly_hot & ~final_hot & ~falling] = "persistent"
    labels[mostly_hot & final_hot & rising] = "intensifying"
    labels[mostly_hot & final_hot & falling] = "diminishing"
    return labels
