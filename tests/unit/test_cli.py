"""The headless command line: every command form of issue 2, exit codes, stderr, JSON schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kiro_tui.cli import main
from kiro_tui.core.yaml.roundtrip import load_fast
from tests.unit.test_core_workflow import tree

M1 = "milestone-001"
NOW = "2026-11-25T14:03:07Z"


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", NOW)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 1, (out, err)
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kiro-tui: ")
    return err


def phase(root: Path, task: str, name: str, mid: str = M1) -> dict[str, Any]:
    path = root / ".milestones/active" / f"{mid}.yaml"
    doc = load_fast(path.read_text(), path)
    return next(t for t in doc["tasks"] if t["id"] == task)["kiro_workflow"]["phases"][name]


def cli(root: Path, *argv: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """The real program in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        **kw,
    )


# ---------------------------------------------------------------- the program itself


def test_subprocess_status_json_and_refusal(seed: Path) -> None:
    p = cli(seed, "status", "--json")
    assert p.returncode == 0 and p.stderr == ""
    data = json.loads(p.stdout)
    assert data["schema"] == 1 and data["root"] == str(seed.resolve())
    p = cli(seed, "approve", M1, "task-002", "design")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "not waiting_approval" in p.stderr
    assert "Traceback" not in p.stderr


def test_subprocess_approve_and_exit_codes(seed: Path) -> None:
    p = cli(seed, "approve", M1, "task-001", "spec", "--note", "ok")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "task-001: spec approved by tester\n" and p.stderr == ""
    assert phase(seed, "task-001", "spec")["approved_by"] == "tester"
    p = cli(seed, "approve", M1)  # usage error
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    p = cli(seed, "frobnicate")
    assert p.returncode == 2


def test_subprocess_validate_broken(broken: Path) -> None:
    p = cli(broken, "validate")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert ".milestones/active/bad-yaml.yaml:2:" in p.stdout


def test_subprocess_no_workspace(tmp_path: Path) -> None:
    p = cli(tmp_path, "status")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("kiro-tui: no .milestones/ folder in ")
    assert p.stderr.count("\n") == 1


def test_subprocess_broken_pipe_is_quiet(seed: Path) -> None:
    log = seed / ".milestones/logs/execution-milestone-001.jsonl"
    with open(log, "a") as fh:
        for i in range(5000):
            fh.write(
                json.dumps(
                    {
                        "timestamp": NOW,
                        "event": "tick",
                        "milestone_id": M1,
                        "message": f"line {i} " + "z" * 80,
                    }
                )
                + "\n"
            )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(seed), "log", "-n", "5000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert err == ""


def test_subprocess_log_follow(seed: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(seed), "log", "-n", "0", "--follow", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        log = seed / ".milestones/logs/execution-milestone-001.jsonl"
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and not line:
            time.sleep(0.2)  # the watcher may not be up yet: keep appending until it answers
            with open(log, "a") as fh:
                fh.write(json.dumps({"timestamp": NOW, "event": "followed"}) + "\n")
            import select

            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline()
        assert json.loads(line)["event"] == "followed"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---------------------------------------------------------------- status


PHASE_KEYS = {"status", "gate", "deliverables"}
TASK_KEYS = {"id", "title", "status", "progress", "kind", "current_phase", "depends_on", "phases"}
MILESTONE_KEYS = {"id", "title", "status", "location", "progress", "requires", "startable", "tasks"}


def test_status_json_schema(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-C", str(seed), "status", "--json")
    assert code == 0 and err == ""
    assert out.count("\n") == 1
    data = json.loads(out)
    assert set(data) == {"schema", "root", "milestones", "problems"}
    assert data["schema"] == 1 and data["root"] == str(seed.resolve())
    assert data["problems"] == []
    for m in data["milestones"]:
        assert set(m) == MILESTONE_KEYS
        assert m["location"] in ("active", "completed")
        assert isinstance(m["progress"], (int, float)) and isinstance(m["startable"], bool)
        for t in m["tasks"]:
            assert set(t) == TASK_KEYS
            assert t["kind"] in ("kiro", "plain")
            if t["kind"] == "kiro":
                assert list(t["phases"]) == ["design", "spec", "task", "execute"]
            else:
                assert t["phases"] == {} and t["current_phase"] is None
            for ph in t["phases"].values():
                assert set(ph) == PHASE_KEYS
                assert isinstance(ph["gate"], bool)
                assert set(ph["deliverables"]) == {"present", "missing"}
    by_id = {m["id"]: m for m in data["milestones"]}
    m1 = by_id[M1]
    assert (m1["title"], m1["status"], m1["location"], m1["progress"]) == (
        "User authentication",
        "in_progress",
        "active",
        47.8,
    )
    assert m1["requires"] == ["milestone-000"] and m1["startable"] is True
    assert by_id["milestone-002"]["startable"] is False
    assert by_id["milestone-002"]["status"] == "planned"
    assert by_id["milestone-000"]["location"] == "completed"
    assert by_id["milestone-000"]["startable"] is False  # finished
    tasks = {t["id"]: t for t in m1["tasks"]}
    assert {k: t["progress"] for k, t in tasks.items()} == {
        "task-001": 33.8,
        "task-002": 7.5,
        "task-003": 100.0,
        "task-004": 50.0,
    }
    t2 = tasks["task-002"]
    assert t2["depends_on"] == ["task-001"] and t2["current_phase"] == "design"
    assert t2["phases"]["design"] == {
        "status": "in_progress",
        "gate": True,
        "deliverables": {
            "present": ["root_cause_analysis.md"],
            "missing": ["fix_approach.md", "regression_prevention.md"],
        },
    }
    assert tasks["task-004"]["kind"] == "plain"


def test_status_json_of_one_milestone_and_problems(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-C", str(broken), "status", "cycle-a", "--json")
    assert code == 0
    data = json.loads(out)
    assert [m["id"] for m in data["milestones"]] == ["cycle-a"]
    for p in data["problems"]:
        assert set(p) == {"file", "line", "message"}
    bad = next(p for p in data["problems"] if p["file"].endswith("bad-yaml.yaml"))
    assert bad["line"] == 2


def test_status_human_fits_80_columns(
    seed: Path, broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiro_tui.core.service import Workspace

    ws = Workspace.open(seed)
    for i in range(8):  # `new --requires` refuses a milestone that does not exist
        ws.new_milestone(f"req-{i:03d}-{'y' * 20}", "Required", [])
    ws.new_milestone(
        "m-" + "x" * 120,
        "A very long title " * 10,
        ["milestone-001"] * 1 + [f"req-{i:03d}-{'y' * 20}" for i in range(8)],
    )
    ws.add_task("m-" + "x" * 120, "Task title " * 20, task_id="t-" + "z" * 120)
    for root in (seed, broken):
        code, out, _ = run(capsys, "-C", str(root), "status")
        assert code == 0 and out
        for line in out.splitlines():
            assert len(line) <= 80, line
    code, out, _ = run(capsys, "-C", str(seed), "status", M1)
    assert out.splitlines()[0].startswith("milestone-001  User authentication")
    assert "47.8%" in out.splitlines()[0]
    assert "milestone-002" not in out


def test_status_unknown_milestone(
    seed: Path, broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no milestone 'nope'" in refused(capsys, "-C", str(seed), "status", "nope")
    assert "could not be loaded" in refused(capsys, "-C", str(broken), "status", "bad-yaml")
    assert "invalid milestone id" in refused(capsys, "-C", str(seed), "status", "../x")


def test_status_of_an_empty_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "-C", str(tmp_path), "init")[0] == 0
    code, out, _ = run(capsys, "-C", str(tmp_path), "status")
    assert code == 0 and "no milestones yet" in out
    code, out, _ = run(capsys, "-C", str(tmp_path), "status", "--json")
    assert json.loads(out)["milestones"] == []


# ---------------------------------------------------------------- validate


def test_validate(seed: Path, broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-C", str(seed), "validate")
    assert (code, out, err) == (0, "ok: no problems\n", "")
    code, out, _ = run(capsys, "-C", str(seed), "validate", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, err = run(capsys, "-C", str(broken), "validate")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[-1] == f"{len(lines) - 1} problem(s)"
    assert any(x.startswith(".milestones/active/bad-yaml.yaml:2:") for x in lines)
    code, out, _ = run(capsys, "-C", str(broken), "validate", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["schema"] == 1
    assert {p["kind"] for p in data["problems"]} >= {
        "invalid_file",
        "dependency_cycle",
        "invalid_id",
    }


# ---------------------------------------------------------------- actions


def test_start_pause_resume(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-C", str(seed), "start", M1)
    # the seed's milestone names a session the original commands never wrote: adopted
    assert code == 0 and "session exec-milestone-001-20251121-100000 continues" in out
    code, out, _ = run(capsys, "-C", str(seed), "pause", M1, "--by", "zoe")
    assert (code, out) == (0, "milestone-001: paused by zoe\n")
    assert "already paused" in refused(capsys, "-C", str(seed), "pause", M1)
    assert "paused" in refused(capsys, "-C", str(seed), "start", M1)
    code, out, _ = run(capsys, "-C", str(seed), "resume", M1)
    assert (code, out) == (0, "milestone-001: resumed by tester\n")
    assert "requires milestone-001" in refused(capsys, "-C", str(seed), "start", "milestone-002")


def test_approve_reject_and_by(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(seed)
    err = refused(capsys, "-C", str(seed), "reject", M1, "task-001", "spec", "--reason", "  ")
    assert "a reason is required" in err
    assert tree(seed) == before
    code, out, _ = run(
        capsys,
        "-C",
        str(seed),
        "reject",
        M1,
        "task-001",
        "spec",
        "--reason",
        "more tests",
        "--by",
        "rita",
    )
    assert code == 0 and "sent back by rita: more tests" in out
    assert phase(seed, "task-001", "spec")["rejected_by"] == "rita"
    assert "no deliverable changed" in refused(
        capsys, "-C", str(seed), "phase", "complete", M1, "task-001", "spec"
    )
    (seed / ".milestones/deliverables/task-001/spec/test_plan.md").write_text("more tests\n")
    assert run(capsys, "-C", str(seed), "phase", "complete", M1, "task-001", "spec")[0] == 0
    code, out, _ = run(capsys, "-C", str(seed), "approve", M1, "task-001", "spec", "--note", "good")
    assert (code, out) == (0, "task-001: spec approved by tester\n")
    ph = phase(seed, "task-001", "spec")
    assert ph["approved_by"] == "tester" and ph["approval_notes"] == "good"


def test_by_defaults_to_git_user_then_login(
    seed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pygit2

    monkeypatch.delenv("KIRO_USER")
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    repo = pygit2.init_repository(str(seed))
    repo.config["user.name"] = "Grace Hopper"
    assert run(capsys, "-C", str(seed), "approve", M1, "task-001", "spec")[0] == 0
    assert phase(seed, "task-001", "spec")["approved_by"] == "Grace Hopper"


def test_phase_commands(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "-C", str(seed), "phase", "start", "milestone-002", "task-010", "design"
    )
    assert (code, out) == (0, "task-010: design started\n")
    code, out, _ = run(
        capsys,
        "-C",
        str(seed),
        "phase",
        "block",
        "milestone-002",
        "task-010",
        "design",
        "--reason",
        "vendor",
    )
    assert (
        code == 0
        and phase(seed, "task-010", "design", "milestone-002")["blocked_reason"] == "vendor"
    )
    assert (
        run(capsys, "-C", str(seed), "phase", "unblock", "milestone-002", "task-010", "design")[0]
        == 0
    )
    err = refused(
        capsys, "-C", str(seed), "phase", "complete", "milestone-002", "task-010", "design"
    )
    assert "templates" in err
    assert "waiting for task-010" in refused(
        capsys, "-C", str(seed), "phase", "start", "milestone-002", "task-011", "design"
    )
    assert "unknown phase" in refused(
        capsys, "-C", str(seed), "phase", "start", M1, "task-001", "deploy"
    )
    assert "no task" in refused(capsys, "-C", str(seed), "phase", "start", M1, "task-9", "design")
    assert run(capsys, "-C", str(seed), "phase", "finish", M1, "task-001", "design")[0] == 2


def test_init_new_add_task_migrate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    code, out, _ = run(capsys, "-C", str(root), "init")
    assert code == 0 and (root / ".milestones/config/kiro-config.yaml").is_file()
    code, out, _ = run(capsys, "-C", str(root), "new", "m1", "--title", "First")
    assert (code, out) == (0, "created .milestones/active/m1.yaml\n")
    code, out, _ = run(
        capsys, "-C", str(root), "new", "m2", "--title", "Second", "--requires", "m1", "m0"
    )
    assert code == 1  # there is no m0
    run(capsys, "-C", str(root), "new", "m0", "--title", "Zero")
    code, out, _ = run(
        capsys, "-C", str(root), "new", "m2", "--title", "Second", "--requires", "m1", "m0"
    )
    assert code == 0
    assert "already exists" in refused(capsys, "-C", str(root), "new", "m1", "--title", "x")
    code, out, _ = run(
        capsys, "-C", str(root), "add-task", "m1", "--title", "Login form", "--kind", "frontend"
    )
    assert (code, out) == (0, "m1: added task-login-form\n")
    code, out, _ = run(
        capsys,
        "-C",
        str(root),
        "add-task",
        "m1",
        "--title",
        "API",
        "--depends-on",
        "task-login-form",
    )
    assert (code, out) == (0, "m1: added task-api\n")
    assert "no task 'task-x'" in refused(
        capsys, "-C", str(root), "add-task", "m1", "--title", "y", "--depends-on", "task-x"
    )
    assert run(capsys, "-C", str(root), "add-task", "m1", "--title", "z", "--kind", "chore")[0] == 2
    code, out, _ = run(capsys, "-C", str(root), "status", "--json")
    data = json.loads(out)
    m2 = next(m for m in data["milestones"] if m["id"] == "m2")
    assert m2["requires"] == ["m1", "m0"]
    m1 = next(m for m in data["milestones"] if m["id"] == "m1")
    assert [t["depends_on"] for t in m1["tasks"]] == [[], ["task-login-form"]]
    assert m1["tasks"][0]["phases"]["design"]["deliverables"]["missing"][0] == "ui_mockups.md"
    code, out, _ = run(capsys, "-C", str(root), "migrate", "m1")
    assert code == 0 and "nothing to migrate" in out
    assert "no milestone" in refused(capsys, "-C", str(root), "migrate", "m9")


def test_migrate_seed(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-C", str(seed), "migrate", M1)
    assert (code, out) == (0, "milestone-001: migrated task-004 (strict)\n")


# ---------------------------------------------------------------- log


def test_log(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-C", str(seed), "log")
    assert code == 0
    assert [x.split("  ")[0] for x in out.splitlines()] == [
        "2026-11-21 09:59:00",
        "2026-11-21 10:00:00",
        "2026-11-21 13:00:00",
    ]
    assert run(capsys, "-C", str(seed), "approve", M1, "task-001", "spec")[0] == 0
    code, out, _ = run(capsys, "-C", str(seed), "log", M1, "-n", "2", "--json")
    recs = [json.loads(x) for x in out.splitlines()]
    assert [r["event"] for r in recs] == ["phase_approved", "phase_started"]
    assert recs[0]["actor"] == "tester" and recs[0]["role"] == "user"
    code, out, _ = run(capsys, "-C", str(seed), "log", "-n", "0")
    assert (code, out) == (0, "")
    assert run(capsys, "-C", str(seed), "log", "-n", "x")[0] == 2
    assert "no milestone" in refused(capsys, "-C", str(seed), "log", "nope")


def test_log_of_the_broken_workspace(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-C", str(broken), "log")
    assert code == 0 and len(out.splitlines()) == 1 and "milestone activated" in out


# ---------------------------------------------------------------- usage and errors


def test_usage_errors_exit_2(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["approve", M1, "task-001"],
        ["reject", M1, "task-001", "spec"],
        ["status", "--bogus"],
        ["new", "m9"],
        ["nonsense"],
        ["-C"],
    ):
        code, out, err = run(capsys, "-C", str(seed), *argv)
        assert code == 2, argv
        assert err.count("\n") == 1 and err.startswith("kiro-tui: "), err
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("kiro-tui ")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "status" in out


def test_minus_c_and_cwd(
    seed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = seed / "deep" / "er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0 and json.loads(out)["root"] == str(seed.resolve())
    code, out, _ = run(capsys, "-C", str(sub), "status", "--json")
    assert json.loads(out)["root"] == str(seed.resolve())
    err = refused(capsys, "-C", str(seed / "missing"), "status")
    assert "no such folder" in err


def test_no_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in (
        ["status"],
        ["validate"],
        ["start", "m1"],
        ["log"],
        ["approve", "m1", "t", "design"],
    ):
        err = refused(capsys, *argv)
        assert "no .milestones/ folder" in err and "kiro-tui init" in err


def test_broken_files_refuse_in_one_line(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(broken)
    assert "bad-yaml.yaml:2:" in refused(
        capsys, "-C", str(broken), "add-task", "bad-yaml", "--title", "x"
    )
    assert "does not match" in refused(capsys, "-C", str(broken), "migrate", "wrong-name")
    assert "invalid task id" in refused(
        capsys, "-C", str(broken), "approve", "evil", "../../escape", "design"
    )
    assert tree(broken) == before
    assert os.listdir(broken / ".milestones/active")  # still there, untouched


def test_unexpected_errors_are_one_line_too(tmp_path: Path) -> None:
    (tmp_path / ".milestones").mkdir()
    (tmp_path / ".milestones" / "active").write_text("a file where a folder should be\n")
    p = cli(tmp_path, "new", "m1", "--title", "x")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith("kiro-tui: ")
    p = cli(tmp_path, "status")
    assert p.returncode == 0 and "Traceback" not in p.stderr
