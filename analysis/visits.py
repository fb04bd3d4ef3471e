"""The ranked visit list: which addresses to visit next, and why, in words a tactical lead can check.

Every number in a score can be explained from the reasons column:

    score = sum over the address's reports (in the filters) of
                decay × grading weight × severity
            + a bonus if its HMO licence has expired, or expires soon
            + a bonus if more people were seen than the licence allows
            + a bonus if it is on no register but reported as crowded (possible unlicensed HMO)
            + a bonus if its cell is a Gi* hot spot (99%, 95% or 90%, after FDR)
            + a bonus per victim case in its cell and neighbours (only from 3 cases up, for privacy)

Licensed HMOs with no reports in the view are ranked too, on their licence, hotspot and cases,
unless a filter only reports can match is chosen (`lists_unreported_licences`).
Recorded visit outcomes then change the score (analysis/outcome_feedback.py): a recent visit with
no concerns lowers it for a while; potential victims found raise the addresses nearby and those
with the same licence holder.

- decay = 0.5 ** (age in days / half-life): a report loses half its weight every half-life days,
  counted back from the end of the filter period (or today, if that is earlier);
- grading weight by 3x5x2 source evaluation: 1 (reliable) > 2 (untested) > 3 (not reliable);
- severity = the sum of the severities (etl/vocab/indicators.toml) of the report's indicators.

Every weight is in analysis/settings.toml. Licence facts and "possible unlicensed" use every
report in the filter dates and districts, so they agree with the map whatever else is filtered.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd

import h3

from analysis import address_scores, addresses, hexes, outcome_feedback, report_index, settings, wording
from analysis.filters import Filters, cases_where, licences_where, reports_where
from etl import h3cells

COLUMNS = ["rank", "address", "postcode", "district", "lat", "lon", "reports", "last_report", "last_visit",
           "last_outcome", "licence_status", "reasons", "languages", "score", "address_key", "licence_ref",
           "indicators", "over_occupied"]


def reports_without_a_door(con, f: Filters) -> int:
    """The reports in the filters that name no door (no address, "No location", police.uk's "On or near ...").

    They count on the map but can't be on a list of doors; a list shorter than the map suggests (or empty,
    on police.uk data alone) says why with this number."""
    where, params = reports_where(f)
    return int(con.execute(f"SELECT count(*) FROM reports r WHERE {where} AND r.addr_id IS NULL", params).fetchone()[0])


def lists_unreported_licences(f: Filters) -> bool:
    """Whether licensed HMOs with no report in the view are listed, on their licence alone.

    Not when a filter only reports can match (exploitation type, signs, who reported, nationality): such a
    licence matches none of it, and a nationality filter listed licensed HMOs nobody reported above
    addresses with reports of those nationalities, their languages taken from the area's reports."""
    narrowed = f.exploitation_types or f.indicators or f.source_types or f.nationalities
    return bool(settings.section("visits")["context"]["include_unreported_licences"]) and not narrowed


def visit_list(con, f: Filters, today: dt.date, limit: int = 100, outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Addresses ranked by score, one row per address (a licensed HMO's differently typed addresses merge).

    Columns: rank, address, postcode, district (name), lat, lon, reports (in the filters),
    last_report, last_visit and last_outcome (from `outcomes`, the operations store's recorded
    visits), licence_status ('current', 'expiring', 'expired', 'possible_unlicensed', 'not an HMO on
    record'), reasons (plain English), languages (comma-separated, from the nationalities in the
    address's own reports, each "(at the address)", then those only reported around it, each "(nearby)";
    see `language_support`), score, and for visit plans: address_key (stable between runs),
    licence_ref, indicators (distinct codes reported in the view) and over_occupied.

    Outcomes change scores before the cut to `limit` (analysis/outcome_feedback.py). Reports
    without an address are not listed (there is no door to knock on); they still count on the map.
    """
    registered = addresses.registered_districts(con)    # read once: the scores and the reasons both need it
    try:
        rows = _candidates(con, f, today, limit, outcomes, registered)
        if rows.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        rows = _with_context(con, f, today, rows)
        rows["address_key"] = rows["group_key"]
        holders = outcome_feedback.licence_holders(con, [*rows["licence_ref"], *outcomes["licence_ref"]]) \
            if outcomes is not None and not outcomes.empty else {}
        rows = outcome_feedback.apply(rows, outcomes, holders, today)
        rows = rows.sort_values(["score", "last_report", "reports", "address"], ascending=[False, False, False, True],
                                na_position="last").head(limit if limit else None).reset_index(drop=True)
        rows = _with_lists(con, rows)
    finally:
        for table in (_SCORES, _RANKED, _CANDIDATE_IDS, _REPORTED_IDS):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    names = settings.district_names(con)
    rows["district"] = [names.get(c, c) if isinstance(c, str) else settings.UNKNOWN_DISTRICT
                        for c in rows["district_code"]]
    rows["languages"] = _languages(con, f, rows)
    rows["reasons"] = [_reasons(r, f, today, registered) for r in rows.itertuples(index=False)]
    rows["rank"] = np.arange(1, len(rows) + 1)
    rows["indicators"] = [sorted(set(c)) if c is not None else [] for c in rows["codes"]]
    rows["over_occupied"] = rows["over_occupied"].fillna(False).astype(bool)
    rows["score"] = rows["score"].astype(float).round(2)
    return rows[COLUMNS]


def _hotspot_resolution() -> int:
    return int(settings.method()["aggregation"]["resolution"])


def _cell_column(resolution: int) -> str | None:
    """The stored H3 column for the hotspot resolution, if there is one (etl/h3cells.py)."""
    return f"h3_{resolution}" if resolution in h3cells.RESOLUTIONS else None


_SCORES = "visit_scores"            # temp: every address in the view, with what its score needs
_CANDIDATE_IDS = "visit_candidate_ids"   # temp: the address ids of the addresses that could make the list
_RANKED = "visit_ranked"            # temp: the candidates' descriptions; lists fetched only for the listed ones
_REPORTED_IDS = "visit_reported_ids"     # temp: the address ids of candidates whose licence does not describe them
_FEW_IDS = 8       # up to this many, _add_report_facts reads each address's reports by its own scan


def _with_lists(con, rows: pd.DataFrame) -> pd.DataFrame:
    """The indicator codes reported in the view at each listed address, once per report (empty for
    unreported licences)."""
    keys = [k for k in rows["group_key"] if isinstance(k, str)]
    lists = con.execute(f"SELECT group_key, code_masks FROM {_RANKED} WHERE group_key IN "
                        f"(SELECT unnest(?::VARCHAR[]))", [keys]).fetchall() if keys else []
    code_of = {bit: code for code, bit in addresses.indicator_bits(con).items()}
    by_key = {k: addresses.codes_of_masks(masks, code_of) for k, masks in lists}
    rows["codes"] = [by_key.get(k, []) for k in rows["group_key"]]
    return rows


def _candidates(con, f: Filters, today: dt.date, limit: int | None, outcomes: pd.DataFrame | None,
                registered: tuple[tuple[str, ...], bool]) -> pd.DataFrame:
    """Every address that could still make the top `limit` once bonuses and outcomes are added.

    At national scale the view holds hundreds of thousands of addresses, and describing each one
    (its best point, address as last reported, district, indicator lists) is what costs. The score
    before the hotspot, case and outcome adjustments is cheap, and those adjustments are bounded:
    they add at most `_most_added` and multiply by no less than the no-concerns factor. So an
    address whose score plus the most it could gain is below the `limit`-th best score it is sure
    to keep cannot make the list, and is never described. The list is the same as ranking all
    (tests/test_visit_list_pruning.py), as long as the bonuses in settings.toml are not negative.
    """
    include_unreported = lists_unreported_licences(f)
    floor, most_added = _lowest_factor(outcomes), _most_added(outcomes, today)
    bonus = settings.section("visits")["bonus"]
    _score_addresses(con, f, today, keep=(limit, floor, most_added) if limit else None, registered=registered)
    complete = not limit        # whether _SCORES names every licence with reports in the view

    def every_licence_scored() -> None:
        """The licences without reports are told from those with: cut scores do not name them all."""
        nonlocal complete
        if not complete:
            _score_addresses(con, f, today, registered=registered)
            complete = True

    def unreported_counts() -> dict[str, int]:
        if not include_unreported:
            return {}
        every_licence_scored()
        return _unreported_status_counts(con, f, today)

    sure, described = _sure_scores(con, f, today, limit, outcomes, floor, most_added)
    threshold = _threshold(sure, limit, most_added, unreported_counts,
                           [_status_bonus(st, bonus) * floor for st in addresses.LICENCE_STATUSES])
    statuses = [st for st in addresses.LICENCE_STATUSES
                if include_unreported and _status_bonus(st, bonus) >= threshold]
    if statuses:    # none, when every unreported licence's bonus is below the list's threshold
        every_licence_scored()
    if threshold < described:
        _describe(con, f, today, float(threshold))
    rows = con.execute(f"SELECT * EXCLUDE (code_masks) FROM {_RANKED}").df()
    if statuses:
        licensed = _unreported_licences(con, f, today, statuses)
        if not licensed.empty:
            rows = pd.concat([rows, licensed], ignore_index=True) if not rows.empty else licensed
    return rows


def _sure_scores(con, f: Filters, today: dt.date, limit: int | None, outcomes: pd.DataFrame | None,
                 floor: float, margin: float) -> tuple[np.ndarray, float]:
    """The least final score each address in _SCORES is sure of, and the lowest score already described
    in _RANKED (inf if none).

    Context only adds to a score, so an address is sure of its score × its outcome factor. That factor is
    known only once the address is described (outcomes match by address, licence and key); until then it
    is the lowest there is, `floor`. A single recorded "no concerns" visit makes `floor` 0.25, and a
    threshold taken from scores × 0.25 let through tens of thousands of addresses to describe (a second
    at national scale). So with outcomes, the addresses that could make the list if no more than one per
    recorded visit were lowered are described first, and scored as `outcome_feedback.apply` will score
    them (with no licence holders and no context: never more than they will get). That puts the
    threshold back near the top, and usually above every address not yet described.
    """
    got = con.execute(f"SELECT group_id, score FROM {_SCORES}").fetchnumpy()
    scores = np.asarray(got["score"], dtype=float)
    if not limit or floor >= 1 or len(scores) <= limit:
        return scores * floor, np.inf
    first = min(len(scores), _first_described(limit, outcomes))
    least = float(np.partition(scores, len(scores) - first)[len(scores) - first]) - margin
    _describe(con, f, today, least)
    top = con.execute(f"SELECT group_id, group_key AS address_key, address, postcode, lat, lon, licence_ref, score, "
                      f"last_report FROM {_RANKED}").df()
    exact = pd.Series(outcome_feedback.apply(top, outcomes, {}, today)["score"].to_numpy(dtype=float),
                      index=top["group_id"].to_numpy())
    sure = pd.Series(np.asarray(got["group_id"])).map(exact).to_numpy(dtype=float)
    return np.where(np.isnan(sure), scores * floor, sure), least


def _first_described(limit: int, outcomes: pd.DataFrame) -> int:
    """How many of the best scores to describe before outcomes are known: a guess (one address lowered per
    visit); when more were lowered, `_candidates` describes again."""
    return limit + len(outcomes)


def _threshold(kept: np.ndarray, limit: int | None, most_added: float, unreported_counts,
               bonuses: list[float]) -> float:
    """The lowest score before context that could still make the top `limit`: the `limit`-th best final score
    some address is sure of, less the most context and outcomes can add; -inf with no limit.

    `kept` are what the scored addresses are sure of (`_sure_scores`); each unreported licence adds its
    status bonus (`unreported_counts()`, status → count, and `bonuses`, the values they can take).
    Those are counted only when they could matter: when the `limit`-th best value is at least every
    bonus, adding more values no larger cannot move it. At national scale that skips joining the
    register to the reports.
    """
    if not limit:
        return -np.inf
    if len(kept) >= limit:
        kth = np.partition(kept, len(kept) - limit)[len(kept) - limit]
        if kth >= max(bonuses, default=0.0):
            return float(kth - most_added)
    bonus_of = dict(zip(addresses.LICENCE_STATUSES, bonuses))
    every = np.concatenate([kept] + [np.full(min(n, limit), bonus_of[st]) for st, n in unreported_counts().items()])
    if len(every) < limit:
        return -np.inf
    return float(np.partition(every, len(every) - limit)[len(every) - limit] - most_added)


def _lowest_factor(outcomes: pd.DataFrame | None) -> float:
    """The most a recorded outcome can scale a score down (1 when there are none)."""
    if outcomes is None or outcomes.empty:
        return 1.0
    return min(1.0, float(settings.section("visits")["outcomes"]["no_concern_factor"]))


def _most_added(outcomes: pd.DataFrame | None, today: dt.date) -> float:
    """The most the hotspot, nearby-case and outcome bonuses can add to one address's score."""
    bonus = settings.section("visits")["bonus"]
    most = max(bonus["hotspot_99"], bonus["hotspot_95"], bonus["hotspot_90"], 0) + max(bonus["max_cases_bonus"], 0)
    return most + outcome_feedback.most_raised(outcomes, today)


def _status_bonus(status: str, bonus: dict) -> float:
    return float(bonus.get(status, 0.0)) if status in ("expired", "expiring") else 0.0


def _score_addresses(con, f: Filters, today: dt.date, keep: tuple[int, float, float] | None = None,
                     registered: tuple[tuple[str, ...], bool] | None = None) -> None:
    """Temp table _SCORES: one row per address with reports in the view (`group_id`, see
    analysis/addresses.py), with its score before context.

    This pass reads every report in the view, so it must be lean. Reports are summed per `addr_id`
    first, on fixed-width facts only, with no join: at national scale 720,000 reports become 450,000
    addresses. Only then are the addresses joined to `address_matches`, and a licence's addresses
    merged into its group, with the two licence facts a score needs. What the reasons text says about
    the reports (how many recent, how many graded 1-A or 1-B, the newest) is counted in `_describe`,
    for the few addresses that can make the list.

    `keep` = (limit, floor, margin) writes only the addresses `_candidates` could keep: those whose
    score is at least the `limit`-th best score × floor less `margin` (the `limit` best are sure of
    their score × floor; any other address gains at most `margin`). Its threshold is never below
    that (unreported licences only add values to rank), so the list is the same; and writing the
    442,000 scores of a national view cost more than computing them. A cut table no longer names
    every licence with reports, which `_unreported_sql` needs: `_candidates` scores again, uncut, on
    the rare views where licences without reports could make the list.
    """
    bits = addresses.indicator_bits(con)
    index = report_index.for_connection(con)
    if index is not None and index.covers(f):
        scored = address_scores.scores(index, bits, f, today, keep)
        con.register("_scored_in_memory", scored)
        try:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE {_SCORES} AS
                SELECT group_id::BIGINT AS group_id, licensed, licence_expiry::DATE AS licence_expiry,
                       max_occupants::INTEGER AS max_occupants, reports::BIGINT AS reports, report_score,
                       max_people::INTEGER AS max_people, crowded, status, over_occupied, score
                FROM _scored_in_memory""")
        finally:
            con.unregister("_scored_in_memory")
        return
    vs = settings.section("visits")
    ref = min(today, f.date_to)
    gw, bonus = vs["grading_weights"], vs["bonus"]
    severity, severity_params = addresses.severity_sql(bits, "r")
    view_sql, view_params = reports_where(f, "r")
    scope_sql, scope_params = reports_where(addresses.scope(f), "r")
    every = f == addresses.scope(f)    # every report in scope is in view: no per-report test
    if every:
        view_sql, view_params = "TRUE", []
    in_view = "" if every else " FILTER (WHERE in_view)"
    status_sql, status_params = addresses.licence_status("g", today)
    crowded, crowded_params = addresses.crowded_sql(bits, registered or addresses.registered_districts(con), "r")
    sql = f"""
    WITH rep AS (
        SELECT r.addr_id, ({view_sql}) AS in_view, r.people_count,
               pow(0.5, greatest(date_diff('day', r.received_on, ?::DATE), 0) / ?)
                 * CASE r.source_evaluation WHEN 1 THEN ? WHEN 2 THEN ? WHEN 3 THEN ? ELSE ? END
                 * coalesce(nullif({severity}, 0), ?)
                 AS weight,
               {crowded} AS crowded
        FROM reports r
        WHERE {scope_sql} AND r.addr_id IS NOT NULL
    ),
    per_address AS (
        SELECT addr_id, count(*){in_view} AS reports, sum(weight){in_view} AS report_score,
               max(people_count) AS max_people, bool_or(crowded) AS crowded
        FROM rep GROUP BY addr_id
    ),
    matched AS MATERIALIZED (    -- one join: a second one (ANTI, then JOIN) built the same hash table again
        SELECT a.*, m.group_id, m.licence_expiry, m.max_occupants
        FROM per_address a LEFT JOIN address_matches m ON a.addr_id = m.addr_id
    ),
    g AS (
        SELECT addr_id AS group_id, false AS licensed, NULL::DATE AS licence_expiry,
               NULL::INTEGER AS max_occupants, reports, report_score, max_people, crowded
        FROM matched WHERE group_id IS NULL AND reports > 0
        UNION ALL
        SELECT group_id, true, any_value(licence_expiry), any_value(max_occupants),
               sum(reports)::BIGINT, sum(report_score), max(max_people), bool_or(crowded)
        FROM matched WHERE group_id IS NOT NULL
        GROUP BY group_id
        HAVING sum(reports) > 0
    ),
    s AS (
        SELECT g.*,
               CASE WHEN licensed THEN {status_sql}
                    WHEN crowded THEN 'possible_unlicensed' ELSE 'not an HMO on record' END AS status,
               licensed AND coalesce(max_people > max_occupants, false) AS over_occupied
        FROM g
    ),
    scored AS MATERIALIZED (
        SELECT *, coalesce(report_score, 0) + CASE status WHEN 'expired' THEN ? WHEN 'expiring' THEN ?
                                                          WHEN 'possible_unlicensed' THEN ? ELSE 0 END
                                            + CASE WHEN over_occupied THEN ? ELSE 0 END AS score
        FROM s
    )
    SELECT * FROM scored
    """
    params = [
        *view_params,
        ref, float(vs["half_life_days"]),
        float(gw["1"]), float(gw["2"]), float(gw["3"]), float(gw["ungraded"]),
        *severity_params, float(vs["no_indicator_severity"]), *crowded_params,
        *scope_params,
        *status_params,
        float(bonus["expired"]), float(bonus["expiring"]), float(bonus["possible_unlicensed"]),
        float(bonus["over_occupied"]),
    ]
    if keep:
        limit, floor, margin = keep
        sql += "WHERE score >= (SELECT min(x) FROM (SELECT score * ? AS x FROM scored ORDER BY x DESC LIMIT ?)) - ?"
        params += [float(floor), int(limit), float(margin)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_SCORES} AS {sql}", params)


def _cell_sql(alias: str) -> str:
    cell = _cell_column(_hotspot_resolution())
    return f"{alias}.{cell}" if cell else "NULL::UBIGINT"


def _describe(con, f: Filters, today: dt.date, threshold: float) -> None:
    """Temp table _RANKED: the addresses scoring at least `threshold`, described: address and postcode
    (the licence's, else as last reported), district, best point and its cell, the indicators of each
    report in the view (as `reports.indicator_bits` masks: the code lists cost three times as much to
    read), and the counts the reasons text gives (recent, graded 1-A or 1-B, the newest report). Only
    their reports and licences are read again.

    A report's text columns (address, postcode, reference) cost several times its fixed-width ones to
    read, and only an address the licence does not describe needs them. At national scale nearly
    every candidate is licensed: then the counts come from the fixed-width columns alone, and the text
    of the few others from a scan each (`_add_report_facts`). When many candidates are on no licence,
    one pass reads everything for all of them."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_CANDIDATE_IDS} AS
        SELECT group_id AS addr_id, group_id, NULL::VARCHAR AS licence_source, NULL::VARCHAR AS licence_ref
        FROM {_SCORES} WHERE score >= ? AND NOT licensed
        UNION ALL
        SELECT m.addr_id, m.group_id, m.licence_source, m.licence_ref
        FROM {_SCORES} s JOIN address_matches m ON m.group_id = s.group_id
        WHERE s.score >= ? AND s.licensed
    """, [threshold, threshold])
    unlicensed = con.execute(f"SELECT count(*) FROM {_CANDIDATE_IDS} WHERE licence_ref IS NULL").fetchone()[0]
    from_reports = unlicensed > _FEW_IDS
    _counted(con, f, today, from_reports)
    if not from_reports:
        _add_report_facts(con, f)


def _report_facts_sql(cell: str | None) -> str:
    """SQL aggregates over a group's reports (`rm`: report rows with their group_id and group_key, as in
    `addresses.report_addresses`): what describes an address that no licence does."""
    newest = addresses.newest_first("rm", "NOT in_view")
    # best_cell gives a column of the report whose point best_position picks: here how that point was placed.
    return (f"any_value(rm.group_key) AS group_key, arg_min_null(rm.address, {newest}) AS address, "
            f"arg_min_null(rm.postcode, {newest}) AS postcode, {addresses.best_position('rm', cell)} AS pos, "
            f"{addresses.best_cell('rm', 'geocode_status')} AS pos_status")


def _counted(con, f: Filters, today: dt.date, from_reports: bool) -> None:
    """_RANKED with each candidate's scores, counts, indicator masks and district (the licence's, else
    its reports' most common), and its licence's address, postcode and point. With `from_reports`, what
    a licence does not give comes from the reports; without, it is left NULL (for `_add_report_facts`)."""
    cell = _cell_column(_hotspot_resolution())
    view_sql, view_params = reports_where(f, "r")
    scope_sql, scope_params = reports_where(addresses.scope(f), "r")
    facts = _report_facts_sql(cell) if from_reports else \
        ("NULL AS group_key, NULL AS address, NULL AS postcode, "
         "NULL::STRUCT(lat DOUBLE, lon DOUBLE, cell UBIGINT) AS pos, NULL::VARCHAR AS pos_status")
    # The candidates' own table, not address_matches, says which licence each address is on: a join to
    # address_matches would read its text columns for every matched address in the country.
    sql = f"""
    WITH rm AS (
        SELECT r.*, ({view_sql}) AS in_view, c.group_id, c.licence_source, c.licence_ref,
               {addresses.group_key("r", "c")} AS group_key
        FROM reports r JOIN {_CANDIDATE_IDS} c ON r.addr_id = c.addr_id
        WHERE {scope_sql}
    ),
    d AS (
        SELECT group_id, any_value(licence_source) AS licence_source, any_value(licence_ref) AS licence_ref,
               list(indicator_bits) FILTER (WHERE in_view) AS code_masks,
               count(*) FILTER (WHERE in_view AND received_on >= ?) AS recent,
               count(*) FILTER (WHERE in_view AND source_evaluation = 1 AND intelligence_assessment IN ('A', 'B'))
                 AS top_graded,
               max(received_on) FILTER (WHERE in_view) AS last_report,
               {addresses.most_common('district_code')} AS report_district,
               {facts}
        FROM rm GROUP BY group_id
    ),
    lic AS (                -- the licence's own facts, for the licensed candidates
        SELECT d.group_id, h.address, h.postcode, h.district_code,
               CASE WHEN h.location_flag IS NULL AND h.lat IS NOT NULL THEN h.lat END AS lat,
               CASE WHEN h.location_flag IS NULL AND h.lat IS NOT NULL THEN h.lon END AS lon,
               CASE WHEN h.location_flag IS NULL AND h.lat IS NOT NULL THEN {_cell_sql("h")} END AS cell,
               CASE WHEN h.location_flag IS NULL AND h.lat IS NOT NULL THEN h.geocode_status END AS geocode_status
        FROM d JOIN hmo_licences h ON h.source = d.licence_source AND h.licence_ref = d.licence_ref
    )
    SELECT d.group_id, coalesce({addresses.licence_key("d")}, d.group_key) AS group_key,
           coalesce(lic.address, d.address) AS address, coalesce(lic.postcode, d.postcode) AS postcode,
           coalesce(lic.district_code, d.report_district) AS district_code,
           coalesce(lic.lat, d.pos.lat) AS lat, coalesce(lic.lon, d.pos.lon) AS lon,
           CASE WHEN lic.lat IS NOT NULL THEN lic.geocode_status ELSE d.pos_status END AS geocode_status,
           {"CASE WHEN lic.lat IS NOT NULL THEN lic.cell ELSE d.pos.cell END" if cell else "NULL::UBIGINT"} AS _cell,
           s.reports, d.recent, d.top_graded, d.last_report, s.status AS licence_status, s.over_occupied,
           s.max_people, s.max_occupants, s.licence_expiry, d.licence_ref, d.code_masks, s.score
    FROM {_SCORES} s JOIN d USING (group_id) LEFT JOIN lic USING (group_id)
    """
    recent_from = min(today, f.date_to) - dt.timedelta(days=int(settings.section("visits")["recent_days"]) - 1)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_RANKED} AS {sql}", [*view_params, *scope_params, recent_from])


def _add_report_facts(con, f: Filters) -> None:
    """Fill in, from their reports, what _RANKED's candidates lack: the key, address and postcode of an
    address on no licence (as last reported), and a point (the most precise, newest)."""
    lacking = "group_key IS NULL OR address IS NULL OR postcode IS NULL OR lat IS NULL"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_REPORTED_IDS} AS
        SELECT addr_id FROM {_CANDIDATE_IDS} WHERE group_id IN (SELECT group_id FROM {_RANKED} WHERE {lacking})
    """)
    ids = [i for (i,) in con.execute(f"SELECT addr_id FROM {_REPORTED_IDS} LIMIT ?", [_FEW_IDS + 1]).fetchall()]
    if not ids:
        return
    cell = _cell_column(_hotspot_resolution())
    cte, params = addresses.report_addresses(f, addr_ids=ids if len(ids) <= _FEW_IDS else _REPORTED_IDS)
    con.execute(f"""
        UPDATE {_RANKED} AS k SET
            group_key = coalesce(k.group_key, d.group_key), address = coalesce(k.address, d.address),
            postcode = coalesce(k.postcode, d.postcode),
            lat = coalesce(k.lat, d.pos.lat), lon = coalesce(k.lon, d.pos.lon),
            geocode_status = CASE WHEN k.lat IS NOT NULL THEN k.geocode_status ELSE d.pos_status END,
            _cell = {"CASE WHEN k.lat IS NOT NULL THEN k._cell ELSE d.pos.cell END" if cell else "k._cell"}
        FROM (WITH {cte} SELECT group_id, {_report_facts_sql(cell)} FROM rep_matched rm GROUP BY group_id) d
        WHERE k.group_id = d.group_id
    """, params)


def _languages(con, f: Filters, rows: pd.DataFrame) -> list[str]:
    """Languages from the nationalities in the address's own reports first, then from reports and cases in its
    H3 cell and its neighbours, each tagged with which (`language_support`).

    The area's are counted per cell in DuckDB (only the cells around the listed addresses), then summed over
    each address's disk.
    """
    vs = settings.section("visits")
    res, ring = int(vs["language_resolution"]), int(vs["language_ring"])
    centres = [h3.latlng_to_cell(float(lat), float(lon), res) if pd.notna(lat) and pd.notna(lon) else None
               for lat, lon in zip(rows["lat"], rows["lon"])]
    disks = {c: hexes.disk(c, ring) for c in set(centres) if c}
    wanted = sorted({n for d in disks.values() for n in d})
    per_cell: dict[str, Counter] = {}
    if wanted:
        rwhere, rparams = reports_where(f, "r")
        cwhere, cparams = cases_where(f, "c")
        rcell, ccell = hexes.cell_sql(con, res, "r"), hexes.cell_sql(con, res, "c")
        got = con.execute(f"""
            WITH wanted AS (SELECT unnest(?::UBIGINT[]) AS cell)
            SELECT cell, nationality, sum(n) AS n FROM (
                SELECT {rcell} AS cell, unnest(r.nationalities) AS nationality, 1 AS n FROM reports r
                WHERE {rwhere} AND r.lat IS NOT NULL AND r.lon IS NOT NULL AND r.location_flag IS NULL
                  AND {rcell} IN (SELECT cell FROM wanted)
                UNION ALL
                SELECT {ccell} AS cell, c.nationality, 1 AS n FROM cases c
                WHERE {cwhere} AND c.lat IS NOT NULL AND c.lon IS NOT NULL AND c.location_flag IS NULL
                  AND c.nationality IS NOT NULL AND {ccell} IN (SELECT cell FROM wanted)
            ) WHERE nationality IS NOT NULL GROUP BY cell, nationality
        """, [hexes.to_ints(wanted), *rparams, *cparams]).fetchall()
        for cell_int, nat, n in got:
            per_cell.setdefault(format(int(cell_int), "x"), Counter())[nat] += int(n)
    around = []
    for centre in centres:
        counts: Counter = Counter()
        for cell in disks[centre] if centre else ():
            counts.update(per_cell.get(cell, {}))
        around.append(counts)
    groups = [int(g) for g in rows["group_id"] if pd.notna(g)]
    own = _own_nationalities(con, f, groups) if groups else {}
    return [language_support(Counter(own.get(int(g), []) if pd.notna(g) else []), counts)
            for g, counts in zip(rows["group_id"], around)]


def language_support(own: Counter, around: Counter) -> str:
    """The languages to bring to one door, each tagged with where its need was seen.

    The nationalities reported at the address come first, tagged "(at the address)"; the area's (its reports
    and victim cases, often many more) only fill the room left, tagged "(nearby)". Untagged, the area's read as
    the door's: 12 reports naming Lithuanians at 13 High Way showed "Lithuanian, Russian, Albanian, Vietnamese",
    and a team could book an Albanian interpreter for a Lithuanian house. A door's language is never listed as
    nearby. Languages tied at the cut (`max_languages`) are neither dropped unsaid nor listed past the limit:
    "+2 more (nearby)" says how many more are needed as much as the last one listed. Each comma-separated item
    is one language with its tag, so a visit plan that splits the text on commas gets one language per item.
    """
    vs = settings.section("visits")
    limit = int(vs["max_languages"])
    door = _by_need(settings.language_weights(own, None))
    area = [(lang, w) for lang, w in _by_need(settings.language_weights(around, None)) if lang not in dict(door)]
    door_shown, door_more = _cut_at(door, limit)
    area_shown, area_more = _cut_at(area, limit - len(door_shown)) if not door_more else ([], 0)
    return ", ".join(_tagged(door_shown, door_more, vs["language_at_address"])
                     + _tagged(area_shown, area_more, vs["language_nearby"]))


def _by_need(weights: dict[str, float]) -> list[tuple[str, float]]:
    """Most needed first; equally needed by name, so the same data lists the same languages."""
    return sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))


def _cut_at(ranked: list[tuple[str, float]], room: int) -> tuple[list[str], int]:
    """The first `room` languages, and how many more are needed as much as the last of them (a tie at the cut)."""
    kept = ranked[:max(room, 0)]
    if not kept:
        return [], 0
    last = kept[-1][1]
    return [lang for lang, _ in kept], sum(1 for _, w in ranked[len(kept):] if w >= last - 1e-9)


def _tagged(languages: list[str], more: int, tag: str) -> list[str]:
    return [f"{lang} ({tag})" for lang in languages] + ([f"+{more} more ({tag})"] if more else [])


def _own_nationalities(con, f: Filters, group_ids: list[int]) -> dict[int, list[str]]:
    """The nationalities in each group's reports in the view, once per report (`group_id`, see
    analysis/addresses.py: a licence's group holds every address matched to it)."""
    where, params = reports_where(f, "r")
    got = con.execute(f"""
        WITH ids AS (SELECT unnest(?::BIGINT[]) AS group_id),
        members AS (
            SELECT group_id AS addr_id, group_id FROM ids
            UNION
            SELECT m.addr_id, m.group_id FROM address_matches m SEMI JOIN ids ON m.group_id = ids.group_id
        )
        SELECT mb.group_id, flatten(list(coalesce(r.nationalities, []))) FROM reports r
        JOIN members mb ON r.addr_id = mb.addr_id
        WHERE {where}
        GROUP BY mb.group_id
    """, [group_ids, *params]).fetchall()
    return {int(g): list(n) for g, n in got}


def _reasons(r, f: Filters, today: dt.date, registered: tuple[tuple[str, ...], bool]) -> str:
    vs = settings.section("visits")
    labels, severity = settings.indicator_labels(), settings.indicator_severity()
    if not r.reports:
        head = f"no reports between {f.date_from:%-d %b %Y} and {f.date_to:%-d %b %Y}; an HMO on a council register"
    elif f.date_to >= today:
        # "in the last 2526 days" is a sum to do: past half a year, the start date says it.
        since = f"in the last {f.days} days" if f.days <= 180 else f"since {f.date_from:%-d %b %Y}"
        head = f"{wording.plural(int(r.reports), 'report')} {since}"
        recent_days = int(vs["recent_days"])
        if f.days > recent_days:    # said every time: without it, 2 reports yesterday read like 2 in September
            head += f" ({_recent_part(int(r.recent), int(r.reports), r.last_report, recent_days)})"
    else:
        head = f"{wording.plural(int(r.reports), 'report')} between {f.date_from:%-d %b %Y} and {f.date_to:%-d %b %Y}"
    if r.top_graded:
        head += f", {r.top_graded} graded 1-A or 1-B"
    codes = Counter(list(r.codes) if r.codes is not None else [])
    if codes:
        top = sorted(codes, key=lambda c: (-codes[c], -severity.get(c, 0), c))[:int(vs["reason_indicators"])]
        head += ": " + ", ".join(wording.lower_first(labels.get(c, c)) for c in top)
    parts = [head]
    expiry = r.licence_expiry.date() if pd.notna(r.licence_expiry) else None
    if r.licence_status == "expired" and expiry:
        parts.append(f"licence expired {wording.age((today - expiry).days)} ago")
    elif r.licence_status == "expiring" and expiry:
        days = (expiry - today).days
        parts.append("licence expires today" if days == 0 else f"licence expires in {wording.age(days)}")
    elif r.licence_status == "possible_unlicensed":
        parts.append(f"on no HMO licence register, yet {int(r.max_people)} people seen" if _enough_people(r)
                     else "on no HMO licence register, yet reported as crowded")
    elif _crowded_unchecked(r, registered):
        # Not called unlicensed (no register to check it against), but the crowding is said, not lost.
        crowded = (f"{int(r.max_people)} people seen" if _enough_people(r) else "reported as crowded")
        parts.append(f"{crowded}; no council HMO register is loaded for {r.district} to check a licence against")
    if r.over_occupied:
        parts.append(f"{int(r.max_people)} people seen, licence allows {int(r.max_occupants)}")
    if r.gi_bin > 0:
        parts.append(f"in a {HOTSPOT_CONFIDENCE[r.gi_bin]} hotspot")
    if r.cases_nearby:
        parts.append(f"{r.cases_nearby} victim cases within {r.cases_reach} in the last {wording.age(r.cases_days)}")
    if r.feedback:
        parts.append(r.feedback)
    if r.geocode_status in APPROXIMATE_POSITION and pd.notna(r.lat):
        # Said, not just stored: a map pin and six decimals look exact, and a team would knock on the wrong door.
        parts.append(APPROXIMATE_POSITION[r.geocode_status])
    return "; ".join(parts)


HOTSPOT_CONFIDENCE = {1: "90%", 2: "95%", 3: "99%"}
APPROXIMATE_POSITION = {"postcode_district": "position approximate (postcode area centre): find the door on arrival",
                        "grid_square": "position approximate (grid square centre): find the door on arrival"}


def _crowded_unchecked(r, registered: tuple[tuple[str, ...], bool]) -> bool:
    """An address on no licence, crowded as a possible unlicensed HMO is (enough people seen, or a crowding
    sign such as many mattresses), in a district whose register is not loaded
    (`addresses.registered_districts`)."""
    codes, _ = registered
    district = r.district_code if isinstance(r.district_code, str) else None   # none: outside, or unplaced
    crowding = set(settings.section("possible_unlicensed")["indicators"])
    signs = crowding.intersection(r.codes) if r.codes is not None else set()
    return (r.licence_status == "not an HMO on record" and district is not None and district not in codes
            and (_enough_people(r) or bool(signs)))


def _enough_people(r) -> bool:
    """As many people seen as make an address on no register a possible unlicensed HMO."""
    min_people = int(settings.section("possible_unlicensed")["min_people"])
    return pd.notna(r.max_people) and r.max_people >= min_people


def _recent_part(recent: int, reports: int, last_report, recent_days: int) -> str:
    """How fresh an address's reports are: a lone report by its date, several by how many are recent."""
    if reports == 1 and pd.notna(last_report):
        return f"{pd.Timestamp(last_report):%-d %b %Y}"
    if recent == 0:
        return f"none in the last {recent_days} days"
    if recent == reports:
        return f"{'both' if reports == 2 else 'all'} in the last {recent_days} days"
    return f"{recent} in the last {recent_days} days"


def _unreported_sql(f: Filters, today: dt.date) -> tuple[str, list]:
    """Licensed HMOs with a usable point that no report in the view mentions (a query, with its status)."""
    where, params = licences_where(f, "h")
    status_sql, status_params = addresses.licence_status("h", today)
    return f"""
        SELECT h.*, {status_sql} AS status FROM hmo_licences h
        ANTI JOIN (     -- the licences with reports: a licensed group's id is one of its addresses' ids
            SELECT m.licence_source, m.licence_ref FROM {_SCORES} s JOIN address_matches m ON m.addr_id = s.group_id
            WHERE s.licensed
        ) reported ON h.source = reported.licence_source AND h.licence_ref = reported.licence_ref
        WHERE {where} AND h.lat IS NOT NULL AND h.lon IS NOT NULL AND h.location_flag IS NULL
          AND h.licence_ref IS NOT NULL
    """, [*status_params, *params]


def _unreported_status_counts(con, f: Filters, today: dt.date) -> dict[str, int]:
    sql, params = _unreported_sql(f, today)
    return dict(con.execute(f"SELECT status, count(*) FROM ({sql}) GROUP BY status ORDER BY status", params).fetchall())


def _unreported_licences(con, f: Filters, today: dt.date, statuses: list[str]) -> pd.DataFrame:
    """Licensed HMOs that no report in the view mentions, with one of `statuses`: scored on their licence
    and surroundings."""
    bonus = settings.section("visits")["bonus"]
    sql, params = _unreported_sql(f, today)
    licences = con.execute(f"""
        SELECT licence_ref, source, address, postcode, district_code, lat, lon, geocode_status, status, licence_expiry,
               max_occupants, {_cell_sql("u")} AS _cell
        FROM ({sql}) u WHERE status IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY source, licence_ref
    """, [*params, list(statuses)]).df()
    return pd.DataFrame({
        "address": licences["address"], "postcode": licences["postcode"], "district_code": licences["district_code"],
        "lat": licences["lat"], "lon": licences["lon"], "geocode_status": licences["geocode_status"],
        "_cell": licences["_cell"], "reports": 0, "recent": 0,
        "top_graded": 0, "last_report": pd.NaT, "licence_status": licences["status"], "over_occupied": False,
        "max_people": np.nan, "max_occupants": licences["max_occupants"].astype("Int64"),
        "licence_expiry": pd.to_datetime(licences["licence_expiry"]),
        "licence_ref": licences["licence_ref"],
        "group_key": "L|" + licences["source"].astype(str) + "|" + licences["licence_ref"].astype(str),
        "group_id": np.nan,     # no reports in the view to take nationalities from
        "score": licences["status"].map(lambda st: _status_bonus(st, bonus)).astype(float),
    })


def _with_context(con, f: Filters, today: dt.date, rows: pd.DataFrame) -> pd.DataFrame:
    """Add the hotspot and nearby-case bonuses, which need each address's H3 cell (stored on the rows)."""
    from analysis import hotspots

    vs = settings.section("visits")
    bonus, lookback = vs["bonus"], int(vs["context"]["cases_lookback_days"])
    rows = rows.copy()
    result = hotspots.compute(con, f, trend=False)   # only the Gi* bins count here
    # Cells as integers (h3-py's int form): the stored column, else computed here.
    if _cell_column(result.resolution):
        cells = pd.Series(rows["_cell"].astype("UInt64").to_numpy(dtype=np.uint64, na_value=0), index=rows.index)
    else:
        placed = (rows["lat"].notna() & rows["lon"].notna()).to_numpy()
        ints = np.zeros(len(rows), dtype=np.uint64)
        ints[placed] = hexes.to_ints(hexes.cells_for(rows.loc[placed, "lat"], rows.loc[placed, "lon"],
                                                     result.resolution))
        cells = pd.Series(ints, index=rows.index)
    reliable = result.warning is None  # below ~30 reports Gi* is noise: no hotspot bonus then
    bins = pd.Series(np.maximum(result.cells["gi_bin"].to_numpy(dtype=int), 0),
                     index=np.array(hexes.to_ints(result.cells["h3"]), dtype=np.uint64))
    rows["gi_bin"] = cells.map(bins).fillna(0).astype(int) if reliable else 0
    hot_bonus = {0: 0.0, 1: bonus["hotspot_90"], 2: bonus["hotspot_95"], 3: bonus["hotspot_99"]}
    case_cells = _case_counts(con, f, lookback, result.resolution)
    ring = int(vs["language_ring"])
    nearby_of: Counter = Counter()            # a cell → cases in it and its neighbours (the disk is symmetric)
    for case_cell, n in case_cells.items():
        for neighbour in hexes.disk(case_cell, ring):
            nearby_of[int(neighbour, 16)] += n
    nearby = cells.map(pd.Series(nearby_of, dtype="int64")).fillna(0).astype(int) if nearby_of else \
        pd.Series(0, index=rows.index)
    rows["cases_nearby"] = nearby.where(nearby >= settings.min_cases(), 0)
    rows["cases_days"] = lookback
    rows["cases_reach"] = wording.distance(hexes.disk_reach_km(result.resolution, ring))
    rows["score"] = (rows["score"].astype(float) + rows["gi_bin"].map(hot_bonus)
                     + np.minimum(rows["cases_nearby"] * bonus["per_case_nearby"], bonus["max_cases_bonus"]))
    return rows


def _case_counts(con, f: Filters, lookback_days: int, resolution: int) -> dict[str, int]:
    """Victim cases per cell, opened in the lookback window before the filter's end (districts apply)."""
    window = replace(f, date_from=f.date_to - dt.timedelta(days=lookback_days - 1))
    where, params = cases_where(replace(window, nationalities=(), exploitation_types=()), "c")
    cell = hexes.cell_sql(con, resolution, "c")
    got = con.execute(f"""
        SELECT {cell} AS cell, count(*) AS n FROM cases c
        WHERE {where} AND c.lat IS NOT NULL AND c.location_flag IS NULL GROUP BY 1
    """, params).fetchall()
    return {format(int(c), "x"): int(n) for c, n in got if c is not None}
