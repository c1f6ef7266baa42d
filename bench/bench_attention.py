"""Bench: how soon the dashboard tells you about a gate that appears in another process.

    python bench/bench_attention.py [--runs 10] [--keep]

The real dashboard (`python -m kiro_tui`) runs in a pty on a copy of the seed fixture, watching
the files. Each run, another process makes task-002's design `waiting_approval` with one
atomic write of the milestone file (temp file + rename, as yq would; a new `completed_at` each
run, so each is a new inbox item). Measured from the rename (the file's ctime) to the arrival,
in the terminal's output, of the OSC 9 notification naming it, and of the header's new count.
Between runs the file is put back and the header's count is waited for. Target (issue 12,
"being told"): well under a second, like `kiro-tui wait` (bench_wait.py).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from bench_wait import WRITE, prepare

HERE = Path(__file__).resolve().parent


class Term:
    """The dashboard in a pty; its output with the wall-clock time each chunk arrived."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.buf = b""
        self.arrivals: list[tuple[int, int]] = []  # (end offset, time.time_ns())
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            now = time.time_ns()
            with self.cond:
                self.buf += data
                self.arrivals.append((len(self.buf), now))
                self.cond.notify_all()

    def wait_for(self, needle: bytes, since: int = 0, timeout: float = 30.0) -> int:
        """The wall-clock ns at which `needle` (after byte `since`) had fully arrived."""
        end = time.monotonic() + timeout
        with self.cond:
            while (at := self.buf.find(needle, since)) < 0:
                left = end - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"bench_attention: {needle!r} never arrived")
                self.cond.wait(left)
            last = at + len(needle)
            return next(t for off, t in self.arrivals if off >= last)

    def mark(self) -> int:
        with self.cond:
            return len(self.buf)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


def row(name: str, values: list[float]) -> str:
    return f"{name:<30} {min(values):>8.1f} {statistics.median(values):>8.1f} {max(values):>8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-attention-"))
    for var, sub in (("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        os.environ[var] = str(base / sub)
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")  # defaults: every channel on
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    root, path, running, waiting = prepare(base)
    marker = "completed_at: null\n          approved_at: null\n          approval_required: true\n"
    marker += '          deliverables: ["root_cause'
    assert waiting.count(marker) == 1, "the seed changed: task-002's design has no completed_at"
    osc: list[float] = []
    header: list[float] = []
    back = base / "running.yaml"
    back.write_text(running, encoding="utf-8")
    term = Term([sys.executable, "-m", "kiro_tui", "-C", str(root)], env)
    try:
        term.wait_for(b"1 needs you", timeout=60)
        for n in range(args.runs):
            stamp = (
                f'completed_at: "2026-11-23T10:00:{n:02d}Z"' + marker[len("completed_at: null") :]
            )
            text = base / "waiting.yaml"
            text.write_text(waiting.replace(marker, stamp), encoding="utf-8")
            mark = term.mark()
            subprocess.run([sys.executable, "-c", WRITE, str(path), str(text)], check=True, env=env)
            ctime = path.stat().st_ctime_ns
            osc.append(
                (term.wait_for(b"\x1b]9;milestone-001 > task-002 > design", mark) - ctime) / 1e6
            )
            header.append((term.wait_for(b"2 need you", mark) - ctime) / 1e6)
            mark = term.mark()
            subprocess.run([sys.executable, "-c", WRITE, str(path), str(back)], check=True, env=env)
            term.wait_for(b"1 needs you", mark)
    finally:
        term.close()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"bench_attention: {args.runs} runs, ms from the gate's write (target: well under 1000)")
    print(f"{'':<30} {'min':>8} {'median':>8} {'max':>8}")
    print(row("OSC 9 in the terminal", osc))
    print(row("header count on screen", header))
    if args.keep:
        print(f"kept {base}")


if __name__ == "__main__":
    main()
