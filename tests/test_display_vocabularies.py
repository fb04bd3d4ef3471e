"""The words, colours and orders the screens give codes are data, each written once: licence statuses
(analysis/licence_statuses.toml), source kinds (analysis/settings.toml), trends and audit actions
(dashboard/labels.toml), visit outcomes' marks (operations/vocab/outcomes.toml), the force area's name
(etl/vocab/area.toml). A second copy in code drifts: the map's key once said one thing and the marker cap another.

The edit test changes every one of those tomls (in a fresh interpreter, as it reads them) and checks that each
module that shows the value shows the edited one.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis import address_scores, addresses, map_layers, settings
from dashboard import labels, map_render
from operations import vocabulary

ROOT = Path(__file__).resolve().parent.parent

# file (from the repository root) → [(keys down to the value, the new value)]
EDITS = {
    "analysis/licence_statuses.toml": [(["expired", "label"], "Licence ran out"),
                                       (["expired", "colour"], "#000001"),
                                       (["current", "priority"], 0)],
    "analysis/settings.toml": [(["data_health", "kind_labels", "reports"], "Intelligence report data")],
    "dashboard/labels.toml": [(["trends", "sporadic"], "now and then"),
                              (["audit_actions", "export"], "Took an export")],
    "operations/vocab/outcomes.toml": [(["no_access", "colour"], "#123456"), (["no_access", "sign"], "N")],
    "etl/vocab/area.toml": [(["name"], "Testshire")],
}

PROBE = textwrap.dedent("""
    import json, sys, tomllib
    from pathlib import Path

    edits = json.loads(sys.argv[1])
    real_load = tomllib.load

    def edited_load(fh):
        data = real_load(fh)
        for name, changes in edits.items():
            if Path(fh.name).resolve() == Path(name).resolve():
                for keys, value in changes:
                    table = data
                    for key in keys[:-1]:
                        table = table[key]
                    table[keys[-1]] = value
        return data

    tomllib.load = edited_load

    from analysis import map_layers, settings
    from dashboard import labels, map_render, visit_map
    from etl.loaders import boundaries

    print(json.dumps({
        "label": labels.licence_status("expired"), "legend": map_render.legend(),
        "status_colours": map_render.STATUS_COLOURS, "render_priority": map_render.MARKER_PRIORITY,
        "layers_priority": map_layers.MARKER_PRIORITY, "kind": labels.kind("reports"),
        "health_kind": settings.kind_labels()["reports"], "trend": map_render.TREND_WORDS["sporadic"],
        "audit": labels.audit_action("export"), "outcome": visit_map.OUTCOME_MARKS["no_access"],
        "mark": visit_map.outcome_mark("no_access"), "area": boundaries.AREA,
    }))
""")


@pytest.fixture(scope="module")
def edited():
    """What the modules show when every vocabulary toml has been edited."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(EDITS)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_licence_status_edited_in_its_toml_changes_the_map_its_key_and_the_tables(edited):
    assert edited["label"] == "Licence ran out"
    assert ["circle", "#000001", "Licence ran out"] in edited["legend"]
    assert edited["status_colours"]["expired"] == "#000001"
    assert edited["render_priority"] == edited["layers_priority"] == [
        "current", "possible_unlicensed", "expired", "expiring"]


def test_a_source_kind_edited_in_settings_changes_the_data_pages_table_and_warnings_alike(edited):
    assert edited["kind"] == edited["health_kind"] == "Intelligence report data"


def test_trend_and_audit_words_come_from_the_dashboards_toml(edited):
    assert edited["trend"] == "now and then"
    assert edited["audit"] == "Took an export"


def test_an_outcomes_mark_comes_from_the_outcomes_toml(edited):
    assert edited["outcome"] == ["#123456", "N"]
    assert "background:#123456" in edited["mark"] and ">N</div>" in edited["mark"]


def test_the_force_areas_name_comes_from_area_toml(edited):
    assert edited["area"] == "Testshire"


def test_every_status_the_analysis_gives_has_words_and_the_map_draws_the_same_ones_it_caps():
    given = {*addresses.LICENCE_STATUSES, *address_scores.STATUSES}
    assert given <= set(labels.LICENCE_STATUS)
    assert labels.licence_status("possible_unlicensed") == "Possibly unlicensed HMO"
    assert map_render.STATUS_ORDER == ["current", "expiring", "expired", "possible_unlicensed"]
    assert map_render.MARKER_PRIORITY == map_layers.MARKER_PRIORITY == [
        "possible_unlicensed", "expired", "expiring", "current"]
    # A status with a colour is drawn, so it must have a place in the cap, and the other way round.
    assert set(map_render.STATUS_COLOURS) == set(settings.marker_priority())


def test_every_outcome_has_a_mark():
    assert all({"colour", "sign"} <= set(spec) for spec in vocabulary.outcomes().values())
