"""One small class owns every connection to the warehouse file.

DuckDB allows one writing process or many reading ones, never both. So a writer never
touches the live file: it copies it, changes the copy, and swaps the copy in with an atomic
rename. The rename is the commit: readers (the dashboard) keep reading the old file until
they reopen, and a failure, crash or SIGKILL mid-load leaves the live file exactly as it was.

Statements on the copy run in DuckDB's autocommit mode. Nothing else can see the copy, so an
open DuckDB transaction would add no safety, and it made a big load's working tables slower to
build (a 2-million-row reports file: 32 s in autocommit, 41 s in one transaction).
"""
from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import duckdb

from etl.config import warehouse_path


class WarehouseError(Exception):
    """A problem an analyst can act on; the CLI prints it as one line."""


def spatial_extension_path() -> str:
    """The spatial extension ships inside a PyPI package; `INSTALL spatial` would need the internet."""
    import duckdb_extension_spatial

    folder = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    matches = sorted(glob.glob(str(folder / "*" / "spatial.duckdb_extension")))
    if not matches:
        raise WarehouseError(f"the DuckDB spatial extension is missing from {folder}; reinstall requirements.txt")
    return matches[-1]


def etl_memory_limit() -> str | None:
    """DuckDB's memory_limit for a writer: $HOTSPOTS_ETL_MEMORY (e.g. '2GB', 'none'), else 1GB, so a
    national load stays within ~2 GB of RAM in all (Python and the reader's buffers on top)."""
    value = os.environ.get("HOTSPOTS_ETL_MEMORY", "1GB").strip()
    return None if value.lower() in ("", "none", "default") else value


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{spatial_extension_path()}'")


# `etl demo` (etl/admin.py build_demo) builds a new demo warehouse under this name beside the live one, as a
# warehouse of its own (its own lock and copies), and renames it over the live one when it is complete.
DEMO_BUILD_SUFFIX = ".demo-build"
_COPY_SUFFIX = ".next-"   # a writer's private copy: `<warehouse>.next-<pid>`
REJECTS_SUFFIX = ".rejects-"   # a failed load's rejects, kept for its record: `<warehouse>.rejects-<pid>-…/`


class Warehouse:
    """The warehouse at `path`: read-only connections for readers, copy-and-swap transactions for writers."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = warehouse_path(path)

    @property
    def lock_path(self) -> Path:
        return _lock_of(self.path)

    @property
    def demo_build_path(self) -> Path:
        return self.path.with_name(self.path.name + DEMO_BUILD_SUFFIX)

    def exists(self) -> bool:
        return self.path.exists()

    def writer_busy(self, tolerance_seconds: float) -> bool:
        """Whether new data for this warehouse is on its way, so a reader can say so while it keeps showing
        the old: a writer holds the lock while its private copy exists, or a demo is being built beside it
        (`demo_build_path`, the build file itself or its copies, and its lock held).

        A copy more than `tolerance_seconds` older than the warehouse does not count: it is a killed writer's
        leftover from before the last swap. The lock is probed with a shared, non-blocking flock, so the
        caller never waits for a writer, and no file is ever created: a reader may run without write access.
        """
        try:
            live_mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            live_mtime = 0.0  # the very first build: any copy in progress counts
        building = self.demo_build_path
        for lock, copies in ((self.lock_path, _copies_of(self.path)),
                             (_lock_of(building), [building, *_copies_of(building)])):
            fresh = [c for c in copies if _mtime(c) is not None and _mtime(c) >= live_mtime - tolerance_seconds
                     and not c.name.endswith(".wal")]
            if fresh and _held(lock):
                return True
        return False

    def version_token(self) -> tuple[int, int] | None:
        """Changes whenever a writer swaps in a new file; readers reopen when it does."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def connect_read_only(self, retries: int = 20, delay: float = 0.05,
                          config: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
        """`config`: DuckDB settings, e.g. {"memory_limit": "1GB", "threads": "2"}, SET after connecting (DuckDB
        refuses a second connection to a file open in this process with a different configuration)."""
        if not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}: run `python -m etl init` or `python -m etl demo`")
        last: Exception | None = None
        for _ in range(retries):
            try:
                con = duckdb.connect(str(self.path), read_only=True)
                for name, value in (config or {}).items():
                    con.execute(f"SET GLOBAL {name} = ?", [str(value)])
                load_spatial(con)
                return con
            except duckdb.IOException as exc:  # a swap in progress, or a legacy writer holding the file
                last = exc
                time.sleep(delay)
        raise WarehouseError(f"could not open {self.path} for reading: {last}")

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Serialise writers; a second analyst's load waits rather than losing the first one's work."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a connection to a private copy; swap it in only if the block succeeds, else delete it."""
        with self.writer_lock():
            self._remove_stale_copies()
            staged = self.path.with_name(f"{self.path.name}{_COPY_SUFFIX}{os.getpid()}")
            self._start_copy(staged)
            try:
                con = duckdb.connect(str(staged))
            except duckdb.Error as exc:   # said of the warehouse, not of our private copy, which goes
                _remove_quietly(staged)
                raise WarehouseError(f"the warehouse {self.path} can't be opened: it is not a DuckDB database, or "
                                     f"it is damaged ({str(exc).replace(str(staged), str(self.path))}). Restore "
                                     "it from a backup, or load into a new file with --db") from exc
            try:
                limit = etl_memory_limit()
                if limit:
                    # Over it, DuckDB spills to `<copy>.tmp/` instead of growing (its default is 80% of RAM).
                    con.execute("SET memory_limit = ?", [limit])
                load_spatial(con)
                yield con
                con.execute("CHECKPOINT")
                con.close()
                _fsync(staged)
                os.chmod(staged, 0o600)
                os.replace(staged, self.path)
                fsync_folder(self.path)
            except BaseException:
                with contextlib.suppress(Exception):
                    con.close()
                _remove_quietly(staged)
                raise

    def _start_copy(self, staged: Path) -> None:
        """What a write starts from: a copy of the warehouse, or nothing when there is none yet (the write's
        `etl.loading.prepare` makes the schema). One seam, so the tests can start new warehouses from one migrated
        once (tests/conftest.py)."""
        if self.path.exists():
            shutil.copyfile(self.path, staged)

    def _remove_stale_copies(self) -> None:
        """Copies left by a killed writer are never swapped in; they are only garbage. So are the rejects another
        writer saved for the record of its failed load (etl/loading.py KeptRejects) and never recorded: killed,
        or overtaken. They hold a file's raw rows, which no folder should keep unseen."""
        for leftover in _copies_of(self.path):
            _remove_quietly(leftover)
        ours = f"{self.path.name}{REJECTS_SUFFIX}{os.getpid()}-"
        for leftover in self.path.parent.glob(self.path.name + REJECTS_SUFFIX + "*"):
            if not leftover.name.startswith(ours) and leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _lock_of(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _copies_of(path: Path) -> list[Path]:
    """Writers' private copies of the warehouse at `path`, and what DuckDB keeps beside them (`.wal`, `.tmp/`)."""
    return list(path.parent.glob(path.name + _COPY_SUFFIX + "*"))


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def _held(lock: Path) -> bool:
    """True when another process holds the writers' lock; False when it is free or absent."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    """A copy and what DuckDB keeps beside it: its WAL, and the folder it spills to (`<copy>.tmp/`), which
    a writer killed in a big load leaves behind."""
    for p in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".tmp")):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


def fsync_folder(path: Path) -> None:
    """Make a rename of `path` durable: fsync the folder that holds it."""
    _fsync(Path(path).parent)


def _fsync(path: Path) -> None:
    """Make the rename durable: a power cut must not leave a half-written warehouse."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

