"""Agent runs (issue 9): start/stop cycles with zero orphans, spawn-to-first-log-line overhead
against spawning `true`, and lines per second from the agent to raw.jsonl; then the whole
driver (`kiro-tui run` as a subprocess, the fake agent as `claude`, see `bench_runs_driver`):
driver start to the first run log line, lines per second agent -> execution.jsonl, and the
driver's RSS with 4 concurrent runs against the same driver with none.

    python bench/bench_runs.py [--cycles 100] [--samples 20] [--lines 10000] [--no-driver]

Prints min / median / max; asserts nothing about time (orphans are counted and reported).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiro_tui.core.runs import records
from kiro_tui.core.runs.notices import RunEvent
from kiro_tui.core.runs.supervisor import RunManager
from tests.unit.test_runs_support import (
    agent_env,
    alive,
    make_milestone,
    make_repo,
    recorded_pids,
    settings,
)


def row(name: str, values: list[float], unit: str) -> None:
    values = sorted(values)
    print(
        f"{name:<42} min {values[0]:9.2f}  median {statistics.median(values):9.2f}  "
        f"max {values[-1]:9.2f} {unit}  (n={len(values)})"
    )


def cycles(base: Path, n: int) -> None:
    root = make_repo(base / "cycles")
    env = agent_env(base / "cycles", "spawn_child", child_then="hang")
    mgr = RunManager(root, settings(stop={"interrupt": 0.1, "terminate": 0.1}), environ=env)
    ms = make_milestone()
    started = threading.Event()

    def on_event(ev: RunEvent) -> None:
        if ev.kind == "agent_text" and "helper" in ev.message:
            started.set()  # the agent and its child that ignores SIGTERM both run

    mgr._on_event = on_event
    times: list[float] = []
    orphans = 0
    for _ in range(n):
        started.clear()
        rid = mgr.start(ms, ms.tasks[0], "design")
        started.wait(10)
        t0 = time.perf_counter()
        mgr.stop(rid, "user", wait=True, timeout=20)
        times.append((time.perf_counter() - t0) * 1000)
        rec = records.read(root, rid)
        if rec and rec.pgid:
            try:
                os.killpg(rec.pgid, 0)
                orphans += 1
            except ProcessLookupError:
                pass
    left = [p for p in recorded_pids(base / "cycles") if alive(p)]
    row(f"{n} start/stop cycles: stop time", times, "ms")
    print(
        f"{'':<42} orphaned groups {orphans}, recorded pids still alive {len(left)} "
        f"(of {len(recorded_pids(base / 'cycles'))})"
    )


def overhead(base: Path, samples: int) -> None:
    true_ms = []
    for _ in range(samples):
        t0 = time.perf_counter()
        subprocess.run(["true"], check=True)
        true_ms.append((time.perf_counter() - t0) * 1000)
    row("spawn `true` to exit", true_ms, "ms")
    root = make_repo(base / "overhead")
    script = base / "overhead" / "hello.py"
    script.write_text("print('hello', flush=True)\n")
    first = threading.Event()
    marks: dict[str, float] = {}

    def on_event(ev: RunEvent) -> None:
        if ev.kind == "agent_text" and "first" not in marks:
            marks["first"] = time.perf_counter()
            first.set()

    env = agent_env(base / "overhead", "ok")
    mgr = RunManager(
        root,
        settings(presets={"hello": {"argv": ["/bin/echo", "hello"]}}, agent="hello"),
        on_event=on_event,
        environ=env,
    )
    ms = make_milestone()
    run_ms = []
    for _ in range(samples):
        marks.clear()
        first.clear()
        t0 = time.perf_counter()
        rid = mgr.start(ms, ms.tasks[0], "design")
        first.wait(10)
        run_ms.append((marks["first"] - t0) * 1000)
        mgr.wait(rid, 10)
    row("start() to first parsed line (echo)", run_ms, "ms")
    mgr2 = RunManager(root, settings(), on_event=on_event, environ=env)
    fake_ms = []
    for _ in range(max(3, samples // 4)):
        marks.clear()
        first.clear()
        t0 = time.perf_counter()
        rid = mgr2.start(ms, ms.tasks[0], "design")
        first.wait(10)
        fake_ms.append((marks["first"] - t0) * 1000)
        mgr2.wait(rid, 10)
    row("start() to first line (fake claude, python)", fake_ms, "ms")


def throughput(base: Path, lines: int, samples: int) -> None:
    root = make_repo(base / "lines")
    env = agent_env(base / "lines", "burst", lines=str(lines))
    mgr = RunManager(root, settings(), environ=env)
    ms = make_milestone()
    rates = []
    for _ in range(samples):
        t0 = time.perf_counter()
        rid = mgr.start(ms, ms.tasks[0], "design")
        out = mgr.wait(rid, 120)
        dt = time.perf_counter() - t0
        rec = records.read(root, rid)
        assert out is not None and rec is not None and rec.lines >= lines, (out, rec)
        rates.append(rec.lines / dt)
    row(f"{lines} lines agent -> raw.jsonl (+parse)", rates, "lines/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--lines", type=int, default=10000)
    ap.add_argument("--no-driver", action="store_true", help="only the engine's rows")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        os.environ.setdefault("XDG_STATE_HOME", str(base / "state"))
        overhead(base, args.samples)
        throughput(base, args.lines, 5)
        cycles(base, args.cycles)
        if not args.no_driver:
            import bench_runs_driver

            bench_runs_driver.run_all(base, args.lines, max(3, args.samples // 4))


if __name__ == "__main__":
    main()
