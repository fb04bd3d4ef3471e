"""Visit outcomes from a file (`python -m etl load visits FILE`), into the operations store.

Teams that record outcomes on paper or in a force system hand the analyst a spreadsheet. It is
read with the same machinery as every partner file (encodings, header aliases, title and footer
rows, per-row reasons), checked in DuckDB, and written to hotspots-operations.db in one SQLite
transaction, rejects included, so that rebuilding the warehouse never loses it.

Positions: the file's own coordinates, else the HMO licence it names, else its postcode in the
warehouse's postcode lookup. A row with none of these still counts for its own address.

A file corrected and loaded again adds only rows not already on record. A row whose date alone was corrected
is not on record, and can't be told from a second visit to the same door: it is kept, and the summary names
it beside the earlier file's outcome, with the command that withdraws the wrong one
(operations/vocab/visit_files.toml says how near the dates must be).
"""
from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from etl import loading
from etl.config import warehouse_path
from etl.errors import FileProblem
from etl.loaders import checks, tabular, vocabularies
from etl.summary import LoadSummary
from etl.warehouse import Warehouse, load_spatial
from operations import vocabulary
from operations.store import OperationsStore, Outcome

CONTENT = ["visited_on", "address", "postcode", "licence_ref", "outcome", "potential_victims"]
MAX_NOTE = 2000
ACTIONS = ["safeguarding_referral", "nrm_referral", "partner_enforcement"]


@dataclass
class VisitsFile:
    summary: LoadSummary
    outcomes: list[Outcome] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)   # (row, reasons, raw JSON)


def load(path: str | Path, *, db: str | Path | None = None, store: OperationsStore | None = None,
         mapping: str | Path | None = None, sheet: str | None = None, loaded_by: str | None = None,
         progress: Callable[[int], None] | None = None) -> LoadSummary:
    path = Path(path)
    if not path.is_file():
        raise FileProblem(path, "no such file" if not path.exists() else "not a file")
    if mapping and not Path(mapping).is_file():    # said as load_file says it, before anything is read
        raise FileProblem(Path(mapping), "the mapping file does not exist")
    store = store or OperationsStore(db=db)
    sha = loading.file_sha256(path)
    earlier = store.loaded(sha)
    if earlier:
        summary = LoadSummary(kind="visits", source=path.stem, file_name=path.name, status="already_loaded")
        summary.message = _loaded_already(store, earlier)
        return summary
    parsed = read(path, db=db, mapping=Path(mapping) if mapping else None, sheet=sheet, progress=progress)
    load_id, skipped = store.load_outcomes(parsed.outcomes, file_name=path.name, sha256=sha,
                                           rejects=parsed.rejects, loaded_by=loaded_by)
    parsed.summary.load_id = load_id
    parsed.summary.rows_loaded -= skipped
    parsed.summary.rows_unchanged = skipped
    parsed.summary.warnings.append(f"saved in the operations store {store.path}, not the warehouse")
    parsed.summary.warnings += _date_corrections(store, load_id, parsed.outcomes)
    return parsed.summary


def _loaded_already(store: OperationsStore, earlier: dict) -> str:
    """What a file loaded before holds, and how to take out its outcomes if it was loaded wrongly. Other loads'
    message names `python -m etl remove KIND SOURCE`, which takes out no visit outcomes: each is withdrawn,
    kept with who withdrew it and why (`etl outcomes withdraw`). `etl outcomes list` shows only the last 90 days
    unless told a date, so the message gives the first visit date of the load's outcomes that still count."""
    said = f"same content as outcome load {earlier['id']} ({earlier['file_name']})"
    counting = store.outcomes()
    dates = counting.loc[counting["load_id"] == earlier["id"], "visited_on"]
    if dates.empty:
        return f"{said}; none of its outcomes counts now (withdrawn, or on record before it from another file)"
    return (f"{said}; if that file was loaded wrongly, withdraw each of its {len(dates):,} outcome(s): "
            f"`python -m etl outcomes list --since {min(dates):%Y-%m-%d}` shows their ids beside the file's name, "
            "and `python -m etl outcomes withdraw ID --reason \"loaded wrongly\"` withdraws one "
            "(`python -m etl remove` takes out no visit outcomes)")


@functools.cache
def _settings() -> dict:
    with open(vocabulary.VOCAB / "visit_files.toml", "rb") as fh:
        return tomllib.load(fh)["date_corrections"]


def _date_corrections(store: OperationsStore, load_id: int, outcomes: list[Outcome]) -> list[str]:
    """One warning per row added that may be an earlier file's visit with its date corrected: the same address,
    outcome and note on a date a few days away, which this file no longer gives (a file that still gives
    that date as well holds two visits, not a correction). Both are kept and both count, so the warning
    names both outcomes and how to withdraw the wrong one."""
    settings = _settings()
    given = {(o.address_key, o.outcome, o.note or "", o.visited_on.isoformat()) for o in outcomes}
    by_row = {o.source_row: o for o in outcomes}
    found: dict[int, dict] = {}
    for pair in store.nearby_dates(load_id, settings["within_days"]):
        row = by_row.get(pair["row"])
        if row is None or pair["row"] in found or \
                (row.address_key, row.outcome, row.note or "", pair["earlier_on"]) in given:
            continue
        found[pair["row"]] = pair
    lines = []
    for pair in list(found.values())[:settings["shown"]]:
        o = by_row[pair["row"]]
        earlier_row = f" row {pair['earlier_row']}" if pair["earlier_row"] is not None else ""
        lines.append(
            f"possible date correction: row {pair['row']} ({o.address}, {vocabulary.outcome_label(o.outcome)}) is "
            f"dated {_day(pair['visited_on'])}; outcome {pair['earlier_id']}, loaded from {pair['earlier_file']}"
            f"{earlier_row}, is the same on {_day(pair['earlier_on'])}. Both are kept and both count (this row is "
            f"outcome {pair['id']}); if one date is wrong, withdraw that outcome: python -m etl outcomes withdraw "
            f"{pair['earlier_id']} --reason \"date corrected\"")
    if len(found) > settings["shown"]:
        lines.append(f"{len(found) - settings['shown']} more row(s) may be earlier visits with their date corrected: "
                     "python -m etl outcomes list shows every outcome with its id, date and file")
    return lines


def _day(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%d %b %Y}"


def read(path: Path, *, db: str | Path | None = None, mapping: Path | None = None, sheet: str | None = None,
         progress: Callable[[int], None] | None = None) -> VisitsFile:
    """Stage, check and place every row; nothing is written anywhere."""
    summary = LoadSummary(kind="visits", source=path.stem, file_name=path.name)
    con = duckdb.connect()
    try:
        load_spatial(con)
        loading.define_value_macros(con)
        vocabularies.register(con)
        _register_outcomes(con)
        staged = tabular.stage(con, path, "visits", summary, required=[("visited_on",), ("address",), ("outcome",)],
                               mapping=mapping, sheet=sheet, progress=progress)
        _parse(con, staged)
        result = VisitsFile(summary=summary)
        raw_expr, params = staged.raw_json_sql()
        result.rejects = con.execute(f"""
            SELECT p.row_number, p.reason, {raw_expr} FROM parsed p JOIN stage ON stage._row = p.row_number
            WHERE p.reason IS NOT NULL ORDER BY p.row_number""", params).fetchall()
        summary.rows_rejected = len(result.rejects)
        upgraded = con.execute("SELECT count(*) FROM parsed WHERE reason IS NULL AND concerns_with_victims").fetchone()[0]
        if upgraded:
            summary.warnings.append(f"{upgraded} row(s) give concerns and a number of potential victims: stored "
                                    "as potential victims identified, the outcome as written kept in the note")
        rows = con.execute("""
            SELECT row_number, visited_on, address, postcode, licence_ref, lat, lon, outcome,
                   potential_victims, safeguarding_referral, nrm_referral, partner_enforcement, note
            FROM parsed WHERE reason IS NULL ORDER BY row_number""").fetchall()
    finally:
        con.close()
    places = _places(db, rows)
    unnumbered = 0
    for (row, visited_on, address, postcode, licence_ref, lat, lon, outcome, victims, *acts, note) in rows:
        key, plat, plon = places.get(row, (vocabulary.address_key(address, postcode, lat, lon), None, None))
        if outcome == "potential_victims" and victims is None:
            unnumbered += 1
        result.outcomes.append(Outcome(
            visited_on=visited_on, address_key=key, address=address, postcode=postcode, licence_ref=licence_ref,
            lat=lat if lat is not None else plat, lon=lon if lon is not None else plon, outcome=outcome,
            potential_victims=int(victims) if victims is not None else (1 if outcome == "potential_victims" else 0),
            safeguarding_referral=bool(acts[0]), nrm_referral=bool(acts[1]), partner_enforcement=bool(acts[2]),
            note=note or "", source_row=row))
    summary.rows_loaded = len(result.outcomes)
    summary.rows_ungeocoded = sum(1 for o in result.outcomes if o.lat is None)
    if summary.rows_ungeocoded:
        summary.warnings.append(_why_unplaced(result.outcomes))
    if unnumbered:
        summary.warnings.append(f"{unnumbered} row(s) say potential victims were identified but not how many: "
                                "counted as 1 each")
    return result


def _parse(con, staged) -> None:
    c = staged.column
    once: dict[str, str] = {}
    loc = checks.location(staged, once=checks.computed_once(once))
    given = "coalesce(o.value, o_lead.value)"
    # Concerns with a number of potential victims found is that outcome: the count is the more exact of the two
    # ("Safeguarding concerns - referred to VCT", 2). Kept, not rejected for a contradiction it is not.
    victims_found = f"(coalesce(parse_count({c('potential_victims')}), 0) > 0 AND {given} = 'concerns_intelligence')"
    outcome = f"CASE WHEN {victims_found} THEN 'potential_victims' ELSE {given} END"
    bools = [(a, f"b_{a}") for a in ACTIONS]
    validations = [
        checks.too_many_cells(staged),
        checks.rows_inside_a_cell(staged),
        checks.blank(c("visited_on"), "visit date"),
        checks.not_a_date(c("visited_on"), "visit date"),
        checks.date_between(c("visited_on"), "visit date", "DATE '2000-01-01'", "current_date + 1"),
        checks.blank(c("address"), "address"),
        checks.too_long(c("address"), "address", 500),
        checks.blank(c("outcome"), "outcome"),
        f"""CASE WHEN {c('outcome')} IS NOT NULL AND {outcome} IS NULL THEN 'outcome ' || shown({c('outcome')}) ||
            ' is not one of: {_accepted()}' END""",
        f"""CASE WHEN letter_for_digit({c('potential_victims')}) THEN 'potential victims ' ||
            shown({c('potential_victims')}) || ' has a letter where a digit may be meant (O for 0, I or l for 1):'
            || ' not read as a number' END""",
        checks.not_a_count(f"CASE WHEN NOT letter_for_digit({c('potential_victims')}) THEN {c('potential_victims')} END",
                           "potential victims", 1000),
        f"""CASE WHEN parse_count({c('potential_victims')}) > 0 AND {outcome} IS DISTINCT FROM 'potential_victims'
            THEN 'potential victims is ' || shown({c('potential_victims')}) || ' but the outcome is '
                 || shown({c('outcome')}) END""",
        *[f"""CASE WHEN {c(a)} IS NOT NULL AND {alias}.value IS NULL
              THEN '{a.replace('_', ' ')} ' || shown({c(a)}) || ' is not yes or no' END""" for a, alias in bools],
        checks.too_long(c("note"), "note", MAX_NOTE),
        *loc.checks,
    ]
    joins = " ".join(f"LEFT JOIN vocab_boolean {alias} ON {alias}.alias = label_key({c(a)})" for a, alias in bools)
    tabular.parse(con, f"""
        SELECT stage._row AS row_number,
               parse_date({c('visited_on')}) AS visited_on,
               trim({c('address')}) AS address,
               coalesce(postcode_in_cell({c('postcode')}), postcode_in_text({c('address')})) AS postcode,
               nullif(trim({c('licence_ref')}), '') AS licence_ref,
               {loc.lat} AS lat, {loc.lon} AS lon,
               {outcome} AS outcome,
               parse_count({c('potential_victims')}) AS potential_victims,
               {', '.join(f"coalesce(CAST({alias}.value AS BOOLEAN), false) AS {a}" for a, alias in bools)},
               {_note(c('outcome'), c('note'), victims_found)} AS note,
               {victims_found} AS concerns_with_victims,
               {checks.reasons(validations)} AS reason
        FROM {checks.stage_with(once)} LEFT JOIN vocab_outcome o ON o.alias = label_key({c('outcome')})
        LEFT JOIN vocab_outcome o_lead ON o.value IS NULL AND o_lead.alias = label_key({_lead(c('outcome'))}) {joins}
    """, CONTENT)


def _register_outcomes(con) -> None:
    """`vocab_outcome`: every word a file may use for an outcome (operations/vocab/outcomes.toml), and whether it
    says more than the outcome it is read as (`told_apart`: "Refused entry" is no access, but not nobody in)."""
    rows = {alias: (code, False) for alias, code in vocabulary.outcome_aliases().items()}
    rows.update({vocabulary.label_key(t): (code, True) for code, spec in vocabulary.outcomes().items()
                 for t in spec.get("told_apart", [])})
    con.execute("CREATE TEMP TABLE vocab_outcome (alias VARCHAR PRIMARY KEY, value VARCHAR, told_apart BOOLEAN)")
    con.executemany("INSERT INTO vocab_outcome VALUES (?, ?, ?)", [(a, v, t) for a, (v, t) in rows.items()])


# Where a note starts after the outcome, as teams write one: "No reply - card left", "No access (card left)",
# "No concerns, tenants spoke freely", "Concerns: intel submitted", "No access / refused". A hyphen inside a word
# ("No-one in") is no note, as etl/sql/macros.sql leading_label has it.
_NOTE_AFTER = r"\s*([(\[/,;:]|\s[-–—]|[-–—]\s).*$"


def _lead(cell: str) -> str:
    """SQL: the outcome as written before a note."""
    return f"trim(regexp_replace({cell}, '{_NOTE_AFTER}', ''))"


def _note(outcome_cell: str, note_cell: str, read_otherwise: str) -> str:
    """SQL: the row's note, led by the outcome as the file wrote it when that says more than the stored outcome
    (a note after it, words `told_apart`, or concerns read as the potential victims counted beside them: SQL
    `read_otherwise`): the team's "card left" or "refused entry" is not lost."""
    given = f"'outcome given as ''' || left(trim({outcome_cell}), 200) || ''''"
    return f"""CASE WHEN (o.value IS NULL AND o_lead.value IS NOT NULL) OR o.told_apart OR {read_otherwise}
                    THEN concat_ws('; ', {given}, nullif(trim({note_cell}), '')) ELSE {note_cell} END"""


def _accepted() -> str:
    """The outcomes a file may give, for a reject's reason (quotes doubled: it goes inside a SQL string)."""
    labels = "; ".join(s["label"] for s in vocabulary.outcomes().values())
    return (f"{labels}. An outcome says what the visit found (what was done, such as a warrant executed, goes "
            "in the notes); a note may follow it after ' - ' or in brackets").replace("'", "''")


def _why_unplaced(outcomes: list[Outcome]) -> str:
    """Why visits have no point, and what that costs: each still marks its own address, matched by its words,
    but victims found there raise no address nearby (that needs a point)."""
    unplaced = [o for o in outcomes if o.lat is None]
    coded = sum(1 for o in unplaced if o.postcode)
    causes = []
    if coded:
        causes.append(f"{coded:,} with a postcode the warehouse's postcode lookup does not hold")
    if len(unplaced) - coded:
        causes.append(f"{len(unplaced) - coded:,} with no postcode, no coordinates and no licence number on a "
                      "loaded register")
    return (f"{len(unplaced):,} visit(s) have no point ({'; '.join(causes)}): each still counts for its own "
            "address, but potential victims found there raise no address nearby; a postcode lookup or "
            "register that holds them places them when the file is loaded again")


def _places(db, rows) -> dict[int, tuple[str, float | None, float | None]]:
    """row → (address key, lat, lon) from the warehouse: the named licence first, else the postcode.

    Two lookups for the whole file (one per kind), not one per row.
    """
    wh = Warehouse(warehouse_path(db))
    if not rows or not wh.exists():
        return {}
    refs = sorted({r[4] for r in rows if r[4]})
    postcodes = sorted({r[3] for r in rows if r[3]})
    con = wh.connect_read_only()
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        licences = {ref: (key, lat, lon) for ref, key, lat, lon in con.execute("""
            SELECT licence_ref, 'L|' || source || '|' || licence_ref, lat, lon FROM hmo_licences
            WHERE licence_ref IN (SELECT unnest(?::VARCHAR[]))
            QUALIFY row_number() OVER (PARTITION BY licence_ref ORDER BY licence_expiry DESC NULLS LAST) = 1
        """, [refs]).fetchall()} if refs and "hmo_licences" in tables else {}
        points = {pc: (lat, lon) for pc, lat, lon in con.execute(
            "SELECT postcode, lat, lon FROM postcodes WHERE postcode IN (SELECT unnest(?::VARCHAR[]))",
            [postcodes]).fetchall()} if postcodes and "postcodes" in tables else {}
    finally:
        con.close()
    out: dict[int, tuple[str, float | None, float | None]] = {}
    for row, _, address, postcode, licence_ref, *_ in rows:
        if licence_ref in licences:
            out[row] = licences[licence_ref]
        elif postcode in points:
            out[row] = (vocabulary.address_key(address, postcode), *points[postcode])
    return out


def reject_lines(path: Path, rejects) -> list[str]:
    """'FILE row N: reasons', one line per rejected row (outcome files are short: every row is shown)."""
    return [f"  {path.name} row {r.row_number}: {r.reason}" for r in rejects]
