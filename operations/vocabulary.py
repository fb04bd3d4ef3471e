"""The operations vocabularies (operations/vocab/*.toml): outcomes, partners and route start points."""
from __future__ import annotations

import functools
import math
import re
import unicodedata
import tomllib
from pathlib import Path

import h3

from etl import address_keys
from etl.address_ids import PLACE_RESOLUTION

VOCAB = Path(__file__).resolve().parent / "vocab"


@functools.cache
def _load(name: str) -> dict:
    with open(VOCAB / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def outcomes() -> dict[str, dict]:
    """code → {label, effect, aliases, colour, sign}, in the order a form lists them."""
    return {code: spec for code, spec in _load("outcomes").items() if code != "actions"}


def outcome_marks() -> dict[str, tuple[str, str]]:
    """code → (colour, sign) of a visited address's square on the maps, in the order a form lists the outcomes."""
    return {code: (spec["colour"], spec["sign"]) for code, spec in outcomes().items()}


def outcome_label(code: str) -> str:
    return outcomes().get(code, {}).get("label", code)


def actions() -> dict[str, str]:
    """Follow-up actions recorded as yes/no: column → label."""
    return dict(_load("outcomes")["actions"])


def outcome_aliases() -> dict[str, str]:
    """Normalised text a file may use → outcome code (the code and the label count as aliases too)."""
    table: dict[str, str] = {}
    for code, spec in outcomes().items():
        for text in [code, spec["label"], *spec.get("aliases", [])]:
            table.setdefault(label_key(text), code)
    return table


def label_key(text: str) -> str:
    """The same folding as the ETL's label_key macro: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]+", "", str(text).lower().replace("license", "licence"))


def partners() -> dict[str, dict]:
    return dict(_load("partners"))


def start_points() -> dict[str, dict]:
    return dict(_load("start_points"))


@functools.cache
def _trailing_postcode() -> re.Pattern:
    """The ETL's rule for the postcode that ends an address (with a country or a bracketed note after it), in
    Python's dialect: RE2's "not a letter or digit" is Python's [\\W_]. One rule, so a visit's key is the door's."""
    return re.compile(address_keys.trailing_postcode().replace("[^\\pL\\pN]", "[\\W_]"))


def address_norm(address: str | None) -> str:
    """An address folded for matching: upper case, a trailing postcode dropped, punctuation runs to one space;
    '' for one that names no place ("Unknown", "N/A"), as the ETL's `address_key` folds it.

    "14, Mill Lane, Wisbech PE13 1AB" and "14 MILL LANE WISBECH" give the same text.
    """
    text = unicodedata.normalize("NFC", str(address or "")).upper()     # as etl/address_keys.py: one "Š"
    text = _trailing_postcode().sub("", text)
    text = re.sub(r"[\W_]+", " ", text).strip()
    return "" if re.fullmatch(address_keys.not_an_address(), text) else text


def postcode_norm(postcode: str | None) -> str | None:
    """'pe131ab' → 'PE13 1AB'; anything that is not a full UK postcode → None."""
    compact = re.sub(r"[^A-Z0-9]", "", str(postcode or "").upper())
    if not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}", compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def address_key(address: str | None, postcode: str | None, lat: float | None = None, lon: float | None = None) -> str:
    """The key an address without a licence is recorded under, as the visit list groups it: without a
    postcode, a point places it (its res-7 H3 cell, as etl/address_ids.py places such an address)."""
    code = postcode_norm(postcode)
    key = f"A|{address_norm(address)}|{code or ''}"
    if code is None and _usable(lat) and _usable(lon) and abs(lat) <= 90 and abs(lon) <= 180:
        key += "|" + h3.latlng_to_cell(float(lat), float(lon), PLACE_RESOLUTION)
    return key


def _usable(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
