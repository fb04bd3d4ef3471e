"""Rejected rows with their raw values, load by load, for the analyst who fixes the partner's file.

The loaders keep every row that failed a check in the `rejects` table: its row number in the file,
the reasons ("; "-joined) and its raw values as JSON ({header: value}, in the file's column order).
A rejected victim case keeps its case key there instead of its reference; nobody may see a case key,
so it is removed in the query (etl.admin.raw_as_shown, which `python -m etl rejects` uses too) and never
leaves the warehouse.

A rejected row is not always still to be fixed. A later load of the same source may have stored its reference
(a corrected re-export): it is "since loaded (load N)". And each HMO register replaces its source's one before,
so the rejects of an older register are "superseded by load N" (the register that replaced it). The others are
"outstanding" (`reject_states`). The `rejects` table keeps no reference of its own: a case's key is in its raw
values, and a report's or licence's reference is the raw value under the header that matched the reference
field (`reference_headers`), found again from the raw values' headers. A load read with `--mapping` (whose
headers may be none we know) is not matched: its rejects stay outstanding.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from etl import reference_keys
from etl.admin import raw_as_shown

LOAD_COLUMNS = ["load_id", "kind", "source", "file_name", "loaded_at", "status", "rejected", "outstanding",
                "since_loaded", "superseded", "superseded_by"]
FIXED = ["row_number", "reasons", "now"]

OUTSTANDING, SINCE_LOADED, SUPERSEDED = "outstanding", "since loaded", "superseded"
# The field that holds a rejected row's reference (etl/vocab/headers.toml), for the kinds whose raw values have
# it; a rejected case keeps its key itself (raw's case_key), and boundaries and postcodes are not matched.
REFERENCE_FIELD = {"reports": "report_ref", "hmo": "licence_ref"}
# Kinds each of whose loads replaces the source's rows (etl.loading's register): an older load's rejects are
# superseded by the next one that loaded.
REPLACED_BY_EACH_LOAD = ("hmo",)


def reject_loads(con) -> pd.DataFrame:
    """Every load with rejected rows, newest first: load_id, kind, source, file_name, loaded_at, status
    (loaded, or failed when a whole file was refused), rejected (its number of rejected rows), and how many of
    them are outstanding, since loaded by a later load, or superseded (then superseded_by: the load that
    replaced it; else NULL)."""
    states, params = reject_states(con)
    return con.execute(f"""
        WITH states AS ({states})
        SELECT l.load_id, l.kind, l.source, l.file_name, coalesce(l.finished_at, l.started_at) AS loaded_at,
               l.status, count(*) AS rejected,
               count(*) FILTER (WHERE s.state = '{OUTSTANDING}') AS outstanding,
               count(*) FILTER (WHERE s.state = '{SINCE_LOADED}') AS since_loaded,
               count(*) FILTER (WHERE s.state = '{SUPERSEDED}') AS superseded,
               min(s.by_load) FILTER (WHERE s.state = '{SUPERSEDED}') AS superseded_by
        FROM rejects r JOIN loads l USING (load_id) JOIN states s ON s.rid = r.rowid
        GROUP BY l.load_id, l.kind, l.source, l.file_name, loaded_at, l.status
        ORDER BY l.load_id DESC
    """, params).df()[LOAD_COLUMNS]


def state_text(state: str, by_load) -> str:
    """A rejected row's state as the analyst reads it: 'outstanding', 'since loaded (load 7)', 'superseded by
    load 9'."""
    if state == SINCE_LOADED:
        return f"since loaded (load {int(by_load)})"
    if state == SUPERSEDED:
        return f"superseded by load {int(by_load)}"
    return OUTSTANDING


def state_sql(state: str = "s.state", by_load: str = "s.by_load") -> str:
    """SQL of `state_text`, for a query over `reject_states`."""
    return (f"CASE {state} WHEN '{SINCE_LOADED}' THEN 'since loaded (load ' || {by_load} || ')' "
            f"WHEN '{SUPERSEDED}' THEN 'superseded by load ' || {by_load} ELSE '{OUTSTANDING}' END")


def reject_states(con) -> tuple[str, list]:
    """SQL (with its parameters) of a table with a row per rejected row: rid (its rowid), load_id, state
    (OUTSTANDING, SINCE_LOADED or SUPERSEDED) and by_load (the load that stored its reference, or that
    replaced its register; NULL when outstanding).

    Set-wise: the references are read from the raw values in SQL, and each kind's stored rows are joined once.
    A reference counts as stored by a later load when a row of the same source holds it (as the loaders
    compare references: a report's `ref_key`, a licence's `licence_key`, a case's key) with a later load id.
    A row a later load found unchanged keeps its earlier load id, so a reject fixed back to what was stored
    before stays outstanding until it is listed by a newer load of its own: it errs towards "fix it".
    The newest load of a source has no later one: its rejects are always outstanding.
    The SQL calls the loaders' own `ref_key` and `licence_key`, defined here on `con`: run it on `con`.
    """
    reference_keys.register(con)
    headers = reference_headers(con)
    pointers = ["/" + h.replace("~", "~0").replace("/", "~1") for h in headers.values()]
    replaced = ", ".join(f"'{k}'" for k in REPLACED_BY_EACH_LOAD)
    sql = f"""
        WITH pointers AS (SELECT unnest(?::BIGINT[]) AS load_id, unnest(?::VARCHAR[]) AS pointer),
        rejected AS (
            SELECT r.rowid AS rid, r.load_id, l.kind, l.source,
                   nullif(trim(CASE WHEN l.kind = 'cases' THEN json_extract_string(r.raw, '$.case_key')
                                    ELSE json_extract_string(r.raw, p.pointer) END), '') AS ref
            FROM rejects r JOIN loads l USING (load_id) LEFT JOIN pointers p USING (load_id)),
        firsts AS (SELECT kind, source, min(load_id) AS load_id FROM rejected WHERE ref IS NOT NULL GROUP BY ALL),
        stored AS (
            SELECT 'reports' AS kind, t.source, ref_key(t.report_ref) AS k, t.load_id
            FROM reports t JOIN firsts f ON f.kind = 'reports' AND f.source = t.source AND t.load_id > f.load_id
            UNION ALL
            SELECT 'hmo', t.source, licence_key(t.licence_ref), t.load_id
            FROM hmo_licence_history t JOIN firsts f ON f.kind = 'hmo' AND f.source = t.source AND t.load_id > f.load_id
            UNION ALL
            SELECT 'cases', t.source, t.case_key, t.load_id
            FROM cases t JOIN firsts f ON f.kind = 'cases' AND f.source = t.source AND t.load_id > f.load_id),
        loaded AS (
            SELECT x.rid, min(s.load_id) AS by_load
            FROM rejected x JOIN stored s ON s.kind = x.kind AND s.source = x.source AND s.load_id > x.load_id
             AND s.k = CASE x.kind WHEN 'reports' THEN ref_key(x.ref) WHEN 'hmo' THEN licence_key(x.ref)
                            ELSE x.ref END
            GROUP BY ALL),
        replaced AS (
            SELECT l.load_id, min(n.load_id) AS by_load
            FROM loads l JOIN loads n ON n.kind = l.kind AND n.source = l.source AND n.load_id > l.load_id
             AND n.status = 'loaded'
            WHERE l.kind IN ({replaced}) AND l.load_id IN (SELECT load_id FROM rejects)
            GROUP BY ALL)
        SELECT x.rid, x.load_id,
               CASE WHEN d.by_load IS NOT NULL THEN '{SINCE_LOADED}' WHEN n.by_load IS NOT NULL THEN '{SUPERSEDED}'
                    ELSE '{OUTSTANDING}' END AS state,
               coalesce(d.by_load, n.by_load) AS by_load
        FROM rejected x LEFT JOIN loaded d USING (rid) LEFT JOIN replaced n USING (load_id)
    """
    return sql, [list(headers), pointers]


def reference_headers(con) -> dict[int, str]:
    """load_id → the header of its rejected rows' raw values that holds each row's reference (reports, HMO).

    The `rejects` table keeps the raw values by header, not which header was the reference: the headers are
    matched again as the loader matched them (etl/reading/headers.py), once per load. Not for a load read with
    `--mapping`, whose mapping file is not kept: its rejects stay outstanding rather than be matched by a
    guess."""
    from etl.errors import FileProblem
    from etl.reading.headers import match_headers

    kinds = list(REFERENCE_FIELD)
    loads = con.execute(f"""
        SELECT r.load_id, l.kind, l.file_name, CAST(arg_min(json_keys(r.raw), r.row_number) AS VARCHAR[])
        FROM rejects r JOIN loads l USING (load_id)
        WHERE l.kind IN ({", ".join("?" for _ in kinds)}) AND json_type(r.raw) = 'OBJECT'
          AND coalesce(l.load_options, '') NOT LIKE '%mapping%'
        GROUP BY ALL
    """, kinds).fetchall()
    found = {}
    for load_id, kind, file_name, headers in loads:
        try:
            match = match_headers(Path(file_name), kind, [(1, list(headers or []))])
        except FileProblem:
            continue
        column = match.columns.get(REFERENCE_FIELD[kind])
        if column is not None:
            found[int(load_id)] = headers[column]
    return found


def rejected_rows(con, load_id: int, limit: int | None = None) -> pd.DataFrame:
    """The rejected rows of load `load_id` in file order (the first `limit`, when given): row_number, reasons,
    now (outstanding, since loaded (load N) or superseded by load N: `reject_states`), then one column per
    header of the file with the raw text as it arrived (no case key)."""
    states, params = reject_states(con)
    rows = con.execute(f"""
        WITH states AS ({states})
        SELECT r.row_number, r.reason, {raw_as_shown("r.raw")} AS raw, {state_sql()} AS now
        FROM rejects r JOIN states s ON s.rid = r.rowid WHERE r.load_id = ?
        ORDER BY r.row_number
        LIMIT ?
    """, [*params, int(load_id), None if limit is None else int(limit)]).fetchall()
    raws = [_pairs(raw) for _, _, raw, _ in rows]
    headers: list[str] = []
    for pairs in raws:
        headers += [h for h in pairs if h not in headers]
    names = {h: f"{h} (in the file)" if h in FIXED else h for h in headers}
    frame = pd.DataFrame({"row_number": pd.Series([r[0] for r in rows], dtype="int64"),
                          "reasons": pd.Series([r[1] for r in rows], dtype=object),
                          "now": pd.Series([r[3] for r in rows], dtype=object)})
    for header in headers:
        frame[names[header]] = pd.Series([_text(pairs.get(header)) for pairs in raws], dtype=object)
    return frame


def _pairs(raw: str | None) -> dict[str, object]:
    """A raw row's {header: value} in file order (a repeated header keeps its last value)."""
    if not raw:
        return {}
    value = json.loads(raw)
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {"raw": value}


def _text(value: object) -> str | None:
    """Raw values are text as the file had it; anything else JSON (never Python's repr)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
