"""Reports of suspicious activity, from the public, police, councils, GLAA, NCA and the helpline.

Keyed by reference within a source: a corrected re-export updates its rows. Indicators
are matched against a fixed vocabulary and the original text is kept beside them.
"""
from __future__ import annotations

import functools
from pathlib import Path

from etl import address_ids, counts, report_refs, vocab
from etl.loaders import checks, report_checks, sign_flags, tabular, vocabularies
from etl.summary import LoadSummary

# The file's own point is `lat`, `lon` while parsing (geocoding fills them only later, in `incoming`).
CONTENT = ["report_ref", "received_on", "source_type_text", "address", "postcode", "lat", "lon",
           "indicators_text", "exploitation_text", "nationalities_text", "people_count", "grading", "summary"]
STORED = ["report_ref", "received_on", "source_type", "address", "postcode", "lat", "lon", "geocode_status",
          "location_flag", "district_code", "lsoa_code", "indicators", "indicators_text", "exploitation_type",
          "nationalities", "people_count", "grading", "source_evaluation", "intelligence_assessment",
          "handling_code", "summary", "source", "load_id", "row_number", "row_hash", "h3_7", "h3_8", "h3_9", "addr_key", "house_no",
          "indicator_bits", "addr_id"]
# Columns of `parsed` that only its checks and warnings read. Dropped once they have run (at once: DuckDB frees
# a dropped column without copying the table), so a big file's rows take less memory while they are geocoded and
# stored: on the bench's 2,000,000-row file, 180 MB of its rows' 1.4 GB, which went past the ETL's memory cap.
PARSE_ONLY = ("source_type_text", "_source_type_given", "exploitation_text", "nationalities_text", "_people_words", "_old_grading",
              "_other_grading", "_address_postcode", "_half", "_half_given")
GRADING_RE = "^([1-3])([A-E])([PC])$"
# Many forms leave the handling code off ("1-B"): the source evaluation, which weights the report, is there.
PARTIAL_GRADING_RE = "^([1-3])([A-E])$"
# The 5x5x5 grading the 3x5x2 replaced in 2016 (source A-E, intelligence 1-5, handling 1-5, often left off):
# older intelligence still carries it. Its report is kept, the grading shown as given, and weighted as
# ungraded: the two scales do not map onto each other.
OLD_GRADING_RE = "^([A-E])([1-5])([1-5]?)$"
# The shape of either scale with a part out of range ("9-Z-Q", "F9"): a slip worth fixing, so its row is
# rejected saying so. Any other grading ("B", "High", "Grade 2": a partner's own scale) keeps its report, as
# given and marked "(other scale)", weighted as ungraded and counted in the summary: rejecting it would
# reject every row of such a partner's file, and the report matters more than its grade.
GRADING_SLIP_RE = "^([0-9][A-Z][A-Z0-9]?|[A-Z][0-9]{1,2})$"
OTHER_SCALE = " (other scale)"
# A range of people seen ("5-6", "about 5 to 6", "5 or 6 men", "3, 4"): its two ends.
_PEOPLE_RANGE = r"^\D{0,12}?(\d{1,5}) *(?:-|–|to|or|, ) *(\d{1,5})\D{0,12}$"
# More people than this seen at one address is a typo or a number from another column (a phone number, an
# Excel date), not a sighting: the largest finds of exploited people at one address are in the hundreds.
MOST_PEOPLE_SEEN = 1000


def _grading_compact(c) -> str:
    """One 3x5x2 string from a grading column, or from three separate columns."""
    joined = f"concat_ws('', {c('source_evaluation')}, {c('intelligence_assessment')}, {c('handling_code')})"
    # A note of the scale ("B-2-4 (5x5x5)", "B (other scale)", as stored, "1-A-P (3x5x2)") is no part of it.
    scale = "regexp_replace(upper(coalesce({g}, {j})), '[(]?\\s*([35]X5X[25]|OTHER SCALE)\\s*[)]?', '', 'g')".format(
        g=c('grading'), j=joined)
    return f"nullif(regexp_replace({scale}, '[^0-9A-Z]', '', 'g'), '')"


def _grading_as_given() -> str:
    """SQL: a grading on another scale as the file gives it, without a note of ours, short enough to show."""
    given = ("trim(coalesce(gr_grading, concat_ws('-', gr_source_evaluation, gr_intelligence_assessment, "
             "gr_handling_code)))")
    return f"left(trim(regexp_replace({given}, '\\s*[(]other scale[)]\\s*$', '', 'i')), 40)"


def _people_seen_problem() -> str:
    """Why a number of people seen is rejected, or NULL; SQL over the `people` lookup's columns.

    The loose readings ("about 8", "5-6", "3 men and 2 women") are for words around whole numbers. A
    plain number is taken exactly or not at all: '-3' and '12.5' are no count of people, and '1e3' (a
    spreadsheet's scientific notation, or a slip of the keyboard) must not quietly become 1000.
    """
    said = "'number of people ' || shown(np_value) || "
    return f"""CASE WHEN np_value IS NULL THEN NULL
        WHEN letter_for_digit(np_value)
        THEN {said}' has a letter where a digit may be meant (O for 0, I or l for 1): not read as a number'
        WHEN np_number IS NOT NULL AND regexp_matches(np_value, '[eE]')
        THEN {said}' is in scientific notation, not a whole number of people'
        WHEN np_number <> floor(np_number) THEN {said}' is not a whole number'
        WHEN coalesce(np_number, np_count) < 0 THEN {said}' is negative'
        WHEN coalesce(np_number, np_count) > {MOST_PEOPLE_SEEN}
        THEN {said}' is more than {MOST_PEOPLE_SEEN:,}: not plausible'
        WHEN np_count IS NULL AND regexp_matches(np_value, '[0-9]') THEN {said}' is not a number' END"""


@functools.cache
def _police_uk() -> dict:
    """etl/vocab/police_uk.toml, read once: a reports load asks about it several times."""
    return vocab.load("police_uk")


def police_uk_download(staged) -> bool:
    """Whether the file is police.uk's street-level crime download (etl/vocab/police_uk.toml), by its headers."""
    table = _police_uk()
    given = {vocab.normalise_label(h) for h in staged.match.headers if h}
    return sum(vocab.normalise_label(h) in given for h in table["headers"]) >= int(table["min_headers"])


def _source_type_text(staged) -> str:
    """SQL: who reported, as written; police.uk's download says the force ("Cambridgeshire Constabulary"), which
    would make every street crime a police report."""
    if police_uk_download(staged):
        return "'" + _police_uk()["source_type"].replace("'", "''") + "'"
    return staged.column("source_type")


def _source_type_of(text: str) -> str:
    """SQL: the source type `text` (SQL) names, by an alias, else by a word in it (`vocabularies.by_words`:
    "Fenland District Council" is a council); NULL when it names none."""
    return (f"coalesce((SELECT value FROM vocab_source_type WHERE alias = label_key({text})), "
            f"{vocabularies.by_words(text, 'vocab_source_type_words')})")


def _type_from_source_name(con, staged, summary: LoadSummary) -> str | None:
    """The source type of a file with no source type column, read from the --source name as a column's value would
    be ("Modern Slavery Helpline" is helpline), once: every row of the file is from that source. None, so the rows
    stay 'other', when the file has such a column (or is police.uk's download), when no --source was given (a file
    name, "export_2024_helpline_check", is no word on who reported), or when the name gives no type but 'other'."""
    if police_uk_download(staged) or staged.match.has("source_type") or not summary.source_given:
        return None
    named = con.execute(f"SELECT {_source_type_of('sn_name')} FROM (SELECT ?::VARCHAR AS sn_name)",
                        [summary.source]).fetchone()[0]
    return None if named == "other" else named


def _summary_text(staged) -> str:
    """SQL: the report's text; police.uk's has none, and its crime type, kept nowhere else, becomes it."""
    c = staged.column
    if police_uk_download(staged) and not staged.match.has("summary"):
        prefix = _police_uk()["summary_prefix"].replace("'", "''")
        return f"CASE WHEN {c('exploitation_type')} IS NOT NULL THEN '{prefix}' || {c('exploitation_type')} END"
    return c("summary")


def _exploitation_text(staged) -> str:
    """SQL: the exploitation type as written; none for police.uk, whose crime type ("Violence and sexual offences")
    is no exploitation type and was listed, all 14 of them, as types missing from the vocabulary."""
    return "NULL::VARCHAR" if police_uk_download(staged) else staged.column("exploitation_type")


def _lookups(staged) -> list[tuple[str, str]]:
    """The per-value parsing and mapping of a reports file, each run once per distinct value
    (`tabular.once_per_value`): a big file repeats the same dates, postcodes, categories and texts."""
    c = staged.column
    grading_fields = ("grading", "source_evaluation", "intelligence_assessment", "handling_code")
    compact = _grading_compact(lambda f: f"gr_{f}")
    numbers = ("lat", "lon", "easting", "northing", "x", "y")
    point_fields = (*numbers, "coordinates", "grid_ref")
    parsed_once: dict[str, str] = {}     # values the point's expressions read many times, computed beforehand
    point = checks.location(staged, col=lambda f: f"pv_{f}", num=lambda f: f"pn_{f}", bng_point_name="pt_bng",
                            once=checks.computed_once(parsed_once), half_pairs_set_aside=True)
    return [
        tabular.once_per_value("dates", {"dt_value": c("received_on")}, {"dt_date": "parse_date(dt_value)"}),
        tabular.once_per_value("postcodes_given", {"pc_value": c("postcode")}, {
            "pc_norm": "postcode_in_cell(pc_value)", "pc_outward": "outward_code(pc_value)", "pc_upper": "upper(pc_value)"}),
        tabular.once_per_value("addresses", {"ad_value": c("address")}, {
            "ad_postcode": "postcode_in_text(ad_value)",
            "ad_key": "address_key(ad_value)", "ad_house": "house_number(address_key(ad_value))"}),
        tabular.once_per_value("points", {f"pv_{f}": c(f) for f in point_fields},
                               {**{f"pn_{f}": f"{checks.PARSER.get(f, 'parse_number')}(pv_{f})" for f in numbers},
                                **parsed_once},
                               then=[{"pt_bng": point.bng_point},
                                     {"pt_lat": point.lat, "pt_lon": point.lon, "pt_coarse": point.coarse,
                                      "pt_problem": checks.reasons(point.checks),
                                      "pt_half": point.half, "pt_half_given": point.half_given}]),
        # People seen, as the public writes it: "about 8" and "8 men" are 8, "ten" is 10, a range "5-6"
        # its lower end (those surely seen), groups "3 men and 2 women" their sum. Words without a number
        # ("several") keep the report without a count, and the summary says so; text with numbers that
        # is none of these ("3 vans 2 cars") is rejected, not guessed, and so are negative, fractional and
        # implausibly large counts (`_people_seen_problem`). `np_number`: the value when it is a plain number.
        tabular.once_per_value("people", {"np_value": c("people_count")}, {
            "np_range": f"regexp_extract(np_value, '{_PEOPLE_RANGE}', ['low', 'high'])",
            "np_number": "CASE WHEN isfinite(parse_number(np_value)) THEN parse_number(np_value) END"}, then=[{
            # INTEGER, as stored: list_sum gives HUGEINT, and a HUGEINT column costs a second more to carry and write.
            "np_count": "TRY_CAST(coalesce(least(try_cast(np_range.low AS INTEGER), try_cast(np_range.high AS INTEGER)),"
                        " parse_count(np_value),"
                        f" CASE WHEN regexp_full_match(lower(trim(np_value)), '{counts.people_groups_pattern()}')"
                        " THEN list_sum(CAST(regexp_extract_all(np_value, '[0-9]+') AS INTEGER[])) END,"
                        " CASE WHEN regexp_full_match(np_value, '\\D{0,12}\\d{1,5}\\D{0,12}')"
                        " THEN TRY_CAST(regexp_extract(np_value, '(\\d+)', 1) AS INTEGER) END) AS INTEGER)"}, {
            "np_vague": "np_value IS NOT NULL AND np_count IS NULL AND NOT regexp_matches(np_value, '[0-9]')",
            "np_problem": _people_seen_problem()}]),
        tabular.once_per_value("gradings", {f"gr_{f}": c(f) for f in grading_fields}, {
            "gr_compact": compact,
            "gr_new": f"regexp_full_match({compact}, '{GRADING_RE[1:-1]}')",
            "gr_part": f"regexp_full_match({compact}, '{PARTIAL_GRADING_RE[1:-1]}')",
            "gr_old": f"regexp_full_match({compact}, '{OLD_GRADING_RE[1:-1]}')",
            "gr_slip": f"regexp_full_match({compact}, '{GRADING_SLIP_RE[1:-1]}')"}, then=[{
            "gr_ok": "gr_new OR gr_part OR gr_old OR NOT gr_slip",
            "gr_other": "NOT (gr_new OR gr_part OR gr_old OR gr_slip)",
            "gr_text": f"CASE WHEN gr_new THEN regexp_replace({compact}, '{GRADING_RE}', '\\1-\\2-\\3') "
                       f"WHEN gr_part THEN regexp_replace({compact}, '{PARTIAL_GRADING_RE}', '\\1-\\2') "
                       f"WHEN gr_old THEN rtrim(regexp_replace({compact}, '{OLD_GRADING_RE}', '\\1-\\2-\\3'), '-')"
                       " || ' (5x5x5)' "
                       f"WHEN {compact} IS NOT NULL THEN {_grading_as_given()} || '{OTHER_SCALE}' END"}]),
        # "N/A", "NULL", "Unknown" are no source type (`given`, etl/vocab/no_value.toml), stored as a blank is.
        tabular.once_per_value("source_types", {"st_text": _source_type_text(staged)}, {"st_given": "given(st_text)"},
                               then=[{"st_value": f"coalesce({_source_type_of('st_given')}, 'other')"}]),
        tabular.once_per_value("exploitation_types", {"ex_text": _exploitation_text(staged)}, {
            "ex_value": "coalesce(exploitation_type_of(ex_text), 'unknown')"}),
        # Signs are read from both the indicators and the summary as stored (`vocabularies.SIGNS`), each text
        # matched once per value, as a changed vocabulary re-reads the stored reports' (etl/indicator_rematch.py).
        *vocabularies.sign_lookups(sign_flags.indicators_text(staged), _summary_text(staged)),
        # Each name of a list ("Romanian; Bulgarian"), without what a reporter adds to it ("Vietnamese
        # (believed)", "possibly Romanian", "Polish x3", "Romanian nationals", "Albanian?"), read as a case's is.
        vocabularies.nationality_lists(c('nationalities')),
    ]


def _match_earlier_forms(con, summary: LoadSummary) -> None:
    pairs = report_refs.match_earlier_forms(con, summary.source)
    if pairs:
        shown = ", ".join(f"{given!r} as {stored!r}" for given, stored in pairs[:3]) + (" …" if len(pairs) > 3 else "")
        summary.warnings.append(f"{len(pairs):,} reference(s) match an earlier load's written another way, and "
                                f"update those reports rather than adding copies: {shown}")


def _number_addresses(con, summary: LoadSummary) -> None:
    """Rows of one reference at different addresses are each kept, as parts of the report (etl/report_refs.py):
    say how many, and how they are stored, so the parts are found on the map and the visit list."""
    parts, reports, example = report_refs.number_addresses(con)
    if parts:
        shown = ", ".join(map(repr, example[:4])) + (" …" if len(example) > 4 else "")
        summary.warnings.append(f"{parts:,} row(s) kept as separate addresses of {reports:,} report(s), each report's "
                                f"rows sharing its reference but naming different addresses: stored as {shown}")


def _drop_stale_parts(con, summary: LoadSummary) -> None:
    removed, refs = report_refs.drop_stale_parts(con, summary.source)
    if removed:
        shown = ", ".join(map(repr, refs[:3])) + (" …" if removed > 3 else "")
        summary.warnings.append(f"{removed:,} address(es) of reports stored before removed: this file gives those "
                                f"reports fewer addresses, and so corrects them: {shown}")


def _warn_people_without_a_number(con, summary: LoadSummary) -> None:
    """Reports whose number of people is words alone ("several") keep no count: say so, with the words, so a
    phrase can be added to etl/vocab/counts.toml. Only a phrase of up to three plain words, lowercase after the
    first, is named: a "Victims" column may hold names ("Ana P., Ion M."), and a load's notes are kept and shown
    on the Data page, so anything else is counted, never shown."""
    plain = "regexp_full_match(_people_words, '\\pL+( \\p{Ll}+){0,2}')"
    rows = con.execute(f"""
        SELECT CASE WHEN {plain} THEN _people_words END AS words, count(*) AS n, sum(count(*)) OVER () AS total
        FROM parsed WHERE reason IS NULL AND _people_words IS NOT NULL
        GROUP BY 1 ORDER BY words IS NULL, n DESC, 1""").fetchall()
    if not rows:
        return
    named = [(v, n) for v, n, _ in rows if v is not None]
    shown = [f"{v!r} ({n})" for v, n in named[:5]] + (["…"] if len(named) > 5 else [])
    shown += [f"{n} with names or other text (not shown)" for v, n, _ in rows if v is None]
    summary.warnings.append(f"{int(rows[0][2])} report(s) give the number of people in words without a "
                            f"number, stored without a count: {', '.join(shown)}")


def _warn_unknown_nationalities(con, summary: LoadSummary) -> None:
    """Nationalities outside the vocabulary are kept as written, but get no language: say which, so a misspelling
    ("Ukranian") or a region ("Eastern European") can be fixed in the file or added to the vocabulary."""
    warning = vocabularies.unknown_nationalities(con, "nationalities", "parsed", "reason IS NULL")
    if warning:
        summary.warnings.append(warning)


def _note_no_source_type(con, summary: LoadSummary) -> None:
    """Reports whose source type cell is blank or says there is none ("N/A", "NULL", "Unknown") are stored as
    'other', as a file with no such column is: said once, with the words, so they are not mistaken for the
    partners the 'Other' filter means, and are not listed as words the vocabulary lacks."""
    n, words = con.execute("""
        SELECT count(*), list(DISTINCT coalesce(trim(source_type_text), '') ORDER BY coalesce(trim(source_type_text), ''))
        FROM parsed WHERE reason IS NULL AND _source_type_given IS NULL""").fetchone()
    if n:
        shown = ", ".join("blank" if w == "" else repr(w) for w in words[:5]) + (" …" if len(words) > 5 else "")
        summary.warnings.append(f"{n:,} report(s) give no source type ({shown}): stored as 'other'")


def _warn_other_gradings(con, summary: LoadSummary) -> None:
    """Reports graded 5x5x5 or on a partner's own scale are kept, weighted as ungraded: say how many, and why."""
    old, old_example, other, others = con.execute(f"""
        SELECT count(*) FILTER (WHERE _old_grading), min(grading) FILTER (WHERE _old_grading),
               count(*) FILTER (WHERE _other_grading),
               list(DISTINCT replace(grading, '{OTHER_SCALE}', '') ORDER BY replace(grading, '{OTHER_SCALE}', ''))
                   FILTER (WHERE _other_grading)
        FROM parsed WHERE reason IS NULL""").fetchone()
    if old:
        summary.warnings.append(f"{old:,} report(s) graded on the old 5x5x5 scale (e.g. {old_example!r}): kept with "
                                "that grading, and weighted as ungraded on the visit list (it does not map onto 3x5x2)")
    if other:
        shown = ", ".join(repr(g) for g in others[:5]) + (" …" if len(others) > 5 else "")
        summary.warnings.append(f"{other:,} report(s) graded on neither 3x5x2 nor 5x5x5 ({shown}): kept with the "
                                f"grading as given, marked{OTHER_SCALE}, and weighted as ungraded on the visit list")


def load(con, path: Path, summary: LoadSummary, *, mapping=None, sheet=None, progress=None) -> None:
    """Add the file's reports to the source's, for `etl.loading.load_file`, inside its transaction: a FileProblem
    (no date or location column, no data rows) is raised before anything is stored, and the copy is then dropped.

    Judged row by row: a bad row goes to `rejects` with its reasons and the others still load. A reference loaded
    before from this source updates its report rather than adding it twice. `summary` gets the counts and
    the warnings for the analyst (unmapped vocabulary, people counted in words, no reference column)."""
    staged = tabular.stage(con, path, "reports", summary,
                           required=[("received_on",), ("address", "postcode", "lat", "easting", "coordinates", "x", "grid_ref")],
                           mapping=mapping, sheet=sheet, progress=progress)
    swapped = report_checks.swap_address_and_postcode(con, staged, path)
    if swapped:
        summary.warnings.append(swapped)
    vocabularies.register(con)
    named_type = _type_from_source_name(con, staged, summary)
    c = staged.column
    ctes, joins = zip(*_lookups(staged))
    grading = "gr_compact"
    validations = [
        checks.too_many_cells(staged),
        checks.rows_inside_a_cell(staged),
        checks.blank(c("received_on"), "date received"),
        checks.excel_error(c("report_ref"), "report reference"),
        checks.not_a_date(c("received_on"), "date received", parsed="dt_date"),
        checks.date_between(c("received_on"), "date received", "DATE '1990-01-01'", "current_date + 1", parsed="dt_date"),
        checks.too_long(c("address"), "address", 500),
        checks.too_long(c("summary"), "summary", 20_000),
        "np_problem",   # the people-seen checks, made once per distinct value (`_lookups`)
        f"""CASE WHEN {grading} IS NOT NULL AND NOT gr_ok
            THEN 'grading ' || shown(coalesce({c('grading')}, {grading})) || ' is not 3x5x2 (e.g. 1-B-P: source 1-3, intelligence A-E, handling P or C)' END""",
        "pt_problem",   # the location checks, made once per distinct point (`_lookups`)
        # Half a pair of coordinates (a latitude without its longitude) is set aside where the row's postcode, in
        # its column or its address, or another position places it: nothing else of the report is wrong.
        checks.half_pair("pt_half", "pc_norm IS NOT NULL OR ad_postcode IS NOT NULL OR pc_outward IS NOT NULL "
                                    "OR pt_lat IS NOT NULL"),
    ]
    # One pass from the staged cells to the rows as stored (less the geocoding): the free text is mapped
    # onto the vocabularies here too, so no later step re-reads the wide columns (summary) to do it.
    tabular.parse(con, f"""
        WITH {', '.join(ctes)}
        SELECT _row AS row_number,
               {c('report_ref')} AS report_ref,   -- NULL: given one after parsing (etl/report_refs.py)
               NULL::INTEGER AS _ref_parts,   -- how many addresses the file gives the reference, when more than one
               dt_date AS received_on,
               {_source_type_text(staged)} AS source_type_text, st_given AS _source_type_given,
               {c('address')} AS address,
               coalesce(pc_norm, ad_postcode, pc_upper) AS postcode,
               pc_outward AS _outward,
               ad_postcode AS _address_postcode,
               pt_lat AS lat, pt_lon AS lon, pt_coarse AS _coarse, pt_half AS _half, pt_half_given AS _half_given,
               {sign_flags.indicators_text(staged)} AS indicators_text,
               {_exploitation_text(staged)} AS exploitation_text,
               {c('nationalities')} AS nationalities_text,
               np_count AS people_count,
               CASE WHEN np_vague THEN np_value END AS _people_words,
               gr_text AS grading,
               {_summary_text(staged)} AS summary,
               coalesce(?::VARCHAR, st_value) AS source_type,   -- the type the source's name gives, with no column
               ex_value AS exploitation_type,
               {vocabularies.SIGNS} AS indicators,
               {vocabularies.SIGN_BITS} AS indicator_bits,
               coalesce(nt_names, []::VARCHAR[]) AS nationalities,
               CASE WHEN gr_new OR gr_part THEN CAST(left(gr_text, 1) AS TINYINT) END AS source_evaluation,
               CASE WHEN gr_new OR gr_part THEN substr(gr_text, 3, 1) END AS intelligence_assessment,
               CASE WHEN gr_new THEN substr(gr_text, 5, 1) END AS handling_code,
               gr_old AS _old_grading,
               gr_other AS _other_grading,
               ad_key AS addr_key, ad_house AS house_no,
               ?::VARCHAR AS source, ?::BIGINT AS load_id,
               {checks.reasons(validations)} AS reason
        FROM stage
        {' '.join(joins)}
    """, CONTENT, [named_type, summary.source, summary.load_id])
    _number_addresses(con, summary)
    report_refs.assign(con)
    report_checks.postcodes_unlike_the_address(con, staged, summary)
    summary.warnings += checks.half_pairs_set_aside(con, staged, show_values=True)
    summary.warnings += filter(None, [checks.postcodes_that_are_not_ones(con, staged, show_values=True)])
    vocabularies.warn_unmapped(con, summary, ("_source_type_given", "vocab_source_type", "source types", "other",
                                              "source_type"),
                               ("exploitation_text", "vocab_exploitation", "exploitation types", "unknown",
                                "exploitation_type"))
    unmatched = vocabularies.unmatched_indicators(con)
    if unmatched:
        summary.warnings.append(unmatched)
    guessed = vocabularies.word_matches(con, "_source_type_given", "vocab_source_type", "source_type", "source types")
    if guessed:
        summary.warnings.append(guessed)
    _warn_people_without_a_number(con, summary)
    _warn_other_gradings(con, summary)
    _warn_unknown_nationalities(con, summary)
    if not staged.match.has("report_ref"):
        summary.warnings.append("the file has no reference column: each report's reference is made from its "
                                "content, so a corrected copy loaded later adds its changed rows as new reports "
                                "instead of updating them; name the reference column with --mapping if it has one")
    if police_uk_download(staged):
        summary.warnings.append("this is police.uk's street-level crime download: its rows are stored as "
                                "'police.uk street crime (public data)', not as police intelligence, so the "
                                "dashboard's \"Who reported\" filter can leave them out; each crime type is kept "
                                "as the report's text")
    elif named_type:
        summary.warnings.append(f"the file has no source type column: its reports are stored as {named_type!r}, "
                                f"from the source name {summary.source!r}")
    elif not staged.match.has("source_type"):
        summary.warnings.append("the file has no source type column: reports stored with source type 'other'")
    else:
        _note_no_source_type(con, summary)
    tabular.record_rejects(con, summary, staged)
    staged.drop(con)  # nothing reads the raw cells from here on
    for column in PARSE_ONLY:   # nor these: the rows keep the vocabularies' values
        con.execute(f"ALTER TABLE parsed DROP COLUMN {column}")
    tabular.accepted_and_geocoded(con, summary, "report_ref")
    con.execute("DROP TABLE parsed")
    _match_earlier_forms(con, summary)
    report_checks.another_sources_reports(con, summary)
    _drop_stale_parts(con, summary)
    tabular.upsert_by_reference(con, summary, "reports", "report_ref", STORED, date_column="received_on",
                                rows_from=address_ids.assign(con))
