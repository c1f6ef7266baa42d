"""The driver with agents (issue 9), measured from outside: `kiro-tui run` as a subprocess on a
fresh workspace, the fake agent installed as `claude` on PATH, the user config in a temporary
XDG folder. Called by `bench_runs.py` (or alone: `python bench/bench_runs_driver.py`).

Rows: driver start to the first `run_started` and `tool_call` lines in the session's
execution.jsonl; a 10,000-line agent: lines per second into raw.jsonl and the role log lines it
caused; the driver's RSS (VmRSS) with 4 concurrent runs against the same driver with no run.
Prints figures; asserts nothing about time."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruamel.yaml import YAML

from kiro_tui.core.runs import records
from kiro_tui.core.service import Workspace
from kiro_tui.demo import fake_agent

FAST: dict[str, Any] = {
    "timeouts": {"idle": 60, "after_result": 5},
    "stop": {"interrupt": 0.5, "terminate": 0.5},
    "env": {"pass": ["FAKE_AGENT_*"]},
}


def row(name: str, values: list[float], unit: str) -> None:
    values = sorted(values)
    print(
        f"{name:<42} min {values[0]:9.2f}  median {statistics.median(values):9.2f}  "
        f"max {values[-1]:9.2f} {unit}  (n={len(values)})"
    )


def workspace(base: Path, tasks: int, executor: bool, **env: str) -> tuple[Path, dict[str, str]]:
    root = base / "repo"
    Workspace.init(root)
    if executor:
        cfg = root / ".milestones/config/kiro-config.yaml"
        yaml = YAML()
        data = yaml.load(cfg.read_text(encoding="utf-8")) or {}
        data["executor"] = {"agent": "claude"}
        with cfg.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
    ws = Workspace(root, persist_cache=False)
    ws.new_milestone("m", "Bench", [])
    for i in range(tasks):
        ws.add_task("m", f"Task {i}", task_id=f"t{i}")
    conf = base / "xdg-config" / "kiro-tui"
    conf.mkdir(parents=True, exist_ok=True)
    with (conf / "config.yaml").open("w", encoding="utf-8") as fh:
        YAML().dump({"executor": {**FAST, "concurrency": 4}}, fh)
    bin_dir = fake_agent.install(base / "bin")
    out = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_CONFIG_HOME": str(base / "xdg-config"),
        "XDG_STATE_HOME": str(base / "xdg-state"),
        "XDG_CACHE_HOME": str(base / "xdg-cache"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "FAKE_AGENT_PIDS": str(base / "pids.txt"),
        **{f"FAKE_AGENT_{k.upper()}": v for k, v in env.items()},
    }
    return root, out


def driver(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), "run", "m", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait(cond: Callable[[], Any], timeout: float = 60.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.005)
    raise SystemExit("bench: timed out")


def log_events(root: Path) -> list[dict[str, Any]]:
    out = []
    for p in (root / ".milestones/logs").glob("*/execution.jsonl"):
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def has(root: Path, event: str) -> bool:
    needle = f'"event": "{event}"'
    for p in (root / ".milestones/logs").glob("*/execution.jsonl"):
        if needle in p.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def first_lines(base: Path, samples: int) -> None:
    """Seen by polling the log every 5 ms (log timestamps have whole seconds)."""
    started, tool = [], []
    for i in range(samples):
        root, env = workspace(base / f"first{i}", 1, True, scenario="ok")
        t0 = time.monotonic()
        proc = driver(root, env)
        try:
            wait(lambda r=root: has(r, "run_started"))
            started.append((time.monotonic() - t0) * 1000)
            wait(lambda r=root: has(r, "tool_call"))
            tool.append((time.monotonic() - t0) * 1000)
        finally:
            stop(proc)
    row("driver start -> run_started in the log", started, "ms")
    row("driver start -> first tool_call in the log", tool, "ms")


def lines_to_log(base: Path, lines: int) -> None:
    root, env = workspace(base / "burst", 1, True, scenario="burst", lines=str(lines))
    proc = driver(root, env)
    try:
        rec = wait(lambda: next((r for r in records.list_runs(root, "m") if not r.live), None), 120)
    finally:
        stop(proc)
    secs = rec.duration_s or 0.0
    role_lines = len([e for e in log_events(root) if e.get("data", {}).get("run_id")])
    print(
        f"{lines} lines agent -> raw.jsonl (whole driver)  {rec.lines / secs if secs else 0:9.0f}"
        f" lines/s over {secs:.2f} s; {role_lines} role log lines (agent text stays in raw.jsonl)"
    )


def rss(base: Path) -> None:
    root, env = workspace(base / "rss0", 4, False)
    proc = driver(root, env)
    try:
        wait(lambda: has(root, "driver_started"))
        time.sleep(2.0)  # let it settle (a figure, not a check)
        idle = rss_kib(proc.pid)
    finally:
        stop(proc)
    root, env = workspace(
        base / "rss4", 4, True, scenario="slow", slow_lines="2000", slow_interval="0.05"
    )
    proc = driver(root, env)
    try:
        wait(lambda: len([r for r in records.list_runs(root, "m") if r.status == "running"]) == 4)
        samples = []
        for _ in range(20):
            samples.append(rss_kib(proc.pid))
            time.sleep(0.1)
    finally:
        stop(proc)
    print(
        f"driver RSS: no runs {idle / 1024:.1f} MiB; 4 concurrent runs "
        f"median {statistics.median(samples) / 1024:.1f} MiB, max {max(samples) / 1024:.1f} MiB"
    )


def run_all(base: Path, lines: int, samples: int) -> None:
    first_lines(base / "driver", samples)
    lines_to_log(base / "driver", lines)
    rss(base / "driver")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        run_all(Path(tmp), 10000, 5)
