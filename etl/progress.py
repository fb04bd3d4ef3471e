"""A progress bar for long loads only: short loads stay quiet."""
from __future__ import annotations

import sys

from tqdm import tqdm

SHOW_AFTER_ROWS = 5_000


class RowProgress:
    def __init__(self, label: str):
        from etl.admin import on_screen

        self.label = on_screen(label)   # it names the file, and a file's name is the partner's too: no escapes
        self.bar: tqdm | None = None
        self.last = 0

    def __enter__(self) -> "RowProgress":
        return self

    def __call__(self, rows: int) -> None:
        if self.bar is None and rows > SHOW_AFTER_ROWS:
            self.bar = tqdm(desc=self.label, unit=" rows", file=sys.stderr, mininterval=0.5)
            self.last = 0
        if self.bar is not None:
            self.bar.update(rows - self.last)
        self.last = rows

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
