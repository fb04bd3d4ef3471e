"""Steps shared by the loaders of tabular files (HMO registers, reports, cases).

stage → parse (one SQL SELECT per kind, with a `reason` column) → rejects →
geocode → collapse duplicates → the kind's own merge into its table.
"""
from __future__ import annotations

import contextlib
import shlex
from pathlib import Path
from typing import Callable

import duckdb

from etl import geocode, h3cells, no_value, report_refs, vocab
from etl.errors import FileProblem
from etl.loaders import checks, kind_guess, sign_flags, swapped_columns
from etl.reading import row_fields
from etl.reading.headers import field_words, holds_any, require
from etl.reading.stage import StagedFile, address_words, column_label, require_rows, stage_file
from etl.summary import LoadSummary


def stage(con: duckdb.DuckDBPyConnection, path: Path, kind: str, summary: LoadSummary, *,
          required: list[tuple[str, ...]], mapping: Path | None, sheet: str | None,
          progress: Callable[[int], None] | None) -> StagedFile:
    staged = stage_file(con, path, kind, mapping, sheet, progress)
    try:
        require(path, kind, staged.match, required)
    except FileProblem as problem:
        other = kind_guess.hint(kind, staged.match.headers)
        if other:
            raise FileProblem(path, f"{other}. ({problem.problem})") from None
        raise
    _refuse_another_kind(path, kind, staged, required, mapping)
    require_rows(staged)
    summary.rows_read = staged.rows_read
    summary.warnings += staged.notes.warnings
    summary.warnings += swapped_columns.read_the_right_way_round(con, staged)
    if staged.footer_rows:
        summary.warnings.append(f"{staged.footer_rows:,} row(s) read as a footer or a note (a total, a page number, "
                                "'printed on …') and skipped: etl/vocab/rows.toml says which rows are not data")
    short_read = row_fields.short_rows_note(staged.field_counts, len(staged.match.headers))
    if short_read:
        summary.warnings.append(short_read)
    if staged.header_repeats:
        rows = ", ".join(map(str, staged.header_repeats[:5])) + (" …" if len(staged.header_repeats) > 5 else "")
        summary.warnings.append(f"{len(staged.header_repeats):,} row(s) repeating the header skipped (row "
                                f"{rows}): several exports joined into one file?")
    show = kind != "cases"   # a victim's location: never shown
    summary.rounding_notes = [n for n in (checks.coarse_grid_refs(con, staged, show_values=show),
                                          checks.rounded_coordinates(con, staged, show_values=show),
                                          checks.rounded_grid_positions(con, staged, show_values=show)) if n]
    summary.warnings += summary.rounding_notes
    for said in (checks.what3words(con, staged, show_values=show), checks.several_postcodes(con, staged, show_values=show)):
        if said:
            summary.warnings.append(said)
    # parse() rejects the row the file ends inside a quoted cell of (etl/reading/records.py): it is cut short
    con.execute("SET VARIABLE open_quote_row = ?", [staged.notes.open_quote_at_end])
    epoch = "1904-01-01" if staged.notes.dates_from_1904 else "1899-12-30"
    con.execute(f"SET VARIABLE excel_epoch = DATE '{epoch}'")    # parse_date reads it for Excel serials
    month_first, said = checks.date_order(con, staged, show_values=kind != "cases")
    con.execute(f"SET VARIABLE month_first = {str(month_first).lower()}")    # parse_date reads it (etl/sql/macros.sql)
    summary.warnings += said
    unused = _xy_not_coordinates(con, staged)
    if unused:
        summary.warnings.append(unused)
    continued = staged.address_continued()
    if continued and con.execute(f"SELECT count(*) FROM stage WHERE coalesce({', '.join(address_words(f'c{j}') for j in continued)}) "
                                 "IS NOT NULL").fetchone()[0]:
        summary.warnings.append(f"the address continues into {len(continued)} column(s) without a header after "
                                f"{staged.match.headers[staged.match.columns['address']]!r}: read as part of it")
    if staged.match.ignored_duplicates:
        summary.warnings.append("second column(s) with a field's header (" + ", ".join(
            repr(h) for h in staged.match.ignored_duplicates) + "): an address's is joined to the first, any "
            "other fills the first where it is blank")
        summary.warnings += _duplicates_disagreeing(con, staged, kind)
    if kind == "reports":
        taken = set(continued) | set(staged.match.passed_over) | set(staged.personal_columns())
        staged.match.sign_flags = sign_flags.find(con, staged, taken)
        summary.warnings += [n for n in (sign_flags.note(staged),) if n]
    summary.warnings += _fields_left_ambiguous(staged, kind)
    if kind != "cases":   # cases list theirs as not stored, and keep only what they store in their rejects
        summary.warnings += [n for n in (_unread_columns(staged, continued), _personal_columns_note(staged)) if n]
    return staged


def _refuse_another_kind(path: Path, kind: str, staged: StagedFile, required: list[tuple[str, ...]],
                         mapping: Path | None) -> None:
    """A file of another kind whose required columns were found only by a word in their headers: refused,
    naming what it looks like, as when a required column is missing.

    A keyword finds a date in almost any file: an HMO register's "Licence Expiry Date" became every report's
    date received (and most were rejected as in the future), a gazetteer's "modification_date" loaded its
    places as reports. A file whose required columns match by their own headers is never refused here, so a
    file of reports with licence columns besides still loads; nor is one whose columns --mapping names."""
    if mapping is not None:
        return
    match = staged.match
    by_keyword = [g for g in required if not any(f in match.columns and f not in match.by_keyword for f in g)
                  and any(f in match.by_keyword for f in g)]
    if not by_keyword:
        return
    other = kind_guess.hint(kind, match.headers)
    if other:
        found = " and ".join(f"the {field_words(kind, f)} would have been {match.by_keyword[f]!r}"
                             for g in by_keyword for f in g if f in match.by_keyword)
        raise FileProblem(path, f"{other}. ({found}, found only by a word in its header)")


def _duplicates_disagreeing(con: duckdb.DuckDBPyConnection, staged: StagedFile, kind: str) -> list[str]:
    """For each second column under a field's header, how many rows give it a value other than the first's.

    Two "Date" columns (the incident, then the day it was reported) are two different things: the second only
    fills the first where it is blank, so a row with both is stored with the first. Said with the count, the
    analyst can tell a copy (no disagreement) from another field. Dates are compared as dates, other values
    without case, spaces or punctuation ("CB1 2AB" is "cb12ab")."""
    def value(cell: str) -> str:
        return f"coalesce(parse_date({cell})::VARCHAR, regexp_replace(lower({cell}), '[^a-z0-9]', '', 'g'))"

    match, sheet, said = staged.match, staged.notes.sheet, []
    for name, again in match.duplicates.items():
        if name == "address":
            continue   # joined to the first, not filling it
        cell = "g" if name in no_value.fields() else "c"
        i = match.columns[name]
        for j in (j for j in again if j in staged.staged_columns):
            both, differ = con.execute(f"""
                SELECT count(*), count(*) FILTER (WHERE {value(f'{cell}{i}')} IS DISTINCT FROM {value(f'{cell}{j}')})
                FROM stage WHERE {cell}{i} IS NOT NULL AND {cell}{j} IS NOT NULL""").fetchone()
            if differ:
                first, second = (f"{column_label(k, sheet)} {match.headers[k]!r}" for k in (i, j))
                said.append(f"{first} and {second} disagree on {differ:,} of the {both:,} row(s) giving both: "
                            f"{column_label(i, sheet)} was read as the {field_words(kind, name)}, and "
                            f"{column_label(j, sheet)} only where it is blank. If they are different things, "
                            "rename the header of the one not meant and load again")
    return said


def _fields_left_ambiguous(staged: StagedFile, kind: str) -> list[str]:
    """A field two headers' words fit equally ("Number of people seen" and "Workers collected by van" both name
    people) is read from neither: a missing required one refuses the file saying so, but an optional one was
    only listed among the columns not read, and its column lost with no word of why."""
    match = staged.match
    return [f"{' and '.join(repr(h) for h in headers)} could each be the {field_words(kind, name)}, so neither was "
            f"read as it: name the right one with --mapping FILE ({name} = \"its header\")"
            for name, headers in match.ambiguous.items() if name not in match.columns]


def _unread_columns(staged: StagedFile, continued: list[int]) -> str | None:
    """The named columns no field of ours took. A misspelt header ("Indicaters") or one we have no alias for
    ("Licence Status") otherwise loses its column without a word."""
    used = set(staged.match.columns.values()) | set(continued or ()) | set(staged.match.passed_over)
    used |= set(staged.personal_columns())   # named once, by `_personal_columns_note`
    used |= set(staged.match.sign_flags)   # named as tick boxes (etl/loaders/sign_flags.py)
    unread = [(i, h) for i, h in enumerate(staged.match.headers)
              if h and i not in used and h not in staged.match.ignored_duplicates]
    # A time beside the date ("Date", "Time"; "Date reported", "Time reported") is expected: the day is what is
    # read, and no --mapping could name the time as a field of ours.
    times = [h for _, h in unread if holds_any(h, ["time"]) and not holds_any(h, ["date"])]
    names = [repr(h) + " (hidden in Excel)" * (i in staged.match.hidden) for i, h in unread if h not in times]
    said = []
    if times:
        said.append(", ".join(map(repr, times)) + ": a time beside the date, not read (the day is what is kept)")
    if names:
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        said.append(f"column(s) not read (no field of ours by that name; if one should be, name it with --mapping "
                    f"FILE): {shown}")
    return "; ".join(said) or None


def _personal_columns_note(staged: StagedFile) -> str | None:
    """Name, once and whether or not a row is rejected, the columns left out of the rejected rows' raw values
    (`StagedFile.personal_columns`): they are not read either, so nothing of them is stored, and an analyst
    looking for them among a rejected row's values knows why they are not there."""
    names = [staged.match.headers[i] for i in staged.personal_columns()]
    if not names:
        return None
    shown = ", ".join(map(repr, names[:12])) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    return (f"column(s) naming a person's contact details or identity, not read and not kept with the rejected "
            f"rows: {shown}")


def _xy_not_coordinates(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> str | None:
    """Columns named X and Y hold a point in most GIS exports, but in other files a tick or a Y/N flag. They are
    read as coordinates only when most of their values are a point in Great Britain (degrees or grid metres);
    otherwise they are left unread, and the rows placed by their postcodes, as if the file had no X and Y."""
    if not (staged.match.has("x") and staged.match.has("y")):
        return None
    x, y = f"parse_number({staged.column('x')})", f"parse_number({staged.column('y')})"
    degrees = checks.in_great_britain(f"parse_degrees({staged.column('y')})", f"parse_degrees({staged.column('x')})")
    given, points, example = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE {degrees}
                                             OR ({x} BETWEEN 1000 AND 700000 AND {y} BETWEEN 1000 AND 1300000)),
               min({staged.column('x')} || ' / ' || {staged.column('y')})
        FROM stage WHERE {staged.column('x')} IS NOT NULL OR {staged.column('y')} IS NOT NULL
    """).fetchone()
    if not given or points * 2 > given:
        return None
    names = [staged.match.headers[staged.match.columns[f]] for f in ("x", "y")]
    for f in ("x", "y"):
        del staged.match.columns[f]
    return (f"columns {names[0]!r} and {names[1]!r} not read as coordinates: {given - points:,} of their {given:,} "
            f"values are no point in Great Britain (e.g. {example!r}); rows are placed by their other location "
            "columns")


def parse(con: duckdb.DuckDBPyConnection, select_sql: str, content: list[str], params: list | None = None) -> None:
    """`select_sql` reads `stage` and yields one row per data row, with `row_number` and `reason`.

    `content` names the parsed columns whose values make a row "changed" on a re-load; `params`
    are the values for the `?` in `select_sql`.
    """
    # DuckDB's common-subexpression pass lifts an expression used twice into a projection of its own,
    # computed for every row. The value rules use their slow paths that way (parse_number's four uses of
    # _number_text, a regular expression, behind a try_cast that almost always succeeds: COALESCE and
    # CASE evaluate them only for the rows that need them). Without the pass, on the bench's 2,000,000-row
    # file, parsing the grid references took 1.5 s of CPU instead of 3.2 s, and this statement 5.7 s, not 8.3.
    with _without_optimizer(con, "common_subexpressions"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS SELECT *, {checks.row_hash(content)} AS row_hash "
                    f"FROM ({select_sql})", params or [])
    con.execute("UPDATE parsed SET reason = coalesce(reason || ? , ?) WHERE row_number = getvariable('open_quote_row')",
                [OPEN_QUOTE_AT_END_TOO, OPEN_QUOTE_AT_END])


# The reason of the row a file ends inside a quoted cell of; after a reason of its own, the clause said too.
OPEN_QUOTE_AT_END = ("the file ends inside a quoted cell opened on this row, so the row is incomplete: the file may "
                     "have been cut short (truncated?). Check it is complete, or close the quote, and load it again")
OPEN_QUOTE_AT_END_TOO = " (and the file ends inside this row's quoted cell: it may have been cut short)"


def once_per_value(name: str, inputs: dict[str, str], outputs: dict[str, str],
                   then: list[dict[str, str]] = ()) -> tuple[str, str]:
    """A CTE computing `outputs` once per distinct combination of `inputs`, and the LEFT JOIN that brings them back.

    `inputs` maps names to SQL over `stage`; `outputs` maps names to SQL over those names. Values in a
    big file repeat (dates, postcodes, categories, often points), so regular expressions and coordinate
    transforms run once per value instead of once per row. NULL inputs match NULL, so a row gets exactly
    what the expressions would give it. Names must not clash with the staged columns (c0, c1, ..., _row).
    Each mapping in `then` adds names computed from all those before it, also once per value.
    """
    given = ", ".join(f"{sql} AS {n}" for n, sql in inputs.items())
    body = f"SELECT DISTINCT {given} FROM stage"
    for level in (outputs, *then):
        body = f"SELECT *, {', '.join(f'{sql} AS {n}' for n, sql in level.items())} FROM ({body})"
    cte = f"{name} AS ({body})"
    join = f"LEFT JOIN {name} ON " + " AND ".join(f"{name}.{n} IS NOT DISTINCT FROM {sql}" for n, sql in inputs.items())
    return cte, join


def record_rejects(con: duckdb.DuckDBPyConnection, summary: LoadSummary, staged: StagedFile,
                   raw_sql: tuple[str, list] | None = None) -> None:
    summary.rows_rejected = con.execute("SELECT count(*) FROM parsed WHERE reason IS NOT NULL").fetchone()[0]
    if not summary.rows_rejected:
        return  # the join below reads every staged cell, even when no row was rejected
    apart = checks.positions_apart(con, staged)
    if apart:
        summary.warnings.append(apart)
    shifted = row_fields.rejected_note(con, "parsed")
    if shifted:
        summary.warnings.append(shifted)
    raw_expr, params = raw_sql or staged.raw_json_sql()
    con.execute(f"""
        INSERT INTO rejects (load_id, row_number, reason, raw)
        SELECT ?, p.row_number, p.reason, {raw_expr}
        FROM parsed p JOIN stage ON stage._row = p.row_number
        WHERE p.reason IS NOT NULL
        ORDER BY p.row_number
    """, [summary.load_id, *params])


def accepted_and_geocoded(con: duckdb.DuckDBPyConnection, summary: LoadSummary, key: str) -> None:
    """Valid rows, geocoded, with duplicates of one reference collapsed into the last one in the file.

    One pass over `parsed` builds `incoming`: the geocoding comes from a table of distinct places
    (`_geocode_places`), and only references that occur more than once are collapsed, found by a
    narrow GROUP BY rather than a window holding every row of the file. Before the collapse, the valid rows'
    repeats (reports without a reference, `report_refs.repeated_rows`) and stray dates (`_stray_dates`) are
    named for the summary: both load, but either can skew every count.
    """
    accepted = con.execute("SELECT count(*) FROM parsed WHERE reason IS NULL").fetchone()[0]
    alike = report_refs.repeated_rows(con) if summary.kind == "reports" else None
    stray = _stray_dates(con, DATE_JUDGED[summary.kind]) if summary.kind in DATE_JUDGED else None
    _geocode_places(con)
    same = " AND ".join(f"p._k{c} IS NOT DISTINCT FROM i.{c}" for c in PLACE)
    with _hash_tables_on_the_narrow_side(con):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE incoming AS
            WITH repeated AS (SELECT {key} AS k, max(row_number) AS last_row FROM parsed WHERE reason IS NULL
                              GROUP BY 1 HAVING count(*) > 1)
            SELECT i.* EXCLUDE (reason) REPLACE (p.lat AS lat, p.lon AS lon),
                   p.geocode_status, p.location_flag, p.district_code, p.lsoa_code,
                   {", ".join(f"p.{c}" for c in h3cells.COLUMNS)}
            FROM parsed i JOIN places p ON {same}
            LEFT JOIN repeated r ON r.k IS NOT DISTINCT FROM i.{key}
            WHERE i.reason IS NULL AND (r.last_row IS NULL OR r.last_row = i.row_number)
        """)
    con.execute("DROP TABLE places")
    summary.rows_collapsed = accepted - con.execute("SELECT count(*) FROM incoming").fetchone()[0]
    if summary.rows_collapsed:
        summary.warnings.append(_collapsed_rows(con, key, show_key=summary.kind != "cases"))
    summary.warnings += [said for said in (alike, stray) if said]
    summary.rows_ungeocoded, approximate = con.execute(
        "SELECT count(*) FILTER (WHERE geocode_status = 'not_geocoded'), "
        "count(*) FILTER (WHERE geocode_status = 'postcode_district') FROM incoming").fetchone()
    show = summary.kind != "cases"   # a victim's postcode never reaches a load summary
    if summary.rows_ungeocoded:
        summary.warnings += geocode.why_not_geocoded(
            con, "incoming", show_values=show, remove=f"python -m etl remove {summary.kind} {shlex.quote(summary.source)}")
    if approximate:
        summary.warnings.append(geocode.placed_approximately(con, "incoming", show_values=show))
    by_postcode = con.execute("SELECT count(*) FROM incoming WHERE _coarse AND geocode_status = 'postcode'").fetchone()[0]
    if by_postcode:
        summary.warnings.append(f"{by_postcode:,} row(s) with a coarse grid reference or rounded coordinates were "
                                "placed by their postcode instead, the more precise of the two")
    far = geocode.far_from_postcode(con, "incoming", show_values=show)
    if far:
        summary.warnings.append(far)
    flagged = _flagged(con, summary, placed=accepted - summary.rows_collapsed - summary.rows_ungeocoded)
    summary.warnings += flagged


# Kinds whose file, placed wholly outside the area, is said to be perhaps another force's (`_all_elsewhere`); an HMO
# register is refused so instead (etl/loaders/hmo.py), and visits are no file of a force's.
ANOTHER_FORCES = ("reports", "cases")


def _flagged(con: duckdb.DuckDBPyConnection, summary: LoadSummary, placed: int) -> list[str]:
    """The notes on the rows of `incoming` flagged outside the area or swapped, by flag; or, where all `placed` rows
    (those with a position) are outside the area, one note saying so (`_all_elsewhere`)."""
    flagged = con.execute("SELECT location_flag, count(*) FROM incoming WHERE location_flag IS NOT NULL "
                          "GROUP BY 1 ORDER BY 1").fetchall()
    if dict(flagged).get("outside_area") == placed and summary.kind in ANOTHER_FORCES:
        elsewhere = _all_elsewhere(con, summary, placed)
        if elsewhere:
            return [elsewhere]
    words = vocab.load("area")["location_flags"]
    return [(flag == "outside_area" and _unbounded_note(con, n))
            or f"{n} row(s) flagged {flag} ({words.get(flag, 'see the README')}): loaded without a district; check "
               "their coordinates" for flag, n in flagged]


def _unbounded_note(con: duckdb.DuckDBPyConnection, outside: int) -> str | None:
    """The note on rows flagged outside the area when district boundaries are loaded for some of the six only and
    some of those rows lie inside the area's box: they may be in a district whose boundary is missing, and "check
    their coordinates" sent the analyst to coordinates that were right. None otherwise (the plain note)."""
    names = vocab.area_districts()
    bounded = {code for (code,) in con.execute("SELECT DISTINCT code FROM boundaries WHERE level = 'district' "
                                               "AND list_contains(?, code)", [list(names)]).fetchall()}
    missing = [name for code, name in names.items() if code not in bounded]
    if not bounded or not missing:
        return None
    in_box = _outside_area_in_box(con)
    if not in_box:
        return None
    listed = ", ".join(missing[:-1]) + f" or {missing[-1]}" if len(missing) > 1 else missing[0]
    return (f"{outside:,} row(s) flagged outside_area (in none of the district boundaries loaded): loaded without a "
            f"district. {in_box:,} of them lie inside the force area, perhaps in {listed}, whose boundary is not "
            "loaded: `python -m etl load boundaries FILE` with all six districts places them; check the coordinates "
            "of any others")


def _outside_area_in_box(con: duckdb.DuckDBPyConnection) -> int:
    """The rows of `incoming` flagged outside the area that lie inside the force area's box (etl/vocab/area.toml):
    outside every boundary loaded, yet perhaps in a district whose boundary is not."""
    box = vocab.load("area")["bbox"]
    return con.execute("SELECT count(*) FROM incoming WHERE location_flag = 'outside_area' "
                       "AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
                       [box["min_lon"], box["max_lon"], box["min_lat"], box["max_lat"]]).fetchone()[0]


def _all_elsewhere(con: duckdb.DuckDBPyConnection, summary: LoadSummary, placed: int) -> str | None:
    """A note for a file whose every placed row is outside the force area's box (etl/vocab/area.toml), as an HMO
    register's refusal says it, and how to take it out: "N row(s) flagged outside_area" read as a few bad points, and
    the file, perhaps another force's, stayed in. Not refused: a reports or cases load adds to its source's rows and
    ends none, and a report from over the border may be shared on purpose. Inside the box, outside the districts
    loaded (boundaries for some of the six only), a row may be here: None, and the flags are said as ever.

    The notes on rounded positions are taken out of the summary: they say how approximately a row is placed in the
    area, and none is, so they are no help, and they stood first, as though the rounding were the file's problem."""
    if _outside_area_in_box(con):     # every placed row is flagged outside the area: are they all outside the box?
        return None
    summary.warnings[:] = [w for w in summary.warnings if w not in summary.rounding_notes]
    rows, them = (("its only row with a position is", "it") if placed == 1
                  else (f"all {placed:,} rows with a position are", "them"))
    remove = f"python -m etl remove {summary.kind} {shlex.quote(summary.source)}"
    return (f"{rows} outside the six districts (flagged outside_area): another force's file? Loaded without a "
            f"district, so no map or count of the area shows {them}. If the file does not belong here, `{remove}` "
            "takes it out; if it does, check its coordinates")


PLACE = ("postcode", "_outward", "lat", "lon", "_coarse")


def _collapsed_rows(con: duckdb.DuckDBPyConnection, key: str, show_key: bool) -> str:
    """Which rows shared a reference, and which one was kept: so the earlier versions can be found in the file.
    A case's reference is stored only as a keyed hash, so cases are named by their rows alone."""
    groups = con.execute(f"""
        SELECT {key}, list(row_number ORDER BY row_number) FROM parsed WHERE reason IS NULL
        GROUP BY 1 HAVING count(*) > 1 ORDER BY min(row_number) LIMIT 4
    """).fetchall()
    shown = "; ".join((f"{ref!r} " if show_key else "") + f"rows {', '.join(map(str, rows[:6]))}"
                      + (" …" if len(rows) > 6 else "") + f" (row {rows[-1]} kept)" for ref, rows in groups[:3])
    return f"rows with the same reference, the last one kept: {shown}" + (" …" if len(groups) > 3 else "")


# The date of each kind whose rows far from the rest of their file are named (`_stray_dates`): a report's
# received date is what the dashboard's dates and trends read.
DATE_JUDGED = {"reports": "received_on"}


def _stray_dates(con: duckdb.DuckDBPyConnection, column: str) -> str | None:
    """Name the valid rows of `parsed` dated far outside the file's central range (etl/vocab/dates.toml), or None.

    One stray date (an Excel serial among October's rows read as March 2023) loaded without a word, and the
    dashboard then said the files cover 2023-2026. The row still loads: an old report can be sent late. The
    quartiles come from the counts of each distinct date, not a sort of every row (a big file has a few
    thousand dates in two million rows)."""
    rule = vocab.load("dates")["stray_dates"]
    q1, q3, total = con.execute(f"""
        WITH days AS (SELECT {column} AS d, count(*) AS n FROM parsed WHERE reason IS NULL AND {column} IS NOT NULL
                      GROUP BY 1),
             upto AS (SELECT d, sum(n) OVER (ORDER BY d) AS upto, sum(n) OVER () AS total FROM days)
        SELECT min(d) FILTER (WHERE upto >= total * 0.25), min(d) FILTER (WHERE upto >= total * 0.75), max(total)
        FROM upto""").fetchone()
    if not total or total < int(rule["fewest_rows"]):
        return None
    margin = max(int(rule["days"]), int(float(rule["spreads"]) * (q3 - q1).days))
    n, rows = con.execute(f"""
        SELECT count(*), list(struct_pack(r := row_number, d := {column}) ORDER BY row_number)[1:6] FROM parsed
        WHERE reason IS NULL AND ({column} < ?::DATE - ?::INTEGER OR {column} > ?::DATE + ?::INTEGER)""",
                          [q1, margin, q3, margin]).fetchone()
    if not n:
        return None
    day = lambda d: f"{d.day} {d:%b %Y}"   # noqa: E731
    shown = ", ".join(f"row {r['r']} ({day(r['d'])})" for r in rows) + (" …" if n > 6 else "")
    return (f"{n:,} row(s) dated far from the rest of the file, whose middle half runs from {day(q1)} to "
            f"{day(q3)}: {shown}. Loaded as given, but the dates the dashboard covers stretch to them: check "
            "each for a typo in the year, or a number from another column read as an Excel date")


@contextlib.contextmanager
def _hash_tables_on_the_narrow_side(con: duckdb.DuckDBPyConnection):
    """Joining every valid row to its place, DuckDB built its hash table on the rows (2M rows, every column)
    rather than on the places (a few narrow columns): `reason IS NULL` made it guess the rows were fewer.
    Without its build-side swap, the join order it chose by size stands: on 2,000,000 rows, 3.0 s -> 1.9 s."""
    with _without_optimizer(con, "build_side_probe_side"):
        yield


@contextlib.contextmanager
def _without_optimizer(con: duckdb.DuckDBPyConnection, name: str):
    """One of DuckDB's optimizer passes off for the statements run inside."""
    con.execute(f"SET disabled_optimizers = '{name}'")
    try:
        yield
    finally:
        con.execute("RESET disabled_optimizers")


def _geocode_places(con: duckdb.DuckDBPyConnection) -> None:
    """A table `places`: each distinct place (postcode, outward code, file coordinates) of the valid rows, geocoded.

    A row's geocoding, district and H3 cells depend on nothing else, and a big file repeats its
    places (a street's postcode, an address reported many times): the postcode lookups, the point-
    in-polygon tests and the per-point H3 calls then run once per place, on a narrow table.
    The _k columns keep the place as the rows have it, for joining back. Geocoding never changes a
    file's own coordinates, with one exception: the centre of a grid reference's square of 1 km or
    more (`_coarse`) gives way to the row's full postcode when the lookup has it, a point within
    about 100 m, now or when a later postcode lookup has it (`geocode_status` 'grid_square' until then).
    """
    keys = ", ".join(f"{c} AS _k{c}" for c in PLACE)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE places AS
        SELECT *, {keys},
               CASE WHEN _coarse THEN '{geocode.GRID_SQUARE}' WHEN lat IS NOT NULL THEN 'coordinates' END AS geocode_status,
               NULL::VARCHAR AS location_flag, NULL::VARCHAR AS district_code, NULL::VARCHAR AS lsoa_code
        FROM (SELECT DISTINCT {", ".join(PLACE)} FROM parsed WHERE reason IS NULL)
    """)
    geocode.geocode(con, "places")   # a grid square gives way to its row's postcode there (`lookup_postcodes`)


def upsert_by_reference(con: duckdb.DuckDBPyConnection, summary: LoadSummary, table: str, key: str,
                        columns: list[str], date_column: str | None = None, rows_from: str = "incoming") -> None:
    """Reports and cases: a corrected re-export updates rows by reference within a source.

    The rows stored come from `rows_from`: `incoming`, or a view of it with columns added at the end
    (reports: their address ids).

    New rows are written in `date_column` order. DuckDB keeps each row group's smallest and largest
    value; rows stored by date let a query for the last 90 days skip every row group outside them,
    where rows in file order make it read the whole table (at national scale, the difference between
    reading 5 million reports and 700 thousand on every map and visit list).
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE merge_plan AS
        SELECT i.{key}, CASE WHEN t.{key} IS NULL THEN 'new'
                             WHEN t.row_hash = i.row_hash THEN 'unchanged' ELSE 'updated' END AS action
        FROM incoming i LEFT JOIN {table} t ON t.source = i.source AND t.{key} = i.{key}
    """)
    counts = dict(con.execute("SELECT action, count(*) FROM merge_plan GROUP BY 1").fetchall())
    summary.rows_loaded = counts.get("new", 0)
    summary.rows_updated = counts.get("updated", 0)
    summary.rows_unchanged = counts.get("unchanged", 0)
    cols = ", ".join(columns)
    if summary.rows_updated:
        con.execute(f"""
            DELETE FROM {table} WHERE source = ? AND {key} IN (SELECT {key} FROM merge_plan WHERE action = 'updated')
        """, [summary.source])
    # A first load of a file changes every row: the semi-join against the plan would keep them all (2M rows: 0.5 s).
    changed = f"WHERE {key} IN (SELECT {key} FROM merge_plan WHERE action <> 'unchanged')" if summary.rows_unchanged else ""
    con.execute(f"""
        INSERT INTO {table} ({cols})
        SELECT {cols} FROM {rows_from}
        {changed}
        {f"ORDER BY {date_column}" if date_column else ""}
    """)
