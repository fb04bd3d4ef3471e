"""Postcode centroids: ONSPD / NSPL, OS Code-Point Open (with or without a header row), or any
CSV with a postcode column and either latitude/longitude or eastings/northings.

A file whose postcode cells are mostly outward codes ('CB1', 'PE13': postcode districts with their
centres) is a list of district centres. Its rows are stored in the same table, keyed by the outward
code, and geocoding uses such a centre only for a district no full postcode of which is loaded: it
places a row approximately (`postcode_district`), never at a door. Stored there, a district file has
its own source like any lookup, so status, the data health page and `etl remove` treat it as one.

These files are big (ONSPD is 2.7 million rows), so DuckDB reads the CSV itself, every value
as text, and all the checking is set-wise SQL; Python only looks at the first lines to tell
the layout and to match headers (`vocab/postcode_headers.toml`).

A load upserts by postcode: a newer file replaces a postcode's values, and the postcode becomes its
source's (removing the older lookup then keeps it). Postcodes with no location (ONSPD's latitude
99.999999, Code-Point's 0/0 grid reference, blank coordinates) are skipped and counted; bad
postcodes and unreadable coordinates are rejected row by row.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl import address_matches, geocode, vocab
from etl.errors import FileProblem
from etl.reading.headers import read_mapping
from etl.reading import sniff
from etl.summary import LoadSummary

# OS Code-Point Open CSVs have no header row; the columns are documented in Doc/Code-Point_Open_Column_Headers.csv.
CODEPOINT_COLUMNS = ["Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
                     "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
                     "Admin_ward_code"]
CODEPOINT_FIELDS = {"postcode": 0, "easting": 2, "northing": 3, "district_code": 8}

REQUIRED_TEXT = "a postcode column, and latitude + longitude or easting + northing columns"
SAMPLE_LINES = 50
HEADER_SEARCH_ROWS = 10
MAX_RAW_COLUMNS = 30          # wider files (ONSPD has 50+) keep only the columns we use for reject messages
ONSPD_NO_LOCATION_LAT = 99.999999
# Generous bounds of the UK, Channel Islands and Isle of Man: a centroid outside them is a typo or a swap.
UK_LAT = (49.0, 61.0)
UK_LON = (-9.0, 2.0)
FIELD_LABELS = {"postcode": "postcode", "lat": "latitude", "lon": "longitude", "easting": "easting",
                "northing": "northing", "district_code": "district code", "lsoa_code": "LSOA code",
                "terminated": "date of termination", "outward_code": "outward code"}
CANONICAL_POSTCODE = "[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
OUTWARD_SQL = "[A-Z]{1,2}[0-9][A-Z0-9]?"
DISTRICTS_NAME = "a list of postcode districts (outward codes with their centres)"
DISTRICTS_NOTE = ("the postcode cells are outward codes (postcode districts such as {example}), not full postcodes: "
                  "each district's centre is stored, and places a report, licence or case whose full postcode no "
                  "loaded lookup holds approximately (geocode status postcode_district), only where no full postcode "
                  "of that district is loaded; for positions at the door load a full postcode lookup (ONSPD, NSPL or "
                  "OS Code-Point Open)")
SHOWN_REJECTS = 3       # rejected rows a load that stores nothing names in its error
_REGEO_NAMES = {"hmo_licence_history": "licences", "reports": "reports", "cases": "cases"}


@dataclass
class Layout:
    """Where our fields are in the file, and how DuckDB should read it."""

    name: str                              # for the summary: 'OS Code-Point Open (no header row)', ...
    headers: list[str]                     # one label per column
    columns: dict[str, int]                # our field → column index
    header_records: int                    # non-blank lines up to and including the header row (0: none)
    delimiter: str = ","
    encoding: str = "utf-8"
    lsoa_candidates: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    districts: bool = False                # the postcode column holds outward codes: district centres

    @property
    def width(self) -> int:
        return len(self.headers)

    def has(self, name: str) -> bool:
        return name in self.columns


def load(con: duckdb.DuckDBPyConnection, path: Path, summary: LoadSummary, *, mapping=None, sheet=None,
         progress=None) -> None:
    if sheet:
        raise FileProblem(path, f"--sheet {sheet!r} was given, but postcode lookups are read as CSV only")
    layout = detect_layout(path, read_mapping(mapping, field_specs(), "postcodes") if mapping else None)
    _read(con, path, layout)
    _choose_lsoa_column(con, layout)
    _parse(con, layout)
    summary.rows_read = con.execute("SELECT count(*) FROM pc_parsed").fetchone()[0]
    if progress:
        progress(summary.rows_read)
    if summary.rows_read == 0:
        raise FileProblem(path, "the file has no data rows" + (" after its header" if layout.header_records else ""))
    summary.warnings.append(f"read as {layout.name}; columns used: " + _columns_used(layout))
    summary.warnings += layout.notes
    _record_rejects(con, summary, layout)
    _skip_and_collapse(con, summary)
    _refuse_when_nothing_stored(con, path, summary, layout)
    _merge(con, summary, layout)
    _regeocode(con, summary)
    for table in ("pc_raw", "pc_parsed", "pc_incoming", "pc_plan", "pc_offsets"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


# --- layout ------------------------------------------------------------------------------------

def field_specs() -> dict[str, dict]:
    return vocab.load("postcode_headers")


def detect_layout(path: Path, mapping: dict[str, str] | None = None) -> Layout:
    """Read the first lines in Python: encoding, delimiter, header row or Code-Point's headerless shape."""
    if sniff.file_format(path) == "xlsx":
        raise FileProblem(path, "this is an XLSX (or other zip) file; postcode lookups must be CSV: "
                                "unpack ONSPD/Code-Point zips first, or save the sheet as CSV")
    encoding, lines = _sample_lines(path)
    if not any(line.strip() for line in lines):
        raise FileProblem(path, "the file has no rows (it is empty or only a byte-order mark)")
    delimiter = sniff.delimiter(lines)
    rows = list(csv.reader(io.StringIO("".join(lines)), delimiter=delimiter))
    numbered, nonblank = [], 0          # (non-blank record count so far, row)
    for row in rows:
        if row and any(c.strip() for c in row):
            nonblank += 1
            numbered.append((nonblank, row))
        elif row:                       # a line of only delimiters/spaces: DuckDB keeps it as a record
            nonblank += 1
    if not numbered:
        raise FileProblem(path, "the first lines of the file are empty cells only: no header or data found")
    first = numbered[0][1]
    if not mapping and _is_postcode(first[0]):
        if len(first) == len(CODEPOINT_COLUMNS):
            return Layout("OS Code-Point Open (no header row)", list(CODEPOINT_COLUMNS), dict(CODEPOINT_FIELDS),
                          header_records=0, delimiter=delimiter, encoding=encoding)
        raise FileProblem(path, f"the first row starts with a postcode ({first[0]!r}) but has {len(first)} "
                                f"columns, not the {len(CODEPOINT_COLUMNS)} of an OS Code-Point Open file; "
                                f"add a header row naming {REQUIRED_TEXT}")
    best = None
    for records, row in numbered[:HEADER_SEARCH_ROWS]:
        columns, lsoa = _match_headers(row, mapping)
        if best is None or len(columns) > len(best[1]):
            best = (records, columns, lsoa, row)
    records, columns, lsoa, row = best
    headers = [c.strip() for c in row]
    if mapping:
        absent = [f"{ours} = {theirs!r}" for ours, theirs in mapping.items() if ours not in columns]
        if absent:
            raise FileProblem(path, f"--mapping names column(s) the file doesn't have: {', '.join(absent)}; "
                                    f"headers found: {_show(headers)}")
    data = [r for n, r in numbered if n > records]
    notes: list[str] = []
    outward = columns.pop("outward_code", None)
    if "postcode" not in columns and outward is None:
        outward = _outward_column(data, set(columns.values()))
        if outward is not None:
            notes.append(f"column {headers[outward]!r} is read as outward codes: every value in the first rows is one")
    if "postcode" not in columns and outward is not None:
        columns = {"postcode": outward, **columns}
    districts = "postcode" in columns and _mostly_outward(data, columns["postcode"])
    has_wgs = "lat" in columns and "lon" in columns
    has_bng = "easting" in columns and "northing" in columns
    if "postcode" not in columns or not (has_wgs or has_bng):
        missing = (["postcode"] if "postcode" not in columns else []) + \
                  ([] if has_wgs or has_bng else ["latitude + longitude, or easting + northing"])
        what = (" (its postcode column holds outward codes such as " + repr(_first_outward(data, columns["postcode"]))
                + ": a list of postcode districts, which needs a header naming each district's latitude and "
                "longitude, or easting and northing)") if districts else ""
        raise FileProblem(path, f"required column(s) missing: {'; '.join(missing)}{what}. Headers found (row "
                                f"{_physical_row(rows, records)}): {_show(headers)}. Rename them, add an alias to "
                                f"etl/vocab/postcode_headers.toml, or pass --mapping FILE")
    for a, b in (("lat", "lon"), ("easting", "northing")):
        if (a in columns) != (b in columns):      # half a pair is no use, and would reject every row
            columns.pop(a, None)
            columns.pop(b, None)
    labels = {normalise(h) for h in headers}
    if districts:
        name = DISTRICTS_NAME
        notes.append(DISTRICTS_NOTE.format(example=repr(_first_outward(data, columns["postcode"]))))
    elif labels & {"pcds", "pcd", "pcd7", "pcd8"}:
        name = "an ONS postcode directory (ONSPD/NSPL)"
    elif labels & {"admindistrictcode", "positionalqualityindicator"} or {"pc", "ea", "no"} <= labels:
        name = "OS Code-Point Open (with headers)"
    else:
        name = "a postcode CSV with headers"
    return Layout(name, headers, columns, header_records=records, delimiter=delimiter, encoding=encoding,
                  lsoa_candidates=lsoa, notes=notes, districts=districts)


def _compact(cell: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", cell.upper())


def _is_outward(cell: str) -> bool:
    return bool(_OUTWARD.fullmatch(_compact(cell)))


def _mostly_outward(data: list[list[str]], column: int, *, every: bool = False) -> bool:
    """Do most (or all) of the column's filled cells in the sampled rows hold an outward code alone ('CB1')? The
    values decide, not the header: a column headed "Postcode" in a list of districts holds districts all the same."""
    cells = [row[column] for row in data if column < len(row) and row[column].strip()]
    outward = sum(_is_outward(c) for c in cells)
    return outward == len(cells) >= 2 if every else bool(cells) and 2 * outward > len(cells)


def _outward_column(data: list[list[str]], taken: set[int]) -> int | None:
    """With no postcode column by its header, the first column whose sampled values are all outward codes (all, not
    most: a column of another name is taken only when nothing else it could be fits)."""
    width = max((len(row) for row in data), default=0)
    return next((i for i in range(width) if i not in taken and _mostly_outward(data, i, every=True)), None)


def _first_outward(data: list[list[str]], column: int) -> str:
    return next((_compact(row[column]) for row in data if column < len(row) and _is_outward(row[column])), "CB1")


def _columns_used(layout: Layout) -> str:
    def label(f: str) -> str:
        return FIELD_LABELS["outward_code" if f == "postcode" and layout.districts else f]
    return ", ".join(f"{label(f)} = {layout.headers[i]!r}" for f, i in layout.columns.items())


def normalise(text: str) -> str:
    return vocab.normalise_label(text)


def _match_headers(row: list[str], mapping: dict[str, str] | None) -> tuple[dict[str, int], list[int]]:
    """Our field → column index, by alias order then pattern; plus every LSOA-looking column."""
    labels = [normalise(c) for c in row]
    taken: set[int] = set()
    columns: dict[str, int] = {}
    lsoa: list[int] = []
    mapping = mapping or {}
    for name, theirs in mapping.items():
        want = normalise(theirs)
        for i, label in enumerate(labels):
            if label == want and i not in taken:
                columns[name] = i
                taken.add(i)
                break
    for name, spec in field_specs().items():
        candidates = _candidates(labels, spec)
        if name == "lsoa_code":
            lsoa = [i for i in candidates if i not in taken]
        if name in columns or name in mapping:
            continue
        free = [i for i in candidates if i not in taken]
        if free:
            columns[name] = free[0]
            taken.add(free[0])
    if "lsoa_code" in columns and columns["lsoa_code"] not in lsoa:
        lsoa = [columns["lsoa_code"]]
    return columns, lsoa


def _candidates(labels: list[str], spec: dict) -> list[int]:
    """Columns for one field, best first: aliases in their listed order, then patterns, newest first."""
    out: list[int] = []
    for alias in spec.get("aliases", []):
        key = normalise(alias)
        out += [i for i, label in enumerate(labels) if label == key and i not in out]
    by_pattern = [i for i, label in enumerate(labels) if label and i not in out
                  and any(re.search(p, label) for p in spec.get("patterns", []))]
    by_pattern.sort(key=lambda i: -int(re.sub(r"\D", "", labels[i]) or 0))
    return out + by_pattern


def _sample_lines(path: Path) -> tuple[str, list[str]]:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = head.decode("utf-16", errors="ignore"), "utf-16"
    else:
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        try:
            text, encoding = head.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:            # a character cut at the end of the sample
                text, encoding = head[:exc.start].decode("utf-8"), "utf-8"
            else:
                text, encoding = head.decode("latin-1"), "latin-1"
    lines = text.splitlines(keepends=True)
    if len(head) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]                            # the last line may be cut short
    return encoding, lines[:SAMPLE_LINES]


def _is_postcode(cell: str) -> bool:
    return bool(_POSTCODE.fullmatch(re.sub(r"[^A-Z0-9]", "", cell.upper())))


def _physical_row(rows: list[list[str]], records: int) -> int:
    """The line number of the `records`-th non-empty line of the sample."""
    seen = 0
    for number, row in enumerate(rows, start=1):
        if row:
            seen += 1
            if seen == records:
                return number
    return records


def _show(headers: list[str]) -> str:
    shown = [h for h in headers if h][:25]
    more = len([h for h in headers if h]) - len(shown)
    return (", ".join(repr(h) for h in shown) or "(none)") + (f" and {more} more" if more > 0 else "")


# --- reading -----------------------------------------------------------------------------------

def _kept_columns(layout: Layout) -> list[int]:
    used = set(layout.columns.values()) | set(layout.lsoa_candidates)
    if layout.width <= MAX_RAW_COLUMNS:
        used |= set(range(layout.width))
    return sorted(used)


def _read(con: duckdb.DuckDBPyConnection, path: Path, layout: Layout) -> None:
    """DuckDB reads the whole file as text into `pc_raw`, with `_row`, the row a spreadsheet would show.

    `row_number() OVER ()` numbers records in file order (DuckDB preserves insertion order);
    rowid would not do, as rows written inside an open transaction get provisional rowids.
    DuckDB skips empty lines, so where a file has any they are put back into the numbering.
    """
    kept = _kept_columns(layout)
    # One column more than the header: a non-empty one there means the row had too many values.
    names = {f"c{i}": "VARCHAR" for i in range(layout.width + 1)}
    columns_sql = "{" + ", ".join(f"'{n}': '{t}'" for n, t in names.items()) + "}"
    select = ", ".join(f"c{i}" for i in kept)

    # A failed read would abort the load's transaction, so find out first (one quick pass) whether
    # the file is really UTF-8 and whether it has empty lines.
    utf8, has_blank = _scan(path, layout.encoding)
    if not utf8:
        layout.encoding = "latin-1"
    offsets = _blank_line_offsets(path) if has_blank else []
    if offsets:
        con.execute("CREATE OR REPLACE TEMP TABLE pc_offsets (rec BIGINT, blank_before BIGINT)")
        con.executemany("INSERT INTO pc_offsets VALUES (?, ?)", offsets)
        row = "_rec + coalesce((SELECT max(blank_before) FROM pc_offsets o WHERE o.rec <= r._rec), 0)"
    else:
        row = "_rec"

    def read(encoding: str) -> None:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE pc_raw AS
            SELECT {row} AS _row, * FROM (
                SELECT row_number() OVER () AS _rec, {select}, c{layout.width} AS _extra
                FROM read_csv(?, header = false, auto_detect = false, all_varchar = true,
                          delim = ?, quote = '"', escape = '"',
                          null_padding = true, strict_mode = false, encoding = ?,
                          columns = {columns_sql})
            ) r
            WHERE _rec > {layout.header_records}
        """, [sniff.duckdb_path(path), layout.delimiter, encoding])

    try:
        read(layout.encoding)
    except duckdb.Error as exc:
        raise FileProblem(path, f"the CSV can't be read: {_first_line(exc)}")
    if layout.encoding == "latin-1":
        layout.notes.append("the file is not valid UTF-8 and was read as Latin-1")


def _scan(path: Path, encoding: str) -> tuple[bool, bool]:
    """(is the file valid UTF-8, has it any empty lines), in one pass of C-speed checks per 16 MB."""
    if encoding == "utf-16":
        return True, True                      # rare: let the line-by-line count decide
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = encoding == "utf-8"
    tail = b"\n"                               # as if a line ended just before the file: a leading empty line counts
    blank = False
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            if utf8 and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if not blank:
                window = tail + chunk
                blank = b"\n\n" in window or b"\n\r\n" in window or window.startswith(b"\n\xef\xbb\xbf\n")
                tail = chunk[-2:]
    if utf8:
        try:
            decoder.decode(b"", final=True)     # a character cut off at the very end
        except UnicodeDecodeError:
            utf8 = False
    return utf8, blank


def _blank_line_offsets(path: Path) -> list[tuple[int, int]]:
    """(first record, empty lines before it) wherever an empty line shifts the numbering."""
    with open(path, "rb") as fh:
        utf16 = fh.read(2) in (b"\xff\xfe", b"\xfe\xff")
    offsets: dict[int, int] = {}
    blank = 0
    records = 0
    encoding = "utf-16" if utf16 else "latin-1"
    with open(path, encoding=encoding, newline="") as fh:
        for number, line in enumerate(fh):
            if number == 0:
                line = line.removeprefix("\xef\xbb\xbf").removeprefix("\ufeff")     # a UTF-8 BOM read as Latin-1
            if line.strip("\r\n") == "" and line != "":
                blank += 1
                offsets[records + 1] = blank
            else:
                records += 1
    return sorted(offsets.items())


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def _choose_lsoa_column(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    """Of several LSOA columns (2011 and 2021), take the one whose codes match the loaded LSOA boundaries."""
    if len(layout.lsoa_candidates) < 2 or not geocode.has_boundaries(con, "lsoa"):
        if len(layout.lsoa_candidates) > 1:
            others = [layout.headers[i] for i in layout.lsoa_candidates if i != layout.columns.get("lsoa_code")]
            layout.notes.append(f"several LSOA columns: used {layout.headers[layout.columns['lsoa_code']]!r}, "
                                f"not {', '.join(repr(o) for o in others)}")
        return
    counts = []
    for i in layout.lsoa_candidates:
        n = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT upper(trim(c{i})) AS code FROM pc_raw) r "
                        f"JOIN boundaries b ON b.level = 'lsoa' AND b.code = r.code").fetchone()[0]
        counts.append((n, -layout.lsoa_candidates.index(i), i))
    best = max(counts)[2]
    layout.columns["lsoa_code"] = best
    layout.notes.append(f"several LSOA columns: used {layout.headers[best]!r}, the one matching the loaded "
                        f"LSOA boundaries")


# --- checking ----------------------------------------------------------------------------------

def _parse(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    def col(name: str) -> str:
        i = layout.columns.get(name)
        return f"nullif(trim(c{i}), '')" if i is not None else "NULL::VARCHAR"

    def number(text: str) -> str:          # a plain cast first: the regular expressions only where that fails
        how = "parse_degrees" if text in ("lat_t", "lon_t") else "parse_number"
        return f"coalesce(try_cast({text} AS DOUBLE), {how}({text}))"

    wgs = layout.has("lat") and layout.has("lon")
    bng = layout.has("easting") and layout.has("northing")
    if layout.districts:
        key = f"CASE WHEN regexp_full_match(pc_compact(pc), '{OUTWARD_SQL}') THEN pc_compact(pc) END"
        bad_key = ("'outward code ' || shown(pc) || CASE WHEN postcode_norm(pc) IS NOT NULL THEN ' is a full postcode, "
                   "in a list of postcode districts: load full postcodes in a file of their own' "
                   "ELSE ' is not a postcode district (an outward code such as ''CB1'')' END")
    else:
        # ONSPD's pcds is already 'PE13 1AB': only other spellings need the full macro.
        key = (f"CASE WHEN regexp_full_match(pc, '{CANONICAL_POSTCODE}') THEN pc ELSE postcode_norm(pc) END")
        bad_key = ("'postcode ' || shown(pc) || CASE WHEN outward_code(pc) IS NOT NULL "
                   "THEN ' is only part of a postcode (a postcode district or sector), not a full postcode' "
                   "ELSE ' is not a valid UK postcode' END")
    checks = [
        "CASE WHEN _extra IS NOT NULL THEN 'the row has more values than the header has columns' END",
        "CASE WHEN pc IS NULL THEN 'postcode is blank' END",
        f"CASE WHEN pc IS NOT NULL AND postcode IS NULL THEN {bad_key} END",
    ]
    if wgs:
        checks += _pair_checks(("lat_t", "lat_n", "latitude"), ("lon_t", "lon_n", "longitude"), "NOT wgs_none")
        checks.append(f"""CASE WHEN lat_n IS NOT NULL AND lon_n IS NOT NULL AND NOT wgs_none
            AND NOT (lat_n BETWEEN {UK_LAT[0]} AND {UK_LAT[1]} AND lon_n BETWEEN {UK_LON[0]} AND {UK_LON[1]})
            THEN 'latitude ' || shown(lat_t) || ' / longitude ' || shown(lon_t) || ' are not in the UK' ||
                 CASE WHEN lon_n BETWEEN {UK_LAT[0]} AND {UK_LAT[1]} AND lat_n BETWEEN {UK_LON[0]} AND {UK_LON[1]}
                      THEN ' (are they swapped?)'
                      WHEN abs(lat_n) > 1000 OR abs(lon_n) > 1000
                      THEN ' (if they are eastings and northings, name the columns Easting and Northing)'
                      ELSE '' END END""")
    if bng:
        checks += _pair_checks(("east_t", "east_n", "easting"), ("north_t", "north_n", "northing"), "NOT bng_none")
        checks.append("""CASE WHEN east_n IS NOT NULL AND north_n IS NOT NULL AND NOT bng_none
            AND NOT (east_n BETWEEN 0 AND 700000 AND north_n BETWEEN 0 AND 1300000)
            THEN 'easting ' || shown(east_t) || ' / northing ' || shown(north_t) ||
                 ' are not British National Grid coordinates' END""")
    wgs_ok = "(lat_n IS NOT NULL AND lon_n IS NOT NULL AND NOT wgs_none)" if wgs else "FALSE"
    bng_ok = "(east_n IS NOT NULL AND north_n IS NOT NULL AND NOT bng_none)" if bng else "FALSE"
    # ONSPD's pseudo-codes (E99999999, L99999999 ...) mean "none": stored as NULL.
    code = "CASE WHEN upper({0}) LIKE '_99999999' THEN NULL ELSE upper({0}) END"
    reasons = "nullif(concat_ws('; ', " + ", ".join(checks) + "), '')"      # concat_ws skips NULLs
    kept = _kept_columns(layout)
    blank = " AND ".join(f"nullif(trim(c{i}), '') IS NULL" for i in kept) + " AND _extra IS NULL"
    # A row with a postcode is never blank: test that first, so the full test runs on few rows.
    not_blank = f"CASE WHEN {col('postcode')} IS NOT NULL THEN TRUE ELSE NOT ({blank}) END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pc_parsed AS
        WITH v0 AS (
            SELECT _row, _extra,
                   {col('postcode')} AS pc,
                   {col('lat')} AS lat_t, {col('lon')} AS lon_t,
                   {col('easting')} AS east_t, {col('northing')} AS north_t,
                   {code.format(col('district_code'))} AS district_code,
                   {code.format(col('lsoa_code'))} AS lsoa_code,
                   {col('terminated')} AS terminated
            FROM pc_raw
            WHERE {not_blank}       -- rows of empty cells are not data (and keep their numbers)
        ), v AS (
            SELECT *, {key} AS postcode FROM v0
        ), n AS (
            SELECT *, {number('lat_t')} AS lat_n, {number('lon_t')} AS lon_n,
                   {number('east_t')} AS east_n, {number('north_t')} AS north_n
            FROM v
        ), flags AS (
            -- "No location" is not an error: ONSPD's 99.999999/0, Code-Point's 0/0, or nothing at all.
            SELECT *,
                   (lat_t IS NULL AND lon_t IS NULL)
                       OR coalesce(abs(lat_n - {ONSPD_NO_LOCATION_LAT}) < 1e-9, FALSE) AS wgs_none,
                   (east_t IS NULL AND north_t IS NULL) OR coalesce(east_n = 0 AND north_n = 0, FALSE) AS bng_none
            FROM n
        ), checked AS (
            SELECT *, {reasons} AS reason FROM flags
        ), located AS (
            SELECT *, CASE WHEN reason IS NULL AND NOT {wgs_ok} AND {bng_ok}
                           THEN ST_Transform(ST_Point(east_n, north_n), 'EPSG:27700', 'EPSG:4326', always_xy := true)
                      END AS _bng_point
            FROM checked
        )
        SELECT _row AS row_number, postcode,
               CASE WHEN reason IS NULL THEN CASE WHEN {wgs_ok} THEN lat_n ELSE ST_Y(_bng_point) END END AS lat,
               CASE WHEN reason IS NULL THEN CASE WHEN {wgs_ok} THEN lon_n ELSE ST_X(_bng_point) END END AS lon,
               district_code, lsoa_code, terminated IS NOT NULL AS terminated, reason
        FROM located
    """)


def _pair_checks(a: tuple[str, str, str], b: tuple[str, str, str], usable: str) -> list[str]:
    """(text column, number column, label) of a coordinate pair: both numbers, or neither given."""
    out = [f"CASE WHEN {text} IS NOT NULL AND {number} IS NULL THEN '{label} ' || shown({text}) || ' is not a number' END"
           for text, number, label in (a, b)]
    out.append(f"CASE WHEN ({a[0]} IS NULL) <> ({b[0]} IS NULL) AND {usable} "
               f"THEN 'only one of {a[2]} and {b[2]} is given' END")
    return out


def _record_rejects(con: duckdb.DuckDBPyConnection, summary: LoadSummary, layout: Layout) -> None:
    kept = _kept_columns(layout)
    parts, params = [], []
    for i in kept:
        parts.append(f"?, r.c{i}")
        params.append(layout.headers[i] or f"column {i + 1}")
    parts.append("'(extra values)', r._extra")
    summary.rows_rejected = con.execute("SELECT count(*) FROM pc_parsed WHERE reason IS NOT NULL").fetchone()[0]
    if not summary.rows_rejected:
        return
    con.execute(f"""
        INSERT INTO rejects (load_id, row_number, reason, raw)
        SELECT ?, p.row_number, p.reason, json_object({', '.join(parts)})
        FROM pc_parsed p JOIN pc_raw r ON r._row = p.row_number
        WHERE p.reason IS NOT NULL
        ORDER BY p.row_number
    """, [summary.load_id, *params])


def _skip_and_collapse(con: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    no_location, terminated = con.execute("""
        SELECT count(*) FILTER (WHERE lat IS NULL), count(*) FILTER (WHERE lat IS NOT NULL AND terminated)
        FROM pc_parsed WHERE reason IS NULL
    """).fetchone()
    if no_location:
        summary.warnings.append(f"{no_location:,} postcode(s) with no location skipped (ONSPD latitude 99.999999, "
                                f"a 0/0 grid reference or blank coordinates)")
    if terminated:
        summary.warnings.append(f"{terminated:,} terminated postcode(s) loaded too, so older addresses still geocode")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pc_incoming AS
        SELECT postcode, lat, lon, district_code, lsoa_code FROM pc_parsed
        WHERE reason IS NULL AND lat IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY postcode ORDER BY row_number DESC) = 1
    """)
    located = con.execute("SELECT count(*) FROM pc_parsed WHERE reason IS NULL AND lat IS NOT NULL").fetchone()[0]
    summary.rows_collapsed = located - con.execute("SELECT count(*) FROM pc_incoming").fetchone()[0]


def _refuse_when_nothing_stored(con: duckdb.DuckDBPyConnection, path: Path, summary: LoadSummary,
                                layout: Layout) -> None:
    """A load none of whose rows has a usable location fails as a whole. Loaded, it would list a source of no
    postcodes that seems to be the lookup and places nothing (a wrong column or a wrong file, nearly always); failed,
    nothing changes, `loads` records why and keeps the rejected rows (etl/loading.py), and the error names the
    first rejected rows and the columns read, which is what the analyst fixes."""
    if con.execute("SELECT count(*) FROM pc_incoming").fetchone()[0]:
        return
    if not summary.rows_rejected:
        raise FileProblem(path, f"none of its {summary.rows_read:,} row(s) has a location (ONSPD latitude "
                                "99.999999, a 0/0 grid reference or blank coordinates), so nothing was loaded; "
                                f"columns used: {_columns_used(layout)}")
    first = con.execute(f"SELECT row_number, reason FROM pc_parsed WHERE reason IS NOT NULL ORDER BY row_number "
                        f"LIMIT {SHOWN_REJECTS}").fetchall()
    shown = "; ".join(f"row {row}: {reason}" for row, reason in first)
    more = summary.rows_rejected - len(first)
    rest = summary.rows_read - summary.rows_rejected
    what = (f"all {summary.rows_rejected:,} row(s) were rejected" if not rest else
            f"{summary.rows_rejected:,} of its {summary.rows_read:,} row(s) were rejected and the other {rest:,} "
            "have no location")
    raise FileProblem(path, f"{what}, so nothing was loaded ({shown}" + (f"; and {more:,} more" if more > 0 else "")
                            + f"); columns used: {_columns_used(layout)}")


# --- storing -----------------------------------------------------------------------------------

def _merge(con: duckdb.DuckDBPyConnection, summary: LoadSummary, layout: Layout) -> None:
    """Upsert by postcode. A file without a district or LSOA column keeps the stored ones."""
    # A postcode the file moves keeps no district or LSOA the file does not give: they were the old point's.
    moved = f"{address_matches.metres_sql('p.lat', 'p.lon', 'i.lat', 'i.lon')} > {MOVED_METRES}"
    district = "i.district_code" if layout.has("district_code") else f"CASE WHEN {moved} THEN NULL ELSE p.district_code END"
    lsoa = "i.lsoa_code" if layout.has("lsoa_code") else f"CASE WHEN {moved} THEN NULL ELSE p.lsoa_code END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pc_plan AS
        SELECT i.postcode, i.lat, i.lon, {district} AS district_code, {lsoa} AS lsoa_code,
               CASE WHEN p.postcode IS NULL THEN 'new'
                    WHEN abs(p.lat - i.lat) < 1e-7 AND abs(p.lon - i.lon) < 1e-7
                         AND p.district_code IS NOT DISTINCT FROM {district}
                         AND p.lsoa_code IS NOT DISTINCT FROM {lsoa} THEN 'unchanged'
                    ELSE 'updated' END AS action,
               CASE WHEN p.postcode IS NOT NULL THEN {address_matches.metres_sql('p.lat', 'p.lon', 'i.lat', 'i.lon')}
                    END AS moved_metres
        FROM pc_incoming i LEFT JOIN postcodes p ON p.postcode = i.postcode
    """)
    _warn_moved(con, summary)
    counts = dict(con.execute("SELECT action, count(*) FROM pc_plan GROUP BY 1").fetchall())
    summary.rows_loaded = counts.get("new", 0)
    summary.rows_updated = counts.get("updated", 0)
    summary.rows_unchanged = counts.get("unchanged", 0)
    # A postcode another lookup gave too becomes this one's, unchanged or not: `etl remove postcodes` of the
    # older lookup must keep what this file gives, and take out only what the older one alone gave. The same
    # lookup's next release leaves its unchanged postcodes be (millions of rows, nothing to say): a row's
    # load_id is the load that last changed it or gave it a new source.
    con.execute("""
        UPDATE postcodes AS p SET lat = u.lat, lon = u.lon, district_code = u.district_code,
               lsoa_code = u.lsoa_code, source = ?, load_id = ?
        FROM pc_plan u WHERE p.postcode = u.postcode
                         AND (u.action = 'updated' OR (u.action = 'unchanged' AND p.source IS DISTINCT FROM ?))
    """, [summary.source, summary.load_id, summary.source])
    con.execute("""
        INSERT INTO postcodes (postcode, lat, lon, district_code, lsoa_code, source, load_id)
        SELECT postcode, lat, lon, district_code, lsoa_code, ?, ? FROM pc_plan WHERE action = 'new'
    """, [summary.source, summary.load_id])
    if not layout.has("district_code") and not layout.districts:
        summary.warnings.append("the file has no district code column: postcodes get districts only from "
                                "district boundaries")


MOVED_METRES = 1000     # a lookup's new release moves a postcode's point by metres, not kilometres


def _warn_moved(con: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    """Postcodes the file puts more than a kilometre from where the lookup had them. A new release of Code-Point
    moves a point by metres; a partner's list with a wrong point (another town's, swapped digits) moves every
    report at that postcode with it, and nothing else would tell. The file's point is used: say so."""
    n, examples = con.execute(f"""
        SELECT count(*), list([postcode, round(moved_metres / 1000)::BIGINT::VARCHAR] ORDER BY moved_metres DESC)[1:3]
        FROM pc_plan WHERE moved_metres > {MOVED_METRES}
    """).fetchone()
    if n:
        listed = "; ".join(f"{pc} by {km} km" for pc, km in examples) + (" …" if n > 3 else "")
        summary.warnings.append(f"{n:,} postcode(s) moved more than {MOVED_METRES // 1000} km from the point the "
                                f"lookup had ({listed}): the file's point is used, and reports there move with it; "
                                "check the file gives these postcodes' own points")


def _regeocode(con: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    summary.warnings.extend(regeocode_note(con))


def regeocode_note(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Re-geocode stored rows and say how many moved, e.g. 're-geocoded: 12 reports, 3 licences'."""
    changed = geocode.regeocode_stored(con)
    parts = [f"{n:,} {_REGEO_NAMES.get(table, table)}" for table, n in changed.items() if n]
    return ["re-geocoded: " + ", ".join(parts)] if parts else []
