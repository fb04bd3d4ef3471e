"""A date cell that gives a span or a date with a word before it, read as its first date.

Reporters write when something was seen as it was seen: "01/02/2026 - 03/02/2026", "1-3 Feb 2026",
"Feb-Mar 2026", "between 01/02/2026 and 03/02/2026", "approx 01/02/2026", "w/c 02/02/2026". Rejected as "not a
date", such a report was lost for the lack of a day nobody could give; its first date is when it was first seen,
so it is stored under that, and the load summary counts the rows read so (etl/loaders/checks.py date_order).
A span is taken only when its end is a date too, and not before its start: "01/02/2026 - see notes" is no span.
The words are data: etl/vocab/dates.toml [spans].
"""
from __future__ import annotations

import re

import duckdb

from etl import vocab
from etl.sql_text import literal

_ORDINAL = r"(?:st|nd|rd|th)?"
# Spans written without spaces round the dash: two dd/mm dates (the first may leave out its year), two days of one
# month, two months' names of one year. Never "2026-02-01": a dash alone splits an ISO date.
_UNSPACED = (r"^(\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?)\s*[-–—]\s*(\d{1,2}[/.]\d{1,2}[/.]\d{2,4})$",
             rf"^(\d{{1,2}}{_ORDINAL})\s*[-–—&]\s*(\d{{1,2}}{_ORDINAL}\s+[A-Za-z].*)$",
             r"^([A-Za-z]{3,9}\.?)\s*[-–—/&]\s*([A-Za-z]{3,9}\.?,?\s+\d{4})$")


def _words(words: list[str]) -> str:
    """An alternation of words, longest first, each escaped; a word ending in a letter needs a space after it."""
    return "|".join(re.escape(w) + (r"\s+" if w[-1].isalnum() else r"\s*")
                    for w in sorted(words, key=len, reverse=True))


def _patterns() -> tuple[str, list[str]]:
    """The leading words' pattern, and the span patterns in the order they are tried (spaced first)."""
    spans = vocab.load("dates")["spans"]
    before = rf"(?i)^\s*(?:{_words(spans['before'])})"
    between = "|".join(re.escape(w) for w in sorted(spans["between"], key=len, reverse=True))
    return before, [rf"(?i)^(.+?)\s+(?:{between})\s+(.+)$", *_UNSPACED]


def _first_date_text(a: str, b: str) -> str:
    """SQL: the span's first date written whole, taking what it leaves to the end from the end: "1" of
    "1-3 Feb 2026" is "1 Feb 2026", "Feb" of "Feb-Mar 2026" is "Feb 2026", "01/02" of "01/02 - 03/02/2026" is
    "01/02/2026"."""
    return (f"CASE WHEN regexp_full_match({a}, '\\d{{1,2}}{_ORDINAL}') "
            f"THEN {a} || ' ' || regexp_replace({b}, '^\\d{{1,2}}{_ORDINAL}\\s*', '') "
            f"WHEN regexp_full_match({a}, '[A-Za-z]{{3,9}}\\.?') THEN {a} || ' ' || regexp_extract({b}, '(\\d{{4}})\\s*$', 1) "
            f"WHEN regexp_full_match({a}, '\\d{{1,2}}[/.]\\d{{1,2}}') "
            f"THEN {a} || regexp_extract({b}, '([/.]\\d{{2,4}})\\s*$', 1) ELSE {a} END")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define date_span(s) ([first, last] date texts of a span, the date after a leading word as both, or NULL)
    and parse_date(s) (etl/sql/macros.sql one_date, else the span's first date) on this connection."""
    before, spans = _patterns()
    rest = f"regexp_replace(trim(s), {literal(before)}, '')"
    cases = " ".join(f"WHEN regexp_matches(r, {literal(p)}) THEN regexp_extract(r, {literal(p)}, ['a', 'b'])"
                     for p in spans)
    con.execute(f"CREATE OR REPLACE TEMP MACRO _span_parts(r) AS CASE {cases} END")
    # Bound by lambdas, not written out: one_date is long, and a macro's argument is copied into each of its uses,
    # so written out the span's regular expressions were planned dozens of times over (seconds per statement).
    con.execute(f"""CREATE OR REPLACE TEMP MACRO _span_texts(r, s) AS list_transform([_span_parts(r)], lambda p:
        CASE WHEN p IS NOT NULL THEN [{_first_date_text("p.a", "p.b")}, p.b]
             WHEN r <> trim(s) THEN [r, r] END)[1]""")
    con.execute(f"CREATE OR REPLACE TEMP MACRO date_span(s) AS list_transform([{rest}], lambda r: _span_texts(r, s))[1]")
    # Both ends through one lambda, so one_date is planned once here rather than once per use.
    con.execute("""CREATE OR REPLACE TEMP MACRO _span_first(s) AS list_transform(
        [list_transform(date_span(s), lambda t: one_date(t))], lambda d: CASE WHEN d[2] >= d[1] THEN d[1] END)[1]""")
    con.execute("""CREATE OR REPLACE TEMP MACRO parse_date(s) AS
        coalesce(one_date(s), CASE WHEN s IS NOT NULL THEN _span_first(s) END)""")
    con.execute("CREATE OR REPLACE TEMP MACRO date_in_span(s) AS one_date(s) IS NULL AND _span_first(s) IS NOT NULL")
