"""The dashboard as a real server for browser tests: started on a free localhost port, stopped afterwards."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_app(env: dict, *extra_args: str, port: int | None = None, output=subprocess.PIPE,
                  wait: float = 60) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run dashboard/app.py` with `env`; yields (base URL, process) once the port answers.

    A real server prefetches the default view as in production (dashboard/prefetch.py), unless `env` says
    HOTSPOTS_SERVER_PREFETCH=0; in-process tests run with it off (tests/conftest.py)."""
    port = port or free_port()
    env = {**env, "HOTSPOTS_PREFETCH": env.get("HOTSPOTS_SERVER_PREFETCH", "1")}
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    proc = subprocess.Popen(
        [streamlit, "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra_args],
        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
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

