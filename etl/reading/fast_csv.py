"""Stage a clean CSV with DuckDB's own reader, many times faster than reading it row by row.

Only a file that the careful reader (`records.py`) would read the same way takes this path:
valid UTF-8, no NUL bytes, no blank lines (DuckDB skips them, which would shift row numbers),
a header row that ends where its line ends, no row that DuckDB's strict mode rejects
(a broken quote) and no row with a value past the header's columns. Anything else returns None with nothing staged, and the
careful reader takes over.
"""
from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from pathlib import Path
from typing import NamedTuple

import duckdb

from etl import no_value, vocab
from etl.reading import row_fields, sniff

CHUNK = 1 << 24
# What DuckDB reads as NULL: a character no text file holds (a file holding it takes the careful reader), so that
# an empty field reads as '' and only a field missing from a short row, padded, as NULL: a row's fields are
# counted so (`_fields`), as the careful reader counts them.
NO_VALUE = "\x01"


def is_clean(path: Path) -> bool:
    return _scan(path) is not None


class Scan(NamedTuple):
    lines: int
    excel_text: bool     # some cell may be Excel's `="..."`: only then does the staging look for it
    excel_errors: bool   # some cell may be an Excel error value (`#REF!`): only then does the staging count them


@functools.cache
def _excel_error_bytes() -> re.Pattern:
    """Excel's error values (etl/vocab/no_value.toml `excel_errors`) as bytes, for the scan: a file without one
    never pays for counting them cell by cell (etl/reading/stage.py `_note_excel_errors`)."""
    return re.compile(b"|".join(re.escape(code.encode()) for code in no_value.excel_errors()), re.IGNORECASE)


def _scan(path: Path) -> Scan | None:
    """The number of lines of a file DuckDB may read, or None: valid UTF-8 with no NUL, no `NO_VALUE`, no blank
    line and no carriage return but before a line feed; read in chunks, never the whole file at once.

    A blank line may straddle two chunks, so the end of each chunk after its last newline is carried
    into the next search, but only while it could still begin a blank line (spaces, tabs, a CR). A
    lone carriage return (an old Mac line ending, or one inside a cell) is left to the careful reader.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank = re.compile(rb"\n[ \t]*\r?\n")
    tail = b""
    first = True
    lines, last, excel_text = 0, b"\n", False
    excel_errors, error_codes, edge = False, _excel_error_bytes(), b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk or NO_VALUE.encode() in chunk or \
                    (b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n")):
                return None
            if not _valid_utf8(decoder, chunk):
                return None
            data = chunk
            if first:
                data = chunk[3:] if chunk.startswith(b"\xef\xbb\xbf") else chunk
                if re.match(rb"[ \t]*\r?\n", data):   # the file starts with a blank line
                    return None
                first = False
            if blank.search(tail + data):
                return None
            lines += chunk.count(b"\n")
            excel_text = excel_text or b'="' in last + chunk
            if not excel_errors and (b"#" in chunk or b"#" in edge):   # a code may straddle two chunks
                excel_errors = bool(error_codes.search(edge + chunk))
            edge = chunk[-16:]
            last = chunk[-1:]
            newline = data.rfind(b"\n")
            rest = data[newline:] if newline >= 0 else tail + data
            could_start_blank = (newline >= 0 or tail) and not rest.lstrip(b"\n").strip(b" \t\r")
            tail = (rest if len(rest) <= 4096 else b"\n") if could_start_blank else b""
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return Scan(lines + (last != b"\n"), excel_text, excel_errors)


def _valid_utf8(decoder, chunk: bytes) -> bool:
    """Whether `chunk` continues valid UTF-8. Most files are ASCII, and bytes.isascii() says so without making
    a string of every chunk (on a 460 MB file, 0.45 s less); it is enough while no multi-byte character is
    left open by the chunk before. (The CR test above looks for a CR before counting CR-LFs for the same
    reason: counting a two-byte pattern in 460 MB took 0.7 s.)"""
    if chunk.isascii() and not decoder.getstate()[0]:
        return True
    try:
        decoder.decode(chunk)
    except UnicodeDecodeError:
        return False
    return True


def _header_lines_are_records(path: Path, header_row: int, delimiter: str) -> bool:
    """The first `header_row` lines must be the first `header_row` records, so `skip` lands on data."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = [fh.readline() for _ in range(header_row)]
    return len(list(csv.reader(io.StringIO("".join(lines)), delimiter=delimiter))) == header_row


def stage(con: duckdb.DuckDBPyConnection, path: Path, table: str, header_row: int, width: int,
          delimiter: str, headers: list[str] | None = None) -> tuple[int, int, int, list[int], bool, dict, bool] | None:
    """Only a shortcut: `table` must hold what the careful reader would stage (the same rows, row numbers and
    cells), so a load's rows, rejects and row numbers never depend on which reader ran. Returns what the careful
    reader counts: (rows, blank rows, footer rows, the rows that repeat the header row, whether some cell holds
    a line break, the rows by their number of fields), and whether some cell may be an Excel error value. None, with nothing staged, whenever this reader might read the file otherwise: the caller
    then reads it row by row, so a doubt costs time, never a wrong row. `headers`: the header row's cells as
    the careful reader cleans them, to know a repeated header row.

    A cell holds a line break exactly when the file has more lines than records: counting them costs
    nothing more than the check that the file is clean, where looking into every cell would cost a scan."""
    scan = _scan(path)
    if scan is None or not _header_lines_are_records(path, header_row, delimiter):
        return None
    columns = list(range(width))
    # Two columns more than the header's: DuckDB drops a row's empty fields past its last column unseen (`…,labour,,`
    # read as `…,labour`), so a row is known to have its fields only with fewer than all the columns read.
    spec = "{" + ", ".join(f"'column{i}': 'VARCHAR'" for i in range(width + 2)) + "}"
    cells = ", ".join([*(f"{_trimmed(f'column{i}', scan.excel_text)} AS c{i}" for i in columns),
                       f"{_fields(width)} AS _nfields", f"{_past_header(width)} AS _past_header"])
    cells_table = cells_of(table)
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {cells_table} AS
            SELECT {cells}
            FROM read_csv(?, header = false, skip = {header_row}, delim = ?, quote = '"', escape = '"',
                          columns = {spec}, auto_detect = false, null_padding = true, strict_mode = true, nullstr = ?,
                          store_rejects = true, rejects_table = 'fast_csv_rejects', rejects_scan = 'fast_csv_scans',
                          max_line_size = 20000000)
        """, [sniff.duckdb_path(path), delimiter, NO_VALUE])
        rejected = con.execute("SELECT count(*) FROM fast_csv_rejects").fetchone()[0]
    except duckdb.Error:
        rejected = 1
    finally:
        con.execute("DROP TABLE IF EXISTS fast_csv_rejects; DROP TABLE IF EXISTS fast_csv_scans")
    if rejected:
        con.execute(f"DROP TABLE IF EXISTS {cells_table}")
        return None
    # The rows are stored in file order, so a row's rowid, counted from the first, is its place in the
    # file: numbering them in a view costs nothing, where row_number() OVER () took as long as reading
    # the file. (Inside a transaction rowids start at a large offset, hence the first.) Rowids survive
    # the DELETE of blank and footer rows below.
    first = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {cells_table}").fetchone()[0]
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {table} AS
        SELECT CAST(rowid - {int(first)} + {header_row + 1} AS BIGINT) AS _row, CAST({width} AS INTEGER) AS _ncells, *
        FROM {cells_table}
    """)
    row = f"rowid - {int(first)} + {header_row + 1}"
    rows, blank, footers, repeats = _drop_non_data(con, cells_table, columns, headers or [], row)
    records = header_row + rows + blank + footers + len(repeats)
    counted = con.execute(f"SELECT _nfields, count(*), bool_or(_past_header) FROM {cells_table} GROUP BY 1").fetchall()
    if any(past for _, _, past in counted):
        con.execute(f"DROP VIEW {table}; DROP TABLE {cells_table}")
        return None
    field_counts = {n: count for n, count, _ in counted}
    notes = len(row_fields.skip_notes(con, cells_table, columns, field_counts, width, row))
    return rows - notes, blank, footers + notes, repeats, scan.lines > records, field_counts, scan.excel_errors


def _past_header(width: int) -> str:
    """SQL: whether a row has a value past the header's columns, or may have fields DuckDB dropped (it has all the
    columns read): the careful reader then reads the file, counting its values and fields as they are."""
    return f"(column{width} IS NOT NULL AND (column{width} <> '' OR column{width + 1} IS NOT NULL))"


def _fields(width: int) -> str:
    """SQL: a row's number of fields as written (of the header's `width`, and the two columns read past it). DuckDB
    pads a short row's missing fields with NULL; with `NO_VALUE` as its NULL, an empty field is ''. Only a row
    without the header's number of fields (all but a few) is counted field by field."""
    count = " + ".join(f"(column{i} IS NOT NULL)::INTEGER" for i in range(width + 2))
    return f"CASE WHEN column{width - 1} IS NOT NULL AND column{width} IS NULL THEN {width} ELSE {count} END::INTEGER"


def _trimmed(cell: str, excel_text: bool) -> str:
    """SQL: the cell as the careful reader keeps it: stripped of `stripped_characters()`, NULL if empty.

    DuckDB's trim() alone strips Unicode spaces but not tabs or line breaks, where the careful reader
    strips both, so `trim(cell, <every whitespace character>)` is exact. It is also slow (on every cell of
    a 2,000,000-row file, 13 s), so it runs only on cells that might need it: an ASCII cell whose first and
    last characters are past ' ' has nothing to strip. With that test, staging costs what the plain trim()
    on every cell did. A cell ending in '"' goes the slow way too, which unwraps Excel's `="00124"` when
    `excel_text` (the file holds '="' somewhere). Unwrapping, even in a branch no cell took, made
    staging 12% slower, so a file without '="' goes without it.
    """
    stripped = f"nullif(trim({cell}, {_whitespace_sql()}), '')"
    return (f"CASE WHEN {cell} = '' THEN NULL "
            f"WHEN strlen({cell}) = length({cell}) AND {cell} >= '!' AND right({cell}, 1) > '\"' THEN {cell} "
            f"ELSE {_unwrapped(stripped) if excel_text else stripped} END")


EXCEL_TEXT = re.compile(r'="(.*)"', re.DOTALL)


def _unwrapped(cell: str) -> str:
    """SQL: the cell without Excel's `="..."`, which an export writes around a value to keep it text
    (`="00124"` keeps a reference's leading zeros); a spreadsheet shows only the value."""
    return (f"CASE WHEN starts_with({cell}, '=\"') AND regexp_full_match({cell}, '{EXCEL_TEXT.pattern}', 's') "
            f"THEN nullif(trim(replace(regexp_extract({cell}, '{EXCEL_TEXT.pattern}', 1, 's'), '\"\"', '\"'), "
            f"{_whitespace_sql()}), '') ELSE {cell} END")


def unwrapped(text: str) -> str | None:
    """The careful reader's `_unwrapped`: a stripped cell without Excel's `="..."`."""
    match = EXCEL_TEXT.fullmatch(text)
    return (match.group(1).replace('""', '"').strip(stripped_characters()) or None) if match else text


@functools.cache
def stripped_characters() -> str:
    """What a cell is stripped of at either end: every character Python's str.isspace() accepts, Ctrl-Z, the
    end-of-file mark old DOS tools leave on a last line of its own, and the characters that show as nothing
    (`INVISIBLE`). Found once, when first staged: scanning all of Unicode takes 90 ms, too much for every `etl`
    start."""
    return "".join(c for c in map(chr, range(0x110000)) if c.isspace()) + "\x1a" + INVISIBLE


# Characters no spreadsheet shows, which a value copied from a web page, an email or Teams brings along
# ("R1\u200b"), and the byte-order mark a file pasted onto another without its header leaves on the first cell
# of its first row ("\ufeffR2"): kept, the reference is another report's, which no duplicate check finds and no
# search for "R1" does. Zero-width space, non-joiner and joiner, word joiner, byte-order mark.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


@functools.cache
def _whitespace_sql() -> str:
    """stripped_characters() as SQL (chr() calls: some are control characters)."""
    return " || ".join(f"chr({ord(c)})" for c in stripped_characters())


def cells_of(view: str) -> str:
    """The table holding the cells behind the view `stage` makes (its name, for dropping it)."""
    return f"{view}_cells"


def _drop_non_data(con, table: str, columns: list[int], headers: list, row: str) -> tuple[int, int, int, list[int]]:
    """Blank rows, footers and repeats of the header row are not data: the careful reader's rules, in SQL.
    `row`: SQL for a row's number in the file."""
    rules = vocab.load("rows")
    filled = " + ".join(f"(c{i} IS NOT NULL)::INTEGER" for i in columns)
    first = "coalesce(" + ", ".join(f"c{i}" for i in columns) + ")"
    pattern = "(?i)" + "|".join(rules["footer_patterns"] + rules["note_patterns"])
    words = " + ".join(f"(c{i} IS NOT NULL AND NOT regexp_matches(c{i}, ?) AND NOT regexp_matches(c{i}, ?))::INTEGER"
                       for i in columns)
    # A footer (stage._is_footer): its first cell matches, and the others are counts or match too. The regular
    # expressions run only on rows of few cells: data rows are passed over by the count of their cells.
    footer = (f"CASE WHEN {filled} BETWEEN 1 AND {int(rules['footer_most_cells'])} AND regexp_matches({first}, ?) "
              f"THEN {words} = 0 ELSE false END")
    footer_params = [pattern, *[p for _ in columns for p in (rules["footer_count"], pattern)]]
    cells = [headers[i] if i < len(headers) else None for i in columns]
    # A repeated header is the header again, its first cell perhaps with the byte-order mark of a file pasted on.
    header = " AND ".join((f"(c{i} IS NOT DISTINCT FROM ? OR c{i} = '\ufeff' || ?)" if k == 0 else
                           f"c{i} IS NOT DISTINCT FROM ?") for k, i in enumerate(columns)) if any(cells) else "FALSE"
    header_params = [cells[0], *cells] if any(cells) else []
    not_data = f"{filled} = 0 OR ({footer}) OR ({header})"
    # One scan counts them all; the DELETE (another scan of every column) runs only when there is something to delete.
    total, blank, footers, repeats = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE filled = 0),
               count(*) FILTER (WHERE footer), list(r ORDER BY r) FILTER (WHERE repeat)
        FROM (SELECT {filled} AS filled, {footer} AS footer, {header} AS repeat, {row} AS r FROM {table})
    """, [*footer_params, *header_params]).fetchone()
    repeats = repeats or []
    if blank or footers or repeats:
        con.execute(f"DELETE FROM {table} WHERE {not_data}", [*footer_params, *header_params])
    return total - blank - footers - len(repeats), blank, footers, repeats
