"""Row 4: analysis.gistar against PySAL's esda.G_Local on the same ~50,000 H3 cells and weights."""
from __future__ import annotations

import time
import warnings

import h3
import numpy as np

from bench.common import fmt_seconds, Row, Runs, say, Section, spread, verdict

CENTRE = (52.40, 0.00)     # the middle of the force area
Z_TOLERANCE = 1e-9


def cells_around(k: int, resolution: int = 9) -> np.ndarray:
    """Every res-9 cell within k rings of one cell: k=129 gives 50,311 cells."""
    return np.array(sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, resolution), k)))


def measure(k: int, runs: int, log=say) -> Section:
    import esda
    from libpysal.weights import WSP

    from analysis.gistar import gi_star, neighbour_weights

    cells = cells_around(k)
    y = np.random.default_rng(9).poisson(0.5, len(cells)).astype(float)
    weights_time, w = Runs(), None
    for _ in range(runs):
        start = time.perf_counter()
        w = neighbour_weights(cells, k=1)
        weights_time.add(time.perf_counter() - start)
    off_diagonal = w.tolil()
    off_diagonal.setdiag(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w_esda = WSP(off_diagonal.tocsr()).to_W(silence_warnings=True)   # esda adds the self-weight (star=True)
    ours, theirs = Runs(), Runs()
    result = reference = None
    for i in range(runs):
        start = time.perf_counter()
        result = gi_star(y, w)
        ours.add(time.perf_counter() - start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            reference = esda.G_Local(y, w_esda, star=True, transform="B", permutations=0)
            theirs.add(time.perf_counter() - start)
        log(f"  run {i + 1}/{runs}: analysis.gistar {fmt_seconds(ours.values[-1])}, "
            f"esda.G_Local {fmt_seconds(theirs.values[-1])}")
    diff = float(np.max(np.abs(result.z - np.asarray(reference.Zs))))
    ratio = Runs([a / b for a, b in zip(ours.values, theirs.values)])
    n = f"{len(cells):,} cells"
    sec = Section()
    sec.rows += [
        Row("4. Gi*", f"`analysis.gistar.gi_star` (z, p, FDR bins), {n}, 1-ring weights", n, fmt_seconds(ours.median),
            spread(ours, fmt_seconds), runs=str(runs)),
        Row("4. Gi*", "`esda.G_Local(star=True, transform='B', permutations=0)`, same weights", n,
            fmt_seconds(theirs.median), spread(theirs, fmt_seconds), runs=str(runs)),
        Row("4. Gi*", "time ratio gistar ÷ esda", n, f"{ratio.median:.3f}× (esda takes {1 / ratio.median:,.0f}× as long)",
            spread(ratio, lambda v: f"{v:.3f}×"), runs=str(runs)),
        Row("4. Gi*", "max \\|z − esda z\\|", n, f"{diff:.1e}", target=f"< {Z_TOLERANCE:g}",
            met=verdict(diff < Z_TOLERANCE)),
        Row("4. Gi*", "`neighbour_weights` (building the 1-ring weights, not in the times above)", n,
            fmt_seconds(weights_time.median), spread(weights_time, fmt_seconds), runs=str(runs)),
    ]
    sec.data["gistar"] = {"cells": len(cells), "gistar_seconds": ours.values, "esda_seconds": theirs.values,
                          "weights_seconds": weights_time.values, "max_abs_z_difference": diff}
    return sec
