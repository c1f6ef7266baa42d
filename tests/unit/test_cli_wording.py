"""CLI validation and wording (issue 10, item 15): refusals for unknown requirements and
non-positive hours, what `start` and an empty `log` say, a quiet Ctrl-C on `log -f`, usage
errors that point to the verb's own --help, help text for every positional."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiro_tui.cli import build_parser, main
from kiro_tui.core.service import Workspace


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", "2026-11-25T14:03:07Z")
    root = tmp_path / "w"
    root.mkdir()
    Workspace.init(root)
    Workspace.open(root).new_milestone("m1", "First", [])
    return root


def run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_new_refuses_an_unknown_requirement(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, root, "new", "m2", "--title", "Second", "--requires", "ghost")
    assert code == 1
    assert err == "kiro-tui: cannot create m2: there is no milestone 'ghost' to require\n"
    assert not (root / ".milestones/active/m2.yaml").exists()
    code, out, _ = run(capsys, root, "new", "m2", "--title", "Second", "--requires", "m1")
    assert code == 0 and out == "created .milestones/active/m2.yaml\n"


@pytest.mark.parametrize("hours", ["-3", "0", "nan", "inf"])
def test_add_task_refuses_non_positive_hours(
    root: Path, capsys: pytest.CaptureFixture[str], hours: str
) -> None:
    path = root / ".milestones/active/m1.yaml"
    before = path.read_bytes()
    code, _, err = run(capsys, root, "add-task", "m1", "--title", "T", "--hours", hours)
    assert code == 1 and err.count("\n") == 1
    assert "estimated hours must be a positive number" in err
    assert path.read_bytes() == before
    code, out, _ = run(capsys, root, "add-task", "m1", "--title", "T", "--hours", "2.5")
    assert code == 0 and "added" in out


def test_start_says_what_to_do_next_and_an_empty_log_says_so(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = root.parent / "empty"
    empty.mkdir()
    Workspace.init(empty)
    code, out, _ = run(capsys, empty, "log")
    assert (code, out) == (0, "no events in .milestones/logs yet\n")
    code, out, _ = run(capsys, root, "log", "m1", "-n", "5")
    assert "milestone m1 created" in out and "no events" not in out
    code, out, _ = run(capsys, root, "start", "m1")
    assert code == 0
    first, second = out.splitlines()
    assert first.startswith("m1: session exec-m1-") and first.endswith(" started")
    assert second.startswith("next: 'kiro-tui run m1' drives it with the agents")
    assert "'kiro-tui phase start m1 TASK design'" in second


def test_unreadable_log_lines_are_counted(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = root / ".milestones/logs/agent.jsonl"
    log.write_text('{"action": "edited"}\nnot json\n{"nothing": 1}\n', encoding="utf-8")
    code, out, err = run(capsys, root, "log")
    assert code == 0 and "edited" in out
    assert err == (
        "kiro-tui: 2 log line(s) could not be read (not JSON, or no event name) and are not shown\n"
    )


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["add-task", "m1", "--bogus"], "kiro-tui add-task --help"),
        (["add-task", "m1", "--title", "x", "--bogus", "1"], "kiro-tui add-task --help"),
        (["status", "--wat"], "kiro-tui status --help"),
        (["git", "status", "--zzz"], "kiro-tui git status --help"),
        (["git"], "kiro-tui git --help"),
        (["frob"], "kiro-tui --help"),
    ],
)
def test_usage_errors_point_to_the_verbs_help(
    root: Path, capsys: pytest.CaptureFixture[str], argv: list[str], where: str
) -> None:
    code, out, err = run(capsys, root, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.endswith(f"(see '{where}')\n"), err


def test_every_positional_has_help_text() -> None:
    parser = build_parser()
    missing = []

    def visit(p: object, name: str) -> None:
        for action in p._actions:  # type: ignore[attr-defined]
            if action.option_strings:
                continue
            if isinstance(getattr(action, "choices", None), dict):  # the verbs under `name`
                for verb, sub in action.choices.items():
                    visit(sub, f"{name} {verb}")
                if not action.help and name != "kiro-tui":
                    missing.append(f"{name} COMMAND")
                continue
            if not action.help:
                missing.append(f"{name} {action.dest}")

    visit(parser, "kiro-tui")
    assert missing == []


def test_ctrl_c_on_log_follow_exits_quietly(root: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiro_tui", "-C", str(root), "log", "-f"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        log = root / ".milestones/logs/execution-m1.jsonl"
        deadline = time.monotonic() + 30
        seen = ""
        while time.monotonic() < deadline and "followed" not in seen:
            with open(log, "a", encoding="utf-8") as fh:  # until the watcher is up and answers
                fh.write('{"timestamp": "2026-11-25T14:03:08Z", "event": "followed"}\n')
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                seen += proc.stdout.readline()
        assert "followed" in seen
        os.kill(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 130)
    assert err == "", err
