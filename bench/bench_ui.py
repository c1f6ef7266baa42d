"""Dashboard speed, measured in a real pseudo-terminal (what a person sees), in one run.

    /work/venv/bin/python bench/bench_ui.py [--quick]

1. cold start to first paint: `kiro-tui` on the demo workspace vs a minimal Textual app
2. 500 milestones x 20 tasks: first paint, tree filled, and a key answered while loading
3. an external change (a task title written to the YAML) until it is on screen (median)
4. a 1 GB log: its last line on screen, and the process's RSS against the same workspace without
   it (the file is made in /tmp and deleted afterwards)
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

PY = sys.executable
COLS, ROWS = 120, 40
CACHE = Path(tempfile.gettempdir()) / "kiro-bench-cache"

MINIMAL = """
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("MINIMAL-READY")
Minimal().run()
"""


class Term:
    """A process in a pty; collects its output with arrival times."""

    def __init__(self, argv: list[str], cwd: str | None = None) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        # as installed (pip writes bytecode): with PYTHONDONTWRITEBYTECODE=1, as on this
        # machine, every child would compile every module it imports, a cost no user pays
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("TEXTUAL", None)
        env.setdefault("XDG_CACHE_HOME", str(CACHE))
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True
        )
        os.close(slave)
        self.buf = b""
        self.arrivals: list[tuple[int, float]] = []  # (end offset of a chunk, arrival time)
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            now = time.perf_counter()
            with self.cond:
                self.buf += data
                self.arrivals.append((len(self.buf), now))
                self.cond.notify_all()

    def mark(self) -> int:
        with self.lock:
            return len(self.buf)

    def wait_for(self, needle: str, since: int = 0, timeout: float = 30.0) -> float:
        """Seconds from spawn until `needle` arrived in the output (after byte `since`)."""
        raw = needle.encode()
        end = time.perf_counter() + timeout
        with self.cond:
            while (at := self.buf.find(raw, since)) < 0:
                left = end - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"{needle!r} not seen")
                self.cond.wait(left)
            last = at + len(raw)
            when = next(t for off, t in self.arrivals if off >= last)
        return when - self.t0

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def rss_mb(self) -> float:
        # the app is the child python process (kiro-tui's entry point runs in-process)
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def close(self) -> None:
        if self.proc.poll() is None:
            with_suppress(lambda: os.killpg(self.proc.pid, signal.SIGTERM))
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with_suppress(lambda: os.killpg(self.proc.pid, signal.SIGKILL))
                self.proc.wait()
        with_suppress(lambda: os.close(self.master))


def with_suppress(fn) -> None:  # type: ignore[no-untyped-def]
    try:
        fn()
    except OSError:
        pass


def kiro(root: Path) -> list[str]:
    return [PY, "-m", "kiro_tui", "-C", str(root)]


def first_paint(argv: list[str], needle: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = Term(argv)
        try:
            times.append(t.wait_for(needle))
        finally:
            t.close()
    return statistics.median(times)


def make_big_workspace(root: Path, milestones: int, tasks: int) -> None:
    from kiro_tui.core.service import Workspace

    Workspace.init(root)
    phase = """        {name}:
          status: "{status}"
          approval_required: {gate}
          deliverables: ["a.md", "b.md"]
          acceptance_criteria: ["done"]
"""
    for i in range(milestones):
        out = [
            f'id: "bench-{i:04d}"',
            f'title: "Bench milestone {i}"',
            f'status: "{"in_progress" if i % 3 else "planned"}"',
            "tasks:",
        ]
        for j in range(tasks):
            out.append(
                f'  - id: "task-{j:03d}"\n    title: "Task {j}"\n    status: "pending"'
                '\n    kiro_workflow:\n      enabled: true\n      current_phase: "design"'
                "\n      phases:"
            )
            for k, name in enumerate(("design", "spec", "task", "execute")):
                st = "approved" if k < j % 4 else "in_progress" if k == j % 4 else "pending"
                out.append(
                    phase.format(name=name, status=st, gate="true" if k < 2 else "false").rstrip(
                        "\n"
                    )
                )
        (root / ".milestones" / "active" / f"bench-{i:04d}.yaml").write_text("\n".join(out) + "\n")


def bench_cold(demo: Path, runs: int) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(MINIMAL)
    try:
        minimal = first_paint([PY, fh.name], "MINIMAL-READY", runs)
    finally:
        os.unlink(fh.name)
    app = first_paint(kiro(demo), "Milestones", runs)
    return minimal, app


def bench_big(root: Path) -> tuple[float, float, float]:
    t = Term(kiro(root))
    try:
        paint = t.wait_for("Milestones")
        m = t.mark()
        sent = time.perf_counter() - t.t0
        t.send(b"?")
        key = t.wait_for("kiro-tui keys", since=m) - sent
        t.send(b"\x1b")
        filled = t.wait_for("bench-0000", timeout=120)
        return paint, filled, key
    finally:
        t.close()


def bench_change(demo: Path, rounds: int) -> float:
    from kiro_tui.demo import DRIVEN

    path = demo / ".milestones" / "active" / f"{DRIVEN}.yaml"
    t = Term(kiro(demo))
    lat = []
    try:
        t.wait_for("task-login-api", timeout=30)
        time.sleep(1.0)
        title = "title: Login API\n"
        for i in range(rounds):
            new = f"title: Login API r{i:03d}x\n"
            text = path.read_text()
            m = t.mark()
            start = time.perf_counter() - t.t0
            tmp = path.with_name(f".{path.name}.tmp.bench")
            tmp.write_text(text.replace(title, new))
            os.replace(tmp, path)
            lat.append(t.wait_for(f"r{i:03d}x", since=m, timeout=10) - start)
            title = new
            time.sleep(0.3)
    finally:
        t.close()
    return statistics.median(lat)


def bench_big_log(demo: Path) -> tuple[float, float, float]:
    base = Term(kiro(demo))
    try:
        base.wait_for("Milestones")
        base.wait_for("execute started", timeout=20)
        time.sleep(1.5)
        rss_base = base.rss_mb()
    finally:
        base.close()
    log = demo / ".milestones" / "logs" / "huge.jsonl"
    line = (
        '{"timestamp": "2026-11-25T10:00:00Z", "event": "note", "role": "progress_monitor", '
        '"message": "' + "x" * 150 + '"}\n'
    ).encode()
    chunk = line * (8 << 20 // len(line) + 1)
    try:
        with open(log, "wb") as fh:
            written = 0
            while written < (1 << 30):
                fh.write(chunk)
                written += len(chunk)
            fh.write(
                b'{"timestamp": "2099-01-01T00:00:00Z", "event": "note", '
                b'"role": "progress_monitor", "message": "LAST-LINE-OF-HUGE"}\n'
            )
        t = Term(kiro(demo))
        try:
            shown = t.wait_for("LAST-LINE-OF-HUGE", timeout=60)
            paint = t.wait_for("Milestones")
            time.sleep(1.5)
            rss = t.rss_mb()
        finally:
            t.close()
        return shown - paint, shown, rss - rss_base
    finally:
        log.unlink(missing_ok=True)


def log_rows(demo: Path) -> list[tuple[str, str, str]]:
    after_paint, shown, rss = bench_big_log(demo)
    rows = []
    rows.append(
        (
            "1 GB log: last line on screen after first paint",
            f"{after_paint * 1000:.0f} ms",
            f"{shown * 1000:.0f} ms from spawn; target <= 200 ms",
        )
    )
    rows.append(
        ("1 GB log: RSS over the same workspace without it", f"{rss:+.1f} MB", "target < 20 MB")
    )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer runs, a smaller big workspace")
    ap.add_argument("--only", choices=["cold", "big", "change", "log"], help="run one part")
    args = ap.parse_args()
    runs = 3 if args.quick else 5
    tmp = Path(tempfile.mkdtemp(prefix="kiro-bench-"))
    rows: list[tuple[str, str, str]] = []
    try:
        from kiro_tui.demo import build

        demo = build(tmp / "demo")
        part = args.only
        if part in (None, "cold"):
            minimal, cold = bench_cold(demo, runs)
            rows.append(("minimal Textual app, first paint", f"{minimal * 1000:.0f} ms", ""))
            rows.append(
                (
                    "demo dashboard, first paint",
                    f"{cold * 1000:.0f} ms",
                    f"{cold / minimal:.2f}x (target <= 1.6x)",
                )
            )
        if part in (None, "big"):
            big = tmp / "big"
            n = 100 if args.quick else 500
            make_big_workspace(big, n, 20)
            paint, filled, key = bench_big(big)
            rows.append(
                (f"{n} x 20 tasks, first paint", f"{paint * 1000:.0f} ms", "target <= 1000 ms")
            )
            rows.append(
                (
                    f"{n} x 20 tasks, first milestones in the tree",
                    f"{filled * 1000:.0f} ms",
                    "(cold cache)",
                )
            )
            rows.append(("key answered while loading", f"{key * 1000:.0f} ms", "target <= 50 ms"))
            paint2, filled2, key2 = bench_big(big)
            rows.append(
                (
                    f"{n} x 20 tasks, warm cache: paint / tree / key",
                    f"{paint2 * 1000:.0f} / {filled2 * 1000:.0f} / {key2 * 1000:.0f} ms",
                    "",
                )
            )
        if part in (None, "change"):
            med = bench_change(demo, 8 if args.quick else 20)
            rows.append(
                ("external change on screen (median)", f"{med * 1000:.0f} ms", "target <= 150 ms")
            )
        if part in (None, "log"):
            rows.extend(log_rows(demo))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(CACHE, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>22}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>22}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
