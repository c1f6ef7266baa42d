"""An agent's output growing (`runs/<id>/raw.jsonl`) wakes the coordinator's watcher but
rebuilds no snapshot (the run view reads that file itself); a run record that changes does
(work counted, never timed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiro_tui.agents import coordinator as coordinator_mod
from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.agents.watch import Watcher
from kiro_tui.core.service import Workspace
from tests.unit.test_agents_coordinator import DEADLINE, Running, small_workspace, wait_for


def test_raw_jsonl_growth_rebuilds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_workspace(tmp_path)
    run = tmp_path / ".milestones/runs/r1"
    run.mkdir(parents=True)
    raw = run / "raw.jsonl"
    raw.write_text("")
    seen: list[set[str]] = []  # the batches of changes the coordinator's own watcher gave

    class Counting(Watcher):
        def wait(self, *a: object, **kw: object) -> set[str]:
            got = super().wait(*a, **kw)  # type: ignore[arg-type]
            seen.append(got)
            return got

    monkeypatch.setattr(coordinator_mod, "Watcher", Counting)
    coord = Coordinator(Workspace(tmp_path))  # observing: no heartbeat of its own
    with Running(coord):
        # idle, and no timer pending (a git status read made up later would be a cycle)
        wait_for(lambda: coord.wait_idle(DEADLINE) and coord.builder.git_due_at() is None, "quiet")
        cycles = coord.cycles
        for i in range(5):  # an agent printing: each line seen by the watcher, one by one
            n = len(seen)
            with raw.open("a") as fh:
                fh.write(json.dumps({"type": "assistant", "n": i}) + "\n")
            wait_for(lambda n=n: any("raw.jsonl" in str(b) for b in seen[n:]), "the line seen")
        assert coord.cycles == cycles  # not one snapshot rebuilt for them
        (run / "meta.json").write_text("{}")  # a run record changed: that is shown
        wait_for(lambda: coord.cycles > cycles, "a cycle for the record")
