"""A report's signs as tick boxes: one column per sign ("Multiple occupants Y/N", "Mattresses on floor (Y/N)",
"Van pick ups"), answered Y or N, as partner referral forms and some police exports give them.

Left unread, a form's every sign was lost without a word (the note listed the columns as not read, and the
reports were stored with none), and a keyword in one ("occupants") made its Y and N the number of people seen.
A column no field took, whose header names a sign of the vocabulary (etl/vocab/indicators.toml), is a tick box
when its header asks yes or no (`yes_no_markers`) or its cells hold only yes and no answers (`sign_flag_yes`,
`sign_flag_no`). A row answering yes has the header's words added to its indicators text, as if a reporter had
written them there: they are matched against the vocabulary with the rest of the text (and again when the
vocabulary changes, etl/indicator_rematch.py), and kept as written beside the signs.
"""
from __future__ import annotations

import duckdb

from etl import vocab
from etl.loaders import vocabularies
from etl.reading.headers import yes_no_header, yes_no_question
from etl.reading.stage import StagedFile
from etl.sql_text import literal


def _answers(name: str) -> str:
    """SQL list of the answers `sign_flag_yes` or `sign_flag_no`, lowercase, compared with a cell's."""
    return "[" + ", ".join(literal(w.lower()) for w in vocab.load("headers").get(name, [])) + "]"


def _answer(cell: str) -> str:
    """SQL: the cell as compared with the answers (lowercase, punctuation but ticks read as spaces)."""
    return f"trim(regexp_replace(lower({cell}), '[^a-z0-9✓✔-]+', ' ', 'g'))"


def find(con: duckdb.DuckDBPyConnection, staged: StagedFile, taken: set[int]) -> dict[int, str]:
    """The tick-box columns of the staged file (column → the sign's words), among those not in `taken`."""
    match = staged.match
    questions = {i: yes_no_question(match.headers[i]) for i in staged.staged_columns
                 if i < len(match.headers) and match.headers[i] and i not in taken and i not in match.columns.values()}
    named = _naming_a_sign(con, questions)
    return {i: questions[i] for i in named if yes_no_header(match.headers[i]) or _only_answers(con, i)}


def _naming_a_sign(con: duckdb.DuckDBPyConnection, questions: dict[int, str]) -> list[int]:
    """The columns whose question names a sign, read in one statement: the vocabulary's SQL is long, and a
    statement per column made a 300-column export take 44 s to load instead of 4."""
    if not questions:
        return []
    read = vocabularies.indicator_codes_sql(vocabularies.negation_sql("q"))
    rows = con.execute(f"SELECT i FROM (SELECT unnest(?::INTEGER[]) AS i, unnest(?::VARCHAR[]) AS q) "
                       f"WHERE len({read}) > 0 ORDER BY i", [list(questions), list(questions.values())]).fetchall()
    return [i for (i,) in rows]


def _only_answers(con: duckdb.DuckDBPyConnection, i: int) -> bool:
    """Whether column `i` holds a yes somewhere and nothing but yes and no answers and blanks."""
    answer = _answer(f"c{i}")
    yes, other = con.execute(f"""
        SELECT count(*) FILTER (WHERE list_contains({_answers('sign_flag_yes')}, {answer})),
               count(*) FILTER (WHERE {answer} <> '' AND NOT list_contains({_answers('sign_flag_yes')}, {answer})
                                  AND NOT list_contains({_answers('sign_flag_no')}, {answer}))
        FROM stage""").fetchone()
    return yes > 0 and other == 0


def indicators_text(staged: StagedFile) -> str:
    """SQL: the row's indicators text with the words of each sign it ticks added ("Mattresses on floor"),
    separated as a list's items; the file's indicators column alone when it has no tick boxes."""
    given = staged.column("indicators_text")
    if not staged.match.sign_flags:
        return given
    ticked = [f"CASE WHEN list_contains({_answers('sign_flag_yes')}, {_answer(f'c{i}')}) THEN {literal(words)} END"
              for i, words in sorted(staged.match.sign_flags.items())]
    return f"nullif(concat_ws('; ', {given}, {', '.join(ticked)}), '')"


def note(staged: StagedFile) -> str | None:
    """The load summary's word on the tick boxes read, so a column taken for one by mistake is seen."""
    flags = staged.match.sign_flags
    if not flags:
        return None
    shown = ", ".join(repr(staged.match.headers[i]) for i in sorted(flags))
    return (f"column(s) read as a sign's tick box, a yes adding the sign to the report's indicators: {shown} "
            "(if one is not, rename its header and load again)")
