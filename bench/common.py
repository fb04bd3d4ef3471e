"""Small shared pieces: where things live, timing, statistics over runs, memory readings, result rows."""
from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
MB = 1024 * 1024


@dataclass
class Runs:
    """Repeated measurements of one thing (seconds, bytes, ...)."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(float(value))

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return float(np.median(self.values))

    @property
    def min(self) -> float:
        return float(np.min(self.values))

    @property
    def max(self) -> float:
        return float(np.max(self.values))

    @property
    def p95(self) -> float:
        """95th percentile, linear interpolation between the closest runs."""
        return float(np.percentile(self.values, 95))


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def status_kb(field_name: str, pid: int | str = "self") -> int | None:
    """A memory field of /proc/PID/status (VmRSS, VmHWM) in kB, or None if unreadable."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM (and ru_maxrss) to its current RSS; False where Linux won't allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- formatting

def fmt_seconds(s: float) -> str:
    if s < 1:
        return f"{s * 1000:,.0f} ms" if s >= 0.01 else f"{s * 1000:.1f} ms"
    if s < 120:
        return f"{s:,.1f} s"
    return f"{s / 60:,.1f} min"


def fmt_bytes(b: float) -> str:
    if b >= 1024 * MB:
        return f"{b / 1024 / MB:,.2f} GB"
    if b >= MB:
        return f"{b / MB:,.2f} MB"
    return f"{b / 1024:,.0f} kB"


def fmt_rate(rows_per_s: float) -> str:
    return f"{rows_per_s:,.0f} rows/s"


@dataclass
class Row:
    """One line of the results table."""

    section: str
    what: str
    scale: str
    median: str
    spread: str = "–"        # "min – max"
    p95: str = "–"
    runs: str = "1"
    target: str = "–"
    met: str = "–"           # "yes" | "**no**" | "–"


def spread(runs: Runs, fmt: Callable[[float], str]) -> str:
    return f"{fmt(runs.min)} – {fmt(runs.max)}" if runs.n > 1 else "–"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


@dataclass
class Section:
    """What one measurement contributes: table rows, and notes printed under the table."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)      # raw numbers, written to results.json


def merge(sections: Iterable[Section]) -> Section:
    out = Section()
    for s in sections:
        out.rows += s.rows
        out.notes += s.notes
        out.data.update(s.data)
    return out


def isolate(work: Path) -> None:
    """The bench (and every child it starts) uses its own pseudonym key under `work`, never the analyst's."""
    os.environ["HOTSPOTS_KEY_FILE"] = str(Path(work).resolve() / "pseudonym.key")
    os.environ.pop("HOTSPOTS_PSEUDONYM_KEY", None)


def env_for_children(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


_console = None


def console():
    """The terminal as it was when the bench started, for progress lines while fds 1 and 2 go to a log."""
    global _console
    if _console is None:
        _console = os.fdopen(os.dup(1), "w", buffering=1)
    return _console


def say(message: str) -> None:
    print(message, file=console(), flush=True)


@contextlib.contextmanager
def output_to(path: Path):
    """Send file descriptors 1 and 2 to `path` for a while: DuckDB draws progress bars on long statements."""
    console()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "a") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
