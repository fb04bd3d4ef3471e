"""Per-kind demo scales: 'national' for the benchmark, dicts of factors, and town sizing at big scales."""
from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from etl.demo import Scale, generate, named_scales
from etl.demo.generate import build_towns, inward_pool_size

DEMO_DIR = Path(__file__).resolve().parent.parent / "etl" / "demo"
TODAY = dt.date(2025, 6, 1)


def volumes() -> dict[str, int]:
    def load(name):
        with open(DEMO_DIR / f"{name}.toml", "rb") as fh:
            return tomllib.load(fh)
    cases = load("cases")
    return {"hmo": sum(c["volume"] for c in load("registers")["councils"].values()),
            "reports": load("reports")["volume"], "cases": cases["per_year"] * cases["years"]}


def test_scale_parsing():
    assert Scale.of(3) == Scale(3, 3, 3) == Scale.of("3")
    assert Scale.of({"reports": 10}) == Scale(hmo=1, reports=10, cases=1)
    assert Scale.of("National") == named_scales()["national"]
    assert str(Scale.of(2)) == "2"
    for bad in (0, -1, True, 1.5, "nation", {"people": 2}, {"hmo": 0}):
        with pytest.raises(ValueError):
            Scale.of(bad)


def test_national_is_big_enough_after_the_planted_errors():
    national, base = Scale.of("national"), volumes()
    with open(DEMO_DIR / "errors.toml", "rb") as fh:
        share = 1 - tomllib.load(fh)["share"]  # at most this share of each file survives the planted errors
    assert base["hmo"] * national.hmo * share >= 500_000
    assert base["reports"] * national.reports * share >= 5_000_000
    assert base["cases"] * national.cases * share >= 100_000


@pytest.mark.parametrize("scale", [Scale.of(300), Scale.of("national")])
def test_big_scales_fit_every_outward_code(scale):
    """Streets draw their outward code evenly, so a code shared by two towns (PE7) must not overflow."""
    towns = build_towns(42, scale)
    per_code: dict[str, int] = {}
    for town in towns.values():
        for code in town.unit_outward():
            per_code[code] = per_code.get(code, 0) + 1
    assert max(per_code.values()) <= inward_pool_size()
    for name, town in towns.items():
        assert len(set(town.unit_postcode)) == len(town.unit_postcode), name


def test_each_kind_scales_on_its_own(tmp_path):
    files = generate(tmp_path, seed=5, scale={"hmo": 1, "reports": 6, "cases": 2}, today=TODAY)
    rows = {}
    for f in files:
        if f.kind in ("reports", "cases") and f.path.suffix == ".csv":
            with open(f.path, encoding="utf-8") as fh:
                rows[f.path.stem] = sum(1 for _ in fh) - 1
    base = volumes()
    assert rows["reports_police_intelligence"] + rows["reports_partner_referrals"] == 6 * base["reports"]
    assert rows["cases_victim_witness_hub"] == 2 * base["cases"]
    assert {f.path.suffix for f in files if f.kind != "boundaries"} == {".csv"}, "any factor above 5 writes the workbooks as CSV"
