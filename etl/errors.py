"""Errors an analyst can act on. The CLI prints each as one line and exits non-zero."""
from __future__ import annotations

from pathlib import Path


class LoadError(Exception):
    """The file can't be used at all; nothing in the warehouse was changed."""


class FileProblem(LoadError):
    def __init__(self, path: Path | str, problem: str, row: int | None = None):
        self.path = Path(path)
        self.problem = problem
        self.row = row
        where = f"{self.path.name}, row {row}" if row is not None else self.path.name
        super().__init__(f"{where}: {problem}")
