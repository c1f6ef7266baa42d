"""The RunManager with the fake agent: real processes, real signals, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiro_tui.core.runs import records
from kiro_tui.core.runs.groups import members
from kiro_tui.core.runs.supervisor import RunManager
from tests.unit.test_runs_support import (
    Events,
    agent_env,
    alive,
    assert_no_orphans,
    make_milestone,
    make_repo,
    recorded_pids,
    settings,
)

VERIFY = [
    sys.executable,
    "-c",
    "import os, sys\nfor i in range(50): print('check', i)\n"
    "sys.exit(3 if os.path.exists('VERIFY_FAIL') else 0)",
]


def run_one(
    tmp_path: Path,
    scenario: str,
    *,
    agent: str = "claude",
    timeout: float = 30.0,
    env_extra: dict[str, str] | None = None,
    **user: object,
):
    root = make_repo(tmp_path)
    ev = Events()
    mgr = RunManager(
        root,
        settings(agent=agent, **user),
        on_event=ev,
        environ=agent_env(tmp_path, scenario, **(env_extra or {})),
    )
    ms = make_milestone()
    rid = mgr.start(ms, ms.tasks[0], "design")
    out = mgr.final_outcome(rid, timeout)
    assert mgr.wait_idle(timeout)
    pgids = [r.pgid for r in records.list_runs(root, "m1")]
    assert_no_orphans(tmp_path, pgids)
    return root, mgr, ev, out


def raw_lines(root: Path, run_id: str) -> list[dict[str, object]]:
    data = (records.run_dir(root, run_id) / "raw.jsonl").read_bytes()
    return [json.loads(x) for x in data.decode().splitlines()]


@pytest.mark.parametrize("agent", ["claude", "codex", "gemini", "opencode", "aider"])
def test_ok_in_every_dialect(tmp_path: Path, agent: str) -> None:
    root, _mgr, ev, out = run_one(tmp_path, "ok", agent=agent)
    assert out is not None and out.status == "succeeded", out
    kinds = ev.kinds(out.run_id)
    assert kinds[0] == "run_queued" and kinds[-1] == "run_finished"
    assert "run_started" in kinds and "tool_call" in kinds
    if agent != "aider":
        assert "agent_session" in kinds and "final_message" in kinds
    assert "usage" in kinds
    rec = records.read(root, out.run_id)
    assert rec is not None and rec.status == "succeeded" and rec.preset == agent
    assert rec.pid and rec.start_time and rec.host == records.hostname()
    if agent in ("claude", "opencode", "aider"):
        assert rec.usage.cost_usd is not None and rec.usage.cost_usd > 0
    else:
        assert rec.usage.cost_usd is None  # tokens only: cost stays unknown, never 0
        assert rec.usage.tokens
    # every line the agent printed is in raw.jsonl, in order
    lines = raw_lines(root, out.run_id)
    assert len(lines) == rec.lines > 3
    prompt = (records.run_dir(root, out.run_id) / "prompt.md").read_text()
    assert ".milestones/deliverables/t1/design/data_model.md" in prompt


def test_environment_is_scrubbed(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    env = agent_env(tmp_path, "ok")
    probe = tmp_path / "env.json"
    script = tmp_path / "probe.py"
    script.write_text("import json, os, sys\njson.dump(dict(os.environ), open(sys.argv[1], 'w'))\n")
    mgr = RunManager(
        root,
        settings(
            presets={"probe": {"argv": [sys.executable, str(script), str(probe)]}}, agent="probe"
        ),
        environ=env,
    )
    ms = make_milestone()
    mgr.final_outcome(mgr.start(ms, ms.tasks[0], "design"), 20)
    seen = json.loads(probe.read_text())
    assert "CLAUDECODE" not in seen and "SECRET_TOKEN" not in seen
    assert seen["KIRO_MILESTONE_ID"] == "m1" and seen["KIRO_TASK_ID"] == "t1"
    assert seen["KIRO_PHASE"] == "design" and seen["KIRO_RUN_ID"]
    assert json.loads(seen["KIRO_DELIVERABLES"])[0].endswith("architecture_diagram.md")
    assert seen["FAKE_AGENT_SCENARIO"] == "ok" and "PATH" in seen


@pytest.mark.parametrize(
    ("scenario", "status", "kind"),
    [
        ("partial", "blocked", "deliverables_missing"),
        ("template", "blocked", "deliverables_missing"),
        ("fail", "failed", "failed"),
        ("api_error_exit0", "failed", "failed"),
        ("ask", "needs_input", "needs_input"),
    ],
)
def test_scenarios_end_as_described(tmp_path: Path, scenario: str, status: str, kind: str) -> None:
    root, _mgr, ev, out = run_one(tmp_path, scenario)
    assert out is not None and (out.status, out.kind) == (status, kind), out
    assert out.final
    if scenario == "api_error_exit0":
        assert out.exit_code == 0  # the exit code said fine; the result said otherwise
    if scenario == "ask":
        assert ev.of("needs_input")
    if scenario in ("partial", "template"):
        assert ev.of("deliverables_missing")
    if scenario == "template":
        assert "template" in out.reason
    rec = records.read(root, out.run_id)
    assert rec is not None and rec.status in ("blocked", "failed")


def test_no_result_retries_once_through_resume(tmp_path: Path) -> None:
    root, _mgr, _ev, out = run_one(tmp_path, "no_result")
    assert out is not None and out.status == "succeeded"
    runs = records.list_runs(root, "m1")
    assert [r.outcome for r in runs] == ["no_result", "ok"]
    second = runs[1]
    assert second.resume_of == runs[0].run_id and "--resume" in second.argv
    assert second.argv[second.argv.index("--resume") + 1] == runs[0].session_id


def test_verify_failure_blocks_with_the_last_lines(tmp_path: Path) -> None:
    root, _mgr, ev, out = run_one(
        tmp_path, "verify_fail", phases={"design": {"verify": [{"argv": VERIFY, "timeout": 20}]}}
    )
    assert out is not None and (out.status, out.kind) == ("blocked", "verification_failed")
    assert "exited 3" in out.reason
    assert len(out.verify_tail) == 40 and out.verify_tail[-1] == "check 49"
    vf = ev.of("verification_failed")[0]
    assert vf.data["exit_code"] == 3
    assert any(
        x.get("verify") == 0 and x.get("line") == "check 0" for x in raw_lines(root, out.run_id)
    )


def test_verify_pass_succeeds(tmp_path: Path) -> None:
    _root, _mgr, _ev, out = run_one(tmp_path, "ok", phases={"design": {"verify": [VERIFY]}})
    assert out is not None and out.status == "succeeded"


def test_idle_timeout_stops_a_hung_agent(tmp_path: Path) -> None:
    _root, _mgr, _ev, out = run_one(tmp_path, "hang_mid", timeouts={"idle": 0.5})
    assert out is not None and (out.status, out.kind) == ("blocked", "timeout")


def test_after_result_timeout_judges_the_result(tmp_path: Path) -> None:
    root, _mgr, _ev, out = run_one(tmp_path, "hang_after_result", timeouts={"after_result": 0.3})
    assert out is not None and out.status == "succeeded", out
    rec = records.read(root, out.run_id)
    assert rec is not None and rec.stop_reason == "after_result"


def test_child_left_behind_is_killed(tmp_path: Path) -> None:
    _root, _mgr, _ev, out = run_one(tmp_path, "spawn_child")
    assert out is not None and out.status == "succeeded"
    assert len(recorded_pids(tmp_path)) == 2  # the agent and its child: both gone


def test_stop_escalates_to_sigkill_for_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    ev = Events()
    mgr = RunManager(
        root,
        settings(stop={"interrupt": 0.3, "terminate": 0.3}),
        on_event=ev,
        environ=agent_env(tmp_path, "spawn_child", child_then="hang"),
    )
    ms = make_milestone()
    rid = mgr.start(ms, ms.tasks[0], "design")
    ev.wait_for("agent_text")
    deadline = time.monotonic() + 10
    while len(recorded_pids(tmp_path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mgr.stop(rid, "user", wait=True, timeout=20)
    out = mgr.outcome(rid)
    assert out is not None and out.status == "stopped"
    stopped = [e for e in ev.of("agent_error") if e.data.get("stop_reason") == "user"]
    assert stopped and stopped[0].data["signal"] in ("SIGTERM", "SIGKILL")
    assert_no_orphans(tmp_path, [records.read(root, rid).pgid])  # type: ignore[union-attr]


def test_flaky_retries_with_backoff_then_succeeds(tmp_path: Path) -> None:
    root, _mgr, ev, out = run_one(tmp_path, "flaky", env_extra={"flaky_n": "2"})
    assert out is not None and out.status == "succeeded"
    runs = records.list_runs(root, "m1")
    assert [r.outcome for r in runs] == ["retryable", "retryable", "ok"]
    assert [r.retries for r in runs] == [0, 1, 2]
    assert len(ev.of("run_retry_scheduled")) == 2


def test_flaky_gives_up_after_the_retry_count(tmp_path: Path) -> None:
    _root, _mgr, _ev, out = run_one(
        tmp_path, "flaky", env_extra={"flaky_n": "9"}, retries={"count": 1}
    )
    assert out is not None and (out.status, out.kind, out.final) == ("failed", "retryable", True)


def test_expensive_run_is_stopped_at_the_budget(tmp_path: Path) -> None:
    root, _mgr, ev, out = run_one(tmp_path, "expensive", budget={"phase": {"usd": 1.0}})
    assert out is not None and (out.status, out.kind) == ("blocked", "budget_exceeded")
    ex = ev.of("budget_exceeded")[0]
    assert ex.data["spent"] == 5.0 and ex.data["limit"] == 1.0
    # the next start of that phase is refused before anything runs
    mgr2 = RunManager(
        root,
        settings(budget={"phase": {"usd": 1.0}}),
        on_event=ev,
        environ=agent_env(tmp_path, "ok"),
    )
    ms = make_milestone()
    out2 = mgr2.final_outcome(mgr2.start(ms, ms.tasks[0], "design"), 10)
    assert out2 is not None and out2.kind == "budget_exceeded"
    assert records.read(root, out2.run_id).pid is None  # type: ignore[union-attr]


def test_budget_warning_at_80_percent(tmp_path: Path) -> None:
    _root, _mgr, ev, out = run_one(tmp_path, "ok", budget={"phase": {"usd": 0.015}})
    assert out is not None and out.status == "succeeded"
    assert ev.of("budget_warning")


def test_pause_stops_within_2s_and_resume_continues_through_resume(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    ev = Events()
    scen = tmp_path / "scenario.json"
    scen.write_text(json.dumps({"*": "slow"}))
    env = agent_env(
        tmp_path, "slow", slow_lines="20000", slow_interval="0.05", scenario_file=str(scen)
    )
    mgr = RunManager(root, settings(), on_event=ev, environ=env)
    ms = make_milestone()
    rid = mgr.start(ms, ms.tasks[0], "design")
    ev.wait_for("agent_session")
    t0 = time.monotonic()
    mgr.pause_all(timeout=10)
    assert time.monotonic() - t0 < 2.0
    assert mgr.is_busy("m1", "t1", "design")  # paused, not over: do not complete the phase
    first = records.read(root, rid)
    assert first is not None and first.status == "stopped" and first.stop_reason == "pause"
    assert first.session_id
    scen.write_text(json.dumps({"*": "resume"}))  # the next run checks it is resumed
    [rid2] = mgr.resume_all()
    out = mgr.final_outcome(rid2, 20)
    assert out is not None and out.status == "succeeded", out
    second = records.read(root, rid2)
    assert second is not None and second.resume_of == rid
    assert second.argv[second.argv.index("--resume") + 1] == first.session_id
    assert_no_orphans(tmp_path, [first.pgid, second.pgid])


def test_freeze_and_thaw(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    ev = Events()
    env = agent_env(tmp_path, "slow", slow_lines="20000", slow_interval="0.02")
    mgr = RunManager(
        root, settings(pause={"mode": "freeze", "freeze_max": 30}), on_event=ev, environ=env
    )
    ms = make_milestone()
    rid = mgr.start(ms, ms.tasks[0], "design")
    ev.wait_for("agent_session")
    assert mgr.pause_all() == [rid]
    rec = records.read(root, rid)
    assert rec is not None and rec.pgid
    # frozen: every process of the run's group is stopped (state T), so it cannot write
    # (the kernel's state, not a wait for the output to stay quiet)
    deadline = time.monotonic() + 5
    while not all(state == "T" for _pid, state, _ppid in members(rec.pgid)):
        assert time.monotonic() < deadline, members(rec.pgid)
        time.sleep(0.01)
    assert any(pid == rec.pid for pid, _state, _ppid in members(rec.pgid))
    raw = records.run_dir(root, rid) / "raw.jsonl"
    size = raw.stat().st_size
    mgr.resume_all()
    deadline = time.monotonic() + 10
    while raw.stat().st_size == size and time.monotonic() < deadline:
        time.sleep(0.02)
    assert raw.stat().st_size > size  # thawed: output again
    # a frozen group is thawed before it is stopped
    mgr.pause_all()
    mgr.close(timeout=20)
    out = mgr.outcome(rid)
    assert out is not None and out.status == "stopped"
    assert_no_orphans(tmp_path, [rec.pgid])


def test_freeze_max_turns_into_a_stop(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    mgr = RunManager(
        root,
        settings(pause={"mode": "freeze", "freeze_max": 0.3}),
        environ=agent_env(tmp_path, "slow", slow_lines="20000"),
    )
    ms = make_milestone()
    ev_rid = mgr.start(ms, ms.tasks[0], "design")
    deadline = time.monotonic() + 10
    while mgr.active()[("m1", "t1", "design")].status != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    assert mgr.pause_all() == [ev_rid]
    out = mgr.wait(ev_rid, 15)
    assert out is not None and out.status == "stopped" and not out.final
    assert mgr.is_busy("m1", "t1", "design")
    mgr.close()
    assert_no_orphans(tmp_path, [records.read(root, ev_rid).pgid])  # type: ignore[union-attr]


def test_concurrency_limit_queues_and_execute_is_serial(tmp_path: Path) -> None:
    from tests.unit.test_runs_support import make_task

    root = make_repo(tmp_path)
    env = agent_env(tmp_path, "slow", slow_lines="5", slow_interval="0.05")
    mgr = RunManager(root, settings(concurrency=2), environ=env)
    tasks = [make_task(f"t{i}") for i in range(3)]
    ms = make_milestone(*tasks)
    ids = [mgr.start(ms, t, "design") for t in tasks]
    assert mgr.start(ms, tasks[0], "design") == ids[0]  # idempotent while active
    statuses = [a.status for a in mgr.active().values()]
    assert statuses.count("queued") >= 1
    assert mgr.wait_idle(30)
    assert all(mgr.outcome(i).status == "succeeded" for i in ids)  # type: ignore[union-attr]
    # execute-phase runs in one working tree never overlap
    ex = [mgr.start(ms, t, "execute") for t in tasks[:2]]
    assert [a.status for k, a in mgr.active().items() if k[2] == "execute"].count("running") <= 1
    assert mgr.wait_idle(30)
    a, b = (records.read(root, i) for i in ex)
    assert a and b and a.ended_at and b.started_at and a.ended_at <= b.started_at


def test_untrusted_repo_preset_never_runs(tmp_path: Path) -> None:
    from kiro_tui.core.runs import trust
    from kiro_tui.core.runs.settings_parse import parse_settings

    root = make_repo(tmp_path)
    touched = tmp_path / "touched"
    script = root / "scripts" / "agent.py"
    script.parent.mkdir()
    script.write_text(f"open({str(touched)!r}, 'a').write('ran\\n')\n")
    repo = {"agent": "mine", "presets": {"mine": {"argv": [sys.executable, "scripts/agent.py"]}}}
    user = {"env": {"pass": ["FAKE_AGENT_*"]}, "stop": {"interrupt": 0.2, "terminate": 0.2}}
    s, problems = parse_settings(repo, user)
    assert problems == []
    state = tmp_path / "state"
    ev = Events()
    ms = make_milestone()

    def attempt(sett):  # type: ignore[no-untyped-def]
        mgr = RunManager(root, sett, on_event=ev, environ=agent_env(tmp_path), state_dir=state)
        return mgr.final_outcome(mgr.start(ms, ms.tasks[0], "design"), 20)

    out = attempt(s)
    assert out is not None and out.kind == "executor_untrusted" and not touched.exists()
    assert ev.of("executor_untrusted")
    trust.trust(root, s, state_dir=state)
    out = attempt(s)
    assert touched.read_text() == "ran\n"  # trusted: it ran (and left no deliverables)
    assert out is not None and out.kind == "deliverables_missing"
    script.write_text(f"open({str(touched)!r}, 'a').write('edited\\n')\n")  # an edit
    out = attempt(s)
    assert out is not None and out.kind == "executor_untrusted"
    assert touched.read_text() == "ran\n"


def test_dangerous_preset_refused_unless_user_allows(tmp_path: Path) -> None:
    danger = {
        "presets": {
            "yolo": {
                "argv": [
                    "claude",
                    "-p",
                    "--dangerously-skip-permissions",
                    "--output-format",
                    "stream-json",
                    "--verbose",
                ],
                "dialect": "claude",
            }
        },
        "agent": "yolo",
    }
    _root, _mgr, ev, out = run_one(tmp_path / "a", "ok", **danger)
    assert out is not None and out.kind == "preset_incompatible"
    assert "allow_dangerous" in out.reason and ev.of("preset_incompatible")
    _root, _mgr, _ev, out = run_one(tmp_path / "b", "ok", allow_dangerous=True, **danger)
    assert out is not None and out.status == "succeeded"


def test_missing_agent_binary_is_reported(tmp_path: Path) -> None:
    _root, _mgr, _ev, out = run_one(
        tmp_path, "ok", presets={"x": {"argv": ["no-such-agent-cli"]}}, agent="x"
    )
    assert out is not None and out.kind == "preset_incompatible" and "cannot start" in out.reason


DRIVER = r"""
import sys, time, json
sys.path.insert(0, {repo!r})
from pathlib import Path
from tests.unit.test_runs_support import make_milestone, settings
from kiro_tui.core.runs.supervisor import RunManager
env = json.loads(Path({envfile!r}).read_text())
mgr = RunManager(Path({root!r}), settings(), environ=env)
ms = make_milestone()
rid = mgr.start(ms, ms.tasks[0], "design")
print(rid, flush=True)
time.sleep(3600)
"""


def test_orphans_of_a_killed_driver_are_adopted(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    env = agent_env(tmp_path, "spawn_child", child_then="hang")
    envfile = tmp_path / "env.json"
    envfile.write_text(json.dumps(env))
    repo_dir = str(Path(__file__).resolve().parents[2])
    # we must be the reaper of what the dead driver leaves (as a RunManager makes itself)
    from kiro_tui.core.runs.groups import become_subreaper

    become_subreaper()
    code = DRIVER.format(repo=repo_dir, envfile=str(envfile), root=str(root))
    driver = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": repo_dir},
    )
    assert driver.stdout is not None
    rid = driver.stdout.readline().strip()
    deadline = time.monotonic() + 15
    while len(recorded_pids(tmp_path)) < 2:
        assert time.monotonic() < deadline, "the agent never started its child"
        time.sleep(0.02)
    rec = records.read(root, rid)
    # wait for the session id too: the driver records it when its reader thread has parsed
    # the agent's first line, which may come after the child's pid was written
    while rec is None or rec.status != "running" or not rec.session_id:
        assert time.monotonic() < deadline
        time.sleep(0.02)
        rec = records.read(root, rid)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    assert all(alive(p) for p in recorded_pids(tmp_path))  # the agent outlived its driver
    orphans = records.find_orphans(root)
    assert [o.record.run_id for o in orphans] == [rid]
    ev = Events()
    mgr = RunManager(
        root, settings(stop={"interrupt": 0.3, "terminate": 0.3}), on_event=ev, environ=env
    )
    adopted = mgr.adopt_orphans()
    assert [r.run_id for r in adopted] == [rid]
    assert adopted[0].status == "interrupted" and adopted[0].session_id
    assert ev.of("run_interrupted")
    assert_no_orphans(tmp_path, [rec.pgid])
    assert records.find_orphans(root) == []
    # the next driver resumes it
    env["FAKE_AGENT_SCENARIO"] = "resume"
    mgr2 = RunManager(root, settings(), environ=env)
    ms = make_milestone()
    out = mgr2.final_outcome(mgr2.start(ms, ms.tasks[0], "design", resume_of=rid), 20)
    assert out is not None and out.status == "succeeded", out
