"""The overview page: headline numbers against the previous period, the weekly trend, breakdowns.

Licence numbers come from the register's dates, not from events: "licensed" on a day means
a licence had started (or has no start date), had not expired, and was still on its council's
register that day. So a count "as of the start of the period" can be computed from the
registers loaded today.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analysis import addresses, placing, settings
from analysis.filters import Filters, cases_where, licences_where, reports_where

BREAKDOWNS = {"indicator": None, "exploitation_type": "exploitation_type", "source_type": "source_type"}


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    value: int | None               # None: not shown as a number (`hidden` says what instead)
    previous: int | None
    help: str
    hidden: str | None = None


def reports_around(con, date_from: dt.date, date_to: dt.date) -> tuple[dt.date | None, dt.date | None] | None:
    """None when some report was received in the dates; otherwise the newest report's date before them and
    the first one's after them (either None when there is none).

    Dates between two files (police.uk months with one missing, a register's year and the next) hold no
    report, and a page of zeros there reads as "nothing happened"; the pages offer the dates either side.
    Reports are stored in date order, so both questions read only the row groups around the dates."""
    if con.execute("SELECT 1 FROM reports WHERE received_on BETWEEN ? AND ? LIMIT 1", [date_from, date_to]).fetchone():
        return None
    before = con.execute("SELECT max(received_on) FROM reports WHERE received_on < ?", [date_from]).fetchone()[0]
    after = con.execute("SELECT min(received_on) FROM reports WHERE received_on > ?", [date_to]).fetchone()[0]
    return before, after


def reported_dates(con, before: dt.date | None, after: dt.date | None, days: int) -> list[tuple[dt.date, dt.date]]:
    """The dates to offer instead of a view of `days` days that holds no report: up to `before`, the newest
    report before the view, and from `after`, the first one after it; each as many days as the view, and none
    past the reports (before the first, after the newest).

    A report dated by its month alone (police.uk gives each crime the 1st) stands for its whole month: offered
    "1 Aug 2019 to 1 Aug 2019", a lead got a page of one day."""
    first, newest = con.execute("SELECT min(received_on), max(received_on) FROM reports").fetchone()
    span = dt.timedelta(days=days - 1)
    out = []
    if before is not None:
        end = _through_its_month(con, before)
        out.append((max(first, end - span), end))
    if after is not None:
        out.append((after, min(_through_its_month(con, newest), after + span)))
    return out


def _through_its_month(con, day: dt.date) -> dt.date:
    """`day`, or its month's last day when the loads that hold reports on `day` date every report by its month."""
    if day.day != 1:
        return day
    monthly = con.execute("""
        SELECT bool_and(day(received_on) = 1) FROM reports
        WHERE load_id IN (SELECT DISTINCT load_id FROM reports WHERE received_on = ?)""", [day]).fetchone()[0]
    return _period_end(day, "month") if monthly else day


def headline(con, f: Filters, today: dt.date) -> list[Metric]:
    """Reports, addresses of concern, HMOs licensed / expiring / expired, and victim cases.

    `previous` is the same metric for `f.previous_period()`. Licence counts are "as of" the
    end of their period (or today, if earlier), so the previous value is the count as of
    the start of this period; "expired" counts licences that expired during the period.
    """
    now, before = _metrics(con, f, today), _metrics(con, f.previous_period(), today)
    days = settings.expiring_days()
    as_of = min(today, f.date_to)
    labels = {
        "reports": ("Reports", "Reports received in the period that match the filters."),
        "addresses": ("Addresses of concern", "Distinct addresses with at least one report in the period. "
                      "Differently typed addresses of one licensed HMO count once; reports without an "
                      "address are not counted."),
        "hmos_licensed": ("HMOs licensed", f"HMO licences in force on {as_of:%-d %b %Y} in the selected districts, "
                          f"including those about to expire.{OUTSIDE_LICENCES if not f.districts else ''}"),
        "hmos_expiring": ("HMOs expiring", f"HMO licences in force on {as_of:%-d %b %Y} that expire within "
                          f"{days} days."),
        "hmos_expired": ("HMOs expired in these dates", "HMO licences whose expiry date fell in the chosen dates. "
                         "Licences that expired before them are not counted here, though the map draws every "
                         "expired licence still on a register."),
        "cases": ("Victim cases", "Victim cases opened in the period that match the filters (indicator and "
                  "source filters do not apply to cases)."),
    }
    out = [Metric(key, label, int(now[key]), int(before[key]), help_) for key, (label, help_) in labels.items()]
    out = _no_change_from_unknown(con, f, out)
    return [_hide_few_cases(m) if m.key == "cases" else m for m in out]


# The metrics counted from events in loaded files: their previous value means something only where a loaded file
# speaks for it. (Licences have dates of their own.)
FROM_REPORTS = ("reports", "addresses")
FROM_CASES = ("cases",)


def _no_change_from_unknown(con, f: Filters, metrics: list[Metric]) -> list[Metric]:
    """No change against a previous period that no loaded file speaks for (`report_coverage`, `case_coverage`):
    "+5,252" against the month before the first police.uk download is no rise, nor "+496" victim cases against
    the two years before the case file's first case."""
    before = f.previous_period()
    said = f" No loaded file speaks for the previous {before.days} days, so there is no change to show."
    unknown = set()
    for keys, spans in ((FROM_REPORTS, report_coverage(con)), (FROM_CASES, case_coverage(con))):
        if not any(a <= before.date_to and before.date_from <= b for a, b in spans):
            unknown.update(keys)
    return [dataclasses.replace(m, previous=None, help=m.help + said) if m.key in unknown else m for m in metrics]


def _hide_few_cases(m: Metric) -> Metric:
    """One or two victim cases in a district, a period and a nationality could identify a person: such a count
    is shown as words (`hidden`), and its change is not given."""
    threshold = settings.min_cases()
    few = [v is not None and 0 < v < threshold for v in (m.value, m.previous)]
    if not any(few):
        return m
    return dataclasses.replace(m, value=None if few[0] else m.value, previous=None if few[1] else m.previous,
                               hidden=f"fewer than {threshold}" if few[0] else None,
                               help=m.help + f" Fewer than {threshold} is not shown as a number: it could identify "
                                             "a person.")


def _metrics(con, f: Filters, today: dt.date) -> dict[str, int]:
    rwhere, rparams = reports_where(f, "r")
    cwhere, cparams = cases_where(f, "c")
    n_reports = con.execute(f"SELECT count(*) FROM reports r WHERE {rwhere}", rparams).fetchone()[0]
    n_cases = con.execute(f"SELECT count(*) FROM cases c WHERE {cwhere}", cparams).fetchone()[0]
    cte, aparams = addresses.report_addresses(f)
    n_addresses = con.execute(f"WITH {cte} SELECT count(DISTINCT group_id) FROM rep_matched WHERE in_view",
                              aparams).fetchone()[0]
    return {"reports": n_reports, "addresses": n_addresses, **_licence_counts(con, f, today), "cases": n_cases}


OUTSIDE_LICENCES = (" Licences placed in no district (not geocoded, or outside the force area, such as another "
                    "council's register) are counted only when \"Unknown district\" is chosen.")


def _licence_counts(con, f: Filters, today: dt.date) -> dict[str, int]:
    """Licensed, expiring and expired HMOs. With no district chosen, only those in the force area: a register
    from outside it (Oxford's, loaded by mistake or for comparison) is not the force's, and would otherwise be
    most of the count. In the area means in a district, or drawn on the map (which draws only placed licences)."""
    as_of = min(today, f.date_to)
    lwhere, lparams = licences_where(f, "h") if f.districts else ("(h.district_code IS NOT NULL OR h.placed)", [])
    in_force = ("(h.licence_start IS NULL OR h.licence_start <= ?) AND (h.licence_expiry IS NULL OR h.licence_expiry >= ?)"
                " AND (h.ended_on IS NULL OR h.ended_on > ?)")
    row = con.execute(f"""
        WITH latest AS (   -- one row per licence: its newest version, its earliest start
            SELECT source, licence_ref,
                   min(licence_start) AS licence_start,
                   arg_max(licence_expiry, load_id) AS licence_expiry,
                   arg_max(ended_on, load_id) AS ended_on,
                   arg_max(district_code, load_id) AS district_code,
                   arg_max({addresses.USABLE_POINT.format(a="hmo_licence_history")}, load_id) AS placed
            FROM hmo_licence_history GROUP BY source, licence_ref
        )
        SELECT count(*) FILTER (WHERE {in_force}),
               count(*) FILTER (WHERE {in_force} AND h.licence_expiry <= ?),
               count(*) FILTER (WHERE h.licence_expiry BETWEEN ? AND ?
                                  AND (h.ended_on IS NULL OR h.ended_on > h.licence_expiry))
        FROM latest h WHERE {lwhere}
    """, [as_of, as_of, as_of,
          as_of, as_of, as_of, as_of + dt.timedelta(days=settings.expiring_days()),
          # a licence is expired from the day after its expiry date
          f.date_from - dt.timedelta(days=1), as_of - dt.timedelta(days=1),
          *lparams]).fetchone()
    return {"hmos_licensed": row[0], "hmos_expiring": row[1], "hmos_expired": row[2]}


# Fewer reports than this in a view say nothing about how its dates are written.
MONTH_DATED_MIN_REPORTS = 10
# A view this long can hold a whole month: one month of police.uk by week is one spike and four empty weeks.
MONTH_DATED_MIN_DAYS = 28
# Reports of month-dated sources making up this share of a view chart it by month: their spikes would dominate.
MONTH_DATED_SHARE = 0.1


def _month_dated_share(counts: pd.DataFrame, days: pd.Series) -> float:
    """The share of the view's reports from sources whose every report in it is dated on a 1st, counting only
    such a source with enough reports to say so (a few reports on a 1st happen in any feed)."""
    total = counts["reports"].sum()
    if not total:
        return 0.0
    by_source = counts.assign(first=days.dt.day == 1).groupby("source", dropna=False).agg(
        reports=("reports", "sum"), all_first=("first", "all"))
    dated = by_source[by_source["all_first"] & (by_source["reports"] >= MONTH_DATED_MIN_REPORTS)]
    return float(dated["reports"].sum() / total)


def report_coverage(con) -> list[tuple[dt.date, dt.date]]:
    """The spans of days the loaded files speak for, merged, oldest first: each load's reports, from the first
    day received to the last (to the month's end when every one is dated by its month alone, as police.uk's are).

    Outside them no file was loaded, so a count there is not known, and drawn as zero it reads as "nothing
    happened": a 7-year view of a 2-year archive, the months between two police.uk downloads, the weeks since the
    last load. Inside one, a day without a report is a real zero."""
    return _coverage(con, "reports", "received_on")


def case_coverage(con) -> list[tuple[dt.date, dt.date]]:
    """The spans of days the loaded victim case files speak for, as `report_coverage` finds the reports'."""
    return _coverage(con, "cases", "opened_on")


def _coverage(con, table: str, date_column: str) -> list[tuple[dt.date, dt.date]]:
    spans: list[tuple[dt.date, dt.date]] = []
    for first, last, month_dated in con.execute(f"""
            SELECT min({date_column}), max({date_column}), bool_and(day({date_column}) = 1)
            FROM {table} GROUP BY load_id ORDER BY 1, 2""").fetchall():
        if month_dated:
            last = _period_end(last.replace(day=1), "month")
        if spans and first <= spans[-1][1] + dt.timedelta(days=1):
            spans[-1] = (spans[-1][0], max(spans[-1][1], last))
        else:
            spans.append((first, last))
    return spans


def report_trend(con, f: Filters) -> tuple[str, pd.DataFrame]:
    """Reports per period and district name: ('week', weeks from Monday) or ('month', calendar months),
    every period of the view that a loaded file speaks for (`report_coverage`) present, zeros filled.
    Columns: period, district, reports.

    Months when a source dated by its month alone (police.uk's "Month" column gives each crime the 1st)
    holds a good part of the view's reports (`MONTH_DATED_SHARE`): by week, its reports are one spike a month
    and empty weeks between, which reads as a pattern that isn't there. The districts are the filtered ones (all six force-area districts when
    none is chosen) that a report can be placed in (`placing.Reference.districts`: a boundary loaded for it), plus any
    other that has reports, e.g. 'Unknown district' for reports without one.
    The first and last periods may be part periods: they cover only the days inside the view.
    """
    where, params = reports_where(f, "r")
    # One scan, by day (a few hundred rows per district): the unit is read from the days, then they are binned.
    counts = con.execute(f"""
        SELECT r.received_on AS day, r.district_code, r.source, count(*) AS reports FROM reports r WHERE {where}
        GROUP BY ALL
    """, params).df()
    days = pd.to_datetime(counts["day"])
    unit = "month" if f.days >= MONTH_DATED_MIN_DAYS and _month_dated_share(counts, days) >= MONTH_DATED_SHARE \
        else "week"
    if unit == "week":
        counts["period"] = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date
    else:
        counts["period"] = days.dt.to_period("M").dt.start_time.dt.date
    periods = _held_periods(con, range_of_periods(f.date_from, f.date_to, unit), unit)
    names = settings.district_names(con)
    # A district no report can be placed in (no boundary loaded for it, nor, without boundaries, a postcode lookup
    # naming it) gets no zero line: it would read as a quiet district. Only the districts the reports are in are.
    placeable = placing.reference(con).districts
    base = [d for d in (f.districts or placeable) if d in placeable]
    codes = list(dict.fromkeys([*base, *(c for c in counts["district_code"] if isinstance(c, str))]))
    labels = [names.get(c, c) for c in codes]
    if counts["district_code"].isna().any():
        labels.append(settings.UNKNOWN_DISTRICT)
    counts["district"] = [names.get(c, c) if isinstance(c, str) else settings.UNKNOWN_DISTRICT
                          for c in counts["district_code"]]
    grid = pd.MultiIndex.from_product([periods, list(dict.fromkeys(labels))], names=["period", "district"])
    out = (counts.groupby(["period", "district"])["reports"].sum()
           .reindex(grid, fill_value=0).reset_index())
    out["reports"] = out["reports"].astype("int64")
    return unit, out.sort_values(["period", "district"]).reset_index(drop=True)


def period_start(day: dt.date, unit: str) -> dt.date:
    """The first day of the trend's period ('week' from Monday, or 'month') that holds `day`."""
    return day - dt.timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)


def range_of_periods(date_from: dt.date, date_to: dt.date, unit: str) -> list[dt.date]:
    """The first days of the periods that hold any of the days from `date_from` to `date_to`."""
    step = "7D" if unit == "week" else "MS"
    return list(pd.date_range(period_start(date_from, unit), date_to, freq=step).date)


def _period_end(start: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return start + dt.timedelta(days=6)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def runs(periods: list[dt.date], unit: str) -> list[int]:
    """For periods in order, the number of the unbroken run each is in: a chart draws a run as one line, so a
    line never joins two files across the periods no file speaks for."""
    out, run = [], 0
    for before, period in zip([None, *periods], periods):
        if before is not None and period > _period_end(before, unit) + dt.timedelta(days=1):
            run += 1
        out.append(run)
    return out


def _held_periods(con, periods, unit: str) -> list[dt.date]:
    """The periods (their first days) that overlap a span the loaded files speak for."""
    spans = report_coverage(con)
    # No report loaded: no file speaks for any period, and zeros drawn for all of them read as "nothing happened".
    return [p for p in periods if any(first <= _period_end(p, unit) and p <= last for first, last in spans)]


def breakdown(con, f: Filters, by: str) -> pd.DataFrame:
    """Reports by indicator (labels from indicators.toml; a report counts once per indicator),
    exploitation type or source type: label, reports, most first."""
    if by not in BREAKDOWNS:
        raise ValueError(f"breakdown by {by!r}: use one of {', '.join(BREAKDOWNS)}")
    where, params = reports_where(f, "r")
    if by == "indicator":
        df = con.execute(f"""
            SELECT code AS value, count(*) AS reports
            FROM (SELECT unnest(r.indicators) AS code FROM reports r WHERE {where}) GROUP BY code
        """, params).df()
        labels = settings.indicator_labels()
        df["label"] = [labels.get(v, v) for v in df["value"]]
    else:
        column = BREAKDOWNS[by]   # from the constant above, never from input
        df = con.execute(f"""
            SELECT coalesce(r.{column}, 'unknown') AS value, count(*) AS reports
            FROM reports r WHERE {where} GROUP BY 1
        """, params).df()
        df["label"] = [_capitalise(v) for v in df["value"]]
    df["reports"] = df["reports"].astype("int64")
    return df.sort_values(["reports", "label"], ascending=[False, True])[["label", "reports"]].reset_index(drop=True)


# What etl/vocab/nationalities.toml stores for "not stated", "unknown", "n/k" and the like, and what a case with no
# nationality is counted as (a report's is left out: its list is empty).
NOT_STATED = "Unknown"


def nationality_languages(con, f: Filters) -> pd.DataFrame:
    """Nationalities in reports and victim cases, with the languages a visit would bring.

    Columns: nationality, reports (reports mentioning it), cases, languages (every language
    listed for it in etl/vocab/nationalities.toml). A case count below the privacy threshold
    (settings.toml) is shown as missing (NA), not as the number: one or two cases of a nationality in a
    district and period could identify someone. Hidden counts add up to the headline's total less the shown
    ones, so the next smallest are hidden too until at least two are, adding up to the threshold.

    A nationality known only from such cases is still listed: the lead needs its language on the visit, and
    its row tells no more than "fewer than 3" beside a nationality that reports mention too (leaving it out
    left 3 of East Cambridgeshire's 7 cases with no language). Rows are ordered by the counts as shown, so
    the order does not tell the hidden ones apart either; ties by name, and "Unknown" last.
    """
    rwhere, rparams = reports_where(f, "r")
    cwhere, cparams = cases_where(f, "c")
    df = con.execute(f"""
        WITH rep AS (
            SELECT nationality, count(*) AS reports
            FROM (SELECT unnest(r.nationalities) AS nationality FROM reports r WHERE {rwhere}) GROUP BY 1
        ), cas AS (
            SELECT coalesce(nullif(trim(c.nationality), ''), ?) AS nationality, count(*) AS cases
            FROM cases c WHERE {cwhere} GROUP BY 1
        )
        SELECT nationality, coalesce(rep.reports, 0) AS reports, coalesce(cas.cases, 0) AS cases
        FROM rep FULL OUTER JOIN cas USING (nationality)
    """, [*rparams, NOT_STATED, *cparams]).df()
    threshold = settings.min_cases()
    df["reports"] = df["reports"].astype("int64")
    small = (df["cases"] > 0) & (df["cases"] < threshold)
    suppressed = small.copy()
    while suppressed.any() and (suppressed.sum() < 2 or df.loc[suppressed, "cases"].sum() < threshold):
        # The hidden counts add up to the headline's total less the others: one alone, or two that make 2,
        # would be told by that. Hide the next smallest count too.
        shown = df["cases"].where(~suppressed & (df["cases"] > 0))
        if shown.isna().all():
            break
        suppressed |= df.index == shown.idxmin()
    df["cases"] = df["cases"].astype("Int64").mask(suppressed)
    # Largest first, ties by name; "Unknown" last whatever its count: it names no language to bring, and at the
    # top (partner files often leave nationality blank) it pushed the nationalities a visit needs down the table.
    df = (df.assign(shown=df["reports"] + df["cases"].fillna(0), unstated=df["nationality"].eq(NOT_STATED),
                    name=df["nationality"].str.casefold())
          .sort_values(["unstated", "shown", "name"], ascending=[True, False, True], kind="stable")
          .reset_index(drop=True))
    table = settings.languages_to_bring()
    df["languages"] = [", ".join(table.get(n, [])) for n in df["nationality"]]
    return df[["nationality", "reports", "cases", "languages"]]


def _capitalise(value: str) -> str:
    return value[:1].upper() + value[1:]
