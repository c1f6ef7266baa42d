"""A burst of agent writes always settles: 50 tasks in design, their 200 deliverable files written
at once, 50 times over. The production coordinator drives (real watchfiles events, real files);
every round must end with all 50 design gates waiting and one `phase_waiting_approval` line each.
The deadline only guards against a hang; nothing here is timed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from kiro_tui.agents.coordinator import Coordinator
from kiro_tui.core.service import Workspace
from kiro_tui.core.templates import deliverables_for
from tests.unit.test_agents_coordinator import Running, role_events

pytestmark = pytest.mark.slow

TASKS = 50
ROUNDS = 50
HANG = 60.0  # seconds: a round that has not settled by then never will


def _designs(root: Path) -> list[str]:
    m = Workspace(root, persist_cache=False).milestone("burst")
    assert m is not None
    return [t.phase("design").status for t in m.tasks]  # type: ignore[union-attr]


def _lines(root: Path, event: str) -> int:
    """How many lines of the driver's execution logs name `event` (a cheap text count: parsing
    the 50-task milestone on every poll would take the CPU the driver needs)."""
    needle = f'"event": "{event}"'
    return sum(
        p.read_text(encoding="utf-8").count(needle)
        for p in (root / ".milestones/logs").glob("*/execution.jsonl")
    )


def _until(root: Path, event: str, what: str) -> None:
    end = time.monotonic() + HANG
    while time.monotonic() < end:
        if _lines(root, event) >= TASKS:
            return
        time.sleep(0.05)
    raise AssertionError(f"never settled: {what}")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("burst-template")
    Workspace.init(root)
    ws = Workspace(root, persist_cache=False)
    ws.new_milestone("burst", "Burst", [])
    for i in range(TASKS):
        ws.add_task("burst", f"Task {i}", task_id=f"t{i:02d}")
    return root


def test_a_burst_of_200_files_always_settles(template: Path, tmp_path: Path) -> None:
    files = [
        Path(".milestones/deliverables") / f"t{i:02d}" / "design" / name
        for i in range(TASKS)
        for name in deliverables_for("feature", "design")
    ]
    assert len(files) == 4 * TASKS
    for r in range(ROUNDS):
        root = tmp_path / f"round-{r}"
        shutil.copytree(template, root)
        coord = Coordinator(Workspace(root, persist_cache=False), drive="burst")
        with Running(coord):
            _until(root, "phase_started", "designs started")
            assert _designs(root).count("in_progress") == TASKS, r
            for rel in files:  # as fast as the disk takes them
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"# {path.name}\n\nWritten by an agent in a burst.\n")
            _until(root, "phase_waiting_approval", f"round {r + 1}: all {TASKS} designs waiting")
        # the log lines are appended after the milestone's write, under its lock
        assert _designs(root).count("waiting_approval") == TASKS, r
        waiting = [
            e for e in role_events(root, "execution.jsonl") if e.event == "phase_waiting_approval"
        ]
        assert sorted(e.task_id for e in waiting) == [f"t{i:02d}" for i in range(TASKS)], r
        shutil.rmtree(root)
