"""Gi* matches PySAL's reference implementation, and the weights are exactly the H3 k-rings."""
from __future__ import annotations

import h3
import numpy as np
import pytest

from analysis.gistar import benjamini_hochberg, gi_star, gi_star_z, neighbour_weights


def _study_area(resolution=8, rings=12):
    centre = h3.latlng_to_cell(52.57, -0.24, resolution)
    return sorted(h3.grid_disk(centre, rings))


@pytest.mark.parametrize("k", [1, 2])
def test_weights_are_the_h3_k_ring_within_the_study_area(k):
    cells = _study_area()[:300]  # a ragged edge: some neighbours fall outside
    w = neighbour_weights(cells, k=k).tocsr()
    index = {c: i for i, c in enumerate(cells)}
    for i, cell in enumerate(cells):
        expected = sorted(index[c] for c in h3.grid_disk(cell, k) if c in index)
        assert sorted(w.indices[w.indptr[i]:w.indptr[i + 1]]) == expected


def test_z_scores_equal_esda_g_local_star_binary():
    esda = pytest.importorskip("esda")
    from libpysal.weights import WSP

    cells = _study_area()
    rng = np.random.default_rng(3)
    y = rng.poisson(0.4, len(cells)).astype(float)
    y[:5] += 9
    w = neighbour_weights(cells, k=1)
    # esda adds the self-weight itself for star=True, so give it the weights without the diagonal
    off_diagonal = w.tolil()
    off_diagonal.setdiag(0)
    reference = esda.G_Local(y, WSP(off_diagonal.tocsr()).to_W(silence_warnings=True), star=True,
                             transform="B", permutations=0)
    np.testing.assert_allclose(gi_star_z(y, w), reference.Zs, rtol=0, atol=1e-9)


def test_planted_cluster_is_hot_and_noise_is_not():
    cells = _study_area(rings=20)
    rng = np.random.default_rng(11)
    y = rng.poisson(0.2, len(cells)).astype(float)
    index = {c: i for i, c in enumerate(cells)}
    hot_centre = cells[len(cells) // 3]
    for c in h3.grid_disk(hot_centre, 1):
        y[index[c]] += 8
    result = gi_star(y, neighbour_weights(cells, k=1))
    neighbourhood = {index[c] for c in h3.grid_disk(hot_centre, 2)}
    assert result.gi_bin[index[hot_centre]] == 3
    flagged = set(np.nonzero(result.gi_bin > 0)[0])
    assert flagged and flagged <= neighbourhood


def test_benjamini_hochberg_matches_the_textbook_example():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True, True, True, False]
    assert benjamini_hochberg(np.array([]), 0.05).tolist() == []
