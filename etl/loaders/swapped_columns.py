"""A file whose two coordinate columns are the wrong way round: its latitude headed "Longitude", its easting headed
"Northing". Read as headed, every row is flagged swapped and never moved (etl/geocode.py), so a partner's whole file
was left off every map and hotspot: the file's mistake, not each row's. Such a file is read the other way round, and
the load summary says so; a few swapped rows among right ones keep their flag.
"""
from __future__ import annotations

import duckdb

from etl import geocode, vocab
from etl.loaders import checks
from etl.reading.stage import StagedFile

# The coordinate columns a file may give the wrong way round: the two fields, and the words a note gives them.
SWAPPABLE_PAIRS = ((("lat", "lon"), ("latitude", "longitude")), (("easting", "northing"), ("easting", "northing")))
# How many of a file's first rows decide that its coordinate columns are the right way round, as most files'
# are: only a file whose first rows are mostly swapped is counted whole.
SWAPPED_SAMPLE_ROWS = 20_000


def read_the_right_way_round(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> list[str]:
    """Read a file's latitude and longitude columns the other way round when (nearly) all its rows give them
    swapped (etl/vocab/area.toml [swapped_columns]), and the same for easting and northing; the notes that say so.
    Decided with plain comparisons against the box a row's flag uses (`geocode.swapped_degrees_box`), so the two
    always agree, and on the first rows only unless they are mostly swapped: a 2,000,000-row file pays 0.3 s."""
    said = []
    for fields, words in SWAPPABLE_PAIRS:
        if all(f in staged.match.columns for f in fields):
            if _swapped_rows(con, staged, fields, SWAPPED_SAMPLE_ROWS)[2]:
                given, swapped, whole_file = _swapped_rows(con, staged, fields)
                if whole_file:
                    said.append(_read_the_other_way(con, staged, fields, words, given, swapped))
    return said


def _swapped_rows(con: duckdb.DuckDBPyConnection, staged: StagedFile, fields: tuple[str, str],
                  first_rows: int | None = None) -> tuple[int, int, bool]:
    """(rows giving both coordinates, of them swapped, whether that is the file's), over the first rows or all."""
    rule = vocab.load("area")["swapped_columns"]
    box = geocode.swapped_degrees_box() if fields == ("lat", "lon") else geocode.swapped_metres_box(con)
    a, b = (f"{checks.PARSER[f]}(c{staged.match.columns[f]})" for f in fields)
    rows = "stage" if first_rows is None else f"(SELECT * FROM stage ORDER BY _row LIMIT {int(first_rows)})"
    given, swapped = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE a BETWEEN ? AND ? AND b BETWEEN ? AND ?)
        FROM (SELECT {a} AS a, {b} AS b FROM {rows}) WHERE a IS NOT NULL AND b IS NOT NULL AND NOT (a = 0 AND b = 0)
    """, box).fetchone()
    return given, swapped, swapped >= int(rule["fewest_rows"]) and swapped >= float(rule["share"]) * given


def _read_the_other_way(con: duckdb.DuckDBPyConnection, staged: StagedFile, fields: tuple[str, str],
                        words: tuple[str, str], given: int, swapped: int) -> str:
    """Swap the two fields' columns (and any second columns under their headers); the note that says so."""
    match, (one, other) = staged.match, fields
    headers = [match.headers[match.columns[f]] for f in fields]
    match.columns[one], match.columns[other] = match.columns[other], match.columns[one]
    again = {one: match.duplicates.pop(other, None), other: match.duplicates.pop(one, None)}
    match.duplicates.update({f: js for f, js in again.items() if js})
    staged.define_view(con)
    return (f"the file's {headers[0]!r} and {headers[1]!r} columns are the wrong way round: read the other way round "
            f"({headers[0]!r} as the {words[1]}, {headers[1]!r} as the {words[0]}), as {swapped:,} of its {given:,} "
            f"rows giving both are in or near the area only so")
