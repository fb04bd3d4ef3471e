"""How well do hotspots predict next month? Scored over the last 12 months, for each method.

For each month t, hotspots are drawn from the reports of months t-k … t-1 and scored against
the reports of month t:

- PAI, Predictive Accuracy Index = (n/N) / (a/A): the share of month t's reports that fell in
  flagged cells, over the share of the area flagged (Chainey, Tompson & Uhlig 2008).
- RRI, Recapture Rate Index = (n / n_prev) / (N / N_prev): whether the flagged cells kept their
  share of incidents from the training window into month t (Levine 2008).

Counts and KDE flag their busiest `top_share` of cells; Gi* flags its 95% hot cells after FDR.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import duckdb
import h3
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from analysis import hexes, hotspots, kde, settings, study_area
from analysis.filters import Filters, reports_where
from analysis.gistar import gi_star, neighbour_weights



def min_reports() -> int:
    """Fewer reports in a month than this give a score that one report more or less would swing (hotspots.toml)."""
    return int(settings.method()["backtest"]["min_reports"])


@dataclass
class Backtest:
    months: pd.DataFrame      # one row per month and method: month, method, N, n, a, A, pai, rri
    summary: pd.DataFrame     # per method: mean hit rate, mean area share, mean PAI, mean RRI
    sentence: str             # the plain statement the dashboard shows
    warning: str | None
    reliable: bool = True     # False when the sentence's score rests on too few reports (see _caveat): a page
                              # shows it as weaker than a score to act on


def run(con: duckdb.DuckDBPyConnection, f: Filters, resolution: int | None = None,
        today: dt.date | None = None) -> Backtest:
    """The backtest for these filters, over the whole months up to the end of the chosen dates, whatever
    `f.date_from` says: each month tested needs its training window before it (see `_tested_before`). Read-only.
    Too little data is no error: the Backtest's sentence and warning then say why it can't tell (its tables
    empty when no report is placed), so a page shows the reason. `resolution`: the H3 cell size hotspots are
    drawn at (default: configured). `today`: the day the dates are judged against (default: the real today)."""
    cfg = settings.method()
    bt = cfg["backtest"]
    resolution = int(resolution or cfg["aggregation"]["resolution"])
    end = _tested_before(f.date_to, today or dt.date.today())
    first = _add_months(end, -(bt["months"] + bt["window_months"]))
    where, params = reports_where(replace(f, date_from=first, date_to=f.date_to), "r")
    placed = f"{where} AND r.lat IS NOT NULL AND r.location_flag IS NULL"
    cell = hexes.cell_sql(con, resolution, "r")
    identity = study_area.districts_identity(con, f.districts)
    fine = hexes.cell_sql(con, hotspots._counting_resolution(bool(identity), resolution, cfg["aggregation"]), "r")
    # Distinct points per month with their cell and count: enough for the counts and the kernel density alike;
    # their cells at the finer resolution draw the study area as hotspots.compute does.
    pts = con.execute(f"""
        SELECT r.lat, r.lon, any_value({cell}) AS cell, any_value({fine}) AS fine,
               date_trunc('month', r.received_on) AS month, count(*) AS n
        FROM reports r WHERE {placed}
        GROUP BY r.lat, r.lon, date_trunc('month', r.received_on)
    """, params).fetchnumpy()
    cells, _ = study_area.study_area_cells(con, resolution, np.asarray(pts["fine"], dtype=np.uint64),
                                           cfg["aggregation"]["hull_buffer_m"], f.districts, identity)
    if len(cells) < 2:
        return Backtest(pd.DataFrame(), pd.DataFrame(), "Not enough data to test the hotspots.",
                        "No geocoded reports match these filters, so there is nothing to test.")
    cell_ints = np.array(hexes.to_ints(cells), dtype=np.uint64)
    index = hotspots._positions(cell_ints, np.asarray(pts["cell"], dtype=np.uint64))
    stamps = pd.DatetimeIndex(pd.to_datetime(pts["month"]))
    month = np.asarray(stamps.year * 12 + stamps.month - 1, dtype=np.int64)   # months since year 0: cheap to compare
    weight = np.asarray(pts["n"], dtype=float)
    w = neighbour_weights(cells, cfg["gi_star"]["rings"])
    centres = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float)
    targets = [_month_number(_add_months(end, -step)) for step in range(bt["months"], 0, -1)]
    window = range(1, bt["window_months"] + 1)
    density = _monthly_density(centres, pts, month, index >= 0, cfg["kde"]["bandwidth_m"],
                               {target - k for target in targets for k in window})
    rows = []
    for target in targets:
        train = (month >= target - bt["window_months"]) & (month < target) & (index >= 0)
        test = (month == target) & (index >= 0)
        train_counts = np.bincount(index[train], weights=weight[train], minlength=len(cells)).astype(float)
        test_counts = np.bincount(index[test], weights=weight[test], minlength=len(cells)).astype(float)
        train_density = np.zeros(len(cells)) + sum(density.get(target - k, 0.0) for k in window)
        for method, mask in _flags(train_counts, w, train_density, cfg).items():
            rows.append(_score(f"{target // 12:04d}-{target % 12 + 1:02d}", method, mask, train_counts, test_counts))
    months = pd.DataFrame(rows)
    summary = months.groupby("method", sort=False).agg(hit_rate=("hit_rate", "mean"), area_share=("area_share", "mean"),
                                                       pai=("pai", "mean"), rri=("rri", "mean"),
                                                       reports=("N", "sum")).reset_index()
    sentence, caveat = _sentence(months, bt["window_months"]), _caveat(months)
    if caveat:
        sentence = sentence.removesuffix(".") + f" — {caveat}."
    return Backtest(months, summary, sentence, _warning(months), reliable=caveat is None)


def _monthly_density(centres: np.ndarray, pts: dict, month: np.ndarray, inside: np.ndarray,
                     bandwidth_m: float, wanted: set) -> dict:
    """Kernel density at the cell centres of each wanted month's reports inside the area: month → array.

    A training window's density is the sum of its months' (the kernel is linear in the reports), so
    each month's points are projected and evaluated once, not once per window they fall in.
    """
    tree = cKDTree(kde.to_bng(centres[:, 0], centres[:, 1]))
    xy = kde.to_bng(pts["lat"], pts["lon"])
    weight = np.asarray(pts["n"], dtype=float)
    out = {}
    for m in sorted(wanted):
        pick = (month == m) & inside
        if pick.any():
            out[m] = kde.density_at(tree, xy[pick], bandwidth_m, weights=weight[pick])
    return out


def _flags(train_counts, w, density, cfg) -> dict[str, np.ndarray]:
    top = max(1, int(round(cfg["backtest"]["top_share"] * len(train_counts))))
    result = gi_star(train_counts, w)
    return {"counts": _top(train_counts, top), "kde": _top(density, top), "gi_star": result.gi_bin >= 2}


def _top(values: np.ndarray, top: int) -> np.ndarray:
    mask = np.zeros(len(values), dtype=bool)
    if values.max(initial=0) > 0:
        order = np.argsort(-values, kind="stable")[:top]
        mask[order[values[order] > 0]] = True
    return mask


def _score(month: str, method: str, mask, train_counts, test_counts) -> dict:
    N, n = test_counts.sum(), test_counts[mask].sum()
    N_prev, n_prev = train_counts.sum(), train_counts[mask].sum()
    A, a = len(mask), mask.sum()
    hit = n / N if N else np.nan
    area = a / A
    pai = hit / area if a and N else np.nan
    rri = (n / n_prev) / (N / N_prev) if n_prev and N and N_prev else np.nan
    return {"month": month, "method": method, "N": int(N), "n": int(n), "a": int(a), "A": int(A),
            "N_prev": int(N_prev), "hit_rate": hit, "area_share": area, "pai": pai, "rri": rri}


def _sentence(months: pd.DataFrame, window: int) -> str:
    last = months[months["method"] == "gi_star"].tail(1)
    if last.empty or not months["N"].sum():
        # One month of police.uk, a feed that has only just begun, or dates before the first report: nothing
        # to test against. Which of those it is, the page's own notes on the dates say.
        return (f"The {months['month'].nunique() or 'recent'} months tested hold no report that matches these filters, "
                "so the hotspots can't be tested against where the next reports came from.")
    row = last.iloc[0]
    # The month by its name: "this month's reports (2026-10)" read on 30 November as November's, and "last
    # month" read wrong on dates that end in the past (an archive).
    month = _month_name(row["month"])
    if not row["N"]:
        return f"No reports in {month} to test the hotspots against."
    noun = "quarter" if window == 3 else f"{window} months"
    if not row["N_prev"]:
        # An archive of one month, or the first month of a new feed: "the previous quarter's reports made no
        # hotspot" hid that there were none to make one from.
        return (f"No reports in the {noun} before {month} to draw hotspots from, so they can't be tested "
                f"against {month}'s reports.")
    span = f"The previous {noun}'" + ("s" if window == 3 else "")
    if not row["a"]:
        # Too few reports for any cell to stand out: "captured 0% of the month's reports in 0.0% of the area"
        # read as a result.
        return f"{span} reports made no hotspot, so there was none to test against {month}'s reports (Gi*)."
    return (f"{span} hotspots captured {row['hit_rate']:.0%} of {month}'s reports "
            f"in {row['area_share']:.1%} of the area (Gi*).")


def _caveat(months: pd.DataFrame) -> str | None:
    """What the sentence's score must carry when it rests on too few reports: its own month's under
    `min_reports`, or most months tested under it. The warning said so on the next line, but the sentence above
    it read as a result to act on ("captured 95% … in 1.6% of the area"), the caveat easy to miss.
    None when the sentence gives no score, or a score to rely on."""
    gi = months[months["method"] == "gi_star"] if not months.empty else months
    if gi.empty:
        return None
    last = gi.tail(1).iloc[0]
    if not (last["N"] and last["N_prev"] and last["a"]):   # no score: the sentence says why
        return None
    # Only months with a score count: those before an archive's first report were tested on nothing.
    scored = gi[(gi["N"] > 0) & (gi["N_prev"] > 0) & (gi["a"] > 0)]
    floor = min_reports()
    few = int((scored["N"] < floor).sum())
    parts = []
    if last["N"] < floor:
        parts.append(f"{_month_name(last['month'])} had {int(last['N'])}")
    if few * 2 > len(scored):
        parts.append(f"{few} of the {len(scored)} months tested had fewer than {floor}")
    if not parts:
        return None
    if len(parts) == 1 and last["N"] < floor:
        parts[0] += f", fewer than {floor}"
    return "too few reports to rely on: " + ", and ".join(parts)


def _warning(months: pd.DataFrame) -> str | None:
    """Said under the sentence: "11 of 12 months … unreliable" alone left the reader to guess whether the
    confident figure just above was one of those scores, so the warning names the backtest, and the month
    of the sentence when it is one of them."""
    scored = months[months["method"] == "gi_star"]
    floor = min_reports()
    few = scored[scored["N"] < floor]
    if few.empty or not ((scored["N"] > 0) & (scored["N_prev"] > 0)).any():
        # Not one month had reports both to draw hotspots from and to test them on: the sentence says why,
        # and "11 of 12 months … unreliable" would call scores unreliable that were never made.
        return None
    text = (f"The backtest scores the hotspots month by month: {len(few)} of the {months['month'].nunique()} "
            f"months it tested had fewer than {floor} reports, so its scores for those months are unreliable")
    last = scored.tail(1).iloc[0]
    if 0 < last["N"] < floor and last["a"]:    # the sentence above gives that month's score
        text += f", {_month_name(last['month'])}'s above included"
    return text + "."


def _month_name(month) -> str:
    return pd.Period(str(month)[:7], freq="M").strftime("%B %Y")


def _tested_before(date_to: dt.date, today: dt.date) -> dt.date:
    """The first day of the month after the last one tested: the last whole month that ends on or before the
    chosen dates' end. Dates ending on a month's last day (what the page offers an archive such as a police.uk
    January: "Show 3 Nov 2020 to 31 Jan 2021 instead") test that month; before, January's reports were left
    out and the sentence said there was nothing to test. Dates ending today (the default), or later, test the
    month before this one as always: this month, its last day included, is still coming in."""
    if date_to < today and (date_to + dt.timedelta(days=1)).day == 1:
        return _add_months(_month_start(date_to), 1)
    return _month_start(min(date_to, today))


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)
