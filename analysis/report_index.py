"""The reports' fixed-width facts in memory, one copy per read-only version of the warehouse, so that a
pass over every report in a view sums by address with numpy instead of DuckDB.

Why: the visit list's first pass sums 720,000 reports into 450,000 addresses at national scale, and the
map's possible unlicensed HMOs are found the same way. DuckDB does that with a hash aggregate, about
200 ms and 150 ms on two cores. Sorted by address, the copy sums any view's reports over runs of equal
ids instead. It costs about 4 s and 340 MiB at national scale, once per version: a load swaps in a
new file (etl/warehouse.py), which is a new version and a new copy.

Only a read-only connection gets one: nothing then changes the file under the copy (DuckDB lets no
process write to a file another has open read-only, and a load swaps in a new file). A writable
connection, such as the ETL's or a test's, is answered in SQL, as is any query when making the copy
failed (logged once per version).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import duckdb
import numpy as np

from analysis import addresses
from analysis.addresses import POSITION_RANK, USABLE_POINT
from analysis.filters import NO_DISTRICT, Filters

_KEPT = 2                  # copies kept at most (the background mode keeps only the newest of a warehouse)
_LOCK = threading.Lock()
_BUILDING: dict[tuple, threading.Lock] = {}
_FAILED: set[tuple] = set()
OFF, ON_FIRST_USE, BACKGROUND = "off", "on first use", "background"
_MODE = OFF                # use()
log = logging.getLogger("hotspots.analysis")
_FD_PATHS = ("/proc/self/fd/", "/dev/fd/")     # a file open in this process, by descriptor number
_INDEXES: OrderedDict[tuple, "ReportIndex"] = OrderedDict()
NO_DAY = np.iinfo(np.int32).min   # a report without a date received: inside no date range
NO_PEOPLE = np.iinfo(np.int32).min   # a report that gives no number of people: below any number
EPOCH = np.datetime64("1970-01-01", "D")
CELL_RESOLUTION = 7        # the H3 cells kept (`cell7`): those the map counts its uncapped markers in
UNPLACED = 3               # position rank of a report without a usable point (usable ones rank 0-2)


@dataclass(frozen=True)
class Coded:
    """A text column as small integers: 0 for NULL, i + 1 for `values[i]`."""
    codes: np.ndarray
    values: tuple[str, ...]

    def allowed(self, wanted: tuple[str, ...], null_too: bool = False) -> np.ndarray:
        """Per code: is it one of `wanted` (SQL `list_contains(wanted, column)`, NULL when `null_too`)."""
        ok = np.zeros(len(self.values) + 1, dtype=bool)
        ok[0] = null_too
        ok[1:] = np.isin(np.array(self.values, dtype=object), np.array(list(wanted), dtype=object))
        return ok


@dataclass(frozen=True)
class Matches:
    """address_matches by addr_id (arrays as long as the largest id + 1): the licence group of each
    address (-1: on no licence), its licence's expiry (days since 1970, NO_DAY when none) and
    allowed occupants (-1 when none)."""
    group_of: np.ndarray
    expiry: np.ndarray
    max_occupants: np.ndarray


@dataclass(frozen=True)
class ReportIndex:
    """Every report with an address, ordered by `group` (the visit list's address: its licence group's
    id, else its own addr_id), so that any subset of the reports sums per group over runs of equal
    values (numpy's `reduceat`) rather than into arrays as long as the largest id. Within a group the
    order is `addresses.best_position`'s (usable points first, the most precise, the newest), so a
    group's best point in any subset is its first placed report there.

    Per report: `day` received (days since 1970), `addr` (addr_id), `placed` (a usable point), `lat`
    and `lon`, `cell7` (its res-7 H3 cell, 0 when none), the coded `source`, `evaluation`
    (source_evaluation, 0 when NULL), `bits` (indicator_bits), `people` (people_count, NO_PEOPLE when
    NULL), and the coded district, source type and exploitation type. `registered`: the districts whose
    HMO register is loaded."""
    group: np.ndarray
    day: np.ndarray
    addr: np.ndarray
    placed: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    cell7: np.ndarray
    source: Coded
    evaluation: np.ndarray
    bits: np.ndarray
    people: np.ndarray
    district: Coded
    source_type: Coded
    exploitation_type: Coded
    matches: Matches
    registered: tuple[tuple[str, ...], bool]    # addresses.registered_districts: where a register was loaded
    _derived: dict = field(default_factory=dict, repr=False, compare=False)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def derived(self, key: tuple, make) -> np.ndarray:
        """A per-report array that depends on settings as well (`key` holds them): made once per key.
        The weights of a report's grading and indicators are the same on every query until the settings
        change, and reading one array costs less than computing it for each view."""
        with self._derived_lock:
            if key not in self._derived:
                if len(self._derived) >= 8:
                    self._derived.clear()
                self._derived[key] = make()
            return self._derived[key]

    @property
    def nbytes(self) -> int:
        """The memory its arrays take (the benchmark reports it)."""
        arrays = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        arrays += [v.codes for v in vars(self).values() if isinstance(v, Coded)]
        arrays += list(vars(self.matches).values())
        return sum(a.nbytes for a in arrays)

    @property
    def addresses(self) -> int:
        """One more than the largest addr_id: the length of a per-address array."""
        return len(self.matches.group_of)

    def first_members(self, rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """The addr_id of one member of each group whose reports at `rows` start at `starts` (`run_starts`):
        a licence's facts are the same for every address of its group."""
        return self.addr[rows[starts]]

    def on_licence(self, addr_ids: np.ndarray) -> np.ndarray:
        """Per address: is it one of a licence's addresses (address_matches)."""
        return self.matches.group_of[addr_ids] >= 0

    def covers(self, f: Filters) -> bool:
        """Whether `in_scope`/`in_view` can answer these filters: nationalities are lists, not kept here."""
        return not f.nationalities

    def in_scope(self, f: Filters) -> np.ndarray:
        """The positions of the reports in the dates and districts of `f` (analysis/filters.reports_where
        of scope(f)), ascending."""
        lo = (np.datetime64(f.date_from, "D") - EPOCH).astype(np.int64)
        hi = (np.datetime64(f.date_to, "D") - EPOCH).astype(np.int64)
        rows = np.flatnonzero((self.day >= lo) & (self.day <= hi))
        if f.districts:
            rows = rows[self.district.allowed(f.districts, NO_DISTRICT in f.districts)[self.district.codes[rows]]]
        return rows

    def in_view(self, f: Filters, rows: np.ndarray, indicator_mask: int) -> np.ndarray:
        """Of the reports at `rows` (in scope), which pass the other filters; `indicator_mask` holds the
        bits of f.indicators (a code with no bit is on no report)."""
        mask = np.ones(len(rows), dtype=bool)
        if f.exploitation_types:
            mask &= self.exploitation_type.allowed(f.exploitation_types)[self.exploitation_type.codes[rows]]
        if f.source_types:
            mask &= self.source_type.allowed(f.source_types)[self.source_type.codes[rows]]
        if f.indicators:
            mask &= (self.bits[rows] & signed(indicator_mask)) != 0
        return mask


def run_starts(values: np.ndarray) -> np.ndarray:
    """The positions where each run of equal values starts (`values` sorted, not empty): with the
    index's order, where each group starts in a subset of its reports."""
    return np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))


def signed(mask: int) -> np.int64:
    """A 64-bit mask as the signed integer BIGINT stores (bit 63 is the sign)."""
    return np.int64(mask - (1 << 64) if mask >= 1 << 63 else mask)


def for_connection(con) -> ReportIndex | None:
    """The copy for the warehouse version `con` reads, made as `use()` says; None when copies are off, when
    `con` can write to the file, or in the background mode until the copy is made: the caller then
    answers in SQL."""
    key = _version(con) if _MODE != OFF else None
    if key is None:
        return None
    with _LOCK:
        if key in _INDEXES:
            _INDEXES.move_to_end(key)
            return _INDEXES[key]
        if key in _FAILED:
            return None
        if _MODE == BACKGROUND:     # made only by make_in_background()
            return None
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:      # one build per version; queries on other versions go on meanwhile
        with _LOCK:
            if key in _INDEXES or key in _FAILED:
                return _INDEXES.get(key)
        _build_for(key, con, None)
        with _LOCK:
            return _INDEXES.get(key)


def make_in_background(con) -> None:
    """In the background mode, start making the copy for the version `con` reads, in a thread with a
    cursor of `con`: the caller keeps `con` open for as long as that version is read (the dashboard's
    shared connection of each version). A cursor would not do: closing one closes its own cursors."""
    if _MODE != BACKGROUND:
        return
    key = _version(con)
    with _LOCK:
        if key is None or key in _INDEXES or key in _BUILDING or key in _FAILED or _superseded(key):
            return
        _BUILDING[key] = threading.Lock()
        cursor = con.cursor()
    threading.Thread(target=_build_for, args=(key, cursor, _catalog(con)), daemon=True,
                     name="hotspots-report-copy").start()


def use(mode: str) -> None:
    """Whether and when copies are made. OFF (the default: the ETL, exports and other one-off commands,
    for which making a copy costs more than the SQL it saves) answers everything in SQL. ON_FIRST_USE
    (the benchmark, tests) makes the copy in the first query that asks. BACKGROUND (the dashboard)
    answers a query that finds no copy yet in SQL while a thread makes it (`make_in_background`, when
    the dashboard opens a version), so the first page after a start or a load never waits for it (4 s
    at national scale, more than the SQL it saves)."""
    global _MODE
    if mode not in (OFF, ON_FIRST_USE, BACKGROUND):
        raise ValueError(f"unknown mode {mode!r}")
    _MODE = mode


def _build_for(key: tuple, con, catalog: str | None) -> None:
    """Make the copy for `key` from `con` and keep it; a failure is logged and remembered, never raised (the
    queries stay in SQL). With `catalog`, `con` is this thread's own cursor, closed here."""
    try:
        if catalog is not None:
            con.execute(f'USE "{catalog}"')
        started = time.monotonic()
        index = build(con)
        log.info("In-memory copy of %s reports made in %.1f s (%.0f MiB)", f"{len(index.day):,}",
                 time.monotonic() - started, index.nbytes / 2**20)
    except Exception:       # noqa: BLE001 - the SQL answers still stand
        log.warning("No in-memory copy of the reports for this warehouse version: queries stay in SQL",
                    exc_info=True)
        with _LOCK:
            _FAILED.add(key)
            _BUILDING.pop(key, None)
        return
    finally:
        if catalog is not None:
            con.close()
    with _LOCK:
        _INDEXES[key] = index
        _BUILDING.pop(key, None)
        for old in [k for k in _INDEXES if _MODE == BACKGROUND and _newer(key, k)]:
            del _INDEXES[old]
        while len(_INDEXES) > _KEPT:
            _INDEXES.popitem(last=False)


def _newer(key: tuple, other: tuple) -> bool:
    """Whether `key` is a later version of the same warehouse as `other`: one whose first load is the
    same, with a newest load that ended later (then: a higher id)."""
    (_, (first, load_id, finished, *_)), (_, (other_first, other_id, other_finished, *_)) = key, other
    if first is None or first != other_first:
        return False
    return (finished is not None, finished or 0, load_id or 0) > \
        (other_finished is not None, other_finished or 0, other_id or 0)


def _superseded(key: tuple) -> bool:
    """In the background mode, the dashboard's, the process keeps one copy, the newest version's: a page still pinned to an
    older version is answered in SQL rather than copied, so a swap never holds two copies in memory."""
    return any(_newer(k, key) for k in _INDEXES)


def _catalog(con) -> str:
    return con.execute("SELECT current_database()").fetchone()[0]


def _version(con) -> tuple | None:
    """Which version of which file `con` reads, if read-only (None otherwise): the file's identity
    (device, inode, mtime, size) where its path still names it, and what its loads and counts say.

    The file's identity is not always there: the dashboard opens each version through a pinned file
    descriptor (`/proc/self/fd/N`), whose number names another file, or none, once that page run is over,
    so such a path is not looked at. Every load adds a row to `loads` and every upgrade one to
    `schema_migrations`: the newest load's id and end time and the schema's version tell versions apart,
    and the first load's start tells warehouses apart."""
    row = con.execute("SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
                      ).fetchone()
    if not row or not row[0] or not row[1]:
        return None
    identity = None
    if not row[0].startswith(_FD_PATHS):
        try:
            st = os.stat(row[0])
            identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            pass
    try:
        content = con.execute("""SELECT (SELECT min(started_at) FROM loads), (SELECT max(load_id) FROM loads),
                                        (SELECT max(finished_at) FROM loads), (SELECT max(version) FROM schema_migrations),
                                        (SELECT count(*) FROM reports), (SELECT count(*) FROM address_matches)
                              """).fetchone()
    except duckdb.Error:        # not a Hotspots warehouse of this version: the SQL says what is missing
        return None
    return identity, content


def build(con) -> ReportIndex:
    """Read the facts from the warehouse (text columns arrive as codes, so no Python string per report) and
    sort them."""
    coded = {}
    for column in ("district_code", "source_type", "exploitation_type", "source"):
        coded[column] = tuple(v for (v,) in con.execute(
            f"SELECT DISTINCT {column} FROM reports WHERE {column} IS NOT NULL ORDER BY 1").fetchall())
    got = _fetched(con, f"""
        SELECT coalesce(m.group_id, r.addr_id)::INTEGER AS grp, r.addr_id::INTEGER AS addr,
               coalesce(date_diff('day', DATE '1970-01-01', r.received_on), $no_day)::INTEGER AS day,
               (CASE WHEN {USABLE_POINT.format(a="r")} THEN {POSITION_RANK.format(a="r")} ELSE {UNPLACED} END)
                 ::TINYINT AS position_rank,
               coalesce(r.lat, 0) AS lat, coalesce(r.lon, 0) AS lon,
               coalesce(r.h3_{CELL_RESOLUTION}, 0)::UBIGINT AS cell7,
               coalesce(list_position($sources::VARCHAR[], r.source), 0)::SMALLINT AS source,
               coalesce(r.source_evaluation, 0)::TINYINT AS evaluation,
               coalesce(r.indicator_bits, 0)::BIGINT AS bits,
               coalesce(r.people_count, $no_people)::INTEGER AS people,
               coalesce(list_position($districts::VARCHAR[], r.district_code), 0)::SMALLINT AS district,
               coalesce(list_position($source_types::VARCHAR[], r.source_type), 0)::SMALLINT AS source_type,
               coalesce(list_position($kinds::VARCHAR[], r.exploitation_type), 0)::SMALLINT AS exploitation_type,
               hash(r.source, r.report_ref) AS tie
        FROM reports r LEFT JOIN address_matches m ON m.addr_id = r.addr_id
        WHERE r.addr_id IS NOT NULL
    """, {"no_day": int(NO_DAY), "no_people": int(NO_PEOPLE), "sources": list(coded["source"]),
          "districts": list(coded["district_code"]), "source_types": list(coded["source_type"]),
          "kinds": list(coded["exploitation_type"])},
        con.execute("SELECT count(*) FROM reports WHERE addr_id IS NOT NULL").fetchone()[0])
    matches = con.execute("""
        SELECT addr_id, group_id, coalesce(date_diff('day', DATE '1970-01-01', licence_expiry), ?)::INTEGER AS expiry,
               coalesce(max_occupants, -1)::INTEGER AS max_occupants
        FROM address_matches
    """, [int(NO_DAY)]).fetchnumpy()
    size = int(max(got["addr"].max(initial=-1), np.asarray(matches["addr_id"]).max(initial=-1))) + 1
    group_of = np.full(size, -1, dtype=np.int32)
    expiry = np.full(size, NO_DAY, dtype=np.int32)
    occupants = np.full(size, -1, dtype=np.int32)
    ids = np.asarray(matches["addr_id"], dtype=np.int64)
    group_of[ids] = np.asarray(matches["group_id"], dtype=np.int32)
    expiry[ids] = np.asarray(matches["expiry"], dtype=np.int32)
    occupants[ids] = np.asarray(matches["max_occupants"], dtype=np.int32)

    # As best_position picks: the most precise point first, then the newest, then by the hash of the source
    # and reference. Sorted here rather than in DuckDB, whose sort held the whole result (a gigabyte).
    order = np.lexsort((got.pop("tie"), -got["day"].astype(np.int64), got["position_rank"], got["grp"]))

    def column(name: str) -> np.ndarray:     # already of its _COLUMNS type
        return got.pop(name)[order]

    return ReportIndex(
        group=column("grp"), day=column("day"), addr=column("addr"),
        placed=column("position_rank") != UNPLACED, lat=column("lat"),
        lon=column("lon"), cell7=column("cell7"),
        source=Coded(column("source"), coded["source"]),
        evaluation=column("evaluation"), bits=column("bits"), people=column("people"),
        district=Coded(column("district"), coded["district_code"]),
        source_type=Coded(column("source_type"), coded["source_type"]),
        exploitation_type=Coded(column("exploitation_type"), coded["exploitation_type"]),
        matches=Matches(group_of, expiry, occupants), registered=addresses.registered_districts(con))


_COLUMNS = {"grp": np.int32, "addr": np.int32, "day": np.int32, "position_rank": np.int8, "lat": np.float64,
            "lon": np.float64, "cell7": np.uint64, "source": np.int16, "evaluation": np.int8, "bits": np.int64,
            "people": np.int32, "district": np.int16, "source_type": np.int16, "exploitation_type": np.int16,
            "tie": np.uint64}
_BATCH = 1 << 20


def _fetched(con, sql: str, params: dict, rows: int) -> dict[str, np.ndarray]:
    """The query's columns (`_COLUMNS`) as numpy arrays of `rows` entries, read a batch at a time into
    arrays made once: reading the whole result at once held it twice (DuckDB's and numpy's), and the
    copy's making peaked at 1.2 GB above the process's size at national scale."""
    arrays = {name: np.empty(rows, dtype=dtype) for name, dtype in _COLUMNS.items()}
    at = 0
    for batch in con.execute(sql, params).to_arrow_reader(_BATCH):
        n = batch.num_rows
        if at + n > rows:
            raise RuntimeError("the reports changed while being copied")
        for name, array in arrays.items():
            array[at:at + n] = batch.column(name).to_numpy(zero_copy_only=False)
        at += n
    if at != rows:
        raise RuntimeError("the reports changed while being copied")
    return arrays
