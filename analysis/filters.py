"""The filters every dashboard page and export shares, and their SQL.

A `Filters` value round-trips through URL query parameters, so a shared link reproduces
the view. Values only ever reach SQL as bound parameters.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Mapping

DEFAULT_DAYS = 90
# The district filter's choice for rows placed in no district: not geocoded, or flagged (outside the area, or
# coordinates that look swapped). Never an ONS code.
NO_DISTRICT = "unknown"

# URL parameter → Filters field, for the multi-valued filters.
_LIST_PARAMS = {"district": "districts", "exploitation": "exploitation_types", "indicator": "indicators",
                "source_type": "source_types", "nationality": "nationalities"}


@dataclass(frozen=True)
class Filters:
    """What a page shows, as one value: frozen, so it keys cached queries, and equal filters give the same
    answers. Dates are inclusive at both ends; an empty tuple does not filter. `to_params` writes it as a
    link's query that `from_params` reads back (its lists sorted), so a shared link reproduces the view."""

    date_from: dt.date
    date_to: dt.date
    districts: tuple[str, ...] = ()            # ONS codes; empty means all
    exploitation_types: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()           # codes from etl/vocab/indicators.toml
    source_types: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()

    @classmethod
    def default(cls, today: dt.date | None = None) -> "Filters":
        today = today or dt.date.today()
        return cls(date_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), date_to=today)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous_period(self) -> "Filters":
        """The same length of time just before, for "change against the previous period"."""
        return replace(self, date_from=self.date_from - dt.timedelta(days=self.days),
                       date_to=self.date_from - dt.timedelta(days=1))

    def to_params(self) -> dict[str, str]:
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        for name, attr in _LIST_PARAMS.items():
            values = getattr(self, attr)
            if values:
                params[name] = ",".join(values)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, object], today: dt.date | None = None) -> "Filters":
        """Tolerant of hand-edited links: a bad or missing value falls back to its default."""
        default = cls.default(today)
        date_from = _date(params.get("from")) or default.date_from
        date_to = _date(params.get("to")) or default.date_to
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        lists = {attr: _list(params.get(name)) for name, attr in _LIST_PARAMS.items()}
        return cls(date_from=date_from, date_to=date_to, **lists)

    def is_default(self, today: dt.date | None = None) -> bool:
        return self == Filters.default(today)


def _date(value) -> dt.date | None:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(sorted({str(v).strip() for v in items if str(v).strip()}))


def _where(alias: str, date_column: str, date_from: dt.date, date_to: dt.date,
           conditions: list[tuple[str, str, tuple[str, ...]]]) -> tuple[str, list]:
    """Date range plus one clause per non-empty filter: (SQL function, column, values)."""
    clauses = [f"{alias}.{date_column} BETWEEN ? AND ?"]
    params: list = [date_from, date_to]
    for function, column, values in conditions:
        if values:
            clauses.append(f"{function}(?, {_filtered_column(alias, column, values)})" if function == "list_contains"
                           else f"{function}({alias}.{column}, ?)")
            params.append(list(values))
    return " AND ".join(clauses), params


def _filtered_column(alias: str, column: str, values: tuple[str, ...]) -> str:
    """The column a filter's values are looked up in: a district filter that chose NO_DISTRICT also takes the
    rows without one (only then, so the usual filter stays a plain lookup of the stored codes)."""
    if column == "district_code" and NO_DISTRICT in values:
        return f"coalesce({alias}.{column}, '{NO_DISTRICT}')"
    return f"{alias}.{column}"


def reports_where(f: Filters, alias: str = "r") -> tuple[str, list]:
    """WHERE clause (without the keyword) and parameters for the reports a view should count."""
    return _where(alias, "received_on", f.date_from, f.date_to, [
        ("list_contains", "district_code", f.districts),
        ("list_contains", "exploitation_type", f.exploitation_types),
        ("list_contains", "source_type", f.source_types),
        ("list_has_any", "indicators", f.indicators),
        ("list_has_any", "nationalities", f.nationalities),
    ])


def cases_where(f: Filters, alias: str = "c") -> tuple[str, list]:
    """Cases have no indicators or source types; those filters don't narrow them."""
    return _where(alias, "opened_on", f.date_from, f.date_to, [
        ("list_contains", "district_code", f.districts),
        ("list_contains", "exploitation_type", f.exploitation_types),
        ("list_contains", "nationality", f.nationalities),
    ])


def licences_where(f: Filters, alias: str = "h") -> tuple[str, list]:
    """Licences are a register, not events: only the district filter narrows them."""
    if not f.districts:
        return "TRUE", []
    return f"list_contains(?, {_filtered_column(alias, 'district_code', f.districts)})", [list(f.districts)]

