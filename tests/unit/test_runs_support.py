"""Helpers shared by the run tests: a repository, a milestone with one kiro task, the fake agent
on PATH, settings with short timeouts, an event collector and the no-orphan check."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from kiro_tui.core.model import Deliverable, Milestone, Phase, Task
from kiro_tui.core.runs.notices import RunEvent
from kiro_tui.core.runs.settings import ExecutorSettings
from kiro_tui.core.runs.settings_parse import parse_settings
from kiro_tui.demo import fake_agent

DESIGN = ("architecture_diagram.md", "api_specification.yaml", "data_model.md")


def make_repo(tmp: Path) -> Path:
    root = tmp / "repo"
    for sub in ("active", "config", "logs"):
        (root / ".milestones" / sub).mkdir(parents=True, exist_ok=True)
    return root


def make_task(task_id: str = "t1", deliverables: tuple[str, ...] = DESIGN) -> Task:
    phases = tuple(
        Phase(
            name=p,
            status="in_progress" if p == "design" else "pending",
            gate=p in ("design", "spec"),
            deliverables=tuple(
                Deliverable(n) for n in (deliverables if p == "design" else (f"{p}_notes.md",))
            ),
            acceptance_criteria=("Architecture documented and reviewed",),
        )
        for p in ("design", "spec", "task", "execute")
    )
    return Task(
        id=task_id,
        title=f"Task {task_id}",
        status="in_progress",
        raw_status="in_progress",
        is_kiro=True,
        current_phase="design",
        phases=phases,
    )


def make_milestone(*tasks: Task) -> Milestone:
    tasks = tasks or (make_task(),)
    return Milestone(
        id="m1",
        title="Milestone one",
        status="in_progress",
        raw_status="in_progress",
        location="active",
        path="active/m1.yaml",
        description="A test milestone.",
        tasks=tasks,
    )


def agent_env(tmp: Path, scenario: str = "ok", **extra: str) -> dict[str, str]:
    bin_dir = fake_agent.install(tmp / "bin")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "FAKE_AGENT_SCENARIO": scenario,
        "FAKE_AGENT_PIDS": str(tmp / "pids.txt"),
        "FAKE_AGENT_STATE": str(tmp / "agent-state"),
        "CLAUDECODE": "1",
        "SECRET_TOKEN": "do-not-pass",
    }
    env.update({f"FAKE_AGENT_{k.upper()}": v for k, v in extra.items()})
    return env


FAST: dict[str, Any] = {
    "timeouts": {"idle": 20, "after_result": 5},
    "stop": {"interrupt": 0.5, "terminate": 0.5},
    "retries": {"count": 3, "backoff": 0.01, "jitter": 0.1},
    "env": {"pass": ["FAKE_AGENT_*"]},
}


def settings(repo: dict[str, Any] | None = None, **user: Any) -> ExecutorSettings:
    u: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in FAST.items()}
    for k, v in user.items():
        if isinstance(v, dict) and isinstance(u.get(k), dict):
            u[k] = {**u[k], **v}
        else:
            u[k] = v
    s, problems = parse_settings(repo, u)
    assert problems == [], [str(p) for p in problems]
    return s


class Events:
    """A thread-safe list of the manager's events."""

    def __init__(self) -> None:
        self.items: list[RunEvent] = []
        self._lock = threading.Lock()

    def __call__(self, ev: RunEvent) -> None:
        with self._lock:
            self.items.append(ev)

    def kinds(self, run_id: str | None = None) -> list[str]:
        with self._lock:
            return [e.kind for e in self.items if run_id is None or e.run_id == run_id]

    def of(self, kind: str) -> list[RunEvent]:
        with self._lock:
            return [e for e in self.items if e.kind == kind]

    def wait_for(self, kind: str, timeout: float = 15.0) -> RunEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(kind)
            if found:
                return found[0]
            time.sleep(0.01)
        raise AssertionError(f"no {kind} event within {timeout} s: {self.kinds()}")


def recorded_pids(tmp: Path) -> list[int]:
    try:
        return [int(x) for x in (tmp / "pids.txt").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Running (zombies are gone for this purpose)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2 :].split()[0] != b"Z"


def assert_no_orphans(tmp: Path, pgids: list[int | None], timeout: float = 5.0) -> None:
    """No process left in the runs' groups (`os.killpg(pgid, 0)` must raise), and every pid the
    fake agent recorded is gone."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in recorded_pids(tmp) if alive(p)]
        groups = []
        for g in pgids:
            if g is None:
                continue
            try:
                os.killpg(g, 0)
                groups.append(g)
            except ProcessLookupError:
                pass
        if not left and not groups:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"orphans: pids {left}, groups {groups}")
        time.sleep(0.02)
