"""A visits file loaded a second time says how to take out the first load's outcomes, as other loads name
`python -m etl remove KIND SOURCE`. `etl remove` takes out no visit outcomes, so the message names the
commands that do: `etl outcomes list --since` the first visit date (its default, 90 days, misses an older file's)
for the ids, and `etl outcomes withdraw ID`. Both are run here, as the analyst would type them."""
from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from etl.cli import main
from etl.loaders import visits
from operations.store import OperationsStore
from tests.helpers import write_text

OUTCOMES = ("Visit date,Address,Post Code,Result\n"
            "03/02/2025,\"14 Mill Lane, Wisbech\",PE13 1AB,No concerns\n"
            "10/02/2025,\"3 Fen Road, March\",PE15 8AA,No access\n")


def test_the_second_load_names_the_commands_that_withdraw_the_first_load_s_outcomes(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    path = write_text(tmp_path / "visits_feb.csv", OUTCOMES)
    first = visits.load(path, db=tmp_path / "w.duckdb", store=store)
    again = visits.load(path, db=tmp_path / "w.duckdb", store=store)
    assert again.status == "already_loaded"
    assert again.message == (
        f"same content as outcome load {first.load_id} (visits_feb.csv); if that file was loaded wrongly, withdraw "
        "each of its 2 outcome(s): `python -m etl outcomes list --since 2025-02-03` shows their ids beside the "
        "file's name, and `python -m etl outcomes withdraw ID --reason \"loaded wrongly\"` withdraws one "
        "(`python -m etl remove` takes out no visit outcomes)")
    assert "etl remove visits" not in again.lines()[0]

    commands = re.findall(r"`python -m etl ([^`]+)`", again.message)
    env = {"HOTSPOTS_OPERATIONS": str(store.path)}
    listed = CliRunner().invoke(main, [*shlex.split(commands[0]), "--db", str(tmp_path / "w.duckdb")], env=env)
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "visits_feb.csv" in line]
    assert len(rows) == 2    # listed from the given date, though it is older than the default 90 days
    for row in rows:
        withdraw = shlex.split(commands[1].replace("ID", row.split()[0]))
        done = CliRunner().invoke(main, [*withdraw, "--db", str(tmp_path / "w.duckdb"),
                                         "--accounts", str(tmp_path / "accounts.db")], env=env)
        assert done.exit_code == 0, done.output
    assert visits.load(path, db=tmp_path / "w.duckdb", store=store).message == (
        f"same content as outcome load {first.load_id} (visits_feb.csv); none of its outcomes counts now "
        "(withdrawn, or on record before it from another file)")
