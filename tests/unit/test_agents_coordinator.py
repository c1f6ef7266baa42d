"""The coordinator in-process, with real files and real watchfiles events."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core import clock, sessions
from kiro_tui.core.errors import Refused
from kiro_tui.core.events import Event, read_all
from kiro_tui.core.model import Milestone
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Snapshot
from tests.unit.test_agents_roles import fill

DEADLINE = 20.0


def wait_for(cond: Callable[[], object], what: str, deadline: float = DEADLINE) -> object:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def small_workspace(root: Path, thresholds: dict[str, float] | None = None) -> Workspace:
    """A new milestone `m` with tasks a and b (b depends on a)."""
    Workspace.init(root)
    if thresholds:
        cfg = root / ".milestones/config/kiro-config.yaml"
        text = cfg.read_text(encoding="utf-8")
        for k, v in thresholds.items():
            text = re.sub(rf"(?m)^  {k}: .*$", f"  {k}: {v}", text)
            if f"  {k}: {v}" not in text:
                text = text.replace("thresholds:\n", f"thresholds:\n  {k}: {v}\n", 1)
        cfg.write_text(text, encoding="utf-8")
    ws = Workspace(root, persist_cache=False)
    ws.new_milestone("m", "Small", [])
    ws.add_task("m", "A", task_id="a")
    ws.add_task("m", "B", task_id="b", depends_on=["a"])
    return Workspace(root, persist_cache=False)


def milestone(ws: Workspace) -> Milestone:
    m = ws.load().milestone("m")
    assert m is not None
    return m


def role_events(root: Path, role: str) -> list[Event]:
    out: list[Event] = []
    for p in sorted((root / ".milestones/logs").glob(f"*/{role}")):
        out.extend(read_all(p).events)
    return out


class Running:
    def __init__(self, coord: Coordinator) -> None:
        self.coord = coord
        self.stop = threading.Event()
        self.thread = threading.Thread(target=coord.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def snaps() -> Iterator[list[Snapshot]]:
    yield []


def status_is(ws: Workspace, tid: str, phase: str, want: str) -> Callable[[], bool]:
    return lambda: phase_status(ws, tid, phase) == want


def phase_status(ws: Workspace, tid: str, phase: str) -> str:
    m = ws.load().milestone("m")
    return m.task(tid).phase(phase).status  # type: ignore[union-attr]


def test_observer_publishes_snapshots_and_writes_nothing(seed: Path, snaps: list[Snapshot]) -> None:
    ws = Workspace(seed, persist_cache=False)
    got_events: list = []
    coord = Coordinator(ws, on_snapshot=snaps.append, on_events=got_events.extend)
    before = sorted(str(p) for p in seed.rglob("*"))
    with Running(coord):
        wait_for(lambda: snaps, "the first snapshot")
        first = snaps[-1]
        assert first.driving is None and first.state.milestone("milestone-001")
        assert {b.kind for b in first.blockers} >= {"stalled_task"}  # computed for display
        other = Workspace(seed, persist_cache=False)
        other.start_milestone("milestone-001", "alice")
        other.approve("milestone-001", "task-001", "spec", "alice")
        wait_for(
            lambda: (
                snaps[-1].state.milestone("milestone-001").task("task-001").phase("spec").status
                == "approved"
            ),
            "the approval to show",
        )
        wait_for(lambda: any(e.event == "phase_approved" for e in got_events), "the log line")
    assert coord.writes == 0
    after = {str(p) for p in seed.rglob("*")} - set(before)
    assert not [p for p in after if "/logs/exec-" in p or "agents/state.json" in p]


def test_drive_to_completion_goes_quiet(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        wait_for(lambda: phase_status(ws, "a", "design") == "in_progress", "a design started")
        for tid in ("a", "b"):
            for phase in ("design", "spec"):
                wait_for(status_is(ws, tid, phase, "in_progress"), f"{tid} {phase} started")
                fill(tmp_path, tid, phase, "m")
                wait_for(status_is(ws, tid, phase, "waiting_approval"), f"{tid} {phase} waiting")
                ws.approve("m", tid, phase, "alice")
                coord.wake()
            for phase in ("task", "execute"):
                wait_for(status_is(ws, tid, phase, "in_progress"), f"{tid} {phase} started")
                fill(tmp_path, tid, phase, "m")
        wait_for(lambda: milestone(ws).status == "completed", "completion")
        wait_for(lambda: coord.snapshot.state.by_id["m"].written_progress == 100, "100%")
        # quiet: the number of writes stops growing and stays bounded
        settled = wait_for(lambda: _settled(coord), "the loop to go quiet")
    assert settled and coord.writes < 80
    state = sessions.read_role_state(tmp_path, coord.session_id or "")
    assert {v["status"] for v in state.values()} == {"stopped"}
    assert sessions.read_session(tmp_path, coord.session_id or "").driver_pid is None  # type: ignore[union-attr]
    story = [e.event for e in role_events(tmp_path, "execution.jsonl")]
    assert story.count("phase_waiting_approval") == 4 and "milestone_completed" in story
    assert [e.event for e in role_events(tmp_path, "git.jsonl")] == ["git_idle"]
    deps = [e.event for e in role_events(tmp_path, "dependencies.jsonl")]
    assert deps == ["dependency_waiting", "dependency_cleared"]
    prog = role_events(tmp_path, "progress.jsonl")
    assert prog[-1].event == "milestone_progress" and prog[-1].data["progress"] == 100.0
    values = [(e.task_id, e.data["progress"]) for e in prog]
    assert len(values) == len(set(values))  # each change logged once


def _settled(coord: Coordinator) -> bool:
    """A fresh cycle (after everything written so far) ended with nothing to do."""
    w = coord.writes
    coord.wake()
    return coord.wait_idle(DEADLINE) and coord.writes == w


def test_blockers_appear_and_clear_once_and_survive_a_restart(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path, {"stalled_task": 1, "stalled_execution": 3600})
    coord = Coordinator(ws, drive="m")
    blk = lambda: [json.loads(x) for x in _lines(tmp_path, "blockers.jsonl")]  # noqa: E731
    with Running(coord):
        wait_for(
            lambda: any(
                r["event"] == "blocker_detected" and r["kind"] == "stalled_task" for r in blk()
            ),
            "a stalled_task blocker",
        )
        wait_for(
            lambda: any(b.kind == "stalled_task" for b in coord.snapshot.blockers),
            "the blocker in the published snapshot",
        )
    # a restart rebuilds the open set from blockers.jsonl: nothing is announced again
    coord2 = Coordinator(Workspace(tmp_path, persist_cache=False), drive="m")
    with Running(coord2):
        wait_for(lambda: coord2.cycles >= 2, "the restarted loop")
        fill(tmp_path, "a", "design", "m")
        wait_for(lambda: any(r["event"] == "blocker_resolved" for r in blk()), "the resolution")
    detected = [r for r in blk() if r["event"] == "blocker_detected"]
    resolved = [r for r in blk() if r["event"] == "blocker_resolved"]
    stalled = [r for r in detected if r["kind"] == "stalled_task"]
    assert len(stalled) == 1
    assert stalled[0]["blocker_id"] in {r["blocker_id"] for r in resolved}
    assert {"severity", "message", "suggestion", "task_id"} <= set(stalled[0])


def _lines(root: Path, name: str) -> list[str]:
    out: list[str] = []
    for p in sorted((root / ".milestones/logs").glob(f"*/{name}")):
        out.extend(x for x in p.read_text(encoding="utf-8").splitlines() if x.strip())
    return out


def test_paused_milestone_roles_do_not_act(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        wait_for(lambda: phase_status(ws, "a", "design") == "in_progress", "a design started")
        ws.pause("m", "alice")
        wait_for(lambda: coord.snapshot.paused, "the pause to be seen")
        wait_for(
            lambda: (
                {
                    v["status"]
                    for v in sessions.read_role_state(tmp_path, coord.session_id or "").values()
                }
                == {"paused"}
            ),
            "roles paused",
        )
        writes = coord.writes
        fill(tmp_path, "a", "design", "m")
        wait_for(lambda: _settled(coord), "quiet while paused")
        assert coord.writes == writes and phase_status(ws, "a", "design") == "in_progress"
        ws.resume("m", "alice")
        wait_for(
            lambda: phase_status(ws, "a", "design") == "waiting_approval",
            "the phase to complete after resume",
        )


def test_second_in_process_driver_is_refused(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    first = Coordinator(ws, drive="m")
    with Running(first):
        wait_for(lambda: first.driving == "m" and first.cycles, "the first driver")
        snaps: list[Snapshot] = []
        evs: list = []
        # same pid counts as the same driver, so pretend to be another process
        second = Coordinator(
            Workspace(tmp_path, persist_cache=False), on_snapshot=snaps.append, on_events=evs.extend
        )
        sid = first.session_id or ""
        sessions.claim_driver(
            tmp_path, sid, "2099-01-01T00:00:00Z", 60, {"pid": 1, "host": "elsewhere", "user": "x"}
        )
        with Running(second):
            second.drive("m")
            wait_for(
                lambda: snaps and any(b.kind == "driver_refused" for b in snaps[-1].blockers),
                "a driver_refused",
            )
            assert any(e.event == "driver_refused" and e.level == "error" for e in evs)
            assert second.driving is None


def test_error_events_and_broken_files_open_and_resolve_blockers(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    coord = Coordinator(ws, drive="m")

    def records(kind: str, event: str) -> list[dict]:
        return [
            r
            for r in map(json.loads, _lines(tmp_path, "blockers.jsonl"))
            if r["event"] == event and (r.get("kind") == kind or event == "blocker_resolved")
        ]

    with Running(coord):
        wait_for(status_is(ws, "a", "design", "in_progress"), "a design started")
        # an agent reports an error in a log of its own
        agent_log = tmp_path / ".milestones/logs/agent-a.jsonl"
        crashed = clock.SYSTEM.now()
        agent_log.write_text(
            json.dumps(
                {
                    "timestamp": clock.fmt(crashed),
                    "event": "agent_crashed",
                    "milestone_id": "m",
                    "task_id": "a",
                    "level": "error",
                    "message": "agent exited 1",
                }
            )
            + "\n"
        )
        wait_for(lambda: records("error_event", "blocker_detected"), "an error_event blocker")
        # a milestone file that cannot be parsed
        bad = tmp_path / ".milestones/active/bad.yaml"
        bad.write_text("id: bad\ntitle: [unclosed\n")
        wait_for(lambda: records("invalid_file", "blocker_detected"), "an invalid_file blocker")
        # the task moves again: the error is followed up; the file is removed
        with agent_log.open("a") as fh:
            fh.write(
                json.dumps(
                    {
                        "timestamp": clock.fmt(crashed + timedelta(seconds=1)),
                        "event": "agent_started",
                        "milestone_id": "m",
                        "task_id": "a",
                    }
                )
                + "\n"
            )
        bad.unlink()
        opened = {
            r["blocker_id"]
            for r in records("error_event", "blocker_detected")
            + records("invalid_file", "blocker_detected")
        }
        wait_for(
            lambda: opened <= {r["blocker_id"] for r in records("", "blocker_resolved")},
            "both to resolve",
        )
    assert len(records("error_event", "blocker_detected")) == 1
    assert len(records("invalid_file", "blocker_detected")) == 1


def test_driving_a_paused_milestone_keeps_it_paused_until_resumed(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    ws.start_milestone("m", "alice")
    ws.pause("m", "alice")
    coord = Coordinator(Workspace(tmp_path, persist_cache=False), drive="m")
    with Running(coord):
        wait_for(lambda: coord.driving == "m" and coord.snapshot.paused, "driving, paused")
        wait_for(lambda: role_states_are(tmp_path, coord, "paused"), "roles paused")
        assert phase_status(ws, "a", "design") == "pending"
        ws.resume("m", "alice")
        wait_for(status_is(ws, "a", "design", "in_progress"), "work to start after resume")


def role_states_are(root: Path, coord: Coordinator, status: str) -> bool:
    states = sessions.read_role_state(root, coord.session_id or "")
    return bool(states) and {v["status"] for v in states.values()} == {status}


def role_status(root: Path, coord: Coordinator, role: str) -> str | None:
    """One role's status as written, or None while the session has not written it yet."""
    state = sessions.read_role_state(root, coord.session_id or "").get(role) or {}
    return state.get("status")


def test_unmet_requires_refuse_driving_and_hold_no_driver(seed: Path) -> None:
    coord = Coordinator(Workspace(seed, persist_cache=False))
    with pytest.raises(Refused, match="requires milestone-001"):
        coord.start_driving("milestone-002")
    assert coord.driving is None
    with pytest.raises(Refused, match="completed"):
        coord.start_driving("milestone-000")


def test_a_failing_action_is_a_blocker_until_it_succeeds(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    real = ws.complete_phase
    broken = threading.Event()
    broken.set()

    def flaky(*args: object, **kw: object) -> object:
        if broken.is_set():
            raise OSError("disk full")
        return real(*args, **kw)  # type: ignore[arg-type]

    ws.complete_phase = flaky  # type: ignore[method-assign]
    coord = Coordinator(ws, drive="m")

    def records(event: str) -> list[dict]:
        return [
            r for r in map(json.loads, _lines(tmp_path, "blockers.jsonl")) if r["event"] == event
        ]

    with Running(coord):
        wait_for(status_is(ws, "a", "design", "in_progress"), "a design started")
        fill(tmp_path, "a", "design", "m")
        wait_for(
            lambda: [r for r in records("blocker_detected") if r["kind"] == "executor_failed"],
            "an executor_failed blocker",
        )
        wait_for(
            lambda: role_status(tmp_path, coord, "task_executor") == "error",
            "the executor role in error",
        )
        broken.clear()
        fill(tmp_path, "a", "design", "m")  # any change wakes the loop; it retries
        wait_for(status_is(ws, "a", "design", "waiting_approval"), "the retry to work")
        wait_for(lambda: records("blocker_resolved"), "the blocker to resolve")
        wait_for(
            lambda: role_status(tmp_path, coord, "task_executor") == "running",
            "the role to recover",
        )
    failed = [e for e in role_events(tmp_path, "execution.jsonl") if e.event == "action_failed"]
    assert len(failed) == 1 and "disk full" in (failed[0].message or "")


class RecordingRunner:
    """An AgentRunner (the executor's seam) that records what it was asked to do."""

    enabled = False

    def __init__(self) -> None:
        self.calls: list[str] = []

    def bind(self, wake: object) -> None:
        self.calls.append("bind")

    def begin(self, milestone_id: str, session_id: str) -> None:
        self.calls.append(f"begin {milestone_id}")

    def start(self, milestone: object, task: object, phase: str) -> None:
        self.calls.append(f"start {phase}")

    def runs(self) -> dict[tuple[str, str, str], str]:
        return {}

    def blockers(self) -> tuple[()]:
        return ()

    def settle(self) -> int:
        return 0

    def suspend(self) -> None:
        self.calls.append("suspend")

    def resume(self) -> None:
        self.calls.append("resume")

    def stop(self) -> None:
        self.calls.append("stop")


def test_a_takeover_stops_the_runner_and_marks_the_roles_stopped(tmp_path: Path) -> None:
    """The bug this fixes: when another process took the session over, the heartbeat only set
    `driving = None`: the runner went on and state.json still said running."""
    ws = small_workspace(tmp_path, {"heartbeat": 0.2})
    runner = RecordingRunner()
    coord = Coordinator(ws, drive="m", runner=runner)
    with Running(coord):
        wait_for(
            lambda: (
                coord.driving == "m" and role_status(tmp_path, coord, "task_executor") == "running"
            ),
            "driving, roles running",
        )
        sid = coord.session_id or ""
        sessions.claim_driver(
            tmp_path, sid, clock.SYSTEM.now_str(), 0, {"pid": 1, "host": "elsewhere", "user": "x"}
        )
        wait_for(lambda: coord.driving is None, "driving to stop after the takeover")
        assert "stop" in runner.calls and runner.calls[:2] == ["bind", "begin m"]
        assert role_states_are(tmp_path, coord, "stopped")
        coord.wake()
        wait_for(
            lambda: any(b.kind == "driver_refused" for b in coord.snapshot.blockers),
            "the takeover shown as a blocker",
        )
        live = sessions.read_session(tmp_path, sid)
        assert live is not None and live.driver_pid == 1  # the new driver keeps its claim


def test_wait_idle_is_set_only_when_a_cycle_wrote_nothing(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        assert coord.wait_idle(DEADLINE)
        writes = coord.writes
        assert writes > 0 and phase_status(ws, "a", "design") == "in_progress"
        fill(tmp_path, "a", "design", "m")
        wait_for(lambda: _settled(coord), "quiet after the phase completed")
        assert phase_status(ws, "a", "design") == "waiting_approval"
        assert coord.writes > writes
