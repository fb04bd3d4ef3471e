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
