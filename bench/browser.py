"""Rows 3b and 5b: the whole map page drawn in Chromium, and the dashboard server's memory.

`streamlit run dashboard/app.py` is started on a free port in 8600-8699 with HOTSPOTS_DB pointing
at the warehouse and HOTSPOTS_TILES=none (no OpenStreetMap tiles: offline, and tile bytes are
not the map's). Each page load gets a fresh browser context (empty cache) and is timed from
the "Sign in" click (every new session signs in first; the bench uses its own viewer account in
its own account store) until the map's iframe holds Leaflet paths (the hexagons). Bytes received
are the HTTP bodies (as transferred, and decoded) plus the WebSocket frames Streamlit sends the
page and its data through. The server is restarted for every cold load, so its query cache is empty;
the warm loads that follow reuse it. The server's peak RSS (VmHWM) is read after its loads.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    CHROMIUM, MB, ROOT, env_for_children, fmt_bytes, fmt_seconds, Row, Runs, say, Section, spread, status_kb,
    verdict
)

TARGET_SECONDS = 5.0
TARGET_MEMORY_KB = 2 * 1024 * 1024
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
LEAFLET_PATHS = "path.leaflet-interactive"
USER = "bench"


def free_port(low: int = 8600, high: int = 8700) -> int:
    for port in range(low, high):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high - 1}")


def bench_account(work: Path) -> tuple[dict[str, str], tuple[str, str] | None]:
    """A viewer account in a bench-only account store, if the dashboard has sign-in (access/store.py)."""
    try:
        from access.store import Store
    except ImportError:
        return {}, None
    path = work / "bench-accounts.db"
    for old in work.glob("bench-accounts.db*"):
        old.unlink()
    password = secrets.token_urlsafe(18)
    Store(path).add(USER, "viewer", password)
    return {"HOTSPOTS_ACCOUNTS": str(path)}, (USER, password)


@contextlib.contextmanager
def dashboard(db: Path, log_file: Path, env: dict[str, str], timeout: float = 120):
    """A Streamlit server for `db`; yields (pid, url). Stopped (by its own pid) afterwards."""
    port = free_port()
    streamlit = str(Path(sys.executable).with_name("streamlit"))
    with open(log_file, "a") as log:
        server = subprocess.Popen(
            [streamlit, "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env_for_children(HOTSPOTS_DB=str(db), HOTSPOTS_TILES="none", **env), stdout=log,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"streamlit exited with {server.returncode}; see {log_file}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not listen on port {port} within {timeout:.0f} s; see {log_file}")
            time.sleep(0.2)
        yield server.pid, f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def load_page(browser, url: str, timeout_s: float, account: tuple[str, str] | None) -> dict:
    """One page load in a fresh context: seconds from "Sign in" (or navigation, without sign-in) until
    Leaflet paths are drawn, and every byte received since navigation."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    responses, ws_bytes = [], [0]

    def on_websocket(ws):
        ws.on("framereceived", lambda payload: ws_bytes.__setitem__(0, ws_bytes[0] + len(payload)))

    page.on("response", lambda response: responses.append(response))
    page.on("websocket", on_websocket)
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        if account:
            button = page.get_by_role("button", name="Sign in")
            button.wait_for(timeout=timeout_s * 1000)
            page.get_by_label("User name").fill(account[0])
            page.get_by_label("Password", exact=True).fill(account[1])
            start = time.perf_counter()
            button.click()
        frame = page.wait_for_selector(MAP_IFRAME, timeout=timeout_s * 1000).content_frame()
        frame.wait_for_selector(LEAFLET_PATHS, state="attached", timeout=timeout_s * 1000)
        seconds = time.perf_counter() - start
        paths = frame.evaluate(f"() => document.querySelectorAll('{LEAFLET_PATHS}').length")
        page.wait_for_timeout(500)   # let late frames and asset responses land before counting
        decoded = transferred = 0
        outside = set()
        for r in responses:
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")):
                outside.add(r.url)
            with contextlib.suppress(Exception):
                decoded += len(r.body())
            with contextlib.suppress(Exception):
                sizes = r.request.sizes()
                transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return {"seconds": seconds, "http_decoded": decoded, "http_transferred": transferred,
                "websocket": ws_bytes[0], "responses": len(responses), "paths": paths, "outside": sorted(outside)}
    finally:
        context.close()


def measure(db: Path, scale: str, servers: int, warm_per_server: int, work: Path, log=say,
            timeout_s: float = 300) -> Section:
    sec = Section()
    if not os.path.exists(CHROMIUM):
        sec.rows.append(Row("3. Map page in Chromium", f"not measured: {CHROMIUM} is missing", scale, "–"))
        return sec
    from playwright.sync_api import sync_playwright

    cold, warm, memory = Runs(), Runs(), Runs()
    loads: list[dict] = []
    log_file = work / f"streamlit_{scale}.log"
    log_file.unlink(missing_ok=True)
    env, account = bench_account(work)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for i in range(servers):
                with dashboard(db, log_file, env) as (pid, url):
                    for j in range(1 + warm_per_server):
                        result = load_page(browser, url, timeout_s, account)
                        result["cold"] = j == 0
                        loads.append(result)
                        (cold if j == 0 else warm).add(result["seconds"])
                        log(f"  server {i + 1}/{servers}, {'cold' if j == 0 else 'warm'} load: "
                            f"{fmt_seconds(result['seconds'])}, {result['paths']:,} Leaflet paths, "
                            f"{fmt_bytes(result['http_transferred'] + result['websocket'])} received")
                    memory.add((status_kb("VmHWM", pid) or 0) * 1024)
        finally:
            browser.close()
    received = Runs([r["http_transferred"] + r["websocket"] for r in loads])
    ws = Runs([r["websocket"] for r in loads])
    http = Runs([r["http_transferred"] for r in loads])
    decoded = Runs([r["http_decoded"] for r in loads])
    sec.rows += [
        Row("3. Map page in Chromium", "whole map page, cold (fresh server: empty query cache): "
                                       "“Sign in” click → hexagons drawn",
            scale, fmt_seconds(cold.median), spread(cold, fmt_seconds), runs=str(cold.n), target=f"≤ {TARGET_SECONDS:g} s",
            met=verdict(cold.median <= TARGET_SECONDS)),
    ]
    if warm.n:
        sec.rows.append(Row("3. Map page in Chromium", "whole map page, warm (server cache filled, browser cache empty)",
                            scale, fmt_seconds(warm.median), spread(warm, fmt_seconds), runs=str(warm.n),
                            target=f"≤ {TARGET_SECONDS:g} s", met=verdict(warm.median <= TARGET_SECONDS)))
    sec.rows += [
        Row("3. Map page in Chromium", "bytes received for the page: HTTP (as transferred) + WebSocket frames", scale,
            fmt_bytes(received.median), spread(received, fmt_bytes), runs=str(received.n)),
        Row("3. Map page in Chromium", "… of which WebSocket frames (Streamlit's page data, the map's HTML among it)",
            scale, fmt_bytes(ws.median), spread(ws, fmt_bytes), runs=str(ws.n), target="≤ 2 MB",
            met=verdict(ws.median <= 2 * MB)),
        Row("5. Memory", "dashboard server peak RSS (VmHWM) after drawing the map page", scale,
            fmt_bytes(memory.median), spread(memory, fmt_bytes), runs=str(memory.n), target="≤ 2 GB",
            met=verdict(memory.median <= TARGET_MEMORY_KB * 1024)),
    ]
    outside = sorted({u for r in loads for u in r["outside"]})
    sec.notes.append(
        f"Chromium at {scale} scale: HTTP bodies {fmt_bytes(http.median)} as transferred ({fmt_bytes(decoded.median)} "
        f"decoded: Streamlit's own JavaScript is most of it and the same at any scale), WebSocket "
        f"{fmt_bytes(ws.median)}; {len(outside)} request(s) left localhost.")
    sec.data[f"browser_{scale}"] = {"loads": loads, "server_vmhwm_bytes": memory.values}
    return sec
