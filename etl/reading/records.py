"""Numbered records from CSV or XLSX.

A record's number is the row a spreadsheet would show for it (the header of a plain file
is row 1), so the number in a reject message is the one an analyst scrolls to.
Blank rows keep their numbers: they are counted in the numbering, never as data.
"""
from __future__ import annotations

import csv
import datetime as dt
import itertools
import posixpath
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from etl import vocab
from etl.errors import FileProblem
from etl.reading import sniff
from etl.reading.headers import HEADER_SEARCH_ROWS

MAX_CELL_CHARS = 1_000_000
MAX_XLSX_UNCOMPRESSED = 1_000_000_000
MAX_XLSX_RATIO = 200

Record = tuple[int, list]

# A formula cell and what follows its formula: the saved value, if any. Excel writes <f> before <v> in a cell.
_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>)?")
_CELL_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_STRING_TYPE = re.compile(rb'\bt="str"')
_SCAN_BYTES = 4_000_000
# A row Excel hides (a filter, or Hide Rows) that holds cells: <row r="10" hidden="1" ...><c ...
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*\bhidden="(?:1|true)"[^>]*(?<!/)>\s*<(?:\w+:)?c\b[^>]*\br="[A-Z]+([0-9]+)"')
# A column Excel hides (Hide Columns, or a width of 0), in the <cols> before a sheet's rows:
# <col min="4" max="4" hidden="1"/>
_COLUMN_SPEC = re.compile(rb'<(?:\w+:)?col\b([^>]*)>')
_ATTRIBUTE = re.compile(rb'\b(min|max|hidden|width)="([^"]*)"')
# A merged range, in the <mergeCells> after a sheet's rows: <mergeCell ref="B2:C4"/>
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Z]{1,3})\$?([0-9]+)(?::\$?([A-Z]{1,3})\$?([0-9]+))?"')
MAX_MERGED_RANGES = 100_000
# The parts a sheet links to (its tables), in the sheet's own .rels part: <Relationship Type="…/table" Target="…"/>
_RELATIONSHIP = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*>')
_REL_ATTRIBUTE = re.compile(rb'\b(Type|Target)="([^"]*)"')
# An Excel table (Insert > Table) and its totals row: <table displayName="Table1" ref="A1:F6" totalsRowCount="1">
_TABLE_TAG = re.compile(rb'<(?:\w+:)?table\b[^>]*>')
_TABLE_ROWS = re.compile(rb'\bref="\$?[A-Z]{1,3}\$?([0-9]+):\$?[A-Z]{1,3}\$?([0-9]+)"')
_TOTALS_ROW_COUNT = re.compile(rb'\btotalsRowCount="([0-9]+)"')
_TABLE_NAME = re.compile(rb'\bdisplayName="([^"]*)"')
# What Excel shows in a cell whose formula failed (a VLOOKUP that found nothing, a deleted column): openpyxl gives
# the code as the cell's text, which is then read like any other value (a licence numbered "#REF!").
EXCEL_ERRORS = frozenset(vocab.load("no_value")["excel_errors"])     # etl/vocab/no_value.toml


class SheetHead(NamedTuple):
    """A sheet's name, whether Excel shows it, and its first records: enough to choose the sheet to read."""

    name: str
    visible: bool
    records: list[Record]


@dataclass
class ReadNotes:
    """What the reader had to repair, reported in the load summary rather than hidden."""

    encoding: str = "utf-8"
    delimiter: str | None = None
    sheet: str | None = None
    lines_recoded: int = 0
    nul_bytes_removed: int = 0
    lone_returns: int = 0
    warnings: list[str] = field(default_factory=list)
    open_quote_at_end: int | None = None   # the row whose quoted cell the file ends inside (`_csv_records`)
    dates_from_1904: bool = False   # the workbook's serial numbers count days from 1904 (`_xlsx_records`)
    hidden_columns: list[range] = field(default_factory=list)   # columns (from 0) Excel hides in the sheet read
    # row → (formula cells without a saved value, the first one's reference) of the sheet read: said by
    # `unsaved_formulas_warning` once the rows that are data are known (a totals row's =SUM is no loss)
    unsaved_formulas: dict[int, tuple[int, str]] = field(default_factory=dict)

    def column_hidden(self, i: int) -> bool:
        return any(i in r for r in self.hidden_columns)


def read_records(path: Path, sheet: str | None = None, notes: ReadNotes | None = None) -> Iterator[Record]:
    notes = notes if notes is not None else ReadNotes()
    if sniff.file_format(path) == "xlsx":
        return _xlsx_records(path, sheet, notes)
    if sheet:
        raise FileProblem(path, f"--sheet {sheet!r} was given, but this is a CSV file, not XLSX")
    return _csv_records(path, notes)


# The code pages a line that is not UTF-8 may be in, as the load summary names them; sniff.single_byte_codec
# tells them apart by the letters each makes of the file's accented words.
_CODE_PAGES = {"cp1252": "Windows-1252", "cp1257": "Windows-1257 (Baltic)",
               "cp1250": "Windows-1250 (Central European)", "mac_roman": "Mac Roman (\"CSV (Macintosh)\")"}


def _fallback_codec(path: Path, sample_bytes: int = 4 << 20, first_bad: bytes = b"") -> str:
    """The code page for the lines that are not UTF-8, judged on those in the file's first `sample_bytes`
    (or on `first_bad`, the line that asked, if none is there): Windows-1252, 1257 (read as 1252, the
    Lithuanian "Šeštokų" was "Ðeðtokø") or 1250 (read as 1257, the Romanian "plătiţi" was "plćtiži"; as
    1252, the Polish "śpią" was "œpi¹"), or in a file whose lines end in a CR alone, Mac Roman (read as 1257,
    "Café" was "Cafˇ")."""
    with open(path, "rb") as fh:
        sample = fh.read(sample_bytes)
    lines = sample.splitlines()
    bad = []
    for raw in lines[:-1] if len(sample) == sample_bytes else lines:   # the last may be cut mid-character
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(raw)
    return sniff.single_byte_codec(bad or [first_bad], mac=b"\r" in sample and b"\n" not in sample)


def _decoded_lines(path: Path, notes: ReadNotes) -> Iterator[str]:
    """Decode line by line, so one Windows-1252 (or 1257, 1250) line in a UTF-8 file costs one line, not the file."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    notes.encoding = sniff.text_encoding(head)
    if notes.encoding.startswith("utf-16"):
        with open(path, encoding=notes.encoding, newline="") as fh:
            yield from fh
        return
    codec = None
    with open(path, "rb") as fh:
        first = True
        for raw in _byte_lines(fh, notes):
            if first and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            first = False
            if b"\x00" in raw:
                notes.nul_bytes_removed += raw.count(b"\x00")
                raw = raw.replace(b"\x00", b"")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                notes.lines_recoded += 1
                codec = codec or _fallback_codec(path, first_bad=raw)
                yield raw.decode(codec, errors="replace")
    if notes.lines_recoded:
        name = _CODE_PAGES[codec]
        notes.encoding = name.split()[0].lower() if notes.encoding.startswith("utf-8") else notes.encoding
        notes.warnings.append(f"{notes.lines_recoded} line(s) were not UTF-8 and were read as {name}")
    if notes.nul_bytes_removed:
        notes.warnings.append(f"{notes.nul_bytes_removed} NUL byte(s) removed")
    if notes.lone_returns:
        notes.warnings.append(f"{notes.lone_returns} carriage return(s) (CR) alone inside rows read as spaces")


def _byte_lines(fh, notes: ReadNotes, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Lines as Excel reads them: ended by LF or CRLF, or in a file saved as "CSV (Macintosh)" by a CR alone.

    Python's csv module stops at a CR in an unquoted cell ("new-line character seen"), failing the whole
    file. So a file whose first lines end in CR alone is split on CR; in any other file a CR alone inside
    a line (pasted from an old system) is read as a space, and counted in the notes.
    """
    head = fh.read(chunk)
    fh.seek(0)
    if b"\r" in head and b"\n" not in head:
        notes.warnings.append("lines end in a carriage return alone (CR: an old Mac format); read as line breaks")
        rest = b""
        while data := fh.read(chunk):
            *lines, rest = (rest + data).split(b"\r")
            yield from (line + b"\n" for line in lines)
        if rest:
            yield rest
        return
    for raw in fh:
        body = raw[:-2] if raw.endswith(b"\r\n") else raw.rstrip(b"\n")
        if b"\r" in body:
            notes.lone_returns += body.count(b"\r")
            raw = body.replace(b"\r", b" ") + raw[len(body):]
        yield raw


def _csv_records(path: Path, notes: ReadNotes) -> Iterator[Record]:
    lines = _decoded_lines(path, notes)
    sample: list[str] = []
    for line in lines:
        sample.append(line)
        if len(sample) >= 50:
            break
    if not any(s.strip() for s in sample):
        raise FileProblem(path, "the file has no rows (it is empty or only a byte-order mark)")
    notes.delimiter = sniff.delimiter(sample)

    consumed: list[str] = []   # the lines of the record being read

    def all_lines() -> Iterator[str]:
        for line in itertools.chain(sample, lines):
            consumed.append(line)
            yield line

    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(all_lines(), delimiter=notes.delimiter)
    number, held = 0, None
    try:
        for row in reader:
            number += 1
            if held:
                yield held
            held, last_lines = (number, row), consumed[:]
            consumed.clear()
    except csv.Error as exc:
        raise FileProblem(path, f"the CSV can't be parsed ({exc}); check the quotes on this row", row=number + 1)
    if held and _ends_inside_a_quote(last_lines, notes.delimiter):
        notes.open_quote_at_end = held[0]
        notes.warnings.append(f"the file ends inside a quoted cell opened on row {held[0]}: it may have been cut short "
                              "(truncated?); that row is rejected. Check the file is complete")
    if held:
        yield held


def _ends_inside_a_quote(lines: list[str], delimiter: str) -> bool:
    """Whether the last record's quote is never closed: the file ends inside it, as a file cut short in a copy or
    a download does ("…,\"34"). A lenient reader closes the cell at the end of the file, and the half row would
    load ("34" as an address)."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _check_zip_bomb(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise FileProblem(path, "this looks like an XLSX (zip) file but it is damaged or truncated")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO and total > 50_000_000:
        raise FileProblem(path, f"the XLSX would unpack to {total // 1_000_000} MB; refusing to open it (zip bomb?)")
    if not any(i.filename.startswith("xl/worksheets/") for i in infos):
        raise FileProblem(path, "this zip file is not an Excel workbook (no worksheets inside)")


def _open_workbook(path: Path):
    """The workbook, read-only, once its zip has passed the bomb check; a clear error if it can't be opened."""
    import openpyxl

    _check_zip_bomb(path)
    if not misnamed_workbook(path):
        try:
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for broken workbooks
            raise FileProblem(path, f"the XLSX can't be opened ({exc.__class__.__name__}: {exc})")
    # openpyxl refuses a name not ending .xlsx/.xlsm, whatever the file holds, but opens a file object as it is.
    fh = open(path, "rb")
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - as above
        fh.close()
        raise FileProblem(path, f"the XLSX can't be opened ({exc.__class__.__name__}: {exc})")
    close = wb.close

    def close_both() -> None:   # a read-only workbook keeps its file open until closed: close ours with it
        try:
            close()
        finally:
            fh.close()

    wb.close = close_both
    return wb


def misnamed_workbook(path: Path) -> bool:
    """Whether the file is an Excel workbook by content under another name ("register.csv"): read as one,
    and the notes say so, since the analyst may have meant to load another file."""
    from openpyxl.reader.excel import SUPPORTED_FORMATS

    return Path(path).suffix.lower() not in SUPPORTED_FORMATS


def xlsx_sheet_heads(path: Path, rows: int) -> list[SheetHead]:
    """Each sheet's name, visibility and records in its first `rows` rows, in order, from one opening of the
    workbook (a short sheet is not read on to its last formatted row)."""
    wb = _open_workbook(path)
    try:
        return [SheetHead(ws.title, ws.sheet_state == "visible",
                          [(number, [_cell_text(v) for v in row]) for number, row in _sheet_rows(ws, rows)])
                for ws in wb.worksheets]
    finally:
        wb.close()


def _xlsx_records(path: Path, sheet: str | None, notes: ReadNotes) -> Iterator[Record]:
    wb = _open_workbook(path)
    try:
        if sheet:
            ws = _named_sheet(path, wb, sheet)
            if not hasattr(ws, "iter_rows"):
                raise FileProblem(path, f"sheet {ws.title!r} is a chart, not a table of rows; sheets with rows are "
                                        f"{', '.join(w.title for w in wb.worksheets) or 'none'}")
        elif not wb.worksheets:
            raise FileProblem(path, f"the workbook has no sheet of rows, only chart sheets "
                                    f"({', '.join(repr(n) for n in wb.sheetnames) or 'none'})")
        else:
            ws = wb.worksheets[0]
        notes.sheet = ws.title
        # A date cell comes already read by openpyxl, which knows the epoch; a date typed as a plain number (General
        # format) is a serial parse_date reads, and in a workbook of the 1904 date system it counts from 1904.
        notes.dates_from_1904 = getattr(wb, "epoch", None) is not None and wb.epoch.year == 1904
        if misnamed_workbook(path):
            notes.warnings.append(f"{path.name} is an Excel workbook despite its name: read as XLSX "
                                  f"(sheet {ws.title!r})")
        if ws.sheet_state != "visible":
            notes.warnings.append(f"sheet {ws.title!r} is hidden in the workbook (Excel does not show it): "
                                  "check it is the sheet you meant to load")
        _note_formulas_without_values(path, ws, notes)
        _note_hidden_rows(path, ws, notes)
        notes.hidden_columns = _hidden_columns(path, ws)
        totals = _table_totals_rows(path, ws)
        for number in totals:
            notes.unsaved_formulas.pop(number, None)   # a totals row's =SUBTOTAL is no loss
        empty, errors = True, _ErrorCells()
        merges = _merged_ranges_of(path, ws, notes)
        for number, row in _filled_from_merged_ranges(_sheet_rows(ws), merges, ws, notes):
            if number in totals:
                continue
            cells = [_cell_text(v) for v in row]
            if not empty and not EXCEL_ERRORS.isdisjoint(cells):   # the first row is the header (or a title)
                errors.add(number, cells)
            empty = False
            yield number, cells
        if empty:
            raise FileProblem(path, f"sheet {ws.title!r} is empty")
        notes.warnings += _totals_rows_note(ws.title, totals) + errors.note(ws.title)
    finally:
        wb.close()


def _named_sheet(path: Path, wb, sheet: str):
    """The sheet `--sheet` names. Excel matches sheet names ignoring case, and a space typed before or after a
    name (" HMO Register") is invisible on its tab: either alone is no reason to refuse the load. The error quotes
    each name, so such a space can be seen."""
    if sheet in wb.sheetnames:
        return wb[sheet]
    same = [name for name in wb.sheetnames if name.strip().casefold() == sheet.strip().casefold()]
    if len(same) == 1:
        return wb[same[0]]
    raise FileProblem(path, f"no sheet named {sheet!r}; sheets are {', '.join(repr(n) for n in wb.sheetnames)}")


def _table_totals_rows(path: Path, ws) -> dict[int, str]:
    """Row → table name, for the totals row of each Excel table (Insert > Table, "Total Row") on the sheet.

    Excel writes "Total" in a totals row's first cell only by default: a table totalling its first column
    (a count of licence numbers) has a number there, and the row was read as a licence. The table's own part
    says which row it is; openpyxl's read-only sheets do not read tables, so the sheet's .rels part is."""
    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return {}
    folder, name = posixpath.split(part)
    rows: dict[int, str] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            rels = posixpath.join(folder, "_rels", name + ".rels")
            if rels not in zf.namelist():
                return {}
            for rel in _RELATIONSHIP.finditer(zf.read(rels)):
                attributes = dict(_REL_ATTRIBUTE.findall(rel.group(0)))
                if attributes.get(b"Type", b"").endswith(b"/table") and b"Target" in attributes:
                    rows.update(_totals_rows_of(zf, _part_name(folder, attributes[b"Target"].decode())))
    except (KeyError, zipfile.BadZipFile, ValueError):   # a table part missing or damaged: its rows read as before
        return rows
    return rows


def _part_name(folder: str, target: str) -> str:
    """A relationship's target as the zip names it: absolute ("/xl/tables/table1.xml"), or relative to the part."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def _totals_rows_of(zf: zipfile.ZipFile, table: str) -> dict[int, str]:
    with zf.open(table) as fh:
        tag = _TABLE_TAG.search(fh.read(1 << 16))
    if not tag:
        return {}
    span, count, named = (p.search(tag.group(0)) for p in (_TABLE_ROWS, _TOTALS_ROW_COUNT, _TABLE_NAME))
    if not span or not count or not int(count.group(1)):
        return {}
    last = max(int(span.group(1)), int(span.group(2)))
    label = named.group(1).decode("utf-8", "replace") if named else posixpath.basename(table)
    return {row: label for row in range(last - int(count.group(1)) + 1, last + 1)}


def _totals_rows_note(sheet: str, totals: dict[int, str]) -> list[str]:
    if not totals:
        return []
    said = "; ".join(f"row {row} of table {name!r}" for row, name in sorted(totals.items()))
    return [f"the totals row of an Excel table in sheet {sheet!r} ({said}) was skipped: it is not data"]


def _column_letters(i: int) -> str:
    """Column `i` (from 0) as Excel names it: 0 is A, 26 is AA."""
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class _ErrorCells:
    """The cells below the first row showing an Excel error (#REF!, #N/A): said in the summary, since such a
    cell is read as its text, and as a licence number or an address that text would be stored."""

    count: int = 0
    first: str = ""
    codes: Counter = field(default_factory=Counter)

    def add(self, number: int, cells: list) -> None:
        for i, text in enumerate(cells):
            if text in EXCEL_ERRORS:
                self.count += 1
                self.first = self.first or f"{_column_letters(i)}{number}"
                self.codes[text] += 1

    def note(self, sheet: str) -> list[str]:
        if not self.count:
            return []
        return [excel_errors_note(f"of sheet {sheet!r}", self.count, self.codes, self.first, "in the workbook, save it")]


def excel_errors_note(where: str, count: int, codes: Counter, first: str, fix: str) -> str:
    """The summary's words on cells showing an Excel error, a workbook's (above) or a CSV export's
    (etl/reading/stage.py): what the load made of them (etl/vocab/no_value.toml `excel_errors`), and the fix."""
    listed = ", ".join(f"{code} ×{n}" if n > 1 else code for code, n in codes.most_common())
    return (f"{count:,} cell(s) {where} show an Excel error, not a value ({listed}; the first is {first}): a formula "
            "that failed. Read as no value where a row may leave the field blank; a reference or a date of one "
            f"rejects its row. Fix the formulas {fix}, and load it again")


def _sheet_rows(ws, last_row: int | None = None) -> Iterator[tuple[int, tuple]]:
    """The sheet's rows that hold a value, numbered as Excel numbers them, each cut after its last value.

    The used range the sheet declares is not trusted: one formatted empty cell at XFD1048576 makes it the
    whole sheet, and openpyxl would then pad every row to 16,384 cells and fill every gap up to row 1,048,576
    (the load never finished). Without it, a row is as long as its last stored cell, and a row missing from
    the file comes back empty: blank rows are dropped here, where it is cheapest, keeping the numbers.
    """
    ws.reset_dimensions()
    for number, row in enumerate(ws.iter_rows(max_row=last_row, values_only=True), start=1):
        if row:
            row = _without_trailing_blanks(row)
            if row:
                yield number, row


def _without_trailing_blanks(row: tuple) -> tuple:
    """A row without the empty cells after its last value (formatting alone stores a cell)."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row if end == len(row) else row[:end]


class _Merge(NamedTuple):
    """A merged range of a sheet, as Excel numbers its rows and columns (from 1)."""

    top: int
    left: int
    bottom: int
    right: int


def _merged_ranges_of(path: Path, ws, notes: ReadNotes | None = None) -> list[_Merge]:
    """The sheet's merged ranges of more than one cell, top first, from the <mergeCells> Excel writes after the
    rows (openpyxl's read-only sheets do not read it). A scan of the sheet's XML a chunk at a time, like
    `_formulas_without_values`; past MAX_MERGED_RANGES the rest are not read, and the notes say so."""
    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return []
    ranges: list[_Merge] = []
    try:
        for xml in _whole_rows(path, part):
            if b"mergeCell" not in xml:
                continue
            for m in _MERGE_CELL.finditer(xml):
                top, left = int(m.group(2)), _column_number(m.group(1))
                bottom, right = (int(m.group(4)), _column_number(m.group(3))) if m.group(3) else (top, left)
                if (bottom, right) == (top, left):
                    continue
                if len(ranges) >= MAX_MERGED_RANGES:
                    if notes is not None:
                        notes.warnings.append(f"sheet {ws.title!r} has more than {MAX_MERGED_RANGES:,} merged ranges: "
                                              "only the first were filled from their first cell")
                    return sorted(ranges)
                ranges.append(_Merge(min(top, bottom), min(left, right), max(top, bottom), max(left, right)))
    except (KeyError, zipfile.BadZipFile):    # a part stored under another name: read as before
        return []
    return sorted(ranges)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


@cache
def _known_header_labels() -> frozenset[str]:
    """Every field name and header alias of every kind (etl/vocab/headers.toml), normalised."""
    labels = set()
    for fields in vocab.load("headers").values():
        for name, spec in (fields.items() if isinstance(fields, dict) else ()):
            if isinstance(spec, dict):
                labels.update(vocab.normalise_label(a) for a in [name, *spec.get("aliases", [])])
    return frozenset(labels)


def _likely_header_row(head: list[tuple[int, tuple]]) -> int:
    """The number of the row among the first ones that names most known headers (the first such), or, in a
    file of headers we don't know, the first row of two or more values (a title is one)."""
    known = _known_header_labels()

    def score(row: tuple) -> int:
        return sum(1 for v in row if isinstance(v, str) and vocab.normalise_label(v) in known)

    best = max(head, key=lambda r: (score(r[1]), -r[0]), default=None)
    if best is not None and score(best[1]):
        return best[0]
    return next((n for n, row in head if sum(v is not None for v in row) > 1), head[0][0] if head else 0)


def _filled_from_merged_ranges(rows: Iterator[tuple[int, tuple]], merges: list[_Merge], ws,
                               notes: ReadNotes) -> Iterator[tuple[int, tuple]]:
    """The rows with each merged range of the body filled with its first (top-left) cell's value, as Excel
    shows it: a building's address merged over the rows of its flats' licences belongs to each of them.

    Only ranges below the header row are filled: a header merged over several columns keeps its columns
    without a header (`HeaderMatch.address_continued`), and a title or group row above it stays one value.
    Nor is a range whose row holds nothing else (a title or section label), a repeated header's, or a cell
    that holds a value of its own; a row of nothing but merged cells stays blank. Cells past the widest of
    the first rows are not filled. The notes count the cells filled.
    """
    if not merges:
        yield from rows
        return
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    header = _likely_header_row(head)
    header_cells = next((row for number, row in head if number == header), None)
    width = max((len(row) for _, row in head), default=0)
    pending = [m for m in merges if m.top > header and m.left <= width]
    upcoming = 0
    active: list[tuple[_Merge, object]] = []
    filled, first, last = 0, 0, 0
    for number, row in itertools.chain(head, rows):
        while upcoming < len(pending) and pending[upcoming].top <= number:
            m = pending[upcoming]
            upcoming += 1
            if m.top == number and m.left <= len(row) and row[m.left - 1] is not None and row != header_cells \
                    and any(v is not None for i, v in enumerate(row) if not m.left <= i + 1 <= m.right):
                active.append((m, row[m.left - 1]))
        if active:
            active = [(m, value) for m, value in active if m.bottom >= number]
        cells, count = None, 0
        for m, value in active:
            right = min(m.right, width)
            cells = cells or list(row)
            cells.extend([None] * (right - len(cells)))
            for i in range(m.left - 1, right):
                if cells[i] is None:
                    cells[i] = value
                    count += 1
        if count:
            filled, first, last = filled + count, first or number, number
            row = tuple(cells)
        yield number, row
    if filled:
        rows_text = f"row {first}" if first == last else f"rows {first}-{last}"
        notes.warnings.append(f"{filled:,} cell(s) in merged ranges of sheet {ws.title!r} filled from the range's "
                              f"first cell ({rows_text}), as Excel shows them")


def _note_formulas_without_values(path: Path, ws, notes: ReadNotes) -> None:
    """Find the formulas with no saved value, as in a workbook written by a script and never opened in Excel:
    openpyxl reads them as blank, and a blank licence number rejects a row for no visible reason. Kept by row,
    for `unsaved_formulas_warning`."""
    part = getattr(ws, "_worksheet_path", None)    # openpyxl's own name for the sheet's XML in the zip
    try:
        notes.unsaved_formulas = _formulas_without_values(path, part) if part else {}
    except (KeyError, zipfile.BadZipFile):    # a part stored under another name: no warning rather than no load
        notes.unsaved_formulas = {}


def unsaved_formulas_warning(notes: ReadNotes, is_data: Callable[[int], bool]) -> str | None:
    """The warning for the formulas without a saved value in rows `is_data` says were read as data. A banner's
    =TODAY() above the header, or a totals row's =SUM the reader skipped, lost nothing: telling the analyst to
    open and save the workbook for those sends them on an errand that changes nothing."""
    rows = sorted((r for r in notes.unsaved_formulas if r == 0 or is_data(r)), key=lambda r: (r == 0, r))
    if not rows:
        return None
    count = sum(notes.unsaved_formulas[r][0] for r in rows)
    first = notes.unsaved_formulas[rows[0]][1]
    cells = "1 formula cell" if count == 1 else f"{count:,} formula cells"
    verb = "has no saved value and was" if count == 1 else "have no saved value and were"
    return (f"{cells} in sheet {notes.sheet!r} {verb} read as blank (the first is {first}): the workbook "
            "was saved by a program that does not calculate formulas. Open it in Excel or LibreOffice, save it, "
            "and load it again")


def _note_hidden_rows(path: Path, ws, notes: ReadNotes) -> None:
    """Rows hidden in Excel are loaded like the others, and said so: a register filtered before it was sent
    often hides its withdrawn or refused licences, which the analyst never saw in the file."""
    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return
    try:
        rows = [int(m.group(1)) for xml in _whole_rows(path, part) for m in _HIDDEN_ROW.finditer(xml)]
    except (KeyError, zipfile.BadZipFile):
        return
    if rows:
        shown = ", ".join(map(str, rows[:8])) + (" …" if len(rows) > 8 else "")
        notes.warnings.append(f"{len(rows):,} row(s) of sheet {ws.title!r} are hidden in Excel (row {shown}): loaded "
                              "like the others. A filtered export often hides withdrawn or refused entries: check them")


def _hidden_columns(path: Path, ws) -> list[range]:
    """The columns Excel hides in the sheet, from 0. They are read like the others, but a hidden column is
    often a stale copy kept for reference (last year's "Postcode" beside this year's): `match_headers` prefers
    a visible column with the same header, and the summary names the hidden ones. Only the XML before the
    rows is scanned: Excel writes <cols> there."""
    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return []
    head = b""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(part) as xml:
            while b"<sheetData" not in head and b":sheetData" not in head and len(head) < _SCAN_BYTES:
                chunk = xml.read(1 << 16)
                if not chunk:
                    break
                head += chunk
    except (KeyError, zipfile.BadZipFile):
        return []
    hidden = []
    for spec in _COLUMN_SPEC.finditer(head.split(b"sheetData", 1)[0]):
        attributes = dict(_ATTRIBUTE.findall(spec.group(1)))
        try:
            if attributes.get(b"hidden") in (b"1", b"true") or float(attributes.get(b"width", 1)) == 0:
                hidden.append(range(int(attributes[b"min"]) - 1, int(attributes.get(b"max", attributes[b"min"]))))
        except (KeyError, ValueError):
            continue
    return hidden


def _formulas_without_values(path: Path, part: str) -> dict[int, tuple[int, str]]:
    """Row → (how many formula cells of one worksheet part have no saved value, the first one's reference).

    A scan of the sheet's XML, a chunk at a time, rather than a second opening of the workbook with formulas:
    the reader's own values view can't tell such a cell from an empty one, and reading the sheet twice would
    double the load of a big register. A string formula whose saved value is "" is not counted.
    """
    found: dict[int, tuple[int, str]] = {}
    for xml in _whole_rows(path, part):
        _add_unsaved(xml, found)
    return found


def _whole_rows(path: Path, part: str) -> Iterator[bytes]:
    """One worksheet part's XML, a chunk of whole rows at a time: a row (or a cell) may straddle two reads."""
    pending = b""
    with zipfile.ZipFile(path) as zf, zf.open(part) as xml:
        while chunk := xml.read(_SCAN_BYTES):
            pending += chunk
            row_end = pending.rfind(b"</row>")
            if row_end >= 0:
                cut = row_end + len(b"</row>")
                yield pending[:cut]
                pending = pending[cut:]
    yield pending


def _add_unsaved(xml: bytes, found: dict[int, tuple[int, str]]) -> None:
    """Add one stretch of sheet XML's unsaved formulas to `found`, by row. Excel saves a string formula's "" as an
    empty <v>, so only a typed string cell's empty <v> counts as a saved value. A cell without its reference
    (`r` is optional in the format) is counted in row 0: of no known row, so always said."""
    if b"<f" not in xml and b":f" not in xml:   # no formula (a prefixed <x:f> too): skip the slower regex
        return
    for cell in _FORMULA_CELL.finditer(xml):
        saved = cell.group(3)
        if saved or (cell.group(2) and _STRING_TYPE.search(cell.group(1))):
            continue
        ref = _CELL_REF.search(cell.group(1))
        name = ref.group(1).decode() if ref else "unknown"
        row = int(re.sub(r"^[A-Z]+", "", name)) if ref else 0
        count, first = found.get(row, (0, name))
        found[row] = (count + 1, first)


def _cell_text(value) -> str | None:
    """Excel cells as the text a CSV export would hold, so both formats share one validator."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
