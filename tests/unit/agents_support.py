"""Helpers for the executor-with-agents tests: a fresh workspace whose repository config turns
agents on (`executor: {agent: claude}`, which needs no trust), the user config with short
timeouts, the fake agent installed as `claude` on PATH for the subprocesses, and the no-orphan
check that also reaps what a killed driver's agents left to us."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kiro_tui.core.config import user_config_dir
from kiro_tui.core.runs import records
from kiro_tui.core.service import Workspace
from kiro_tui.demo import fake_agent
from tests.unit.test_runs_support import FAST, alive, assert_no_orphans, recorded_pids

REPO = Path(__file__).resolve().parents[2]


def write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(data, fh)


def set_repo_executor(root: Path, executor: dict[str, Any]) -> None:
    """Replace the `executor:` mapping of the repository's kiro-config.yaml."""
    cfg = root / ".milestones/config/kiro-config.yaml"
    yaml = YAML()
    data = yaml.load(cfg.read_text(encoding="utf-8")) or {}
    data["executor"] = executor
    with cfg.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def agents_workspace(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    tasks: tuple[str, ...] = ("a", "b", "c"),
    *,
    scenario: str = "ok",
    repo_executor: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    **agent_env: str,
) -> Workspace:
    """A new milestone `m` with independent tasks, agents on, the fake agent on PATH (in this
    process's environment, so that subprocesses inherit it)."""
    Workspace.init(root)
    set_repo_executor(root, repo_executor or {"agent": "claude"})
    write_yaml(user_config_dir() / "config.yaml", {"executor": {**FAST, **(user or {})}})
    tmp = root.parent
    bin_dir = fake_agent.install(tmp / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_AGENT_SCENARIO", scenario)
    monkeypatch.setenv("FAKE_AGENT_PIDS", str(tmp / "pids.txt"))
    monkeypatch.setenv("FAKE_AGENT_STATE", str(tmp / "agent-state"))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    for k, v in agent_env.items():
        monkeypatch.setenv(f"FAKE_AGENT_{k.upper()}", v)
    ws = Workspace(root, persist_cache=False)
    ws.new_milestone("m", "Agents", [])
    for tid in tasks:
        ws.add_task("m", f"Task {tid.upper()}", task_id=tid)
    return Workspace(root, persist_cache=False)


def kiro(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    if check:
        assert res.returncode == 0, res.stderr
    return res


class Driver:
    """`kiro-tui run m --json` as a real subprocess; its output lines are collected."""

    def __init__(self, root: Path, mid: str = "m") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiro_tui", "-C", str(root), "run", mid, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        self.lines: list[dict[str, Any]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(line))

    def events(self) -> list[str]:
        return [str(x.get("event")) for x in list(self.lines)]

    def finish(self, timeout: float = 30) -> int:
        rc = self.proc.wait(timeout)
        self.reader.join(5)
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def phase_of(ws: Workspace, tid: str, phase: str) -> str:
    m = ws.load().milestone("m")
    t = m.task(tid) if m else None
    ph = t.phase(phase) if t else None
    return ph.status if ph else "?"


def is_(ws: Workspace, tid: str, phase: str, *want: str) -> Callable[[], bool]:
    return lambda: phase_of(ws, tid, phase) in want


def runs_of(root: Path, tid: str | None = None, phase: str | None = None) -> list[Any]:
    return [
        r
        for r in records.list_runs(root, "m")
        if (tid is None or r.task_id == tid) and (phase is None or r.phase == phase)
    ]


def no_orphans(tmp: Path, root: Path) -> None:
    """No process left in any run's group, and every pid the fake agent recorded gone. The
    agents of a SIGKILLed driver are re-parented to us (we are their subreaper, see
    `become_subreaper`): reap the ones the next driver stopped, as PID 1 here does not."""
    check = reap_recorded(tmp)
    end = time.monotonic() + 10
    while not check() and time.monotonic() < end:
        time.sleep(0.02)
    assert_no_orphans(tmp, [r.pgid for r in records.list_runs(root, "m")], timeout=10)


def reap_recorded(tmp: Path) -> Callable[[], bool]:
    """A condition for wait_for: reaps our zombie children among the recorded pids, and is
    true once none of them is left running."""

    def check() -> bool:
        for pid in recorded_pids(tmp):
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        return not [p for p in recorded_pids(tmp) if alive(p)]

    return check
