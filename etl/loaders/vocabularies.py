"""Put the TOML vocabularies into temp tables, so category matching is a join, not a Python loop."""
from __future__ import annotations

import duckdb

from etl import vocab


def register(con: duckdb.DuckDBPyConnection) -> None:
    for section, table in (("source_type", "vocab_source_type"), ("exploitation_type", "vocab_exploitation"),
                           ("age_group", "vocab_age_group"), ("boolean", "vocab_boolean")):
        _alias_table(con, table, vocab.alias_table(section))
    _alias_table(con, "vocab_nationality", vocab.nationality_aliases())
    languages = [(nat, langs) for nat, langs in vocab.nationality_languages().items()]
    con.execute("CREATE OR REPLACE TEMP TABLE vocab_languages (nationality VARCHAR, languages VARCHAR[])")
    con.executemany("INSERT INTO vocab_languages VALUES (?, ?)", languages)


def _alias_table(con, table: str, aliases: dict[str, str]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (alias VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?)", list(aliases.items()))


def warn_unmapped(con, summary, *columns: tuple[str, str, str, str]) -> None:
    """For each (column, vocabulary table, what, fallback): say which values fell outside the vocabulary."""
    for column, vocab_table, what, fallback in columns:
        warning = unmapped_warning(con, column, vocab_table, what, fallback)
        if warning:
            summary.warnings.append(warning)


def unmapped_warning(con, column: str, vocab_table: str, what: str, fallback: str) -> str | None:
    """Values outside a vocabulary are stored as `fallback`; the summary says which, so none vanish silently."""
    rows = con.execute(f"""
        SELECT value, n FROM (SELECT {column} AS value, count(*) AS n FROM parsed
                              WHERE reason IS NULL AND {column} IS NOT NULL GROUP BY 1)
        WHERE label_key(value) NOT IN (SELECT alias FROM {vocab_table})
        ORDER BY n DESC, value LIMIT 6
    """).fetchall()
    if not rows:
        return None
    shown = ", ".join(f"{v!r} ({n})" for v, n in rows[:5]) + (" …" if len(rows) > 5 else "")
    return f"{what} not in the vocabulary, stored as '{fallback}': {shown}"


def indicator_codes_sql(text_expr: str) -> str:
    """The sorted indicator codes whose patterns match `text_expr`.

    Patterns are written into the SQL as constants so DuckDB compiles each regex once, not
    once per row; they come from our own vocabulary file, quoted as SQL strings.
    """
    checks = []
    for code, spec in sorted(vocab.load("indicators").items()):
        pattern = ("(?i)" + "|".join(spec["patterns"])).replace("'", "''")
        checks.append(f"CASE WHEN regexp_matches({text_expr}, '{pattern}') THEN '{code}' END")
    return f"coalesce(list_filter([{', '.join(checks)}], x -> x IS NOT NULL), []::VARCHAR[])"
