"""Where things live: the warehouse file and the pseudonymisation key.

Both can be moved with environment variables, so that tests, CI and a force's own
deployment never share state by accident.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "hotspots.duckdb"


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--db`, else `$HOTSPOTS_DB`, else `data/hotspots.duckdb`."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("HOTSPOTS_DB")
    return Path(env) if env else DEFAULT_DB


def beside_warehouse(explicit: str | os.PathLike | None, env_var: str, file_name: str,
                     db: str | os.PathLike | None = None) -> Path:
    """A store that lives beside the warehouse: `explicit`, else $`env_var`, else `file_name` in its folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(env_var)
    return Path(env) if env else warehouse_path(db).parent / file_name


def pseudonym_key_path() -> Path:
    """The key is kept outside the repo and the warehouse, so a copied warehouse cannot be re-identified."""
    env = os.environ.get("HOTSPOTS_KEY_FILE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hotspots" / "pseudonym.key"
