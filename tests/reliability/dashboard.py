"""The dashboard on a workspace, in a real pseudo-terminal: it must paint, load, and quit on
`q` (no traceback on screen, no hang), with its peak memory measured."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from tests.reliability.scenarios import HANG, env

COLS, ROWS = 160, 48


def _read(fd: int, buf: bytearray, until: float, want: bytes | None) -> bool:
    """Read what the app wrote until `want` shows up (True) or the time is up (False)."""
    while time.monotonic() < until:
        r, _w, _x = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return False
            if not chunk:
                return False
            buf.extend(chunk)
            if want is not None and want in buf:
                return True
    return False


def run_dashboard(root: Path, ready_text: bytes = b"Blockers (") -> dict[str, Any]:
    """`kiro-tui -C ROOT` in a pty: wait for the blockers pane's count (the first snapshot
        arrived, or 2 x HANG seconds passed), press `q`, wait for the exit: a dashboard still running
    HANG seconds after `q` is a hang."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    e = env()
    e.update({"TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)})
    p = subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(root)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=e,
        start_new_session=True,
    )
    os.close(slave)
    buf = bytearray()
    t0 = time.monotonic()
    ready = _read(master, buf, t0 + 2 * HANG, ready_text)  # loading may take long: q quits
    ready_s = time.monotonic() - t0
    os.write(master, b"q")
    t1 = time.monotonic()
    pid, status, usage = 0, 0, None
    while time.monotonic() - t1 < HANG:
        _read(master, buf, time.monotonic() + 0.1, None)
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
    hang = not pid
    if hang:
        os.killpg(p.pid, signal.SIGKILL)
        pid, status, usage = os.wait4(p.pid, 0)
    quit_s = time.monotonic() - t1
    os.close(master)
    text = bytes(buf)
    return {
        "ready": ready,
        "hang": hang,  # `q` did not end it within HANG seconds
        "rc": os.waitstatus_to_exitcode(status),
        "traceback": b"Traceback" in text or b"internal error" in text,
        "secret_shown": b"TOP-SECRET" in text,
        "ready_s": round(ready_s, 2),
        "quit_s": round(quit_s, 2),
        "peak_kb": usage.ru_maxrss if usage is not None else 0,
        "tail": text[-300:].decode("utf-8", "replace"),
    }
