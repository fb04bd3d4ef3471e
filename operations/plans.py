"""A visit plan from ticked visit-list rows: the visiting order, and what the team needs to bring.

The team is officers plus, where the signs call for them, a Victim Care Coordinator who speaks
the right language and partner agencies. Which partner fits which stop is data
(operations/vocab/partners.toml); languages come from the visit list, which reads them from the
nationalities reported around each address.
"""
from __future__ import annotations

import re
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


def has_position(stops: pd.DataFrame) -> pd.Series:
    """Which stops have a map position: only they are on the route, in its distance and in the GPX."""
    if "lat" not in stops or "lon" not in stops:
        return pd.Series(False, index=stops.index)
    return stops["lat"].notna() & stops["lon"].notna()


def ordered(stops: pd.DataFrame, start: Start) -> pd.DataFrame:
    """`stops` in a short visiting order (operations/route.py), annotated.

    Stops without a position can't be placed on a route: they go last, in the given order, and
    the plan says so.
    """
    where = has_position(stops)
    placed, unplaced = stops[where].reset_index(drop=True), stops[~where].reset_index(drop=True)
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
    """Every language any stop may need, once each: those seen at some stop's own address first, tagged so
    ("Lithuanian (at the address)"), then those only reported near the stops ("Albanian (nearby)"), each group
    most often needed first. A stop's "+2 more (nearby)" is a count for that stop, not a language: left out
    (`more_languages_at_some_stops`). A plan saved before the tags lists its languages as they were."""
    door_tag, near_tag = _language_tags()
    buckets: dict[str | None, Counter] = {door_tag: Counter(), None: Counter(), near_tag: Counter()}
    for lang, tag in _language_items(stops):
        buckets[tag if tag in (door_tag, near_tag) else None][lang] += 1
    listed, seen = [], set()
    for tag in (door_tag, None, near_tag):            # a language at one stop's door is not "nearby" for the plan
        for lang in _most_first(buckets[tag]):
            if lang not in seen:
                seen.add(lang)
                listed.append(f"{lang} ({tag})" if tag else lang)
    return listed


def more_languages_at_some_stops(stops: pd.DataFrame) -> bool:
    """Whether a stop needs more languages than its list names ("+2 more (nearby)": see that stop)."""
    return any(x.startswith("+") for text in _language_cells(stops) for x in _split(text))


def _language_items(stops: pd.DataFrame):
    """(language, tag or None) of every stop's language list: "Albanian (nearby)" is ("Albanian", "nearby")."""
    for text in _language_cells(stops):
        for item in _split(text):
            if item.startswith("+"):
                continue
            name, tag = _TAGGED.match(item).groups()
            yield (name.strip(), tag)


def _language_cells(stops: pd.DataFrame):
    return stops.get("languages", pd.Series(dtype=object)).dropna()


def _split(text) -> list[str]:
    return [x.strip() for x in str(text).split(",") if x.strip()]


def _most_first(counts: Counter) -> list[str]:
    return [lang for lang, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


# A language as the visit list tags it: "Lithuanian (at the address)"; an untagged one (an older plan) has none.
_TAGGED = re.compile(r"^(.*?)(?:\s*\(([^()]*)\))?$")


def _language_tags() -> tuple[str, str]:
    """The visit list's words for where a language's need was seen (analysis/settings.toml [visits]): a plan's
    stops carry the visit list's text, so they are read with its words. Imported here, not at the top: analysis
    imports operations' outcome vocabulary, and a top-level import each way would be a cycle."""
    from analysis import settings

    vs = settings.section("visits")
    return vs["language_at_address"], vs["language_nearby"]


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
