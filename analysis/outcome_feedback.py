"""What past visits do to the visit list: the loop that makes the next list better than the last.

- A recent visit that found no concerns lowers the address (its score is multiplied by a factor
  for a set number of days), so teams don't knock on the same door again next week, unless the
  address was reported again after the visit (`rows` may carry `last_report` for that).
- Potential victims identified at an address raise the addresses around it, and the addresses
  whose HMO licence has the same holder: exploitation is rarely confined to one house.
- Every address shows its last visit and outcome; the reasons say what the visit changed.

Outcomes come from the operations store (operations/store.py), not the warehouse; the caller
passes them in; a withdrawn one (operations.store.counted) never counts. An outcome belongs to a listed address when it shares the visit list's address
key, the HMO licence, or the folded address and postcode. All numbers are in analysis/settings.toml.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis import settings, wording
from operations import vocabulary
from operations.store import counted

def licence_holders(con, refs) -> dict[str, str]:
    """licence_ref → the holder's name folded for comparison ('' when the register gives none), for the
    licences `refs` (those of the listed addresses and of the visits: folding all 500,000 of a national
    register took 0.6 s)."""
    wanted = sorted({r for r in refs if isinstance(r, str) and r})
    rows = con.execute("SELECT licence_ref, min(licence_holder) FROM hmo_licences "
                       "WHERE licence_holder IS NOT NULL AND licence_ref IN (SELECT unnest(?::VARCHAR[])) "
                       "GROUP BY licence_ref", [wanted]).fetchall() if wanted else []
    return {ref: vocabulary.address_norm(holder) for ref, holder in rows if holder and holder.strip()}


def apply(rows: pd.DataFrame, outcomes: pd.DataFrame | None, holders: dict[str, str], today: dt.date) -> pd.DataFrame:
    """`rows` with score adjusted and last_visit, last_outcome and feedback (reason text, '' if none) added.

    `rows` needs address, postcode, lat, lon, licence_ref, score and address_key.
    """
    rows = rows.copy()
    rows["last_visit"] = pd.Series([pd.NaT] * len(rows), dtype="datetime64[us]", index=rows.index)
    rows["last_outcome"] = pd.Series([None] * len(rows), dtype=object, index=rows.index)
    rows["feedback"] = ""
    outcomes = counted(outcomes)
    if outcomes is None or outcomes.empty or rows.empty:
        return rows
    cfg = settings.section("visits")["outcomes"]
    past = outcomes[pd.to_datetime(outcomes["visited_on"]).dt.date <= today].copy()
    if past.empty:
        return rows
    past["keys"] = [_outcome_keys(o) for o in past.itertuples(index=False)]
    index: dict[str, list[int]] = {}
    for i, keys in enumerate(past["keys"]):
        for k in keys:
            index.setdefault(k, []).append(i)
    notes: list[list[str]] = [[] for _ in range(len(rows))]
    factor = np.ones(len(rows))
    bonus = np.zeros(len(rows))
    for pos, r in enumerate(rows.itertuples(index=False)):
        matched = sorted({i for k in _row_keys(r) for i in index.get(k, [])},
                         key=lambda i: (past.iloc[i]["visited_on"], past.iloc[i].get("id", 0) or 0))
        if not matched:
            continue
        last = past.iloc[matched[-1]]
        rows.iat[pos, rows.columns.get_loc("last_visit")] = pd.Timestamp(last["visited_on"])
        rows.iat[pos, rows.columns.get_loc("last_outcome")] = last["outcome"]
        effect = vocabulary.outcomes().get(last["outcome"], {}).get("effect", "none")
        age = (today - last["visited_on"]).days
        since = _reported_since(r, last["visited_on"])
        if effect == "lower" and age < int(cfg["no_concern_days"]) and since:
            notes[pos].append(f"visited {last['visited_on']:%-d %b %Y}, no concerns, but reported again since "
                              f"(last {since:%-d %b %Y}): not lowered")
        elif effect == "lower" and age < int(cfg["no_concern_days"]):
            factor[pos] = float(cfg["no_concern_factor"])
            until = last["visited_on"] + dt.timedelta(days=int(cfg["no_concern_days"]))
            notes[pos].append(f"visited {last['visited_on']:%-d %b %Y}, no concerns: lowered until {until:%-d %b %Y}")
        elif effect == "victims":
            notes[pos].append(f"potential victims identified here on {last['visited_on']:%-d %b %Y}")
        else:
            notes[pos].append(f"visited {last['visited_on']:%-d %b %Y}: "
                              f"{wording.lower_first(vocabulary.outcome_label(last['outcome']))}")
    _raise_near_victims(rows, past, holders, today, cfg, bonus, notes)
    rows["score"] = rows["score"].astype(float) * factor + bonus
    rows["feedback"] = ["; ".join(n) for n in notes]
    return rows


def without_withdrawn(stops: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """`stops` (a saved plan's) with what their reasons said about visits since withdrawn taken out.

    A plan keeps each stop's reasons as the visit list wrote them when it was saved, this module's notes
    included ("visited 3 Nov 2026, no concerns: lowered until ..."): without this, an outcome withdrawn as a
    mistake still spoke in the briefing pack and the stops download. `outcomes` is read with its withdrawn
    rows (include_withdrawn=True). A note is kept while a visit that counts could have written it (the
    same address, or for a nearby find any find, on the same day)."""
    if stops.empty or outcomes is None or "withdrawn_at" not in outcomes.columns:
        return stops
    gone = outcomes[outcomes["withdrawn_at"].notna()]
    if gone.empty:
        return stops
    live = outcomes[outcomes["withdrawn_at"].isna()]
    live_keys = [(o.visited_on, _outcome_keys(o)) for o in live.itertuples(index=False)]
    live_finds = {o.visited_on for o in live.itertuples(index=False) if _effect(o.outcome) == "victims"}
    out = stops.copy()
    cleaned = []
    for stop in out.itertuples(index=False):
        reasons = getattr(stop, "reasons", None)
        if not isinstance(reasons, str) or not reasons:
            cleaned.append(reasons)
            continue
        keys, drop = _row_keys(stop), set()
        for o in gone.itertuples(index=False):
            day = f"{o.visited_on:%-d %b %Y}"
            if keys & _outcome_keys(o) and not any(d == o.visited_on and keys & k for d, k in live_keys):
                drop |= {p for p in reasons.split("; ") if p.startswith(f"visited {day}")
                         or p == f"potential victims identified here on {day}"}
            if _effect(o.outcome) == "victims" and o.visited_on not in live_finds:
                drop |= {p for p in reasons.split("; ")
                         if (p.startswith("potential victims identified within ") and p.endswith(f" m on {day}"))
                         or p == f"same licence holder as {o.address}, where potential victims were identified on {day}"}
        cleaned.append("; ".join(p for p in reasons.split("; ") if p not in drop))
    out["reasons"] = cleaned
    return out


def _effect(outcome: str) -> str:
    return vocabulary.outcomes().get(outcome, {}).get("effect", "none")


def _reported_since(row, visited_on: dt.date) -> dt.date | None:
    """The newest report at the address if it came after the visit, else None. A visit that found no concerns
    answers the reports before it; one received after it is news the visit never saw, so the address is not
    lowered for it (a door reported again the week after a quiet visit would otherwise sink for 90 days)."""
    last = getattr(row, "last_report", None)
    if last is None or pd.isna(last):
        return None
    last = pd.Timestamp(last).date()
    return last if last > visited_on else None


def most_raised(outcomes: pd.DataFrame | None, today: dt.date) -> float:
    """The most `apply` can add to any one address's score (the visit list prunes with it)."""
    outcomes = counted(outcomes)
    if outcomes is None or outcomes.empty:
        return 0.0
    cfg = settings.section("visits")["outcomes"]
    finds = len(_victim_finds(outcomes, today, cfg))
    if not finds:
        return 0.0
    return max(float(cfg["victims_nearby_bonus"]), 0.0) + max(float(cfg["same_holder_bonus"]), 0.0) * finds


def _victim_finds(outcomes: pd.DataFrame, today: dt.date, cfg: dict) -> pd.DataFrame:
    """The visits that identified potential victims within the last `victims_days` up to `today`."""
    visited = pd.to_datetime(outcomes["visited_on"]).dt.date
    victims = outcomes["outcome"].map(lambda c: vocabulary.outcomes().get(c, {}).get("effect")) == "victims"
    return outcomes[victims & (visited <= today) & (visited > today - dt.timedelta(days=int(cfg["victims_days"])))]


def _raise_near_victims(rows, past, holders, today, cfg, bonus, notes) -> None:
    """Addresses near, or with the same licence holder as, an address where potential victims were found."""
    window = _victim_finds(past, today, cfg)
    if window.empty:
        return
    lat = pd.to_numeric(rows["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(rows["lon"], errors="coerce").to_numpy(dtype=float)
    row_keys = [_row_keys(r) for r in rows.itertuples(index=False)]
    row_holders = [holders.get(ref) if isinstance(ref, str) else None for ref in rows["licence_ref"]]
    radius = float(cfg["victims_radius_m"])
    for o in window.sort_values("visited_on").itertuples(index=False):
        own = _outcome_keys(o)
        when = f"{o.visited_on:%-d %b %Y}"
        near = np.zeros(len(rows), dtype=bool)
        if pd.notna(o.lat) and pd.notna(o.lon):
            near = _metres(lat, lon, float(o.lat), float(o.lon)) <= radius
        holder = holders.get(o.licence_ref) if isinstance(o.licence_ref, str) else None
        if holder is None:  # the visited address's own licence, if the visit list knows it
            holder = next((h for h, keys in zip(row_holders, row_keys) if h and own & keys), None)
        for pos in range(len(rows)):
            if own & row_keys[pos]:
                continue
            if near[pos] and bonus[pos] < float(cfg["victims_nearby_bonus"]):
                bonus[pos] = max(bonus[pos], float(cfg["victims_nearby_bonus"]))
                notes[pos].append(f"potential victims identified within {radius:,.0f} m on {when}")
            if holder and row_holders[pos] == holder:
                bonus[pos] += float(cfg["same_holder_bonus"])
                notes[pos].append(f"same licence holder as {o.address}, where potential victims were identified on {when}")


def _metres(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Haversine distance from one point; NaN positions are never near."""
    p1, p2 = np.radians(lat), np.radians(lat0)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon0 - lon) / 2) ** 2
    d = 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return np.where(np.isnan(d), np.inf, d)


def _row_keys(r) -> set[str]:
    return _keys(getattr(r, "address_key", None), r.licence_ref, r.address, r.postcode, r.lat, r.lon)


def _outcome_keys(o) -> set[str]:
    return _keys(o.address_key, o.licence_ref, o.address, o.postcode, getattr(o, "lat", None), getattr(o, "lon", None))


def _keys(address_key, licence_ref, address, postcode, lat, lon) -> set[str]:
    """Every name an address goes by: its visit-list key, its licence, and its folded address with its
    postcode, or without one its place (vocabulary.address_key): a visit to "12 High Street" in March
    says nothing of "12 High Street" in Wisbech."""
    keys = {f"K|{address_key}"} if isinstance(address_key, str) and address_key else set()
    if isinstance(licence_ref, str) and licence_ref:
        keys.add(f"L|{licence_ref}")
    if vocabulary.address_norm(address):
        keys.add(vocabulary.address_key(address, postcode, lat, lon))
    return keys
