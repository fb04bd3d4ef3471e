"""Fixtures shared by every test: a private warehouse path and a private pseudonymisation key."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path, monkeypatch):
    """No test reads or creates the analyst's real key (~/.config/hotspots/pseudonym.key)."""
    monkeypatch.setenv("HOTSPOTS_KEY_FILE", str(tmp_path / "pseudonym.key"))


@pytest.fixture
def db(tmp_path):
    """A warehouse file of the test's own; `load_file(..., db=db)` creates it."""
    return tmp_path / "w.duckdb"
