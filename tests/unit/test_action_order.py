"""The order of an action's writes: a refused event log leaves the milestone untouched, and a
`kill -9` between the files of start or pause leaves a state the next action repairs; pause
and resume work on a milestone whose session file the original commands never wrote
(issue 11: crashes, issue 10 item 3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiro_tui.core import events, sessions
from kiro_tui.core.errors import KiroError
from kiro_tui.core.service import Workspace
from kiro_tui.core.yaml.roundtrip import load_fast

M1 = "milestone-001"
SID = "exec-milestone-001-20251121-100000"  # the seed's execution.session_id


def _milestone(root: Path, mid: str = M1) -> dict:  # type: ignore[type-arg]
    p = root / ".milestones/active" / f"{mid}.yaml"
    return dict(load_fast(p.read_text(), p))


def _events(root: Path, mid: str = M1) -> list[events.Event]:
    return events.read_all(root / ".milestones/logs" / f"execution-{mid}.jsonl").events


@pytest.mark.parametrize("kind", ["link", "fifo", "folder"])
def test_a_refused_event_log_leaves_the_milestone_unchanged(
    seed: Path, tmp_path: Path, kind: str
) -> None:
    log = seed / ".milestones/logs/execution-milestone-001.jsonl"
    log.unlink()
    if kind == "link":
        (tmp_path / "elsewhere.jsonl").write_text("")
        log.symlink_to(tmp_path / "elsewhere.jsonl")
    elif kind == "fifo":
        os.mkfifo(log)
    else:
        log.mkdir()
    path = seed / ".milestones/active/milestone-001.yaml"
    before = path.read_bytes()
    ws = Workspace(seed, persist_cache=False)
    with pytest.raises(KiroError) as got:
        ws.block(M1, "task-001", "spec", "waiting on legal", "alice")
    assert "execution-milestone-001.jsonl" in str(got.value)
    assert path.read_bytes() == before  # no YAML change without its event


def test_a_log_folder_that_links_out_refuses_before_the_edit(seed: Path, tmp_path: Path) -> None:
    logs = seed / ".milestones/logs"
    out = tmp_path / "out-logs"
    logs.rename(out)
    logs.symlink_to(out, target_is_directory=True)
    path = seed / ".milestones/active/milestone-001.yaml"
    before = path.read_bytes()
    with pytest.raises(KiroError):
        Workspace(seed, persist_cache=False).approve(M1, "task-001", "spec", "alice")
    assert path.read_bytes() == before


def test_a_missing_log_folder_is_no_reason_to_refuse(seed: Path) -> None:
    import shutil

    shutil.rmtree(seed / ".milestones/logs")
    ws = Workspace(seed, persist_cache=False)
    ws.block(M1, "task-001", "spec", "waiting on legal", "alice")
    assert [e.event for e in _events(seed)] == ["phase_blocked"]


def _session_files(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / ".milestones/sessions").glob("*.yaml"))


def test_pause_and_resume_adopt_the_session_the_original_commands_named(seed: Path) -> None:
    """The seed's milestone-001 is what `/milestone/execute` leaves: in_progress, naming
    `execution.session_id`, and no `sessions/<id>.yaml` (the original makes it optional)."""
    assert not (seed / ".milestones/sessions").exists()
    ws = Workspace(seed, persist_cache=False)
    ws.pause(M1, "alice")
    assert _session_files(seed) == [SID]
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "paused" and s.milestone_id == M1
    assert _milestone(seed)["status"] == "paused"
    ws.resume(M1, "alice")
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "active"
    ws.start_milestone(M1, "alice")  # continues: never a second session
    assert _session_files(seed) == [SID]
    assert _milestone(seed)["execution"]["session_id"] == SID
    evs = [e.event for e in _events(seed)]
    assert evs[-3:] == ["session_adopted", "session_paused", "session_resumed"]
    assert evs.count("session_adopted") == 1 and "milestone_started" not in evs


def test_start_on_an_original_milestone_makes_no_second_session(seed: Path) -> None:
    ws = Workspace(seed, persist_cache=False)
    out = ws.start_milestone(M1, "alice")
    assert _session_files(seed) == [SID] and SID in out.message
    assert ws.claim_driver(M1, "alice").session_id == SID
    assert _session_files(seed) == [SID]


def test_a_paused_original_milestone_can_be_resumed(seed: Path) -> None:
    path = seed / ".milestones/active/milestone-001.yaml"
    path.write_text(path.read_text().replace('status: "in_progress"', 'status: "paused"', 1))
    ws = Workspace(seed, persist_cache=False)
    ws.resume(M1, "alice")
    assert _milestone(seed)["status"] == "in_progress"
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "active"


def test_a_start_killed_before_the_milestone_leaves_an_orphan_the_next_start_adopts(
    tmp_path: Path,
) -> None:
    from tests.reliability.scenarios import MID, make_workspace

    root = tmp_path / "ws"
    make_workspace(root, 2, status="planned")
    # what a start killed between its two files leaves: the session file, not named
    orphan = "exec-rel-20261125-090000"
    sessions.create_session(root, MID, orphan, "2026-11-25T09:00:00Z", "killed")
    ws = Workspace(root, persist_cache=False)
    ws.start_milestone(MID, "alice")
    assert _session_files(root) == [orphan]
    doc = _milestone(root, MID)
    assert doc["status"] == "in_progress" and doc["execution"]["session_id"] == orphan
    assert [e.event for e in _events(root, MID)].count("milestone_started") == 1


def test_a_pause_killed_between_its_files_is_finished_by_the_next_action(seed: Path) -> None:
    from kiro_tui.core import lifecycle
    from kiro_tui.core.errors import Refused
    from kiro_tui.core.safewrite import edit_yaml

    ws = Workspace(seed, persist_cache=False)
    ws.start_milestone(M1, "alice")
    # the first half of a pause, as an older kiro-tui killed before its session write left it
    # (today that write is made under the milestone's lock, before the intent record goes:
    # intent.settle finishes it; tests/reliability/test_half_done.py kills one there)
    out = lifecycle.Outcome()

    def half(doc: dict[str, object]) -> None:
        out.events[:] = lifecycle.pause_milestone(doc, ws.context("alice"), M1, SID).events

    edit_yaml(ws.milestone_path(M1), half)
    for ev in out.events:
        ws.log(M1, dict(ev), session_id=SID)
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "active"
    with pytest.raises(Refused, match="already paused"):
        ws.pause(M1, "bob")  # the next action finishes it, from the milestone's status
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "paused"
    ws.resume(M1, "bob")
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "active"


def test_a_status_the_log_does_not_back_is_left_to_the_decisions(seed: Path) -> None:
    """Paused in the file with no `session_paused` line (an unlocked writer restored an old
    copy): not a half-done pause; the session is not changed to match."""
    from kiro_tui.core import session_repair

    ws = Workspace(seed, persist_cache=False)
    ws.start_milestone(M1, "alice")
    path = seed / ".milestones/active/milestone-001.yaml"
    path.write_text(path.read_text().replace('status: "in_progress"', 'status: "paused"', 1))
    m = ws.milestone(M1)
    assert m is not None
    log = ws.execution_log(M1)
    assert not session_repair.finish_half_done(log, seed, m, SID, "2026-11-25T10:00:00Z", "x")
    s = sessions.read_session(seed, SID)
    assert s is not None and s.status == "active"
