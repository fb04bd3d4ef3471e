"""Plain words for the codes the warehouse stores: what a tactical lead reads instead of `E07000010`.

The names come from the ETL's vocabularies (etl/vocab/*.toml), the analysis's (licence statuses, source kinds)
and this package's labels.toml, so a new district, indicator or audit action needs no code change. No Streamlit
here.
"""
from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path

from analysis import settings
from analysis.filters import NO_DISTRICT
from analysis.settings import UNKNOWN_DISTRICT
from etl import vocab

with open(Path(__file__).with_name("labels.toml"), "rb") as _fh:
    _WORDS = tomllib.load(_fh)

# What a table shows for a missing value: Streamlit's own "None" read as "no" (no occupants, no expiry).
NO_VALUE = "–"
SOURCE_TYPES = dict(vocab.load("categories")["source_type_labels"])   # stored value → words, in filter order

LICENCE_STATUS = {code: spec["label"] for code, spec in settings.licence_statuses().items()}
KINDS = settings.kind_labels()
TRENDS = dict(_WORDS["trends"])                # an emerging hot spot's trend → words
AUDIT_ACTIONS = dict(_WORDS["audit_actions"])  # in the order the Audit page's filter lists them


@cache
def districts() -> dict[str, str]:
    """ONS code → district name, in the order of etl/vocab/area.toml."""
    return vocab.area_districts()


def district(code: object) -> str:
    if code is None or code != code:  # None or NaN
        return UNKNOWN_DISTRICT
    if code == NO_DISTRICT:
        return f"{UNKNOWN_DISTRICT} (not placed, or flagged)"
    return districts().get(str(code), str(code))


def district_short(code: object) -> str:
    """The name in the sidebar's district filter: the open list cut "Unknown district (not placed, or flagged)"
    to "Unknown district (not placed, or flagg" at 1366 px and on a phone; the filter's help says what it holds."""
    return UNKNOWN_DISTRICT if code == NO_DISTRICT else district(code)


@cache
def indicators() -> dict[str, str]:
    """Indicator code → the sentence a tactical lead reads."""
    return {code: entry["label"] for code, entry in vocab.load("indicators").items()}


def indicator(code: object) -> str:
    return indicators().get(str(code), str(code).replace("_", " "))


INDICATORS_SHORT = dict(_WORDS["indicator_short"])   # indicator code → the name a chart's axis has room for


def indicator_short(value: object) -> str:
    """The name on a chart's axis: a short one where labels.toml has it (the axis cut the sentence short), else
    the full label. Given the stored code or its full label: the Overview's breakdown (analysis/overview.py)
    hands the page labels already, so the short name is found through the label's code."""
    text = str(value)
    code = next((c for c, label in indicators().items() if label == text), text)
    return INDICATORS_SHORT.get(code) or indicator(value)


@cache
def exploitation_types() -> list[str]:
    return list(vocab.load("categories")["exploitation_type"])


def exploitation(value: object) -> str:
    text = str(value)
    return text[:1].upper() + text[1:] if text else text


def source_type(value: object) -> str:
    return vocab.source_type_label(value)


SOURCE_TYPES_SHORT = dict(_WORDS["source_type_short"])   # stored value → the name a chart's axis has room for


def source_type_short(value: object) -> str:
    """The name on a chart's axis: a short one where labels.toml has it (an axis cut the full one short),
    else the full name. Matched without case, as the full names are."""
    text = str(value)
    return next((short for code, short in SOURCE_TYPES_SHORT.items() if code.lower() == text.lower()),
                source_type(value))


@cache
def licence_status(value: object) -> str:
    """A stop or an address with no licence status (a stop added by hand, a plan saved before the status was
    kept) shows the table's dash, not Python's "None" or "nan" read as a status."""
    if value is None or value != value or str(value).strip() == "":
        return NO_VALUE
    return LICENCE_STATUS.get(str(value), str(value))


def kind(value: object) -> str:
    return KINDS.get(str(value), str(value))


def audit_action(action: object) -> str:
    """The words for an audit action; an action this list does not know is shown as stored."""
    return AUDIT_ACTIONS.get(str(action), str(action)) if action else ""


def audit_detail(detail: object) -> str:
    """An audit row's detail (JSON) as "what: value" pairs a reader can scan: {"filters": {"from": "2026-09-01",
    "district": ["E07000010"]}} is "filters: from 2026-09-01, district E07000010"."""
    try:
        data = json.loads(detail) if isinstance(detail, str) else detail
    except ValueError:
        return str(detail)

    def said(value) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{k} {said(v)}" for k, v in value.items() if v not in (None, "", [], {}))
        if isinstance(value, (list, tuple)):
            return " ".join(said(v) for v in value)
        return str(value)

    if not isinstance(data, dict):
        return "" if data in (None, "", [], {}) else said(data)
    return "; ".join(f"{k}: {said(v)}" for k, v in data.items() if v not in (None, "", [], {}))
