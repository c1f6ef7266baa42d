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

from kiro_tui.core.runs import records
from kiro_tui.core.runs.groups import become_subreaper
from tests.unit.agents_support import (
    Driver,
    agents_workspace,
    is_,
    kiro,
    no_orphans,
    phase_of,
    runs_of,
    set_repo_executor,
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
    [rec] = runs_of(root, "a", "design")
    assert rec.status == "blocked"
    # the CLI: the list, its JSON, one run's stream with the verify output; one-line errors
    listed = kiro(root, "runs", "m").stdout
    assert rec.run_id in listed and "verification_failed" in listed and "$" in listed
    [as_json] = json.loads(kiro(root, "runs", "--json").stdout)
    assert as_json["run_id"] == rec.run_id and as_json["status"] == "blocked"
    shown = kiro(root, "runs", "show", rec.run_id).stdout
    assert "tool Write" in shown and "[verify] check line 59" in shown
    assert "[verify] exit code 3" in shown and "result: " in shown
    assert kiro(root, "runs", "show", rec.run_id, "--follow").stdout == shown  # over: it ends
    for bad in (["runs", "show", "nope"], ["runs", "show", "../x"], ["runs", "show"]):
        res = kiro(root, *bad, check=False)
        assert res.returncode in (1, 2) and res.stderr.count("\n") == 1, res.stderr
        assert "Traceback" not in res.stderr
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


AGENT_SCRIPT = """\
import json, os
from pathlib import Path
with open("ran.txt", "a") as fh:
    fh.write("ran\\n")
for d in json.loads(os.environ["KIRO_DELIVERABLES"]):
    p = Path(d)
    if not p.suffix:
        p = p / "README.md"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("title: real\\n" if p.suffix == ".yaml" else "# Real\\n\\nreal content\\n")
print("done")
"""


def test_an_untrusted_repo_preset_never_runs_runs_after_trust_and_not_after_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    preset = {"argv": [sys.executable, "tools/agent.py"]}
    ws = agents_workspace(
        root, monkeypatch, ("a",), repo_executor={"agent": "mine", "presets": {"mine": preset}}
    )
    (root / "tools").mkdir()
    script = root / "tools/agent.py"
    script.write_text(AGENT_SCRIPT)
    ran = root / "ran.txt"
    run = drive(root)
    wait_for(is_(ws, "a", "design", "blocked"), "a design blocked: untrusted")
    assert not ran.exists()  # the repository's command never ran
    got = wait_for(lambda: blocker_of(root, "executor_untrusted"), "an executor_untrusted blocker")
    assert isinstance(got, dict) and any("preset mine" in x for x in got["lines"])
    show = kiro(root, "trust", "--show")
    assert "preset mine" in show.stdout and "tools/agent.py" in show.stdout
    assert "NOT trusted" in show.stdout
    refused = kiro(root, "trust", check=False)  # no terminal to confirm on
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    kiro(root, "trust", "--yes")
    assert "status: trusted" in kiro(root, "trust", "--show").stdout
    kiro(root, "phase", "unblock", "m", "a", "design")
    wait_for(is_(ws, "a", "design", "waiting_approval"), "a design done by the trusted preset")
    assert ran.read_text().count("ran") == 1
    # an edit of the script it names: untrusted again, nothing runs
    script.write_text(AGENT_SCRIPT + "# edited\n")
    assert "NOT trusted" in kiro(root, "trust", "--show").stdout
    kiro(root, "approve", "m", "a", "design")
    wait_for(is_(ws, "a", "spec", "blocked"), "a spec blocked: untrusted after the edit")
    assert ran.read_text().count("ran") == 1
    # trusted again, then an edit of the config: not run either
    kiro(root, "trust", "--yes")
    kiro(root, "phase", "unblock", "m", "a", "spec")
    wait_for(is_(ws, "a", "spec", "waiting_approval"), "a spec done after trusting again")
    assert ran.read_text().count("ran") == 2
    set_repo_executor(
        root,
        {"agent": "mine", "presets": {"mine": {"argv": [sys.executable, "tools/agent.py", "x"]}}},
    )
    kiro(root, "approve", "m", "a", "spec")
    wait_for(is_(ws, "a", "task", "blocked"), "a task blocked: the config was edited")
    assert ran.read_text().count("ran") == 2
    assert "forgotten" in kiro(root, "untrust").stdout
    assert "was not trusted" in kiro(root, "untrust").stdout
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0


def blocker_of(root: Path, kind: str) -> dict | None:
    for e in role_events(root, "blockers.jsonl"):
        if e.event == "blocker_detected" and e.raw.get("kind") == kind:
            return e.raw
    return None


def test_an_agent_that_asks_gets_an_agent_needs_input_blocker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(root, monkeypatch, ("a",), scenario="ask")
    run = drive(root)
    wait_for(is_(ws, "a", "design", "blocked"), "a design blocked")
    got = wait_for(lambda: blocker_of(root, "agent_needs_input"), "an agent_needs_input blocker")
    assert isinstance(got, dict) and got["phase"] == "design"
    evs = [e.event for e in role_events(root, "execution.jsonl")]
    assert "needs_input" in evs and "run_finished" in evs
    assert len(runs_of(root)) == 1  # never answered, never retried
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0
    no_orphans(tmp_path, root)


def test_a_run_over_budget_is_stopped_the_milestone_paused_and_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(
        root, monkeypatch, ("a",), scenario="expensive", user={"budget": {"phase": {"usd": 1}}}
    )
    run = drive(root)
    wait_for(is_(ws, "a", "design", "blocked"), "a design blocked")
    wait_for(lambda: ws.load().milestone("m").status == "paused", "the milestone paused")  # type: ignore[union-attr]
    got = wait_for(lambda: blocker_of(root, "budget_exceeded"), "a budget_exceeded blocker")
    assert isinstance(got, dict) and "budget_exceeded" in got["message"]
    [rec] = runs_of(root)
    assert rec.status == "blocked" and rec.outcome == "budget_exceeded"
    assert rec.usage.cost_usd is not None and rec.usage.cost_usd >= 1
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0
    no_orphans(tmp_path, root)


def test_a_rejection_runs_the_phase_again_with_the_reason_through_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    ws = agents_workspace(root, monkeypatch, ("a",))
    run = drive(root)
    wait_for(is_(ws, "a", "design", "waiting_approval"), "a design at its gate")
    [first] = runs_of(root)
    kiro(root, "reject", "m", "a", "design", "--reason", "Add the sequence diagram")
    wait_for(is_(ws, "a", "design", "in_progress"), "a design sent back")
    # run again, resuming the agent's session, with the reason; its new work is at the gate
    wait_for(is_(ws, "a", "design", "waiting_approval"), "a design at its gate again")
    second = next(r for r in runs_of(root) if r.run_id != first.run_id)
    assert second.resume_of == first.run_id and second.reason == "Add the sequence diagram"
    assert second.status == "succeeded"
    assert second.argv[second.argv.index("--resume") + 1] == first.session_id
    prompt = (records.run_dir(root, second.run_id) / "prompt.md").read_text()
    assert "asked for changes: Add the sequence diagram" in prompt
    data_model = root / ".milestones/deliverables/a/design/data_model.md"
    assert "Add the sequence diagram" in data_model.read_text()
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0
