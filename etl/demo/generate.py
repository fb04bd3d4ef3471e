"""Write a synthetic, reproducible set of partner files for demos, tests and benchmarks.

The real inputs (HMO registers, police intelligence, victim cases) can never live in the repo,
yet the loaders and the dashboard need something realistic to chew on. This module writes the
files *as partners would send them*: each council's register in its own layout and encoding,
two report exports with different headers, a victim-case export with identifying columns, and
a synthetic postcode lookup so everything geocodes without the real ONS files. A few rows are
spoiled on purpose (listed in planted_errors.txt) so the rejects view has something to show.

Everything is invented: streets are generic ("Mill Lane"), inward postcodes are made up within
real outward codes, licence holders are companies, and the victim-name column holds only
"Person 0001"-style placeholders. The tables that shape the data are TOML beside this file.

The same seed, scale and `today` give byte-identical files, XLSX included.

`scale` multiplies the scale-1 volumes: one whole number for every kind of file, or a `Scale`
with a factor per kind; named scales (e.g. "national", for the benchmark) are in scales.toml.
Big scales stay vectorised and bounded: the rows are drawn as numpy arrays, repeated text is
formatted once per distinct value, and each file is formatted and written CHUNK_ROWS rows at a
time, so the files' text is never held whole (national scale, 5M reports, peaks near 2.7 GB).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import tomllib
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).parent
XLSX_MAX_SCALE = 5                                   # above this, XLSX files are written as CSV
WORKBOOK_TIMESTAMP = dt.datetime(2024, 1, 1, 9, 0)   # fixed, so workbooks hash the same every run
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"              # letters a UK inward code may use
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
KM_PER_DEGREE = 111.32
CHUNK_ROWS = 100_000                                 # rows formatted and written at a time
KINDS = ("hmo", "reports", "cases")                  # the kinds of file a Scale sizes


@dataclass(frozen=True)
class DemoFile:
    """One written file: what the loader should treat it as, and the source name to load it under."""

    kind: str      # 'boundaries' | 'postcodes' | 'hmo' | 'reports' | 'cases'
    path: Path
    source: str


@dataclass(frozen=True)
class PlantedError:
    """A deliberate problem, located the way a reject message locates it (the spreadsheet row)."""

    file: str
    row: int
    column: str
    value: str
    problem: str


@dataclass(frozen=True)
class Scale:
    """How many times its scale-1 volume each kind of file holds (whole numbers, 1 or more)."""

    hmo: int = 1
    reports: int = 1
    cases: int = 1

    def __post_init__(self):
        for kind in KINDS:
            value = getattr(self, kind)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"the {kind} scale must be a whole number, 1 or more (not {value!r})")

    @classmethod
    def of(cls, value: "int | str | Mapping[str, int] | Scale") -> "Scale":
        """A Scale from a whole number (every kind alike), a name in scales.toml, or {kind: factor}."""
        if isinstance(value, Scale):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text.isdigit():
                return cls.of(int(text))
            named = table("scales")
            if text not in named:
                raise ValueError(f"unknown scale {value!r}: use a whole number or one of {', '.join(sorted(named))}")
            return cls.of(named[text])
        if isinstance(value, Mapping):
            unknown = set(value) - set(KINDS)
            if unknown:
                raise ValueError(f"unknown kind(s) {', '.join(sorted(map(str, unknown)))} in the scale; "
                                 f"use {', '.join(KINDS)}")
            return cls(**{kind: value.get(kind, 1) for kind in KINDS})
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("scale must be a whole number, 1 or more")
        return cls(value, value, value)

    @property
    def largest(self) -> int:
        return max(self.hmo, self.reports, self.cases)

    def __str__(self) -> str:
        if self.hmo == self.reports == self.cases:
            return str(self.hmo)
        return ", ".join(f"{kind} ×{getattr(self, kind)}" for kind in KINDS)


def named_scales() -> dict[str, Scale]:
    """The named scales in scales.toml (e.g. "national")."""
    return {name: Scale.of(factors) for name, factors in table("scales").items()}


def generate(out_dir: Path, seed: int = 42, scale: "int | str | Mapping[str, int] | Scale" = 1,
             today: dt.date | None = None) -> list[DemoFile]:
    """Write every demo file into `out_dir` and return them, outlines and postcodes first (they geocode the rest).

    `scale` multiplies the volumes (see `Scale.of`); `today` anchors all dates (default: the real today).
    planted_errors.txt is written beside the files and is not returned: it is not for loading.
    """
    scale = Scale.of(scale)
    today = today or dt.date.today()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    towns = build_towns(seed, scale)
    registers = [licences(key, towns, seed, scale, today) for key in table("registers")["councils"]]
    reports = report_rows(towns, registers, seed, scale, today)
    cases = case_rows(towns, reports, seed, scale, today)

    tables = [register_table(reg, seed) for reg in registers]
    tables += report_tables(reports, seed)
    tables.append(case_table(cases))
    del registers, reports, cases  # each table keeps only the rows it writes
    use_xlsx = scale.largest <= XLSX_MAX_SCALE

    files = [write_outlines(out_dir), write_postcodes(towns, out_dir)]
    planted: list[PlantedError] = []
    while tables:
        tab = tables.pop(0)  # let go of each table's rows once it is written
        planted += plant_errors(tab, seed)
        files.append(write_table(tab, out_dir, use_xlsx))
    write_planted(planted, out_dir / table("errors")["file"])
    return files


# ---------------------------------------------------------------- data tables and randomness

@cache
def table(name: str) -> dict:
    """A TOML data table beside this module, so volumes and vocabularies are edited without code."""
    with open(DATA_DIR / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent generator per stream, so changing one file's recipe leaves the others unchanged."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])


def per_combination(fmt: Callable[..., object], *columns: np.ndarray) -> np.ndarray:
    """`fmt(*row)` for every row of `columns`, called once per distinct combination of values.

    Most text in the files repeats (gradings, nationality pairs, indicator lists, dates), so
    formatting each combination once keeps big scales fast and their strings shared.
    """
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(np.asarray(col), use_na_sentinel=False)
        key = key * max(1, len(uniques)) + codes
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    made = np.empty(len(first), dtype=object)
    made[:] = [fmt(*row) for row in zip(*(np.asarray(col)[first].tolist() for col in columns))]
    return made[inverse.reshape(-1)]


def weighted(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    """`n` keys drawn from a {key: weight} table."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def disc(rng: np.random.Generator, n: int, radius_km: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform offsets (degrees lat, lon) within a disc, so points spread evenly rather than bunch."""
    r = radius_km * np.sqrt(rng.random(n))
    theta = 2 * np.pi * rng.random(n)
    dlat = r * np.sin(theta) / KM_PER_DEGREE
    dlon = r * np.cos(theta) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return dlat, dlon


def days_before(today: dt.date, offsets: np.ndarray) -> np.ndarray:
    """`today` minus integer day offsets, as datetime64[D] (negative offsets are in the future)."""
    return np.datetime64(today, "D") - np.asarray(offsets, dtype="timedelta64[D]")


# ---------------------------------------------------------------- towns, streets and postcodes

@dataclass
class Town:
    """A town's invented address space: streets × house numbers, grouped into postcode units.

    Address ids run over street × house number; a run of `block` numbers on one street shares
    a postcode, as in life. `order` hands addresses out without repeats, so a licensed HMO, an
    unlicensed one and a cluster never share a door by accident.
    """

    name: str
    lat: float
    lon: float
    lad: str
    streets: np.ndarray            # street names
    street_outward: np.ndarray     # the outward code each street is in
    numbers: int                   # house numbers per street
    block: int                     # house numbers per postcode unit
    special: int                   # the first `special` streets have non-ASCII names
    unit_lat: np.ndarray
    unit_lon: np.ndarray
    jitter_m: float
    unit_postcode: np.ndarray = field(default=None)
    order: np.ndarray = field(default=None)
    used: np.ndarray = field(default=None)
    cursor: int = 0

    @property
    def capacity(self) -> int:
        return len(self.streets) * self.numbers

    @property
    def blocks(self) -> int:
        return self.numbers // self.block

    def unit_outward(self) -> np.ndarray:
        return np.repeat(self.street_outward, self.blocks)

    def take(self, n: int, special_only: bool = False) -> np.ndarray:
        """`n` addresses never handed out before (optionally only on the non-ASCII streets).

        Walks `order` from a cursor, so handing out one address at a time stays cheap.
        """
        if special_only:
            free = np.flatnonzero(~self.used[:self.special * self.numbers])
            chosen = self.order_within(free)[:n]
        else:
            parts, need = [], n
            while need > 0:
                if self.cursor >= self.capacity:
                    raise ValueError(f"{self.name}: address space exhausted ({n} wanted)")
                chunk = self.order[self.cursor:self.cursor + need]
                self.cursor += len(chunk)
                chunk = chunk[~self.used[chunk]]
                parts.append(chunk)
                need -= len(chunk)
            chosen = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        self.used[chosen] = True
        return chosen

    def order_within(self, ids: np.ndarray) -> np.ndarray:
        """`ids` in the town's hand-out order, so a subset is drawn as randomly as the whole."""
        rank = np.empty(self.capacity, dtype=np.int64)
        rank[self.order] = np.arange(self.capacity)
        return ids[np.argsort(rank[ids], kind="stable")]

    def describe(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Address text, postcode and point of each address id."""
        ids = np.asarray(ids, dtype=np.int64)
        street, number = ids // self.numbers, ids % self.numbers + 1
        unit = street * self.blocks + (number - 1) // self.block
        names = self.streets[street]
        address = np.array([f"{n} {s}, {self.name}" for n, s in zip(number.tolist(), names.tolist())], dtype=object)
        jlat, jlon = address_jitter(ids, self.jitter_m, self.lat)
        return {"town": np.full(len(ids), self.name, dtype=object), "address": address,
                "postcode": self.unit_postcode[unit], "lat": self.unit_lat[unit] + jlat,
                "lon": self.unit_lon[unit] + jlon}


def address_jitter(ids: np.ndarray, metres: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
    """A fixed small offset per address (a hash of its id), so one door is always at one point."""
    h1 = ((ids * 2654435761 + 97) % 4294967296) / 4294967296.0 * 2 - 1
    h2 = ((ids * 40503 + 2166136261) % 4294967296) / 4294967296.0 * 2 - 1
    km = metres / 1000.0
    return h1 * km / KM_PER_DEGREE, h2 * km / (KM_PER_DEGREE * math.cos(math.radians(lat)))


def town_demand(scale: Scale) -> dict[str, float]:
    """Roughly how many distinct addresses each town must supply, to size its address space."""
    places, regs, reps, cas = table("places"), table("registers"), table("reports"), table("cases")
    towns = places["towns"]
    demand = {name: 0.0 for name in towns}
    for council in regs["councils"].values():
        share = sum(council["towns"].values())
        for name, w in council["towns"].items():
            demand[name] += council["volume"] * w / share * scale.hmo
    other = reps["volume"] * scale.reports + cas["per_year"] * cas["years"] * scale.cases
    total_w = sum(t["reports"] for t in towns.values())
    for name, t in towns.items():
        demand[name] += 0.5 * other * t["reports"] / total_w
    for name, w in reps["unlicensed"]["towns"].items():
        demand[name] += reps["unlicensed"]["addresses"] * w * scale.reports
    return demand


def build_towns(seed: int, scale: Scale) -> dict[str, Town]:
    """Every town's streets and postcode units, then unique inward codes for each outward code."""
    places = table("places")
    combos = [f"{a} {b}" for a in places["streets"]["first"] for b in places["streets"]["kind"]]
    sharing: dict[str, int] = {}
    for t in places["towns"].values():
        for code in t["outward"]:
            sharing[code] = sharing.get(code, 0) + 1
    demand = town_demand(scale)
    towns = {name: build_town(name, spec, combos, demand[name], sharing, seed, places)
             for name, spec in places["towns"].items()}
    assign_inward_codes(towns, seed, places["reserved_inward"])
    return towns


def build_town(name: str, spec: dict, combos: list[str], demand: float, sharing: dict[str, int],
               seed: int, places: dict) -> Town:
    """One town's address space, sized to its demand so large scales never run out of doors."""
    rng = rng_for(seed, f"town:{name}")
    capacity = int(1.5 * demand) + 400
    # Postcode units it may use: streets draw their outward code evenly, so the tightest code (one shared
    # with another town, like PE7) bounds every code's share.
    room = len(spec["outward"]) * min(0.8 * inward_pool_size() / sharing[c] for c in spec["outward"])
    block = max(places["numbers_per_postcode"], math.ceil(capacity / room))
    special = list(places["streets"]["special"].get(name, []))
    n_streets = int(np.clip(capacity // 100, 12, len(combos)))
    blocks = max(1, math.ceil(capacity / n_streets / block))  # postcode units per street
    if n_streets * blocks > room and blocks > 1:  # rounding up per street would use more postcodes than there are
        blocks = max(1, int(room // n_streets))
        block = math.ceil(capacity / (n_streets * blocks))
    numbers = blocks * block
    streets = np.array(special + [combos[i] for i in rng.permutation(len(combos))[:n_streets]], dtype=object)
    lat, lon = spec["centre"]
    street_lat, street_lon = disc(rng, len(streets), places["street_radius_km"], lat)
    blocks = numbers // block
    unit_lat, unit_lon = disc(rng, len(streets) * blocks, places["radius_km"] - places["street_radius_km"], lat)
    town = Town(name=name, lat=lat, lon=lon, lad=spec["lad"], streets=streets,
                street_outward=np.array(spec["outward"], dtype=object)[rng.integers(0, len(spec["outward"]), len(streets))],
                numbers=numbers, block=block, special=len(special),
                unit_lat=lat + np.repeat(street_lat, blocks) + unit_lat,
                unit_lon=lon + np.repeat(street_lon, blocks) + unit_lon,
                jitter_m=places["address_jitter_m"])
    town.order = rng.permutation(town.capacity)
    town.used = np.zeros(town.capacity, dtype=bool)
    return town


def inward_pool_size() -> int:
    return 10 * len(INWARD_LETTERS) ** 2 - 1


def inward_codes(reserved: str) -> np.ndarray:
    """Every syntactically valid inward code ("4AB") except the one kept for unknown postcodes."""
    codes = [f"{d}{a}{b}" for d in range(10) for a in INWARD_LETTERS for b in INWARD_LETTERS]
    return np.array([c for c in codes if c != reserved], dtype=object)


def assign_inward_codes(towns: dict[str, Town], seed: int, reserved: str) -> None:
    """Give each postcode unit a unique inward code within its outward code, across all towns
    sharing it (PE7 is both Peterborough and Whittlesey)."""
    pool = inward_codes(reserved)
    outwards = {name: town.unit_outward() for name, town in towns.items()}
    for town in towns.values():
        town.unit_postcode = np.empty(town.capacity // town.block, dtype=object)
    for code in sorted({c for o in outwards.values() for c in o}):
        wanted = {name: np.flatnonzero(o == code) for name, o in outwards.items()}
        total = sum(len(w) for w in wanted.values())
        if total > len(pool):
            raise ValueError(f"outward code {code} would need {total} postcodes; lower the scale")
        codes = pool[rng_for(seed, f"inward:{code}").choice(len(pool), size=total, replace=False)]
        start = 0
        for name, units in wanted.items():
            towns[name].unit_postcode[units] = code + " " + codes[start:start + len(units)]
            start += len(units)


# ---------------------------------------------------------------- HMO registers

def licences(key: str, towns: dict[str, Town], seed: int, scale: Scale, today: dt.date) -> dict:
    """One council's licences as plain arrays (the truth), before its layout is applied."""
    spec = table("registers")["councils"][key]
    rng = rng_for(seed, f"hmo:{key}")
    n = round(spec["volume"] * scale.hmo)
    town_of = weighted(rng, spec["towns"], n)
    rows = {k: np.empty(n, dtype=object) for k in ("town", "address", "postcode")}
    rows["lat"], rows["lon"] = np.zeros(n), np.zeros(n)
    for name in spec["towns"]:
        idx = np.flatnonzero(town_of == name)
        ids = licence_addresses(towns[name], len(idx), spec.get("special_street_share", 0.0))
        for k, v in towns[name].describe(ids).items():
            rows[k][idx] = v
    rows.update(licence_terms(rng, n, today))
    rows.update(occupancy(rng, n, spec.get("additional_share", 0.0)))
    order = np.argsort(rows["start"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}
    rows["ref"] = licence_refs(spec["ref"], rows["start"])
    rows["holder"] = holders(rng, n, scale.hmo)
    uprn = table("registers")["uprn"]
    rows["uprn"] = np.where(rng.random(n) < uprn["blank_share"], None,
                            uprn["base"] + rng.permutation(n * 20)[:n] + 1).astype(object)
    return {"key": key, "spec": spec, "rows": rows, "n": n}


def licence_addresses(town: Town, n: int, special_share: float) -> np.ndarray:
    """Unique doors for licences; a few on non-ASCII streets where the council asks for them."""
    k = min(n, max(2, round(special_share * n)), town.special * town.numbers // 2) if special_share else 0
    return np.concatenate([town.take(k, special_only=True), town.take(n - k)])


def licence_terms(rng: np.random.Generator, n: int, today: dt.date) -> dict[str, np.ndarray]:
    """Start and expiry dates giving the configured mix of expired, expiring-soon and current."""
    cfg = table("registers")
    status, term = cfg["status"], cfg["term"]
    kinds = weighted(rng, {k: status[k] for k in ("expired", "expiring", "current")}, n)
    years = np.array(term["years"])[rng.choice(len(term["years"]), n, p=np.array(term["weights"]) / sum(term["weights"]))]
    term_days = years * 365
    ahead = np.where(kinds == "expired", -rng.integers(1, status["expired_days"] + 1, n),
                     np.where(kinds == "expiring", rng.integers(0, status["expiring_days"] + 1, n),
                              status["expiring_days"] + 1 +
                              (rng.random(n) * (term_days - status["expiring_days"] - 1)).astype(int)))
    expiry = days_before(today, -ahead)
    start = expiry - (term_days - 1).astype("timedelta64[D]")
    return {"start": start, "expiry": expiry}


def occupancy(rng: np.random.Generator, n: int, additional_share: float) -> dict[str, np.ndarray]:
    """Permitted occupants, households and storeys, with smaller "Additional" licences where used."""
    occ = table("registers")["occupants"]
    additional = rng.random(n) < additional_share
    people = np.minimum(occ["minimum"] + rng.poisson(occ["extra_mean"], n), occ["maximum"])
    people = np.where(additional, occ["additional_minimum"] + rng.integers(0, 2, n), people)
    households = np.maximum(1, people - rng.integers(0, 3, n))
    storeys = rng.choice([2, 3, 4], n, p=[0.55, 0.35, 0.10])
    return {"occupants": people, "households": households, "storeys": storeys,
            "type": np.where(additional, "Additional", "Mandatory").astype(object)}


def licence_refs(pattern: str, start: np.ndarray) -> np.ndarray:
    """Licence numbers in the council's pattern, numbered in order of issue."""
    years = start.astype("datetime64[Y]").astype(int) + 1970
    return np.array([pattern.format(year=y, yy=f"{y % 100:02d}", seq=i + 1) for i, y in enumerate(years.tolist())],
                    dtype=object)


@cache
def holder_names() -> tuple[str, ...]:
    """Company-style licence holders ("Fenview Lettings Ltd"): a register never names a person here."""
    h = table("registers")["holders"]
    return tuple(f"{a} {b} {c}" for a in h["first"] for b in h["trade"] for c in h["form"])


def holders(rng: np.random.Generator, n: int, scale: int) -> np.ndarray:
    """A few landlords hold many licences, most hold one or two (a heavy-tailed draw)."""
    names = np.array(holder_names(), dtype=object)
    pool = names[rng.permutation(len(names))[:min(len(names), table("registers")["holders"]["count"] * scale)]]
    w = rng.gamma(0.6, size=len(pool))
    return pool[rng.choice(len(pool), n, p=w / w.sum())]


# ---------------------------------------------------------------- reports

def report_rows(towns: dict[str, Town], registers: list[dict], seed: int, scale: Scale, today: dt.date) -> dict:
    """Every report (both files) as arrays: clusters, unlicensed HMOs, licensed HMOs, elsewhere."""
    cfg = table("reports")
    rng = rng_for(seed, "reports")
    hmo = {k: np.concatenate([r["rows"][k] for r in registers]) for k in ("town", "address", "postcode", "lat", "lon")}
    parts = [cluster_reports(rng, towns, hmo, scale.reports, today)]
    total = round(cfg["volume"] * scale.reports)
    n_unl = round(total * cfg["where"]["unlicensed"])
    n_hmo = round(total * cfg["where"]["at_hmo"])
    parts.append(unlicensed_reports(rng, towns, n_unl, scale.reports, today))
    parts.append(hmo_reports(rng, hmo, n_hmo, today, exclude=parts[0]["address"]))
    parts.append(other_reports(rng, towns, total - n_hmo - n_unl - len(parts[0]["date"]), today))
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    fill_report_details(rng, rows)
    return rows


def located(where: dict, dates: np.ndarray, kind: str, **fixed) -> dict:
    """A block of reports at known places, tagged with how they were made (cluster, hmo...)."""
    n = len(dates)
    rows = {k: np.asarray(v) for k, v in where.items() if k in ("town", "address", "postcode", "lat", "lon")}
    rows.update(date=dates, kind=np.full(n, kind, dtype=object))
    for name in ("exploitation", "nationalities", "indicators"):
        rows[name] = np.full(n, fixed.get(name), dtype=object)
    rows["people"] = fixed.get("people", np.zeros(n, dtype=int))
    return rows


def uniform_dates(rng: np.random.Generator, n: int, today: dt.date) -> np.ndarray:
    """Dates spread evenly over the reporting window, the background against which clusters rise."""
    return days_before(today, rng.integers(0, table("reports")["days_back"] + 1, n))


def cluster_reports(rng: np.random.Generator, towns: dict[str, Town], hmo: dict, scale: int,
                    today: dt.date) -> dict:
    """Emerging clusters: a trickle of reports at one address, then a sharp rise in recent weeks."""
    cfg = table("reports")
    surge = cfg["surge"]
    blocks, free = [], {}
    for _ in range(scale):
        for c in cfg["clusters"]:
            where = cluster_address(rng, towns, hmo, c, free)
            back = np.concatenate([rng.integers(surge["baseline_to_days"], surge["baseline_from_days"] + 1, c["baseline"]),
                                   (surge["days"] * (1 - np.sqrt(rng.random(c["surge"])))).astype(int)])
            n = len(back)
            spot = {k: np.repeat(np.asarray(v, dtype=object if k in ("town", "address", "postcode") else float), n)
                    for k, v in where.items()}
            blocks.append(located(spot, days_before(today, back), "cluster", exploitation=c["exploitation"],
                                  nationalities=c["nationality"], indicators="; ".join(c["indicators"]),
                                  people=rng.integers(surge["people"][0], surge["people"][1] + 1, n)))
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


def cluster_address(rng: np.random.Generator, towns: dict[str, Town], hmo: dict, c: dict, free: dict) -> dict:
    """A licensed HMO in the town (its register address), or a fresh address on no register.

    `free` keeps, per town, the HMOs not yet used by a cluster, in random order.
    """
    if c["on_register"]:
        if c["town"] not in free:
            free[c["town"]] = list(rng.permutation(np.flatnonzero(hmo["town"] == c["town"])))
        if free[c["town"]]:
            i = free[c["town"]].pop()
            return {k: hmo[k][i:i + 1] for k in ("town", "address", "postcode", "lat", "lon")}
    return towns[c["town"]].describe(towns[c["town"]].take(1))


def unlicensed_reports(rng: np.random.Generator, towns: dict[str, Town], n: int, scale: int, today: dt.date) -> dict:
    """Addresses on no register, reported several times each for many unrelated occupants."""
    cfg = table("reports")["unlicensed"]
    k = min(n, cfg["addresses"] * scale)
    town_of = weighted(rng, cfg["towns"], k)
    spots = {key: np.empty(k, dtype=object) for key in ("town", "address", "postcode")}
    spots["lat"], spots["lon"] = np.zeros(k), np.zeros(k)
    for name in cfg["towns"]:
        idx = np.flatnonzero(town_of == name)
        for key, v in towns[name].describe(towns[name].take(len(idx))).items():
            spots[key][idx] = v
    pick = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    lo, hi = cfg["people"]
    return located({key: v[pick] for key, v in spots.items()}, uniform_dates(rng, n, today), "unlicensed",
                   people=rng.integers(lo, hi + 1, n))


def hmo_reports(rng: np.random.Generator, hmo: dict, n: int, today: dt.date, exclude: np.ndarray) -> dict:
    """Reports at licensed HMOs; a few HMOs draw many reports, most draw none (heavy-tailed).

    Cluster addresses (`exclude`) get none, so their recent surge stands out against a quiet past.
    """
    w = rng.gamma(0.4, size=len(hmo["address"]))
    w[pd.Index(hmo["address"]).isin(pd.unique(exclude))] = 0   # hashed: np.isin on strings is quadratic
    pick = rng.choice(len(w), n, p=w / w.sum())
    return located({k: v[pick] for k, v in hmo.items()}, uniform_dates(rng, n, today), "hmo")


def other_reports(rng: np.random.Generator, towns: dict[str, Town], n: int, today: dt.date) -> dict:
    """Reports at ordinary addresses anywhere in the force area, weighted by town."""
    town_of = weighted(rng, {name: spec["reports"] for name, spec in table("places")["towns"].items()}, n)
    spots = {key: np.empty(n, dtype=object) for key in ("town", "address", "postcode")}
    spots["lat"], spots["lon"] = np.zeros(n), np.zeros(n)
    for name, town in towns.items():
        idx = np.flatnonzero(town_of == name)
        for key, v in town.describe(rng.integers(0, town.capacity, len(idx))).items():
            spots[key][idx] = v
    return located(spots, uniform_dates(rng, n, today), "other")


def fill_report_details(rng: np.random.Generator, rows: dict) -> None:
    """Exploitation type, indicators, nationalities, head count and grading for reports lacking them."""
    cfg = table("reports")
    n = len(rows["date"])
    todo = rows["kind"] != "cluster"
    rows["exploitation"] = np.where(todo, weighted(rng, cfg["exploitation"]["weights"], n), rows["exploitation"])
    drawn = draw_indicators(rng, rows["exploitation"])
    unl = rows["kind"] == "unlicensed"
    marker = cfg["unlicensed"]["indicator"]
    if unl.any():
        drawn[unl] = per_combination(lambda d: f"{marker}; {d}", drawn[unl])
    rows["indicators"] = np.where(todo, drawn, rows["indicators"])
    rows["nationalities"] = np.where(todo, draw_nationalities(rng, n), rows["nationalities"])
    ppl = table("reports")["people"]
    usual = np.clip(rng.poisson(ppl["mean"], n), 1, ppl["max"])
    rows["people"] = np.where(np.isin(rows["kind"], ["cluster", "unlicensed"]), rows["people"], usual)
    g = cfg["grading"]
    rows["grading"] = per_combination(lambda a, b, c: f"{a}-{b}-{c}", weighted(rng, g["source"], n),
                                      weighted(rng, g["assessment"], n), weighted(rng, g["handling"], n))


def draw_indicators(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """1-4 distinct phrases per report, likelier ones for its exploitation type (Gumbel top-k).

    Drawn CHUNK_ROWS reports at a time (the same draws as all at once), so no reports × phrases
    matrix is ever held; each distinct list of phrases is joined once.
    """
    cfg = table("reports")
    phrases = list(cfg["indicators"])
    kinds = list(cfg["exploitation"]["weights"])
    w = np.array([[cfg["indicators"][p]["weights"][k] for p in phrases] for k in kinds], dtype=float)
    with np.errstate(divide="ignore"):
        logw = np.log(w)
    type_idx = pd.Categorical(types, categories=kinds).codes
    c = cfg["indicator_count"]
    n, width = len(types), c["max"]
    top = np.empty((n, width), dtype=np.int64)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        scores = logw[type_idx[start:stop]] + rng.gumbel(size=(stop - start, len(phrases)))
        top[start:stop] = np.argsort(-scores, axis=1)[:, :width]
    count = c["min"] + rng.binomial(c["max"] - c["min"], c["extra_p"], n)
    chosen = np.where(np.arange(width) < count[:, None], top + 1, 0)   # 0: no phrase in that place
    code = (chosen * (len(phrases) + 1) ** np.arange(width)).sum(axis=1)
    names = np.array(phrases, dtype=object)
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    made = np.empty(len(first), dtype=object)
    made[:] = ["; ".join(names[top[i, :count[i]]]) for i in first.tolist()]
    return made[inverse.reshape(-1)]


def draw_nationalities(rng: np.random.Generator, n: int, allow_two: bool = True) -> np.ndarray:
    """One nationality, or sometimes two different ones joined by "; " as partners write them."""
    cfg = table("nationalities")
    first = weighted(rng, cfg["weights"], n)
    if not allow_two:
        return first
    second = weighted(rng, cfg["weights"], n)
    two = (rng.random(n) < cfg["second_share"]) & (first != second)
    out = first.copy()
    if two.any():
        out[two] = per_combination(lambda a, b: f"{a}; {b}", first[two], second[two])
    return out


def summaries(openers: np.ndarray, indicators: np.ndarray, people: np.ndarray) -> np.ndarray:
    """A short generic sentence built from the indicators, so free-text matching has real text."""
    clauses = {p: spec["clause"] for p, spec in table("reports")["indicators"].items()}

    def sentence(opener: str, ind: str, ppl: int) -> str:
        parts = [clauses[p] for p in ind.split("; ")]
        body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        tail = f" Around {ppl} people were seen." if ppl and ppl > 1 else ""
        return f"{opener} {body}.{tail}"

    if len(openers) == 0:
        return np.array([], dtype=object)
    return per_combination(sentence, openers, indicators, people)


# ---------------------------------------------------------------- cases

def case_rows(towns: dict[str, Town], reports: dict, seed: int, scale: Scale, today: dt.date) -> dict:
    """Victim cases: mostly anywhere in the area, some at postcodes of reported addresses."""
    cfg = table("cases")
    rng = rng_for(seed, "cases")
    n = round(cfg["per_year"] * cfg["years"] * scale.cases)
    town_of = weighted(rng, {name: spec["cases"] for name, spec in table("places")["towns"].items()}, n)
    postcode = np.empty(n, dtype=object)
    for name, town in towns.items():
        idx = np.flatnonzero(town_of == name)
        postcode[idx] = town.describe(rng.integers(0, town.capacity, len(idx)))["postcode"]
    concern = reports["postcode"][np.isin(reports["kind"], ["cluster", "unlicensed"])]
    near = rng.random(n) < cfg["near_reports_share"]
    postcode[near] = concern[rng.integers(0, len(concern), near.sum())]
    dates = np.sort(days_before(today, rng.integers(0, cfg["years"] * 365 + 1, n)))
    age = weighted(rng, cfg["age_group"]["weights"], n)
    return {"date": dates, "postcode": postcode, "exploitation": weighted(rng, cfg["exploitation"]["weights"], n),
            "nationality": draw_nationalities(rng, n, allow_two=False), "age_group": age,
            "nrm": np.where(rng.random(n) < cfg["nrm"]["yes_share"], "Yes", "No").astype(object),
            "birth_year": birth_years(rng, age, dates)}


def birth_years(rng: np.random.Generator, age_group: np.ndarray, opened: np.ndarray) -> np.ndarray:
    """A placeholder birth year consistent with Adult/Child, so the column looks like a real export."""
    ages = table("cases")["age_group"]
    out = np.zeros(len(age_group), dtype=int)
    for group, key in (("Adult", "adult_ages"), ("Child", "child_ages"), ("Unknown", "unknown_ages")):
        idx = np.flatnonzero(age_group == group)
        lo, hi = ages[key]
        out[idx] = opened[idx].astype("datetime64[Y]").astype(int) + 1970 - rng.integers(lo, hi + 1, len(idx))
    return out


# ---------------------------------------------------------------- file layouts

@dataclass
class Table:
    """One output file before writing: how to format its rows, plus what error planting needs.

    `make(at)` formats the rows `at` (a slice, or an array of row positions) as {header: values}
    in file order. Files are written CHUNK_ROWS rows at a time, so a big file is never held as
    text; planted errors are kept aside in `changes` and put in place as each chunk is written.
    """

    name: str
    kind: str
    source: str
    rows: int
    make: Callable[[slice | np.ndarray], dict[str, list]]
    roles: dict[str, str]                # role ('date', 'postcode', ...) -> header
    date_style: str                      # 'dmy' | 'iso' | 'dmony' | 'excel'
    xlsx: bool = False                   # an XLSX file when the scale allows
    lat: np.ndarray | None = None        # each row's true point, for coordinate errors
    lon: np.ndarray | None = None
    protect: np.ndarray | None = None    # rows never spoiled (the emerging clusters)
    title: str | None = None             # single-cell rows before the header...
    footer: str | None = None            # ...and after the data
    encoding: str = "utf-8"
    newline: str = "\n"
    changes: dict[int, list[tuple[str, object]]] = field(default_factory=dict)  # planted: row -> (header, value)

    @property
    def headers(self) -> list[str]:
        return list(self.make(slice(0, 0)))

    @property
    def first_row(self) -> int:
        """The spreadsheet row of the first data row (title and blank row push it down)."""
        return 4 if self.title else 2

    def columns(self, start: int = 0, stop: int | None = None) -> dict[str, list]:
        """Rows [start, stop) as written: formatted, with their planted errors in place."""
        stop = self.rows if stop is None else min(stop, self.rows)
        columns = self.make(slice(start, stop))
        for i in sorted(i for i in self.changes if start <= i < stop):
            for header, value in self.changes[i]:
                columns[header][i - start] = value
        return columns


def pick(rows: dict[str, np.ndarray], at: slice | np.ndarray) -> dict[str, np.ndarray]:
    """The rows `at` of every array in `rows`."""
    return {k: v[at] for k, v in rows.items()}


def numbered(n: int, at: slice | np.ndarray) -> list[int]:
    """1-based row numbers of the rows `at`, for sequence numbers in references."""
    return (np.arange(n)[at] + 1).tolist()


def fmt_dates(days: np.ndarray, style: str) -> list:
    """Dates as each partner writes them; 'excel' keeps real dates for the workbook to store.

    Each distinct day is formatted once: a file spans a few hundred days, whatever its rows.
    """
    days = np.asarray(days, dtype="datetime64[D]")
    distinct, inverse = np.unique(days, return_inverse=True)
    idx = pd.DatetimeIndex(distinct)
    y, m, d = idx.year.tolist(), idx.month.tolist(), idx.day.tolist()
    if style == "excel":
        made = [dt.date(a, b, c) for a, b, c in zip(y, m, d)]
    elif style == "iso":
        made = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d)]
    elif style == "dmony":
        made = [f"{c} {MONTHS[b - 1]} {a}" for a, b, c in zip(y, m, d)]
    else:
        made = [f"{c:02d}/{b:02d}/{a:04d}" for a, b, c in zip(y, m, d)]
    return [made[i] for i in inverse.reshape(-1).tolist()]


def text(values) -> list:
    """Values as strings, with None as an empty cell."""
    return ["" if v is None else str(v) for v in np.asarray(values, dtype=object).tolist()]


def coords(values: np.ndarray, keep: np.ndarray) -> list:
    """Six-decimal coordinates (about 10 cm) where `keep`, blank elsewhere."""
    return [f"{v:.6f}" if k else "" for v, k in zip(values.tolist(), keep.tolist())]


def register_table(reg: dict, seed: int) -> Table:
    """The council's own layout for its register."""
    return {"peterborough": peterborough_layout, "cambridge": cambridge_layout, "fenland": fenland_layout,
            "huntingdonshire": huntingdonshire_layout}[reg["spec"]["layout"]](reg, seed)


def register_base(reg: dict, make: Callable, roles: dict, style: str, **kw) -> Table:
    """What every register layout shares: kind, source name and each licence's true point."""
    spec = reg["spec"]
    return Table(name=spec["file"], kind="hmo", source=spec["name"], rows=reg["n"], make=make, roles=roles,
                 date_style=style, lat=reg["rows"]["lat"], lon=reg["rows"]["lon"], **kw)


def peterborough_layout(reg: dict, seed: int) -> Table:
    """XLSX with a title, a blank row, real Excel dates and a "Total licences" footer."""
    def make(at):
        r = pick(reg["rows"], at)
        return {"Licence No.": text(r["ref"]), "Property Address": text(r["address"]), "Post Code": text(r["postcode"]),
                "Licence Holder": text(r["holder"]), "Max Occupants": r["occupants"].tolist(),
                "No. of Households": r["households"].tolist(), "Storeys": r["storeys"].tolist(),
                "Licence Start": fmt_dates(r["start"], "excel"), "Expiry Date": fmt_dates(r["expiry"], "excel"),
                "UPRN": r["uprn"].tolist()}
    roles = {"date": "Licence Start", "occupancy": "Max Occupants", "licence": "Licence No.", "postcode": "Post Code"}
    return register_base(reg, make, roles, "excel", xlsx=True,
                         title="Peterborough City Council - Register of Licensed HMOs",
                         footer=f"Total licences: {reg['n']}")


def cambridge_layout(reg: dict, seed: int) -> Table:
    """UTF-8 CSV with a byte-order mark (as Excel saves "CSV UTF-8"), dd/mm/yyyy dates."""
    def make(at):
        r = pick(reg["rows"], at)
        return {"Licence Number": text(r["ref"]), "Address": text(r["address"]), "Postcode": text(r["postcode"]),
                "Maximum Occupants": text(r["occupants"]), "Licence Start Date": fmt_dates(r["start"], "dmy"),
                "Licence Expiry Date": fmt_dates(r["expiry"], "dmy"), "Licence Type": text(r["type"])}
    roles = {"date": "Licence Start Date", "us_date": "Licence Expiry Date", "occupancy": "Maximum Occupants",
             "licence": "Licence Number", "postcode": "Postcode"}
    return register_base(reg, make, roles, "dmy", encoding="utf-8-sig")


def fenland_layout(reg: dict, seed: int) -> Table:
    """Windows-1252 CSV from an older system: the postcode only at the end of the address."""
    def make(at):
        r = pick(reg["rows"], at)
        location = [f"{a}, {p}" for a, p in zip(r["address"].tolist(), r["postcode"].tolist())]
        return {"Case Number": text(r["ref"]), "Location": location, "Total Number Occupants": text(r["occupants"]),
                "Total Number Units": text(r["households"]), "Licence Commenced": fmt_dates(r["start"], "dmy"),
                "Licence Expires": fmt_dates(r["expiry"], "dmy")}
    roles = {"date": "Licence Commenced", "us_date": "Licence Expires", "occupancy": "Total Number Occupants",
             "licence": "Case Number", "location": "Location"}
    return register_base(reg, make, roles, "dmy", encoding="cp1252", newline="\r\n")


def huntingdonshire_layout(reg: dict, seed: int) -> Table:
    """CSV with British National Grid eastings/northings and "5 Mar 2025" dates."""
    rows = reg["rows"]
    easting, northing = to_grid(rows["lon"], rows["lat"])
    blank = rng_for(seed, "hmo:huntingdonshire:grid").random(reg["n"]) < reg["spec"]["grid_blank_share"]

    def make(at):
        r = pick(rows, at)
        gap = blank[at].tolist()
        return {"Reference": text(r["ref"]), "Property Address": text(r["address"]), "Postcode": text(r["postcode"]),
                "Easting": ["" if b else str(e) for e, b in zip(easting[at].tolist(), gap)],
                "Northing": ["" if b else str(nn) for nn, b in zip(northing[at].tolist(), gap)],
                "Max. Occupiers": text(r["occupants"]), "Licence Expires": fmt_dates(r["expiry"], "dmony")}
    roles = {"date": "Licence Expires", "occupancy": "Max. Occupiers", "licence": "Reference", "postcode": "Postcode",
             "easting": "Easting", "northing": "Northing"}
    return register_base(reg, make, roles, "dmony")


def to_grid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to whole-metre British National Grid (EPSG:27700), as council GIS exports give."""
    x, y = grid_transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.rint(x).astype(int), np.rint(y).astype(int)


@cache
def grid_transformer():
    """Built once: creating a pyproj transformer costs far more than using it."""
    from pyproj import Transformer

    return Transformer.from_crs(4326, 27700, always_xy=True)


def report_tables(rows: dict, seed: int) -> list[Table]:
    """Split the reports between the police export and the partner referrals, each in its layout."""
    cfg = table("reports")
    rng = rng_for(seed, "reports:split")
    police = rng.random(len(rows["date"])) < cfg["files"]["police"]["share"]
    return [police_table({k: v[police] for k, v in rows.items()}, rng),
            partner_table({k: v[~police] for k, v in rows.items()}, rng)]


def sort_by_date(rows: dict) -> dict:
    """Exports list reports in the order they came in."""
    order = np.argsort(rows["date"], kind="stable")
    return {k: v[order] for k, v in rows.items()}


def years_of(days: np.ndarray) -> list[int]:
    return (days.astype("datetime64[Y]").astype(int) + 1970).tolist()


def police_table(rows: dict, rng: np.random.Generator) -> Table:
    """The constabulary's intelligence export: ISO dates, coordinates for about half the rows."""
    cfg = table("reports")
    spec = cfg["files"]["police"]
    rows = sort_by_date(rows)
    n = len(rows["date"])
    source = weighted(rng, spec["sources"], n)
    has_xy = rng.random(n) < spec["coordinates_share"]

    def make(at):
        r, src, xy = pick(rows, at), source[at], has_xy[at]
        refs = [spec["ref"].format(year=y, seq=i) for i, y in zip(numbered(n, at), years_of(r["date"]))]
        return {"Report Ref": refs, "Date Received": fmt_dates(r["date"], "iso"),
                "Source Type": [cfg["source_labels"][s] for s in src.tolist()],
                "Address": text(r["address"]), "Postcode": text(r["postcode"]),
                "Latitude": coords(r["lat"], xy), "Longitude": coords(r["lon"], xy),
                "Indicators": text(r["indicators"]),
                "Exploitation Type": [cfg["exploitation"]["police_labels"][e] for e in r["exploitation"].tolist()],
                "Nationalities": text(r["nationalities"]), "People Seen": text(r["people"]),
                "Grading": text(r["grading"]),
                "Summary": text(summaries(np.array([cfg["openers"][s] for s in src.tolist()], dtype=object),
                                          r["indicators"], r["people"]))}
    roles = {"date": "Date Received", "grading": "Grading", "postcode": "Postcode", "lat": "Latitude",
             "lon": "Longitude"}
    return Table(name=spec["name"], kind="reports", source=spec["source"], rows=n, make=make, roles=roles,
                 date_style="iso", lat=rows["lat"], lon=rows["lon"], protect=rows["kind"] == "cluster")


def partner_table(rows: dict, rng: np.random.Generator) -> Table:
    """Partner referrals workbook: dd/mm/yyyy dates typed as text, no coordinates."""
    cfg = table("reports")
    spec = cfg["files"]["partner"]
    rows = sort_by_date(rows)
    n = len(rows["date"])
    source = weighted(rng, spec["sources"], n)
    blank = rng.random(n) < spec["people_blank_share"]

    def make(at):
        r, src, gap = pick(rows, at), source[at], blank[at]
        return {"Reference": [spec["ref"].format(seq=i) for i in numbered(n, at)],
                "Received": fmt_dates(r["date"], "dmy"),
                "Reported By": [cfg["source_labels"][s] for s in src.tolist()],
                "Location": text(r["address"]), "Post Code": text(r["postcode"]),
                "Signs Observed": text(r["indicators"]),
                "Type of Exploitation": [cfg["exploitation"]["partner_labels"][e] for e in r["exploitation"].tolist()],
                "Nationality": text(r["nationalities"]),
                "Number of People": [None if b else int(p) for p, b in zip(r["people"].tolist(), gap.tolist())],
                "3x5x2": text(r["grading"]),
                "Description": text(summaries(np.array([cfg["openers"][s] for s in src.tolist()], dtype=object),
                                              r["indicators"], np.where(gap, 0, r["people"])))}
    roles = {"date": "Received", "us_date": "Received", "grading": "3x5x2", "postcode": "Post Code"}
    return Table(name=spec["name"], kind="reports", source=spec["source"], rows=n, make=make, roles=roles,
                 date_style="dmy", xlsx=True, lat=rows["lat"], lon=rows["lon"], protect=rows["kind"] == "cluster")


def case_table(rows: dict) -> Table:
    """The Victim and Witness Hub export, identifying columns filled with obvious placeholders."""
    cfg = table("cases")
    ph = cfg["placeholders"]
    languages = table("nationalities")["languages"]
    n = len(rows["date"])

    def make(at):
        r = pick(rows, at)
        return {"Case Reference": [cfg["ref"].format(year=y, seq=i) for i, y in zip(numbered(n, at), years_of(r["date"]))],
                "Date Opened": fmt_dates(r["date"], "dmy"), "Postcode": text(r["postcode"]),
                "Exploitation Type": [cfg["exploitation"]["labels"][e] for e in r["exploitation"].tolist()],
                "Nationality": text(r["nationality"]), "Adult/Child": text(r["age_group"]),
                "NRM Referral": text(r["nrm"]), "Language": [languages[x] for x in r["nationality"].tolist()],
                "Victim Name": [ph["name"].format(n=i) for i in numbered(n, at)],
                "Date of Birth": [ph["date_of_birth"].format(year=y) for y in r["birth_year"].tolist()]}
    roles = {"date": "Date Opened", "us_date": "Date Opened", "postcode": "Postcode"}
    return Table(name=cfg["name"], kind="cases", source=cfg["source"], rows=n, make=make, roles=roles,
                 date_style="dmy")


# ---------------------------------------------------------------- planted errors

def plant_errors(tab: Table, seed: int) -> list[PlantedError]:
    """Spoil about 1% of the rows, one problem each, cycling through the file's list of problems.

    The spoiled values go into `tab.changes`; the rows are formatted once here to read what they held.
    """
    cfg = table("errors")
    problems = cfg["problems"].get(tab.name, [])
    if not problems or tab.rows == 0:
        return []
    rng = rng_for(seed, f"errors:{tab.name}")
    eligible = np.arange(tab.rows) if tab.protect is None else np.flatnonzero(~tab.protect)
    n = min(len(eligible), max(len(problems), round(cfg["share"] * tab.rows)))
    rows = np.sort(rng.choice(eligible, n, replace=False))
    found = tab.make(rows)
    out = []
    for j, i in enumerate(rows.tolist()):
        problem = problems[j % len(problems)]
        row = {header: values[j] for header, values in found.items()}
        tab.changes[i] = spoil(tab, row, i, problem, rng)
        for column, value in tab.changes[i]:
            out.append(PlantedError(tab.name, tab.first_row + i, column, "" if value is None else str(value), problem))
    return out


def spoil(tab: Table, row: dict, i: int, problem: str, rng: np.random.Generator) -> list[tuple[str, object]]:
    """The (column, bad value) changes that plant one problem in row `i`, which holds `row`."""
    roles = tab.roles
    if problem == "impossible date":
        year = year_of(row[roles["date"]])
        return [(roles["date"], {"iso": f"{year}-02-31", "dmony": f"31 Feb {year}"}.get(tab.date_style, f"31/02/{year}"))]
    if problem == "US-style date":
        day, month, year = (int(x) for x in str(row[roles["us_date"]]).split("/"))
        return [(roles["us_date"], f"{month:02d}/{max(day, 13 + day % 15):02d}/{year}")]
    if problem == "non-numeric occupancy":
        return [(roles["occupancy"], "5 or 6")]
    if problem == "blank licence number":
        return [(roles["licence"], None)]
    if problem == "bad grading":
        return [(roles["grading"], "9-Z-Q")]
    if problem == "unknown postcode":
        return unknown_postcode(tab, row)
    if problem == "bad latitude":
        return [(roles["lat"], f"{tab.lat[i]:.1f}x"), (roles["lon"], f"{tab.lon[i]:.6f}")]
    if problem == "lat/lon swapped":
        return [(roles["lat"], f"{tab.lon[i]:.6f}"), (roles["lon"], f"{tab.lat[i]:.6f}")]
    if problem == "point outside area":
        return outside_point(tab, rng)
    raise ValueError(f"unknown planted problem {problem!r}")


def year_of(value) -> int:
    """The year of a date however the file writes it."""
    if isinstance(value, dt.date):
        return value.year
    found = re.search(r"\d{4}", str(value))
    return int(found.group()) if found else 2000


def unknown_postcode(tab: Table, row: dict) -> list[tuple[str, object]]:
    """A well-formed postcode in the row's own outward code that no lookup holds ("PE13 9ZZ")."""
    reserved = table("places")["reserved_inward"]
    roles = tab.roles
    if "location" in roles:
        loc = row[roles["location"]]
        head, postcode = loc.rsplit(", ", 1)
        return [(roles["location"], f"{head}, {postcode.split()[0]} {reserved}")]
    changes: list[tuple[str, object]] = [(roles["postcode"], f"{row[roles['postcode']].split()[0]} {reserved}")]
    if "lat" in roles:  # no coordinates to fall back on, so it must geocode by postcode and fail
        changes += [(roles["lat"], ""), (roles["lon"], "")]
    return changes


def outside_point(tab: Table, rng: np.random.Generator) -> list[tuple[str, object]]:
    """A point in central London, far outside the force area."""
    o = table("errors")["outside"]
    lat, lon = o["lat"] + rng.uniform(-0.01, 0.01), o["lon"] + rng.uniform(-0.01, 0.01)
    if "easting" in tab.roles:
        e, n = to_grid(np.array([lon]), np.array([lat]))
        return [(tab.roles["easting"], str(e[0])), (tab.roles["northing"], str(n[0]))]
    return [(tab.roles["lat"], f"{lat:.6f}"), (tab.roles["lon"], f"{lon:.6f}")]


def write_planted(planted: list[PlantedError], path: Path) -> None:
    """Tab-separated list of what was spoiled, so a test or a demo can check the rejects."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "row", "column", "value", "problem"])
        for p in planted:
            w.writerow([p.file, p.row, p.column, p.value, p.problem])


# ---------------------------------------------------------------- writing

def write_table(tab: Table, out_dir: Path, use_xlsx: bool) -> DemoFile:
    """Write as XLSX when the layout is a workbook and the scale is small, otherwise as CSV."""
    xlsx = tab.xlsx and use_xlsx
    path = out_dir / f"{tab.name}.{'xlsx' if xlsx else 'csv'}"
    stale = path.with_suffix(".csv" if xlsx else ".xlsx")
    stale.unlink(missing_ok=True)  # an earlier run at another scale: don't leave two copies to load
    (write_xlsx if xlsx else write_csv)(tab, path)
    return DemoFile(kind=tab.kind, path=path, source=tab.source)


def csv_columns(tab: Table, columns: dict[str, list]) -> list[list]:
    """The columns as a CSV holds them; real dates become dd/mm/yyyy, as Excel would save them."""
    def dmy(v):
        return f"{v.day:02d}/{v.month:02d}/{v.year:04d}" if isinstance(v, dt.date) else v
    out = []
    for values in columns.values():
        if tab.date_style == "excel" and any(isinstance(v, dt.date) for v in values):
            values = [dmy(v) for v in values]
        out.append(values)
    return out


def write_csv(tab: Table, path: Path) -> None:
    """Minimal quoting as Excel writes it, with any title rows above and a footer below; CHUNK_ROWS at a time."""
    with open(path, "w", encoding=tab.encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator=tab.newline)
        if tab.title:
            w.writerows([[tab.title], []])
        w.writerow(tab.headers)
        for start in range(0, tab.rows, CHUNK_ROWS):
            w.writerows(zip(*csv_columns(tab, tab.columns(start, start + CHUNK_ROWS))))
        if tab.footer:
            w.writerow([tab.footer])


def write_xlsx(tab: Table, path: Path) -> None:
    """A workbook with real date cells, fixed document timestamps and fixed zip entry times (small scales only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Register" if tab.kind == "hmo" else "Referrals")
    if tab.title:
        ws.append([tab.title])
        ws.append([])
    ws.append(tab.headers)
    for row in zip(*tab.columns().values()):
        ws.append([date_cell(ws, v, WriteOnlyCell) if isinstance(v, dt.date) else v for v in row])
    if tab.footer:
        ws.append([tab.footer])
    wb.properties.creator = "Hotspots demo generator"
    wb.properties.created = wb.properties.modified = WORKBOOK_TIMESTAMP
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    repack_zip(buffer.getvalue(), path)


def date_cell(ws, value: dt.date, cell_type):
    """An Excel date cell shown as dd/mm/yyyy, as a UK council's spreadsheet would."""
    cell = cell_type(ws, value=value)
    cell.number_format = "DD/MM/YYYY"
    return cell


def repack_zip(data: bytes, path: Path) -> None:
    """Rewrite the workbook's zip with fixed entry times, so the same data gives the same bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))


def write_outlines(out_dir: Path) -> DemoFile:
    """Schematic district outlines drawn around the demo's towns (see outlines.py): the real ones are not in the repo."""
    from etl import vocab
    from etl.demo import outlines

    places, names = table("places"), vocab.area_districts()
    shapes = outlines.district_outlines(places["towns"], names, places["outline_margin_km"])
    path = outlines.write_geojson(shapes, names, out_dir / "districts_demo.geojson")
    return DemoFile(kind="boundaries", path=path, source="Demo district outlines (schematic)")


def write_postcodes(towns: dict[str, Town], out_dir: Path) -> DemoFile:
    """The synthetic lookup every generated postcode geocodes against (the real ONS file is not in the repo)."""
    rows = []
    for town in towns.values():
        rows.append(pd.DataFrame({"postcode": town.unit_postcode, "latitude": town.unit_lat,
                                  "longitude": town.unit_lon, "lad_code": town.lad}))
    frame = pd.concat(rows, ignore_index=True).sort_values("postcode", kind="stable")
    frame["latitude"] = [f"{v:.6f}" for v in frame["latitude"]]
    frame["longitude"] = [f"{v:.6f}" for v in frame["longitude"]]
    path = out_dir / "postcodes_demo.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return DemoFile(kind="postcodes", path=path, source="Synthetic postcode lookup (demo)")
