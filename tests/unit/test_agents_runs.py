"""The task executor runs agents (issue 9): `kiro-tui run` as a real subprocess with the fake
agent installed as `claude` on PATH; gates approved with `kiro-tui approve` (subprocess)."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiro_tui.core.runs.groups import become_subreaper
from tests.unit.agents_support import (
    Driver,
    agents_workspace,
    is_,
    kiro,
    no_orphans,
    phase_of,
    runs_of,
)
from tests.unit.test_agents_coordinator import role_events, wait_for

pytestmark = pytest.mark.slow
STARTED: list[Driver] = []


@pytest.fixture(autouse=True)
def _no_leftover_drivers() -> Iterator[None]:
    yield
    while STARTED:
        STARTED.pop().kill()


def drive(root: Path) -> Driver:
    d = Driver(root)
    STARTED.append(d)
    return d


def test_run_carries_three_tasks_through_the_four_phases_with_agents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(root, monkeypatch, user={"concurrency": 3})
    run = drive(root)
    for phase in ("design", "spec"):
        for tid in ("a", "b", "c"):
            # the agent did the work and it was verified: the gate waits for a person
            wait_for(is_(ws, tid, phase, "waiting_approval"), f"{tid} {phase} at its gate")
        for tid in ("a", "b", "c"):
            nxt = "spec" if phase == "design" else "task"
            assert phase_of(ws, tid, nxt) == "pending"  # nothing moves past a gate by itself
            kiro(root, "approve", "m", tid, phase)
    assert run.finish(60) == 0
    m = ws.load().milestone("m")
    assert m is not None and m.status == "completed"
    assert all(p.status in ("approved", "completed") for t in m.tasks for p in t.phases)
    # one run per phase, each succeeded, all through the claude preset
    runs = runs_of(root)
    assert sorted((r.task_id, r.phase) for r in runs) == sorted(
        (t, p) for t in "abc" for p in ("design", "spec", "task", "execute")
    )
    assert {r.status for r in runs} == {"succeeded"} and {r.preset for r in runs} == {"claude"}
    # the run events are in the session's execution.jsonl, with the session id
    evs = role_events(root, "execution.jsonl")
    started = [e for e in evs if e.event == "run_started"]
    assert len(started) == 12 and all(e.raw.get("session_id") for e in started)
    assert {"agent_session", "tool_call", "final_message", "run_finished"} <= {e.event for e in evs}
    assert "milestone_completed" in run.events()
    no_orphans(tmp_path, root)


def test_failing_verification_blocks_the_phase_with_a_blocker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    check = tmp_path / "check.py"
    check.write_text(
        "import os, sys\nfor i in range(60): print('check line', i)\n"
        "sys.exit(3 if os.path.exists('VERIFY_FAIL') else 0)\n"
    )
    ws = agents_workspace(
        root,
        monkeypatch,
        ("a",),
        scenario="verify_fail",
        user={"phases": {"design": {"verify": [[sys.executable, str(check)]]}}},
    )
    run = drive(root)
    wait_for(is_(ws, "a", "design", "blocked"), "a design blocked")
    ph = ws.load().milestone("m").task("a").phase("design")  # type: ignore[union-attr]
    assert ph is not None and ph.blocked_reason
    assert "verification_failed" in ph.blocked_reason and "exited 3" in ph.blocked_reason

    def blocker() -> dict | None:
        for e in role_events(root, "blockers.jsonl"):
            if e.event == "blocker_detected" and e.raw.get("kind") == "verification_failed":
                return e.raw
        return None

    got = wait_for(blocker, "a verification_failed blocker")
    assert isinstance(got, dict) and got["task_id"] == "a" and got["phase"] == "design"
    assert len(got["lines"]) == 40 and got["lines"][-1] == "check line 59"
    assert not any(  # no second, generic blocker for the same end
        e.raw.get("kind") == "error_event" for e in role_events(root, "blockers.jsonl")
    )
    assert [r.status for r in runs_of(root, "a", "design")] == ["blocked"]
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0
    no_orphans(tmp_path, root)


def test_pause_stops_a_slow_agent_within_2s_and_resume_continues_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    scen = tmp_path / "scenario.json"
    scen.write_text(json.dumps({"*": "slow"}))
    ws = agents_workspace(
        root,
        monkeypatch,
        ("a",),
        scenario="slow",
        slow_lines="20000",
        slow_interval="0.05",
        scenario_file=str(scen),
    )
    run = drive(root)
    wait_for(lambda: [r for r in runs_of(root) if r.session_id], "the agent's session id")
    [first] = runs_of(root)
    scen.write_text(json.dumps({"*": "resume"}))  # the next run checks that it is resumed
    kiro(root, "pause", "m")  # from another process
    # the bound: the agent's whole group is gone within 2 s of the pause
    wait_for(lambda: not _group_alive(first.pgid), "the agent to stop", deadline=2.0)
    wait_for(lambda: runs_of(root)[0].status == "stopped", "the run record to say stopped")
    assert runs_of(root)[0].stop_reason == "pause"
    assert phase_of(ws, "a", "design") == "in_progress"  # paused is not done
    kiro(root, "resume", "m")
    wait_for(is_(ws, "a", "design", "waiting_approval"), "the resumed run to finish")
    second = next(r for r in runs_of(root) if r.run_id != first.run_id)
    assert second.resume_of == first.run_id and second.status == "succeeded"
    assert second.argv[second.argv.index("--resume") + 1] == first.session_id
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0
    no_orphans(tmp_path, root)


def _group_alive(pgid: int | None) -> bool:
    if pgid is None:
        return True
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigkill_of_the_driver_mid_run_leaves_no_orphan_and_the_phase_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    become_subreaper()  # the killed driver's agents are re-parented to us, not to PID 1
    root = tmp_path / "repo"
    scen = tmp_path / "scenario.json"
    scen.write_text(json.dumps({"*": "spawn_child"}))
    ws = agents_workspace(
        root,
        monkeypatch,
        ("a",),
        scenario="spawn_child",
        child_then="hang",
        scenario_file=str(scen),
    )
    run = drive(root)
    wait_for(lambda: [r for r in runs_of(root) if r.session_id], "the agent's session id")
    wait_for(lambda: len((tmp_path / "pids.txt").read_text().split()) >= 2, "its child")
    [first] = runs_of(root)
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    assert _group_alive(first.pgid)  # the agent (and its child) outlived the driver
    scen.write_text(json.dumps({"*": "resume"}))
    again = drive(root)
    wait_for(is_(ws, "a", "design", "waiting_approval"), "the phase to finish")
    old = next(r for r in runs_of(root) if r.run_id == first.run_id)
    assert old.status == "interrupted" and old.stop_reason == "driver_lost"
    new = next(r for r in runs_of(root) if r.run_id != first.run_id)
    assert new.resume_of == first.run_id and new.status == "succeeded"
    assert "run_interrupted" in [e.event for e in role_events(root, "execution.jsonl")]
    again.proc.send_signal(signal.SIGTERM)
    assert again.finish() == 0
    no_orphans(tmp_path, root)
