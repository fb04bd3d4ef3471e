"""The synthetic demo data: reproducible, consistent with its own postcode lookup, and free of people."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import re
import tomllib
from pathlib import Path

import openpyxl
import pytest

from etl.demo import DemoFile, generate

DEMO_DIR = Path(__file__).resolve().parent.parent / "etl" / "demo"
TODAY = dt.date(2025, 6, 1)
POSTCODE = re.compile(r"^([A-Z]{1,2}\d{1,2}) (\d[ABD-HJLNP-UW-Z]{2})$")
HMO_VOLUMES = {"hmo_peterborough": 450, "hmo_cambridge": 350, "hmo_fenland": 180, "hmo_huntingdonshire": 150}


def toml(name: str) -> dict:
    with open(DEMO_DIR / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, list[DemoFile]]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, seed=42, scale=1, today=TODAY)


@pytest.fixture(scope="module")
def tables(run) -> dict[str, dict]:
    """Every generated file read back as {headers, rows: [(row_number, {header: value})]}."""
    _, files = run
    return {f.path.stem: read_back(f.path) for f in files}


@pytest.fixture(scope="module")
def planted(run) -> list[dict]:
    out, _ = run
    with open(out / "planted_errors.txt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def read_back(path: Path) -> dict:
    """Rows keyed by their spreadsheet row number, skipping title, blank and footer rows."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        raw = [["" if v is None else v for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    else:
        encoding = {"hmo_fenland": "cp1252", "hmo_cambridge": "utf-8-sig"}.get(path.stem, "utf-8")
        with open(path, encoding=encoding, newline="") as fh:
            raw = list(csv.reader(fh))
    start = next(i for i, row in enumerate(raw) if len([c for c in row if c != ""]) > 2)
    headers = [str(h) for h in raw[start]]
    rows = []
    for number, row in enumerate(raw[start + 1:], start=start + 2):
        if len([c for c in row if c != ""]) <= 1 and str(row[0]).startswith("Total licences"):
            continue
        rows.append((number, dict(zip(headers, row))))
    return {"headers": headers, "rows": rows}


def digests(files: list[DemoFile], out: Path) -> dict[str, str]:
    paths = [f.path for f in files] + [out / "planted_errors.txt"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def planted_rows(planted: list[dict], name: str, problem: str | None = None) -> set[int]:
    return {int(p["row"]) for p in planted if p["file"] == name and (problem is None or p["problem"] == problem)}


def file_postcodes(tables: dict) -> dict[str, list[tuple[int, str]]]:
    """(row, postcode) for every HMO, report and case file; Fenland's is the tail of its Location."""
    found: dict[str, list[tuple[int, str]]] = {}
    for name, tab in tables.items():
        if name == "postcodes_demo":
            continue
        column = next((h for h in tab["headers"] if h.lower().replace(" ", "") == "postcode"), None)
        if column:
            found[name] = [(n, str(r[column])) for n, r in tab["rows"]]
        else:
            found[name] = [(n, str(r["Location"]).rsplit(", ", 1)[1]) for n, r in tab["rows"]]
    return found


def parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(str(value), fmt).date()
        except ValueError:
            pass
    return None


# ---------------------------------------------------------------- the files

def test_files_kinds_sources_and_order(run):
    out, files = run
    assert [f.kind for f in files[:2]] == ["boundaries", "postcodes"], "every other file geocodes against them"
    assert [f.kind for f in files].count("hmo") == 4
    assert {f.kind for f in files} == {"boundaries", "postcodes", "hmo", "reports", "cases"}
    assert {f.source for f in files if f.kind == "hmo"} == {
        "Peterborough City Council", "Cambridge City Council", "Fenland District Council",
        "Huntingdonshire District Council"}
    assert {f.source for f in files if f.kind == "reports"} == {
        "Cambridgeshire Constabulary intelligence", "Partner referrals"}
    assert all(f.path.exists() and f.path.parent == out for f in files)
    assert (out / "planted_errors.txt").exists()
    assert {f.path.name for f in files if f.path.suffix == ".xlsx"} == {
        "hmo_peterborough.xlsx", "reports_partner_referrals.xlsx"}


def test_headers_as_each_partner_writes_them(tables):
    assert tables["hmo_peterborough"]["headers"] == [
        "Licence No.", "Property Address", "Post Code", "Licence Holder", "Max Occupants", "No. of Households",
        "Storeys", "Licence Start", "Expiry Date", "UPRN"]
    assert tables["hmo_cambridge"]["headers"] == [
        "Licence Number", "Address", "Postcode", "Maximum Occupants", "Licence Start Date", "Licence Expiry Date",
        "Licence Type"]
    assert tables["hmo_fenland"]["headers"] == [
        "Case Number", "Location", "Total Number Occupants", "Total Number Units", "Licence Commenced",
        "Licence Expires"]
    assert tables["hmo_huntingdonshire"]["headers"] == [
        "Reference", "Property Address", "Postcode", "Easting", "Northing", "Max. Occupiers", "Licence Expires"]
    assert tables["reports_police_intelligence"]["headers"] == [
        "Report Ref", "Date Received", "Source Type", "Address", "Postcode", "Latitude", "Longitude", "Indicators",
        "Exploitation Type", "Nationalities", "People Seen", "Grading", "Summary"]
    assert tables["reports_partner_referrals"]["headers"] == [
        "Reference", "Received", "Reported By", "Location", "Post Code", "Signs Observed", "Type of Exploitation",
        "Nationality", "Number of People", "3x5x2", "Description"]
    assert tables["cases_victim_witness_hub"]["headers"] == [
        "Case Reference", "Date Opened", "Postcode", "Exploitation Type", "Nationality", "Adult/Child",
        "NRM Referral", "Language", "Victim Name", "Date of Birth"]
    assert tables["postcodes_demo"]["headers"] == ["postcode", "latitude", "longitude", "lad_code"]


def test_peterborough_workbook_layout(run):
    out, _ = run
    wb = openpyxl.load_workbook(out / "hmo_peterborough.xlsx")
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Peterborough City Council - Register of Licensed HMOs"
    assert all(v is None for v in rows[1])
    assert rows[-1][0] == "Total licences: 450"
    starts = [r[7] for r in rows[3:-1]]
    assert sum(isinstance(v, dt.datetime) for v in starts) >= len(starts) - 5, "real Excel dates, not text"
    assert wb.properties.created == wb.properties.modified == dt.datetime(2024, 1, 1, 9, 0)


def test_cambridge_has_a_bom_and_fenland_is_windows_1252(run):
    out, _ = run
    assert (out / "hmo_cambridge.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    fenland = (out / "hmo_fenland.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        fenland.decode("utf-8")
    text = fenland.decode("cp1252")
    assert "’" in text and "é" in text
    assert "\r\n" in text


def test_huntingdonshire_grid_references_are_in_the_district(tables):
    rows = [r for _, r in tables["hmo_huntingdonshire"]["rows"] if r["Easting"]]
    inside = [r for r in rows if 500_000 < int(r["Easting"]) < 540_000 and 250_000 < int(r["Northing"]) < 285_000]
    assert len(inside) >= len(rows) - 3  # the rest are planted London points
    assert sum(not r["Easting"] for _, r in tables["hmo_huntingdonshire"]["rows"]) > 0


# ---------------------------------------------------------------- reproducibility and volumes

def test_same_seed_gives_identical_bytes(run, tmp_path):
    out, files = run
    again = generate(tmp_path, seed=42, scale=1, today=TODAY)
    assert digests(files, out) == digests(again, tmp_path)


def test_different_seed_differs(run, tmp_path):
    out, files = run
    other = generate(tmp_path, seed=7, scale=1, today=TODAY)
    first, second = digests(files, out), digests(other, tmp_path)
    assert first.keys() == second.keys()
    outlines = "districts_demo.geojson"    # drawn from the towns, which no seed moves
    assert first[outlines] == second[outlines]
    assert all(first[name] != second[name] for name in first if name != outlines)


def test_volumes_at_scale_one(tables):
    for name, volume in HMO_VOLUMES.items():
        assert len(tables[name]["rows"]) == volume
    reports = len(tables["reports_police_intelligence"]["rows"]) + len(tables["reports_partner_referrals"]["rows"])
    assert reports == 1800
    assert 0.6 < len(tables["reports_police_intelligence"]["rows"]) / reports < 0.85
    assert len(tables["cases_victim_witness_hub"]["rows"]) == 500


def test_volumes_scale(tmp_path, tables):
    files = generate(tmp_path, seed=42, scale=2, today=TODAY)
    doubled = {f.path.stem: read_back(f.path) for f in files}
    for name in [*HMO_VOLUMES, "cases_victim_witness_hub"]:
        assert len(doubled[name]["rows"]) == 2 * len(tables[name]["rows"])
    reports = ("reports_police_intelligence", "reports_partner_referrals")
    assert sum(len(doubled[n]["rows"]) for n in reports) == 2 * sum(len(tables[n]["rows"]) for n in reports)
    assert len(doubled["postcodes_demo"]["rows"]) > len(tables["postcodes_demo"]["rows"])


def test_large_scale_writes_workbooks_as_csv(tmp_path):
    generate(tmp_path, seed=1, scale=1, today=TODAY)
    files = generate(tmp_path, seed=1, scale=6, today=TODAY)
    assert all(f.path.suffix == ".csv" for f in files if f.kind != "boundaries")
    assert not list(tmp_path.glob("*.xlsx")), "the smaller run's workbooks must not linger beside the CSVs"
    pcc = read_back(tmp_path / "hmo_peterborough.csv")
    assert len(pcc["rows"]) == 6 * 450
    assert pcc["headers"][0] == "Licence No."


# ---------------------------------------------------------------- postcodes

def test_every_postcode_used_is_in_the_lookup(tables, planted):
    lookup = {r["postcode"] for _, r in tables["postcodes_demo"]["rows"]}
    outward = {code for town in toml("places")["towns"].values() for code in town["outward"]}
    for name, found in file_postcodes(tables).items():
        unknown = planted_rows(planted, name, "unknown postcode")
        for row, postcode in found:
            match = POSTCODE.match(postcode)
            assert match and match.group(1) in outward, (name, row, postcode)
            if row in unknown:
                assert postcode not in lookup, (name, row, postcode)
            else:
                assert postcode in lookup, (name, row, postcode)


def test_lookup_postcodes_are_near_their_town_centre(tables):
    towns = toml("places")["towns"].values()
    districts = {t["lad"] for t in towns}
    rows = [r for _, r in tables["postcodes_demo"]["rows"]]
    assert len({r["postcode"] for r in rows}) == len(rows)
    for r in rows:
        assert r["lad_code"] in districts
        lat, lon = float(r["latitude"]), float(r["longitude"])
        nearest = min(
            math.hypot((lat - t["centre"][0]) * 111.32, (lon - t["centre"][1]) * 111.32 * math.cos(math.radians(lat)))
            for t in towns if t["lad"] == r["lad_code"])
        assert nearest <= 1.5, r


# ---------------------------------------------------------------- no people

def test_no_person_names_anywhere(tables):
    cases = [r for _, r in tables["cases_victim_witness_hub"]["rows"]]
    assert all(re.fullmatch(r"Person \d{4,}", r["Victim Name"]) for r in cases)
    assert all(re.fullmatch(r"01/01/\d{4}", r["Date of Birth"]) for r in cases)

    forms = tuple(" " + f for f in toml("registers")["holders"]["form"])
    holders = {r["Licence Holder"] for _, r in tables["hmo_peterborough"]["rows"]}
    assert all(h.endswith(forms) for h in holders), "licence holders are companies"

    places = toml("places")
    streets = {f"{a} {b}" for a in places["streets"]["first"] for b in places["streets"]["kind"]}
    streets |= {s for names in places["streets"]["special"].values() for s in names}
    address = re.compile(r"(\d+) (.+), (" + "|".join(map(re.escape, places["towns"])) + r")")
    columns = {"hmo_peterborough": "Property Address", "hmo_cambridge": "Address", "hmo_huntingdonshire":
               "Property Address", "reports_police_intelligence": "Address", "reports_partner_referrals": "Location"}
    for name, column in columns.items():
        for _, r in tables[name]["rows"]:
            match = address.fullmatch(r[column])
            assert match and match.group(2) in streets, (name, r[column])

    openers = tuple(toml("reports")["openers"].values())
    for name, column in (("reports_police_intelligence", "Summary"), ("reports_partner_referrals", "Description")):
        assert all(r[column].startswith(openers) for _, r in tables[name]["rows"])


# ---------------------------------------------------------------- dates

def test_report_and_case_dates_are_within_two_years(tables, planted):
    earliest = TODAY - dt.timedelta(days=730)
    for name, column in (("reports_police_intelligence", "Date Received"), ("reports_partner_referrals", "Received"),
                         ("cases_victim_witness_hub", "Date Opened")):
        spoiled = planted_rows(planted, name)
        for row, r in tables[name]["rows"]:
            if row in spoiled:
                continue
            when = parse_date(r[column])
            assert when and earliest <= when <= TODAY, (name, row, r[column])


def test_licence_status_mix(tables, planted):
    expiries, starts = [], []
    for name in HMO_VOLUMES:
        spoiled = planted_rows(planted, name)
        tab = tables[name]
        expiry = next(h for h in tab["headers"] if "Expir" in h)
        start = next((h for h in tab["headers"] if "Start" in h or "Commenced" in h), None)
        for row, r in tab["rows"]:
            if row not in spoiled:
                expiries.append(parse_date(r[expiry]))
                if start:
                    starts.append(parse_date(r[start]))
    assert all(s <= TODAY for s in starts)
    assert all(TODAY - dt.timedelta(days=366) <= e <= TODAY + dt.timedelta(days=5 * 365) for e in expiries)
    expired = sum(e < TODAY for e in expiries) / len(expiries)
    soon = sum(TODAY <= e <= TODAY + dt.timedelta(days=90) for e in expiries) / len(expiries)
    assert 0.06 < expired < 0.14 and 0.05 < soon < 0.11


# ---------------------------------------------------------------- what the dashboard should find

def test_emerging_clusters(tables):
    recent, earlier = {}, {}
    for name, d_col, a_col in (("reports_police_intelligence", "Date Received", "Address"),
                               ("reports_partner_referrals", "Received", "Location")):
        for _, r in tables[name]["rows"]:
            when = parse_date(r[d_col])
            if when is None:
                continue
            bucket = recent if when > TODAY - dt.timedelta(days=56) else earlier
            bucket[r[a_col]] = bucket.get(r[a_col], 0) + 1
    surging = [a for a, n in recent.items() if n >= 8 and earlier.get(a, 0) <= 3]
    assert 3 <= len(surging) <= 4, surging
    assert any(a.endswith("Wisbech") for a in surging) and any(a.endswith("Peterborough") for a in surging)


def test_reports_at_registered_and_unregistered_hmos(tables):
    registered = set()
    for name in HMO_VOLUMES:
        for _, r in tables[name]["rows"]:
            address = r.get("Property Address") or r.get("Address") or r["Location"].rsplit(", ", 1)[0]
            registered.add(address)
    police = [r for _, r in tables["reports_police_intelligence"]["rows"]]
    at_hmo = sum(r["Address"] in registered for r in police) / len(police)
    assert 0.35 < at_hmo < 0.65
    unlicensed = [r for r in police if r["Indicators"].startswith("many unrelated occupants")]
    assert unlicensed and all(r["Address"] not in registered for r in unlicensed)
    assert all(8 <= int(r["People Seen"]) <= 15 for r in unlicensed)
    with_xy = sum(bool(r["Latitude"]) for r in police) / len(police)
    assert 0.4 < with_xy < 0.6


# ---------------------------------------------------------------- planted errors

def test_planted_errors_are_where_the_list_says(tables, planted):
    total = sum(len(t["rows"]) for n, t in tables.items() if n != "postcodes_demo")
    spoiled_rows = {(p["file"], p["row"]) for p in planted}
    assert 0.005 * total <= len(spoiled_rows) <= 0.02 * total
    problems = {p["problem"] for p in planted}
    assert problems >= {"impossible date", "US-style date", "non-numeric occupancy", "bad grading", "bad latitude",
                        "lat/lon swapped", "point outside area", "blank licence number", "unknown postcode"}
    for p in planted:
        rows = dict(tables[p["file"]]["rows"])
        assert str(rows[int(p["row"])][p["column"]]) == p["value"], p
    assert {p["value"] for p in planted if p["problem"] == "non-numeric occupancy"} == {"5 or 6"}
    assert {p["value"] for p in planted if p["problem"] == "bad grading"} == {"9-Z-Q"}
