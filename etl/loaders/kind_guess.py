"""Which kind of file a header row looks like, for the error of a file given to the wrong loader.

"required column(s) missing: … Rename them, or pass --mapping FILE" is wrong advice for an HMO register
given as reports: renaming its licence dates to a date received loads licences as reports. The file's
headers say what it is; the error says which command loads it instead.
"""
from __future__ import annotations

from etl import vocab
from etl.loaders import postcodes
from etl.reading.headers import header_score, holds_any

TABULAR = ("hmo", "reports", "cases", "visits")
WHAT = {"hmo": "an HMO licence register", "reports": "a file of reports", "cases": "a victim case file",
        "visits": "a file of visit outcomes", "postcodes": "a postcode lookup"}
# Another kind must name this many more of its own headers than the kind asked for names of its own.
MARGIN = 2


def likelier_kind(kind: str, headers: list) -> str | None:
    """The kind these headers fit clearly better than `kind`, or None when none does."""
    row = [str(h) if h is not None else "" for h in headers]
    scores = {k: header_score(k, [(1, row)]) for k in TABULAR}
    best = max((k for k in TABULAR if k != kind), key=lambda k: scores[k])
    if scores[best] >= scores.get(kind, 0) + MARGIN and scores[best] >= 3:
        return best
    if kind != "postcodes" and len(set(scores.values())) == 1 and _postcode_lookup(row):
        return "postcodes"   # only the location columns every kind shares, and a postcode with its point
    return None


def _postcode_lookup(row: list[str]) -> bool:
    columns, _ = postcodes._match_headers(row, None)
    return "postcode" in columns and ({"lat", "lon"} <= columns.keys() or {"easting", "northing"} <= columns.keys())


def place_name_list(headers: list) -> bool:
    """Whether the headers are a gazetteer's (two of `place_name_list_headers`, etl/vocab/headers.toml)."""
    markers = vocab.load("headers").get("place_name_list_headers", [])
    return sum(holds_any(h, markers) for h in headers if h not in (None, "")) >= 2


def hint(kind: str, headers: list) -> str | None:
    """The sentence that says what the file looks like and how to load it, if it looks like another kind."""
    if place_name_list(headers):
        return (f"this looks like a place-name list (a gazetteer), not {WHAT.get(kind, kind)}: no loader takes one "
                "(reports, licences and cases are placed by their own postcodes and coordinates)")
    other = likelier_kind(kind, headers)
    if other is None:
        return None
    return f"this looks like {WHAT[other]}, not {WHAT.get(kind, kind)}: load it with `python -m etl load {other} FILE`"
