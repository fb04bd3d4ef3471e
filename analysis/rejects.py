"""Rejected rows with their raw values, load by load, for the analyst who fixes the partner's file.

The loaders keep every row that failed a check in the `rejects` table: its row number in the file,
the reasons ("; "-joined) and its raw values as JSON ({header: value}, in the file's column order).
A rejected victim case keeps its case key there instead of its reference; nobody may see a case key,
so it is removed in the query (etl.admin.raw_as_shown, which `python -m etl rejects` uses too) and never
leaves the warehouse.
"""
from __future__ import annotations

import json

import pandas as pd

from etl.admin import raw_as_shown

LOAD_COLUMNS = ["load_id", "kind", "source", "file_name", "loaded_at", "status", "rejected"]
FIXED = ["row_number", "reasons"]


def reject_loads(con) -> pd.DataFrame:
    """Every load with rejected rows, newest first: load_id, kind, source, file_name, loaded_at, status
    (loaded, or failed when a whole file was refused), rejected (its number of rejected rows)."""
    return con.execute("""
        SELECT l.load_id, l.kind, l.source, l.file_name, coalesce(l.finished_at, l.started_at) AS loaded_at,
               l.status, count(*) AS rejected
        FROM rejects r JOIN loads l USING (load_id)
        GROUP BY l.load_id, l.kind, l.source, l.file_name, loaded_at, l.status
        ORDER BY l.load_id DESC
    """).df()[LOAD_COLUMNS]


def rejected_rows(con, load_id: int, limit: int | None = None) -> pd.DataFrame:
    """The rejected rows of load `load_id` in file order (the first `limit`, when given): row_number, reasons,
    then one column per header of the file with the raw text as it arrived (no case key)."""
    rows = con.execute(f"""
        SELECT row_number, reason, {raw_as_shown("raw")} AS raw
        FROM rejects WHERE load_id = ?
        ORDER BY row_number
        LIMIT ?
    """, [int(load_id), None if limit is None else int(limit)]).fetchall()
    raws = [_pairs(raw) for _, _, raw in rows]
    headers: list[str] = []
    for pairs in raws:
        headers += [h for h in pairs if h not in headers]
    names = {h: f"{h} (in the file)" if h in FIXED else h for h in headers}
    frame = pd.DataFrame({"row_number": pd.Series([r[0] for r in rows], dtype="int64"),
                          "reasons": pd.Series([r[1] for r in rows], dtype=object)})
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
