"""A team's "Safeguarding concerns - referred to VCT" with 2 potential victims counted is a visit that found
potential victims: kept as that outcome, the words as written in its note, not rejected for a contradiction.
And a visits file's rejected rows, kept in the operations store, are listed by `etl outcomes rejects` and
pointed to by `etl rejects`, which reads only the warehouse's."""
from __future__ import annotations

from click.testing import CliRunner

from etl.cli import main
from etl.loaders import visits
from operations.store import OperationsStore
from tests.helpers import TODAY, write_text

D = TODAY.strftime("%d/%m/%Y")
OUTCOMES = ("Visit date,Address,Post Code,Result,PVs\n"
            f"{D},\"27 Lincoln Road, Peterborough\",PE1 2NX,Safeguarding concerns - referred to VCT,2\n"
            f"{D},\"12 Fore Hill, Ely\",CB7 4AA,Welfare concerns,\n"
            f"{D},\"5 Station Road, Soham\",CB7 5HY,Warrant executed,\n"
            f"{D},\"9 Mill Road, Ely\",CB7 4AB,No concerns,3\n")


def test_concerns_with_potential_victims_counted_are_that_outcome(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    summary = visits.load(write_text(tmp_path / "visits.csv", OUTCOMES), db=tmp_path / "w.duckdb", store=store)
    got = store.outcomes(include_withdrawn=True).set_index("address")
    assert got.loc["27 Lincoln Road, Peterborough", "outcome"] == "potential_victims"
    assert got.loc["27 Lincoln Road, Peterborough", "potential_victims"] == 2
    assert "outcome given as 'Safeguarding concerns - referred to VCT'" in got.loc["27 Lincoln Road, Peterborough", "note"]
    assert got.loc["12 Fore Hill, Ely", "outcome"] == "concerns_intelligence"
    assert ("1 row(s) give concerns and a number of potential victims: stored as potential victims identified, the "
            "outcome as written kept in the note") in summary.warnings
    reasons = dict(zip(store.rejects()["row_number"], store.rejects()["reason"]))
    assert sorted(reasons) == [4, 5]        # what was done is no outcome; no concerns beside victims contradicts
    assert "potential victims is '3' but the outcome is 'No concerns'" in reasons[5]


def test_the_rejected_rows_of_visits_files_are_listed(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    visits.load(write_text(tmp_path / "visits.csv", OUTCOMES), db=tmp_path / "w.duckdb", store=store)
    env = {"HOTSPOTS_OPERATIONS": str(store.path)}
    listed = CliRunner().invoke(main, ["outcomes", "rejects", "--db", str(tmp_path / "w.duckdb")], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0] == "outcome load 1 (visits.csv): 2 rejected row(s)"
    assert lines[1].startswith("  visits.csv row 4: outcome 'Warrant executed' is not one of")
    assert lines[2].startswith("  visits.csv row 5: potential victims is '3'")

    assert CliRunner().invoke(main, ["init", "--db", str(tmp_path / "w.duckdb")]).exit_code == 0
    pointed = CliRunner().invoke(main, ["rejects", "--db", str(tmp_path / "w.duckdb")], env=env)
    assert ("2 rejected row(s) of visits files are kept with the outcomes, apart from the warehouse: "
            "python -m etl outcomes rejects lists them") in pointed.output


def test_no_visits_file_no_rejects(tmp_path):
    env = {"HOTSPOTS_OPERATIONS": str(tmp_path / "ops.db")}
    listed = CliRunner().invoke(main, ["outcomes", "rejects", "--db", str(tmp_path / "w.duckdb")], env=env)
    assert listed.exit_code == 0
    assert listed.output.startswith("no visits file has had rows rejected")
    assert not (tmp_path / "ops.db").exists()
