"""Reports of suspicious activity, from the public, police, councils, GLAA, NCA and the helpline.

Keyed by reference within a source: a corrected re-export updates its rows. Indicators
are matched against a fixed vocabulary and the original text is kept beside them.
"""
from __future__ import annotations

from pathlib import Path

from etl.loaders import checks, tabular, vocabularies
from etl.summary import LoadSummary

CONTENT = ["report_ref", "received_on", "source_type_text", "address", "postcode", "file_lat", "file_lon",
           "indicators_text", "exploitation_text", "nationalities_text", "people_count", "grading", "summary"]
STORED = ["report_ref", "received_on", "source_type", "address", "postcode", "lat", "lon", "geocode_status",
          "location_flag", "district_code", "lsoa_code", "indicators", "indicators_text", "exploitation_type",
          "nationalities", "people_count", "grading", "source_evaluation", "intelligence_assessment",
          "handling_code", "summary", "source", "load_id", "row_number", "row_hash", "h3_7", "h3_8", "h3_9", "addr_key", "house_no"]
GRADING_RE = "^([1-3])([A-E])([PC])$"


def _grading_compact(c) -> str:
    """One 3x5x2 string from a grading column, or from three separate columns."""
    joined = f"concat_ws('', {c('source_evaluation')}, {c('intelligence_assessment')}, {c('handling_code')})"
    return f"nullif(regexp_replace(upper(coalesce({c('grading')}, {joined})), '[^0-9A-Z]', '', 'g'), '')"


def _generated_refs(staged) -> str:
    """A subquery (_row, auto_ref): a stable reference for each row that has none.

    The reference is the row's content, plus which copy of it the row is. Identical rows without
    a reference may be separate incidents (police.uk publishes many such rows), so they are kept
    apart rather than collapsed; a re-load gives the same refs. Only rows lacking a reference are
    hashed and numbered: a window over every row of a big file costs more than the rest of parsing.
    """
    content = "md5(concat_ws('|', " + ", ".join(f"coalesce(c{i}, '')" for i in staged.staged_columns) + "))"
    return (f"(SELECT _row, 'auto-' || left({content}, 12) || '-' || "
            f"row_number() OVER (PARTITION BY {content} ORDER BY _row) AS auto_ref "
            f"FROM stage WHERE {staged.column('report_ref')} IS NULL)")


def load(con, path: Path, summary: LoadSummary, *, mapping=None, sheet=None, progress=None) -> None:
    staged = tabular.stage(con, path, "reports", summary,
                           required=[("received_on",), ("address", "postcode", "lat", "easting")],
                           mapping=mapping, sheet=sheet, progress=progress)
    vocabularies.register(con)
    c = staged.column
    loc = checks.location(staged)
    grading = _grading_compact(c)
    validations = [
        checks.too_many_cells(staged),
        checks.blank(c("received_on"), "date received"),
        checks.not_a_date(c("received_on"), "date received"),
        checks.date_between(c("received_on"), "date received", "DATE '1990-01-01'", "current_date + 1"),
        checks.too_long(c("address"), "address", 500),
        checks.too_long(c("summary"), "summary", 20_000),
        f"""CASE WHEN {c('people_count')} IS NOT NULL AND NOT regexp_full_match({c('people_count')}, '\\D{{0,12}}\\d{{1,5}}\\D{{0,12}}')
            THEN 'number of people ' || shown({c('people_count')}) || ' is not a number' END""",
        f"""CASE WHEN {grading} IS NOT NULL AND NOT regexp_full_match({grading}, '{GRADING_RE[1:-1]}')
            THEN 'grading ' || shown(coalesce({c('grading')}, {grading})) || ' is not 3x5x2 (e.g. 1-B-P: source 1-3, intelligence A-E, handling P or C)' END""",
        *loc.checks,
    ]
    tabular.parse(con, f"""
        SELECT _row AS row_number,
               coalesce({c('report_ref')}, g.auto_ref) AS report_ref,
               parse_date({c('received_on')}) AS received_on,
               {c('source_type')} AS source_type_text,
               {c('address')} AS address,
               coalesce(postcode_norm({c('postcode')}), postcode_in_text({c('address')}), upper({c('postcode')})) AS postcode,
               outward_code({c('postcode')}) AS _outward,
               {loc.lat} AS lat, {loc.lon} AS lon, {loc.lat} AS file_lat, {loc.lon} AS file_lon,
               {c('indicators_text')} AS indicators_text,
               coalesce({c('indicators_text')}, {c('summary')}) AS _indicator_source,
               {c('exploitation_type')} AS exploitation_text,
               {c('nationalities')} AS nationalities_text,
               CAST(regexp_extract({c('people_count')}, '(\\d+)', 1) AS INTEGER) AS people_count,
               CASE WHEN regexp_full_match({grading}, '{GRADING_RE[1:-1]}')
                    THEN regexp_replace({grading}, '{GRADING_RE}', '\\1-\\2-\\3') END AS grading,
               {c('summary')} AS summary,
               {checks.reasons(validations)} AS reason
        FROM stage LEFT JOIN {_generated_refs(staged)} g USING (_row)
    """, CONTENT)
    vocabularies.warn_unmapped(con, summary, ("source_type_text", "vocab_source_type", "source types", "other"),
                               ("exploitation_text", "vocab_exploitation", "exploitation types", "unknown"))
    if not staged.match.has("source_type"):
        summary.warnings.append("the file has no source type column: reports stored with source type 'other'")
    tabular.record_rejects(con, summary, staged)
    tabular.accepted_and_geocoded(con, summary, "report_ref")
    _classify(con, summary)
    tabular.upsert_by_reference(con, summary, "reports", "report_ref", STORED)


def _classify(con, summary: LoadSummary) -> None:
    """Map free text onto the vocabularies: source type, exploitation type, indicators, nationalities.

    Each mapping (a dozen regular expressions for indicators, three for an address key) runs once
    per distinct text and is joined back: a big file repeats the same few texts many times over.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        WITH ind AS (SELECT src, {vocabularies.indicator_codes_sql("src")} AS codes
                     FROM (SELECT DISTINCT _indicator_source AS src FROM incoming) WHERE src IS NOT NULL),
             addr AS (SELECT address, address_key(address) AS addr_key, house_number(address_key(address)) AS house_no
                      FROM (SELECT DISTINCT address FROM incoming)),
             st AS (SELECT t, v.value FROM (SELECT DISTINCT source_type_text AS t FROM incoming) d
                    JOIN vocab_source_type v ON v.alias = label_key(d.t)),
             ex AS (SELECT t, v.value FROM (SELECT DISTINCT exploitation_text AS t FROM incoming) d
                    JOIN vocab_exploitation v ON v.alias = label_key(d.t)),
             nat AS (
                SELECT text, list(DISTINCT coalesce(n.value, trim(part)) ORDER BY coalesce(n.value, trim(part))) AS names
                FROM (SELECT text, unnest(regexp_split_to_array(text, '\\s*(;|,|/|&|\\+|\\band\\b)\\s*')) AS part
                      FROM (SELECT DISTINCT nationalities_text AS text FROM incoming)) p
                LEFT JOIN vocab_nationality n ON n.alias = label_key(p.part)
                WHERE trim(part) <> ''
                GROUP BY 1)
        SELECT i.* EXCLUDE (source_type_text, exploitation_text, nationalities_text),
               coalesce(st.value, 'other') AS source_type,
               coalesce(ex.value, 'unknown') AS exploitation_type,
               coalesce(ind.codes, []::VARCHAR[]) AS indicators,
               coalesce(nat.names, []::VARCHAR[]) AS nationalities,
               CAST(left(i.grading, 1) AS TINYINT) AS source_evaluation,
               substr(i.grading, 3, 1) AS intelligence_assessment,
               substr(i.grading, 5, 1) AS handling_code,
               addr.addr_key, addr.house_no,
               ? AS source, ? AS load_id
        FROM incoming i
        LEFT JOIN st ON st.t IS NOT DISTINCT FROM i.source_type_text
        LEFT JOIN ex ON ex.t IS NOT DISTINCT FROM i.exploitation_text
        LEFT JOIN ind ON ind.src = i._indicator_source
        LEFT JOIN nat ON nat.text = i.nationalities_text
        LEFT JOIN addr ON addr.address IS NOT DISTINCT FROM i.address
    """, [summary.source, summary.load_id])
