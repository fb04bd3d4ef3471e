"""The dashboard as a real server for browser tests: started on a free localhost port, stopped afterwards."""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]
DEMO_BANNER = "SYNTHETIC DEMO DATA"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_app(env: dict, *extra_args: str, port: int | None = None, output=subprocess.PIPE,
                  wait: float = 60, cwd: Path = ROOT) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run dashboard/app.py` with `env`; yields (base URL, process) once the port answers.

    A real server prefetches the default view as in production (dashboard/prefetch.py), unless `env` says
    HOTSPOTS_SERVER_PREFETCH=0; in-process tests run with it off (tests/conftest.py). `cwd` other than the
    repository starts it as a service unit might, without .streamlit/config.toml."""
    port = port or free_port()
    env = {**env, "HOTSPOTS_PREFETCH": env.get("HOTSPOTS_SERVER_PREFETCH", "1")}
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    proc = subprocess.Popen(
        [streamlit, "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra_args],
        cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else "streamlit exited"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def demo_warehouse(tmp_path_factory, name: str, *, seed: int, key: str) -> Path:
    """A copy of the demo warehouse of `seed`, built with pseudonymisation `key`, in a new folder `name`.

    A build takes 15-30 s, so each seed and key is built once per session (under pytest's base temp folder, as
    tests/analysis_fixtures.py's demo_db) and every module gets a copy of its own: a module may load into its
    warehouse, and writes accounts and visits beside it. Give the server the same `key` (dashboard_env): the
    warehouse's pseudonyms were made with it."""
    built = built_demo(tmp_path_factory, seed, key)
    db = tmp_path_factory.mktemp(name) / built.name
    shutil.copyfile(built, db)
    return db


def built_demo(tmp_path_factory, seed: int, key: str) -> Path:
    """The session's one build of this seed and key: only ever copied, or read (tests/analysis_fixtures.py's
    demo_db), never served, so no module's writes reach it. build_demo swaps the file in whole, so a build that failed halfway leaves none to be taken as done."""
    from etl.admin import build_demo

    tag = hashlib.sha256(key.encode()).hexdigest()[:8]     # two keys never share a build
    folder = tmp_path_factory.getbasetemp() / f"browser-demo-{seed}-{tag}"
    db = folder / "demo.duckdb"
    if not db.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HOTSPOTS_PSEUDONYM_KEY", key)
            mp.setenv("HOTSPOTS_KEY_FILE", str(folder / "never-written.key"))
            build_demo(db, seed=seed, out=folder / "files")
    return db


def dashboard_env(db: Path, key: str, account: tuple[str, str, str] | None = None, **settings: str | None) -> dict:
    """The server's environment: warehouse `db` and its `key`, with the accounts, visit records and key file beside
    it, so no test reaches the developer's own; no base map tiles unless `settings` say so (a setting of None
    takes the variable away). `account` (name, role, password) is added to the accounts file the server reads,
    as every page sits behind the sign-in form."""
    folder = db.parent
    env = {**os.environ, "HOTSPOTS_PSEUDONYM_KEY": key, "HOTSPOTS_DB": str(db),
           "HOTSPOTS_ACCOUNTS": str(folder / "accounts.db"), "HOTSPOTS_OPERATIONS": str(folder / "operations.db"),
           "HOTSPOTS_KEY_FILE": str(folder / "pseudonym.key"), "HOTSPOTS_TILES": "none"}
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    if account:
        from access.store import Store

        Store(env["HOTSPOTS_ACCOUNTS"]).add(*account)
    return env


def sign_in(page, url: str, user: str, password: str, *, banner: str | None = DEMO_BANNER,
            state: str = "attached") -> None:
    """Open `url` and sign in: the sign-in form comes first at every address (under the demo's banner, on a demo
    warehouse), then the page the address names."""
    page.goto(url, timeout=60_000)
    if banner:
        page.get_by_text(banner, exact=False).first.wait_for(timeout=60_000)
    submit_sign_in(page, user, password, state=state)


def submit_sign_in(page, user: str, password: str, *, state: str = "attached") -> None:
    """Fill in the sign-in form on the page and wait until it says who is signed in. That line is in the sidebar,
    folded away on a phone: `state="visible"` only where the sidebar shows."""
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {user}", exact=False).first.wait_for(state=state, timeout=90_000)


VISIT_ROW_HEIGHT = 112   # the visit list's row_height (dashboard/views/visits.py; tests/test_dashboard_app.py checks)
GRID_HEADER_HEIGHT = 35


def visit_row_y(box: dict, row: int) -> float:
    """The middle of visit-list row `row` (from 0), in a grid whose bounding box is `box`."""
    return box["y"] + GRID_HEADER_HEIGHT + VISIT_ROW_HEIGHT / 2 + row * VISIT_ROW_HEIGHT


def tick_visit_rows(page, rows) -> None:
    """Tick visit-list rows with the mouse, in the grid's row-selection column (left of the rank)."""
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    box = grid.bounding_box()
    for row in rows:
        page.mouse.click(box["x"] + 14, visit_row_y(box, row))
        page.wait_for_timeout(800)


def downloaded_lines(page, button, path: Path) -> list[str]:
    """Click a download button, save what the browser receives at `path`, and return its lines (UTF-8, BOM or not)."""
    with page.expect_download() as info:
        button.click()
    info.value.save_as(path)
    return path.read_text(encoding="utf-8-sig").strip().splitlines()


def choose_option(page, box: str, option: str, attempts: int = 4) -> None:
    """Open the select box labelled `box` and pick `option` (its exact text). A rerun of the page (a fragment, a
    widget settling) can close the list just opened, which left the option never shown: open it again."""
    combobox = page.get_by_role("combobox", name=box)
    combobox.wait_for(timeout=60_000)
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(attempts):
        combobox.click()
        try:
            choice.wait_for(timeout=10_000)
            break
        except Exception:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
    choice.click()

