"""Session records, the driver claim with its heartbeat and takeover, and role state."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiro_tui.core import sessions
from kiro_tui.core.errors import Refused
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast

NOW = "2026-11-25T14:03:07Z"
SID = "exec-m1-20261125-140307"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    Workspace.init(tmp_path)
    sessions.create_session(tmp_path, "m1", SID, NOW, "alice")
    return tmp_path


def raw(root: Path) -> dict:  # type: ignore[type-arg]
    return load_fast(sessions.session_path(root, SID).read_text(), "s")["session"]


def set_driver(root: Path, pid: int, host: str, heartbeat: str | None) -> None:
    hb = f'"{heartbeat}"' if heartbeat else "null"
    path = sessions.session_path(root, SID)
    path.write_text(
        path.read_text().replace(
            "driver: null", f"driver: {{pid: {pid}, host: {host}, user: bob, heartbeat: {hb}}}"
        )
    )


def test_session_id_and_record(root: Path) -> None:
    assert sessions.session_id_for("m1", NOW) == SID
    s = sessions.read_session(root, SID)
    assert s is not None
    assert (s.id, s.milestone_id, s.status, s.started_at) == (SID, "m1", "active", NOW)
    assert s.driver_pid is None and not s.paused
    assert raw(root)["started_by"] == "alice"
    assert sessions.read_session(root, "exec-none") is None


def test_claim_a_free_session(root: Path) -> None:
    assert sessions.claim_driver(root, SID, NOW, 60) is None
    drv = raw(root)["driver"]
    assert drv["pid"] == os.getpid() and drv["host"] == socket.gethostname()
    assert drv["heartbeat"] == NOW
    s = sessions.read_session(root, SID)
    assert (
        s is not None
        and s.heartbeat_age(sessions.clock.parse_ts("2026-11-25T14:03:17Z").timestamp()) == 10
    )  # type: ignore[union-attr]
    # claiming again is a refresh, not a takeover
    assert sessions.claim_driver(root, SID, "2026-11-25T14:04:00Z", 60) is None
    assert raw(root)["driver"]["heartbeat"] == "2026-11-25T14:04:00Z"


def test_a_live_driver_with_a_fresh_heartbeat_keeps_it(root: Path) -> None:
    set_driver(root, os.getppid(), socket.gethostname(), "2026-11-25T14:02:37Z")
    before = sessions.session_path(root, SID).read_bytes()
    with pytest.raises(Refused) as info:
        sessions.claim_driver(root, SID, NOW, 60)
    msg = str(info.value)
    assert f"driven by pid {os.getppid()}" in msg and "30s ago" in msg and "\n" not in msg
    assert sessions.session_path(root, SID).read_bytes() == before


def test_a_stale_heartbeat_is_taken_over(root: Path) -> None:
    set_driver(root, os.getppid(), socket.gethostname(), "2026-11-25T14:00:00Z")
    note = sessions.claim_driver(root, SID, NOW, 60)
    assert note is not None and "heartbeat is 187s old" in note
    assert raw(root)["driver"]["pid"] == os.getpid()


def test_a_dead_process_is_taken_over_at_once(root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(proc.stdout)
    set_driver(root, dead, socket.gethostname(), NOW)
    note = sessions.claim_driver(root, SID, NOW, 60)
    assert note is not None and "process is gone" in note


def test_other_hosts(root: Path) -> None:
    set_driver(root, 1, "elsewhere", "2026-11-25T14:03:00Z")
    with pytest.raises(Refused, match="on elsewhere"):
        sessions.claim_driver(root, SID, NOW, 60)
    note = sessions.claim_driver(root, SID, "2026-11-25T14:10:00Z", 60)
    assert note is not None and "elsewhere" in note


def test_no_heartbeat_is_stale(root: Path) -> None:
    set_driver(root, os.getppid(), socket.gethostname(), None)
    note = sessions.claim_driver(root, SID, NOW, 60)
    assert note is not None and "no heartbeat" in note


def test_heartbeat_and_release_only_for_the_driver(root: Path) -> None:
    me = {"pid": 4242, "host": "devbox", "user": "alice"}
    sessions.claim_driver(root, SID, NOW, 60, ident=me)
    assert sessions.heartbeat(root, SID, "2026-11-25T14:03:17Z", ident=me) is True
    assert raw(root)["driver"]["heartbeat"] == "2026-11-25T14:03:17Z"
    # another process is not the driver: nothing is written
    before = sessions.session_path(root, SID).read_bytes()
    assert sessions.heartbeat(root, SID, "2026-11-25T14:09:00Z") is False
    sessions.release_driver(root, SID)
    assert sessions.session_path(root, SID).read_bytes() == before
    sessions.release_driver(root, SID, ident=me)
    assert raw(root)["driver"] is None


def test_status_and_pauses(root: Path) -> None:
    sessions.set_session_status(root, SID, "paused", NOW, "carol")
    sessions.set_session_status(root, SID, "paused", NOW, "carol")  # no second entry
    sessions.set_session_status(root, SID, "active", "2026-11-25T15:00:00Z", "carol")
    sessions.set_session_status(root, SID, "paused", "2026-11-25T16:00:00Z", "dan")
    s = raw(root)
    assert s["pauses"] == [
        {"paused_at": NOW, "resumed_at": "2026-11-25T15:00:00Z", "by": "carol"},
        {"paused_at": "2026-11-25T16:00:00Z", "resumed_at": None, "by": "dan"},
    ]
    assert sessions.read_session(root, SID).paused  # type: ignore[union-attr]
    sessions.set_session_status(root, SID, "completed", "2026-11-25T17:00:00Z", "dan")
    assert raw(root)["ended_at"] == "2026-11-25T17:00:00Z"


def test_role_state_round_trip(root: Path) -> None:
    assert sessions.read_role_state(root, SID) == {}
    states = {"task_executor": {"status": "running", "heartbeat": NOW, "last_error": None}}
    sessions.write_role_state(root, SID, states)
    assert sessions.read_role_state(root, SID) == states
    sessions.state_path(root, SID).write_text("{broken")
    assert sessions.read_role_state(root, SID) == {}


def test_session_paths_refuse_bad_ids(root: Path) -> None:
    from kiro_tui.core.errors import InvalidId

    for bad in ("../x", "a/b", ""):
        with pytest.raises(InvalidId):
            sessions.session_path(root, bad)
        with pytest.raises(InvalidId):
            sessions.role_log_path(root, bad, "task_executor")
    assert sessions.role_log_path(root, SID, "blocker_detector").name == "blockers.jsonl"


def test_role_state_merges_into_the_original_tools_file(root: Path) -> None:
    """The original tool's keys (session_id, milestone_id, started_at, coordination_mode) and
    an `agents` map with plain-string values stay; our roles are merged in."""
    import json

    original = {
        "session_id": SID,
        "milestone_id": "m1",
        "started_at": NOW,
        "coordination_mode": "parallel",
        "agents": {
            "task_executor": "spawning",
            "custom_agent": {"status": "busy"},
            "git_integration": {"status": "idle", "pid": 42},
        },
    }
    path = sessions.state_path(root, SID)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(original))
    assert sessions.read_role_state(root, SID)["task_executor"] == {"status": "spawning"}
    sessions.write_role_state(
        root,
        SID,
        {
            "task_executor": {"status": "running", "heartbeat": NOW, "last_error": None},
            "git_integration": {"status": "running", "heartbeat": NOW, "last_error": None},
        },
    )
    data = json.loads(path.read_text())
    assert {
        k: data[k] for k in ("session_id", "milestone_id", "started_at", "coordination_mode")
    } == {k: original[k] for k in ("session_id", "milestone_id", "started_at", "coordination_mode")}
    assert data["agents"]["custom_agent"] == {"status": "busy"}
    assert data["agents"]["git_integration"] == {
        "status": "running",
        "pid": 42,
        "heartbeat": NOW,
        "last_error": None,
    }
    assert sessions.read_role_state(root, SID)["task_executor"]["status"] == "running"
