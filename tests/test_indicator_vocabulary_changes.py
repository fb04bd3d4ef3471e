"""Stored reports' signs follow the indicator vocabulary as it is now, not as it was the day they were loaded.

An analyst adds a pattern or a code to etl/vocab/indicators.toml: the next load re-reads every stored report's
indicators text and summary with the loader's own matching, in its own write (all or nothing with it), and says
so. "Poor living conditions", a key sign the press release names, was such a code: missing, it matched nothing.
"""
from __future__ import annotations

import duckdb
import pytest

from etl import indicator_rematch, vocab
from etl.errors import FileProblem
from etl.loaders import vocabularies
from operations import plans
from tests.helpers import load_text, query, scalar

HEADER = "Ref,Date Received,Address,Postcode,Indicators,Details\n"
STORED = HEADER + ("R1,2026-10-10,1 Mill Lane,CB4 3JD,\"poor living conditions, mattresses\",\n"
                   "R2,2026-10-10,2 Mill Lane,CB4 3JD,curtains drawn,rats seen in the kitchen\n"
                   "R3,2026-10-10,3 Mill Lane,CB4 3JD,van at 5am,\n")
OTHER = HEADER + "S1,2026-10-11,9 Mill Lane,CB4 3JD,mattresses,\n"
NEW = "poor_living_conditions"
NOTE = "indicator vocabulary changed"


@pytest.fixture
def before_the_new_code(monkeypatch):
    """The vocabulary as it was before `NEW` was added to it (the real file is not touched); undo() puts it back."""
    real = vocab.load

    def load(name):
        table = real(name)
        return {k: v for k, v in table.items() if k != NEW} if name == "indicators" else table

    monkeypatch.setattr(vocab, "load", load)
    return monkeypatch


def _signs(db) -> dict[str, list[str]]:
    return dict(query(db, "SELECT report_ref, indicators FROM reports ORDER BY 1"))


def _masks_hold_the_codes(db) -> None:
    bits = dict(query(db, "SELECT code, bit FROM indicator_bits"))
    for ref, codes, mask in query(db, "SELECT report_ref, indicators, indicator_bits FROM reports"):
        assert mask == sum(1 << bits[c] for c in codes), ref


def _recorded(db) -> str | None:
    rows = query(db, "SELECT value FROM meta WHERE key = ?", [indicator_rematch.FINGERPRINT_KEY])
    return rows[0][0] if rows else None


def test_the_next_load_of_another_source_re_reads_stored_reports_with_the_new_code(tmp_path, before_the_new_code):
    db = tmp_path / "w.duckdb"
    first = load_text(db, "reports", STORED, source="police", name="a.csv")
    assert not [w for w in first.warnings if NOTE in w]          # a fresh warehouse only records the fingerprint
    assert _signs(db) == {"R1": ["mattresses"], "R2": ["curtains_drawn"], "R3": ["van_pickups"]}
    old = _recorded(db)
    assert old == indicator_rematch.fingerprint()
    before_the_new_code.undo()                                   # the analyst adds the code

    s = load_text(db, "reports", OTHER, source="helpline", name="b.csv")
    assert _signs(db) == {"R1": ["mattresses", NEW], "R2": ["curtains_drawn", NEW], "R3": ["van_pickups"],
                          "S1": ["mattresses"]}
    _masks_hold_the_codes(db)
    assert [w for w in s.warnings if NOTE in w] == [
        f"{NOTE} since the last load: 3 stored report(s) re-read, 2 gained or lost a sign (gained: {NEW} 2)"]
    assert _recorded(db) == indicator_rematch.fingerprint() != old
    assert query(db, "SELECT value FROM filter_values WHERE kind = 'indicator' AND value = ?", [NEW]) == [(NEW,)]
    assert NOTE in scalar(db, "SELECT message FROM loads WHERE status = 'loaded' ORDER BY load_id DESC LIMIT 1")


def test_a_removed_pattern_takes_its_sign_away(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", STORED, source="police", name="a.csv")
    real = vocab.load
    monkeypatch.setattr(vocab, "load", lambda name: {k: v for k, v in real(name).items() if k != "van_pickups"}
                        if name == "indicators" else real(name))
    s = load_text(db, "reports", OTHER, source="helpline", name="b.csv")
    assert _signs(db)["R3"] == []
    assert "1 gained or lost a sign (lost: van_pickups 1)" in "\n".join(s.warnings)
    _masks_hold_the_codes(db)


def test_a_load_that_fails_leaves_stored_signs_and_the_fingerprint_as_they_were(tmp_path, before_the_new_code):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", STORED, source="police", name="a.csv")
    old = _recorded(db)
    before_the_new_code.undo()
    with pytest.raises(FileProblem, match="nothing was loaded"):
        load_text(db, "reports", HEADER + "S1,not a date,9 Mill Lane,CB4 3JD,mattresses,\n", source="helpline",
                  name="bad.csv")
    assert _signs(db)["R1"] == ["mattresses"]
    assert _recorded(db) == old
    assert scalar(db, "SELECT count(*) FROM loads WHERE status = 'failed'") == 1
    load_text(db, "reports", OTHER, source="helpline", name="b.csv")       # the next load that succeeds re-reads
    assert _signs(db)["R1"] == ["mattresses", NEW]


def test_an_unchanged_vocabulary_re_reads_nothing(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", STORED, source="police", name="a.csv")
    monkeypatch.setattr(indicator_rematch, "_rematch", lambda con: pytest.fail("re-read with the same vocabulary"))
    s = load_text(db, "reports", OTHER, source="helpline", name="b.csv")
    assert not [w for w in s.warnings if NOTE in w]
    assert _signs(db)["R1"] == ["mattresses", NEW]


def test_a_label_or_severity_change_is_no_change_to_the_matching(monkeypatch):
    before = indicator_rematch.fingerprint()
    real = vocab.load
    monkeypatch.setattr(vocab, "load", lambda name: {k: {**v, "label": "x", "severity": 1} for k, v in real(name).items()}
                        if name == "indicators" else real(name))
    assert indicator_rematch.fingerprint() == before


def test_reports_stored_before_the_fingerprint_was_kept_are_re_read_and_said_so_only_if_changed(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", STORED, source="police", name="a.csv")
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM meta WHERE key = ?", [indicator_rematch.FINGERPRINT_KEY])
    con.close()
    s = load_text(db, "reports", OTHER, source="helpline", name="b.csv")
    assert not [w for w in s.warnings if NOTE in w]              # re-read, nothing changed: nothing to say
    assert _recorded(db) == indicator_rematch.fingerprint()
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM meta WHERE key = ?", [indicator_rematch.FINGERPRINT_KEY])
    con.execute("UPDATE reports SET indicators = [], indicator_bits = 0 WHERE report_ref = 'R1'")
    con.close()
    s = load_text(db, "reports", OTHER.replace("S1", "S2"), source="helpline", name="c.csv")
    assert f"{NOTE} (not recorded before): 4 stored report(s) re-read, 1 gained or lost a sign" in "\n".join(s.warnings)
    assert _signs(db)["R1"] == ["mattresses", NEW]


def test_the_re_read_matches_each_distinct_text_once_with_the_loaders_lookups():
    ctes = " ".join(cte for cte, _ in vocabularies.sign_lookups("reports.indicators_text", "reports.summary", "reports"))
    assert "SELECT DISTINCT reports.indicators_text AS in_text FROM reports" in ctes
    assert "SELECT DISTINCT reports.summary AS is_text FROM reports" in ctes


def _codes(texts: list[str]) -> list[list[str]]:
    con = duckdb.connect()
    return [c for (c,) in con.execute(f"SELECT {vocabularies.indicator_codes_sql('t')} FROM unnest(?::VARCHAR[]) "
                                      "WITH ORDINALITY u(t, i) ORDER BY i", [texts]).fetchall()]


SIGNS_OF_POOR_LIVING = [
    "poor living conditions", "Poor housing conditions", "living conditions were appalling", "living in squalor",
    "squalid flat", "filthy kitchen", "no heating", "No hot water", "no running water", "no electricity",
    "damp and mould", "black & mold", "mould on the walls", "infested", "cockroaches", "bed bugs", "bedbugs",
    "rats in the yard", "vermin", "mouse droppings", "uninhabitable", "unsanitary", "insanitary toilet",
    "overflowing bins", "no working toilet"]
NOT_SIGNS = ["business rates", "rating", "rates", "pirates", "a rat run behind the shops", "good living conditions",
             "the heating was on", "moulded plastic", "scrap metal yard", "water rates"]


def test_poor_living_conditions_matches_what_reporters_write_and_not_ordinary_text():
    got = dict(zip(SIGNS_OF_POOR_LIVING + NOT_SIGNS, _codes(SIGNS_OF_POOR_LIVING + NOT_SIGNS)))
    assert [t for t in SIGNS_OF_POOR_LIVING if NEW not in got[t]] == []
    assert [t for t in NOT_SIGNS if got[t]] == []
    assert vocab.load("indicators")[NEW]["severity"] == 2


def test_a_stop_with_poor_living_conditions_needs_environmental_health():
    class Stop:
        indicators = [NEW]
        licence_status = "licensed"
        over_occupied = False

    assert plans.partners_for(Stop()) == ["Council environmental health (housing standards)"]
