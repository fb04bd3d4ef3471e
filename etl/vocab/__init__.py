"""The tables of aliases, vocabularies and area facts, kept as TOML data rather than code."""
from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

VOCAB_DIR = Path(__file__).parent


@cache
def load(name: str) -> dict:
    with open(VOCAB_DIR / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def normalise_label(text: str) -> str:
    """The key headers and category values are compared on: case, spaces and punctuation ignored."""
    text = str(text).lower().replace("license", "licence")
    return re.sub(r"[^a-z0-9]+", "", text)


def area_districts() -> dict[str, str]:
    return dict(load("area")["districts"])


def source_type_label(value: object) -> str:
    """The words for a stored source type ('public' → 'Member of the public'); an unknown one as stored."""
    text = str(value)
    labels = load("categories")["source_type_labels"]
    return next((label for code, label in labels.items() if code.lower() == text.lower()), text)


def alias_table(section: str) -> dict[str, str]:
    """`categories.toml` section as normalised alias → stored value."""
    table: dict[str, str] = {}
    for value, aliases in load("categories")[section].items():
        table[normalise_label(value)] = value
        for alias in aliases:
            table[normalise_label(alias)] = value
    return table


def nationality_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for nationality, entry in load("nationalities").items():
        table[normalise_label(nationality)] = nationality
        for alias in entry["aliases"]:
            table[normalise_label(alias)] = nationality
    return table


def nationality_languages() -> dict[str, list[str]]:
    return {nat: list(entry["languages"]) for nat, entry in load("nationalities").items()}
