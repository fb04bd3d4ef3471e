"""Guess what kind of file an analyst handed us before trying to parse it.

Real partner files arrive as UTF-8 with or without a BOM, as Windows-1252 from older
systems, as UTF-16 "Unicode text" from Excel, and sometimes as a PDF or an old .xls
renamed to .csv. Each of those deserves a clear answer rather than a traceback.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from etl.errors import FileProblem

_MAGIC = [
    (b"%PDF", "a PDF document: ask the sender for CSV or XLSX"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office 97) file: open it in Excel and save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"Rar!", "a RAR archive: unpack it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive: unpack it first"),
]

DELIMITERS = [",", ";", "\t", "|"]


def file_format(path: Path) -> str:
    """'csv' or 'xlsx', by content rather than by name (a renamed XLSX still loads)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise FileProblem(path, "the file is empty")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise FileProblem(path, f"this is {what}")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "csv"


def text_encoding(sample: bytes) -> str:
    """The codec for the file; per-line fallback to Windows-1252 happens while reading.

    UTF-16 without a byte-order mark (some exporters write none) is told by its NULs: text in Latin
    letters has a NUL in every other byte, on the odd bytes (little-endian) or the even ones (big-endian).
    Read as UTF-8, it would lose its NULs and keep what is left, garbled ("Šarūnas" as "`\x01ark\x01nas")."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    pairs = len(sample) // 2
    if pairs >= 8:
        odd, even = sample[1:2 * pairs:2].count(0), sample[0:2 * pairs:2].count(0)
        if odd >= 0.9 * pairs and even == 0:
            return "utf-16-le"
        if even >= 0.9 * pairs and odd == 0:
            return "utf-16-be"
    return "utf-8"


def delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most sample lines into the same number of fields."""
    best, best_score = ",", (-1, -1)
    sample = [ln for ln in lines if ln.strip()][:50]
    for delim in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO("\n".join(sample)), delimiter=delim)]
        except csv.Error:  # a huge or broken cell in the sample: the careful reader will name the row
            continue
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        score = (counts.count(modal), modal)
        if score > best_score:
            best, best_score = delim, score
    return best
