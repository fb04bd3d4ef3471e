"""Copy a file's data rows into a DuckDB staging table, so validation runs set-wise in SQL.

Only the header row and the skipping of blank and footer rows happen here, in Python;
every per-value rule (postcodes, dates, coordinates) is SQL over the staged table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from etl import vocab
from etl.errors import FileProblem
from etl.reading.headers import HEADER_SEARCH_ROWS, HeaderMatch, field_aliases, header_score, match_headers, read_mapping
from etl.reading import fast_csv, sniff
from etl.reading.records import ReadNotes, Record, read_records, xlsx_sheet_heads

BATCH_ROWS = 5_000
MAX_RAW_COLUMNS = 200
STAGE = "stage"


def _one_line(cell: str) -> str:
    """SQL: "45 Histon Road\nCambridge" as "45 Histon Road, Cambridge" (an XLSX cell typed with Alt+Enter). The
    regular expression runs only on cells with a line break: most have none, and a big file has millions."""
    return (f"CASE WHEN strpos({cell}, chr(10)) > 0 OR strpos({cell}, chr(13)) > 0 "
            f"THEN regexp_replace({cell}, '\\s*,?\\s*[\\r\\n]+\\s*', ', ', 'g') ELSE {cell} END")


@dataclass
class StagedFile:
    path: Path
    match: HeaderMatch
    notes: ReadNotes
    rows_read: int = 0
    blank_rows: int = 0
    footer_rows: int = 0
    header_repeats: list[int] = field(default_factory=list)   # rows that repeat the header (exports joined together)
    staged_columns: list[int] = field(default_factory=list)
    read_by_duckdb: bool = False   # the fast path: `stage` is then a view over its cells table

    def column(self, name: str) -> str:
        """SQL for one of our fields: its staged column, or NULL when the file lacks it. A file with its
        address in parts gives the parts joined, as one address; an address typed over several lines of
        one cell is one line."""
        if name == "address" and self.match.address_parts():
            return self._joined_address()
        i = self.match.columns.get(name)
        if i is None:
            return "NULL::VARCHAR"
        return _one_line(f"c{i}") if name == "address" else f"c{i}"

    def _joined_address(self) -> str:
        def col(p: str) -> str:
            return f"c{self.match.columns[p]}" if p in self.match.columns else "NULL::VARCHAR"
        door = f"nullif(trim(concat_ws(' ', {col('address_house')}, {col('address_street')})), '')"
        rest = [col(p) for p in self.match.address_parts() if p not in ("address_house", "address_street")]
        return f"nullif(concat_ws(', ', {', '.join([door, *rest])}), '')"

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Free the staged cells once nothing reads them (a big file's are most of a load's memory)."""
        if self.read_by_duckdb:
            con.execute(f"DROP VIEW {STAGE}; DROP TABLE {fast_csv.cells_of(STAGE)}")
        else:
            con.execute(f"DROP TABLE {STAGE}")

    def raw_json_sql(self, only: list[int] | None = None) -> tuple[str, list[str]]:
        """SQL (with parameters) that rebuilds a row as {header: value} for the rejects table."""
        columns = only if only is not None else self.staged_columns[:MAX_RAW_COLUMNS]
        parts, params = [], []
        for i in columns:
            header = self.match.headers[i] if i < len(self.match.headers) else ""
            parts.append(f"?, c{i}")
            params.append(header or f"column {i + 1}")
        if not parts:
            return "'{}'::JSON", []
        return f"json_object({', '.join(parts)})", params


def _footer_regex() -> re.Pattern:
    return re.compile("|".join(vocab.load("rows")["footer_patterns"]), re.IGNORECASE)


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, kind: str, mapping_file: Path | None = None,
               sheet: str | None = None, progress: Callable[[int], None] | None = None) -> StagedFile:
    mapping = read_mapping(mapping_file, field_aliases(kind), kind) if mapping_file else None
    notes = ReadNotes()
    records = read_records(path, sheet or _sheet_with_headers(path, kind, mapping, notes), notes)
    head: list[Record] = []
    for record in records:
        head.append(record)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    match = match_headers(path, kind, head, mapping)
    if match.by_keyword:
        notes.warnings.append("columns found by a word in their header (check them; add the header to "
                              "etl/vocab/headers.toml or --mapping to be sure): " +
                              ", ".join(f"{h!r} as {f.replace('_', ' ')}" for f, h in match.by_keyword.items()))
    if match.address_parts():
        notes.warnings.append("the address is read from its parts, joined: " +
                              ", ".join(repr(match.headers[match.columns[p]]) for p in match.address_parts()))
    staged = StagedFile(path=path, match=match, notes=notes)
    width = len(match.headers)
    staged.staged_columns = sorted(set(range(min(width, MAX_RAW_COLUMNS))) | set(match.columns.values()))

    if staged.notes.delimiter and width <= MAX_RAW_COLUMNS and staged.notes.encoding.startswith("utf-8"):
        fast = fast_csv.stage(con, path, STAGE, match.header_row, width, staged.notes.delimiter,
                              [_clean(h) for h in match.headers])
        if fast is not None:
            staged.rows_read, staged.blank_rows, staged.footer_rows, staged.header_repeats = fast
            staged.read_by_duckdb = True
            if progress:
                progress(staged.rows_read)
            return staged

    def data_rows() -> Iterator[Record]:
        for number, row in head:
            if number > match.header_row:
                yield number, row
        yield from records

    schema = pa.schema([("_row", pa.int64()), ("_ncells", pa.int32())] +
                       [(f"c{i}", pa.string()) for i in staged.staged_columns])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({', '.join(f'{n} {_sql_type(t)}' for n, t in zip(schema.names, schema.types))})")
    footer = _footer_regex()
    header = _trim_trailing([_clean(h) for h in match.headers])
    batch: list[tuple[int, int, list]] = []
    for number, row in data_rows():
        cells = [_clean(c) for c in row]
        filled = [c for c in cells if c is not None]
        if not filled:
            staged.blank_rows += 1
            continue
        if len(filled) == 1 and footer.search(filled[0]):
            staged.footer_rows += 1
            continue
        if _trim_trailing(cells) == header:
            staged.header_repeats.append(number)
            continue
        batch.append((number, len(_trim_trailing(cells)), cells))
        if len(batch) >= BATCH_ROWS:
            _flush(con, schema, staged, batch)
            if progress:
                progress(staged.rows_read)
    _flush(con, schema, staged, batch)
    if progress:
        progress(staged.rows_read)
    return staged


def _sheet_with_headers(path: Path, kind: str, mapping: dict | None, notes: ReadNotes) -> str | None:
    """In a workbook of several sheets, the one whose header row names most of this kind's columns.

    Council workbooks often open on a cover, notes or contents sheet; reading only the first sheet
    refused them. The first sheet wins ties, and the summary says when another one was read. None:
    not a workbook of several sheets (the reader's default, the first, applies).
    """
    if sniff.file_format(path) != "xlsx":
        return None
    heads = xlsx_sheet_heads(path, HEADER_SEARCH_ROWS)
    if len(heads) < 2:
        return None
    names = [name for name, _ in heads]
    scores = [header_score(kind, head, mapping) for _, head in heads]
    best = max(range(len(names)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        raise FileProblem(path, f"no recognised {kind} headers in the first {HEADER_SEARCH_ROWS} rows of any sheet "
                                f"({', '.join(repr(n) for n in names)}). Pass --sheet NAME, or --mapping FILE to name them")
    if best:
        notes.warnings.append(f"read sheet {names[best]!r}, the one with {kind} headers "
                              f"(the first sheet, {names[0]!r}, has {'none' if not scores[0] else 'fewer'})")
    return names[best]


def _flush(con, schema: pa.Schema, staged: StagedFile, batch: list) -> None:
    if not batch:
        return
    columns = {"_row": [b[0] for b in batch], "_ncells": [b[1] for b in batch]}
    for i in staged.staged_columns:
        columns[f"c{i}"] = [b[2][i] if i < len(b[2]) else None for b in batch]
    table = pa.table(columns, schema=schema)
    con.register("_stage_batch", table)
    con.execute(f"INSERT INTO {STAGE} SELECT * FROM _stage_batch")
    con.unregister("_stage_batch")
    staged.rows_read += len(batch)
    batch.clear()


def _clean(cell) -> str | None:
    if cell is None:
        return None
    text = str(cell).strip()
    return text or None


def _trim_trailing(cells: list) -> list:
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return cells[:end]


def _sql_type(t: pa.DataType) -> str:
    return {pa.int64(): "BIGINT", pa.int32(): "INTEGER"}.get(t, "VARCHAR")


def require_rows(staged: StagedFile) -> None:
    if staged.rows_read == 0:
        raise FileProblem(staged.path, f"the file has a header (row {staged.match.header_row}) but no data rows")
