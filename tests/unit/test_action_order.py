"""The order of an action's writes: a refused event log leaves the milestone untouched, and a
`kill -9` between the files of start or pause leaves a state the next action repairs; pause
and resume work on a milestone whose session file the original commands never wrote
(issue 11: crashes, issue 10 item 3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiro_tui.core import events
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
