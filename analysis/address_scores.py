"""The visit list's first pass, every address's score before context, summed with numpy from the
in-memory copy of the reports (analysis/report_index.py) rather than by DuckDB.

It gives what `visits._score_addresses` gives in SQL, row for row: the same columns and the same
numbers (to rounding: sums are added in another order), which tests/test_address_scores.py checks
on random filters. The SQL answers whenever there is no copy (analysis/report_index.py says when), and
for nationality filters.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis import addresses, settings
from analysis.filters import Filters
from analysis.report_index import EPOCH, NO_DAY, NO_PEOPLE, ReportIndex, run_starts, signed

COLUMNS = ["group_id", "licensed", "licence_expiry", "max_occupants", "reports", "report_score", "max_people",
           "crowded", "status", "over_occupied", "score"]


def scores(index: ReportIndex, bits: dict[str, int], f: Filters, today: dt.date,
           keep: tuple[int, float, float] | None = None) -> pd.DataFrame:
    """One row per address (or licence group) with reports in the view: COLUMNS, as
    `visits._score_addresses` describes them, `keep` included."""
    rows = index.in_scope(f)
    view = index.in_view(f, rows, addresses.codes_mask(bits, f.indicators))
    weight = _weights(index, bits, rows, min(today, f.date_to))
    table = _grouped(index, rows, view if not view.all() else None, weight, bits)
    status = _status(table, today)
    over = table["licensed"] & (table["max_occupants"] >= 0) & (table["max_people"] > table["max_occupants"])
    score = _scored(table["report_score"], status, over)
    live = table["reports"] > 0         # some report in the view, not only in scope
    if keep and live.any():
        limit, floor, margin = keep
        top = np.sort(score[live] * floor)[::-1][:int(limit)]
        live &= score >= top.min() - margin
    kept = np.flatnonzero(live)
    return _frame({**{k: v[kept] for k, v in table.items()}, "status": status[kept], "over_occupied": over[kept],
                   "score": score[kept]})


def _weights(index: ReportIndex, bits: dict[str, int], rows: np.ndarray, ref: dt.date) -> np.ndarray:
    """Each report's decay × grading weight × severity, as `visits._score_addresses` writes it in SQL."""
    vs = settings.section("visits")
    ref_day = int((np.datetime64(ref, "D") - EPOCH).astype(np.int64))
    age = np.maximum(ref_day - index.day[rows], 0)
    by_age = np.power(0.5, np.arange(int(age.max(initial=0)) + 1) / float(vs["half_life_days"]))
    return by_age[age] * _undecayed(index, bits)[rows]


def _undecayed(index: ReportIndex, bits: dict[str, int]) -> np.ndarray:
    """Every report's grading weight × severity (the indicators' sum, or the no-indicator severity)."""
    vs = settings.section("visits")
    gw = vs["grading_weights"]
    grading = (float(gw["1"]), float(gw["2"]), float(gw["3"]), float(gw["ungraded"]))
    tables = tuple(tuple(t) for t in addresses.severity_tables(bits))
    no_indicator = float(vs["no_indicator_severity"])

    def make() -> np.ndarray:
        by_evaluation = np.full(256, grading[3])
        by_evaluation[[1, 2, 3]] = grading[:3]
        severity = np.zeros(len(index.bits))
        masks = index.bits.view(np.uint64)
        for k, table in enumerate(tables):
            severity += np.asarray(table)[((masks >> np.uint64(6 * k)) & np.uint64(63)).astype(np.intp)]
        severity[severity == 0] = no_indicator
        return by_evaluation[index.evaluation.view(np.uint8)] * severity

    return index.derived(("undecayed", grading, tables, no_indicator), make)


def crowded_reports(index: ReportIndex, bits: dict[str, int]) -> np.ndarray:
    """Every report: does it say its address is crowded, in a district with a register (`addresses.crowded_sql`)."""
    min_people, mask = addresses.crowded_mask(bits)
    codes, unknown = index.registered
    return index.derived(("crowded", min_people, mask), lambda: (
        ((np.maximum(index.people, 0) >= min_people) | ((index.bits & signed(mask)) != 0))
        & index.district.allowed(codes, unknown)[index.district.codes]))


def _grouped(index: ReportIndex, rows: np.ndarray, view: np.ndarray | None, weight: np.ndarray,
             bits: dict[str, int]) -> dict[str, np.ndarray]:
    """Sums per group (an address on no licence, or a licence's addresses) over the reports in scope at
    `rows`, `view` saying which are in the view (None: all). Arrays, one entry per group: group_id,
    licensed, expiry (days, NO_DAY for none), max_occupants (-1 for none), reports and report_score (in
    the view), max_people (NO_PEOPLE for none) and crowded (over the whole scope, as licence facts are)."""
    if not len(rows):
        empty = np.zeros(0, dtype=np.int64)
        return {"group_id": empty, "licensed": empty.astype(bool), "expiry": empty, "max_occupants": empty,
                "reports": empty, "report_score": empty.astype(float), "max_people": empty,
                "crowded": empty.astype(bool)}
    group = index.group[rows]
    starts = run_starts(group)
    first = index.first_members(rows, starts)
    if view is None:
        reports = np.diff(np.append(starts, len(rows)))
    else:
        reports = np.add.reduceat(view.view(np.int8), starts, dtype=np.int64)
        weight = weight * view
    return {
        "group_id": group[starts].astype(np.int64), "licensed": index.on_licence(first),
        "expiry": index.matches.expiry[first], "max_occupants": index.matches.max_occupants[first],
        "reports": reports, "report_score": np.add.reduceat(weight, starts),
        "max_people": np.maximum.reduceat(index.people[rows], starts),
        "crowded": np.logical_or.reduceat(crowded_reports(index, bits)[rows], starts),
    }


STATUSES = np.array(["current", "expiring", "expired", "possible_unlicensed", "not an HMO on record"], dtype=object)


def _status(table: dict[str, np.ndarray], today: dt.date) -> np.ndarray:
    """Index into STATUSES: `addresses.licence_status` for licences; possible unlicensed or not an HMO
    for the rest."""
    day = int((np.datetime64(today, "D") - EPOCH).astype(np.int64))
    soon = day + settings.expiring_days()
    expiry = table["expiry"]
    of_licence = np.where(expiry == NO_DAY, 0, np.where(expiry < day, 2, np.where(expiry <= soon, 1, 0)))
    of_address = np.where(table["crowded"], 3, 4)
    return np.where(table["licensed"], of_licence, of_address).astype(np.int8)


def _scored(report_score: np.ndarray, status: np.ndarray, over_occupied: np.ndarray) -> np.ndarray:
    bonus = settings.section("visits")["bonus"]
    by_status = np.array([0.0, float(bonus["expiring"]), float(bonus["expired"]),
                          float(bonus["possible_unlicensed"]), 0.0])
    return report_score + by_status[status] + np.where(over_occupied, float(bonus["over_occupied"]), 0.0)


def _frame(table: dict[str, np.ndarray]) -> pd.DataFrame:
    """The rows as `visits._score_addresses` writes them: NULLs where SQL has them, dates as dates."""
    expiry, people, occupants = table["expiry"], table["max_people"], table["max_occupants"]
    dates = np.full(len(expiry), np.datetime64("NaT"), dtype="datetime64[D]")
    dated = expiry != NO_DAY
    dates[dated] = EPOCH + expiry[dated].astype("timedelta64[D]")
    return pd.DataFrame({
        "group_id": table["group_id"], "licensed": table["licensed"], "licence_expiry": dates.astype("datetime64[s]"),
        "max_occupants": pd.arrays.IntegerArray(occupants.astype(np.int32), mask=occupants < 0),
        "reports": table["reports"], "report_score": table["report_score"],
        "max_people": pd.arrays.IntegerArray(people.astype(np.int32), mask=people == NO_PEOPLE),
        "crowded": table["crowded"], "status": STATUSES[table["status"]], "over_occupied": table["over_occupied"],
        "score": table["score"],
    })[COLUMNS]
