"""`kiro-tui run` as a real subprocess: the whole story, refusal, pause, SIGKILL and takeover."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiro_tui.core import sessions
from kiro_tui.core.service import Workspace
from tests.unit.test_agents_coordinator import (
    _lines,
    phase_status,
    role_events,
    small_workspace,
    status_is,
    wait_for,
)
from tests.unit.test_agents_roles import fill

pytestmark = pytest.mark.slow


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


STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_leftover_drivers() -> Iterator[None]:
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


class Run:
    """`kiro-tui run m --json` in the background; its output lines are collected."""

    def __init__(self, root: Path, mid: str = "m") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiro_tui", "-C", str(root), "run", mid, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        STARTED.append(self.proc)
        self.lines: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def events(self) -> list[str]:
        return [x["event"] for x in self.lines]

    def finish(self, timeout: float = 30) -> int:
        rc = self.proc.wait(timeout)
        self.reader.join(5)
        return rc

    def kill(self, sig: int) -> None:
        self.proc.send_signal(sig)


def role_states(root: Path, sid: str) -> set[str]:
    return {v["status"] for v in sessions.read_role_state(root, sid).values()}


def session_of(ws: Workspace) -> str:
    return ws.load().milestone("m").session_id or ""  # type: ignore[union-attr]


def test_run_drives_a_milestone_to_completion(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    run = Run(tmp_path)
    wait_for(lambda: phase_status(ws, "a", "design") == "in_progress", "a design started")
    sid = session_of(ws)
    # a second driver is refused while the first one's heartbeat is fresh
    second = kiro(tmp_path, "run", "m", check=False)
    assert second.returncode == 1 and "driven by pid" in second.stderr
    # pause from another process: roles stop acting
    kiro(tmp_path, "pause", "m")
    wait_for(lambda: role_states(tmp_path, sid) == {"paused"}, "roles paused")
    fill(tmp_path, "a", "design", "m")
    wait_for(
        lambda: run.events().count("phase_started") and "session_paused" in run.events(),
        "the pause to be printed",
    )
    assert phase_status(ws, "a", "design") == "in_progress"
    kiro(tmp_path, "resume", "m")
    for tid in ("a", "b"):
        for phase in ("design", "spec"):
            if not (tid == "a" and phase == "design"):
                wait_for(status_is(ws, tid, phase, "in_progress"), f"{tid} {phase} started")
                fill(tmp_path, tid, phase, "m")
            wait_for(status_is(ws, tid, phase, "waiting_approval"), f"{tid} {phase} waiting")
            kiro(tmp_path, "approve", "m", tid, phase)
        for phase in ("task", "execute"):
            wait_for(status_is(ws, tid, phase, "in_progress"), f"{tid} {phase} started")
            fill(tmp_path, tid, phase, "m")
    assert run.finish() == 0
    assert ws.load().milestone("m").status == "completed"  # type: ignore[union-attr]
    assert role_states(tmp_path, sid) == {"stopped"}
    assert sessions.read_session(tmp_path, sid).driver_pid is None  # type: ignore[union-attr]
    printed = run.events()
    assert "milestone_completed" in printed and "phase_approved" in printed
    # every role's log tells its part of the story
    assert "milestone_completed" in [e.event for e in role_events(tmp_path, "execution.jsonl")]
    assert [e.event for e in role_events(tmp_path, "git.jsonl")] == ["git_idle"]
    assert "dependency_cleared" in [e.event for e in role_events(tmp_path, "dependencies.jsonl")]
    prog = role_events(tmp_path, "progress.jsonl")
    assert prog[-1].data["progress"] == 100.0
    # bounded: one YAML write per phase move and progress change, no loop
    assert len(_lines(tmp_path, "execution.jsonl")) < 40
    assert len(_lines(tmp_path, "progress.jsonl")) < 40


def test_sigkill_then_restart_takes_over_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path, {"stalled_task": 1})
    run = Run(tmp_path)
    wait_for(lambda: phase_status(ws, "a", "design") == "in_progress", "a design started")
    wait_for(
        lambda: any("stalled_task" in x for x in _lines(tmp_path, "blockers.jsonl")),
        "a stalled blocker",
    )
    sid = session_of(ws)
    run.kill(signal.SIGKILL)
    run.finish()
    assert sessions.read_session(tmp_path, sid).driver_pid == run.proc.pid  # type: ignore[union-attr]
    fill(tmp_path, "a", "design", "m")  # work done while nobody drives
    again = Run(tmp_path)
    wait_for(lambda: phase_status(ws, "a", "design") == "waiting_approval", "resumed work")
    wait_for(lambda: "driver_takeover" in again.events(), "a takeover event")
    took = next(x for x in again.lines if x["event"] == "driver_takeover")
    assert "process is gone" in took["message"]
    wait_for(
        lambda: any("blocker_resolved" in x for x in _lines(tmp_path, "blockers.jsonl")),
        "the stall to resolve",
    )
    detected = [
        x
        for x in _lines(tmp_path, "blockers.jsonl")
        if "blocker_detected" in x
        and "stalled_task" in x
        and '"task_id": "a"' in x
        and '"phase": "design"' in x
    ]
    assert len(detected) == 1  # not re-announced after the restart
    again.kill(signal.SIGTERM)
    assert again.finish() == 0
    assert role_states(tmp_path, sid) == {"stopped"}
    s = sessions.read_session(tmp_path, sid)
    assert s is not None and s.driver_pid is None and s.status == "active"  # resumable
