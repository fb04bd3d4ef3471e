"""Numbered records from CSV or XLSX.

A record's number is the row a spreadsheet would show for it (the header of a plain file
is row 1), so the number in a reject message is the one an analyst scrolls to.
Blank rows keep their numbers: they are counted in the numbering, never as data.
"""
from __future__ import annotations

import csv
import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from etl.errors import FileProblem
from etl.reading import sniff

MAX_CELL_CHARS = 1_000_000
MAX_XLSX_UNCOMPRESSED = 1_000_000_000
MAX_XLSX_RATIO = 200

Record = tuple[int, list]


@dataclass
class ReadNotes:
    """What the reader had to repair, reported in the load summary rather than hidden."""

    encoding: str = "utf-8"
    delimiter: str | None = None
    sheet: str | None = None
    lines_recoded: int = 0
    nul_bytes_removed: int = 0
    warnings: list[str] = field(default_factory=list)


def read_records(path: Path, sheet: str | None = None, notes: ReadNotes | None = None) -> Iterator[Record]:
    notes = notes if notes is not None else ReadNotes()
    if sniff.file_format(path) == "xlsx":
        return _xlsx_records(path, sheet, notes)
    if sheet:
        raise FileProblem(path, f"--sheet {sheet!r} was given, but this is a CSV file, not XLSX")
    return _csv_records(path, notes)


def _decoded_lines(path: Path, notes: ReadNotes) -> Iterator[str]:
    """Decode line by line, so one Windows-1252 line in a UTF-8 file costs one line, not the file."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    notes.encoding = sniff.text_encoding(head)
    if notes.encoding == "utf-16":
        with open(path, encoding="utf-16", newline="") as fh:
            yield from fh
        return
    with open(path, "rb") as fh:
        first = True
        for raw in fh:
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
                yield raw.decode("cp1252", errors="replace")
    if notes.lines_recoded:
        notes.encoding = "windows-1252" if notes.encoding.startswith("utf-8") else notes.encoding
        notes.warnings.append(f"{notes.lines_recoded} line(s) were not UTF-8 and were read as Windows-1252")
    if notes.nul_bytes_removed:
        notes.warnings.append(f"{notes.nul_bytes_removed} NUL byte(s) removed")


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

    def all_lines() -> Iterator[str]:
        yield from sample
        yield from lines

    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(all_lines(), delimiter=notes.delimiter)
    number = 0
    try:
        for row in reader:
            number += 1
            yield number, row
    except csv.Error as exc:
        raise FileProblem(path, f"the CSV can't be parsed ({exc}); check the quotes on this row", row=number + 1)


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
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise FileProblem(path, f"the XLSX can't be opened ({exc.__class__.__name__}: {exc})")


def xlsx_sheet_heads(path: Path, rows: int) -> list[tuple[str, list[Record]]]:
    """Each sheet's name and first `rows` records, in order, from one opening of the workbook."""
    wb = _open_workbook(path)
    try:
        return [(ws.title, [(number, [_cell_text(v) for v in row])
                            for number, row in zip(range(1, rows + 1), ws.iter_rows(values_only=True))])
                for ws in wb.worksheets]
    finally:
        wb.close()


def _xlsx_records(path: Path, sheet: str | None, notes: ReadNotes) -> Iterator[Record]:
    wb = _open_workbook(path)
    try:
        if sheet:
            if sheet not in wb.sheetnames:
                raise FileProblem(path, f"no sheet named {sheet!r}; sheets are {', '.join(wb.sheetnames)}")
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        notes.sheet = ws.title
        empty = True
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            empty = False
            yield number, [_cell_text(v) for v in row]
        if empty:
            raise FileProblem(path, f"sheet {ws.title!r} is empty")
    finally:
        wb.close()


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
