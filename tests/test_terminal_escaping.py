"""What `python -m etl load` prints about a partner's file reaches the analyst's terminal as text: an escape
sequence, carriage return or backspace in a cell, header, file or zip member name is shown escaped (ESC as
\\x1b), never sent raw, while letters such as Š, ș, é and £ are shown as they are.

Each command runs as the analyst runs it, in a subprocess: once with its output piped, and once on a
pseudo-terminal, where click would pass escape sequences that it strips from a pipe."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
import tty
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = [b"\x1b", b"\x07", b"\x08", b"\r", b"\x9b"]     # ESC, BEL, backspace, carriage return, CSI (C1)
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x08\x08 \u009b1A"    # retitle the window, clear the screen, back up, C1 CSI
LETTERS = "Šarūnas Ștefan café £50"


def _piped(*args: str) -> tuple[int, bytes]:
    run = subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, timeout=300)
    return run.returncode, run.stdout + run.stderr


def _on_a_terminal(*args: str) -> tuple[int, bytes]:
    """Standard output and error on a pseudo-terminal in raw mode (no CR added to line ends, so every byte
    read is the command's own)."""
    leader, follower = pty.openpty()
    tty.setraw(follower)
    proc = subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:        # the command has ended and closed the terminal (EIO)
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    return proc.wait(timeout=300), out


@pytest.fixture(params=[_piped, _on_a_terminal], ids=["piped", "terminal"])
def etl(request):
    return request.param


def _assert_shown_escaped(out: bytes, *escaped: str) -> str:
    for raw in RAW:
        assert raw not in out, (raw, out)
    text = out.decode("utf-8")
    for expected in escaped:
        assert expected in text, (expected, text)
    return text


def test_a_rejected_visit_quotes_its_cell_escaped(etl, tmp_path):
    f = tmp_path / "visits.csv"
    f.write_text(f"Visit Date,Address,Outcome\n2024-01-05,1 High St PE13 1AB,{LETTERS} {HOSTILE}\n", encoding="utf-8")
    code, out = etl("load", "visits", str(f), "--db", str(tmp_path / "w.duckdb"))
    assert code == 0, out
    _assert_shown_escaped(out, f"outcome '{LETTERS} \\x1b]0;owned\\x07\\x1b[2J\\x08\\x08 \\x9b1A' is not one of")


def test_an_error_quotes_zip_member_names_escaped(etl, tmp_path):
    f = tmp_path / "districts.zip"
    with zipfile.ZipFile(f, "w") as zf:
        for name in ("a\x1b]0;owned\x07.geojson", "b\r\x08\x1b[2K.geojson"):
            zf.writestr(name, '{"type": "FeatureCollection", "features": []}')
    code, out = etl("load", "boundaries", str(f), "--db", str(tmp_path / "w.duckdb"))
    assert code == 2, out
    _assert_shown_escaped(out, "error: districts.zip: the zip holds several boundary files "
                               "(a\\x1b]0;owned\\x07.geojson, b\\r\\x08\\x1b[2K.geojson)")


def test_the_summary_names_a_file_escaped(etl, tmp_path):
    f = tmp_path / f"{LETTERS} \x1b[1A\x1b[2K.csv"
    f.write_text("Licence Number,Address\nL1,1 High St PE13 1AB\n", encoding="utf-8")
    code, out = etl("load", "hmo", str(f), "--db", str(tmp_path / "w.duckdb"))
    assert code == 0, out
    text = _assert_shown_escaped(out, f"Loaded hmo from {LETTERS} \\x1b[1A\\x1b[2K.csv (source: {LETTERS} \\x1b[1A")
    assert "rejected 0" in text
