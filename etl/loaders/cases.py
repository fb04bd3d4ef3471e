"""Victim case locations, for aggregate hotspot scoring only.

Volumes are small, so a case must never make a victim identifiable: the reference is
replaced by a keyed hash, and names, dates of birth, addresses and any other column we
don't need are never stored, not even in the rejects table.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from etl import pseudonym, vocab
from etl.loaders import checks, tabular, vocabularies
from etl.summary import LoadSummary

# What a rejected case row keeps, to be fixed: the fields the checks read, never free text that can name
# someone (nationality and language cells are not checked, so they are not needed to fix a row), nor an age
# (an "Age" column is read only as child or adult).
FIELDS_KEPT_IN_REJECTS = ["opened_on", "postcode", "lat", "lon", "easting", "northing", "coordinates", "x", "y", "grid_ref",
                          "exploitation_type", "nrm_referred"]
CONTENT = ["case_key", "opened_on", "postcode", "file_lat", "file_lon", "exploitation_text", "nationality_text",
           "age_text", "nrm_referred", "language_text"]
STORED = ["case_key", "opened_on", "lat", "lon", "geocode_status", "location_flag", "district_code", "lsoa_code",
          "exploitation_type", "nationality", "age_group", "nrm_referred", "language_needs", "source", "load_id",
          "row_number", "row_hash", "h3_7", "h3_8", "h3_9"]


def load(con, path: Path, summary: LoadSummary, *, mapping=None, sheet=None, progress=None) -> None:
    """Add the file's cases to the source's, for `etl.loading.load_file`, inside its transaction: a FileProblem
    (a required column missing, no data rows) is raised before anything is stored, and the copy is then dropped.

    Whatever else happens, no case reference and no column beyond those we store reaches the warehouse, rejects
    included: references are keyed hashes from the start, so one loaded before updates its case. A bad row goes
    to `rejects` with its reasons and the others still load; `summary` names the columns dropped."""
    staged = tabular.stage(con, path, "cases", summary,
                           required=[("case_ref",), ("opened_on",),
                                     ("postcode", "address", "lat", "easting", "coordinates", "x", "grid_ref")],
                           mapping=mapping, sheet=sheet, progress=progress)
    vocabularies.register(con)
    summary.dropped_columns = _dropped_columns(staged)
    summary.warnings.append("case references are stored only as keyed hashes (case_key)")
    _pseudonymise(con, staged)
    c = staged.column
    once: dict[str, str] = {}
    per_row = checks.computed_once(once)
    loc = checks.location(staged, once=per_row, half_pairs_set_aside=True)
    opened = per_row("opened_on", f"parse_date({c('opened_on')})")   # once per row: see hmo.py
    validations = [
        checks.too_many_cells(staged),
        checks.rows_inside_a_cell(staged),
        checks.blank(c("case_ref"), "case reference"),
        checks.excel_error(c("case_ref"), "case reference"),
        checks.blank(c("opened_on"), "date opened"),
        checks.not_a_date(c("opened_on"), "date opened", parsed=opened),
        checks.date_between(c("opened_on"), "date opened", "DATE '1990-01-01'", "current_date + 1", parsed=opened),
        *loc.checks,
        checks.half_pair(loc.half, checks.placed_without_coordinates(staged, loc)),
    ]
    nrm_cte, nrm_join = tabular.once_per_value("nrm_readings", {"nrm_cell": c("nrm_referred")},
                                               {"nrm_value": _nrm_reading("nrm_cell")})
    tabular.parse(con, f"""
        WITH {nrm_cte}
        SELECT stage._row AS row_number, k.case_key,
               {opened} AS opened_on,
               coalesce(postcode_in_cell({c('postcode')}), postcode_in_text({c('address')})) AS postcode,
               outward_code({c('postcode')}) AS _outward,
               {loc.lat} AS lat, {loc.lon} AS lon, {loc.lat} AS file_lat, {loc.lon} AS file_lon,
               {loc.coarse} AS _coarse,
               {loc.half} AS _half, NULL::VARCHAR AS _half_given,   -- a victim's location is never shown
               {c('exploitation_type')} AS exploitation_text,
               {c('nationality')} AS nationality_text,
               {_age_group_text(c('age_group'), c('age'))} AS age_text,
               {c('language_needs')} AS language_text,
               CASE nrm_value WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END AS nrm_referred,
               nrm_cell AS nrm_text, nrm_value AS _nrm_value,
               {checks.reasons(validations)} AS reason
        FROM {checks.stage_with(once)} LEFT JOIN case_keys k ON k._row = stage._row
        {nrm_join}
    """, CONTENT)
    vocabularies.warn_unmapped(con, summary, ("exploitation_text", "vocab_exploitation", "exploitation types", "unknown",
                                              "coalesce(exploitation_type_of(exploitation_text), 'unknown')"),
                               ("age_text", "vocab_age_group", "age groups", "unknown"))
    summary.warnings.extend(_nrm_notes(con))
    summary.warnings += checks.half_pairs_set_aside(con, staged, show_values=False)
    summary.warnings += filter(None, [checks.postcodes_that_are_not_ones(con, staged, show_values=False, kept=False)])
    tabular.record_rejects(con, summary, staged, _safe_raw(staged))
    tabular.accepted_and_geocoded(con, summary, "case_key")
    _classify(con, summary)
    _rekey_zero_padded(con, summary.source)
    tabular.upsert_by_reference(con, summary, "cases", "case_key", STORED, date_column="opened_on")
    con.execute("DROP TABLE IF EXISTS case_keys")


def _dropped_columns(staged) -> list[str]:
    """Every column of the file we don't store; names and dates of birth among them."""
    kept = {i for name, i in staged.match.columns.items() if not name.startswith("address")}
    return [h or f"column {i + 1}" for i, h in enumerate(staged.match.headers) if i not in kept]


def _pseudonymise(con, staged) -> None:
    """HMAC the references in Python (the key never enters the database), then join by row."""
    key = pseudonym.load_key()
    ref = staged.column("case_ref")
    rows = con.execute(f"SELECT _row, {ref} FROM stage WHERE {ref} IS NOT NULL").fetchall()
    table = pa.table({"_row": [r[0] for r in rows], "case_key": [pseudonym.case_key(r[1], key) for r in rows],
                      "padded_key": [pseudonym.zero_padded_case_key(r[1], key) for r in rows]},
                     schema=pa.schema([("_row", pa.int64()), ("case_key", pa.string()), ("padded_key", pa.string())]))
    con.register("_case_keys", table)
    con.execute("CREATE OR REPLACE TEMP TABLE case_keys AS SELECT * FROM _case_keys")
    con.unregister("_case_keys")


def _rekey_zero_padded(con, source: str) -> None:
    """Cases stored, before keys dropped a number's leading zeros, under '000123' take the key of today, so this
    load (and a later one where Excel wrote '123') updates them rather than adding each case a second time."""
    con.execute("""
        UPDATE cases AS t SET case_key = k.case_key
        FROM (SELECT DISTINCT case_key, padded_key FROM case_keys WHERE padded_key IS NOT NULL) k
        WHERE t.source = ? AND t.case_key = k.padded_key
          AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.source = ? AND c.case_key = k.case_key)
    """, [source, source])


def _safe_raw(staged) -> tuple[str, list]:
    """Rejected rows keep only the fields we would have stored, and the case key instead of the reference."""
    columns = [staged.match.columns[f] for f in FIELDS_KEPT_IN_REJECTS if staged.match.has(f)]
    expr, params = staged.raw_json_sql(columns)
    key_expr = "(SELECT case_key FROM case_keys k WHERE k._row = stage._row)"
    if params:
        return f"json_merge_patch(json_object('case_key', {key_expr}), {expr})", params
    return f"json_object('case_key', {key_expr})", []


# An age as case systems write it: "17", "17 years", "17.6", "16/17", "25-30", "approx 30", "aged 34".
_AGE = (r"(?i)^\s*(?:about|approx\.?|approximately|c\.|aged|~)?\s*(\d{1,3})(?:\.\d+)?\s*"
        r"(?:(?:-|–|/|to|or)\s*(\d{1,3})(?:\.\d+)?)?\s*(?:years?(?: old)?|yrs?|y/?o|yo)?\s*$")
ADULT_AGE = 18


def _age_text(value: str) -> str:
    """SQL: the age group a cell says (`vocab_age_group` maps it): an age in years, or a range of them, is its
    group, child under 18, adult from 18 (a range across 18 is no group); a group the vocabulary names with a
    number in it ("Under 18", "18+") is that group, not an age. An age is never kept: a number
    that is no age we can read becomes words without it, so no summary shows it."""
    low, high = (f"TRY_CAST(regexp_extract({value}, '{_AGE}', {i}) AS INTEGER)" for i in (1, 2))
    high = f"coalesce({high}, {low})"
    return f"""CASE WHEN {value} IS NULL THEN NULL
        WHEN label_key({value}) IN (SELECT alias FROM vocab_age_group) THEN {value}   -- "Under 18", "18+": words
        WHEN regexp_full_match({value}, '{_AGE}') THEN
            CASE WHEN greatest({low}, {high}) < {ADULT_AGE} THEN 'child'
                 WHEN least({low}, {high}) >= {ADULT_AGE} AND greatest({low}, {high}) <= 120 THEN 'adult'
                 ELSE 'an age across the groups' END
        WHEN regexp_matches({value}, '[0-9]') THEN 'an age not read as a number of years'
        ELSE {value} END"""


# A caseworker's free text in a nationality or language cell ("Afghan - brother Reza Karimi also in care",
# "Vietnamese (via Nguyen Thi Hoa, aunt)") can name a relative: only its leading words are read, and what is
# no nationality or language is not stored. A plain unknown one ("Ethiopian", "Amharic") is kept as written.
# A nationality is read as a report's is (`vocabularies.nationality_parts`): "Lithuanian national", "LITH" and
# "Lietuva" are Lithuanian, so the dashboard counts every Lithuanian victim as one.
_LEADING = "trim(regexp_extract({0}, '^[^-–(;,/&:]*'))"


def _first_word(cell: str) -> str:
    """SQL: a cell's first word, as the yes/no vocabulary is keyed: a caseworker's "Y - 03/09" or "Yes 03/09"
    answers with it, and the rest is a note."""
    return f"label_key(nullif(regexp_extract({cell}, '^\\s*(\\pL+)', 1), ''))"


def _nrm_reading(cell: str) -> str:
    """SQL: what an NRM referral cell answers ('true', 'false', 'pending'; NULL when we can't tell), read with
    categories.toml's [boolean] and [nrm_referred]: the whole cell, else the phrase in it with the most words
    ("No - declined", "Adult declined NRM", "Y - positive RG"; NULL when the best disagree), else the cell
    before its note, else its first word. An optional column never rejects a case: a victim is counted anyway."""
    lookup = "(SELECT value FROM vocab_nrm_referred WHERE alias = {})"
    return (f"coalesce({lookup.format(f'label_key({cell})')}, "
            f"{vocabularies.by_words(cell, 'vocab_nrm_referred_words')}, "
            f"{lookup.format(f'label_key(leading_label({cell}))')}, {lookup.format(_first_word(cell))})")


def _nrm_notes(con) -> list[str]:
    """The summary's word on NRM answers stored as unknown: those not referred yet (a referral may follow), and
    those we could not read, named so a word can be added to categories.toml [nrm_referred]. Only an answer of one
    or two plain words is named; one with a digit (a date, an NRM reference) or a caseworker's longer note
    ("Spoke to Anna") is counted, never shown: it could point at one person."""
    plain = "regexp_full_match(nrm_text, '\\pL+( \\pL+)?')"      # one or two words of letters: 'Perhaps', 'Not sure'
    pending, hidden = con.execute(f"""
        SELECT count(*) FILTER (WHERE _nrm_value = 'pending'),
               count(*) FILTER (WHERE _nrm_value IS NULL AND nrm_text IS NOT NULL AND NOT {plain})
        FROM parsed WHERE reason IS NULL""").fetchone()
    unread = con.execute(f"""
        SELECT nrm_text, count(*) AS n FROM parsed
        WHERE reason IS NULL AND _nrm_value IS NULL AND nrm_text IS NOT NULL AND {plain}
        GROUP BY 1 ORDER BY n DESC, nrm_text""").fetchall()
    notes = []
    if pending:
        notes.append(f"{pending:,} case(s) say the NRM referral is not made yet (awaiting consent, not yet): "
                     "stored as unknown, not as not referred")
    if unread or hidden:
        shown = [f"{v[:60]!r} ({n:,})" for v, n in unread[:5]] + (["…"] if len(unread) > 5 else [])
        shown += [f"{hidden:,} with a date, a number or a note in it (not shown)"] if hidden else []
        notes.append("NRM referral answers that are not yes or no nor a word in etl/vocab/categories.toml "
                     f"[nrm_referred], stored as unknown (the case is kept): {', '.join(shown)}")
    return notes


def _age_group_text(group: str, age: str) -> str:
    """SQL: the age group the file gives, else the one its age in years gives, as `_age_text` reads each: an
    "Unknown" or blank group with an Age of 17 is a child. A group the vocabulary knows ("Age disputed" is a
    child) wins over the age beside it; with neither read, the group as written, for the summary to name."""
    g, a = _age_text(group), _age_text(age)
    known = "label_key({}) IN (SELECT alias FROM vocab_age_group WHERE value IN ('adult', 'child'))"
    return f"CASE WHEN {known.format(g)} THEN {g} WHEN {known.format(a)} THEN {a} ELSE coalesce({g}, {a}) END"


def _plain(text: str) -> str:
    """SQL: whether `text` could be a nationality or language we don't list: letters (any alphabet's: "Română",
    "lietuvių"), at most three words."""
    return (f"(regexp_full_match({text}, '\\pL[\\pL ]{{0,29}}')"
            f" AND length({text}) - length(replace({text}, ' ', '')) < 3)")


def _words_re(words) -> str:
    """A regular expression (RE2) for any of `words`, longest first, their spaces any run of spaces."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in word.split()) for word in ordered).replace("'", "''")


def _language_answers(cell: str) -> tuple[str, str]:
    """SQL: (the languages a language cell names, with a caseworker's answer to "interpreter needed?" taken off;
    whether it says one is needed without naming the language). etl/vocab/interpreter_answers.toml has the
    words: "Yes - Romanian", "Yes (Lithuanian)" and "Required: Polish" name their language, "No - speaks
    English" names none (NULL), and "Yes" alone is a need whose language the file does not give."""
    answers = vocab.load("interpreter_answers")
    needed, not_needed = _words_re(answers["needed"]), _words_re(answers["not_needed"])
    no = f"regexp_matches({cell}, '(?i)^\\s*(?:{not_needed})\\s*(?:$|[-–—:(,;/.])')"
    bracketed = f"regexp_replace({cell}, '(?i)^\\s*(?:{needed})\\s*[(\\[](.*)[)\\]]\\s*$', '\\1')"
    named = f"regexp_replace({bracketed}, '(?i)^\\s*(?:{needed})(?:\\s*[-–—:,;.]\\s*|\\s+|$)', '')"
    return (f"CASE WHEN {no} THEN NULL ELSE {named} END",
            f"(NOT {no} AND regexp_full_match({cell}, '(?i)\\s*(?:{needed})\\s*[-–—:,;.]?\\s*'))")


def _without_after_words(text: str) -> str:
    """SQL: `text` without the words after a language that are no part of it ("Romanian interpreter")."""
    after = _words_re(vocab.load("interpreter_answers")["after_language"])
    return f"trim(regexp_replace({text}, '(?i)\\s+(?:{after})\\s*$', ''))"


def _nationality_names() -> tuple[str, str]:
    """SQL over `incoming`: (the whole nationality cell as a name, its first name before a caseworker's note)."""
    return ("nationality_name(trim(nationality_text))",
            f"{vocabularies.nationality_parts(_LEADING.format('nationality_text'))}[1]")


def _more_than_one_nationality(con) -> str | None:
    """The note that cases name more than one nationality we know ("Romanian / Moldovan"): a case stores one,
    the first, where a report keeps them all. Counted only, as a victim's values never are shown."""
    n = con.execute(f"""
        SELECT count(*) FROM (
            SELECT row_number FROM (SELECT row_number, unnest({vocabularies.nationality_parts("nationality_text")}) AS part
                                    FROM incoming WHERE nationality_text IS NOT NULL) p
            JOIN vocab_nationality v ON v.alias = label_key(p.part)
            GROUP BY row_number HAVING count(DISTINCT v.value) > 1)""").fetchone()[0]
    if n:
        return (f"{n:,} case(s) give more than one nationality: the first is stored (a case has one), the others "
                "are not kept")
    return None


def _classify(con, summary: LoadSummary) -> None:
    several = _more_than_one_nationality(con)
    if several:
        summary.warnings.append(several)
    whole, lead = _nationality_names()
    languages, unnamed = _language_answers("language_text")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE case_languages AS
        SELECT row_number, list(language ORDER BY pos) FILTER (WHERE language IS NOT NULL) AS languages,
               count(*) FILTER (WHERE trim(part) <> '' AND given(part) IS NOT NULL) AS parts
        FROM (SELECT p.*, coalesce(l.value, CASE WHEN given(p.part) IS NOT NULL AND {_plain("p.name")}
                                                 THEN p.name END) AS language
              FROM (SELECT *, {_without_after_words("trim(part)")} AS name
                    FROM (SELECT row_number, unnest(s) AS part, generate_subscripts(s, 1) AS pos
                          FROM (SELECT row_number, regexp_split_to_array(without_n_a({languages}),
                                                                         '\\s*(;|,|/|&|\\band\\b)\\s*') AS s
                                FROM incoming WHERE language_text IS NOT NULL))) p
              LEFT JOIN vocab_language_name l
                     ON l.alias = label_key({_without_after_words(_LEADING.format("p.part"))}))
        GROUP BY row_number
    """)
    needs_unnamed = con.execute(f"SELECT count(*) FILTER (WHERE {unnamed}) FROM incoming").fetchone()[0]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT i.* EXCLUDE (exploitation_text, nationality_text, age_text, language_text, _whole_nat, _lead_nat,
                            nrm_text, _nrm_value),
               coalesce(exploitation_type_of(i.exploitation_text), 'unknown') AS exploitation_type,
               coalesce(n.value, lead.value,
                        CASE WHEN {_plain("i._whole_nat")} THEN i._whole_nat
                             WHEN nullif(trim(i.nationality_text), '') IS NOT NULL THEN 'other' END) AS nationality,
               coalesce(ag.value, 'unknown') AS age_group,
               coalesce(cl.languages, []::VARCHAR[]) AS language_needs,
               coalesce(cl.parts, 0) AS _language_parts,
               ? AS source, ? AS load_id
        FROM (SELECT *, {whole} AS _whole_nat, {lead} AS _lead_nat FROM incoming) i
        LEFT JOIN case_languages cl ON cl.row_number = i.row_number
        LEFT JOIN vocab_nationality n ON n.alias = label_key(i._whole_nat)
        LEFT JOIN vocab_nationality lead ON lead.alias = label_key(i._lead_nat)
        LEFT JOIN vocab_age_group ag ON ag.alias = label_key(i.age_text)
    """, [summary.source, summary.load_id])
    con.execute("DROP TABLE case_languages")
    other, dropped = con.execute("""
        SELECT count(*) FILTER (WHERE nationality = 'other'), sum(_language_parts - len(language_needs))
        FROM incoming""").fetchone()
    con.execute("ALTER TABLE incoming DROP COLUMN _language_parts")
    if other:
        summary.warnings.append(f"{other:,} case(s) give a nationality that is no nationality we know, in words that "
                                "may name someone: stored as 'other' (the words are not shown or kept)")
    # Only the plain names kept as written are listed, as a report's are: the dashboard shows them anyway, and
    # words that may name someone are 'other', counted above and never shown.
    unknown = vocabularies.unknown_nationalities(con, "[nationality]", "incoming", "nationality <> 'other'",
                                                 show_values=False)
    if unknown:
        summary.warnings.append(unknown)
    if dropped:
        summary.warnings.append(f"{int(dropped):,} language entr(y/ies) that name no language we know were not "
                                "stored (the words are not shown or kept)")
    if needs_unnamed:
        summary.warnings.append(f"{needs_unnamed:,} case(s) say an interpreter is needed without naming the "
                                "language: stored with no language")
