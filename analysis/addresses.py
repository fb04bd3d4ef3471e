"""Reports grouped by address, matched to HMO licences: the SQL the map, visit list and overview share.

Partners type the same door many ways ("14 Mill Lane, Wisbech", "14, MILL LANE WISBECH PE13 1AB",
"Flat 2, 14 Mill Lane"). Addresses are compared on a normalised key: upper case, a trailing
postcode dropped, every run of punctuation and spaces collapsed to one space. A report is at a
licensed HMO when its postcode and key match a licence, or its postcode, house number and street do
(when either side has no full postcode, the key alone must match, and the two points, where both are
known, be within etl/vocab/addresses.toml's `key_only_match_within_metres`; or the house number and
street, both points within `door_match_within_metres`: etl/address_matches.py). Without a full postcode
("N/A" is none), an address is also its place, the res-7 H3 cell of its point (etl/address_ids.py):
the same words in two towns are two doors.

Only SQL text from this module reaches `con.execute`; every value is a bound parameter.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from analysis import settings
from etl import address_ids, address_keys
from analysis.filters import Filters, reports_where

# How precise a position is, best first: a point from the file, a full postcode, an outward code.
USABLE_POINT = "{a}.lat IS NOT NULL AND {a}.lon IS NOT NULL AND {a}.location_flag IS NULL"   # a point to map
POSITION_RANK = ("CASE {a}.geocode_status WHEN 'coordinates' THEN 0 WHEN 'postcode' THEN 1 ELSE 2 END")


def address_key(col: str) -> str:
    """SQL: the normalised address used to group reports and match licences (stored as `addr_key`)."""
    return address_keys.address_key(col)


def house_number(key_sql: str) -> str:
    """SQL: the house number in a normalised address (stored as `house_no`); see etl/address_keys.py."""
    return address_keys.house_number(key_sql)


LICENCE_STATUSES = ("expired", "expiring", "current")     # every value `licence_status` gives


def licence_status(alias: str, today: dt.date) -> tuple[str, list]:
    """SQL CASE giving 'expired', 'expiring' or 'current' on `today`; a licence without an expiry is current."""
    a = alias
    sql = (f"CASE WHEN {a}.licence_expiry IS NULL THEN 'current' WHEN {a}.licence_expiry < ? THEN 'expired' "
           f"WHEN {a}.licence_expiry <= ? THEN 'expiring' ELSE 'current' END")
    return sql, [today, today + dt.timedelta(days=settings.expiring_days())]


def scope(f: Filters) -> Filters:
    """The filters that say *where and when*: licence facts and "possible unlicensed" use only these.

    An address's licence status must not change because the user narrowed the view to one
    indicator or source type; the map and the visit list then agree on every address.
    """
    return replace(f, exploitation_types=(), indicators=(), source_types=(), nationalities=())


def indicator_bits(con) -> dict[str, int]:
    """The warehouse's indicator code → bit of `reports.indicator_bits` (etl/indicator_bits.py)."""
    return dict(con.execute("SELECT code, bit FROM indicator_bits").fetchall())


def crowded_sql(bits: dict[str, int], registered: tuple[tuple[str, ...], bool],
                alias: str = "ra") -> tuple[str, list]:
    """SQL: this report says the address is crowded (people seen, or a crowding indicator) in a district
    whose HMO register is loaded (`registered_districts`); `bits` is `indicator_bits(con)`.

    Crowded is what makes an address on no register a possible unlicensed HMO. Where no council's
    register is loaded, "on no HMO licence register" is true of every address and says nothing, and a
    lead could brief a council on unlicensed HMOs that no one ever checked."""
    a = alias
    codes, unknown = registered
    return (f"((coalesce({a}.people_count, 0) >= ? OR ({a}.indicator_bits & ?) <> 0) AND CASE WHEN {a}.district_code "
            f"IS NULL THEN ? ELSE list_contains(?::VARCHAR[], {a}.district_code) END)",
            [*crowded_mask(bits), unknown, list(codes)])


def registered_districts(con) -> tuple[tuple[str, ...], bool]:
    """The districts of the licences on the latest registers, and whether a report in no district can be
    checked too: only when registers are loaded but no licence has a district (before any boundaries are).
    With boundaries, a report in no district is outside them or unplaced, and no register covers it."""
    rows = con.execute("SELECT DISTINCT district_code FROM hmo_licences").fetchall()
    codes = tuple(sorted(c for (c,) in rows if c is not None))
    return codes, bool(rows) and not codes


def codes_of_masks(masks: list[int] | None, code_of: dict[int, str]) -> list[str]:
    """The indicator codes of a list of `reports.indicator_bits` masks, once per mask that has them;
    `code_of` is `indicator_bits(con)` inverted (bit → code)."""
    return [code_of[bit] for mask in masks or () if mask
            for bit in range(mask.bit_length()) if mask >> bit & 1]


_SLICE_BITS = 6     # severity_sql's lookup tables: 2**6 entries each


def severity_sql(bits: dict[str, int], alias: str = "r") -> tuple[str, list]:
    """SQL: the sum of the severities (settings) of a report's indicators, 0 for none; `bits` is
    `indicator_bits(con)`.

    Read from tables rather than tested code by code: the mask is cut into 6-bit slices, and for each
    slice a 64-entry list (a parameter, built here from the weights) holds the sum for every value the
    slice can take. Twelve codes are two lookups per report instead of twelve CASEs: about 30 ms of
    the visit list's 190 ms scoring pass at national scale, down to about 13 ms."""
    tables = severity_tables(bits)
    if not tables:
        return "(0)", []
    sql = " + ".join(f"list_extract(?::DOUBLE[], (({alias}.indicator_bits >> {k * _SLICE_BITS}) & "
                     f"{(1 << _SLICE_BITS) - 1}) + 1)" for k in range(len(tables)))
    return f"({sql})", tables


def severity_tables(bits: dict[str, int]) -> list[list[float]]:
    """`severity_sql`'s lookup tables: for the k-th 6-bit slice of a mask, the sum of the severities of
    the codes its bits stand for, for each of the 64 values the slice can take (none: no severities)."""
    weights = {bits[code]: float(w) for code, w in settings.indicator_severity().items() if code in bits and w}
    if not weights:
        return []
    slices = max(weights) // _SLICE_BITS + 1
    return [[sum(w for bit, w in weights.items() if bit // _SLICE_BITS == k and value >> (bit % _SLICE_BITS) & 1)
             for value in range(1 << _SLICE_BITS)] for k in range(slices)]


def crowded_mask(bits: dict[str, int]) -> tuple[int, int]:
    """What makes a report crowded (`crowded_sql`): the least people seen, and the mask of crowding
    indicators."""
    pu = settings.section("possible_unlicensed")
    return int(pu["min_people"]), codes_mask(bits, pu["indicators"])


def codes_mask(bits: dict[str, int], codes) -> int:
    """The `reports.indicator_bits` mask of some indicator codes (a code with no bit is on no report)."""
    mask = 0
    for code in codes:
        mask |= 1 << bits[code] if code in bits else 0
    return mask


def newest_first(alias: str = "ra", *before: str) -> str:
    """SQL: a sort key for `arg_min_null`, newest report first, after any `before` keys.

    Ties on a day go to a hash of the report's source and reference: the same report on every run and
    every rebuild, compared as a number rather than as two strings. arg_min_null is a hash aggregate;
    the equivalent `first(... ORDER BY ...)` sorts every group, which costs seconds at national scale."""
    a = alias
    return (f"({''.join(k + ', ' for k in before)}-date_diff('day', DATE '1970-01-01', {a}.received_on), "
            f"hash({a}.source, {a}.report_ref))")


def best_position(alias: str = "ra", cell: str | None = None) -> str:
    """SQL aggregate: the most precise, newest usable point of a group of reports (a struct lat, lon;
    and `cell`, the point's H3 cell column, when named)."""
    a = alias
    extra = f", cell := {a}.{cell}" if cell else ""
    return _best(a, f"struct_pack(lat := {a}.lat, lon := {a}.lon{extra})")


def best_cell(alias: str, cell: str) -> str:
    """SQL aggregate: the `cell` column of the point `best_position` picks (NULL when none is usable).
    A cell alone is a smaller state to keep per group than the whole point: counting the map's possible
    unlicensed HMOs per area needs only that."""
    return _best(alias, f"{alias}.{cell}")


def most_common(column: str) -> str:
    """SQL aggregate: the commonest non-NULL value of `column`, ties to the least. DuckDB's `mode` breaks
    a tie by whichever value its hash table met first, so a group of reports split evenly across a
    district line could change district from one rebuild (or thread schedule) to the next."""
    return (f"list_sort(list_transform(map_entries(histogram({column})), "
            f"e -> struct_pack(n := -e.value, v := e.key)))[1].v")


def _best(a: str, value: str) -> str:
    return (f"arg_min_null({value}, {newest_first(a, POSITION_RANK.format(a=a))}) "
            f"FILTER (WHERE {USABLE_POINT.format(a=a)})")


def group_key(report: str, match: str | None = None) -> str:
    """SQL: the visit list's key of a report's address: its licence (`match`, a row of address_matches)
    when it has one, else its normalised address and full postcode, and without one its place (the
    res-7 cell that is part of such an address's identity, etl/address_ids.py), as
    operations/vocabulary.address_key writes it."""
    r = report
    own = (f"'A|' || {r}.addr_key || '|' || coalesce({address_keys.full_postcode(f'{r}.postcode')}, '')"
           f" || coalesce('|' || lower(hex({address_ids.place(r)})), '')")
    if match is None:
        return own
    return f"CASE WHEN {match}.licence_ref IS NOT NULL THEN {licence_key(match)} ELSE {own} END"


def licence_key(match: str) -> str:
    """SQL: `group_key` of a licensed address, from its licence_source and licence_ref (NULL without)."""
    return f"('L|' || {match}.licence_source || '|' || {match}.licence_ref)"


def report_addresses(f: Filters, addr_ids: str | list[int] | None = None) -> tuple[str, list]:
    """CTE definitions (for `WITH ...`): `rep`, one row per report with an address, then `rep_matched`,
    the same rows with the licence that address matches (address_matches).

    Reports are those in `scope(f)` (dates and districts); `in_view` says whether the report
    also passes every other filter. Columns: the report's own (not its summary, the bulk of a report),
    `addr_key`, `addr_id`, `in_view`; in `rep_matched` also licence_source and licence_ref (NULL when
    none matches), `group_id` (an integer, one per visit-list address: the licence's group, else the
    address's own id) and `group_key`, its stable text form (`group_key()`).

    `addr_ids` limits the reports to some addresses: a table with an `addr_id` column, or a few ids.
    Ids are compared one by one, as constants: DuckDB then reads a report's other columns only where
    its id matches. A join (or an IN list) only skips whole row groups, so every other column of the
    dates in scope is read (tens of milliseconds a text column at national scale); one scan per id
    costs a read of the id column, so a list is for a handful of ids.
    """
    view_sql, view_params = reports_where(f, "r")
    scope_sql, scope_params = reports_where(scope(f), "r")
    columns = f"""r.source, r.report_ref, r.received_on, r.source_type, r.address, r.postcode, r.lat, r.lon,
               r.geocode_status, r.location_flag, r.district_code, r.indicators, r.nationalities,
               r.people_count, r.grading, r.source_evaluation, r.intelligence_assessment,
               r.exploitation_type, r.h3_7, r.h3_8, r.h3_9, r.indicator_bits,
               ({view_sql}) AS in_view,
               r.addr_key, r.addr_id"""
    if isinstance(addr_ids, list):
        ids = [int(i) for i in addr_ids] or [None]
        rep = "\n        UNION ALL\n        ".join(
            f"SELECT {columns} FROM reports r WHERE {scope_sql} AND r.addr_id = ?" for _ in ids)
        rep_params = [x for i in ids for x in (*view_params, *scope_params, i)]
        matches = "(" + " UNION ALL ".join("SELECT * FROM address_matches WHERE addr_id = ?" for _ in ids) + ")"
        match_params = ids
    else:
        only = f" AND r.addr_id IN (SELECT addr_id FROM {addr_ids})" if addr_ids else ""
        rep = f"SELECT {columns} FROM reports r WHERE {scope_sql} AND r.addr_id IS NOT NULL{only}"
        rep_params = [*view_params, *scope_params]
        matches = f"(SELECT * FROM address_matches WHERE addr_id IN (SELECT addr_id FROM {addr_ids}))" if addr_ids \
            else "address_matches"
        match_params = []
    sql = f"""
    rep AS NOT MATERIALIZED (
        {rep}
    ),
    rep_matched AS (
        SELECT rep.*, m.licence_source, m.licence_ref, coalesce(m.group_id, rep.addr_id) AS group_id,
               {group_key("rep", "m")} AS group_key
        FROM rep
        LEFT JOIN {matches} m ON rep.addr_id = m.addr_id
    )"""
    return sql, [*rep_params, *match_params]


def unlicensed_ctes(con, f: Filters) -> tuple[str, list]:
    """CTE definitions (for `WITH ...`): those of `report_addresses(scope(f))`, then `unlicensed`, the
    addr_id of each possible unlicensed HMO in `scope(f)`.

    Only addresses with a crowded report can qualify, and they are few: those are found first, from the
    crowded reports alone (a crowded report at a licensed address does not make it unlicensed).
    """
    cte, params = report_addresses(scope(f))
    crowded, crowded_params = crowded_sql(indicator_bits(con), registered_districts(con), "c")
    sql = f"""{cte},
    crowded AS (
        SELECT DISTINCT c.addr_id FROM rep c WHERE {crowded}
    ),
    unlicensed AS (
        SELECT k.addr_id FROM crowded k ANTI JOIN address_matches m ON k.addr_id = m.addr_id
    )"""
    return sql, [*params, *crowded_params]


def unlicensed_text(addr_ids: str) -> str:
    """SQL (a query, inside a `WITH` defining `rep`, as `report_addresses` does): what a marker shows for
    the possible unlicensed HMOs whose ids the query `addr_ids` gives: addr_id, address (as last
    reported), postcode, source (the report sources, sorted, '; '-joined) and pos (`best_position`)."""
    return f"""
        SELECT ra.addr_id, {_marker_words('ra')}, {best_position('ra')} AS pos
        FROM rep ra WHERE ra.addr_id IN ({addr_ids})
        GROUP BY ra.addr_id"""


def _marker_words(alias: str) -> str:
    """SQL aggregates over one address's reports: address and postcode (as last reported), source."""
    a = alias
    return (f"arg_min_null({a}.address, {newest_first(a)}) AS address, "
            f"arg_min_null({a}.postcode, {newest_first(a)}) AS postcode, "
            f"array_to_string(list_sort(list_distinct(list({a}.source))), '; ') AS source")


def possible_unlicensed(con, f: Filters) -> tuple[str, list]:
    """A query: one row per possible unlicensed HMO in `scope(f)`.

    Columns: addr_id, group_key, address and postcode (as last reported), pos (struct lat, lon, cell:
    the most precise usable point and its res-7 H3 cell; NULL when no report could be placed),
    district_code, reports, max_people, source (the report sources), last_report.
    """
    ctes, params = unlicensed_ctes(con, f)
    # Unlicensed, an address's group is the address itself: grouped on its integer id, with the
    # group_key string built once per address rather than once per report.
    sql = f"""
    WITH {ctes},
    g AS (
        SELECT ra.addr_id, any_value(ra.addr_key) AS addr_key, any_value(ra.{address_ids.PLACE_COLUMN}) AS {address_ids.PLACE_COLUMN}, {_marker_words('ra')},
               {best_position('ra', 'h3_7')} AS pos,
               {most_common('ra.district_code')} AS district_code,
               count(*) AS reports, max(ra.people_count) AS max_people,
               max(ra.received_on) AS last_report
        FROM rep ra SEMI JOIN unlicensed u ON ra.addr_id = u.addr_id
        GROUP BY ra.addr_id
    )
    SELECT g.addr_id, {group_key('g')} AS group_key, g.* EXCLUDE (addr_id, addr_key, {address_ids.PLACE_COLUMN}) FROM g
    """
    return sql, params
