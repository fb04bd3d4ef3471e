"""Put the TOML vocabularies into temp tables, so category matching is a join, not a Python loop."""
from __future__ import annotations

import re

import duckdb

from etl import vocab


def register(con: duckdb.DuckDBPyConnection) -> None:
    for section, table in (("source_type", "vocab_source_type"), ("exploitation_type", "vocab_exploitation"),
                           ("age_group", "vocab_age_group"), ("boolean", "vocab_boolean")):
        _alias_table(con, table, vocab.alias_table(section))
    _alias_table(con, "vocab_nationality", vocab.nationality_aliases())
    # One name of a nationality cell without what a writer adds to it (NATIONALITY_QUALIFIERS), as it is looked up.
    con.execute(f"CREATE OR REPLACE TEMP MACRO nationality_name(s) AS trim(regexp_replace(regexp_replace("
                f"s, '{NATIONALITY_QUALIFIERS}', '', 'gi'), '{NATIONALITY_QUALIFIERS}', '', 'gi'))")
    # An exploitation type as written, else the first type of a list ("Labour, Criminal", "Labour/Sexual": see
    # `several_exploitation_types`), else as written before a note; NULL when none is in the vocabulary.
    # Not by words inside the value, as source types are (`by_words`): police.uk's "Violence and sexual
    # offences" is no sexual exploitation.
    con.execute(f"CREATE OR REPLACE TEMP MACRO exploitation_types_in(s) AS {_exploitation_types_in()}")
    con.execute("CREATE OR REPLACE TEMP MACRO exploitation_type_of(s) AS coalesce("
                "(SELECT value FROM vocab_exploitation WHERE alias = label_key(s)), exploitation_types_in(s)[1], "
                "(SELECT value FROM vocab_exploitation WHERE alias = label_key(leading_label(s))))")
    _word_table(con, "vocab_source_type_words", "source_type")
    # A case's NRM referral: the yes/no words and caseworkers' own (declined, DtN, positive RG: categories.toml).
    _alias_table(con, "vocab_nrm_referred", {**vocab.alias_table("boolean"), **vocab.alias_table("nrm_referred")})
    _word_table(con, "vocab_nrm_referred_words", "boolean", "nrm_referred")
    languages = [(nat, langs) for nat, langs in vocab.nationality_languages().items()]
    names = {lang for langs in vocab.nationality_languages().values() for lang in langs}
    _alias_table(con, "vocab_language_name", {vocab.normalise_label(n): n for n in sorted(names)})
    con.execute("CREATE OR REPLACE TEMP TABLE vocab_languages (nationality VARCHAR, languages VARCHAR[])")
    con.executemany("INSERT INTO vocab_languages VALUES (?, ?)", languages)


# How a cell lists exploitation types: "Labour, Criminal", "Labour/Sexual", "Sexual & criminal", "Labour and
# sexual". Not a spaced dash: "Criminal - county lines" is a type and its note (`leading_label`).
EXPLOITATION_LIST = r"(?i)\s*(?:,|;|/|&|\+|\||\band\b)\s*"


def _exploitation_types_in(cell: str = "s") -> str:
    """SQL: the exploitation types `cell` lists, in order, each part read before its note, 'unknown' and parts
    in no vocabulary left out. The aliases are a constant map: DuckDB runs no subquery inside a lambda."""
    pairs = ", ".join(f"'{k}': '{v}'" for k, v in vocab.alias_table("exploitation_type").items())
    return (f"list_filter(list_transform(regexp_split_to_array({cell}, '{EXPLOITATION_LIST}'), "
            f"ex_part -> (MAP {{{pairs}}})[label_key(leading_label(ex_part))]), "
            "ex_type -> ex_type IS NOT NULL AND ex_type <> 'unknown')")


def several_exploitation_types(con, column: str) -> str | None:
    """The note that rows of `parsed` name more than one exploitation type, with how many name each set: the
    first is stored (a row has one type), so the dashboard counts such a victim or report under it only. Only
    the vocabulary's names are shown, never the cell, which may carry a caseworker's note."""
    # Per distinct value, then weighted by its rows: a national file has millions of rows and a handful of values.
    # The distinct values are gathered first, in a table of their own: written as one statement, DuckDB ran the
    # list macro on every row (a minute on 2,000,000 rows).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE exploitation_given AS
        SELECT {column} AS v, count(*) AS rows_ FROM parsed WHERE reason IS NULL AND {column} IS NOT NULL
        GROUP BY 1""")
    rows = con.execute("""
        WITH lists AS (SELECT exploitation_types_in(v) AS t, rows_ FROM exploitation_given
                       WHERE label_key(v) NOT IN (SELECT alias FROM vocab_exploitation))
        SELECT array_to_string(types, ' + ') AS shown, sum(rows_)::BIGINT AS n
        FROM (SELECT list_filter(t, (x, i) -> list_position(t, x) = i) AS types, rows_ FROM lists)
        WHERE len(types) > 1 GROUP BY 1 ORDER BY n DESC, shown""").fetchall()
    con.execute("DROP TABLE exploitation_given")
    if not rows:
        return None
    shown = ", ".join(f"{v} ({n:,})" for v, n in rows[:5]) + (" …" if len(rows) > 5 else "")
    return (f"{sum(n for _, n in rows):,} row(s) name more than one exploitation type, stored as the first named "
            f"(counted under that type only): {shown}")


# What stands for the "and" of a name kept whole while a list is split (the ASCII unit separator: never typed).
KEPT_AND = "chr(31)"


def names_with_and_kept(text_expr: str) -> str:
    """SQL: `text_expr` with the "and" of every name in nationality_names_with_and.toml replaced by KEPT_AND,
    so splitting a list on "and" leaves "Trinidad and Tobago" whole; put the "and" back after splitting."""
    sql = text_expr
    for name in vocab.load("nationality_names_with_and")["names"]:
        left, right = (r"\s+".join(re.escape(w) for w in part.split()) for part in name.split(" and ", 1))
        pattern = f"(?i)\\b({left})\\s+and\\s+({right})\\b".replace("'", "''")
        sql = f"regexp_replace({sql}, '{pattern}', '\\1 ' || {KEPT_AND} || ' \\2', 'g')"
    return sql


# What writers add to a nationality, removed before it is looked up (twice, for "Chinese nationals x4"): a count
# ("x3", "(2)", "x2 Polish"), a question mark, a hedge before it ("possibly"), "nationals" or "men" after it, or
# alone. Reports and victim cases read a nationality alike (`nationality_name`, `nationality_parts`): a case's
# "Lithuanian national" is Lithuanian, as a report's is.
NATIONALITY_QUALIFIERS = (r"^\s*[x×]?\s*\d+\s*$|\s*[x×]\s*\d+\s*$|^\s*[x×]\s*\d+\s+|\?"
                          r"|^\s*(possibly|believed|suspected|probably|maybe|poss\.?)(\s+|$)"
                          r"|(^|\s+)(nationals?|males?|females?|men|women|people|persons?)\s*$")


def nationality_parts(text_sql: str) -> str:
    """SQL: the names a nationality cell gives, in order, each as `nationality_name` reads it; a bracket is a part
    of its own ("Lithuanian (poss Latvian)" is two), "Trinidad and Tobago" one, and no-value words ("N/A") none.
    The one reading of a nationality cell: a report keeps every name (`nationality_lists`), a victim case its
    first (etl/loaders/cases.py)."""
    raw = (f"regexp_split_to_array(regexp_replace({names_with_and_kept(f'without_n_a({text_sql})')}, '[()]', ';', 'g'), "
           "'\\s*(;|,|/|&|\\+|\\band\\b|\\bor\\b)\\s*')")
    return (f"list_filter(list_transform({raw}, nt_part -> nationality_name(replace(nt_part, {KEPT_AND}, 'and'))), "
            "nt_part -> nt_part <> '' AND given(nt_part) IS NOT NULL)")


def nationality_lists(cell: str, rows: str = "stage") -> tuple[str, str]:
    """(CTE, LEFT JOIN) bringing `nt_names`, the sorted nationalities of the cell `cell` (SQL over `rows`), read once
    per distinct cell: each name in the vocabulary as it stores it, any other as written (`nationality_parts`)."""
    return (f"""nationality_names AS (
                SELECT nt_text, list(DISTINCT coalesce(n.value, part) ORDER BY coalesce(n.value, part)) AS nt_names
                FROM (SELECT nt_text, unnest({nationality_parts("nt_text")}) AS part
                      FROM (SELECT DISTINCT {cell} AS nt_text FROM {rows})) p
                LEFT JOIN vocab_nationality n ON n.alias = label_key(p.part)
                GROUP BY 1)""",
            f"LEFT JOIN nationality_names ON nationality_names.nt_text = {cell}")


def unknown_nationalities(con, names: str, table: str, where: str = "TRUE", show_values: bool = True) -> str | None:
    """The warning naming the nationalities outside the vocabulary, with how many rows give each: kept as written,
    they bring no language, and a misspelling ("Ukranian") or a region ("Eastern European") can then be fixed in
    the file or added to etl/vocab/nationalities.toml. `names` is SQL for a row's list of them, over the rows of
    `table` that `where` keeps. Victim cases pass `show_values=False`: a rare nationality with its count, or a
    name written where the nationality goes, could point at one person, so only how many is said."""
    found = con.execute(f"""
        SELECT name, sum(n) AS n FROM (SELECT unnest(names) AS name, n
                                       FROM (SELECT {names} AS names, count(*) AS n FROM {table}
                                             WHERE {where} GROUP BY 1))
        WHERE name NOT IN (SELECT value FROM vocab_nationality)
        GROUP BY 1 ORDER BY n DESC, name LIMIT 6""").fetchall()
    if not found:
        return None
    if not show_values:
        rows = con.execute(f"""
            SELECT count(*) FROM (SELECT {names} AS names FROM {table} WHERE {where}) t
            WHERE EXISTS (SELECT 1 FROM (SELECT unnest(t.names) AS name) u
                          WHERE u.name NOT IN (SELECT value FROM vocab_nationality))""").fetchone()[0]
        return (f"{rows:,} row(s) give a nationality not in the vocabulary (etl/vocab/nationalities.toml), kept as "
                "written but with no language to bring; not shown here, as a victim's values never are: find them "
                "in the file, and add a misspelling or another language's name to the vocabulary")
    shown = ", ".join(f"{v!r} ({int(n)})" for v, n in found[:5]) + (" …" if len(found) > 5 else "")
    return ("nationalities not in the vocabulary (etl/vocab/nationalities.toml), kept as written but with no "
            f"language to bring: {shown}")


def _alias_table(con, table: str, aliases: dict[str, str]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (alias VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?)", list(aliases.items()))


# Aliases shorter than this ("la", "pc") are too likely to be a piece of another word's abbreviation to be
# looked for as a word inside a longer value.
MIN_WORD_ALIAS = 3


def _word_table(con, table: str, *sections: str) -> None:
    """(words, n, value) per alias of categories.toml sections, for `by_words`."""
    rows = []
    for value, aliases in (item for section in sections for item in vocab.load("categories")[section].items()):
        for alias in {value, *aliases}:
            words = re.findall(r"[a-z0-9]+", alias.lower())
            if words and len("".join(words)) >= MIN_WORD_ALIAS:
                rows.append((words, len(words), value))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (words VARCHAR[], n INTEGER, value VARCHAR)")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", rows)


def by_words(text: str, table: str) -> str:
    """SQL: the category whose alias's words all appear among `text`'s words, the alias with the most words
    winning; NULL when none does, or when the best are of different categories.

    A source column says who reported in its own words: police.uk's "Cambridgeshire Constabulary",
    "Fenland District Council", "Member of the public". No alias list holds every force and council,
    but "constabulary", "council" and "public" name the kind of source. Used only where a word can't
    mislead: not for exploitation types, where police.uk's crime type "Violence and sexual offences"
    is no sexual exploitation.
    """
    return (f"(SELECT CASE WHEN count(DISTINCT value) = 1 THEN any_value(value) END FROM ("
            f"SELECT value, n, max(n) OVER () AS top FROM {table} "
            f"WHERE list_has_all(regexp_split_to_array(lower({text}), '[^a-z0-9]+'), words)) WHERE n = top)")


def warn_unmapped(con, summary, *columns: tuple) -> None:
    """For each (column, vocabulary table, what, fallback[, stored column]): say which values fell outside
    the vocabulary."""
    for column, vocab_table, what, fallback, *stored in columns:
        warning = unmapped_warning(con, column, vocab_table, what, fallback, *stored)
        if warning:
            summary.warnings.append(warning)
        # A list of types is read as its first (`exploitation_type_of`), for reports and cases alike: say so.
        several = several_exploitation_types(con, column) if vocab_table == "vocab_exploitation" else None
        if several:
            summary.warnings.append(several)


def unmapped_warning(con, column: str, vocab_table: str, what: str, fallback: str,
                     stored: str | None = None) -> str | None:
    """Values outside a vocabulary are stored as `fallback`; the summary says which, so none vanish silently.

    `stored` names the parsed column holding the stored category, when a value may be matched other than
    by its alias (`by_words`): only values stored as `fallback` are then listed."""
    kept = f"AND {stored} = '{fallback}'" if stored else ""
    rows = con.execute(f"""
        SELECT value, n FROM (SELECT {column} AS value, count(*) AS n FROM parsed
                              WHERE reason IS NULL AND {column} IS NOT NULL {kept} GROUP BY 1)
        WHERE label_key(value) NOT IN (SELECT alias FROM {vocab_table})
        ORDER BY n DESC, value LIMIT 6
    """).fetchall()
    if not rows:
        return None
    shown = ", ".join(f"{v!r} ({n})" for v, n in rows[:5]) + (" …" if len(rows) > 5 else "")
    return f"{what} not in the vocabulary, stored as '{fallback}': {shown}"


def indicator_codes_sql(text_expr: str) -> str:
    """The sorted indicator codes whose patterns match `text_expr`, as given: a report's text is first read with
    its negations set aside (`negation_sql`, as `sign_lookups` does).

    Patterns are written into the SQL as constants so DuckDB compiles each regex once, not
    once per row; they come from our own vocabulary file, quoted as SQL strings.
    """
    checks = []
    for code, spec in sorted(vocab.load("indicators").items()):
        pattern = ("(?i)" + "|".join(spec["patterns"])).replace("'", "''")
        checks.append(f"CASE WHEN regexp_matches({text_expr}, '{pattern}') THEN '{code}' END")
    return f"coalesce(list_filter([{', '.join(checks)}], x -> x IS NOT NULL), []::VARCHAR[])"


def negation_sql(text_expr: str) -> str:
    """SQL: `text_expr` as read for signs, each negated span set aside (etl/vocab/negation.toml), its cue kept.

    A welfare check's "no signs of abuse, not overcrowded" gave signs_of_abuse and overcrowding, and a reassuring
    visit pushed its address up the visit list. One regexp_replace, left to right: at each place a sign phrase
    (indicators.toml) that its clause goes on to negate ("mattresses not seen", "signs of abuse - none") is set
    aside up to that cue; else a sign phrase or a phrase that only looks like a negation is kept as written, else
    a negation cue keeps itself and drops the rest of its clause. So "no pay" and "not allowed to leave" stay
    signs, and "no signs of abuse but bruising" keeps "but bruising". The cue stays so that "curtains not drawn"
    is not read as the bare item "curtains". Text with no cue (most of a big file's) is only tested for one, a
    cheap match without groups: the replacement, which keeps every sign phrase it passes, costs about what
    matching the codes does. The patterns are constants of the SQL, so the fingerprint of the matching
    (etl/indicator_rematch.py) changes with the negation rules."""
    rules = vocab.load("negation")
    signs = [p for _, spec in sorted(vocab.load("indicators").items()) for p in spec["patterns"]]
    kept = _alternatives([*rules["not_negations"], *signs])
    cues = _alternatives(rules["cues"])
    ends = _alternatives([*rules["clause_ends"],
                          f"\\s+{_alternatives(rules['reopeners'])}\\b",
                          f"\\s+{_alternatives(rules['joins'])}\\s+{_alternatives(rules['new_things'])}\\b"])
    plain = [p for p in signs if not _worded_as_negation(p, rules["cues"])]
    pattern = (f"(?i){_negated_after(rules, _alternatives(plain), ends)}"
               f"|({kept})|\\b({cues})\\b.*?({ends}|$)").replace("'", "''")
    any_cue = (f"(?i)\\b{_alternatives([*rules['cues'], *rules['after_cues'], *rules['answers']])}"
               ).replace("'", "''")
    return (f"CASE WHEN regexp_matches({text_expr}, '{any_cue}') "
            f"THEN regexp_replace({text_expr}, '{pattern}', '\\1\\2\\3\\4\\5', 'g') ELSE {text_expr} END")


def _negated_after(rules: dict, signs: str, ends: str) -> str:
    """A sign phrase and the words after it in its clause up to an after cue, the cue captured (group 1), or up to
    a checklist's lone answer, captured with the clause's end (group 2): "bruising was ruled out" is read "ruled
    out", "signs of abuse - none." "signs of none.". The phrase must end a word (so a phrase ending in its list's
    ";" reaches no further), and each word between is one the cue may reach back over (`_other_word`): not "seen"
    ("van seen at 5am and mattresses not found" keeps the van), nor a reopener ("bruising but mattresses not seen")."""
    stops = [*rules["seen_words"], *(r.split()[0] for r in rules["reopeners"])]
    after = _alternatives(rules["after_cues"])
    answer = _alternatives([*rules["answers"], *rules["after_cues"]])
    return (f"{signs}\\w*\\b(?:[ \\t]+{_other_word(stops)})*?"
            f"(?:[ \\t]+({after})|[ \\t]*{_alternatives(rules['answer_marks'])}[ \\t]*({answer}[ \\t]*(?:{ends}|$)))")


def _worded_as_negation(pattern: str, cues: list[str]) -> bool:
    """Whether a sign phrase says what is missing or not allowed ("no pay", "not allowed out", "can['’]t leave"), as
    its pattern is written: such a phrase is a sign whatever follows it, so an after cue does not set it aside
    ("not allowed out and bruising ruled out" is still restricted movement)."""
    words = re.sub(r"\\[bBwWsSdD]|[\[\]()?*+|^$]", " ", pattern.replace("['’]", "'"))
    return any(re.search(rf"(?i)\b(?:{cue})\b", words) for cue in cues)


def _alternatives(patterns: list[str]) -> str:
    return "(?:" + "|".join(_non_capturing(p) for p in patterns) + ")"


def _other_word(words: list[str]) -> str:
    """A regex for one word (a letter or digit, then letters, digits, apostrophes, hyphens or slashes) that is none
    of `words`, any case. RE2 has no lookahead, so the words are spelled out as a tree: at each letter, either
    another letter (then anything), or the word ends short of one of `words`, or it goes on along one of them."""
    tree: dict = {}
    for word in words:
        if not re.fullmatch(r"[a-z]+", word.lower()):
            raise ValueError(f"negation.toml: {word!r} must be a plain word")
        node = tree
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = {}

    def rest(node: dict, first: bool) -> str:
        letters = "".join(sorted(k for k in node if k))
        other = f"[^\\W{letters}]" if first else f"(?:[^\\W{letters}]|['’/-])"
        alts = [f"{other}[\\w'’/-]*"] + [f"{ch}{rest(node[ch], False)}" for ch in sorted(k for k in node if k)]
        if not first and "" not in node:
            alts.append("")                     # the word ends before it becomes one of `words`
        return "(?:" + "|".join(alts) + ")"
    return rest(tree, True)


def _non_capturing(pattern: str) -> str:
    """`pattern` in a group of its own whose groups capture nothing, so `negation_sql` can refer to its own three."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append("(?:" if ch == "(" and not in_class and pattern[i + 1:i + 2] != "?" else ch)
        i += 1
    return "(?:" + "".join(out) + ")"


# A report's signs: those of its indicators text and of its summary, each code once, sorted; SQL over the columns
# `sign_lookups` brings. The two texts are matched apart, once per distinct value: a partner writes "no ID documents"
# as the indicator and "nail bar staff living on site" in the details, and a big file's summaries repeat far less
# than its indicators, so matching each pair would repeat the indicators' patterns on almost every row. The union is
# an OR of the two masks; the lists are joined only when each text adds a code the other lacks (`indicator_codes`).
SIGNS = ("CASE WHEN in_bits | is_bits = in_bits THEN in_codes WHEN in_bits | is_bits = is_bits THEN is_codes "
         "ELSE indicator_codes(in_bits | is_bits) END")
SIGN_BITS = "in_bits | is_bits"


def sign_lookups(indicators_text: str, summary: str, rows: str = "stage") -> list[tuple[str, str]]:
    """(CTE, LEFT JOIN) pairs matching each distinct indicators text and each distinct summary of the table `rows`
    against the vocabulary once, and bringing `in_codes`, `in_bits`, `is_codes`, `is_bits` back to every row, for
    `SIGNS` and `SIGN_BITS`. `indicators_text` and `summary` are SQL over `rows`; indicator_mask must be defined
    (etl/indicator_bits.py). Each text is read without what it says was not seen (`negation_sql`) before it is
    matched: "no signs of abuse" is no sign of abuse.

    The one matching of a report's text: a load reads its file's cells (`rows` = the staged file), and a changed
    vocabulary re-reads the stored reports' (etl/indicator_rematch.py), so a text gets the same signs whenever it
    was loaded. NULL matches NULL, as in `tabular.once_per_value`, whose shape this is."""
    return [_matched_once("indicator_texts", "in", indicators_text, rows),
            _matched_once("summary_signs", "is", summary, rows)]


def _matched_once(name: str, prefix: str, text_sql: str, rows: str) -> tuple[str, str]:
    text, read, codes = f"{prefix}_text", f"{prefix}_read", f"{prefix}_codes"
    cte = (f"{name} AS (SELECT *, indicator_mask({codes}) AS {prefix}_bits FROM ("
           f"SELECT *, {indicator_codes_sql(read)} AS {codes} FROM ("
           f"SELECT *, {negation_sql(text)} AS {read} FROM ("
           f"SELECT DISTINCT {text_sql} AS {text} FROM {rows}))))")
    return cte, f"LEFT JOIN {name} ON {name}.{text} IS NOT DISTINCT FROM {text_sql}"


def word_matches(con, column: str, vocab_table: str, stored: str, what: str) -> str | None:
    """Values matched by a word in them (`by_words`), with the category each was stored as: a guess to check."""
    rows = con.execute(f"""
        SELECT value, category, n FROM (SELECT {column} AS value, {stored} AS category, count(*) AS n FROM parsed
                                        WHERE reason IS NULL AND {column} IS NOT NULL GROUP BY ALL)
        WHERE label_key(value) NOT IN (SELECT alias FROM {vocab_table})
          AND category IS NOT NULL AND NOT (category = 'other')
        ORDER BY n DESC, value LIMIT 6
    """).fetchall()
    if not rows:
        return None
    shown = ", ".join(f"{v!r} as {c!r} ({n})" for v, c, n in rows[:5]) + (" …" if len(rows) > 5 else "")
    return f"{what} read by a word in them (add them to etl/vocab/categories.toml to be sure): {shown}"


# How a cell of indicators is cut into items for `unmatched_indicators`: partners list signs with semicolons,
# commas, bars or one to a line, some with bullets. Not on "and" or "/": "coming and going" is one sign, and
# "24/7" no list. The codes are matched against the whole text all the same (`indicator_codes_sql`).
INDICATOR_ITEMS = r"\s*[;,|\n\r•]+\s*"
INDICATOR_ITEM_EDGES = r"^[\s\-*•·]+|[\s.]+$"


def unmatched_indicators(con) -> str | None:
    """Items of the indicators cells that match no pattern in etl/vocab/indicators.toml, with how many reports
    give each: kept in `indicators_text`, but no sign to the visit list, its filter or its reasons.

    Without this, "forced begging" or "cuckooing" vanished silently. Counted per distinct cell, then per
    distinct item, so a big file's indicators (which repeat) cost little; a cell saying no value ("N/A",
    "none": `given`) is no item, nor one saying what was not seen ("None seen", "no concerns", "nothing seen",
    "no bars on windows": `negation_sql` sets some of it aside), which is no unknown sign."""
    rows = con.execute(f"""
        WITH cells AS (SELECT indicators_text AS cell, count(*) AS n FROM parsed
                       WHERE reason IS NULL AND indicators_text IS NOT NULL GROUP BY 1),
        items AS (SELECT cell, any_value(n) AS n, lower(item) AS key, min(item) AS item FROM (
                      SELECT cell, n, trim(regexp_replace(part, '{INDICATOR_ITEM_EDGES}', '', 'g')) AS item
                      FROM (SELECT cell, n, unnest(regexp_split_to_array(cell, '{INDICATOR_ITEMS}')) AS part FROM cells))
                  WHERE item <> '' AND given(item) IS NOT NULL
                  GROUP BY cell, key),
        unmatched AS (SELECT key FROM (SELECT DISTINCT key FROM items)
                      WHERE {negation_sql('key')} = key AND len({indicator_codes_sql('key')}) = 0)
        SELECT min(item) AS shown, sum(n) AS n, count(*) OVER () AS kinds
        FROM items WHERE key IN (SELECT key FROM unmatched)
        GROUP BY key ORDER BY n DESC, shown LIMIT 6""").fetchall()
    if not rows:
        return None
    shown = ", ".join(f"{v!r} ({int(n)})" for v, n, _ in rows[:5])
    more = f" … ({rows[0][2]} different in all)" if len(rows) > 5 else ""
    return ("indicator text matching no sign in the vocabulary (etl/vocab/indicators.toml), kept as written but "
            "not counted as a sign (visit list ranking, reasons, \"Indicators seen\" filter): "
            f"{shown}{more}; add a pattern to the vocabulary if it is one")
