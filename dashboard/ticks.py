"""Ticked visit-list rows, kept by address rather than by row number.

The table reports a tick as a row number, but a lead ticks an address. A longer list, a shorter one or
other filters put that address on another row or on none, so a row number kept across lists would tick
another door. Here each tick is kept as the address's key, and a new list starts with the rows of the
addresses already ticked. A ticked address that a new list does not hold stays ticked, and the page
names it, so no tick is lost without a word.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

TICKED = "visit_ticked"     # session state: address key → address as shown, in the order ticked


def identities(keys: Sequence, addresses: Sequence) -> list[str]:
    """Each row's identity: its address key, else (an address the list could not key) its address as shown."""
    return [k if isinstance(k, str) and k else f"address:{a}" for k, a in zip(keys, addresses)]


def table_key(ids: Sequence[str]) -> str:
    """The table's widget key: the same list keeps its ticks, a list with other rows or another order
    is a new table, which starts from the ticked addresses it holds."""
    return "visit_table_" + hashlib.sha1(repr(tuple(ids)).encode()).hexdigest()[:12]


def rows_of(ids: Sequence[str], ticked: dict[str, str]) -> list[int]:
    """The rows of this list whose address is ticked."""
    return [i for i, identity in enumerate(ids) if identity in ticked]


def after_selection(ids: Sequence[str], addresses: Sequence, rows: Sequence[int],
                    ticked: dict[str, str]) -> dict[str, str]:
    """The ticked addresses once this list's selection is `rows`: the list's own rows as ticked now, and
    the addresses it does not hold as they were."""
    shown = set(ids)
    kept = {identity: address for identity, address in ticked.items() if identity not in shown}
    for row in sorted(set(rows)):
        if 0 <= row < len(ids):
            kept[ids[row]] = "" if addresses[row] is None else str(addresses[row])
    return kept


def not_in(ids: Sequence[str], ticked: dict[str, str]) -> dict[str, str]:
    """The ticked addresses this list does not hold (ranked lower, or outside the filters)."""
    shown = set(ids)
    return {identity: address for identity, address in ticked.items() if identity not in shown}


def saved(ticked: dict[str, str], ids: Sequence[str]) -> dict[str, str]:
    """The ticked addresses once those in a saved plan (`ids`) are let go: ticks kept after a save left the
    save button ready, one click from an identical second plan."""
    done = set(ids)
    return {identity: address for identity, address in ticked.items() if identity not in done}
