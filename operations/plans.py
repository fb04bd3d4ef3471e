"""A visit plan from ticked visit-list rows: the visiting order, and what the team needs to bring.

The team is officers plus, where the signs call for them, a Victim Care Coordinator who speaks
the right language and partner agencies. Which partner fits which stop is data
(operations/vocab/partners.toml); languages come from the visit list, which reads them from the
nationalities reported around each address.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from operations import route, vocabulary


@dataclass(frozen=True)
class Start:
    label: str
    lat: float
    lon: float


def start_points() -> list[Start]:
    return [Start(s["label"], float(s["lat"]), float(s["lon"])) for s in vocabulary.start_points().values()]


def partners_for(stop) -> list[str]:
    """Partner labels that fit one stop (a row with licence_status, over_occupied and indicators)."""
    codes = set(_codes(getattr(stop, "indicators", None)))
    out = []
    for spec in vocabulary.partners().values():
        if (getattr(stop, "licence_status", None) in spec.get("licence_status", [])
                or (spec.get("over_occupied") and bool(getattr(stop, "over_occupied", False)))
                or codes & set(spec.get("indicators", []))):
            out.append(spec["label"])
    return out


def ordered(stops: pd.DataFrame, start: Start) -> pd.DataFrame:
    """`stops` in a short visiting order (operations/route.py), annotated.

    Stops without a position can't be placed on a route: they go last, in the given order, and
    the plan says so.
    """
    placed = stops[stops["lat"].notna() & stops["lon"].notna()].reset_index(drop=True)
    unplaced = stops[stops["lat"].isna() | stops["lon"].isna()].reset_index(drop=True)
    points = list(zip(placed["lat"].astype(float), placed["lon"].astype(float)))
    order = route.order((start.lat, start.lon), points)
    return annotate(pd.concat([placed.iloc[order], unplaced], ignore_index=True), start)


def annotate(stops: pd.DataFrame, start: Start) -> pd.DataFrame:
    """Stops in the order given, with leg_km (from the start or the previous placed stop) and partners."""
    out = stops.reset_index(drop=True).copy()
    legs, here = [], (start.lat, start.lon)
    for lat, lon in zip(out["lat"], out["lon"]):
        if pd.isna(lat) or pd.isna(lon):
            legs.append(float("nan"))
            continue
        legs.append(route.metres(here, (float(lat), float(lon))) / 1000)
        here = (float(lat), float(lon))
    out["leg_km"] = legs
    out["partners"] = [", ".join(partners_for(r)) for r in out.itertuples(index=False)]
    return out


# The stops download's columns, in words as the Visit list's download has them.
DOWNLOAD_COLUMNS = {"stop": "Stop", "address": "Address", "postcode": "Postcode", "district": "District",
                "licence_status": "HMO licence", "licence_ref": "Licence number", "reasons": "Why",
                "languages": "Language support", "partners": "Partners", "leg_km": "km from previous",
                "lat": "Latitude", "lon": "Longitude"}


def stops_table(stops: pd.DataFrame, licence_label) -> pd.DataFrame:
    """The stops as the CSV and Excel downloads give them, in visiting order.

    Distances are rounded as the page shows them (0.1 km: a leg of 1.2345678 km read as false precision),
    and positions to 5 decimals (about a metre), which is all a sat-nav or a reader needs."""
    table = stops.assign(stop=range(1, len(stops) + 1))[list(DOWNLOAD_COLUMNS)].rename(columns=DOWNLOAD_COLUMNS)
    table["HMO licence"] = table["HMO licence"].map(licence_label)
    table["km from previous"] = pd.to_numeric(table["km from previous"], errors="coerce").round(1)
    for col in ("Latitude", "Longitude"):
        table[col] = pd.to_numeric(table[col], errors="coerce").round(5)
    return table


def total_km(stops: pd.DataFrame) -> float:
    return float(pd.to_numeric(stops["leg_km"], errors="coerce").fillna(0).sum())


def languages(stops: pd.DataFrame) -> list[str]:
    """Every language any stop may need, most often needed first."""
    counts: Counter = Counter()
    for text in stops.get("languages", pd.Series(dtype=object)).dropna():
        counts.update(x.strip() for x in str(text).split(",") if x.strip())
    return [lang for lang, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def partners(stops: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(partner, how many stops, why) for the whole plan."""
    specs = {spec["label"]: spec["why"] for spec in vocabulary.partners().values()}
    counts = Counter(label for stop in stops.itertuples(index=False) for label in partners_for(stop))
    return [(label, counts[label], why) for label, why in specs.items() if counts[label]]


def _codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        return []
