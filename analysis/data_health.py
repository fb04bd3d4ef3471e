"""What is loaded and how far to trust it: per source freshness, rejects and geocoding, and
whether the warehouse file can be read right now.

A tactical lead weighs every map and list by this page: an HMO register a year old makes
"expired" and "possible unlicensed" doubtful, a reports feed a month old hides new hotspots.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from analysis import settings, wording
from analysis.addresses import USABLE_POINT
from etl import uk_time as uk_clock
from etl import vocab
from etl.admin import EVENT_DATE
from etl.loaders.boundaries import LEVEL_NOTE_PATTERN
from etl.warehouse import Warehouse

COLUMNS = ["kind", "source", "file_name", "files", "last_load", "newest", "newest_note", "rows", "rejected", "top_reasons",
           "not_geocoded", "flagged", "age_days", "stale", "warning", "failed_attempts_since", "notes", "replaced_by",
           "replaced_on"]
# The team's clocks, BST in summer: the pages give every time in UK time (the Visit plans page's saved times too),
# as `etl status` and the Audit page do; the zone and conversions are etl.uk_time's, shared with them.
UK_TIME = uk_clock.UK_TIME
# Kinds a load of which takes the rows it gives from whichever source held them (boundaries by level and code,
# postcodes by postcode), so an older source can be left holding none. A register replaces only its own source's,
# and reports and cases only add or update their own source's.
TAKEN_BY_LATER_LOADS = ("boundaries", "postcodes")
# What a source's newest record is, for the kinds whose records are events: (what one is, its date's verb),
# from the ETL's own table of them ("received_on" is when a report was received).
_EVENTS = {kind: (what, verb) for kind, (what, _, verb) in EVENT_DATE.items()}
# In place of the newest record's date, when a source of dated records holds rows but none with a date (a register
# without licence start dates): a blank read as a page that failed.
NO_DATES = "no dates in the file"

# Placed, but where the ETL found the position wrong (outside the force area, swapped coordinates): no map draws it.
_FLAGGED = "{a}.lat IS NOT NULL AND {a}.lon IS NOT NULL AND {a}.location_flag IS NOT NULL"

# A quoted value inside a reject reason ('five', 'St Mary's Road'): removed so reasons group.
_QUOTED = r" ?'(?:[^']|'[A-Za-z])*'"


def source_health(con, today: dt.date) -> pd.DataFrame:
    """One row per (kind, source) with a successful load, from its latest successful load.

    Columns: kind, source, file_name (of its latest load), files (its successful loads still in: for reports
    and cases each adds to the last, so the source holds every one of them), last_load (in UK time: `uk_time`),
    rows (rows of this source in its table now), newest (reports and cases: the date of the newest one; HMO
    registers: the newest licence start; else NaT), newest_note (`NO_DATES` when such a source holds rows but no
    date to show, else None), rejected (in its last load), top_reasons (the most common reasons of its last load
    with counts, quoted values removed, "; "-joined), not_geocoded (rows no map draws, as the map counts them
    (`analysis.map_layers.reports_off_the_map`): without a position, or placed but flagged as outside the
    force area or with swapped coordinates), flagged (the part of not_geocoded that is flagged), age_days (since the
    last load), stale (the load, or the newest report, case or licence start, older than etl/vocab/area.toml
    [freshness]), warning (plain English, or None), failed_attempts_since (failed loads after it),
    notes (what its last load's summary noted: values outside a vocabulary, why rows were not geocoded,
    columns found by a word in their header; "; "-joined, or None), replaced_by and replaced_on (UK time): for a
    boundaries or postcodes source a later load of another source left holding no rows (TAKEN_BY_LATER_LOADS),
    the first such later source that holds rows now (for boundaries, of the same level: district, LSOA)
    and when it was loaded, else None/NaT. Such a source is not
    stale and has no warning; it stays in the frame, and in `loads`, so the page can say what replaced it.

    A feed loaded yesterday whose newest report is from 2021 is as stale as one not loaded since:
    for reports and cases the newest record's date counts too, and for an HMO register its newest
    licence's start (etl/admin.py EVENT_DATE).
    """
    top_n = int(settings.section("data_health")["top_reasons"])
    df = con.execute("""
        WITH latest AS (
            SELECT * FROM loads WHERE status = 'loaded'
            QUALIFY row_number() OVER (PARTITION BY kind, source ORDER BY load_id DESC) = 1
        ),
        counts AS (
            SELECT 'hmo' AS kind, source, count(*) AS n, count(*) FILTER (WHERE NOT ({off_h})) AS ng,
                   count(*) FILTER (WHERE {flagged_h}) AS flagged, max(licence_start) AS newest
                FROM hmo_licences h GROUP BY source
            UNION ALL SELECT 'reports', source, count(*), count(*) FILTER (WHERE NOT ({off_r})),
                   count(*) FILTER (WHERE {flagged_r}), max(received_on) FROM reports r GROUP BY source
            UNION ALL SELECT 'cases', source, count(*), count(*) FILTER (WHERE NOT ({off_c})),
                   count(*) FILTER (WHERE {flagged_c}), max(opened_on) FROM cases c GROUP BY source
            UNION ALL SELECT 'boundaries', source, count(*), 0, 0, NULL FROM boundaries GROUP BY source
            UNION ALL SELECT 'postcodes', source, count(*), 0, 0, NULL FROM postcodes GROUP BY source
        ),
        reasons AS (
            SELECT r.load_id, trim(part) AS reason, count(*) AS n
            FROM rejects r, unnest(string_split(regexp_replace(r.reason, ?, '', 'g'), '; ')) AS t(part)
            WHERE r.load_id IN (SELECT load_id FROM latest) AND trim(part) <> ''
            GROUP BY 1, 2
            QUALIFY row_number() OVER (PARTITION BY r.load_id ORDER BY count(*) DESC, trim(part)) <= ?
        ),
        top AS (
            SELECT load_id, string_agg(reason || ' (' || n || ')', '; ' ORDER BY n DESC, reason) AS top_reasons
            FROM reasons GROUP BY load_id
        ),
        replaced AS (   -- a source left holding no rows, and the first later load of another source that holds some
            SELECT l.kind, l.source, arg_min(x.source, x.load_id) AS replaced_by,
                   arg_min(coalesce(x.finished_at, x.started_at), x.load_id) AS replaced_at
            FROM latest l
            JOIN loads x ON x.kind = l.kind AND x.status = 'loaded' AND x.load_id > l.load_id AND x.source <> l.source
            JOIN counts held ON held.kind = x.kind AND held.source = x.source AND held.n > 0
            WHERE list_contains(?::VARCHAR[], l.kind)
              -- district and LSOA files replace only their own level: the level is in each load's note
              AND (l.kind <> 'boundaries' OR regexp_extract(coalesce(x.message, ''), ?, 1)
                                             = regexp_extract(coalesce(l.message, ''), ?, 1))
              AND NOT EXISTS (SELECT 1 FROM counts c WHERE c.kind = l.kind AND c.source = l.source AND c.n > 0)
            GROUP BY l.kind, l.source
        )
        SELECT l.kind, l.source, l.file_name, coalesce(l.finished_at, l.started_at) AS last_load,
               c.newest, l.message AS notes, coalesce(c.n, 0) AS rows, coalesce(l.rows_rejected, 0) AS rejected, t.top_reasons,
               coalesce(c.ng, 0) AS not_geocoded, coalesce(c.flagged, 0) AS flagged,
               (SELECT count(*) FROM loads x WHERE x.kind = l.kind AND x.source = l.source
                  AND x.status = 'failed' AND x.load_id > l.load_id) AS failed_attempts_since,
               (SELECT count(*) FROM loads x WHERE x.kind = l.kind AND x.source = l.source
                  AND x.status = 'loaded') AS files,
               r.replaced_by, r.replaced_at
        FROM latest l
        LEFT JOIN counts c ON c.kind = l.kind AND c.source = l.source
        LEFT JOIN top t ON t.load_id = l.load_id
        LEFT JOIN replaced r ON r.kind = l.kind AND r.source = l.source
        ORDER BY l.kind, l.source
    """.format(**{f"{key}_{a}": sql.format(a=a) for key, sql in (("off", USABLE_POINT), ("flagged", _FLAGGED))
                 for a in "hrc"}), [_QUOTED, top_n, list(TAKEN_BY_LATER_LOADS),
                                             LEVEL_NOTE_PATTERN, LEVEL_NOTE_PATTERN]).df()
    limits = vocab.load("area")["freshness"]
    labels = settings.section("data_health")["kind_labels"]
    df["age_days"] = [(today - pd.Timestamp(ts).date()).days for ts in df["last_load"]]
    df["newest"] = pd.to_datetime(df["newest"])
    newest_age = [None if pd.isna(d) else (today - d.date()).days for d in df["newest"]]
    limit = [int(limits.get(kind, 365)) for kind in df["kind"]]
    df["stale"] = [age > lim or (n is not None and n > lim) for age, n, lim in zip(df["age_days"], newest_age, limit)]
    df["warning"] = [_warning(labels.get(k, k), s, age, age > lim, failed, _newest_words(k, d, n, lim))
                     for k, s, age, lim, failed, d, n in zip(df["kind"], df["source"], df["age_days"], limit,
                                                              df["failed_attempts_since"], df["newest"], newest_age)]
    df["newest_note"] = [NO_DATES if kind in _EVENTS and rows and pd.isna(d) else None
                         for kind, rows, d in zip(df["kind"], df["rows"], df["newest"])]
    for col in ("files", "rows", "rejected", "not_geocoded", "flagged", "age_days", "failed_attempts_since"):
        df[col] = df[col].astype("int64")
    df["stale"] = df["stale"].astype(bool)
    replaced = df["replaced_by"].notna()
    # A source nothing is read from any more is not stale: "Boundary data from X is 11 years old" would send
    # someone to refresh what a later file already replaced.
    df.loc[replaced, "stale"] = False
    df["warning"] = df["warning"].where(~replaced, None)
    df["last_load"] = uk_times(df["last_load"])      # after the days: `today` is the machine's date, as the stamps
    df["replaced_on"] = uk_times(df["replaced_at"])
    return df[COLUMNS]


def uk_time(stamp) -> pd.Timestamp:
    """A load's time as the team's clocks read it (BST in summer), without a zone, so a table shows it as it is.

    The ETL stamps a load with the clock of the machine it runs on, zone unsaid, so a server kept on UTC showed a
    July load an hour before the team's clocks. The conversion is etl.uk_time's `local_to_uk`, shared with
    `etl status`; this gives it as a pandas time, NaT where there is no stamp.
    """
    if stamp is None or pd.isna(stamp):
        return pd.NaT
    return pd.Timestamp(uk_clock.local_to_uk(pd.Timestamp(stamp).to_pydatetime()))


def uk_times(stamps) -> pd.Series:
    """`uk_time` of each stamp, as a datetime column (NaT where there is none)."""
    return pd.Series([uk_time(s) for s in stamps], index=getattr(stamps, "index", None), dtype="datetime64[ns]")


def _newest_words(kind: str, newest, age: int | None, limit: int) -> str | None:
    """"its newest report was received 68 months ago (01 Jan 2021)", when that is past the kind's limit."""
    if kind not in _EVENTS or age is None or age <= limit:
        return None
    what, verb = _EVENTS[kind]
    return f"its newest {what} was {verb} {wording.age(age)} ago ({newest:%d %b %Y})"


def _warning(label: str, source: str, age: int, stale: bool, failed: int, old_records: str | None = None) -> str | None:
    parts = []
    if stale:
        parts.append(f"{label} from {source} is {wording.age(age)} old")
    if old_records:
        parts.append(f"{label} from {source}: {old_records}" if not stale else old_records)
    if failed:
        attempt = "attempt" if failed == 1 else "attempts"
        parts.append(f"{failed} later load {attempt} from {source} failed, so this is still the earlier data")
    return "; ".join(parts) or None


def warehouse_state(path) -> str:
    """'missing', 'refreshing', 'ok' or 'unreadable', for the banner above every page.

    'refreshing': a writer, or a demo build, is making new data (`Warehouse.writer_busy`, which owns
    the ETL's lock and copy files). The page keeps showing the old data meanwhile; this only says new
    data is on its way. Never creates a file.
    """
    db = Path(path)
    if Warehouse(db).writer_busy(float(settings.section("data_health")["refreshing_tolerance_seconds"])):
        return "refreshing"
    if not db.exists():
        return "missing"
    try:
        con = duckdb.connect(str(db), read_only=True)  # tables are checked by the page: this is only the file
        con.close()
    except Exception:  # not a DuckDB file, a corrupt one, a schema we don't know, a legacy writer
        return "unreadable"
    return "ok"
