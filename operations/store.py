"""Visit plans and visit outcomes, in their own SQLite file beside the warehouse.

These are operational records, not data loaded from partners: `etl demo` or a rebuilt warehouse
replaces hotspots.duckdb, and must never take a team's recorded outcomes with it. So they live in
`hotspots-operations.db` beside the warehouse (or at $HOTSPOTS_OPERATIONS), created owner-only.

Outcomes are append-only (triggers refuse UPDATE and DELETE): a correction is a newer record for
the same address, and the newest one counts. One saved by mistake (the wrong door, the wrong outcome) is
withdrawn rather than deleted: a row in outcome_withdrawals, itself append-only, says who withdrew it,
when and why. The record stays for the audit; the readers leave it out unless asked, so it counts
nowhere (the visit list, the overview, the maps, plan progress, exports). A file from before withdrawals
existed gains the table when it is next opened (CREATE TABLE IF NOT EXISTS). Nothing here imports Streamlit.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from access.sqlite_file import append_only, now, transaction
from etl.config import beside_warehouse

FILE_NAME = "hotspots-operations.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    planned_for TEXT NOT NULL,
    team        TEXT NOT NULL DEFAULT '',
    start_label TEXT NOT NULL,
    start_lat   REAL NOT NULL,
    start_lon   REAL NOT NULL,
    created_by  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    filters     TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS plan_stops (
    plan_id        INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    address_key    TEXT NOT NULL,
    address        TEXT NOT NULL,
    postcode       TEXT,
    district       TEXT,
    lat            REAL,
    lon            REAL,
    licence_ref    TEXT,
    licence_status TEXT,
    reasons        TEXT,
    languages      TEXT,
    indicators     TEXT NOT NULL DEFAULT '[]',
    over_occupied  INTEGER NOT NULL DEFAULT 0,
    rank           INTEGER,
    score          REAL,
    PRIMARY KEY (plan_id, seq)
);
CREATE TABLE IF NOT EXISTS outcome_loads (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL UNIQUE,
    loaded_at     TEXT NOT NULL,
    loaded_by     TEXT,
    rows_loaded   INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outcome_rejects (
    load_id    INTEGER NOT NULL REFERENCES outcome_loads (id),
    row_number INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    raw        TEXT
);
CREATE TABLE IF NOT EXISTS outcomes (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    visited_on            TEXT NOT NULL,
    address_key           TEXT NOT NULL,
    address               TEXT NOT NULL,
    postcode              TEXT,
    lat                   REAL,
    lon                   REAL,
    licence_ref           TEXT,
    outcome               TEXT NOT NULL,
    potential_victims     INTEGER NOT NULL DEFAULT 0 CHECK (potential_victims >= 0),
    safeguarding_referral INTEGER NOT NULL DEFAULT 0,
    nrm_referral          INTEGER NOT NULL DEFAULT 0,
    partner_enforcement   INTEGER NOT NULL DEFAULT 0,
    note                  TEXT NOT NULL DEFAULT '',
    plan_id               INTEGER,
    recorded_by           TEXT,
    recorded_at           TEXT NOT NULL,
    load_id               INTEGER REFERENCES outcome_loads (id),
    source_row            INTEGER
);
CREATE INDEX IF NOT EXISTS outcomes_visited_on ON outcomes (visited_on);
CREATE TABLE IF NOT EXISTS outcome_withdrawals (
    outcome_id   INTEGER PRIMARY KEY REFERENCES outcomes (id),
    withdrawn_by TEXT NOT NULL,
    withdrawn_at TEXT NOT NULL,
    reason       TEXT NOT NULL CHECK (length(trim(reason)) > 0)
);
""" + append_only("outcomes", "record a newer outcome instead") + "\n" + append_only(
    "outcome_withdrawals", "a withdrawal stands; record the outcome again instead")

# Outcomes that count: not withdrawn (SQL, for the outcomes table aliased `o`).
COUNTED = "o.id NOT IN (SELECT outcome_id FROM outcome_withdrawals)"
WITHDRAWAL_COLUMNS = ["withdrawn_by", "withdrawn_at", "withdrawn_reason"]
REASON_MAX = 200    # a withdrawal's reason: a line ("wrong door: it was number 14"), not a second note

OUTCOME_COLUMNS = ["id", "visited_on", "address_key", "address", "postcode", "lat", "lon", "licence_ref", "outcome",
                   "potential_victims", "safeguarding_referral", "nrm_referral", "partner_enforcement", "note",
                   "plan_id", "recorded_by", "recorded_at", "load_id", "source_row"]
STOP_COLUMNS = ["seq", "address_key", "address", "postcode", "district", "lat", "lon", "licence_ref",
                "licence_status", "reasons", "languages", "indicators", "over_occupied", "rank", "score"]


def store_path(explicit: str | os.PathLike | None = None, db: str | os.PathLike | None = None) -> Path:
    """`explicit`, else $HOTSPOTS_OPERATIONS, else hotspots-operations.db beside the warehouse."""
    return beside_warehouse(explicit, "HOTSPOTS_OPERATIONS", FILE_NAME, db)


@dataclass(frozen=True)
class Plan:
    id: int
    name: str
    planned_for: dt.date
    team: str
    start_label: str
    start_lat: float
    start_lon: float
    created_by: str | None
    created_at: str
    updated_at: str
    filters: dict = field(default_factory=dict)
    stops: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Outcome:
    """One visit's result at one address, as the team records it."""
    visited_on: dt.date
    address_key: str
    address: str
    outcome: str
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    licence_ref: str | None = None
    potential_victims: int = 0
    safeguarding_referral: bool = False
    nrm_referral: bool = False
    partner_enforcement: bool = False
    note: str = ""
    plan_id: int | None = None
    source_row: int | None = None


class OperationsStore:
    """Visit plans and visit outcomes, for the dashboard and the CLI alike.

    Each call is one short transaction of its own, so a plan with its stops, or an outcome file with its
    rejects, is stored whole or not at all, and several processes can share the file. Outcomes are only ever
    added (the file itself refuses UPDATE and DELETE), so what a team recorded can't be rewritten: a correction
    is a newer record, and the newest per address counts; one saved by mistake is withdrawn (`withdraw`)."""

    def __init__(self, path: str | os.PathLike | None = None, db: str | os.PathLike | None = None):
        self.path = store_path(path, db)

    def _tx(self):
        return transaction(self.path, SCHEMA)

    # --- plans ----------------------------------------------------------------------------------------------

    def save_plan(self, *, name: str, planned_for: dt.date, team: str, start_label: str, start: tuple[float, float],
                  stops: pd.DataFrame, created_by: str | None, filters: dict | None = None,
                  plan_id: int | None = None) -> int:
        """Insert a plan (or replace an existing plan's details and stops); returns its id.

        `stops` is in visiting order, with the STOP_COLUMNS other than seq.
        """
        stamp = now()
        with self._tx() as con:
            if plan_id is None:
                cur = con.execute(
                    "INSERT INTO plans (name, planned_for, team, start_label, start_lat, start_lon, created_by,"
                    " created_at, updated_at, filters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, planned_for.isoformat(), team, start_label, float(start[0]), float(start[1]), created_by,
                     stamp, stamp, json.dumps(filters or {}, sort_keys=True, default=str)])
                plan_id = int(cur.lastrowid)
            else:
                cur = con.execute(
                    "UPDATE plans SET name = ?, planned_for = ?, team = ?, start_label = ?, start_lat = ?,"
                    " start_lon = ?, updated_at = ? WHERE id = ?",
                    [name, planned_for.isoformat(), team, start_label, float(start[0]), float(start[1]), stamp,
                     int(plan_id)])
                if cur.rowcount == 0:
                    raise KeyError(f"no visit plan {plan_id}")
                con.execute("DELETE FROM plan_stops WHERE plan_id = ?", [int(plan_id)])
            con.executemany(
                f"INSERT INTO plan_stops (plan_id, {', '.join(STOP_COLUMNS)}) VALUES (?, {', '.join('?' * len(STOP_COLUMNS))})",
                [[plan_id, seq, *(_stop_value(c, row.get(c)) for c in STOP_COLUMNS[1:])]
                 for seq, row in enumerate(stops.to_dict("records"), start=1)])
        return int(plan_id)

    def plans(self) -> pd.DataFrame:
        """Every plan, newest visit date first, with its number of stops and of stops with an outcome that
        counts (a stop dropped after its visit, or a withdrawn outcome, is not progress)."""
        with self._tx() as con:
            rows = con.execute("""
                SELECT p.id, p.name, p.planned_for, p.team, p.start_label, p.created_by, p.updated_at,
                       (SELECT count(*) FROM plan_stops s WHERE s.plan_id = p.id) AS stops,
                       (SELECT count(*) FROM plan_stops s WHERE s.plan_id = p.id AND EXISTS (
                            SELECT 1 FROM outcomes o WHERE o.plan_id = p.id AND o.address_key = s.address_key
                            AND """ + COUNTED + """)) AS outcomes
                FROM plans p ORDER BY p.planned_for DESC, p.id DESC""").fetchall()
        cols = ["id", "name", "planned_for", "team", "start_label", "created_by", "updated_at", "stops", "outcomes"]
        frame = pd.DataFrame(rows, columns=cols)
        frame["planned_for"] = pd.to_datetime(frame["planned_for"]).dt.date
        return frame

    def plan(self, plan_id: int) -> Plan | None:
        with self._tx() as con:
            row = con.execute("SELECT id, name, planned_for, team, start_label, start_lat, start_lon, created_by,"
                              " created_at, updated_at, filters FROM plans WHERE id = ?", [int(plan_id)]).fetchone()
            if row is None:
                return None
            stops = con.execute(f"SELECT {', '.join(STOP_COLUMNS)} FROM plan_stops WHERE plan_id = ? ORDER BY seq",
                                [int(plan_id)]).fetchall()
        frame = pd.DataFrame(stops, columns=STOP_COLUMNS)
        frame["indicators"] = [json.loads(v) for v in frame["indicators"]]
        frame["over_occupied"] = frame["over_occupied"].astype(bool)
        return Plan(id=row[0], name=row[1], planned_for=dt.date.fromisoformat(row[2]), team=row[3],
                    start_label=row[4], start_lat=row[5], start_lon=row[6], created_by=row[7], created_at=row[8],
                    updated_at=row[9], filters=json.loads(row[10] or "{}"), stops=frame)

    def delete_plan(self, plan_id: int) -> int:
        """Delete a plan and its stops; returns how many outcomes recorded on its visits are kept.

        Outcomes are facts about visits, not part of the plan: they keep their plan_id and go on counting
        everywhere, and `outcomes(deleted_plans=True)` still finds them (to read, or to withdraw). Plan ids are
        never used again (AUTOINCREMENT), so a new plan can't take over a deleted one's outcomes."""
        with self._tx() as con:
            if con.execute("DELETE FROM plans WHERE id = ?", [int(plan_id)]).rowcount == 0:
                raise KeyError(f"no visit plan {plan_id}")   # its stops go with it (ON DELETE CASCADE)
            return int(con.execute("SELECT count(*) FROM outcomes WHERE plan_id = ?", [int(plan_id)]).fetchone()[0])

    def remove_stop(self, plan_id: int, seq: int, address_key: str) -> None:
        """Take stop `seq` out of a plan, the others keeping their order (and numbered on from 1).

        `address_key` is the stop the user saw: if another session changed the plan since, the stop at `seq`
        may be another door, and nothing is removed. The last stop can't go: a plan is deleted instead."""
        with self._tx() as con:
            row = con.execute("SELECT address_key FROM plan_stops WHERE plan_id = ? AND seq = ?",
                              [int(plan_id), int(seq)]).fetchone()
            if row is None or row[0] != address_key:
                raise KeyError(f"visit plan {plan_id} has no stop {seq} at that address (changed since?)")
            if con.execute("SELECT count(*) FROM plan_stops WHERE plan_id = ?", [int(plan_id)]).fetchone()[0] == 1:
                raise ValueError("a plan needs at least one stop: delete the plan instead")
            con.execute("DELETE FROM plan_stops WHERE plan_id = ? AND seq = ?", [int(plan_id), int(seq)])
            # Two steps: moving each later stop down one at once could collide with its neighbour's number.
            con.execute("UPDATE plan_stops SET seq = -seq WHERE plan_id = ? AND seq > ?", [int(plan_id), int(seq)])
            con.execute("UPDATE plan_stops SET seq = -seq - 1 WHERE plan_id = ? AND seq < 0", [int(plan_id)])
            con.execute("UPDATE plans SET updated_at = ? WHERE id = ?", [now(), int(plan_id)])

    def add_stops(self, plan_id: int, stops: pd.DataFrame, *, by: str | None, today: dt.date,
                  admin: bool = False) -> tuple[list[str], list[str]]:
        """Add visit-list rows (`stops`, with the STOP_COLUMNS other than seq) to a saved plan, and put all its
        stops in a new visiting order from its start, as a new plan's are (operations/plans.py `ordered`).
        Returns the addresses (added, already in the plan): an address already in it is not added twice.

        A lead who finds one more door for the day had to make a whole new plan. Only the plan's creator or an
        admin (`admin`) may add, as only they may remove a stop, and only to a plan dated `today` or later: a
        past plan is the record of what was planned that day. One transaction, so a stop removed meanwhile in
        another session is not brought back, nor one added twice."""
        from operations import plans   # the route order; operations.plans never imports the store

        with self._tx() as con:
            row = con.execute("SELECT planned_for, created_by, start_label, start_lat, start_lon FROM plans"
                              " WHERE id = ?", [int(plan_id)]).fetchone()
            if row is None:
                raise KeyError(f"no visit plan {plan_id}")
            planned_for, created_by, start_label, start_lat, start_lon = row
            if not admin and (not by or created_by != by):
                raise PermissionError(f"visit plan {plan_id} was made by {created_by or 'nobody named'}: only they "
                                      "or an admin may add to it")
            if dt.date.fromisoformat(planned_for) < today:
                raise ValueError(f"visit plan {plan_id} was for {dt.date.fromisoformat(planned_for):%d %b %Y}, "
                                 "which is past: make a new plan instead")
            held = pd.DataFrame(con.execute(f"SELECT {', '.join(STOP_COLUMNS)} FROM plan_stops WHERE plan_id = ?"
                                            " ORDER BY seq", [int(plan_id)]).fetchall(), columns=STOP_COLUMNS)
            held["indicators"] = [json.loads(v) for v in held["indicators"]]
            asked = stops.drop_duplicates("address_key")
            inside = asked["address_key"].isin(set(held["address_key"]))
            already = [str(a) for a in asked.loc[inside, "address"]]
            new = asked[~inside].copy()
            if new.empty:
                return [], already
            for column in STOP_COLUMNS[1:]:
                if column not in new.columns:
                    new[column] = None
            both = pd.concat([held.drop(columns="seq"), new[STOP_COLUMNS[1:]]], ignore_index=True)
            both["indicators"] = [[] if isinstance(v, float) and pd.isna(v) else v for v in both["indicators"]]
            route = plans.ordered(both, plans.Start(start_label, float(start_lat), float(start_lon)))
            con.execute("DELETE FROM plan_stops WHERE plan_id = ?", [int(plan_id)])
            con.executemany(
                f"INSERT INTO plan_stops (plan_id, {', '.join(STOP_COLUMNS)}) VALUES (?, {', '.join('?' * len(STOP_COLUMNS))})",
                [[int(plan_id), seq, *(_stop_value(c, r.get(c)) for c in STOP_COLUMNS[1:])]
                 for seq, r in enumerate(route.to_dict("records"), start=1)])
            con.execute("UPDATE plans SET updated_at = ? WHERE id = ?", [now(), int(plan_id)])
        return [str(a) for a in new["address"]], already

    # --- outcomes -------------------------------------------------------------------------------------------

    def record(self, outcome: Outcome, recorded_by: str | None) -> int:
        with self._tx() as con:
            return self._insert(con, outcome, recorded_by, None)

    def load_outcomes(self, outcomes: Iterable[Outcome], *, file_name: str, sha256: str,
                      rejects: list[tuple[int, str, str]], loaded_by: str | None) -> tuple[int, int]:
        """All rows of one file, and its rejects, in one transaction: (load id, rows already on record).

        The file's sha256 makes loading the same file twice a no-op; rows already on record (a file
        corrected and loaded again) are skipped, so nothing is counted twice.
        """
        rows = list(outcomes)
        rejected = len(rejects)
        with self._tx() as con:
            cur = con.execute("INSERT INTO outcome_loads (file_name, sha256, loaded_at, loaded_by, rows_loaded,"
                              " rows_rejected) VALUES (?, ?, ?, ?, ?, ?)",
                              [file_name, sha256, now(), loaded_by, len(rows), rejected])
            load_id = int(cur.lastrowid)
            skipped = 0
            for o in rows:
                if self._recorded(con, o):
                    skipped += 1
                else:
                    self._insert(con, o, loaded_by, load_id)
            con.execute("UPDATE outcome_loads SET rows_loaded = ? WHERE id = ?", [len(rows) - skipped, load_id])
            con.executemany("INSERT INTO outcome_rejects (load_id, row_number, reason, raw) VALUES (?, ?, ?, ?)",
                            [[load_id, int(r), reason, raw] for r, reason, raw in rejects])
        return load_id, skipped

    @staticmethod
    def _recorded(con, o: Outcome) -> bool:
        """The same visit, address, outcome and note is already on record (a corrected file loaded again).
        A withdrawn one is on record too: loading its file again must not bring it back unseen."""
        return con.execute("SELECT 1 FROM outcomes WHERE visited_on = ? AND address_key = ? AND outcome = ?"
                           " AND potential_victims = ? AND note = ? LIMIT 1",
                           [o.visited_on.isoformat(), o.address_key, o.outcome, int(o.potential_victims),
                            o.note or ""]).fetchone() is not None

    def nearby_dates(self, load_id: int, within_days: int) -> list[dict[str, Any]]:
        """Outcomes load `load_id` added that an earlier file's outcome (not withdrawn) gives with the same address,
        outcome and note on another date at most `within_days` away: maybe one visit, its date corrected since.
        One dict per pair (row, visited_on, id; earlier_id, earlier_on, earlier_file, earlier_row), nearest
        earlier date first for each row."""
        with self._tx() as con:
            rows = con.execute("""
                SELECT n.source_row, n.visited_on, n.id, e.id, e.visited_on, l.file_name, e.source_row
                FROM outcomes n
                JOIN outcomes e ON e.address_key = n.address_key AND e.outcome = n.outcome AND e.note = n.note
                     AND e.visited_on <> n.visited_on AND e.load_id < n.load_id
                     AND abs(julianday(e.visited_on) - julianday(n.visited_on)) <= ?
                JOIN outcome_loads l ON l.id = e.load_id
                WHERE n.load_id = ? AND e.id NOT IN (SELECT outcome_id FROM outcome_withdrawals)
                ORDER BY n.source_row, abs(julianday(e.visited_on) - julianday(n.visited_on)), e.id""",
                               [int(within_days), int(load_id)]).fetchall()
        keys = ["row", "visited_on", "id", "earlier_id", "earlier_on", "earlier_file", "earlier_row"]
        return [dict(zip(keys, r)) for r in rows]

    def rejects(self, load_id: int | None = None) -> pd.DataFrame:
        """Rejected rows of outcome files, with their raw values (analysts only: notes may name people)."""
        sql = ("SELECT r.load_id, l.file_name, r.row_number, r.reason, r.raw FROM outcome_rejects r"
               " JOIN outcome_loads l ON l.id = r.load_id")
        params = []
        if load_id is not None:
            sql += " WHERE r.load_id = ?"
            params.append(int(load_id))
        with self._tx() as con:
            rows = con.execute(sql + " ORDER BY r.load_id, r.row_number", params).fetchall()
        return pd.DataFrame(rows, columns=["load_id", "file_name", "row_number", "reason", "raw"])

    def loaded(self, sha256: str) -> dict[str, Any] | None:
        with self._tx() as con:
            row = con.execute("SELECT id, file_name, loaded_at, rows_loaded, rows_rejected FROM outcome_loads"
                              " WHERE sha256 = ?", [sha256]).fetchone()
        return dict(zip(["id", "file_name", "loaded_at", "rows_loaded", "rows_rejected"], row)) if row else None

    def load_files(self) -> dict[int, str]:
        """Outcome load id → the name of the file it loaded, to say where a loaded outcome came from."""
        if not self.path.exists():
            return {}
        with self._tx() as con:
            return {int(i): name for i, name in con.execute("SELECT id, file_name FROM outcome_loads")}

    @staticmethod
    def _insert(con, o: Outcome, recorded_by: str | None, load_id: int | None) -> int:
        cur = con.execute(
            f"INSERT INTO outcomes ({', '.join(OUTCOME_COLUMNS[1:])}) VALUES ({', '.join('?' * (len(OUTCOME_COLUMNS) - 1))})",
            [o.visited_on.isoformat(), o.address_key, o.address, o.postcode, o.lat, o.lon, o.licence_ref, o.outcome,
             int(o.potential_victims), int(bool(o.safeguarding_referral)), int(bool(o.nrm_referral)),
             int(bool(o.partner_enforcement)), o.note or "", o.plan_id, recorded_by, now(), load_id, o.source_row])
        return int(cur.lastrowid)

    def withdraw(self, outcome_id: int, *, by: str, reason: str, admin: bool = False) -> dict[str, Any]:
        """Mark an outcome withdrawn (kept, counted nowhere); returns the outcome as it was recorded.

        Only whoever recorded it (for a loaded file, whoever loaded it) or an admin (`admin`) may, with a short
        reason. A withdrawal is final: an outcome withdrawn by mistake is recorded again."""
        why = " ".join(str(reason or "").split())
        if not why:
            raise ValueError("say why the outcome is withdrawn (a short reason, no names)")
        if len(why) > REASON_MAX:
            raise ValueError(f"the reason is {len(why)} characters long: keep it to {REASON_MAX}")
        with self._tx() as con:
            row = con.execute(f"SELECT {', '.join(OUTCOME_COLUMNS)} FROM outcomes WHERE id = ?",
                              [int(outcome_id)]).fetchone()
            if row is None:
                raise KeyError(f"no outcome {outcome_id}")
            record = dict(zip(OUTCOME_COLUMNS, row))
            if not admin and (not by or record["recorded_by"] != by):
                raise PermissionError(f"outcome {outcome_id} was recorded by {record['recorded_by'] or 'nobody named'}:"
                                      " only they or an admin may withdraw it")
            done = con.execute("SELECT withdrawn_by, withdrawn_at FROM outcome_withdrawals WHERE outcome_id = ?",
                               [int(outcome_id)]).fetchone()
            if done is not None:
                raise ValueError(f"outcome {outcome_id} was already withdrawn by {done[0]} at {done[1]}")
            con.execute("INSERT INTO outcome_withdrawals (outcome_id, withdrawn_by, withdrawn_at, reason)"
                        " VALUES (?, ?, ?, ?)", [int(outcome_id), by, now(), why])
        return record

    def outcomes(self, since: dt.date | None = None, plan_id: int | None = None, *,
                 include_withdrawn: bool = False, deleted_plans: bool = False) -> pd.DataFrame:
        """Recorded outcomes that count, oldest first (the newest per address is the one that counts).

        `include_withdrawn` adds the withdrawn ones, with withdrawn_by, withdrawn_at and withdrawn_reason
        (empty for the rest), for a page that shows the record whole. `deleted_plans`: only those recorded on
        a plan since deleted."""
        columns = OUTCOME_COLUMNS + (WITHDRAWAL_COLUMNS if include_withdrawn else [])
        sql = (f"SELECT {', '.join('o.' + c for c in OUTCOME_COLUMNS)}"
               + (", w.withdrawn_by, w.withdrawn_at, w.reason" if include_withdrawn else "")
               + " FROM outcomes o LEFT JOIN outcome_withdrawals w ON w.outcome_id = o.id WHERE 1 = 1")
        params: list[Any] = []
        if not include_withdrawn:
            sql += " AND w.outcome_id IS NULL"
        if since is not None:
            sql += " AND o.visited_on >= ?"
            params.append(since.isoformat())
        if plan_id is not None:
            sql += " AND o.plan_id = ?"
            params.append(int(plan_id))
        if deleted_plans:
            sql += " AND o.plan_id IS NOT NULL AND o.plan_id NOT IN (SELECT id FROM plans)"
        if not self.path.exists():
            rows = []
        else:
            with self._tx() as con:
                rows = con.execute(sql + " ORDER BY o.visited_on, o.id", params).fetchall()
        frame = pd.DataFrame(rows, columns=columns)
        frame["visited_on"] = pd.to_datetime(frame["visited_on"]).dt.date
        for c in ("safeguarding_referral", "nrm_referral", "partner_enforcement"):
            frame[c] = frame[c].astype(bool)
        return frame


def counted(outcomes: pd.DataFrame | None) -> pd.DataFrame | None:
    """The outcomes that count: a frame read with include_withdrawn=True less its withdrawn rows (any other
    frame as it is). The analysis takes frames from callers, so it makes sure for itself."""
    if outcomes is None or "withdrawn_at" not in outcomes.columns:
        return outcomes
    return outcomes[outcomes["withdrawn_at"].isna()]

def _stop_value(column: str, value: Any) -> Any:
    if column == "indicators":
        return json.dumps(_indicator_codes(value))
    if column == "over_occupied":
        return int(bool(value)) if value is not None and not pd.isna(value) else 0
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if column in ("lat", "lon", "score"):
        return float(value)
    if column == "rank":
        return int(value)
    return str(value)


def _indicator_codes(value: Any) -> list[str]:
    """A stop's indicator codes, sorted, each once. A stop with none recorded may bring None, NaN (pandas' missing
    cell: `len(nan)` failed the whole plan's save), an empty string, or a list holding missing values: each is no
    indicator, and the stop is saved without it. One code given as text is that code, not its letters."""
    if isinstance(value, str):
        value = [value]
    elif not pd.api.types.is_list_like(value):     # None, NaN, pd.NA
        return []
    return sorted({str(v).strip() for v in value
                   if not (v is None or (pd.api.types.is_scalar(v) and pd.isna(v))) and str(v).strip()})
