"""`etl outcomes list` and `etl outcomes withdraw`: an outcome loaded from a file belongs to no plan, so no plan's
page offers to withdraw it; and a file loaded again with a visit's date corrected warns, naming both outcomes."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from access.store import Store
from etl.cli import main
from etl.loaders import visits
from operations.store import OperationsStore, Outcome
from tests.helpers import TODAY, write_text

HEADER = "Visit date,Address,Postcode,Outcome,Notes\n"


def day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def row(days_ago: int, address: str = '"14 Mill Lane, Wisbech"', outcome: str = "No concerns",
        note: str = "tenants spoke freely") -> str:
    return f"{day(days_ago):%d/%m/%Y},{address},PE13 1AB,{outcome},{note}\n"


@pytest.fixture
def paths(tmp_path, monkeypatch) -> dict[str, Path]:
    """No warehouse (visits still load, unplaced), the operations store and account store in tmp_path."""
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    return {"db": tmp_path / "w.duckdb", "ops": tmp_path / "operations.db", "accounts": tmp_path / "acc.db"}


def run(paths, *args):
    return CliRunner().invoke(main, [*args, "--db", str(paths["db"])])


def load(paths, file: Path):
    r = run(paths, "load", "visits", str(file), "--accounts", str(paths["accounts"]))
    assert r.exit_code == 0, r.output
    return r


# --- listing and withdrawing ---------------------------------------------------------------------------------

def test_an_outcome_loaded_from_a_file_is_listed_with_its_id_and_file_and_can_be_withdrawn(tmp_path, paths):
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10) + row(9, '"2 High St, March"', "No access", "")))
    store = OperationsStore(paths["ops"])
    ids = dict(zip(store.outcomes()["address"], store.outcomes()["id"]))
    wrong = int(ids["14 Mill Lane, Wisbech"])

    listed = run(paths, "outcomes", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["id", "visited", "address", "outcome", "from", "recorded", "by", "withdrawn"]
    mine = next(line for line in lines if "Mill Lane" in line)
    assert mine.split()[0] == str(wrong) and f"{day(10):%d %b %Y}" in mine
    assert "No concerns" in mine and "oct.csv row 2" in mine

    r = run(paths, "outcomes", "withdraw", str(wrong), "--reason", "wrong door: it was number 16",
            "--accounts", str(paths["accounts"]))
    assert r.exit_code == 0, r.output
    assert f"withdrew outcome {wrong} (No concerns on {day(10):%d %b %Y} at 14 Mill Lane, Wisbech, from oct.csv)" \
        in r.stdout
    assert wrong not in store.outcomes()["id"].tolist()                       # counts nowhere now
    whole = store.outcomes(include_withdrawn=True).set_index("id")
    assert whole.at[wrong, "withdrawn_by"].startswith("cli")                   # who, when, why: as the dashboard
    assert whole.at[wrong, "withdrawn_reason"] == "wrong door: it was number 16"
    assert whole.at[wrong, "withdrawn_at"][:10] == dt.datetime.now(dt.timezone.utc).date().isoformat()
    (audit,) = Store(paths["accounts"]).audit_rows(action="outcome_withdrawn")
    assert audit["actor"].startswith("cli") and audit["target"] == f"outcome {wrong}" and audit["rows"] == 1
    assert json.loads(audit["detail"])["file"] == "oct.csv"

    again = run(paths, "outcomes", "list")
    assert f"by {whole.at[wrong, 'withdrawn_by']}" in next(line for line in again.stdout.splitlines()
                                                            if line.split()[0] == str(wrong))


def test_an_unknown_or_already_withdrawn_id_or_no_reason_is_refused_saying_why(tmp_path, paths):
    args = ("--accounts", str(paths["accounts"]))
    r = run(paths, "outcomes", "withdraw", "1", "--reason", "wrong door", *args)
    assert r.exit_code == 2 and "no outcome 1" in r.stderr and "no outcome has been recorded yet" in r.stderr
    assert not paths["ops"].exists()                                # asking created no store
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10)))
    (only,) = OperationsStore(paths["ops"]).outcomes()["id"].tolist()
    r = run(paths, "outcomes", "withdraw", str(only + 1), "--reason", "wrong door", *args)
    assert r.exit_code == 2 and f"no outcome {only + 1} in " in r.stderr and "outcomes list" in r.stderr
    r = run(paths, "outcomes", "withdraw", str(only), "--reason", "   ", *args)
    assert r.exit_code == 2 and "not withdrawn: say why" in r.stderr
    assert run(paths, "outcomes", "withdraw", str(only), "--reason", "wrong door", *args).exit_code == 0
    r = run(paths, "outcomes", "withdraw", str(only), "--reason", "wrong door", *args)
    assert r.exit_code == 2 and f"not withdrawn: outcome {only} was already withdrawn by cli" in r.stderr
    assert len(Store(paths["accounts"]).audit_rows(action="outcome_withdrawn")) == 1


def test_list_since_a_date_and_the_default_of_90_days(tmp_path, paths):
    store = OperationsStore(paths["ops"])
    old = store.record(Outcome(visited_on=day(200), address_key="A|1|", address="1 Old Road", outcome="no_access"),
                       "lead")
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10)))
    ids = lambda r: [line.split()[0] for line in r.stdout.splitlines()[1:]]   # noqa: E731
    assert str(old) not in ids(run(paths, "outcomes", "list"))
    listed = run(paths, "outcomes", "list", "--since", day(365).isoformat())
    assert ids(listed)[0] == str(old) and "the dashboard" in listed.stdout.splitlines()[1]
    empty = run(paths, "outcomes", "list", "--since", day(-1).isoformat())
    assert empty.exit_code == 0 and "no outcome of a visit on or after" in empty.stdout


def test_a_withdrawal_whose_audit_row_cannot_be_written_says_it_was_withdrawn(tmp_path, paths, monkeypatch):
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10)))
    (only,) = OperationsStore(paths["ops"]).outcomes()["id"].tolist()

    def broken(self, actor, action, *a, **kw):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "audit", broken)
    r = run(paths, "outcomes", "withdraw", str(only), "--reason", "wrong door", "--accounts", str(paths["accounts"]))
    assert r.exit_code == 2
    assert f"outcome {only} was withdrawn, but its audit record could not be written" in r.stderr
    assert "nothing was changed" not in r.stderr
    assert OperationsStore(paths["ops"]).outcomes().empty


def test_a_broken_audit_log_refuses_the_withdrawal_before_it_is_made(tmp_path, paths):
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10)))
    (only,) = OperationsStore(paths["ops"]).outcomes()["id"].tolist()
    broken = write_text(tmp_path / "broken.db", "garbage " * 300)
    r = run(paths, "outcomes", "withdraw", str(only), "--reason", "wrong door", "--accounts", str(broken))
    assert r.exit_code == 2 and "can't be written" in r.stderr and "nothing was withdrawn" in r.stderr
    assert OperationsStore(paths["ops"]).outcomes()["id"].tolist() == [only]



def test_an_outcome_loaded_from_a_file_is_recorded_by_the_command_line_as_its_other_actions_are(tmp_path, paths,
                                                                                                 monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "jsmith")
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10)))
    store = OperationsStore(paths["ops"])
    (only,) = store.outcomes()["id"].tolist()
    assert store.outcomes()["recorded_by"].tolist() == ["cli:jsmith"]       # never a dashboard account's name
    (audit,) = Store(paths["accounts"]).audit_rows(action="load")
    assert audit["actor"] == "cli:jsmith"                                   # the name its load is audited under
    listed = run(paths, "outcomes", "list").stdout.splitlines()
    assert next(line for line in listed if line.split()[0] == str(only)).split()[-1] == "cli:jsmith"
    store.withdraw(only, by="cli:jsmith", reason="wrong door")              # whoever loaded it may, not only an admin
    assert store.outcomes().empty


def test_an_outcome_loaded_under_the_bare_login_before_is_still_withdrawn_from_the_command_line(tmp_path, paths,
                                                                                                 monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "jsmith")
    store = OperationsStore(paths["ops"])
    old = Outcome(visited_on=day(30), address_key="A|1|", address="1 Old Road", outcome="no_access", source_row=2)
    store.load_outcomes([old], file_name="sep.csv", sha256="a", rejects=[], loaded_by="jsmith")
    (only,) = store.outcomes()["id"].tolist()
    r = run(paths, "outcomes", "withdraw", str(only), "--reason", "wrong door", "--accounts", str(paths["accounts"]))
    assert r.exit_code == 0, r.output
    withdrawn = store.outcomes(include_withdrawn=True).set_index("id")
    assert withdrawn.at[only, "recorded_by"] == "jsmith" and withdrawn.at[only, "withdrawn_by"] == "cli:jsmith"


# --- a date corrected in a file loaded again -----------------------------------------------------------------

def test_a_visit_whose_date_was_corrected_is_kept_and_the_summary_names_both_outcomes(tmp_path, paths):
    load(paths, write_text(tmp_path / "oct.csv", HEADER + row(10) + row(10, '"2 High St, March"', "No access", "")))
    store = OperationsStore(paths["ops"])
    earlier = int(store.outcomes().set_index("address").at["14 Mill Lane, Wisbech", "id"])
    # The corrected file: the Mill Lane visit now dated 4 days later; High St unchanged.
    r = load(paths, write_text(tmp_path / "oct_fixed.csv",
                               HEADER + row(6) + row(10, '"2 High St, March"', "No access", "")))
    kept = store.outcomes()
    assert len(kept) == 3                                                  # kept: it may be a second visit
    newer = int(kept[(kept["address"] == "14 Mill Lane, Wisbech") & (kept["id"] != earlier)]["id"].iloc[0])
    (warning,) = [line for line in r.stdout.splitlines() if "date correction" in line]
    assert "row 2 (14 Mill Lane, Wisbech, No concerns)" in warning
    assert f"dated {day(6):%d %b %Y}" in warning and f"same on {day(10):%d %b %Y}" in warning
    assert f"outcome {earlier}, loaded from oct.csv row 2" in warning and f"this row is outcome {newer}" in warning
    assert f'python -m etl outcomes withdraw {earlier} --reason "date corrected"' in warning


def test_no_warning_for_a_file_that_still_gives_the_earlier_date_a_far_date_or_a_withdrawn_outcome(tmp_path, paths):
    load(paths, write_text(tmp_path / "a.csv", HEADER + row(20) + row(20, '"2 High St"', "No access", "")))
    # A cumulative file: the 20-days-ago visits again, a second no-access call a week later, and Mill Lane
    # 15 days away from its earlier date (more than the 14 of operations/vocab/visit_files.toml).
    r = load(paths, write_text(tmp_path / "b.csv", HEADER + row(20, '"2 High St"', "No access", "")
                               + row(13, '"2 High St"', "No access", "") + row(5)))
    assert "date correction" not in r.stdout
    store = OperationsStore(paths["ops"])
    mill = store.outcomes().set_index("address").loc["14 Mill Lane, Wisbech"]
    store.withdraw(int(mill["id"].max()), by="lead", reason="date corrected", admin=True)
    r = load(paths, write_text(tmp_path / "c.csv", HEADER + row(3)))      # near only the withdrawn one
    assert "date correction" not in r.stdout
    r = load(paths, write_text(tmp_path / "d.csv", HEADER + row(21)))     # a day from the one still counted
    assert "date correction" in r.stdout


def test_how_near_the_dates_must_be_is_read_from_the_toml(tmp_path, paths, monkeypatch):
    import tomllib

    from operations import vocabulary

    with open(vocabulary.VOCAB / "visit_files.toml", "rb") as fh:
        assert tomllib.load(fh)["date_corrections"]["within_days"] == 14
    monkeypatch.setattr(visits, "_settings", lambda: {"within_days": 2, "shown": 10})
    load(paths, write_text(tmp_path / "a.csv", HEADER + row(10)))
    assert "date correction" not in load(paths, write_text(tmp_path / "b.csv", HEADER + row(7))).stdout
    assert "date correction" in load(paths, write_text(tmp_path / "c.csv", HEADER + row(9))).stdout


def test_many_such_rows_are_counted_past_those_named(tmp_path, paths, monkeypatch):
    monkeypatch.setattr(visits, "_settings", lambda: {"within_days": 14, "shown": 2})
    addresses = [f'"{n} Fen Road"' for n in range(1, 6)]
    load(paths, write_text(tmp_path / "a.csv", HEADER + "".join(row(10, a) for a in addresses)))
    r = load(paths, write_text(tmp_path / "b.csv", HEADER + "".join(row(8, a) for a in addresses)))
    assert sum("possible date correction" in line for line in r.stdout.splitlines()) == 2
    assert "3 more row(s) may be earlier visits with their date corrected" in r.stdout
