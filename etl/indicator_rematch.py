"""Stored reports' signs follow the indicator vocabulary (etl/vocab/indicators.toml) as it is now.

A report's codes are matched from its text when it is loaded. Without this, a pattern or a code an analyst adds
reached only the reports loaded after it: the visit list ranked the same words differently by the day they came
in, and "poor living conditions" in last year's reports stayed no sign. So the warehouse keeps a fingerprint of
the matching (`meta`, key `FINGERPRINT_KEY`), and a load that finds another re-reads every stored report's
`indicators_text` and `summary` with the loader's own lookups (`vocabularies.sign_lookups`), each distinct text
once, and rewrites only the reports whose signs change.

It runs inside the load's write (etl/loading.py): on the private copy that is swapped in when the load succeeds,
so readers see the old signs or the new, never a mix, and a failed load changes neither the signs nor the
fingerprint. A warehouse with no report yet only records the fingerprint.
"""
from __future__ import annotations

import hashlib

import duckdb

from etl.loaders import vocabularies

FINGERPRINT_KEY = "indicator_vocabulary"


def fingerprint() -> str:
    """The sha256 of the matching as SQL: every code and pattern, the negation rules (etl/vocab/negation.toml,
    written into the SQL by `vocabularies.negation_sql`), and how a report's two texts' signs are joined.

    Of what is matched, not of the file's bytes: a reworded label or a changed severity (applied when the
    visit list runs) re-reads nothing, and a change to how the loader matches re-reads as a new pattern does."""
    sql = [cte for cte, _ in vocabularies.sign_lookups("indicators_text", "summary", "reports")]
    return hashlib.sha256("\n".join([*sql, vocabularies.SIGNS, vocabularies.SIGN_BITS]).encode()).hexdigest()


def follow_vocabulary(con: duckdb.DuckDBPyConnection) -> str | None:
    """Bring stored reports' `indicators` and `indicator_bits` up to the vocabulary, if it changed since the last
    load; the note for the load summary, or None when nothing was re-read. For a writer, after `prepare`.

    A warehouse from before the fingerprint was kept has reports read with an unknown vocabulary: they are
    re-read too, and the note is given only when some gained or lost a sign."""
    now = fingerprint()
    recorded = con.execute("SELECT value FROM meta WHERE key = ?", [FINGERPRINT_KEY]).fetchone()
    if recorded and recorded[0] == now:
        return None
    note = None
    stored = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    if stored:
        changed, per_code = _rematch(con)
        if recorded or changed:
            since = "since the last load" if recorded else "(not recorded before)"
            note = (f"indicator vocabulary changed {since}: {stored:,} stored report(s) re-read, {changed:,} gained "
                    f"or lost a sign{per_code}")
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [FINGERPRINT_KEY, now])
    return note


def _rematch(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Re-match every stored report and rewrite those whose signs change: (how many, which codes as words).

    Reports have no key (migration 0008): the changed ones are found and updated by `rowid`, which nothing else
    changes within this write. Their masks are compared, not their lists: every code stored or in the vocabulary
    has a bit (etl/indicator_bits.py), so equal masks are equal sets, compared without a lambda per report."""
    ctes, joins = zip(*vocabularies.sign_lookups("reports.indicators_text", "reports.summary", "reports"))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE signs_changed AS
        WITH {', '.join(ctes)}
        SELECT rid, old_bits, {vocabularies.SIGNS} AS new_codes, new_bits FROM (
            SELECT reports.rowid AS rid, reports.indicator_bits AS old_bits, in_codes, in_bits, is_codes, is_bits,
                   {vocabularies.SIGN_BITS} AS new_bits
            FROM reports {' '.join(joins)})
        WHERE old_bits IS DISTINCT FROM new_bits""")
    changed = con.execute("SELECT count(*) FROM signs_changed").fetchone()[0]
    if not changed:
        con.execute("DROP TABLE signs_changed")
        return 0, ""
    con.execute("UPDATE reports SET indicators = c.new_codes, indicator_bits = c.new_bits "
                "FROM signs_changed c WHERE reports.rowid = c.rid")
    # The "Indicators seen" filter offers a code once a report holds it (etl/filter_values.py).
    con.execute("""
        INSERT INTO filter_values
        SELECT DISTINCT 'indicator', code FROM (SELECT unnest(new_codes) AS code FROM signs_changed)
        WHERE code NOT IN (SELECT value FROM filter_values WHERE kind = 'indicator')""")
    per_code = _per_code(con)
    con.execute("DROP TABLE signs_changed")
    return changed, per_code


def _per_code(con: duckdb.DuckDBPyConnection) -> str:
    """" (gained: code n, …; lost: code n, …)": which signs moved, so the analyst sees the change did what was meant."""
    rows = con.execute("""
        SELECT code,
               count(*) FILTER (WHERE new_bits & mask <> 0 AND coalesce(old_bits, 0) & mask = 0) AS gained,
               count(*) FILTER (WHERE new_bits & mask = 0 AND coalesce(old_bits, 0) & mask <> 0) AS lost
        FROM signs_changed, (SELECT code, 1::BIGINT << bit AS mask FROM indicator_bits)
        GROUP BY code ORDER BY code""").fetchall()
    parts = [f"{word}: " + ", ".join(f"{code} {n[i]:,}" for code, *n in rows if n[i])
             for i, word in enumerate(("gained", "lost")) if any(n[i] for _, *n in rows)]
    return f" ({'; '.join(parts)})" if parts else ""
