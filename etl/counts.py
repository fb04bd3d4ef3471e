"""The SQL macros parse_count(text), a whole number as partners write one, and parse_storeys(text),
which also reads floors written as a sum ("G+2"); their words are etl/vocab/counts.toml.

A council register that says "6 persons" or "Six" for a licence's maximum occupants means 6, and
rejecting the licence for it would leave a real HMO off the map. The words are data; this module
only turns them into one regular expression and one lookup, run set-wise in DuckDB.
"""
from __future__ import annotations

import re
from functools import cache

import duckdb

from etl import vocab
from etl.sql_text import literal


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def parse_count_sql() -> str:
    """SQL body of parse_count(s): the count, or NULL when `s` is not one whole number."""
    table = vocab.load("counts")
    words = {str(k): int(v) for k, v in table["words"].items()}
    pattern = (f"(?:(?:{_alternation(table['lead_ins'])}) ?)?([0-9]+|{_alternation(words)})"
               f"(?: (?:{_alternation(table['units'])}))?(?: ?\\(.*\\)|{households_clause()})?")
    text = "lower(trim(regexp_replace(s, '\\s+', ' ', 'g')))"
    lookup = " ".join(f"WHEN '{w}' THEN {n}" for w, n in words.items())
    said = f"regexp_extract({text}, {literal('^' + pattern + '$')}, 1)"
    return f"""CASE
        WHEN parse_number(s) IS NOT NULL THEN
            CASE WHEN parse_number(s) = floor(parse_number(s)) THEN try_cast(parse_number(s) AS INTEGER) END
        WHEN regexp_full_match({text}, {literal(pattern)}) THEN
            coalesce(try_cast({said} AS INTEGER), CASE {said} {lookup} END)
        END"""


def households_clause() -> str:
    """A regular expression (lower case) for the households a register writes after the occupants, outside
    brackets: " in 4 households", ", 4 households", " / 4 lets"; group 1 is their number."""
    words = vocab.load("counts")["household_words"]
    return f" ?(?:in|,|/|over|across|-) ?([0-9]{{1,4}}) ?(?:{_alternation(words)})"


@cache
def households_in_sql() -> str:
    """SQL body of households_in(s): the households a count of occupants names ("6 (2 households)", "10 persons
    in 4 households"), or NULL: a register without a households column still says how many there are."""
    words = vocab.load("counts")["household_words"]
    text = "lower(trim(regexp_replace(s, '\\s+', ' ', 'g')))"
    pattern = f"[(,/ -] ?(?:in |over |across )?([0-9]{{1,4}}) ?(?:{_alternation(words)})\\)?$"
    return f"try_cast(nullif(regexp_extract({text}, {literal(pattern)}, 1), '') AS INTEGER)"


@cache
def parse_storeys_sql() -> str:
    """SQL body of parse_storeys(s): parse_count(s), else a building's floors written as a sum ("G+2",
    "B+G+1", "ground + 2 + loft"): the ground floor and the number above it, and one for each extra
    floor (a basement, a room in the roof)."""
    table = vocab.load("counts")["storeys"]
    text = "lower(trim(regexp_replace(s, '\\s+', ' ', 'g')))"
    extra = f"(?:{_alternation(table['extra'])})"
    pattern = (f"((?:{extra} ?(?:\\+|&|and) ?)*)(?:{_alternation(table['ground'])}) ?(?:\\+|&|and) ?([0-9]{{1,2}})"
               f"(?: ?(?:upper )?(?:floors?|storeys?|stories))?((?: ?(?:\\+|&|and) ?{extra})*)")
    groups = f"regexp_extract({text}, {literal('^' + pattern + '$')}, ['below', 'above', 'over'])"
    return f"""coalesce(parse_count(s), CASE WHEN regexp_full_match({text}, {literal(pattern)}) THEN
        1 + try_cast({groups}.above AS INTEGER)
          + len(regexp_extract_all({groups}.below || {groups}.over, {literal(extra)})) END)"""


@cache
def people_groups_pattern() -> str:
    """A regular expression (lower case) for people seen given as groups: "3 men and 2 women"."""
    group = f"[0-9]{{1,4}} ?(?:{_alternation(vocab.load('counts')['people_groups'])})"
    return f"{group}(?: ?(?:,|and|&|\\+)? ?{group})+"




def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define parse_count(s) on this connection (after etl/sql/macros.sql's parse_number)."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO parse_count(s) AS {parse_count_sql()}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO parse_storeys(s) AS {parse_storeys_sql()}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO households_in(s) AS {households_in_sql()}")
