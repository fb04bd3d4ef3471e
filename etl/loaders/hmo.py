"""HMO licence registers: a snapshot of one council's register.

A newer register from the same source supersedes the older one. Licences that change
get a new version; licences that vanish are ended, and their history is kept.
"""
from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path

from etl import address_keys, report_refs, vocab
from etl.errors import FileProblem
from etl.loaders import checks, tabular
from etl.summary import LoadSummary

CONTENT = ["licence_ref", "address", "postcode", "uprn", "file_lat", "file_lon", "max_occupants", "households",
           "storeys", "licence_type", "licence_holder", "licence_start", "licence_expiry"]
# Counts of which 0 means "not recorded" in a register.
ZERO_MEANS_UNRECORDED = ("max_occupants", "households", "storeys")
STORED = ["licence_ref", "address", "postcode", "uprn", "lat", "lon", "geocode_status", "location_flag",
          "district_code", "lsoa_code", "max_occupants", "households", "storeys", "licence_type", "licence_holder",
          "licence_start", "licence_expiry", "source", "load_id", "row_number", "row_hash", "h3_7", "h3_8", "h3_9", "addr_key", "house_no"]


def load(con, path: Path, summary: LoadSummary, *, mapping=None, sheet=None, progress=None,
         whole_register: bool = False) -> None:
    """Make the file the source's register, for `etl.loading.load_file`, inside its transaction: licences it lacks
    are ended (their history kept), changed ones get a new version. A bad row goes to `rejects` and the others load.

    A file that looks like another council's register, part of this one (it would end most current licences), or
    a newer export of another source's register under the file's own name raises FileProblem and so changes
    nothing: loaded, it would take live licences off the map, or put each on it twice.
    `whole_register`: the analyst says the file is the source's whole current register, even though loading it
    ends most of the licences current now (a licensing scheme ended), so the guards against that stand aside."""
    staged = tabular.stage(con, path, "hmo", summary, required=[("licence_ref",), ("address",)],
                           mapping=mapping, sheet=sheet, progress=progress)
    c = staged.column
    once: dict[str, str] = {}
    per_row = checks.computed_once(once)
    loc = checks.location(staged, once=per_row, half_pairs_set_aside=True)
    # Each date is parsed once per row, beside the cells (`checks.stage_with`): written out in each of the
    # checks that read it, the parse_date macro made the statement take DuckDB longer to plan than to run
    # on a council's register.
    start, expiry = (per_row(f"date_{f}", f"parse_date({c(f)})")
                     for f in ("licence_start", "licence_expiry"))
    # So is each count, read by its check, its column and the zeros' warning.
    # (parse_storeys is 0 only where parse_count is: its "G+2" readings are at least 1.)
    count = {f: per_row(f"count_{f}", f"{'parse_storeys' if f == 'storeys' else 'parse_count'}({c(f)})")
             for f in ZERO_MEANS_UNRECORDED}
    earliest, latest = "DATE '1980-01-01'", "current_date + INTERVAL 30 YEAR"
    validations = [
        checks.too_many_cells(staged),
        checks.rows_inside_a_cell(staged),
        checks.blank(c("licence_ref"), "licence number"),
        checks.excel_error(c("licence_ref"), "licence number"),
        f"CASE WHEN {c('address')} IS NULL AND {loc.lat} IS NULL THEN {_no_address_said(staged)} END",
        checks.too_long(c("address"), "address", 500),
        checks.not_a_count(c("max_occupants"), "maximum occupants", parsed=count["max_occupants"]),
        checks.not_a_count(c("households"), "households", parsed=count["households"]),
        checks.not_a_count(c("storeys"), "storeys", 100, parsed=count["storeys"]),
        checks.not_a_date(c("licence_start"), "licence start", parsed=start),
        checks.not_a_date(c("licence_expiry"), "licence expiry", parsed=expiry),
        checks.date_between(c("licence_start"), "licence start", earliest, "current_date + INTERVAL 1 YEAR", parsed=start),
        checks.date_between(c("licence_expiry"), "licence expiry", earliest, latest, parsed=expiry),
        f"""CASE WHEN {_not_live(c('licence_status'))}
            THEN 'licence status ' || shown({c('licence_status')}) || ': no live licence, so not loaded as one' END""",
        f"""CASE WHEN {expiry} < {start}
            THEN 'licence expiry ' || shown({c('licence_expiry')}) || ' is before its start ' || shown({c('licence_start')}) END""",
        *loc.checks,
        checks.half_pair(loc.half, checks.placed_without_coordinates(staged, loc)),
    ]
    tabular.parse(con, f"""
        SELECT _row AS row_number,
               {c('licence_ref')} AS licence_ref, licence_key({c('licence_ref')}) AS _licence_key,
               {c('address')} AS address,
               coalesce(postcode_in_cell({c('postcode')}), postcode_in_text({c('address')}), upper({c('postcode')})) AS postcode,
               outward_code({c('postcode')}) AS _outward,
               {c('uprn')} AS uprn,   -- a script's decimal UPRN read as its digits (stage.TEXT_MARKED_FIELDS)
               {loc.lat} AS lat, {loc.lon} AS lon,
               {loc.lat} AS file_lat, {loc.lon} AS file_lon, {loc.coarse} AS _coarse,
               {loc.half} AS _half, {loc.half_given} AS _half_given,
               nullif({count['max_occupants']}, 0) AS max_occupants,
               nullif(coalesce({count['households']}, households_in({c('max_occupants')})), 0) AS households,
               nullif({count['storeys']}, 0) AS storeys,
               {" + ".join(f"coalesce({count[f]} = 0, false)::INTEGER" for f in ZERO_MEANS_UNRECORDED)} AS _zeros,
               {c('licence_type')} AS licence_type,
               {c('licence_holder')} AS licence_holder,
               {start} AS licence_start,
               {expiry} AS licence_expiry,
               coalesce({_not_live(c('licence_status'))}, false) AS _not_live, {_as_written(staged, 'licence_status')} AS _status,
               {checks.reasons(validations)} AS reason
        FROM {checks.stage_with(once)}
    """, CONTENT)
    tabular.record_rejects(con, summary, staged)
    summary.warnings += checks.half_pairs_set_aside(con, staged, show_values=True)
    summary.warnings += filter(None, [checks.postcodes_that_are_not_ones(con, staged, show_values=True)])
    _warn_zeros(con, summary)
    _warn_many_occupants(con, summary)
    _warn_uprns_in_scientific_notation(con, summary)
    _note_live_statuses(con, summary)
    _note_another_partys_columns(staged, summary)
    _warn_postcodes_unlike_the_address(con, staged, summary)
    _number_addresses(con, summary)
    tabular.accepted_and_geocoded(con, summary, "_licence_key")   # 'FDC/1' and 'fdc/1 ' are one licence
    con.execute("""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT *, ? AS source, CAST(? AS BIGINT) AS load_id,
               address_key(address) AS addr_key, house_number(address_key(address)) AS house_no
        FROM incoming
    """, [summary.source, summary.load_id])
    _another_sources_register(con, path, summary)
    _supersede(con, path, summary, whole_register)


def _no_address_said(staged) -> str:
    """SQL: why a row without coordinates has no address: its cell is blank, or says there is none ("N/A", "Not
    known": etl/no_value.py), named as the analyst sees it in the register."""
    i = staged.match.columns.get("address")
    if i is None:
        return "'address is blank'"
    return f"coalesce('address ' || shown(c{i}) || ' says there is none', 'address is blank')"


def _door(table: str) -> str:
    """SQL: the address a row of `table` (parsed) licenses, as its licence's rows are compared: the address as
    `address_key` spells it with each kind of street in full ('3 Kappa Rd' and '3 KAPPA ROAD.' are one), else
    its postcode, else the file's point. A town on one row only ('3 Kappa Road, Cambourne' and '3 Kappa Road')
    makes two addresses: both are kept, so nothing is lost, and the summary names them."""
    key = address_keys._in_full(f"address_key({table}.address)")
    return (f"coalesce(nullif({key}, ''), {table}.postcode, "
            f"nullif(concat_ws(',', {table}.file_lat, {table}.file_lon), ''))")


def _number_addresses(con, summary: LoadSummary) -> None:
    """Give each address after the first of a licence number in the register its part's reference, as reports
    are (etl/report_refs.py: 'SC/3', 'SC/3 (address 2)', …), and name them in the summary.

    A register's rows of one licence number at different addresses were collapsed into the last, and the other
    address lost its licence: a report there then counted as at a possible unlicensed HMO. Such rows are read
    as the council wrote them, each address licensed: a licence may cover several doors (a block, flats 1-4 of
    one house), and where the number is a typo ('SC/3' for 'SC/4') both addresses are still licensed, the
    number alone being wrong. Rejecting both rows would take two licensed addresses off the map each month
    the council's export stays so, and the analyst cannot correct the council's register. The summary names
    the rows and addresses, so a typo can be taken to the council.

    Each part is a licence of its own in `hmo_licence_history` (one row per source and reference, as the
    visit list and the licence match expect). Parts are numbered in the order of their addresses (`_door`),
    not of the file, so a later export sorted otherwise reloads unchanged; one whose licence gives fewer
    addresses ends the parts it no longer has, as any licence gone from the register. Rows of one licence at
    one address are versions of one row, and collapse into the last as before. Rejected rows are numbered
    too: a part whose row is rejected now is kept as it was (`_supersede`)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE licence_parts AS
        WITH repeated AS (SELECT _licence_key FROM parsed WHERE _licence_key IS NOT NULL
                          GROUP BY 1 HAVING count(*) > 1),
             rows_ AS (SELECT p.row_number, p._licence_key, {_door('p')} AS door
                       FROM parsed p SEMI JOIN repeated USING (_licence_key)),
             doors AS (SELECT _licence_key, door, row_number() OVER (PARTITION BY _licence_key ORDER BY door) AS part,
                              count(*) OVER (PARTITION BY _licence_key) AS parts
                       FROM (SELECT DISTINCT _licence_key, door FROM rows_ WHERE door IS NOT NULL))
        SELECT r.row_number, r._licence_key, d.part FROM rows_ r JOIN doors d USING (_licence_key, door)
        WHERE d.parts > 1
    """)
    said = _addresses_of_one_licence(con)
    con.execute(f"""
        UPDATE parsed SET licence_ref = parsed.licence_ref || format('{report_refs.PART}', l.part),
                          _licence_key = licence_key(parsed.licence_ref || format('{report_refs.PART}', l.part))
        FROM licence_parts l WHERE parsed.row_number = l.row_number AND l.part > 1
    """)
    con.execute("DROP TABLE licence_parts")
    if said:
        summary.warnings.append(said)


def _addresses_of_one_licence(con) -> str | None:
    """The licence numbers the temp table `licence_parts` gives several addresses, with their rows, each row's
    address and the reference it is stored under: so the analyst can find them in the register."""
    licences = con.execute("""
        SELECT list(struct_pack(row_number := p.row_number, ref := p.licence_ref, address := p.address, part := l.part,
                                rejected := p.reason IS NOT NULL) ORDER BY l.part, p.row_number)
        FROM parsed p JOIN licence_parts l USING (row_number)
        GROUP BY l._licence_key ORDER BY min(p.row_number)
    """).fetchall()
    if not licences:
        return None

    def stored(row: dict) -> str:
        return row["ref"] if row["part"] == 1 else row["ref"] + report_refs.PART.format(row["part"])

    def shown(rows: list[dict]) -> str:
        listed = ", ".join(f"row {r['row_number']} {r['address']!r}" + (" (rejected)" if r["rejected"] else "")
                           for r in rows[:6]) + (" …" if len(rows) > 6 else "")
        names = list({r["part"]: stored(r) for r in rows if not r["rejected"]}.values())   # each part's last row
        return (f"{rows[0]['ref']!r}: {listed} (stored as " + ", ".join(map(repr, names[:4]))
                + (" …" if len(names) > 4 else "") + ")")

    rows = sum(len(r) for (r,) in licences)
    return (f"{len(licences):,} licence number(s) given to different addresses ({rows:,} rows): each address kept as "
            "licensed, as a part of its licence (a licence covering several doors, or a typo in a licence number: "
            "check with the council): " + "; ".join(shown(r) for (r,) in licences[:3])
            + (" …" if len(licences) > 3 else ""))


def _refuse_a_register_of_elsewhere(con, path: Path, summary: LoadSummary) -> None:
    """A register none of whose licences is placed in the six districts, some being placed elsewhere (a point
    outside them, or a postcode of an area the loaded postcode lookup does not cover at all), is another
    council's: refused on any load, the first of its source too. Refused only where it would end licences on
    the map, Oxford's register went in as a new source without a word, and the same file was refused the next
    time: loaded, its licences stand in no district, and the wrong source has to be taken out (`etl remove`).

    Where nothing can be judged yet (no postcode lookup loaded, and no coordinates) nothing is refused: its
    licences are unplaced for want of a lookup, not found elsewhere. Nor are postcodes of an area the lookup
    covers but lacks (a partial lookup): a register of this area, whose summary says what would place it. Nor is
    a register too small for its postcodes alone to say elsewhere (`_found_elsewhere`): one licence whose postcode
    has a typo ('PF13' for 'PE13') would otherwise be refused each time, and could never be loaded."""
    total, placed = con.execute("SELECT count(*), count(*) FILTER (WHERE lat IS NOT NULL AND location_flag IS NULL) "
                                "FROM incoming").fetchone()
    if not total or placed:
        return
    found, remedy = _found_elsewhere(con)
    if not found:
        return
    on_the_map = con.execute("""
        SELECT count(*) FROM merge_plan m JOIN hmo_licence_history h ON h.rowid = m._rid
        WHERE m.action = 'ended' AND h.lat IS NOT NULL AND h.location_flag IS NULL""").fetchone()[0]
    ending = (f", and loading it as {summary.source!r} would end the {on_the_map:,} licence(s) of that source on "
              "the map now" if on_the_map else "")
    none = "its only licence is not" if total == 1 else f"none of its {total:,} licences is"
    raise FileProblem(path, f"{none} in the six districts ({found}){ending}: another "
                            f"council's register? Nothing was changed. If it is this area's, {remedy}, then load it "
                            "again" + _loaded_already(con, total))


def _found_elsewhere(con) -> tuple[str | None, str]:
    """What places the licences of `incoming` outside the force area, in words ('3,181 with postcodes in areas
    the loaded postcode lookup does not cover: postcode areas OX; it covers CB, PE'), or None; and what would
    place them here, were they this area's. A point flagged swapped is no sign of elsewhere: read the other way
    round, it is here. Postcodes of areas the lookup does not cover say so only of as many licences as
    etl/vocab/counts.toml `hmo_licences_to_judge_by_postcode_area`: fewer, and they may be typos. A point outside
    the box says so of any number, with the postcodes beside it."""
    # Outside the force area's box, not only outside the loaded districts: with boundaries loaded for some of the
    # six districts (a sample, or a partial file), a Cambridge register's points are in no loaded district, yet
    # here. Oxford is outside the box.
    box = vocab.load("area")["bbox"]
    outside = con.execute("SELECT count(*) FROM incoming WHERE location_flag = 'outside_area' "
                          "AND NOT (lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?)",
                          [box["min_lon"], box["max_lon"], box["min_lat"], box["max_lat"]]).fetchone()[0]
    areas = con.execute("""
        WITH lookup AS (SELECT DISTINCT regexp_extract(postcode, '^[A-Z]+') AS area FROM postcodes)
        SELECT area, count(*) AS n FROM (
            SELECT regexp_extract(postcode, '^[A-Z]+') AS area FROM incoming
            WHERE geocode_status = 'not_geocoded' AND full_postcode(postcode) IS NOT NULL)
        WHERE EXISTS (SELECT 1 FROM lookup) AND area NOT IN (SELECT area FROM lookup)
        GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
    fewest = int(vocab.load("counts")["hmo_licences_to_judge_by_postcode_area"])
    if not outside and sum(n for _, n in areas) < fewest:
        return None, ""   # a typo'd postcode, not another council's register
    said, remedy = [], []
    if areas:
        held = [a for (a,) in con.execute("SELECT DISTINCT regexp_extract(postcode, '^[A-Z]+') AS a FROM postcodes "
                                          "ORDER BY a LIMIT 8").fetchall()]
        shown = ", ".join(a for a, _ in areas[:6]) + (" …" if len(areas) > 6 else "")
        said.append(f"{sum(n for _, n in areas):,} with postcodes in areas the loaded postcode lookup does not "
                    f"cover: postcode areas {shown}; it covers {', '.join(held)}")
        remedy.append("load a postcode lookup that covers its postcodes (python -m etl load postcodes FILE)")
    if outside:
        said.append(f"{outside:,} with a point outside the six districts")
        remedy.append("correct its points")
    return "; ".join(said) or None, ", or ".join(remedy)


def _loaded_already(con, total: int) -> str:
    """The source holding most of these licences already, loaded before they could be judged (before a postcode
    lookup was), with the command that takes it out: that register is as wrong as this file."""
    row = con.execute("""
        SELECT source, count(DISTINCT licence_key(licence_ref)) FROM hmo_licence_history
        WHERE ended_load_id IS NULL AND licence_key(licence_ref) IN (SELECT licence_key(licence_ref) FROM incoming)
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""").fetchone()
    if not row or row[1] * 2 < total:
        return ""
    return (f". {row[1]:,} of these licences are on the register loaded as {row[0]!r}: if that is this register, "
            f"loaded wrongly, `{_remove(row[0])}` takes that source out")


def _remove(source: str) -> str:
    """The command that takes a wrongly loaded register out, as the analyst types it."""
    return f"python -m etl remove hmo {shlex.quote(source)}"


def _ends_most_current_licences(con, summary: LoadSummary) -> tuple[int, int] | None:
    """(ended, current) when this load would end most of a source's current licences, of which it has enough for
    that to say something about the file."""
    current = con.execute("SELECT count(*) FROM current_licences").fetchone()[0]
    ended = summary.rows_ended
    if current < int(vocab.load("counts")["hmo_licences_to_guard"]) or ended * 2 <= current:
        return None
    return ended, current


WHOLE_REGISTER = ("if it really is the source's whole register now (a licensing scheme ended), load it again with "
                  "--whole-register")


def _refuse_part_of_a_register(con, path: Path, summary: LoadSummary) -> None:
    """A file with under half as many licences as the source has current, which would end most of them, is part
    of a register: the month's new licences, one town's, or a filtered export. Each load of a source replaces its
    whole register, so it would take the rest off the map."""
    ends = _ends_most_current_licences(con, summary)
    if not ends:
        return
    ended, current = ends
    total = con.execute("SELECT count(DISTINCT licence_ref) FROM incoming").fetchone()[0]
    if total * 2 >= current:
        return
    raise FileProblem(path, f"it holds {total:,} licence(s), and loading it as {summary.source!r} would end {ended:,} "
                            f"of the {current:,} current licences of that source: each load of a source replaces its "
                            "whole register, so a file of the month's new licences, or of one town, takes the rest "
                            "off the map. Nothing was changed. Load the council's whole register; to keep this file "
                            f"beside it, load it under a --source of its own; {WHOLE_REGISTER}")


# (licences, of which expired before today, the newest expiry) of the register being loaded.
Expired = tuple[int, int, dt.date | None]


def _refuse_a_register_of_expired_licences(con, path: Path, summary: LoadSummary, expired_licences: Expired) -> None:
    """A file most of whose licences have expired, which would end most of the source's current ones, is no
    current register: a workbook's "Expired licences" sheet loaded without --sheet, or an old export. Loaded,
    it would take the source's live licences off the map and put expired ones in their place. A register
    that really is mostly expired can still be loaded, as a source of its own or after `etl remove`. A first load
    ends nothing, so is never refused for it: its summary says so (`_warn_expired_licences`)."""
    ends = _ends_most_current_licences(con, summary)
    if not ends:
        return
    ended, current = ends
    total, expired, _ = expired_licences
    if not total or expired * 2 <= total:
        return
    raise FileProblem(path, f"{expired:,} of its {total:,} licences expired before today, and loading it as "
                            f"{summary.source!r} would end {ended:,} of the {current:,} current licences of that "
                            "source: an expired-licences sheet, or an old export? Nothing was changed. Load the "
                            "current register (for a workbook, name its sheet with --sheet); to keep this one all "
                            f"the same, load it under a --source of its own; {WHOLE_REGISTER}")


def _expired_licences(con, today: dt.date) -> Expired:
    """(licences, of which expired before `today`, the newest expiry) of the register being loaded: counted once
    per load (`_supersede`), for the guard and the warning both."""
    return con.execute("SELECT count(DISTINCT licence_ref), count(DISTINCT licence_ref) FILTER "
                       "(WHERE licence_expiry < ?), max(licence_expiry) FROM incoming", [today]).fetchone()


def _warn_expired_licences(summary: LoadSummary, expired_licences: Expired) -> None:
    """A register most of whose licences have expired, loaded (a first load, which ends nothing, is never refused
    for it; nor one `--whole-register` lets through): said plainly, as an old export loads without a word
    otherwise, and every address of it then counts on the dashboard as having an expired licence."""
    total, expired, newest = expired_licences
    if not total or expired * 2 <= total:
        return
    said = (f"all {total:,} licences expired before today (the newest expiry {newest:%d %b %Y})" if expired == total
            else f"{expired:,} of the {total:,} licences expired before today")
    summary.warnings.append(f"{said}: an old export? the dashboard counts expired licences as a licence issue at "
                            "each address")


def _another_sources_register(con, path: Path, summary: LoadSummary) -> None:
    """Most of these licence numbers already current under another source: this is a newer export of that
    register, loaded under a new name (by default the file's: "fenland_hmo_2026-11" beside "…-10"), and
    every licence would stand on the map twice. Refused when the source was the file's name; said when an
    analyst named it."""
    row = con.execute("""
        SELECT h.source, count(DISTINCT i.licence_ref), (SELECT count(DISTINCT licence_ref) FROM incoming)
        FROM incoming i JOIN hmo_licence_history h ON licence_key(h.licence_ref) = licence_key(i.licence_ref)
        WHERE h.ended_load_id IS NULL AND h.source <> ?
        GROUP BY h.source ORDER BY 2 DESC, 1 LIMIT 1
    """, [summary.source]).fetchone()
    if not row or row[1] * 2 < row[2]:
        return
    other, shared, total = row
    said = f"{shared:,} of the {total:,} licence numbers in this file are on the register loaded as {other!r}"
    if not summary.source_given:
        raise FileProblem(path, f"{said}: a newer export of that register? Load it with --source {other!r} so it "
                                "replaces it. To keep it as a register of its own beside that one, name its "
                                "source with --source")
    earlier = con.execute("SELECT count(*) FROM hmo_licence_history WHERE source = ? AND ended_load_id IS NULL",
                          [summary.source]).fetchone()[0]
    held = (f", with the {earlier:,} licence(s) {summary.source!r} held before it (load its register again after "
            "it)" if earlier else "")
    summary.warnings.append(f"{said} too: each of those licences now stands on both registers. If this is a newer "
                            f"export of {other!r} loaded under the wrong --source, `{_remove(summary.source)}` takes "
                            f"this load out{held}; load the file with --source {shlex.quote(other)}")


def _not_live(status: str) -> str:
    """SQL: the register's status says the row is no live licence (etl/vocab/licence_statuses.toml).

    A not-live word a negation denies ("Not revoked", "never expired") is taken out first: read as a word
    alone, it would reject a live licence, and end the one stored under its number."""
    table = vocab.load("licence_statuses")
    words, negations = _alternatives(table["not_live"]), _alternatives(table["negations"])
    said = f"regexp_replace(lower({status}), '\\b({negations})\\s+({words})\\b', ' ', 'g')"
    return f"regexp_matches({said}, '\\b({words})\\b')"


def _as_written(staged, name: str) -> str:
    """SQL: the field's cell as the file has it, where the column reads "Pending" or "TBC" as blank (etl/no_value.py):
    the summary names the statuses read as live as the analyst sees them in the register."""
    i = staged.match.columns.get(name)
    return "NULL::VARCHAR" if i is None else f"c{i}"


def _alternatives(words: list[str]) -> str:
    """A regular expression matching any of the words, a space in one matching any run of white space."""
    return "|".join(re.escape(w).replace("\\ ", " ").replace(" ", "\\s+") for w in words)


def _note_live_statuses(con, summary: LoadSummary) -> None:
    """Every status read as a live licence, with its count: any status that is not a not-live word is read so,
    an application too, so a word the vocabulary lacks ("Deceased", "Pending") is seen, not silently mapped."""
    rows = con.execute("SELECT trim(_status), count(*) FROM parsed WHERE reason IS NULL AND NOT _not_live "
                       "AND nullif(trim(_status), '') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    if not rows:
        return
    table = vocab.load("licence_statuses")
    live, pending = (re.compile(rf"\b({_alternatives(table[k])})\b") for k in ("live", "pending"))

    def shown(value: str, n: int) -> str:
        what = ("" if live.search(value.lower()) else ", an application" if pending.search(value.lower())
                else ", not a status etl/vocab/licence_statuses.toml knows")
        return f"{value!r} ({n:,}{what})"

    listed = ", ".join(shown(v, n) for v, n in rows[:12]) + (f" and {len(rows) - 12} more" if len(rows) > 12 else "")
    summary.warnings.append(f"licence status read as live (loaded as a current licence): {listed}")


def _note_another_partys_columns(staged, summary: LoadSummary) -> None:
    """Name the columns of an agent's, landlord's or holder's postcode or address that were not read as the
    property's (etl/vocab/headers.toml `other_party_words`): the analyst who means one names it with --mapping."""
    kept = staged.match.other_party
    if kept:
        shown = ", ".join(f"{h!r} (not read as the {f.replace('_', ' ')})" for h, f in kept.items())
        summary.warnings.append(f"column(s) naming another party than the property, so not read as its location: "
                                f"{shown}; if one is the property's, name it with --mapping FILE")


def _warn_postcodes_unlike_the_address(con, staged, summary: LoadSummary) -> None:
    """A postcode column that disagrees with a full postcode written in the same row's address. The column
    places the licence, as it always has (the address's postcode only stands in for a blank or unreadable
    one), but one of the two is wrong, or the column is another party's: say how many, with an example."""
    if "postcode" not in staged.match.columns:
        return
    n, ref, given, written = con.execute("""
        SELECT count(*), arg_min(licence_ref, row_number), arg_min(postcode, row_number), arg_min(written, row_number)
        FROM (SELECT licence_ref, row_number, postcode, postcode_in_text(address) AS written
              FROM parsed WHERE reason IS NULL)
        WHERE written <> postcode""").fetchone()
    if n:
        header = staged.match.headers[staged.match.columns["postcode"]]
        summary.warnings.append(f"{n:,} licence(s) have a postcode in {header!r} unlike the one in their address "
                                f"(e.g. {ref!r}: {given!r}, but {written!r} in the address): placed by {header!r}; "
                                "check which is right")


def _warn_zeros(con, summary: LoadSummary) -> None:
    """A 0 there is a register's "not recorded", stored as such (NULL), never as a house of no one, which a
    popup would show as a maximum of 0 occupants."""
    n = con.execute("SELECT count(*) FROM parsed WHERE reason IS NULL AND _zeros > 0").fetchone()[0]
    if n:
        summary.warnings.append(f"{n:,} licence(s) give 0 for maximum occupants, households or storeys: an HMO "
                                "has people, households and floors, so 0 is stored as not recorded")


def _warn_many_occupants(con, summary: LoadSummary) -> None:
    """A maximum far beyond a house's is loaded as given, but named, so a typo ('500' for '5') is found."""
    most = int(vocab.load("counts")["hmo_occupants_to_check"])
    n, example, value = con.execute("SELECT count(*), arg_max(licence_ref, max_occupants), max(max_occupants) "
                                    "FROM parsed WHERE reason IS NULL AND max_occupants > ?", [most]).fetchone()
    if n:
        summary.warnings.append(f"{n:,} licence(s) allow more than {most} occupants (the most: {example!r}, {value}): "
                                "loaded as given; check them for a typo")


def _warn_uprns_in_scientific_notation(con, summary: LoadSummary) -> None:
    """Excel shows a 12-digit UPRN as 1.00090E+11 and saves it so to CSV: its last digits are gone, and every
    UPRN of a street may read the same. They are stored as given; the register needs exporting again."""
    n, example = con.execute("SELECT count(*), min(uprn) FROM parsed WHERE reason IS NULL AND "
                             "regexp_full_match(trim(uprn), '[0-9](\\.[0-9]+)?[eE]\\+?[0-9]+')").fetchone()
    if n:
        summary.warnings.append(f"{n:,} UPRN(s) in scientific notation (e.g. {example!r}): Excel dropped their last "
                                "digits when it saved the file; stored as given. Export the register again with the "
                                "UPRN column formatted as text")


def _supersede(con, path: Path, summary: LoadSummary, whole_register: bool = False) -> None:
    """Compare the snapshot with the source's current licences: new, changed, unchanged, gone.

    A licence whose row this register has but rejected (a typo in its expiry date) is still on the
    register, unless the row's status says it is no live licence (revoked, refused): it keeps its current
    version, rather than being ended as if it had gone. Licence numbers are compared as `licence_key`
    spells them: a register retyped in lower case, or through Excel, which drops leading zeros, updates
    its licences rather than ending them all and adding them again."""
    today = dt.date.today()
    con.execute("""
        CREATE OR REPLACE TEMP TABLE current_licences AS
        SELECT rowid AS _rid, licence_ref, row_hash FROM hmo_licence_history
        WHERE source = ? AND ended_load_id IS NULL
    """, [summary.source])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE merge_plan AS
        SELECT coalesce(i.licence_ref, c.licence_ref) AS licence_ref, c._rid,
               CASE WHEN c.licence_ref IS NULL THEN 'new'
                    WHEN i.licence_ref IS NULL AND licence_key(c.licence_ref) IN (SELECT licence_key(licence_ref)
                         FROM parsed WHERE reason IS NOT NULL AND NOT _not_live AND licence_ref IS NOT NULL) THEN 'kept'
                    WHEN i.licence_ref IS NULL THEN 'ended'
                    WHEN c.row_hash = i.row_hash THEN 'unchanged' ELSE 'updated' END AS action
        FROM incoming i FULL OUTER JOIN current_licences c ON licence_key(c.licence_ref) = licence_key(i.licence_ref)
    """)
    counts = dict(con.execute("SELECT action, count(*) FROM merge_plan GROUP BY 1").fetchall())
    if counts.get("kept"):
        summary.warnings.append(f"{counts['kept']:,} licence(s) kept as they were: their rows in this register "
                                "were rejected; fix them and load the register again")
    summary.rows_loaded = counts.get("new", 0)
    summary.rows_updated = counts.get("updated", 0)
    summary.rows_unchanged = counts.get("unchanged", 0)
    summary.rows_ended = counts.get("ended", 0)
    _refuse_a_register_of_elsewhere(con, path, summary)
    expired = _expired_licences(con, today)
    if not whole_register:
        _refuse_part_of_a_register(con, path, summary)
        _refuse_a_register_of_expired_licences(con, path, summary, expired)
    _warn_expired_licences(summary, expired)
    con.execute("""
        UPDATE hmo_licence_history SET ended_load_id = ?, ended_on = ?
        WHERE rowid IN (SELECT _rid FROM merge_plan WHERE action IN ('updated', 'ended'))
    """, [summary.load_id, today])
    cols = ", ".join(STORED)
    con.execute(f"""
        INSERT INTO hmo_licence_history ({cols})
        SELECT {cols} FROM incoming
        WHERE licence_ref IN (SELECT licence_ref FROM merge_plan WHERE action IN ('new', 'updated'))
    """)
