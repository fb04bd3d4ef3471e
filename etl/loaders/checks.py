"""SQL fragments for the per-value checks that every tabular loader shares.

Each check is a SQL expression that is NULL when the value is fine and otherwise a
reason an analyst can act on, quoting the value. Field names come from our own code,
never from a file, so composing them into SQL is safe; values stay in the tables.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from etl import no_value, vocab
from etl.reading import row_fields
from etl.reading.stage import StagedFile

DATE_HINT = "use dd/mm/yyyy or yyyy-mm-dd"


def reasons(checks: list[str]) -> str:
    """All failing checks of a row, joined; NULL when the row is fine. (concat_ws skips the NULLs itself:
    a list filtered by a lambda did the same at a cost on every row of a big file.)"""
    if not checks:
        return "NULL::VARCHAR"
    return f"nullif(concat_ws('; ', {', '.join(checks)}), '')"


DATE_FIELDS = ("received_on", "opened_on", "licence_start", "licence_expiry", "visited_on")
MONTH_FIRST_EVIDENCE = 2     # distinct month-first dates (none day first) that make a file month first
MONTHS_ALONE_SHOWN = 6        # rows named in the note on dates giving a month alone
# A date cell that may give a span or words before its date (etl/date_spans.py): a letter, a spaced dash, or a dash
# after a dd/mm/yyyy date. Plain dates, most of a file's, are not looked at again.
_SPAN_HINT = r"[A-Za-z&]|\s[-–—]\s|\d[/.]\d{1,2}[/.]\d{2,4}\s*[-–—]"
_NUMERIC_DATE = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2}(?:\d{2})?\b"     # groups: the first and second number


def date_order(con, staged: StagedFile, show_values: bool) -> tuple[bool, list[str]]:
    """Whether the file writes its dates month first (01/13/2024), and the notes to say so and to name its
    dates that give a month alone (`_months_alone`): one look at the date columns for both.

    Partners' dates are day first, but a system set up for the US writes them month first, and then every
    date up to the 12th of a month reads as another date, silently. A file is month first when some date
    puts a number past 12 second and none puts one first; every numeric date in it is then read month
    first; one such date alone may be a typo, so it only earns a warning. A file with both is read day
    first, and said to be mixed. A file whose every such date could be either (03/04/2026) is read day first,
    and said to be, as nothing in it tells. Judged on distinct values, so a big file's repeated dates cost one
    look each."""
    columns = {f: staged.column(f) for f in DATE_FIELDS if staged.match.has(f)}
    if not columns:
        return False, []
    # o orders a row's dates as the file's columns do, so the example shown is the same on every run
    values = " UNION ALL ".join(f"SELECT '{f}' AS f, {c} AS v, _row AS r, {DATE_FIELDS.index(f)} AS o FROM stage"
                                for f, c in columns.items())
    either = "a BETWEEN 1 AND 12 AND b BETWEEN 1 AND 12 AND a <> b"   # 03/04: 3 April or 4 March
    # Which columns hold such dates: with one date column (a big file's usual), that one, without asking. With
    # several, a value is counted once however many columns give it.
    either_in = f"list(DISTINCT f) FILTER (WHERE {either})" if len(columns) > 1 else "NULL"
    count = "count(DISTINCT v)" if len(columns) > 1 else "count(*)"
    # A month alone never has a day and month to order: the regular expression above finds none in it. Its rows
    # are counted once each, and the first ones taken as the least, not by sorting them (a police.uk download's
    # every date is a month).
    alone = "CASE WHEN n.a = '' THEN month_alone(v) ELSE false END"
    rows = "count(DISTINCT r)" if len(columns) > 1 else "count(*)"
    (day, month, day_example, month_example, either_example, either_fields,
     *months_alone) = con.execute(f"""
        SELECT {count} FILTER (WHERE a > 12 AND b <= 12), {count} FILTER (WHERE b > 12 AND a <= 12),
               min(v) FILTER (WHERE a > 12 AND b <= 12), min(v) FILTER (WHERE b > 12 AND a <= 12),
               min(v) FILTER (WHERE {either}), {either_in},
               {rows} FILTER (WHERE alone), list(DISTINCT f) FILTER (WHERE alone),
               arg_min(v, (r, o)) FILTER (WHERE alone), min(r, {2 * MONTHS_ALONE_SHOWN}) FILTER (WHERE alone),
               count(*) FILTER (WHERE NOT alone) = 0
        FROM (SELECT f, v, r, o, try_cast(n.a AS INTEGER) AS a, try_cast(n.b AS INTEGER) AS b, {alone} AS alone
              FROM (SELECT f, v, r, o, regexp_extract(v, ?, ['a', 'b']) AS n FROM ({values}) WHERE v IS NOT NULL))
    """, [_NUMERIC_DATE]).fetchone()
    month_first, said = _order(staged, columns, show_values, day, month, day_example, month_example,
                               either_example, either_fields)
    spans = _spans(con, staged, values, show_values)
    return month_first, said + ([_months_alone(staged, *months_alone, show_values)] if months_alone[0] else []) + spans


def _spans(con, staged: StagedFile, values: str, show_values: bool) -> list[str]:
    """The note for dates given as a span or with a word before them ("01/02/2026 - 03/02/2026", "approx
    01/02/2026"), each stored as its first date (etl/date_spans.py): the rows are counted and named, so a date
    read so is never taken for one the sender wrote. Only values that could be such a date are parsed: a CASE,
    as DuckDB may reorder an AND to parse every date in the file first (3 s of a 300,000-row load)."""
    rows, fields, example, first = con.execute(f"""
        SELECT count(DISTINCT r), list(DISTINCT f), arg_min(v, (r, o)), list(DISTINCT r ORDER BY r)[:{MONTHS_ALONE_SHOWN}]
        FROM ({values})
        WHERE CASE WHEN regexp_matches(v, ?) THEN date_in_span(v) ELSE false END""", [_SPAN_HINT]).fetchone()
    if not rows:
        return []
    names = " and ".join(repr(staged.match.headers[staged.match.columns[f]]) for f in sorted(fields, key=DATE_FIELDS.index))
    said = f" ({example.strip()!r})" if show_values else ""
    listed = ", ".join(map(str, first)) + (" …" if rows > len(first) else "")
    return [f"{rows:,} row(s) give a span of dates or a date with words before it in {names}{said}: stored as "
            f"its first date (row{'s' if rows > 1 else ''} {listed}); check them if the day matters"]


def _order(staged: StagedFile, columns: dict[str, str], show_values: bool, day: int, month: int,
           day_example: str | None, month_example: str | None, either_example: str | None,
           either_fields: list[str] | None) -> tuple[bool, list[str]]:
    """`date_order`'s reading of the file's numeric dates: month first or not, and the note that says why."""
    if not month and not day and either_example:
        fields = sorted(either_fields or columns, key=DATE_FIELDS.index)
        return False, [_either_order(staged, fields, either_example, show_values)]
    if not month:
        return False, []
    said = (lambda v: f" ({v!r})") if show_values else (lambda v: "")
    if not day and month >= MONTH_FIRST_EVIDENCE:
        return True, [f"dates read month first (mm/dd/yyyy): {month:,} date(s) put a number past 12 second"
                      f"{said(month_example)}, and none puts one first"]
    if not day:
        return False, [f"1 date puts a number past 12 second{said(month_example)}: rejected, as no month is past "
                       "12. If the file writes its dates month first (mm/dd/yyyy), the others were read wrongly: "
                       "check them"]
    return False, [f"dates are written both day first{said(day_example)} and month first{said(month_example)}: "
                   "read day first, so the month-first ones are rejected and a date with both numbers 12 or under "
                   "may be wrong; ask the sender for one format (yyyy-mm-dd is safest)"]


def _months_alone(staged: StagedFile, rows: int, fields: list[str], example: str, first: list[int],
                  every_date: bool, show_values: bool) -> str:
    """The note for dates that give a month alone ("Nov-26", "2026-11"), each stored as the 1st of its month.

    Stored without a word, a month's rows stood on its 1st in every count by day or week, and a licence that
    expires "Nov-26" expired on 1 November: the analyst is told how many rows, where, and which. A file whose
    every date is a month (police.uk's download publishes no days) is said to be so, with nothing to ask for."""
    names = " and ".join(repr(staged.match.headers[staged.match.columns[f]])
                         for f in sorted(fields, key=DATE_FIELDS.index))
    said = f" ({example.strip()!r})" if show_values else ""
    if every_date:
        return (f"every date in {names} gives a month only, no day{said}: each of the {rows:,} row(s) is stored as "
                "the 1st of its month, so counts by day or week put them all on the 1st")
    shown = sorted(set(first))[:MONTHS_ALONE_SHOWN]
    listed = ", ".join(map(str, shown)) + (" …" if rows > len(shown) else "")
    return (f"{rows:,} row(s) give a month only, no day, in {names}{said}: stored as the 1st of that month "
            f"(row{'s' if rows > 1 else ''} {listed}). Counts by day or week put them all on the 1st; "
            "ask the sender for the full dates if the day matters")


def _either_order(staged: StagedFile, fields: list[str], example: str, show_values: bool) -> str:
    """The warning for a file whose numeric dates all read as well month first as day first: read day first
    (partners are in the UK), but a US-set system's file would then have every date's day and month swapped,
    without a date past the 12th to show it. `etl load` has no option to read a file month first."""
    names = " and ".join(repr(staged.match.headers[staged.match.columns[f]]) for f in fields)
    day, month, year = re.match(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}(?:\d{2})?)", example).groups()
    if len(year) == 2:
        year = str(dt.datetime.strptime(year, "%y").year)
    read, other = (f"{int(a)} {calendar.month_name[int(b)]} {year}" for a, b in ((day, month), (month, day)))
    said = f" ({example.strip()})" if show_values else ""
    example_read = f"{read}, not {other}" if show_values else "03/04 as 3 April, not 4 March"
    return (f"every date in {names} could be read day-first or month-first{said}: read day first ({example_read}); "
            "if the file is month-first (US), its dates were read with day and month swapped: write them as "
            "yyyy-mm-dd (or dd/mm/yyyy) and load the file again")


def blank(expr: str, label: str) -> str:
    return f"CASE WHEN {expr} IS NULL THEN '{label} is blank' END"


def not_a_date(expr: str, label: str, parsed: str | None = None) -> str:
    """`parsed`: SQL for parse_date(expr) if the loader computed it already (once per distinct value)."""
    parsed = parsed or f"parse_date({expr})"
    return f"CASE WHEN {expr} IS NOT NULL AND {parsed} IS NULL " \
           f"THEN '{label} ' || shown({expr}) || ' is not a date ({DATE_HINT})' END"


def date_between(expr: str, label: str, earliest: str, latest: str, parsed: str | None = None) -> str:
    """Dates outside [earliest, latest] are typos (1900, 2100) rather than facts."""
    parsed = parsed or f"parse_date({expr})"
    return f"""CASE WHEN {parsed} < {earliest} OR {parsed} > {latest}
               THEN '{label} ' || shown({expr}) || ' is not plausible (' || CASE WHEN {parsed} > {latest}
               THEN 'in the future' ELSE 'too long ago' END || ')' END"""


def not_a_count(expr: str, label: str, maximum: int = 10_000, parser: str = "parse_count",
                parsed: str | None = None) -> str:
    """A count that can't be read, is negative, or is past `maximum` (45292, an Excel date in the wrong
    column, is a whole number but no household count): each said as what it is. `parser` is the macro
    that reads it (parse_storeys also reads "G+2"); `parsed`, SQL for its value if the loader computed it
    already (`computed_once`): the macro written out in each branch makes DuckDB plan it each time."""
    count = parsed or f"{parser}({expr})"
    return f"""CASE WHEN {expr} IS NULL THEN NULL
               WHEN {count} IS NULL THEN '{label} ' || shown({expr}) || ' is not a whole number'
               WHEN {count} < 0 THEN '{label} ' || shown({expr}) || ' is negative'
               WHEN {count} > {maximum}
               THEN '{label} ' || shown({expr}) || ' is more than {maximum:,}: not plausible' END"""


def excel_error(expr: str, label: str) -> str:
    """A reference that is an Excel error value ('#REF!': a formula that failed, in a CSV export as in a workbook):
    stored, every such row would be one licence or report of that number. The codes are etl/vocab/no_value.toml's
    `excel_errors`; only a cell holding a '#' is compared, so a big file's references cost a text test each."""
    codes = ", ".join("'" + code.replace("'", "''") + "'" for code in no_value.excel_errors())
    return (f"CASE WHEN contains({expr}, '#') AND upper(trim({expr})) IN ({codes}) "
            f"THEN '{label} ' || shown({expr}) || ' is an Excel error (a formula that failed), not a value' END")


def too_long(expr: str, label: str, limit: int) -> str:
    return f"CASE WHEN length({expr}) > {limit} THEN '{label} is longer than {limit} characters' END"


def too_many_cells(staged: StagedFile) -> str:
    """A row with values past the header's last column, or (a CSV) more or fewer fields than the file's rows have:
    its values are in the wrong columns, so it is rejected, not repaired (etl/reading/row_fields.py says why)."""
    width = len(staged.match.headers)
    delimiter = staged.notes.delimiter
    word = row_fields.DELIMITER_WORDS.get(delimiter, repr(delimiter))
    why = (f"an unquoted {word} in a value (an address?) moves the values after it {row_fields.MARK}. Put that value "
           f"in quotes, or take the {word} out, and load the file again" if delimiter
           else "is there an unquoted comma in an address?")
    values = f"CASE WHEN _ncells > {width} THEN 'the row has ' || _ncells || ' values but the header has {width}: ' || " \
             f"'{why.replace(chr(39), chr(39) * 2)}' END"
    fields = row_fields.wrong_fields(staged.field_counts, width, delimiter, staged.notes.open_quote_at_end)
    return f"coalesce({values}, {fields})"


def rows_inside_a_cell(staged: StagedFile) -> str:
    """A row whose quoted cell holds lines with a whole row's worth of delimiters: a quote opened on it and
    closed rows later, or never, made the CSV reader take the rows between into that one cell. Loaded, they
    would vanish as rows and pollute the cell, silently; so the row is rejected, naming a swallowed line.

    Legitimate line breaks in a cell (an address typed over lines) rarely hold as many delimiters as the
    header; files of fewer than 3 columns are not judged. Only CSV files with a line break in some cell
    (`staged.line_breaks_in_cells`, known for free while reading) pay for the test."""
    width = len(staged.match.headers)
    if not staged.line_breaks_in_cells or not staged.notes.delimiter or width < 3:
        return "NULL"
    delimiter = re.escape(staged.notes.delimiter).replace("'", "''")
    line = f"[\\r\\n]((?:[^\\r\\n]*{delimiter}){{{width - 1}}}[^\\r\\n]*)"    # group 1: the swallowed row
    field_of = {i: name.replace("_", " ") for name, i in staged.match.columns.items()}
    whens = []
    for i in staged.staged_columns:
        cell = f"the {field_of[i]}" if i in field_of else f"column {i + 1}"   # our words: a header is the file's
        whens.append(f"""WHEN (strpos(c{i}, chr(10)) > 0 OR strpos(c{i}, chr(13)) > 0) AND regexp_matches(c{i}, '{line}')
            THEN '{cell} runs over ' || (length(c{i}) - length(replace(replace(c{i}, chr(13) || chr(10), chr(10)), chr(10), '')))
                 || ' more line(s), which look like rows of their own (' || shown(regexp_extract(c{i}, '{line}', 1))
                 || '): a quote (") opened on this row is closed rows later, or never, so those rows were read into '
                 || 'this cell; fix the quote and load the file again'""")
    return f"CASE {' '.join(whens)} END" if whens else "NULL"


@dataclass
class Location:
    """How a file gives locations: WGS84 columns, BNG columns, or neither."""

    lat: str = "NULL::DOUBLE"
    lon: str = "NULL::DOUBLE"
    checks: list[str] = field(default_factory=list)
    bng_point: str = "NULL"   # the BNG point in WGS84, or NULL (with several kinds of location, a struct of the
                              # position taken and that point: `_placed_by_the_most_precise`): what `lat` and
                              # `lon` read when named
    coarse: str = "false"     # `lat` and `lon` are rounded to a km or more (`coarse_step_metres`): approximate
    half: str = "NULL::VARCHAR"         # the pair a row gives one half of ('latitude and longitude'), or NULL
    half_given: str = "NULL::VARCHAR"   # that half, as written ("latitude '52.66' without a longitude"), or NULL


# How each coordinate field's text becomes a number (etl/sql/macros.sql); any other field: parse_number.
PARSER = {"lat": "parse_degrees", "lon": "parse_degrees", "easting": "parse_easting", "northing": "parse_northing"}


class _Parts(NamedTuple):
    """What one coordinate source adds to a Location, each list in its order of preference."""

    wgs: list[tuple[str, str, str]]    # (usable, lat, lon)
    rounded: list[str]                 # per `wgs` entry: SQL, whether its degrees are rounded to a km or more
    grid: list[tuple[str, str, str]]   # (usable, easting, northing)
    coarse: list[str]                  # per `grid` entry: SQL, whether it is rounded to a km or more (a square's centre)
    checks: list[str]
    named: str = "NULL"                # SQL: the position as the file writes it, for a reason
    half: tuple[str, str] | None = None   # SQL: the pair's words and the half given, where a row gives one half only
    spread: tuple[str, ...] = ()       # per `wgs` then `grid` entry: SQL, the metres its rounding may put it off


def location(staged: StagedFile, col: Callable[[str], str] | None = None,
             num: Callable[[str], str] | None = None, bng_point_name: str | None = None,
             once: Callable[[str, str], str] | None = None, half_pairs_set_aside: bool = False) -> Location:
    """Coordinates from the file, told apart by their headers; BNG is transformed in DuckDB.

    A file gives WGS84 latitude/longitude columns, BNG easting/northing columns, one `coordinates`
    column holding a pair of either ("52.574, -0.241", "545123 265432": told apart by their size), a WKT
    point or a map link (`point_in_text`; in an address column too, `HeaderMatch.points_in_address`), a GIS
    export's `x` and `y` columns holding either (also told apart by size), or an OS `grid_ref`
    ("TL 45123 58123"). Where it gives one of these, its first usable position is taken; where it gives several,
    the most precise usable one (`_most_precise`).
    Degrees may carry a hemisphere, a degree sign or minutes and seconds (`parse_degrees`).

    `col` names the SQL for a field (default: its staged column), so the same expressions can run
    over a table of distinct coordinate values (`tabular.once_per_value`); `num` names the SQL for
    its value as a number (default: parse_degrees or parse_number of `col`), for a caller that parsed
    it already. With `bng_point_name`, `lat` and `lon` read the transformed point from that column,
    which the caller defines as `bng_point`: the transform then runs once per point, not once per axis.
    `once(name, sql)` gives the SQL to use for a value the expressions read many times (a coordinates column's
    pair, parsed): a caller that computes `sql` beforehand as `name` returns the name. Written out in full,
    each of a coordinates column's hundred uses expanded its macros again, and DuckDB took 20 seconds to
    plan a file of 8 rows.
    With `half_pairs_set_aside`, a row giving one half of a pair only (a latitude without its longitude) is not
    rejected by `checks`: the caller decides, with `half_pair`, from `half` and what else can place the row (its
    postcode), which the expressions here may not see (they can run over a table of coordinate values alone).
    """
    col = col or staged.column
    num = num or (lambda f: f"{PARSER.get(f, 'parse_number')}({col(f)})")
    once = once or (lambda name, sql: sql)
    given = [(fields[0], source(col, num, once)) for fields, source in _SOURCES
             if all(staged.match.has(f) for f in fields)]
    parts = [p for _, p in given]
    wgs = [w for p in parts for w in p.wgs]
    rounded = [r for p in parts for r in p.rounded]
    grid = [g for p in parts for g in p.grid]
    coarse = [c for p in parts for c in p.coarse]
    loc = Location(checks=[c for p in parts for c in p.checks] + disagreeing_positions(given))
    halves = [p.half for p in parts if p.half]
    if halves:
        loc.half = f"coalesce({', '.join(words for words, _ in halves)})"
        loc.half_given = f"coalesce({', '.join(given for _, given in halves)})"
        if not half_pairs_set_aside:
            loc.checks.append(half_pair(loc.half))
    if len(given) > 1:
        return _placed_by_the_most_precise(loc, parts, wgs, grid, [*rounded, *coarse], bng_point_name, once)
    lat_parts = [f"CASE WHEN {ok} THEN {lat} END" for ok, lat, _ in wgs]
    lon_parts = [f"CASE WHEN {ok} THEN {lon} END" for ok, _, lon in wgs]
    if grid:
        cases = " ".join(f"WHEN {ok} THEN ST_Point({e}, {n})" for ok, e, n in grid)
        loc.bng_point = f"ST_Transform(CASE {cases} END, 'EPSG:27700', 'EPSG:4326', always_xy := true)"
        point = bng_point_name or loc.bng_point
        lat_parts.append(f"ST_Y({point})")
        lon_parts.append(f"ST_X({point})")
    # Coarse when the point taken is rounded to a km or more: a grid reference's square, degrees or metres.
    if any(c != "false" for c in [*coarse, *rounded]):
        taken = [*((ok, c) for (ok, _, _), c in zip(wgs, rounded)), *((ok, c) for (ok, _, _), c in zip(grid, coarse))]
        loc.coarse = f"coalesce(CASE {' '.join(f'WHEN {ok} THEN {c}' for ok, c in taken)} END, false)"
    if lat_parts:
        loc.lat = f"coalesce({', '.join(lat_parts)})"
        loc.lon = f"coalesce({', '.join(lon_parts)})"
    return loc


def _placed_by_the_most_precise(loc: Location, parts: list[_Parts], wgs: list[tuple[str, str, str]],
                                grid: list[tuple[str, str, str]], coarse: list[str], bng_point_name: str | None,
                                once: Callable[[str, str], str]) -> Location:
    """`loc` placed by the most precise usable position of a file that gives several kinds (`_most_precise`).

    Which position that is, and the grid's point when it is the grid's, are one value (`bng_point`, a struct of
    the position's number `n` and the `point`), computed once: by the caller as `bng_point_name`, else by `once`.
    Written into each of `lat`, `lon` and `coarse`, and an HMO register reads `lat` three times, the choice and its
    transform made a 4-row file of five kinds of location take minutes to plan. The grid's point is transformed
    only for a row placed by it."""
    cases = " ".join(f"WHEN {i} THEN ST_Point({e}, {n})" for i, (_, e, n) in enumerate(grid, len(wgs) + 1))
    point = (f"ST_Transform(CASE _n {cases} END, 'EPSG:27700', 'EPSG:4326', always_xy := true)" if grid
             else "NULL::GEOMETRY")
    loc.bng_point = f"list_transform([{_most_precise(parts)}], lambda _n: struct_pack(n := _n, point := {point}))[1]"
    taken = bng_point_name or once("position", loc.bng_point)
    lats = " ".join(f"WHEN {i} THEN {lat}" for i, (_, lat, _) in enumerate(wgs, 1))
    lons = " ".join(f"WHEN {i} THEN {lon}" for i, (_, _, lon) in enumerate(wgs, 1))
    # Only grid positions (an easting and northing beside a grid reference): no degrees to choose, only points.
    loc.lat = f"CASE {taken}.n {lats} ELSE ST_Y({taken}.point) END" if wgs else f"ST_Y({taken}.point)"
    loc.lon = f"CASE {taken}.n {lons} ELSE ST_X({taken}.point) END" if wgs else f"ST_X({taken}.point)"
    if any(c != "false" for c in coarse):
        loc.coarse = f"coalesce(CASE {taken}.n {' '.join(f'WHEN {i} THEN {c}' for i, c in enumerate(coarse, 1))} END, false)"
    return loc


def _most_precise(parts: list[_Parts]) -> str:
    """SQL: the number of the position a row giving several is placed by (its degrees' positions numbered first,
    in the order of `_SOURCES`, then its grid's), or NULL when none is usable: the most precise usable one.

    Rounded degrees (52.2, 0.12: about 8 km) give way to an easting and northing to the metre, a round easting and
    northing (to the km) to degrees to 4 decimals, and latitude/longitude columns rounded so to a coordinates
    column's precise degrees, or the other way round: taken by column order, the rounded point was stored while a
    precise one stood in the same row. Each is as precise as its rounding (`spread`, from the decimals, the round
    metres or the grid reference's figures written). Positions a door apart or less (etl/vocab/locations.toml) are
    as good as each other, and the first is taken: degrees before the grid, as before. A position that is not
    usable (a blank easting beside rounded degrees) is never taken: it once placed such a row nowhere. Two
    positions further apart than their rounding allows are rejected (`disagreeing_positions`), so the one taken
    here is always within the other's rounding."""
    door = float(vocab.load("locations")["more_precise"]["same_door_metres"])
    entries = [(ok, spread) for p in parts for (ok, _, _), spread in zip(p.wgs, p.spread[:len(p.wgs)], strict=True)]
    entries += [(ok, spread) for p in parts for (ok, _, _), spread in zip(p.grid, p.spread[len(p.wgs):], strict=True)]
    # A struct list's least is by its first field, then its second: the most precise, the first of equals.
    keys = ", ".join(f"CASE WHEN {ok} THEN struct_pack(metres := greatest(coalesce(({spread})::DOUBLE, 0), {door}), "
                     f"n := {i}) END" for i, (ok, spread) in enumerate(entries, 1))
    return f"list_min([{keys}]).n"


def computed_once(values: dict[str, str]) -> Callable[[str, str], str]:
    """A `location(once=...)` that collects each value in `values` (name → SQL), for `stage_with`."""
    def once(name: str, sql: str) -> str:
        values[f"po_{name}"] = sql
        return f"po_{name}"
    return once


def stage_with(values: dict[str, str]) -> str:
    """The stage as a FROM clause, with `values` (from `computed_once`) computed once per row beside its cells.
    A value that reads another (the position a row is placed by reads its coordinates' parsed pair) is computed
    in a level after it."""
    if not values:
        return "stage"
    level: dict[str, int] = {}
    for name, sql in values.items():
        level[name] = 1 + max((level[n] for n in re.findall(r"\bpo_\w+", sql) if n in level), default=-1)
    body = "stage"
    for depth in range(max(level.values()) + 1):
        named = ", ".join(f"{values[name]} AS {name}" for name in values if level[name] == depth)
        body = f"(SELECT *, {named} FROM {body}) stage"
    return body


def _lat_lon(col: Callable[[str], str], num: Callable[[str], str], once: Callable[[str, str], str]) -> _Parts:
    lat, lon = num("lat"), num("lon")
    return _Parts(
        wgs=[(_degrees_ok(lat, lon), lat, lon)], rounded=[rounded_degrees(col("lat"), col("lon"))], grid=[], coarse=[],
        named=_named("lat", col("lat"), col("lon")), spread=(_degrees_spread(col("lat"), col("lon")),),
        half=_half_pair(col("lat"), col("lon"), lat, lon, "latitude", "longitude"),
        checks=[*_pair_checks(col("lat"), col("lon"), lat, lon, "latitude", "longitude"),
                f"""CASE WHEN {lat} IS NOT NULL AND {lon} IS NOT NULL AND NOT {_degrees_ok(lat, lon)}
                 AND NOT {_null_island(lat, lon)}
            THEN 'latitude ' || shown({col('lat')}) || ' / longitude ' || shown({col('lon')}) ||
                 ' are out of range; if they are eastings and northings, name the columns Easting and Northing' END"""])


def _easting_northing(col: Callable[[str], str], num: Callable[[str], str], once: Callable[[str, str], str]) -> _Parts:
    east, north = num("easting"), num("northing")
    return _Parts(
        wgs=[], rounded=[], grid=[(_bng_ok(east, north), east, north)], coarse=[rounded_metres(east, north)],
        named=_named("easting", col("easting"), col("northing")),
        spread=(_metres_spread(col("easting"), col("northing")),),
        half=_half_pair(col("easting"), col("northing"), east, north, "easting", "northing"),
        checks=[*_pair_checks(col("easting"), col("northing"), east, north, "easting", "northing"),
                f"""CASE WHEN {east} IS NOT NULL AND {north} IS NOT NULL AND {_looks_like_degrees(east, north)}
            THEN 'easting ' || shown({col('easting')}) || ' / northing ' || shown({col('northing')}) ||
                 ' look like degrees, not metres; if they are latitude and longitude, name the columns Latitude and Longitude'
            WHEN {east} IS NOT NULL AND {north} IS NOT NULL AND NOT {_bng_ok(east, north)}
            THEN 'easting ' || shown({col('easting')}) || ' / northing ' || shown({col('northing')}) ||
                 ' are not British National Grid coordinates' END"""])


def _coordinates(col: Callable[[str], str], num: Callable[[str], str], once: Callable[[str, str], str]) -> _Parts:
    """A pair of numbers, degrees or metres; a WKT point or a map link; or a grid reference, in one column."""
    value = col("coordinates")
    first = once("coordinates_first", f"parse_degrees(coordinate_pair({value}).first)")
    second = once("coordinates_second", f"parse_degrees(coordinate_pair({value}).second)")
    # A WKT point or a map link (point_in_text): x before y, so a longitude before its latitude.
    text_x = once("coordinates_text_x", f"point_in_text({value}).x")
    text_y = once("coordinates_text_y", f"point_in_text({value}).y")
    return _Parts(
        wgs=[(_degrees_ok(first, second), first, second), (_degrees_ok(text_y, text_x), text_y, text_x)],
        rounded=[rounded_degrees(f"coordinate_pair({value}).first", f"coordinate_pair({value}).second"),
                 rounded_degrees(f"point_text_degrees({value}).lat", f"point_text_degrees({value}).lon")],
        grid=[(_bng_ok(first, second), first, second), (_bng_ok(text_x, text_y), text_x, text_y),
              # A grid reference in a coordinates column is one too.
              (f"grid_ref_point({value}) IS NOT NULL", f"grid_ref_point({value}).easting",
               f"grid_ref_point({value}).northing")],
        coarse=[rounded_metres(first, second), rounded_metres(text_x, text_y),
                f"grid_ref_figures({value}) < {FIGURES_THAT_PLACE_A_DOOR}"],
        named=_named("coordinates", value),
        spread=(_degrees_spread(f"coordinate_pair({value}).first", f"coordinate_pair({value}).second"),
                _degrees_spread(f"point_text_degrees({value}).lat", f"point_text_degrees({value}).lon"),
                _metres_spread(f"coordinate_pair({value}).first", f"coordinate_pair({value}).second"),
                _metres_spread(_whole_metres(text_x), _whole_metres(text_y)),
                _grid_ref_spread(value)),
        checks=[f"""CASE WHEN grid_ref_point({value}) IS NOT NULL OR {_null_island(first, second)} THEN NULL
            WHEN looks_like_point_text({value}) AND ({text_x} IS NULL OR {text_y} IS NULL)
            THEN 'coordinates ' || shown({value}) || ' hold no point we can read (an empty WKT point, or a short '
                 || 'map link such as goo.gl/maps/…, which holds none: open it and copy the coordinates, or give the postcode)'
            WHEN looks_like_point_text({value}) AND NOT {_degrees_ok(text_y, text_x)} AND NOT {_bng_ok(text_x, text_y)}
            THEN 'coordinates ' || shown({value}) || ' are neither longitude, latitude nor British National Grid '
                 || 'easting, northing'
            WHEN looks_like_point_text({value}) OR is_what3words({value}) THEN NULL
            WHEN {value} IS NOT NULL AND ({first} IS NULL OR {second} IS NULL)
            THEN 'coordinates ' || shown({value}) || ' are not two numbers (latitude, longitude; or easting, northing) '
                 || 'nor an OS grid reference'
            WHEN {value} IS NOT NULL AND NOT {_degrees_ok(first, second)} AND NOT {_bng_ok(first, second)}
            THEN 'coordinates ' || shown({value}) || ' are neither latitude, longitude nor British National Grid '
                 || 'easting, northing' END"""])


def _x_y(col: Callable[[str], str], num: Callable[[str], str], once: Callable[[str, str], str]) -> _Parts:
    """A GIS export's X and Y (ArcGIS's POINT_X, POINT_Y): longitude and latitude, or easting and northing,
    told apart by their size as a coordinates column's pair is.
    A decimal comma with three decimals ("52,665") reads as thousands, and no one value says which it is;
    the pair does: read as degrees it is in Great Britain, read as metres in the sea off the Scillies."""
    x, y = num("x"), num("y")
    x_deg, y_deg = f"parse_degrees({col('x')})", f"parse_degrees({col('y')})"
    return _Parts(
        wgs=[(_degrees_ok(y, x), y, x), (in_great_britain(y_deg, x_deg), y_deg, x_deg)],
        rounded=[rounded_degrees(col("y"), col("x"))] * 2,
        grid=[(_bng_ok(x, y), x, y)], coarse=[rounded_metres(x, y)],
        named=_named("x", col("x"), col("y")),
        spread=(*[_degrees_spread(col("y"), col("x"))] * 2, _metres_spread(col("x"), col("y"))),
        half=_half_pair(col("x"), col("y"), x, y, "X", "Y"),
        checks=[*_pair_checks(col("x"), col("y"), x, y, "X", "Y"),
                f"""CASE WHEN {x} IS NOT NULL AND {y} IS NOT NULL AND NOT {_degrees_ok(y, x)}
                 AND NOT {in_great_britain(y_deg, x_deg)} AND NOT {_bng_ok(x, y)} AND NOT {_null_island(y, x)}
            THEN 'X ' || shown({col('x')}) || ' / Y ' || shown({col('y')}) ||
                 ' are neither longitude, latitude nor British National Grid easting, northing' END"""])


def _grid_ref(col: Callable[[str], str], num: Callable[[str], str], once: Callable[[str, str], str]) -> _Parts:
    value = col("grid_ref")
    return _Parts(
        wgs=[], rounded=[],
        grid=[(f"grid_ref_point({value}) IS NOT NULL", f"grid_ref_point({value}).easting",
               f"grid_ref_point({value}).northing")],
        coarse=[f"grid_ref_figures({value}) < {FIGURES_THAT_PLACE_A_DOOR}"],
        named=_named("grid_ref", value), spread=(_grid_ref_spread(value),),
        checks=[f"""CASE WHEN {value} IS NOT NULL AND grid_ref_point({value}) IS NULL
            THEN 'grid reference ' || shown({value}) || ' is not an OS grid reference (e.g. TL 45123 58123)' END"""])


# The coordinate sources, in order of preference: the fields a file must give for each, and its parts.
_SOURCES = (
    (("lat", "lon"), _lat_lon),
    (("easting", "northing"), _easting_northing),
    (("coordinates",), _coordinates),
    (("x", "y"), _x_y),
    (("grid_ref",), _grid_ref),
)


# Each coordinate source's words, in a reason or a note: by the first of its fields in `_SOURCES`.
_WORDS = {"lat": "latitude/longitude", "easting": "easting/northing", "coordinates": "coordinates", "x": "X/Y",
          "grid_ref": "grid reference"}
# How a reason for two positions of one row too far apart ends, for `positions_apart` to count them by.
APART = "apart: check which is right"
_HALF_DIAGONAL = 0.7071          # of a square, in its sides: the furthest a point in it is from its centre
_METRES_PER_DEGREE = 111_320     # of latitude; a degree of longitude is no longer, in Great Britain much shorter


def disagreeing_positions(given: list[tuple[str, _Parts]]) -> list[str]:
    """The check that rejects a row whose positions, given twice (latitude/longitude and easting/northing),
    are further apart than etl/vocab/locations.toml allows. Taken one and silently stored, a row placed in
    Peterborough by one and in Cambridge by the other lands in the wrong town half the time.

    Each source's position is its point as `location` would take it (its first usable entry), in WGS84
    (lat, lon), with the metres its rounding may put it off (`spread`), so a 4-figure grid reference's square or
    degrees to 2 decimals are not called wrong for their coarseness. The positions are computed once, into a
    lambda's argument that the comparisons read: written out at each use, each expanded its macros again, and a
    two-row file took twice as long to plan. A file that gives one kind of location (almost all; the bench's
    2,000,000 rows) gets no check at all."""
    if len(given) < 2:
        return []
    allowed = float(vocab.load("locations")["positions_apart"]["metres"])
    at = []
    for name, part in given:
        # Degrees also as if swapped: a row whose latitude and longitude are the wrong way round loads flagged
        # swapped_lat_lon (etl/geocode.py), and its other position is compared with them the right way round.
        points = [(ok, f"ST_Point({lat}, {lon})", f"ST_Point({lon}, {lat})") for ok, lat, lon in part.wgs] + [
            (ok, f"ST_FlipCoordinates(ST_Transform(ST_Point({e}, {n}), 'EPSG:27700', 'EPSG:4326', always_xy := true))",
             None) for ok, e, n in part.grid]
        whens = " ".join(f"WHEN {ok} THEN struct_pack(point := {point}, swapped := {swapped or point}, "
                         f"spread := ({spread})::DOUBLE)"
                         for (ok, point, swapped), spread in zip(points, part.spread, strict=True))
        at.append((name, f"CASE {whens} END", part.named))
    pairs = []
    for i, (a, _, a_named) in enumerate(at):
        for b, _, b_named in at[i + 1:]:
            apart = (f"least(ST_Distance_Sphere(_at.{a}.point, _at.{b}.point), "
                     f"ST_Distance_Sphere(_at.{a}.swapped, _at.{b}.point), "
                     f"ST_Distance_Sphere(_at.{a}.point, _at.{b}.swapped))")
            pairs.append(f"""CASE WHEN {apart} > {allowed} + _at.{a}.spread + _at.{b}.spread
                THEN {a_named} || ' and ' || {b_named} || ' are ' || {_distance_words(apart)} || ' {APART}' END""")
    positions = ", ".join(f"{name} := {sql}" for name, sql, _ in at)
    return [f"list_transform([struct_pack({positions})], lambda _at: {reasons(pairs)})[1]"]


def positions_apart(con, staged: StagedFile) -> str | None:
    """A note counting the rows rejected by `disagreeing_positions`; None, without a look, for a file giving one
    kind of location."""
    kinds = [_WORDS[fields[0]] for fields, _ in _SOURCES if all(staged.match.has(f) for f in fields)]
    if len(kinds) < 2:
        return None
    n = con.execute("SELECT count(*) FROM parsed WHERE reason IS NOT NULL AND contains(reason, ?)",
                    [APART]).fetchone()[0]
    if not n:
        return None
    allowed = vocab.load("locations")["positions_apart"]["metres"]
    return (f"{n:,} row(s) rejected for giving two locations (of {', '.join(kinds[:-1])} and {kinds[-1]}) more than "
            f"{allowed:,} m apart, beyond their rounding: either could be the wrong one, so the row was not loaded. "
            "Each rejected row names both: correct or blank the wrong one and load the file again")


def _named(source: str, *texts: str) -> str:
    """SQL: a position as the file writes it, in a reason ('latitude/longitude '52.57, -0.24'')."""
    written = " || ', ' || ".join(texts)
    return f"'{_WORDS[source]} ' || shown({written})"


def _distance_words(metres: str) -> str:
    return (f"CASE WHEN {metres} >= 10000 THEN round({metres} / 1000)::BIGINT || ' km' "
            f"WHEN {metres} >= 1000 THEN round({metres} / 1000, 1) || ' km' "
            f"ELSE round({metres}, -1)::BIGINT || ' m' END")


def _degrees_spread(lat_text: str, lon_text: str) -> str:
    """SQL: how far, in metres, degrees as written may be from the point meant: half their last decimal place
    on each axis ('52.57, -0.24': about 790 m). Degrees in minutes and seconds: etl/vocab/locations.toml."""
    plain = "'^[-+\u2212\u2013]?\\s*[0-9]{1,3}(?:[.,]([0-9]*))?$'"
    other = float(vocab.load("locations")["positions_apart"]["degrees_not_decimal_metres"])
    # A lambda, so each text (a macro's expansion, often) is written once.
    return (f"list_max(list_transform([{lat_text}, {lon_text}], lambda _deg: "
            f"CASE WHEN regexp_matches(trim(_deg), {plain}) THEN {_HALF_DIAGONAL * _METRES_PER_DEGREE} "
            f"* pow(10, -length(regexp_extract(trim(_deg), {plain}, 1))) ELSE {other} END))")


def _metres_spread(east_text: str, north_text: str) -> str:
    """SQL: how far, in metres, an easting and northing as written may be from the point meant: whole metres
    ending in zeros are rounded to that many ('545000, 258000': to the kilometre, so about 710 m)."""
    whole = "'^([0-9]+)(?:\\.0*)?$'"
    digits = f"regexp_extract(trim(_m), {whole}, 1)"
    return (f"list_min(list_transform([{east_text}, {north_text}], lambda _m: "
            f"{_HALF_DIAGONAL} * pow(10, length({digits}) - length(rtrim({digits}, '0')))))")


def _whole_metres(number: str) -> str:
    """SQL: a number of metres as `_metres_spread` reads it, its text: a WKT point's are numbers already."""
    return f"CASE WHEN {number} = round({number}) THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) END"


def _grid_ref_spread(value: str) -> str:
    """SQL: how far, in metres, a grid reference's point (its square's centre) may be from the place meant: a whole
    square's diagonal, not half. By the OS's rule a reference is cut short (the place is in its square), but
    some writers round it instead (TL 4558 for TL 4496 5787), which puts the place up to half a square outside."""
    return f"coalesce({2 * _HALF_DIAGONAL} * pow(10, 5 - grid_ref_figures({value}) / 2), 0)"


def coarse_step_metres() -> float:
    """A position rounded to this many metres or more is coarse, however it is written (etl/vocab/locations.toml):
    one ground precision, so 523000, 261000 is as approximate as 52.2, 0.12 or TL 23 61, and placed the same way."""
    return float(vocab.load("locations")["coarse"]["step_metres"])


# The fewest figures and decimals finer than the coarse step (1 km): "TL 451 581" names a 100 m square, "TL 45 58"
# a 1 km one; 52.574 is within about 100 m, 52.57 within a km, 52.6 within 10.
FIGURES_THAT_PLACE_A_DOOR = next(f for f in range(0, 12, 2) if 10 ** (5 - f // 2) < coarse_step_metres())
DECIMALS_THAT_PLACE_A_DOOR = next(d for d in range(10) if _METRES_PER_DEGREE * 10 ** -d < coarse_step_metres())


def rounded_degrees(lat_text: str, lon_text: str) -> str:
    """SQL: whether both degrees, as written, are plain numbers with fewer decimals than place a door
    ('52.6, -0.2' or '52.57, -0.24'): a point rounded to a kilometre or more, which looks exact on the map.
    Degrees in minutes and seconds are not rounded so."""
    plain = (f"'[-+\u2212\u2013]?\\s*[0-9]{{1,3}}([.,][0-9]{{0,{DECIMALS_THAT_PLACE_A_DOOR - 1}}})?'")
    return (f"coalesce(regexp_full_match(trim({lat_text}), {plain}) "
            f"AND regexp_full_match(trim({lon_text}), {plain}), false)")


def rounded_metres(east: str, north: str) -> str:
    """SQL: whether an easting and northing (numbers) are both multiples of the coarse step (523000, 261000: to
    the km), and so approximate as rounded degrees of the same ground precision are.

    Both, as `rounded_degrees` asks of both degrees: a reference to the metre ends in 000 by chance once in a
    thousand, so one round axis says little, and both at once happen by chance once in a million. Round hundreds
    (523100, 261400) are a 100 m square, as a 6-figure grid reference or 3 decimals of degrees are: a door, not
    coarse. A fraction of a metre (523000.4) is no rounding."""
    step = coarse_step_metres()
    return f"coalesce({east} % {step} = 0 AND {north} % {step} = 0, false)"


def rounded_coordinates(con, staged: StagedFile, show_values: bool) -> str | None:
    """A warning for degrees rounded to a kilometre or more ('52.6, -0.2'): placed as written they look exact,
    and fill one street's hexagon with a town's reports. A row with a postcode in the lookup is placed by it
    instead, as a coarse grid reference's is."""
    col, has = staged.column, staged.match.has
    pairs = ([(col("lat"), col("lon"))] if has("lat") and has("lon") else []) \
        + ([(f"coordinate_pair({col('coordinates')}).first", f"coordinate_pair({col('coordinates')}).second"),
            (f"point_text_degrees({col('coordinates')}).lat", f"point_text_degrees({col('coordinates')}).lon")]
           if has("coordinates") else []) \
        + ([(col("y"), col("x"))] if has("x") and has("y") else [])
    if not pairs:
        return None
    n, shown = _rows_with(con, [f"CASE WHEN {rounded_degrees(a, b)} THEN {a} || ', ' || {b} END" for a, b in pairs],
                          show_values)
    if not n:
        return None
    return (f"{n:,} row(s) give latitude and longitude with {DECIMALS_THAT_PLACE_A_DOOR - 1} decimals or fewer{shown}: "
            f"each is rounded to a kilometre or more ({DECIMALS_THAT_PLACE_A_DOOR} decimals place a door). A row with "
            "a postcode we know is placed by the postcode; the others where the rounded point is, approximate")


def coarse_grid_refs(con, staged: StagedFile, show_values: bool) -> str | None:
    """A warning for grid references of 4 figures or fewer ("TL45", "TL4558"): each names a square of 1 or 10 km.
    A row with a postcode in the lookup is placed by it instead (`tabular.accepted_and_geocoded` counts
    those); the others at the square's centre, approximate however exact it looks on the map."""
    columns = [staged.column(f) for f in ("grid_ref", "coordinates") if staged.match.has(f)]
    if not columns:
        return None
    n, shown = _rows_with(con, [f"CASE WHEN grid_ref_figures({c}) < {FIGURES_THAT_PLACE_A_DOOR} THEN {c} END"
                                for c in columns], show_values)
    if not n:
        return None
    return (f"{n:,} row(s) give an OS grid reference of 4 figures or fewer{shown}: each names a square of 1 km "
            "or more (6 figures or more place a door). A row with a postcode we know is placed by the postcode; "
            "the others at the square's centre, approximate")


def rounded_grid_positions(con, staged: StagedFile, show_values: bool) -> str | None:
    """A warning for eastings and northings both rounded to the coarse step ('523000, 261000': to the km): placed
    as written they look exact, as rounded degrees do, and a row with a postcode in the lookup is placed by it
    instead (`rounded_metres` says why both, and why not round hundreds)."""
    col, has = staged.column, staged.match.has
    pairs = ([(f"parse_easting({col('easting')})", f"parse_northing({col('northing')})", col("easting"), col("northing"))]
             if has("easting") and has("northing") else []) \
        + ([(f"parse_degrees(coordinate_pair({col('coordinates')}).first)",
             f"parse_degrees(coordinate_pair({col('coordinates')}).second)",
             f"coordinate_pair({col('coordinates')}).first", f"coordinate_pair({col('coordinates')}).second")]
           if has("coordinates") else []) \
        + ([(f"parse_number({col('x')})", f"parse_number({col('y')})", col("x"), col("y"))]
           if has("x") and has("y") else [])
    if not pairs:
        return None
    # Each pair parsed once, into a lambda's argument: written out at each of its uses, a coordinates column's
    # macros were expanded again each time, and planning the count for a 3-row file ran out of memory. Only values
    # ending in 0 are parsed at all: a file's exact positions (nearly all of a big one) cost a text test each.
    n, shown = _rows_with(con, [f"CASE WHEN {a} LIKE '%0' AND {b} LIKE '%0' THEN list_transform("
                                f"[struct_pack(e := {e}, n := {n}, a := {a}, b := {b})], lambda _p: "
                                f"CASE WHEN {_bng_ok('_p.e', '_p.n')} AND {rounded_metres('_p.e', '_p.n')} "
                                "THEN trim(_p.a) || ', ' || trim(_p.b) END)[1] END"
                                for e, n, a, b in pairs], show_values)
    if not n:
        return None
    step = coarse_step_metres()
    return (f"{n:,} row(s) give an easting and northing both multiples of {step:,.0f} m{shown}: each is rounded as "
            f"much as latitude and longitude with {DECIMALS_THAT_PLACE_A_DOOR - 1} decimals are (a finer rounding "
            "places a door). A row with a postcode we know is placed by the postcode; the others where the rounded "
            "point is, approximate")


def what3words(con, staged: StagedFile, show_values: bool) -> str | None:
    """A warning for what3words addresses ('///filled.count.soap'): only what3words' own service places them, and
    we use none, so such a row is placed by its postcode or not at all. Said, so it is not read as a row without
    any location given."""
    columns = [staged.column(f) for f in ("address", "coordinates") if staged.match.has(f)]
    if not columns:
        return None
    n, shown = _rows_with(con, [f"CASE WHEN is_what3words({c}) THEN {c} END" for c in columns], show_values)
    if not n:
        return None
    return (f"{n:,} row(s) give a what3words address{shown}: it can't be placed without what3words' own service, "
            "which is not used here. A row with a postcode is placed by the postcode; the others are stored "
            "without a location: ask the sender for a postcode or coordinates")


def several_postcodes(con, staged: StagedFile, show_values: bool) -> str | None:
    """A warning for postcode cells that give two postcodes or more ('PE13 1AA / PE13 1AE': a corner plot, or a
    correction typed beside the old one): the first is read, as a postcode written with a note is, and said so,
    since either may be the door's. A cell no longer than one postcode with a note is never searched."""
    if not staged.match.has("postcode"):
        return None
    c = staged.column("postcode")
    found = f"regexp_extract_all(pc_latin({c}), '[A-Z]{{1,2}}[0-9][A-Z0-9]? *[0-9][A-Z]{{2}}')"
    n, shown = _rows_with(con, [f"CASE WHEN length({c}) > 12 AND len(list_distinct(list_transform({found}, "
                                f"pc -> postcode_norm(pc)))) > 1 THEN trim({c}) END"], show_values)
    if not n:
        return None
    return (f"{n:,} row(s) give more than one postcode in the postcode column{shown}: each is placed by the first; "
            "check which is the property's, and give one postcode a row")


NOT_A_POSTCODE_ROWS_SHOWN = 3


def postcodes_that_are_not_ones(con, staged: StagedFile, show_values: bool, kept: bool = True) -> str | None:
    """A warning for loaded rows placed by their coordinates whose postcode column gives no postcode ('1234',
    'Cambridge', 'see notes'): the row is right where it is, but its postcode is stored as written, and one of
    the two columns may be misread. A row without coordinates is said already (not geocoded). Reads `parsed`
    (its `lat` and `_outward`, NULL for such a cell) and looks at the stage's cell only for the few rows whose
    postcode gives not even an outward code; "N/A" (etl/vocab/no_value.toml) is no postcode, not a wrong one.
    A victim's location is never shown: without `show_values`, the rows only. `kept`: the loader stores such a cell
    as the row's postcode (a register's, a report's); a case's is not stored."""
    if not staged.match.has("postcode") or not any(all(staged.match.has(f) for f in fields) for fields, _ in _SOURCES):
        return None
    cell = staged.column("postcode")
    n, first = con.execute(f"""
        SELECT count(*), list(struct_pack(r := row_number, v := trim(v)) ORDER BY row_number)[1:{NOT_A_POSTCODE_ROWS_SHOWN}]
        FROM (SELECT p.row_number, s.{cell} AS v FROM parsed p JOIN stage s ON s._row = p.row_number
              WHERE p.reason IS NULL AND p.lat IS NOT NULL AND p._outward IS NULL AND s.{cell} IS NOT NULL)
        WHERE CASE WHEN postcode_in_cell(v) IS NULL THEN given(v) IS NOT NULL ELSE false END""").fetchone()
    if not n:
        return None
    listed = ", ".join(f"{f['v']!r} row {f['r']}" if show_values else f"row {f['r']}" for f in first)
    more = " …" if n > len(first) else ""
    stored = "kept as written" if kept else "not stored"
    return (f"{n:,} row(s) give a postcode that is not one ({listed}{more}): {stored}, placed by their "
            "coordinates; check the postcode column")


def _rows_with(con, values: list[str], show_values: bool) -> tuple[int, str]:
    """How many staged rows give one of `values` (SQL, NULL where a row does not), and up to three of them
    as " ('a', 'b', 'c' …)" for a warning; nothing shown without `show_values` (a victim's location)."""
    n, examples = con.execute(f"""
        SELECT count(*), list(DISTINCT v ORDER BY v)[1:3]
        FROM (SELECT coalesce({", ".join(values)}) AS v FROM stage)
        WHERE v IS NOT NULL
    """).fetchone()
    shown = f" ({', '.join(repr(e) for e in examples)}{' …' if n > len(examples) else ''})" if n and show_values else ""
    return n, shown


def _degrees_ok(lat: str, lon: str) -> str:
    return f"({lat} BETWEEN -90 AND 90 AND {lon} BETWEEN -180 AND 180 AND NOT {_null_island(lat, lon)})"


def in_great_britain(lat: str, lon: str) -> str:
    """SQL: whether a latitude and longitude fall in a box around Great Britain."""
    return f"({lat} BETWEEN 49 AND 61 AND {lon} BETWEEN -9 AND 3)"


def _null_island(lat: str, lon: str) -> str:
    """0, 0, in the Gulf of Guinea, is what a device or a form gives for no fix: no location, not a point."""
    return f"({lat} = 0 AND {lon} = 0)"


def _looks_like_degrees(east: str, north: str) -> str:
    """Both within 180 m of the grid's false origin, in the sea off the Scillies: no address is there,
    and such a pair is a latitude and longitude put under Easting/Northing headers."""
    return f"(abs({east}) <= 180 AND abs({north}) <= 180)"


def _bng_ok(east: str, north: str) -> str:
    return (f"({east} BETWEEN 0 AND 700000 AND {north} BETWEEN 0 AND 1300000"
            f" AND NOT {_looks_like_degrees(east, north)})")


def _pair_checks(a: str, b: str, a_num: str, b_num: str, a_label: str, b_label: str) -> list[str]:
    """A coordinate that is no number is rejected, saying so; "N/A" or "-" is none (`_no_coordinate`), so the row
    is placed by its postcode. given() runs only on the few values that are no number."""
    return [
        f"CASE WHEN {a} IS NOT NULL AND {a_num} IS NULL AND given({a}) IS NOT NULL "
        f"THEN '{a_label} ' || shown({a}) || ' is not a number' END",
        f"CASE WHEN {b} IS NOT NULL AND {b_num} IS NULL AND given({b}) IS NOT NULL "
        f"THEN '{b_label} ' || shown({b}) || ' is not a number' END",
    ]


def _no_coordinate(x: str, num: str) -> str:
    """SQL: a blank coordinate, or one of "N/A" or "-" (etl/vocab/no_value.toml); given() runs only on the few
    values that are no number."""
    return f"({x} IS NULL OR ({num} IS NULL AND given({x}) IS NULL))"


def _half_pair(a: str, b: str, a_num: str, b_num: str, a_label: str, b_label: str) -> tuple[str, str]:
    """SQL: the pair's words where a row gives one of `a` and `b` only, and that half as written, for a reason and
    a note; NULL where it gives both or neither."""
    a_none, b_none = _no_coordinate(a, a_num), _no_coordinate(b, b_num)
    words = f"CASE WHEN {a_none} <> {b_none} THEN '{a_label} and {b_label}' END"
    given = (f"CASE WHEN {a_none} <> {b_none} THEN CASE WHEN {b_none} "
             f"THEN '{a_label} ' || shown({a}) || ' without a {b_label}' "
             f"ELSE '{b_label} ' || shown({b}) || ' without a {a_label}' END END")
    return words, given


# Why a row giving half a pair is rejected where nothing else places it (`half_pair`).
NOTHING_ELSE_PLACES_IT = ", and no postcode to place the row by instead"


def half_pair(half: str, placed: str | None = None) -> str:
    """The check that rejects a row giving one half of a pair of coordinates (`Location.half`, SQL), where
    `placed` (SQL) says nothing else places it: with a postcode (or another position), only the half is lost,
    and the row is placed as one without coordinates is (`half_pairs_set_aside` counts those). Without
    `placed`, such a row is always rejected."""
    if half == Location.half:
        return "NULL::VARCHAR"   # the file gives no pair
    if placed is None:
        return f"CASE WHEN {half} IS NOT NULL THEN 'only one of ' || {half} || ' is given' END"
    return (f"CASE WHEN {half} IS NOT NULL AND NOT coalesce({placed}, false) "
            f"THEN 'only one of ' || {half} || ' is given{NOTHING_ELSE_PLACES_IT}' END")


def placed_without_coordinates(staged: StagedFile, loc: Location) -> str:
    """SQL, per staged row: whether something besides a half pair places the row, for `half_pair`: a postcode in
    its column or its address (an outward code alone, 'PE13', places it approximately), or another position."""
    c = staged.column
    return (f"coalesce(postcode_in_cell({c('postcode')}), postcode_in_text({c('address')}), "
            f"outward_code({c('postcode')})) IS NOT NULL OR {loc.lat} IS NOT NULL")


HALF_PAIR_ROWS_SHOWN = 5
# Each pair's words in `_half_pair`, and its fields: for a note naming the file's columns.
_PAIR_FIELDS = {"latitude and longitude": ("lat", "lon"), "easting and northing": ("easting", "northing"),
                "X and Y": ("x", "y")}


def half_pairs_set_aside(con, staged: StagedFile, show_values: bool) -> list[str]:
    """Notes counting the loaded rows that gave one half of a pair of coordinates, set aside (`half_pair`), with
    the columns, an example and the first rows: the half is lost, and one of the two columns may be misread or
    cut off in the export. Reads `parsed`'s `_half` (NULL on nearly every row) and `_half_given`; a victim's
    location is never shown."""
    rows = con.execute(f"""
        SELECT _half, count(*), list(row_number ORDER BY row_number)[1:{HALF_PAIR_ROWS_SHOWN}],
               arg_min(_half_given, row_number), min(row_number)
        FROM parsed WHERE _half IS NOT NULL AND reason IS NULL GROUP BY 1 ORDER BY 1""").fetchall()
    others = sum(all(staged.match.has(f) for f in fields) for fields, _ in _SOURCES) > 1
    notes = []
    for words, n, first, given, row in rows:
        columns = " and ".join(repr(staged.match.headers[staged.match.columns[f]]) for f in _PAIR_FIELDS[words])
        example = f"e.g. row {row}: {given}; " if show_values else ""
        listed = ("row " if n == 1 else "rows ") + ", ".join(map(str, first)) + (" …" if n > len(first) else "")
        placed = "its postcode (or its other coordinates, where it gives them)" if others else "its postcode"
        notes.append(f"{n:,} row(s) give only one of {words} (columns {columns}; {example}{listed}): the half "
                     f"coordinate was set aside, and each row placed by {placed}, as a row without coordinates is. "
                     "Give both, or neither")
    return notes


def row_hash(columns: list[str]) -> str:
    """A fingerprint of a row's content, to tell updated rows from unchanged ones on a re-load."""
    return "md5(concat_ws('|', " + ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in columns) + "))"
