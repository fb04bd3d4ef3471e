"""Take one source's rows out of the warehouse: a file loaded under the wrong --source, into the wrong
warehouse, or from a partner whose data may no longer be held.

Loading again cannot undo such a load. Reports and cases are added to by each load, so a wrong file's
rows stay; a register is replaced only under its own source name, so one loaded under a misspelt name
stays beside the right one. A postcode lookup is upserted by postcode, so a wrong file's postcodes (or a
list of postcode districts loaded by mistake) stay beside the right ones, each the source's that gave it last
(removing an old lookup keeps what a newer one gave too; removing a newer one takes what it gave, and the
earlier lookups are named, to load again); a boundaries load replaces only its own level. So those
sources are removable too, and what the stored rows took from them is worked out again as a load of
them does: points, districts and LSOAs (`geocode.regeocode_stored`), the licence matches (which compare
points) and the filter values (districts).

Everything goes in one copy-and-swap transaction (`Warehouse.transaction`), with what depends on the
rows: the addresses only they named, the licence matches, the filter values, the raw rejected rows of
the source's loads (a wrong file's cells are as unwanted as its stored rows), and what their house numbers
taught: a number-less address they alone showed to be a street is a door again (etl/address_ids.py
`unlearn_streets`). The source's loads stay listed, marked `removed`, so the history still says what was
loaded and what was undone; loading the same file again then loads it afresh.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from etl import address_ids, address_matches, filter_values, geocode
from etl.errors import LoadError
from etl.loaders.postcodes import regeocode_note
from etl.loading import prepare
from etl.warehouse import Warehouse

# kind → the table its rows are stored in.
REMOVABLE = {"reports": "reports", "cases": "cases", "hmo": "hmo_licence_history", "boundaries": "boundaries",
             "postcodes": "postcodes"}
# Kinds the stored rows are placed by: removing one places them again.
REFERENCE = ("boundaries", "postcodes")


@dataclass(frozen=True)
class Removal:
    kind: str
    source: str
    rows: int            # stored rows removed (for a register: every licence version it held, ended ones too)
    loads: int           # loads marked removed
    rejects: int         # rejected rows of those loads removed
    addresses: int       # addresses only the removed reports named
    notes: tuple[str, ...] = ()   # what placing the stored rows again changed ('re-geocoded: 12 reports')


def held(kind: str, source: str, db: str | os.PathLike | None = None) -> tuple[int, int]:
    """(rows, loads) the warehouse holds of this source: what `remove` would take out. Read-only, so an
    unknown source is refused before the warehouse is copied for the change."""
    table = _table(kind)
    con = Warehouse(db).connect_read_only()
    try:
        rows, loads = _held(con, table, kind, source)
        if not rows and not loads:
            raise LoadError(_unknown_source(con, table, kind, source))
        return rows, loads
    finally:
        con.close()


def remove(kind: str, source: str, db: str | os.PathLike | None = None) -> Removal:
    """Remove every row of `source` of `kind`, and what only those rows held; one transaction."""
    table = _table(kind)
    with Warehouse(db).transaction() as con:
        prepare(con)
        rows, loads = _held(con, table, kind, source)
        if not rows and not loads:
            raise LoadError(_unknown_source(con, table, kind, source))
        if kind in ("reports", "hmo"):
            address_ids.note_taught_streets(con, table, source)
        con.execute(f"DELETE FROM {table} WHERE source = ?", [source])
        load_ids = "SELECT load_id FROM loads WHERE kind = ? AND source = ?"
        rejects = con.execute(f"SELECT count(*) FROM rejects WHERE load_id IN ({load_ids})", [kind, source]).fetchone()[0]
        con.execute(f"DELETE FROM rejects WHERE load_id IN ({load_ids})", [kind, source])
        con.execute("UPDATE loads SET status = 'removed' WHERE kind = ? AND source = ? AND status IN "
                    "('loaded', 'already_loaded')", [kind, source])
        addresses, notes = 0, []
        if kind == "reports":
            addresses = address_ids.forget_unused(con)   # rebuilds the licence matches too
            notes = _doors_again(con, rebuilt=True)
        elif kind == "hmo":
            notes = _doors_again(con, rebuilt=False)
        elif kind in REFERENCE:
            notes = _place_again(con) + (_lookups_to_load_again(con, source) if kind == "postcodes" and rows else [])
        filter_values.rebuild(con)
    return Removal(kind, source, int(rows), int(loads), int(rejects), int(addresses), tuple(notes))


def _doors_again(con, rebuilt: bool) -> list[str]:
    """Make a door again of each address the removed rows alone showed to be a street (etl/address_ids.py
    `unlearn_streets`), and match the licences afresh (unless `rebuilt` already, and no address came back)."""
    doors = address_ids.unlearn_streets(con)
    if doors or not rebuilt:
        address_matches.rebuild(con)
    if not doors:
        return []
    return [f"{doors:,} address(es) that only the removed rows showed to be a street, no door, are doors again"]


def _place_again(con) -> list[str]:
    """Re-geocode the stored rows without the removed lookup or boundaries, as a load of them would, and rebuild
    the licence matches, which compare points. A case keeps no postcode, so with no district boundaries left it
    cannot be placed again: it keeps its district, and the note says so."""
    notes = regeocode_note(con)
    address_matches.rebuild(con)
    if not geocode.has_boundaries(con, "district"):
        kept = con.execute("SELECT count(*) FROM cases WHERE district_code IS NOT NULL").fetchone()[0]
        if kept:
            notes.append(f"{kept:,} case(s) keep the district they were given: a case keeps no postcode to be "
                         "placed by, and no district boundaries are loaded now; load district boundaries and they "
                         "are placed again")
    return notes


def _lookups_to_load_again(con, source: str) -> list[str]:
    """A postcode belongs to the lookup that last gave it (etl/loaders/postcodes.py), so what the removed one gave
    that an earlier lookup gave too, and what it changed of theirs, went with it. The earlier lookups are named,
    to load again: each then loads afresh (etl/loading.py _already_loaded) and puts its postcodes back."""
    earlier = [r[0] for r in con.execute("""
        SELECT source FROM loads WHERE kind = 'postcodes' AND status = 'loaded' AND source <> ?
          AND load_id < (SELECT max(load_id) FROM loads WHERE kind = 'postcodes' AND source = ?)
        GROUP BY source ORDER BY max(load_id) DESC LIMIT 6""", [source, source]).fetchall()]
    if not earlier:
        return []
    named = ", ".join(repr(e) for e in earlier[:5]) + (" …" if len(earlier) > 5 else "")
    return [f"postcodes that earlier lookups ({named}) gave too, or gave other values, were this source's and are "
            "removed with it: load those lookups again to put them back"]


def _table(kind: str) -> str:
    if kind not in REMOVABLE:
        raise LoadError(f"{kind} cannot be removed by source (use one of {', '.join(REMOVABLE)})")
    return REMOVABLE[kind]


def _held(con, table: str, kind: str, source: str) -> tuple[int, int]:
    """(rows, loads) of the source. A file loaded again under another --source is recorded as "already loaded"
    under that name, but its rows are the first source's: such a load alone makes no source to remove."""
    rows = con.execute(f"SELECT count(*) FROM {table} WHERE source = ?", [source]).fetchone()[0]
    loads = con.execute("SELECT count(*) FROM loads WHERE kind = ? AND source = ? AND status = 'loaded'",
                        [kind, source]).fetchone()[0]
    return int(rows), int(loads)


def _unknown_source(con, table: str, kind: str, source: str) -> str:
    """No such source: say which ones there are, since a name typed from memory is easily a letter off."""
    names = [r[0] for r in con.execute(f"SELECT DISTINCT source FROM {table} ORDER BY 1 LIMIT 21").fetchall()]
    if not names:
        return f"no {kind} source {source!r}: the warehouse holds no {kind} at all"
    shown = ", ".join(repr(n) for n in names[:20]) + (" …" if len(names) > 20 else "")
    return f"no {kind} source {source!r} in the warehouse (sources are matched exactly); its {kind} sources: {shown}"
