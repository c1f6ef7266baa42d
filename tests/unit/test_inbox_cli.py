"""`kiro-tui inbox` and `kiro-tui wait` as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.unit.test_wait import ready_design

M1 = "milestone-001"
DEADLINE = 60.0  # generous: the machine is shared
NOW = "2026-11-25T14:03:07Z"
ENV = {**os.environ, "KIRO_TUI_FAKE_NOW": NOW}


def argv(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kiro_tui", "-C", str(root), *args]


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv(root, *args), capture_output=True, text=True, timeout=DEADLINE, check=False, env=ENV
    )


def watching(pid: int) -> bool:
    """Whether the process has an inotify watcher open (watchfiles runs)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if "inotify" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                return True
        except OSError:
            continue
    return False


def until(cond: object, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_inbox_text_and_json(seed: Path) -> None:
    text = cli(seed, "inbox")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "1 needs you"
    assert "milestone-001 > task-001 > spec" in lines[1] and "(a/x)" in lines[1]
    assert "3d5h" in lines[1]  # since 2026-11-22T09:00:00Z, seen from NOW
    js = cli(seed, "inbox", "--json")
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    assert data["schema"] == 1 and data["count"] == 1
    (item,) = data["items"]
    assert (item["kind"], item["task_id"], item["phase"]) == ("gate", "task-001", "spec")
    assert item["age_seconds"] == 3 * 86400 + 5 * 3600 + 3 * 60 + 7


def test_inbox_of_one_milestone_and_unknown_milestone(seed: Path) -> None:
    ok = cli(seed, "inbox", M1, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["count"] == 1
    bad = cli(seed, "inbox", "milestone-999")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "milestone-999" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_wait_any_returns_at_once_with_the_item(seed: Path) -> None:
    res = cli(seed, "wait", "--any", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["reason"] == "item" and data["item"]["phase"] == "spec"


def test_wait_times_out_with_exit_1(seed: Path) -> None:
    res = cli(seed, "wait", "--timeout", "0.3")
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.strip() == "timed out: nothing needs you"
    neg = cli(seed, "wait", "--timeout", "-1")
    assert neg.returncode == 2 and "--timeout" in neg.stderr


def test_wait_returns_when_another_process_opens_a_gate(seed: Path) -> None:
    ready_design(seed)
    proc = subprocess.Popen(
        argv(seed, "wait", "--timeout", str(DEADLINE)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        until(lambda: watching(proc.pid) or proc.poll() is not None, "the watcher")
        done = cli(seed, "phase", "complete", M1, "task-002", "design")
        assert done.returncode == 0, done.stderr
        out, err = proc.communicate(timeout=DEADLINE)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0, err
    assert "[gate] milestone-001 > task-002 > design" in out


def test_wait_ctrl_c_is_quiet(seed: Path) -> None:
    proc = subprocess.Popen(
        argv(seed, "wait"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    try:
        until(lambda: watching(proc.pid) or proc.poll() is not None, "the watcher")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=DEADLINE)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 130
    assert out == "" and err == ""
