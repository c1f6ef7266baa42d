"""The driver re-applies a person's decision that an unlocked writer's older copy took out of
the milestone file, and goes quiet afterwards (issue 11: "when the driver ... sees the YAML
contradict the latest decision event")."""

from __future__ import annotations

import os
from pathlib import Path

from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core.events import read_all
from tests.unit.test_agents_coordinator import (
    DEADLINE,
    Running,
    _settled,
    phase_status,
    small_workspace,
    status_is,
    wait_for,
)
from tests.unit.test_agents_roles import fill


def _old_copy_over(path: Path, text: str) -> None:
    """What `yq -i` does: write a copy to a temporary name and rename it over the file."""
    tmp = path.with_name(f"yq-{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _log(root: Path) -> list[str]:
    return [e.event for e in read_all(root / ".milestones/logs/execution-m.jsonl").events]


def test_the_driver_re_applies_an_approval_an_old_copy_took_away(tmp_path: Path) -> None:
    ws = small_workspace(tmp_path)
    path = tmp_path / ".milestones/active/m.yaml"
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        wait_for(status_is(ws, "a", "design", "in_progress"), "a design started")
        fill(tmp_path, "a", "design", "m")
        wait_for(status_is(ws, "a", "design", "waiting_approval"), "a design waiting")
        wait_for(lambda: coord.wait_idle(DEADLINE), "the driver to settle")
        old = path.read_text()  # what the other writer read, before the approval
        ws.approve("m", "a", "design", "alice")
        wait_for(status_is(ws, "a", "spec", "in_progress"), "the driver to move on")
        _old_copy_over(path, old)  # the approval is gone from the file, not from the log
        wait_for(lambda: "decision_reapplied" in _log(tmp_path), "the decision re-applied")
        wait_for(lambda: phase_status(ws, "a", "spec") == "in_progress", "the driver going on")
        wait_for(lambda: _settled(coord), "the loop to go quiet")  # nothing more to re-apply
    assert phase_status(ws, "a", "design") == "approved"
    assert coord.guard.reapplied == 1 and _log(tmp_path).count("decision_reapplied") == 1


def test_an_unchanged_workspace_is_not_read_again(tmp_path: Path) -> None:
    """Cheap when nothing changed: the check reads the log only after a change."""
    ws = small_workspace(tmp_path)
    coord = Coordinator(ws, drive="m")
    with Running(coord):
        wait_for(status_is(ws, "a", "design", "in_progress"), "a design started")
        wait_for(lambda: coord.wait_idle(DEADLINE), "the driver to settle")
        key = coord.guard._key("m")
        assert coord.guard._seen.get("m") == key
        cycles = coord.cycles
        coord.wake()
        wait_for(lambda: coord.cycles > cycles and coord.wait_idle(DEADLINE), "another cycle")
        assert coord.guard._seen.get("m") == key and coord.guard.reapplied == 0
