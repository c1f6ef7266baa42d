"""Bench: how soon `wait` returns after a phase starts waiting for approval.

    python bench/bench_wait.py [--runs 10] [--keep]

A copy of the seed fixture; task-002's design is in progress with its deliverables written.
Each run starts `core.wait.wait_for_item` in a thread, and once it watches, another process
makes the phase `waiting_approval`:
  - cli:    `python -m kiro_tui -C ROOT phase complete milestone-001 task-002 design`
  - atomic: a process that writes the milestone file once (temp file + rename, as yq would)
The latency is from the rename (the file's ctime) to `wait` returning. The anchor is a bare
watchfiles watcher (same debounce 50 / step 10) on the same folder, for the same atomic write.
Target (issue 12): under 1 s. Prints min / median / max per mode.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
M1 = "milestone-001"
WRITE = (
    "import sys; from pathlib import Path; from kiro_tui.core.safewrite import "
    "atomic_write; atomic_write(Path(sys.argv[1]), Path(sys.argv[2]).read_text())"
)


def fixture() -> Path:
    for p in (
        HERE.parents[1] / "shared" / "fixtures" / "seed-basic",
        HERE.parent / "tests" / "fixtures" / "seed-basic",
    ):
        if p.is_dir():
            return p
    raise SystemExit("bench_wait: no seed-basic fixture (shared/fixtures or tests/fixtures)")


def prepare(base: Path) -> tuple[Path, Path, str, str]:
    """(root, milestone file, its text with the design in progress, and waiting)."""
    root = base / "repo"
    shutil.copytree(fixture(), root)
    folder = root / ".milestones/deliverables/task-002/design"
    for name in ("root_cause_analysis.md", "fix_approach.md", "regression_prevention.md"):
        (folder / name).write_text(f"# {name}\n\nWritten by the agent.\n", encoding="utf-8")
    path = root / ".milestones/active/milestone-001.yaml"
    running = path.read_text(encoding="utf-8")
    marker = 'status: "in_progress"\n          description: "Architecture'
    assert marker in running, "the seed changed: task-002's design is not in progress"
    waiting = running.replace(
        marker, 'status: "waiting_approval"\n          description: "Architecture', 1
    )
    return root, path, running, waiting


def ns_to_ms(ns: int) -> float:
    return ns / 1e6


def one_wait(root: Path, path: Path, trigger: Callable[[], None]) -> tuple[float, float]:
    """(ms from the rename to `wait` returning, ms `wait` took from ready to return)."""
    from kiro_tui.core.wait import wait_for_item

    ready = threading.Event()
    out: dict[str, object] = {}

    def run() -> None:
        res = wait_for_item(root, timeout=30, ready=ready)
        out["t"] = time.time_ns()
        out["res"] = res

    th = threading.Thread(target=run)
    th.start()
    if not ready.wait(30):
        raise SystemExit("bench_wait: the waiter did not start")
    t0 = time.time_ns()
    trigger()
    th.join(60)
    res = out.get("res")
    if res is None or getattr(res, "item", None) is None:
        raise SystemExit(f"bench_wait: wait ended without an item: {res}")
    t_ret = int(out["t"])  # type: ignore[call-overload]
    return ns_to_ms(t_ret - path.stat().st_ctime_ns), ns_to_ms(t_ret - t0)


def one_anchor(root: Path, path: Path, trigger: Callable[[], None]) -> float:
    from watchfiles._rust_notify import RustNotify

    stop = threading.Event()
    notify = RustNotify([str(root / ".milestones")], False, False, 300, True, True)
    out: dict[str, object] = {}

    def run() -> None:  # watching while the writer runs, as `wait` does
        out["raw"] = notify.watch(50, 10, 30_000, stop)
        out["t"] = time.time_ns()

    th = threading.Thread(target=run)
    try:
        th.start()
        trigger()
        th.join(60)
    finally:
        stop.set()
        th.join(5)
        notify.close()
    if isinstance(out.get("raw"), str) or "t" not in out:
        raise SystemExit("bench_wait: the anchor watcher saw nothing")
    return ns_to_ms(int(out["t"]) - path.stat().st_ctime_ns)  # type: ignore[call-overload]


def row(name: str, values: list[float]) -> str:
    return f"{name:<34} {min(values):>8.1f} {statistics.median(values):>8.1f} {max(values):>8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-wait-"))
    for var, sub in (
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CONFIG_HOME", "config"),
    ):
        os.environ[var] = str(base / sub)  # keep the user's own folders out of it
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    root, path, running, waiting = prepare(base)
    waiting_file = base / "waiting.yaml"
    waiting_file.write_text(waiting, encoding="utf-8")

    def reset() -> None:
        from kiro_tui.core.safewrite import atomic_write

        atomic_write(path, running)

    def by_cli() -> None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kiro_tui",
                "-C",
                str(root),
                "phase",
                "complete",
                M1,
                "task-002",
                "design",
            ],
            check=True,
            env=env,
            capture_output=True,
        )

    def by_write() -> None:
        subprocess.run(
            [sys.executable, "-c", WRITE, str(path), str(waiting_file)], check=True, env=env
        )

    results: dict[str, list[float]] = {
        "cli": [],
        "cli_total": [],
        "atomic": [],
        "atomic_total": [],
        "anchor": [],
    }
    try:
        for _ in range(args.runs):
            for mode, trig in (("cli", by_cli), ("atomic", by_write)):
                reset()
                lat, total = one_wait(root, path, trig)
                results[mode].append(lat)
                results[f"{mode}_total"].append(total)
            reset()
            results["anchor"].append(one_anchor(root, path, by_write))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"bench_wait: {args.runs} runs, ms (target: wait returns < 1000 ms after the gate)")
    print(f"{'':<34} {'min':>8} {'median':>8} {'max':>8}")
    print(row("wait, gate by `phase complete`", results["cli"]))
    print(row("wait, gate by an atomic write", results["atomic"]))
    print(row("anchor: bare watchfiles, same write", results["anchor"]))
    print(row("(cli: writer start to return)", results["cli_total"]))
    print(row("(atomic: writer start to return)", results["atomic_total"]))
    if args.keep:
        print(f"kept {base}")


if __name__ == "__main__":
    main()
