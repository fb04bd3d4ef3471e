"""Tunables (analysis/settings.toml) and the ETL vocabularies the analysis reads.

Kept in one place so a threshold or weight is changed in TOML, never in a query, and so
every module labels indicators, districts and languages the same way.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from etl import vocab

SETTINGS_FILE = Path(__file__).with_name("settings.toml")
METHOD_FILE = Path(__file__).with_name("hotspots.toml")
STATUS_FILE = Path(__file__).with_name("licence_statuses.toml")


@cache
def settings() -> dict:
    with open(SETTINGS_FILE, "rb") as fh:
        return tomllib.load(fh)


@cache
def method() -> dict:
    """The hotspot method's settings (hotspots.toml): resolution, Gi*, KDE, trends, backtest."""
    with open(METHOD_FILE, "rb") as fh:
        return tomllib.load(fh)


@cache
def licence_statuses() -> dict[str, dict]:
    """Licence status → {label, colour, priority} (licence_statuses.toml), in the order the map's key lists them:
    the map, its key and the tables name and colour a status alike."""
    with open(STATUS_FILE, "rb") as fh:
        return tomllib.load(fh)


def marker_priority() -> list[str]:
    """The statuses drawn as markers, most urgent first: the order in which the map keeps them when it caps its
    markers."""
    drawn = {code: spec["priority"] for code, spec in licence_statuses().items() if "priority" in spec}
    return sorted(drawn, key=drawn.__getitem__)


def kind_labels() -> dict[str, str]:
    """Source kind → the words for it ("hmo" → "HMO register"): the Data page's table and its warnings say the same."""
    return dict(section("data_health")["kind_labels"])


def section(name: str) -> dict:
    return settings()[name]


def min_cases(requested: int | None = None) -> int:
    """The case-count threshold: the caller's, but never below the privacy floor."""
    floor = int(section("privacy")["min_cases"])
    return max(floor, int(requested)) if requested is not None else floor


def expiring_days() -> int:
    return int(section("licences")["expiring_days"])


@cache
def indicator_labels() -> dict[str, str]:
    return {code: entry["label"] for code, entry in vocab.load("indicators").items()}


@cache
def indicator_severity() -> dict[str, float]:
    return {code: float(entry.get("severity", 1)) for code, entry in vocab.load("indicators").items()}


@cache
def nationality_languages() -> dict[str, list[str]]:
    return vocab.nationality_languages()


def languages_to_bring() -> dict[str, list[str]]:
    """nationality_languages without those the officers already speak (`skip_languages`): "British" needs no
    one to be brought, as the visit list says."""
    skip = set(section("visits")["skip_languages"])
    return {nat: [lang for lang in langs if lang not in skip] for nat, langs in nationality_languages().items()}


def district_names(con=None) -> dict[str, str]:
    """ONS code → name: the six force-area districts, plus any other district boundary loaded."""
    names = dict(vocab.area_districts())
    if con is not None:
        rows = con.execute("SELECT code, name FROM boundaries WHERE level = ? AND name IS NOT NULL",
                           ["district"]).fetchall()
        names.update({code: name for code, name in rows})
    return names


UNKNOWN_DISTRICT = "Unknown district"


def join_languages(nationality_counts: dict[str, float], limit: int | None = None,
                   skip: list[str] | None = None) -> str:
    """Languages for people of these nationalities, most needed first.

    Each nationality adds its count to its first language, and a share of it
    (`second_language_weight`, then its square, ...) to its later ones: Lithuanians need
    Lithuanian first, Russian as a fallback; where Lithuanians, Latvians and Ukrainians mix,
    Russian rises to the top because it reaches them all. Ties go alphabetically, and a tie at the cut
    to `limit` is kept whole: Polish kept and Vietnamese dropped for the same four people would be a
    choice the data never made. The text is only language names: visit plans split it on commas.
    """
    return ", ".join(_ranked_languages(nationality_counts, limit, skip))


def _ranked_languages(nationality_counts: dict[str, float], limit: int | None, skip: list[str] | None,
                      cut: bool = True) -> list[str]:
    limit = section("visits")["max_languages"] if limit is None else limit
    weight = language_weights(nationality_counts, skip)
    ranked = sorted(weight, key=lambda lang: (-weight[lang], lang))
    if not cut:
        return ranked
    keep = ranked[:limit]
    if keep and len(ranked) > limit:
        keep = [lang for lang in ranked if weight[lang] >= weight[keep[-1]] - 1e-9]
    return keep


def language_weights(nationality_counts: dict[str, float], skip: list[str] | None) -> dict[str, float]:
    """Language → how much it is needed: each nationality's count to its first language, a share to its
    later ones (`second_language_weight`); `skip` (default `skip_languages`) left out."""
    vs = section("visits")
    skip = set(vs["skip_languages"] if skip is None else skip)
    factor = float(vs["second_language_weight"])
    table = nationality_languages()
    weight: dict[str, float] = {}
    for nat, n in nationality_counts.items():
        for i, lang in enumerate(table.get(nat, [])):
            if lang not in skip and n:
                weight[lang] = weight.get(lang, 0.0) + n * factor ** i
    return weight
