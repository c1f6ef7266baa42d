"""Issue 11: an action killed between its milestone write and its event line is finished by the
next action (never taken for a lost decision), and the next kiro-tui that writes re-applies a
decision an outside writer's older copy lost; `status` only looks.

The kill lands exactly there with real processes: this test holds the execution log's append
lock (events.append takes `flock` on the log), so the child renames the milestone and then
blocks on its first line; it is killed once the milestone file shows the change."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.reliability.common import cli
from tests.reliability.scenarios import MID, doc_of, env, log_lines, make_workspace, phases


def _wait(cond: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _killed_before_its_line(root: Path, args: list[str], shows: Any) -> None:
    """Run `kiro-tui ARGS` and SIGKILL it after its milestone write, before its log line."""
    log = root / ".milestones/logs" / f"execution-{MID}.jsonl"
    fd = os.open(log, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        p = subprocess.Popen(
            [sys.executable, "-m", "kiro_tui", "-C", str(root), *args],
            env=env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(lambda: shows(doc_of(root)) or p.poll() is not None, "the milestone write")
            assert p.poll() is None, "the action ended without waiting for its log line"
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait(15)
    finally:
        os.close(fd)  # releases the log


def _events(root: Path, *names: str) -> list[dict[str, Any]]:
    recs, torn = log_lines(root)
    assert torn == 0
    return [r for r in recs if r.get("event") in names]


def _session_status(root: Path) -> str:
    from kiro_tui.core import sessions

    sid = doc_of(root)["execution"]["session_id"]
    s = sessions.read_session(root, sid)
    assert s is not None
    return s.status


def _no_duplicate_lines(root: Path) -> None:
    data = (root / ".milestones/logs" / f"execution-{MID}.jsonl").read_bytes()
    lines = [x for x in data.split(b"\n") if x.strip()]
    assert len(lines) == len(set(lines)), "a log line written twice"


def _started(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    make_workspace(root, 3, 2, deliverables=True, status="planned")
    assert cli(root, "start", MID).rc == 0
    return root


def test_a_pause_killed_before_its_line_is_finished_not_undone(tmp_path: Path) -> None:
    root = _started(tmp_path)
    # a pause and a resume before: the log's latest decision is the resume, which the
    # killed pause's file contradicts (read as a lost resume, it would be undone)
    assert cli(root, "pause", MID).rc == 0
    assert cli(root, "resume", MID).rc == 0
    _killed_before_its_line(root, ["pause", MID], lambda d: d.get("status") == "paused")
    assert [e["event"] for e in _events(root, "session_paused", "session_resumed")] == [
        "session_paused",
        "session_resumed",
    ]
    # the next action, on something else: milestone, session and log agree
    assert cli(root, "phase", "block", MID, "t-001", "design", "--reason", "r").rc == 0
    assert doc_of(root)["status"] == "paused"
    assert _session_status(root) == "paused"
    got = _events(root, "session_paused", "session_resumed", "decision_reapplied")
    # (counted: a pause in the same second as the first makes an equal line)
    assert [e["event"] for e in got] == ["session_paused", "session_resumed", "session_paused"]
    # and the user's next session action just works on it
    assert cli(root, "resume", MID).rc == 0
    assert (doc_of(root)["status"], _session_status(root)) == ("in_progress", "active")
    got = _events(root, "session_paused", "session_resumed", "decision_reapplied")
    # each line once (two resumes in one second make two equal lines: counted, not compared)
    assert [e["event"] for e in got] == [
        "session_paused",
        "session_resumed",
        "session_paused",
        "session_resumed",
    ]
    assert not _events(root, "decision_reapplied")


def test_an_approval_killed_before_its_line_gets_its_line_once(tmp_path: Path) -> None:
    root = _started(tmp_path)
    _killed_before_its_line(
        root,
        ["approve", MID, "t-000", "design", "--by", "ann"],
        lambda d: phases(d, "t-000")["design"]["status"] == "approved",
    )
    assert not _events(root, "phase_approved")
    assert cli(root, "phase", "start", MID, "t-002", "design").rc == 0
    approved = _events(root, "phase_approved")
    assert len(approved) == 1 and approved[0]["task_id"] == "t-000", approved
    assert approved[0]["actor"] == "ann" and approved[0].get("digest"), approved
    assert phases(doc_of(root), "t-000")["design"]["status"] == "approved"
    assert not _events(root, "decision_reapplied")
    assert cli(root, "phase", "block", MID, "t-001", "design", "--reason", "r").rc == 0
    assert len(_events(root, "phase_approved")) == 1
    _no_duplicate_lines(root)


def test_a_killed_action_whose_rename_never_happened_logs_nothing(tmp_path: Path) -> None:
    """The intent record is written before the rename: a kill between them leaves a record
    for a file that still has the text from before, which the next action drops."""
    from kiro_tui.core import intent
    from kiro_tui.core.service import Workspace

    root = _started(tmp_path)
    ws = Workspace(root, persist_cache=False)
    path = ws.milestone_path(MID)
    text = path.read_text()
    rec = ws.record(MID, {"event": "session_paused", "message": "never renamed"})
    intent.write(intent.path_of(ws.ms, MID), root, ws.execution_log(MID), text, "x", [rec])
    assert cli(root, "phase", "start", MID, "t-002", "design").rc == 0
    assert not _events(root, "session_paused")
    assert not intent.path_of(ws.ms, MID).exists()


def test_the_next_kiro_tui_that_writes_re_applies_a_lost_decision(tmp_path: Path) -> None:
    root = _started(tmp_path)
    path = root / ".milestones/active" / f"{MID}.yaml"
    older = path.read_bytes()  # what an unlocked writer read before the user decided
    assert cli(root, "approve", MID, "t-000", "design", "--by", "ann").rc == 0
    assert cli(root, "pause", MID).rc == 0
    path.write_bytes(older)  # ... and writes back over kiro-tui's result (no lock)
    # an observer does not write: `status` leaves the file as it is
    assert cli(root, "status", MID).rc == 0
    assert path.read_bytes() == older
    # the next action on the milestone, on another task, re-applies both
    assert cli(root, "approve", MID, "t-001", "design").rc == 0
    doc = doc_of(root)
    assert phases(doc, "t-000")["design"]["status"] == "approved"
    assert phases(doc, "t-001")["design"]["status"] == "approved"
    assert doc["status"] == "paused"
    kinds = sorted(e["data"]["decision"] for e in _events(root, "decision_reapplied"))
    assert kinds == ["approve", "pause"], kinds
    # and only once
    assert cli(root, "phase", "block", MID, "t-002", "design", "--reason", "r").rc == 0
    assert len(_events(root, "decision_reapplied")) == 2
    # the user, seeing the gate waiting again, approves it again: the lost approval is
    # re-applied and written even though this approve itself is refused (it is approved)
    path.write_bytes(older)
    got = cli(root, "approve", MID, "t-000", "design")
    assert got.rc == 1 and "it is approved" in got.text, got.text
    assert phases(doc_of(root), "t-000")["design"]["status"] == "approved"
    doc = doc_of(root)
    assert phases(doc, "t-001")["design"]["status"] == "approved"
    assert phases(doc, "t-002")["design"]["status"] == "blocked"
    assert len(_events(root, "decision_reapplied")) == 6  # t-000, t-001, t-002, the pause


def test_a_link_or_folder_planted_as_the_intent_record_is_never_written_through(
    tmp_path: Path,
) -> None:
    root = _started(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    ahead = root / ".milestones/logs" / f".ahead-{MID}.json"
    ahead.symlink_to(victim)
    assert cli(root, "phase", "start", MID, "t-002", "design").rc == 0
    assert victim.read_text() == "do not touch\n" and not ahead.is_symlink()
    ahead.mkdir()
    (ahead / "x").write_text("")
    got = cli(root, "phase", "complete", MID, "t-002", "design")
    assert got.rc != 0 and ".ahead-" in got.text, got.text
    assert phases(doc_of(root), "t-002")["design"]["status"] == "in_progress"
