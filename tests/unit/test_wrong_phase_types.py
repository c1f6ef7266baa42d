"""Phases of the wrong type (`phases: [1, 2]`, a phase that is a string): the driver goes quiet
with one blocker, instead of logging "refused" lines in a loop (issue 11)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core.service import Workspace
from tests.unit.test_agents_coordinator import DEADLINE, Running, small_workspace, wait_for


def _break(root: Path, how: str) -> None:
    path = root / ".milestones/active/m.yaml"
    y = YAML()
    doc: Any = y.load(path.read_text())
    wf = doc["tasks"][0]["kiro_workflow"]
    if how == "list":
        wf["phases"] = [1, 2]
    elif how == "string":
        wf["phases"]["design"] = "oops"
    else:
        wf["phases"] = 7
    out = io.StringIO()
    y.dump(doc, out)
    path.write_text(out.getvalue())


def _lines(root: Path, name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in sorted((root / ".milestones/logs").glob(f"*/{name}")):
        out.extend(json.loads(x) for x in p.read_text().splitlines() if x.strip())
    return out


@pytest.mark.parametrize("how", ["list", "string", "number"])
def test_the_driver_goes_quiet_on_phases_of_the_wrong_type(tmp_path: Path, how: str) -> None:
    small_workspace(tmp_path)
    _break(tmp_path, how)
    coord = Coordinator(Workspace(tmp_path, persist_cache=False), drive="m")
    with Running(coord):
        wait_for(lambda: coord.cycles >= 1 and coord.wait_idle(DEADLINE), "a first quiet cycle")
        counted = len(_lines(tmp_path, "execution.jsonl")) + len(_lines(tmp_path, "blockers.jsonl"))
        for _ in range(5):  # five more driver cycles, each ended idle
            cycles = coord.cycles
            coord.wake()
            wait_for(lambda c=cycles: coord.cycles > c and coord.wait_idle(DEADLINE), "a cycle")
        after = len(_lines(tmp_path, "execution.jsonl")) + len(_lines(tmp_path, "blockers.jsonl"))
        snap = coord.snapshot
    refused = [x for x in _lines(tmp_path, "execution.jsonl") if x["event"] == "action_refused"]
    assert refused == []  # the task is read only: nothing is even tried
    assert after == counted  # quiet: five cycles added no line
    found = [
        x
        for x in _lines(tmp_path, "blockers.jsonl")
        if x["event"] == "blocker_detected" and x.get("kind") == "invalid_file"
    ]
    assert len(found) == 1 and "task a:" in found[0]["message"], found
    assert "not a mapping" in found[0]["message"]
    assert [b.kind for b in snap.blockers].count("invalid_file") == 1
    t = snap.state.milestone("m").task("a")  # type: ignore[union-attr]
    assert t is not None and t.read_only


def test_a_refused_action_of_a_task_without_timestamps_is_not_retried(tmp_path: Path) -> None:
    """The refusal memory keeps a signature of None too (before, None was forgotten, and the
    same refused action was proposed again in every cycle)."""
    from kiro_tui.agents.actions import START_PHASE, Action, remember
    from kiro_tui.agents.roles import executor

    ws = small_workspace(tmp_path)
    coord = Coordinator(ws, drive="m")
    coord.start_driving("m")
    coord.run_once()
    snap = coord.snapshot
    coord.stop_driving()
    coord.run_once()  # releases the driver
    t = snap.state.milestone("m").task("a")  # type: ignore[union-attr]
    assert t is not None
    act = Action(START_PHASE, "task_executor", "m", "a", "design", key="m:a:design:start")
    mem: dict[str, dict[str, Any]] = {}
    remember(mem, (("refused", act.key, executor.refusal_signature(act, snap)),))
    assert "m:a:design:start" in mem["refused"]
    assert executor.refusal_signature(act, snap) == (t.updated_at,)
