"""The operations store (visit plans and outcomes) as the dashboard sees it: beside the warehouse it shows."""
from __future__ import annotations

import pandas as pd

from dashboard import connection
from operations.store import OperationsStore


def store() -> OperationsStore:
    return OperationsStore(db=connection.resolve_path())


def outcomes() -> pd.DataFrame:
    """Every recorded outcome (a small table: a few per visit day); read fresh on each run, never cached,
    so an outcome recorded in one session shows in the next page of every other."""
    return store().outcomes()
