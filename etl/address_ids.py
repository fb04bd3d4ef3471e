"""Integer ids for reported addresses, assigned as reports are loaded (table `addresses`).

The visit list and the map group hundreds of thousands of reports by address on every query, and
join them to `address_matches`. Keyed by strings (normalised address and postcode) that costs
several times what it costs keyed by one integer, so each distinct address gets an id once, here,
and every report stores its `addr_id`. A report without an address has none.

An address is its normalised text and postcode. Without a full postcode (none, or "PE13", "N/A"),
text alone would make one door of every "12 High Street" in the county, so such an address is also
its `place`: the res-7 H3 cell (about 5 km²) of the report's point. Reports of one door still share
an id, since they are placed alike; the same words in two towns do not. Without a point either, the
text is all there is.

A street is no door, and has no id. "Cherry Hinton Road" may be a street or a house name and a street;
once a stored report or licence gives a house number on it, it is a street (`learn_streets`), and the
reports of it stored earlier lose their ids at that load (they keep their `addr_key`, the words). Removing
the source whose rows alone showed that makes it a door again (`unlearn_streets`).

Ids come from a sequence, so an id is never given twice. An address no report uses any more keeps
its id (a report that names it again gets the same one) until retention deletes the last report
naming it: then the address goes too (`forget_unused`), since its text came from those reports.
SQL text only; the caller's private copy of the warehouse holds it all.
"""
from __future__ import annotations

import duckdb

from etl import address_keys, address_matches, h3cells

# The H3 resolution of a postcode-less address's place: a stored cell column of every report.
PLACE_RESOLUTION = 7
PLACE_COLUMN = f"h3_{PLACE_RESOLUTION}"
assert PLACE_COLUMN in h3cells.COLUMNS

# The incoming reports with their address ids: what the reports loader stores.
INCOMING = "incoming_with_addr_ids"


def assign(con: duckdb.DuckDBPyConnection) -> str:
    """Give every new address in the temp table `incoming` an id; return the name of a view of `incoming`
    with an `addr_id` column.

    A new address's id is fixed by its first row in the file: a load takes from the sequence a block of
    ids as long as the file's span of rows, and the address first met k rows after the first row gets
    the block's k-th id. So the same load on the same warehouse always gives the same ids (`nextval`
    per row, over a parallel DISTINCT, handed them out in whatever order the threads met them: a load
    and its rerun could swap two), and ids never repeat. The ids no new address took are skipped;
    they are only numbers.
    """
    # The file's numbered addresses may show stored ones to be streets; its own candidates are compared with
    # every stored address too, which is read only then (0.6 s a million addresses).
    learn_streets(con, ["incoming", "addresses"], ["incoming"], known=["addresses", "hmo_licences"])
    low, high = con.execute("SELECT min(row_number), max(row_number) FROM incoming WHERE addr_key <> ''").fetchone()
    if low is not None:
        con.execute(f"""
            INSERT INTO addresses
            SELECT ? + n.first_row - ?, n.addr_key, n.pc, n.place
            FROM (SELECT addr_key, {identity("incoming")}, min(row_number) AS first_row
                  FROM incoming WHERE addr_key <> '' AND addr_key NOT IN (SELECT addr_key FROM {STREETS})
                  GROUP BY ALL) n
            ANTI JOIN addresses a ON {_same_address("a", "n")}
        """, [_take_ids(con, high - low + 1), low])
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {INCOMING} AS
        SELECT i.* EXCLUDE (pc, place), a.addr_id
        FROM (SELECT *, {identity("incoming")} FROM incoming) i
        LEFT JOIN addresses a ON {_same_address("a", "i")}
    """)
    return INCOMING


# An address that may be a street alone: it has words and no number (`learn_streets`).
NO_NUMBER = "addr_key <> '' AND NOT regexp_matches(addr_key, '[0-9]')"
# The keys `learn_streets` found to be streets (a temp table, addr_key).
STREETS = "learnt_streets"


def learn_streets(con: duckdb.DuckDBPyConnection, candidates: list[str], evidence: list[str],
                  known: list[str] | tuple[str, ...] = ()) -> int:
    """Find the addresses of `candidates` that the addresses of `evidence` show to be streets, or that are
    streets already, and make the stored ones no door; return how many keys were found (they are in the temp
    table `STREETS`, so that `assign` gives them no id). The tables of `known` (the stored addresses and
    licences, long) are evidence too, read only when the first of `candidates` (a load's rows) holds one: a
    stored candidate was compared with them when it came. The candidates are read once, for both.

    "CHERRY HINTON ROAD" may be a street, or a house named Cherry on Hinton Road (address_keys.named_street).
    It is a street when some address puts a house number before the same street, "34 CHERRY HINTON RD"
    (address_keys.numbered_street). Then its stored reports lose their id (and so leave the visit list),
    and its address and licence matches go: a later load can teach what an earlier one could not. They
    keep their `addr_key`, the address's words as normalised: a report with a key and no id is at a
    street learnt so, and later reports of it are a street too, whatever retention leaves of the evidence
    (a removal of the rows that taught it makes it a door again, `unlearn_streets`).
    Each list names tables or views with an addr_key column (`incoming`, `addresses`, `hmo_licences`).

    Set-wise, and cheap: a candidate has no digit; evidence is found by the two words after any of its
    numbers ("34 CHERRY HINTON"), a hash join with the candidates' first two words, and only those few
    addresses are read exactly."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STREETS} (addr_key VARCHAR)")
    any_candidate, in_first = _street_candidates(con, candidates)
    if any_candidate:                                                                 # else no evidence is read
        evidence = [*evidence, *known] if in_first else evidence
        con.execute(f"""
            INSERT INTO {STREETS}
            {_shown(evidence)}
            UNION
            SELECT addr_key FROM street_candidates WHERE addr_key IN (SELECT addr_key FROM {_LEARNT})
        """)
    con.execute("DROP TABLE street_candidates")
    count = con.execute(f"SELECT count(*) FROM {STREETS}").fetchone()[0]
    if count:
        gone = f"SELECT addr_id FROM addresses WHERE addr_key IN (SELECT addr_key FROM {STREETS})"
        con.execute(f"UPDATE reports SET addr_id = NULL WHERE addr_id IN ({gone})")
        # A licence such a street matched has its words, no number: every address it matched goes, so no
        # licence is left with a group id none of its addresses has.
        con.execute(f"DELETE FROM address_matches WHERE addr_id IN ({gone})")
        con.execute(f"DELETE FROM addresses WHERE addr_key IN (SELECT addr_key FROM {STREETS})")
    return int(count)


# The keys of the streets learnt and stored: a report with words and no id is at one.
_LEARNT = "(SELECT addr_key FROM reports WHERE addr_id IS NULL AND addr_key <> '')"


def _street_candidates(con: duckdb.DuckDBPyConnection, candidates: list[str]) -> tuple[bool, bool]:
    """Fill the temp table street_candidates (addr_key, street, pair) with the addresses of `candidates` that
    may be a street; return whether there is one, and whether one is in the first table."""
    first = " UNION ALL ".join(f"SELECT addr_key, {i == 0} AS first FROM {t}" for i, t in enumerate(candidates))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE street_candidates AS
        SELECT addr_key, street, array_to_string(string_split(street, ' ')[1:2], ' ') AS pair, first
        FROM (SELECT addr_key, {address_keys.named_street("addr_key")} AS street, bool_or(first) AS first
              FROM ({first}) WHERE {NO_NUMBER} GROUP BY addr_key)
        WHERE street <> ''
    """)
    any_candidate, in_first = con.execute("SELECT count(*) > 0, coalesce(bool_or(first), false) "
                                          "FROM street_candidates").fetchone()
    return bool(any_candidate), bool(in_first)


def _shown(evidence: list[str]) -> str:
    """SQL: the keys of street_candidates that an address of `evidence` puts a house number before: the few
    addresses whose two words after a number are a candidate's first two are read exactly."""
    return f"""
        WITH evidence AS (
            SELECT DISTINCT addr_key FROM (
                SELECT addr_key, unnest(regexp_extract_all(addr_key, '\\b[0-9]+[A-Z]? ([^ 0-9]+ [^ 0-9]+)\\b', 1)) AS pair
                FROM ({_keys_of(evidence)}) WHERE regexp_matches(addr_key, '[0-9]'))
            WHERE pair IN (SELECT pair FROM street_candidates)
        )
        SELECT c.addr_key FROM street_candidates c
        JOIN (SELECT {address_keys.numbered_street("addr_key")} AS street FROM evidence) e USING (street)"""


# The learnt streets the rows being removed show to be streets (`note_taught_streets`, `unlearn_streets`).
TAUGHT = "streets_taught"


def note_taught_streets(con: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """Before the rows of `source` in `table` (reports, hmo_licence_history) are removed: keep in the temp table
    `TAUGHT` the learnt streets they put a house number before, for `unlearn_streets` to look at again."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE removed_keys AS SELECT addr_key FROM {table} WHERE source = ?", [source])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TAUGHT} (addr_key VARCHAR)")
    if _street_candidates(con, [_LEARNT])[0]:
        con.execute(f"INSERT INTO {TAUGHT} {_shown(['removed_keys'])}")
    con.execute("DROP TABLE street_candidates")
    con.execute("DROP TABLE removed_keys")


def unlearn_streets(con: duckdb.DuckDBPyConnection) -> int:
    """Once rows are removed (`note_taught_streets` before), make a door again of each street they taught that no
    stored address or licence shows to be one any more; return how many addresses got an id. The caller
    rebuilds the licence matches.

    A removal takes out a load that should not have been made (etl/removal.py), and what it taught goes with
    it: a wrong file's "2 Woodlands Church Lane" made the house "Woodlands Church Lane" a street, and off the
    visit list. Only the streets the removed rows showed are looked at: one learnt from a report retention has
    since deleted stays a street (the street is no less one), as `learn_streets` keeps it at every load."""
    con.execute(f"DELETE FROM {TAUGHT} WHERE addr_key NOT IN (SELECT addr_key FROM {_LEARNT})")
    if _street_candidates(con, [TAUGHT])[0]:
        con.execute(f"DELETE FROM {TAUGHT} WHERE addr_key IN (SELECT addr_key FROM ({_shown(['addresses', 'hmo_licences'])}))")
    con.execute("DROP TABLE street_candidates")
    doors = f"SELECT DISTINCT r.addr_key, {identity('r')} FROM reports r " \
            f"WHERE r.addr_id IS NULL AND r.addr_key IN (SELECT addr_key FROM {TAUGHT})"
    count = con.execute(f"SELECT count(*) FROM ({doors})").fetchone()[0]
    if count:
        con.execute(f"""
            INSERT INTO addresses
            SELECT ? + row_number() OVER (ORDER BY addr_key, pc NULLS FIRST, place NULLS FIRST) - 1, addr_key, pc, place
            FROM ({doors})
        """, [_take_ids(con, count)])
        con.execute(f"""
            UPDATE reports SET addr_id = a.addr_id FROM addresses a
            WHERE reports.addr_id IS NULL AND reports.addr_key IN (SELECT addr_key FROM {TAUGHT})
              AND a.addr_key = reports.addr_key AND a.postcode IS NOT DISTINCT FROM {address_keys.full_postcode("reports.postcode")}
              AND a.place IS NOT DISTINCT FROM {place("reports")}
        """)
    con.execute(f"DROP TABLE {TAUGHT}")
    return int(count)


def _keys_of(tables: list[str]) -> str:
    """SQL: the addr_key of every row of some tables."""
    return " UNION ALL ".join(f"SELECT addr_key FROM {t}" for t in tables)


def place(report: str) -> str:
    """SQL: the place that, with its text and postcode, is a report's address: its res-7 cell without a
    full postcode, else NULL."""
    return f"CASE WHEN {address_keys.full_postcode(f'{report}.postcode')} IS NULL THEN {report}.{PLACE_COLUMN} END"


def identity(report: str) -> str:
    """SQL select-list items `pc` and `place`: with `addr_key`, which address a report is at. A postcode
    column's "N/A" or "PE13" is no postcode (`address_keys.full_postcode`): the point places such a report."""
    return f"{address_keys.full_postcode(f'{report}.postcode')} AS pc, {place(report)} AS place"


def _same_address(a: str, n: str) -> str:
    """SQL: whether the row `a` of `addresses` is the address of `n` (with addr_key, pc and place)."""
    return (f"{a}.addr_key = {n}.addr_key AND {a}.postcode IS NOT DISTINCT FROM {n}.pc"
            f" AND {a}.place IS NOT DISTINCT FROM {n}.place")


def _take_ids(con: duckdb.DuckDBPyConnection, count: int) -> int:
    """The first of `count` ids that follow on from the sequence, which then resumes after them."""
    start = con.execute("SELECT nextval('addr_id_seq')").fetchone()[0]
    con.execute(f"CREATE OR REPLACE SEQUENCE addr_id_seq START WITH {int(start) + int(count)}")
    return int(start)


def forget_unused(con: duckdb.DuckDBPyConnection) -> int:
    """Remove the addresses (and their licence matches) that no report names any more; return how many.

    Retention calls this after deleting old reports: an address known only from deleted reports must
    not outlive them. The matches are rebuilt from the reports that remain, so each licence's group
    id is again one of its remaining addresses' ids.
    """
    address_matches.rebuild(con)
    return int(con.execute("DELETE FROM addresses WHERE addr_id NOT IN "
                           "(SELECT addr_id FROM reports WHERE addr_id IS NOT NULL)").fetchone()[0])
