"""Copy a file's data rows into a DuckDB staging table, so validation runs set-wise in SQL.

Only the header row and the skipping of blank and footer rows happen here, in Python;
every per-value rule (postcodes, dates, coordinates) is SQL over the staged table.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from etl import no_value, vocab
from etl.errors import FileProblem
from etl.summary import REPLACED_BY_SOURCE
from etl.reading.headers import (HEADER_SEARCH_ROWS, HeaderMatch, field_aliases, field_words, header_score,
                                 match_headers, names_a_person, read_mapping)
from etl.reading import fast_csv, row_fields, sniff
from etl.reading.records import (ReadNotes, Record, excel_errors_note, read_records, unsaved_formulas_warning,
                                 xlsx_sheet_heads)

BATCH_ROWS = 5_000
MAX_RAW_COLUMNS = 200
STAGE = "stage"       # what the loaders read: the rows as read, with a g column beside each no-value field's c
READ = "stage_read"   # the rows as read: cells c0, c1, … (a table, or on the fast path a view over one)


# References and UPRNs, which a system exporting for Excel may write after an apostrophe to keep their leading
# zeros ("'00123"), and a script as decimals ("1001.0"): read as the issuing system wrote them (the macro
# reference_text, etl/sql/macros.sql), so "'00123" and "00123", "1001.0" and "1001" are one reference.
TEXT_MARKED_FIELDS = ("report_ref", "licence_ref", "case_ref", "uprn")


def address_words(cell: str) -> str:
    """SQL: a cell without a header after the address column, when it reads as part of an address ("Flat A",
    "Wisbech": a word of two letters or more, and no date); NULL for a number, a date or a Y/N flag."""
    return (f"CASE WHEN regexp_matches({cell}, '[A-Za-z]{{2,}}') AND parse_date({cell}) IS NULL "
            f"AND NOT regexp_full_match(trim({cell}), '(?i)yes|no|true|false|n/?a') THEN {_one_line(cell)} END")


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
    skipped_rows: set[int] = field(default_factory=set)   # footer and repeated header rows (row by row)
    line_breaks_in_cells: bool = False   # a quoted cell runs over lines (checks.rows_inside_a_cell looks only then)
    # A CSV's data rows by their number of fields, delimited as written ({5: 211, 6: 1}; empty for a workbook):
    # a row with more or fewer than the others has its values in the wrong columns (etl/reading/row_fields.py).
    field_counts: dict[int, int] = field(default_factory=dict)
    # A CSV whose cells may show an Excel error (`#REF!`): the fast reader's scan saw one, or the careful reader read
    # it. A workbook's are counted as its rows are read (etl/reading/records.py).
    excel_errors_possible: bool = False

    def column(self, name: str) -> str:
        """SQL for one of our fields: its staged column, or NULL when the file lacks it. A file with its
        address in parts gives the parts joined, as one address; an address typed over several lines of
        one cell is one line. In a field a row may leave blank, "N/A" or "-" is a blank: such a field reads
        the stage's g column, given(c) computed once per row (etl/no_value.py), not c itself."""
        if name == "address" and self.match.address_parts():
            return self._joined_address()
        if self.match.points_in_address and name in ("address", "coordinates"):
            point = f"looks_like_point_text(c{self.match.columns['address']})"
            if name == "coordinates":
                return f"CASE WHEN {point} THEN c{self.match.columns['address']} END"
            return f"CASE WHEN {point} THEN NULL ELSE {self._column('address')} END"
        if name in TEXT_MARKED_FIELDS:
            return f"reference_text({self._column(name)})"
        return self._column(name)

    def _column(self, name: str) -> str:
        i = self.match.columns.get(name)
        if i is None:
            return "NULL::VARCHAR"
        again = [j for j in self.match.duplicates.get(name, []) if j in self.staged_columns]
        cell = "g" if name in no_value.fields() else "c"
        if name != "address":
            # A second column under the same header fills the first where it is blank ("Postcode", "Postcode").
            return f"coalesce({', '.join(f'{cell}{j}' for j in [i, *again])})" if again else f"{cell}{i}"
        sql = _one_line(f"{cell}{i}")   # an address of "N/A" or "Not known" is none, as a blank one
        for j in again:   # "Address", "Address": the street, then the town; a copy of the first adds nothing
            more = _one_line(f"{cell}{j}")
            sql = (f"CASE WHEN {more} IS NULL OR contains(lower(coalesce({sql}, '')), lower({more})) THEN {sql} "
                   f"ELSE nullif(concat_ws(', ', {sql}, {more}), '') END")
        continued = self.address_continued()
        if continued:
            parts = [sql, *(address_words(f"c{k}") for k in continued)]
            return f"nullif(concat_ws(', ', {', '.join(parts)}), '')"
        return sql

    def address_continued(self) -> list[int]:
        """The staged columns without a header after the address column (`HeaderMatch.address_continued`)."""
        return [j for j in self.match.address_continued() if j in self.staged_columns]

    def _joined_address(self) -> str:
        """The address's parts joined, each read through its g column (etl/vocab/no_value.toml lists the parts), so a
        part of "N/A" or "NULL" is a blank, not a line of the address."""
        def col(p: str) -> str:
            if p not in self.match.columns:
                return "NULL::VARCHAR"
            return f"{'g' if p in no_value.fields() else 'c'}{self.match.columns[p]}"
        flat, building = col("address_flat"), col("address_building")
        flat = f"CASE WHEN regexp_full_match({flat}, '[0-9]+[A-Za-z]?|[A-Za-z]') THEN 'Flat ' || {flat} ELSE {flat} END"
        numbered = f"regexp_full_match({building}, '[0-9]+[A-Za-z]?(\\s*-\\s*[0-9]+[A-Za-z]?)?')"
        house = f"coalesce({col('address_house')}, CASE WHEN {numbered} THEN {building} END)"
        building = f"CASE WHEN NOT {numbered} THEN {building} END"
        door = f"nullif(trim(concat_ws(' ', {house}, {col('address_street')})), '')"
        rest = [col(p) for p in self.match.address_parts()
                if p not in ("address_flat", "address_building", "address_house", "address_street")]
        firsts = [flat] * ("address_flat" in self.match.columns) + [building] * ("address_building" in self.match.columns)
        return f"nullif(concat_ws(', ', {', '.join([*firsts, door, *rest])}), '')"

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Free the staged cells once nothing reads them (a big file's are most of a load's memory)."""
        con.execute(f"DROP VIEW {STAGE}")
        if self.read_by_duckdb:
            con.execute(f"DROP VIEW {READ}; DROP TABLE {fast_csv.cells_of(READ)}")
        else:
            con.execute(f"DROP TABLE {READ}")

    def define_view(self, con: duckdb.DuckDBPyConnection) -> None:
        """The stage view: the cells as read, and beside each of a no-value field's its g column. Defined again
        when a field moves to another column (report_checks.swap_address_and_postcode), which may need another."""
        given = ", ".join(f"given(c{i}) AS g{i}" for i in self.no_value_columns())
        con.execute(f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT *{', ' + given if given else ''} FROM {READ}")

    def no_value_columns(self) -> list[int]:
        """The staged columns of the fields in which "N/A" or "-" is a blank (etl/vocab/no_value.toml)."""
        names = no_value.fields()
        columns = {i for name, i in self.match.columns.items() if name in names}
        columns |= {j for name, js in self.match.duplicates.items() if name in names for j in js}
        return sorted(columns & set(self.staged_columns))

    def personal_columns(self) -> list[int]:
        """The staged columns no field reads whose header names a person's contact details or identity
        (`names_a_person`: "Licence Holder Telephone", "Caller Name"). A rejected row's raw values are kept so
        the analyst can fix the row; a column that is not read fixes nothing, and kept there a private person's
        phone, email or home address would be shown on the Data page and written by `etl rejects --out`. Read
        columns are never among them, so a row's reference is always kept (analysis/rejects.py finds it by its
        header). A header under a group ("Phone" under "Licence Holder") is judged with its group."""
        read = set(self.match.columns.values()) | set(self.address_continued()) | set(self.match.passed_over)
        read |= {j for js in self.match.duplicates.values() for j in js}
        return [i for i in self.staged_columns if i not in read and i < len(self.match.headers)
                and names_a_person(" ".join(filter(None, [self.match.groups.get(i), self.match.headers[i]])))]

    def raw_json_sql(self, only: list[int] | None = None) -> tuple[str, list[str]]:
        """SQL (with parameters) that rebuilds a row as {header: value} for the rejects table: by default every
        staged column but the `personal_columns`, whose values are not the rejects table's to keep."""
        if only is None:
            personal = set(self.personal_columns())
            only = [i for i in self.staged_columns if i not in personal]
        columns = only
        parts, params = [], []
        for i in columns:
            header = self.match.headers[i] if i < len(self.match.headers) else ""
            parts.append(f"?, c{i}")
            params.append(header or f"column {i + 1}")
        if not parts:
            return "'{}'::JSON", []
        return f"json_object({', '.join(parts)})", params


def _footer_regex() -> re.Pattern:
    rules = vocab.load("rows")
    return re.compile("|".join(rules["footer_patterns"] + rules["note_patterns"]), re.IGNORECASE)


def _without_bom(cells: list[str | None]) -> list[str | None]:
    """A row's cells, the first without the byte-order mark a file pasted onto another leaves on its header."""
    if not cells or not cells[0]:
        return cells
    return [cells[0].lstrip("\ufeff") or None, *cells[1:]]


def _is_footer(filled: list[str], footer: re.Pattern) -> bool:
    """A row's non-empty cells, in order, are a footer's (etl/vocab/rows.toml; fast_csv._drop_non_data in SQL)."""
    rules = vocab.load("rows")
    if not 1 <= len(filled) <= rules["footer_most_cells"] or not footer.search(filled[0]):
        return False
    return all(re.search(rules["footer_count"], c) or footer.search(c) for c in filled[1:])


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
    match = match_headers(path, kind, head, mapping, notes.column_hidden)
    notes.warnings += _hidden_columns_note(kind, match, notes.sheet)
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

    _read(con, path, staged, records, head, progress)
    _say_unsaved_formulas(staged)
    _note_excel_errors(con, staged)
    _find_points_in_address(con, staged, show_values=kind != "cases")
    no_value.register(con)
    staged.define_view(con)
    return staged


def _note_excel_errors(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> None:
    """Count a CSV's cells showing an Excel error (`#REF!`, `#VALUE!`: the spreadsheet it was exported from had a
    formula that failed), as a workbook's are: read as no value, a `Max occupants` of `#REF!` was lost without a
    word. Only a file whose scan saw such a code pays for the look at its cells."""
    if not staged.excel_errors_possible or not staged.staged_columns:
        return
    cells = ", ".join(f"c{i}" for i in staged.staged_columns)
    found = con.execute(f"""
        SELECT _row, CAST(substr(col, 2) AS INTEGER) AS i, upper(trim(v)) AS code
        FROM (UNPIVOT (SELECT _row, {cells} FROM {READ} WHERE contains(concat_ws(' ', {cells}), '#'))
              ON {cells} INTO NAME col VALUE v)
        WHERE contains(v, '#') AND list_contains(?, upper(trim(v)))
        ORDER BY _row, i""", [list(no_value.excel_errors())]).fetchall()
    if found:
        row, i, _ = found[0]
        first = f"row {row}, {column_label(i, None)} {staged.match.headers[i]!r}"
        staged.notes.warnings.append(excel_errors_note("of the file", len(found), Counter(c for _, _, c in found),
                                                       first, "in the spreadsheet it came from, export it again"))


def _say_unsaved_formulas(staged: StagedFile) -> None:
    """Formulas without a saved value are said only of the rows below the header that are not a footer or a
    repeated header. A blank row counts: its cells may be such formulas, read as blank."""
    skipped, header_row = staged.skipped_rows, staged.match.header_row
    warning = unsaved_formulas_warning(staged.notes, lambda row: row > header_row and row not in skipped)
    if warning:
        staged.notes.warnings.append(warning)


def column_label(i: int, sheet: str | None) -> str:
    """A column as the analyst finds it: by its letter in a workbook (`sheet` read), by its number in a CSV."""
    if sheet is None:
        return f"column {i + 1}"
    from openpyxl.utils import get_column_letter
    return f"column {get_column_letter(i + 1)}"


def _hidden_columns_note(kind: str, match: HeaderMatch, sheet: str | None) -> list[str]:
    """Name the hidden columns with a field's header: those passed over for a visible one, and those read
    (no visible column has their header). The analyst never saw either in Excel."""
    def named(i: int) -> str:
        return f"{column_label(i, sheet)} {match.headers[i]!r}"

    notes = []
    if match.passed_over:
        notes.append(f"hidden column(s) of sheet {sheet!r} not read, a visible column with the same header read "
                     "instead: " + ", ".join(f"{named(i)} ({column_label(j, sheet)} read)"
                                             for i, j in match.passed_over.items()))
    read = {i: name for name, i in match.columns.items() if i in match.hidden}
    read.update({j: name for name, js in match.duplicates.items() for j in js if j in match.hidden})
    if read:
        notes.append(f"hidden column(s) of sheet {sheet!r} read, as no visible column has their header: " +
                     ", ".join(f"{named(i)} as {field_words(kind, name)}" for i, name in sorted(read.items())) +
                     ". Excel does not show them: check they hold what you meant to load")
    return notes


def _find_points_in_address(con: duckdb.DuckDBPyConnection, staged: StagedFile, show_values: bool) -> None:
    """An address column ("Location") holding WKT points or map links, as a force system or a web form exports
    them: read those cells as coordinates rather than storing "POINT (-0.24 52.57)" as an address, unplaced.
    Only in a file without a coordinates column; the notes say how many, with an example."""
    match = staged.match
    i = match.columns.get("address")
    if i is None or "coordinates" in match.columns or match.address_parts():
        return
    if not con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'looks_like_point_text'").fetchone()[0]:
        from etl.loading import define_value_macros   # a connection of no load's (tests stage files on their own)
        define_value_macros(con)
    n, example = con.execute(f"SELECT count(*), min(c{i}) FROM {READ} WHERE looks_like_point_text(c{i})").fetchone()
    if not n:
        return
    match.points_in_address = True
    shown = f" (e.g. {example!r})" if show_values else ""
    staged.notes.warnings.append(f"{n:,} value(s) of the address column {match.headers[i]!r} are WKT points or map "
                                 f"links{shown}: read as coordinates, not as addresses")


def _read(con: duckdb.DuckDBPyConnection, path: Path, staged: StagedFile, records: Iterator[Record],
          head: list[Record], progress: Callable[[int], None] | None) -> None:
    """The file's data rows into READ: by DuckDB's own reader when the file is clean enough, else row by row."""
    match = staged.match
    width = len(match.headers)
    if staged.notes.delimiter and width <= MAX_RAW_COLUMNS and staged.notes.encoding.startswith("utf-8"):
        fast = fast_csv.stage(con, path, READ, match.header_row, width, staged.notes.delimiter,
                              [_clean(h) for h in match.headers])
        if fast is not None:
            (staged.rows_read, staged.blank_rows, staged.footer_rows, staged.header_repeats,
             staged.line_breaks_in_cells, staged.field_counts, staged.excel_errors_possible) = fast
            staged.read_by_duckdb = True
            if progress:
                progress(staged.rows_read)
            return

    staged.excel_errors_possible = bool(staged.notes.delimiter)

    def data_rows() -> Iterator[Record]:
        for number, row in head:
            if number > match.header_row:
                yield number, row
        yield from records

    schema = pa.schema([("_row", pa.int64()), ("_ncells", pa.int32()), ("_nfields", pa.int32())] +
                       [(f"c{i}", pa.string()) for i in staged.staged_columns])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {READ} ({', '.join(f'{n} {_sql_type(t)}' for n, t in zip(schema.names, schema.types))})")
    footer = _footer_regex()
    header = _trim_trailing([_clean(h) for h in match.headers])
    batch: list[tuple[int, int, int | None, list]] = []
    fields: Counter[int] = Counter()
    delimited = bool(staged.notes.delimiter)
    for number, row in data_rows():
        cells = [_clean(c) for c in row]
        filled = [c for c in cells if c is not None]
        if not filled:
            staged.blank_rows += 1     # not skipped_rows: blank may be all unsaved formulas, values lost
            continue
        if _is_footer(filled, footer):
            staged.footer_rows += 1
            staged.skipped_rows.add(number)
            continue
        if _trim_trailing(_without_bom(cells)) == header:
            staged.header_repeats.append(number)
            staged.skipped_rows.add(number)
            continue
        if not staged.line_breaks_in_cells and staged.notes.delimiter:
            staged.line_breaks_in_cells = any("\n" in c or "\r" in c for c in filled)
        if delimited:
            fields[len(row)] += 1
        batch.append((number, len(_trim_trailing(cells)), len(row) if delimited else None, cells))
        if len(batch) >= BATCH_ROWS:
            _flush(con, schema, staged, batch)
            if progress:
                progress(staged.rows_read)
    _flush(con, schema, staged, batch)
    staged.field_counts = dict(fields)
    notes = row_fields.skip_notes(con, READ, staged.staged_columns, staged.field_counts, width, "_row")
    staged.rows_read -= len(notes)
    staged.footer_rows += len(notes)
    staged.skipped_rows.update(notes)
    if progress:
        progress(staged.rows_read)


def _sheet_with_headers(path: Path, kind: str, mapping: dict | None, notes: ReadNotes) -> str | None:
    """In a workbook of several sheets, the one whose header row names most of this kind's columns.

    Council workbooks often open on a cover, notes or contents sheet; reading only the first sheet
    refused them. The first sheet wins ties, and the summary says when another one was read. A hidden
    sheet loses to a visible one with the headers: it is usually last year's register or a working copy,
    and an HMO load replaces its source's register, so reading it would end every current licence.
    Sheets are never merged: the summary names the others with the headers. None: not a workbook of
    several sheets (the reader's default, the first, applies).
    """
    if sniff.file_format(path) != "xlsx":
        return None
    heads = xlsx_sheet_heads(path, HEADER_SEARCH_ROWS)
    if len(heads) < 2:
        return None
    names = [head.name for head in heads]
    scores = [header_score(kind, head.records, mapping) for head in heads]
    if max(scores) == 0:
        raise FileProblem(path, f"no recognised {kind} headers in the first {HEADER_SEARCH_ROWS} rows of any sheet "
                                f"({', '.join(repr(n) for n in names)}). Pass --sheet NAME, or --mapping FILE to name them")
    registers = _register_sheets(scores)
    best = max([i for i in registers if heads[i].visible] or registers, key=lambda i: (scores[i], -i))
    if best:
        notes.warnings.append(f"read sheet {names[best]!r}, the one with {kind} headers (the first sheet, "
                              f"{names[0]!r}, {_why_not_first(heads[0].visible, scores[0], scores[best])})")
    others = [i for i in registers if i != best]
    passed_over = [names[i] for i in others if heads[best].visible and not heads[i].visible]
    notes.warnings += _hidden_sheets_note(kind, passed_over) + \
        _other_sheets_note(kind, names[best], [names[i] for i in others if names[i] not in passed_over])
    return names[best]


def _register_sheets(scores: list[int]) -> list[int]:
    """The sheets whose headers match: those naming at least half as many of the columns as the best.
    A notes sheet that mentions one column's name is not a register; last year's, with a column fewer, is."""
    return [i for i, score in enumerate(scores) if score and 2 * score >= max(scores)]


def _why_not_first(visible: bool, score: int, best_score: int) -> str:
    """Why the first sheet, the one Excel opens on, was not read: the analyst may expect it to be."""
    if not visible and score >= best_score:
        return "is hidden"
    return "has none" if not score else "has fewer"


def _hidden_sheets_note(kind: str, hidden: list[str]) -> list[str]:
    """Say which hidden sheets with the headers were passed over, so one meant to be read can still be."""
    if not hidden:
        return []
    if len(hidden) == 1:
        return [f"sheet {hidden[0]!r} is hidden and was not read, though it has {kind} headers too: "
                f"to load it, name it with --sheet {hidden[0]!r}"]
    return [f"sheets {', '.join(repr(n) for n in hidden)} are hidden and were not read, though they have {kind} "
            "headers too: to load one, name it with --sheet NAME"]


def _other_sheets_note(kind: str, read: str, others: list[str]) -> list[str]:
    """Say that only one of several register sheets was read (one per town, say): merging them could join
    sheets that are not parts of one register, so the analyst loads each one by name."""
    if not others:
        return []
    which = f"sheet {others[0]!r} has" if len(others) == 1 else f"sheets {', '.join(repr(n) for n in others)} have"
    source = f", each with its own --source (an {kind} load replaces what its source loaded before)" \
        if kind in REPLACED_BY_SOURCE else ""
    return [f"only sheet {read!r} was read: {which} {kind} headers too. Sheets are not merged; to load another, "
            f"run one load per sheet, e.g. --sheet {others[0]!r}{source}"]


def _flush(con, schema: pa.Schema, staged: StagedFile, batch: list) -> None:
    if not batch:
        return
    columns = {"_row": [b[0] for b in batch], "_ncells": [b[1] for b in batch], "_nfields": [b[2] for b in batch]}
    for i in staged.staged_columns:
        columns[f"c{i}"] = [b[3][i] if i < len(b[3]) else None for b in batch]
    table = pa.table(columns, schema=schema)
    con.register("_stage_batch", table)
    con.execute(f"INSERT INTO {READ} SELECT * FROM _stage_batch")
    con.unregister("_stage_batch")
    staged.rows_read += len(batch)
    batch.clear()


def _clean(cell) -> str | None:
    if cell is None:
        return None
    text = str(cell).strip(fast_csv.stripped_characters())
    return fast_csv.unwrapped(text) if text.startswith('="') else (text or None)


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
