"""A CSV row with more or fewer fields than the file's other rows: its values sit in the wrong columns.

An unquoted comma in an address ("12 Mill Road, Cambridge") splits it in two, and every value after it moves one
column right: the town is stored as the postcode, the postcode as the source. A missing field moves them left.
Read as written, such a row loads with its values in the wrong columns, often without a single check failing
(a source type or an exploitation type outside the vocabulary is stored as "other"). So the row is rejected,
saying how many fields it has and how many it should have.

It is not repaired, even when joining the address's two halves would make the values fit (a date where the date
goes, a postcode where the postcode goes): only the typed columns can be checked to fit, and a comma in another
free-text column ("Polish, Romanian" in a nationality beside the address) fits as well once joined to the
address, storing a wrong address and a wrong nationality without a word. A rejected row is seen and fixed;
a wrong repair is not seen.

The row's own fields are compared with the file's: the header's, or more when most rows carry more (a file
whose rows all end in a delimiter the header lacks, `…,labour,`). A file whose rows mostly have fewer fields
than the header was written by a program that leaves off a row's empty last fields (Excel has done so): there a
short row can't be told from a row with blank last cells, so it is read as one, and the summary says so.
Workbooks have no delimiters, and are not judged.

A note under the table or between its rows ("Source: Cambridge City Council, public register, November 2026") has
as many fields as it has commas, so its fields rarely fit either: when its first cell says it is a note, it is
skipped as a footer is (`skip_notes`), not rejected as a row with its values in the wrong columns. When its fields
happen to fit ("* Licence under appeal, see s.62, Housing Act 2004" in a register of three columns), it is skipped
so only when no other cell gives a value a record needs (a postcode, a date, a number): read as data, it was a
licence numbered "* Licence under appeal".
"""
from __future__ import annotations

from typing import NamedTuple

from etl import vocab
from etl.sql_text import literal

# The delimiter as a reason names it.
DELIMITER_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}
# How a reason for a row's fields ends, for `rejected_note` to find them by.
MARK = "into the wrong columns"


class Expected(NamedTuple):
    fields: int          # the fields a row must have
    short_allowed: bool  # a row with fewer than the header's is read as leaving its last cells blank


def expected(field_counts: dict[int, int], width: int) -> Expected | None:
    """The fields a data row of a CSV must have, from its rows' (`StagedFile.field_counts`); None for a workbook.

    The usual count is the commonest (on a tie, the header's, else the larger), but never fewer than the
    header's: rows with fewer are allowed only when they are the commonest."""
    if not field_counts:
        return None
    usual = max(field_counts, key=lambda n: (field_counts[n], n == width, n))
    return Expected(max(usual, width), usual < width)


def wrong_fields(field_counts: dict[int, int], width: int, delimiter: str | None, skip_row: int | None) -> str:
    """SQL over the stage: the reason a row's fields are not the file's (`_nfields`, as written); NULL when they
    are. `skip_row`: the row the file ends inside a quoted cell of, cut short and rejected for that already."""
    want = expected(field_counts, width)
    if want is None or not delimiter:
        return "NULL"
    of = "the header has" if want.fields == width else "the file's other rows have"
    word = DELIMITER_WORDS.get(delimiter, repr(delimiter))
    more = (f" fields where {of} {want.fields}: an unquoted {word} in a value (an address?) moves the values after "
            f"it {MARK}. Put that value in quotes, or take the {word} out, and load the file again")
    fewer = (f" fields where {of} {want.fields}: a missing value moves the values after it {MARK}. If only its last "
             "cells are blank, add their delimiters (or open the file in Excel, save it as .xlsx and load that)")
    whens = [f"WHEN _nfields > {want.fields} THEN 'the row has ' || _nfields || {literal(more)}"]
    if not want.short_allowed:
        whens.append(f"WHEN _nfields < {want.fields} THEN 'the row has ' || _nfields || {literal(fewer)}")
    skip = f" AND _row <> {int(skip_row)}" if skip_row is not None else ""
    return f"CASE WHEN _nfields IS NOT NULL{skip} THEN CASE {' '.join(whens)} END END"


def skip_notes(con, table: str, columns: list[int], field_counts: dict[int, int], width: int, row: str) -> list[int]:
    """Delete from `table` the rows whose fields don't fit the file's but which are notes, and take them out of
    `field_counts`; returns their row numbers, for the caller to count as footers. `row`: SQL for a row's number.

    A note's commas split it into fields like an unquoted comma splits an address, so the count of fields can't
    tell them apart; its first cell can (etl/vocab/rows.toml). One matching `note_patterns` ("Source: …",
    "Note: …", "* …") is a note wherever it is; one matching `ragged_footer_patterns` ("Total, …") is when it comes
    after the last row of data, with only notes after it. A data row whose fields don't fit is still rejected:
    its first cell is a reference. Only files with a row whose fields don't fit pay for that look. A note whose
    fields happen to fit, and which gives nothing a record needs, is skipped too (`_notes_that_fit`)."""
    notes = _ragged_notes(con, table, columns, field_counts, width, row) + _notes_that_fit(con, table, columns, row)
    for _, n in notes:
        if n is not None:
            field_counts[n] -= 1
            if not field_counts[n]:
                del field_counts[n]
    return sorted(r for r, _ in notes)


def _ragged_notes(con, table: str, columns: list[int], field_counts: dict[int, int], width: int,
                  row: str) -> list[tuple[int, int]]:
    """Delete the notes whose fields don't fit the file's (`skip_notes`); their (row, fields)."""
    want = expected(field_counts, width)
    if want is None or set(field_counts) == {want.fields}:
        return []
    rules = vocab.load("rows")
    footer = "(?i)" + "|".join(rules["ragged_footer_patterns"] + rules["note_patterns"])
    note = "(?i)" + "|".join(rules["note_patterns"])
    first = "coalesce(" + ", ".join(f"c{i}" for i in columns) + ")"
    candidates = con.execute(f"""
        SELECT r, n, regexp_matches(first, ?) FROM (SELECT {row} AS r, _nfields AS n, {first} AS first FROM {table}
                                                   WHERE _nfields <> {int(want.fields)})
        WHERE regexp_matches(first, ?) ORDER BY r""", [note, footer]).fetchall()
    if not candidates:
        return []
    trailing = _trailing(con, table, row, {r for r, _, _ in candidates})
    notes = [(r, n) for r, n, anywhere in candidates if anywhere or r in trailing]
    if notes:
        con.execute(f"DELETE FROM {table} WHERE {row} IN (SELECT unnest(?))", [[r for r, _ in notes]])
    return notes


def _notes_that_fit(con, table: str, columns: list[int], row: str) -> list[tuple[int, int | None]]:
    """Delete the notes with as many fields as the file's rows ("* Licence under appeal, see s.62, Housing Act
    2004" in a register of three columns), and return their (row, fields): a row whose first cell matches
    `note_patterns` and whose other cells give no value a record needs (`record_value_patterns`: a postcode, a
    date, a number, a house number and street; etl/vocab/rows.toml). Read as data, such a note was a licence
    numbered "* Licence under appeal". Only rows whose first cell holds one of `note_marks` are matched against
    the patterns (a CASE, so the optimizer can't run the patterns first): on every reference of a file of
    2,000,000 rows they cost 0.4 s, the marks 0.03 s."""
    rules = vocab.load("rows")
    first = "coalesce(" + ", ".join(f"c{i}" for i in columns) + ")"
    rest = f"list_filter([{', '.join(f'c{i}' for i in columns)}], x -> x IS NOT NULL)[2:]"
    marked = " OR ".join(f"contains({first}, {literal(m)})" for m in rules["note_marks"])
    notes = con.execute(f"""
        SELECT {row} AS r, _nfields FROM {table}
        WHERE CASE WHEN {marked} THEN regexp_matches({first}, ?)
                   AND NOT coalesce(list_bool_or(list_transform({rest}, x -> regexp_matches(x, ?))), false) END
        ORDER BY r""", ["(?i)" + "|".join(rules["note_patterns"]),
                        "(?i)" + "|".join(rules["record_value_patterns"])]).fetchall()
    if notes:
        con.execute(f"DELETE FROM {table} WHERE {row} IN (SELECT unnest(?))", [[r for r, _ in notes]])
    return notes


def _trailing(con, table: str, row: str, candidates: set[int]) -> set[int]:
    """Of `candidates`, the rows after the file's last row that is not one: its last rows, read from the end."""
    last = con.execute(f"SELECT {row} AS r FROM {table} ORDER BY r DESC LIMIT ?", [len(candidates) + 1]).fetchall()
    trailing = set()
    for (r,) in last:
        if r not in candidates:
            break
        trailing.add(r)
    return trailing


def rejected_note(con, reasons_table: str) -> str | None:
    """For the summary: the rows rejected by `wrong_fields` (or a value past the header), counted and named."""
    n, rows = con.execute(f"SELECT count(*), list(row_number ORDER BY row_number)[1:5] FROM {reasons_table} "
                          "WHERE contains(reason, ?)", [MARK]).fetchone()
    if not n:
        return None
    shown = ", ".join(map(str, rows)) + (" …" if n > len(rows) else "")
    return (f"{n:,} row(s) rejected for having more or fewer fields than the file's rows have (row {shown}): an "
            "unquoted comma in a value, or a value missing, moves the values after it into the wrong columns, so "
            "they were not loaded. Each says how many fields it has: quote or fix it and load the file again")


def short_rows_note(field_counts: dict[int, int], width: int) -> str | None:
    """For the summary: the rows with fewer fields than the header read as leaving their last cells blank, counted."""
    want = expected(field_counts, width)
    short = sum(n for fields, n in field_counts.items() if fields < width) if want and want.short_allowed else 0
    if not short:
        return None
    return (f"{short:,} row(s) have fewer fields than the header's {width}, as most rows of this file do: read as "
            "leaving their last cells blank (the program that wrote the file leaves off empty last fields). A row "
            "missing a value in the middle can't be told from one so: check them, or load the file saved as .xlsx")
