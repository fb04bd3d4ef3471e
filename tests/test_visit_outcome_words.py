"""Outcomes as teams write them in their own files: "Refused entry", "No reply - card left" and "No access (card
left)" are no access, the words beyond the outcome kept in the note; "Warrant executed" says what was done, not
what was found, so its row is rejected naming the value and the words a file may use."""
from __future__ import annotations

from etl.loaders import visits
from operations import vocabulary
from tests.helpers import TODAY, write_text

D = TODAY.strftime("%d/%m/%Y")


def _read(tmp_path, body: str, header: str = "Visit date,Address,Postcode,Outcome,Notes"):
    return visits.read(write_text(tmp_path / "outcomes.csv", f"{header}\n{body}"), db=tmp_path / "none.duckdb")


def test_outcomes_written_with_a_note_or_a_refusal_are_read_and_their_words_kept(tmp_path):
    got = _read(tmp_path, f"{D},1 Mill Lane,PE13 1AB,Refused entry,occupant hostile\n"
                          f"{D},2 Mill Lane,PE13 1AB,No reply - card left,\n"
                          f"{D},3 Mill Lane,PE13 1AB,No access (card left),\n"
                          f"{D},4 Mill Lane,PE13 1AB,\"No concerns, tenants spoke freely\",\n"
                          f"{D},5 Mill Lane,PE13 1AB,Concerns: intel submitted,\n"
                          f"{D},6 Mill Lane,PE13 1AB,No access,\n")
    assert not got.rejects
    by_address = {o.address: o for o in got.outcomes}
    assert {a: o.outcome for a, o in by_address.items()} == {
        "1 Mill Lane": "no_access", "2 Mill Lane": "no_access", "3 Mill Lane": "no_access",
        "4 Mill Lane": "no_concerns", "5 Mill Lane": "concerns_intelligence", "6 Mill Lane": "no_access"}
    # a refusal is no access, but is told apart from nobody answering by the words kept in the note
    assert by_address["1 Mill Lane"].note == "outcome given as 'Refused entry'; occupant hostile"
    assert by_address["3 Mill Lane"].note == "outcome given as 'No access (card left)'"
    assert by_address["4 Mill Lane"].note == "outcome given as 'No concerns, tenants spoke freely'"
    assert by_address["6 Mill Lane"].note == ""          # a plain outcome adds nothing to the note


def test_what_was_done_rather_than_found_is_rejected_naming_the_value_and_the_words(tmp_path):
    got = _read(tmp_path, f"{D},1 Mill Lane,PE13 1AB,Warrant executed,\n"
                          f"{D},2 Mill Lane,PE13 1AB,Warrant executed - 2 PVs,\n")
    assert not got.outcomes and len(got.rejects) == 2
    reason = got.rejects[0][1]
    assert reason.startswith("outcome 'Warrant executed' is not one of: ")
    for spec in vocabulary.outcomes().values():
        assert spec["label"] in reason
    assert "what the visit found" in reason and "goes in the notes" in reason


def test_a_hyphen_inside_a_word_is_no_note(tmp_path):
    got = _read(tmp_path, f"{D},1 Mill Lane,PE13 1AB,No-one in,\n{D},2 Mill Lane,PE13 1AB,Non-compliant,\n")
    assert [o.outcome for o in got.outcomes] == ["no_access"]
    assert "'Non-compliant' is not one of" in got.rejects[0][1]     # not read as "Non" (or anything else)


def test_every_outcome_word_in_the_vocabulary_is_read_as_its_outcome(tmp_path):
    words = [(t, code) for code, spec in vocabulary.outcomes().items()
             for t in [spec["label"], *spec.get("aliases", []), *spec.get("told_apart", [])]]
    got = _read(tmp_path, "".join(f'{D},{i} Mill Lane,PE13 1AB,"{t}",\n' for i, (t, _) in enumerate(words)))
    assert not got.rejects
    assert [(o.outcome) for o in got.outcomes] == [code for _, code in words]


def test_a_time_column_beside_the_date_is_mentioned_once(tmp_path):
    got = _read(tmp_path, f"{D},14:20,1 Mill Lane,PE13 1AB,No access\n",
                header="Date,Time,Address,Postcode,Outcome")
    assert [o.outcome for o in got.outcomes] == ["no_access"]
    assert sum("'Time'" in w for w in got.summary.warnings) == 1, got.summary.warnings
