"""`kiro-tui demo`: the workspace it builds, its simulated agent, and the command palette."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.app import App
from textual.command import Command, CommandList

from kiro_tui.cli import main
from kiro_tui.core.service import Workspace
from kiro_tui.demo import DRIVEN, start_agent, stop_agent
from kiro_tui.demo.agent import step
from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.decision import DecisionScreen

from .helpers import ready, wait_for


def test_demo_builds_a_realistic_workspace(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert main(["demo", "--path", str(root), "--no-ui"]) == 0
    assert (root / ".git").is_dir()
    state = Workspace(root, persist_cache=False).load()
    assert len(state.milestones) == 4
    assert {m.status for m in state.milestones} >= {"completed", "in_progress", "planned"}
    assert any(m.requires for m in state.milestones)
    statuses = {p.status for m in state.milestones for t in m.tasks for p in t.phases}
    assert statuses == {
        "pending",
        "in_progress",
        "completed",
        "waiting_approval",
        "approved",
        "blocked",
    }
    assert state.problems  # a file that fails to load, shown as a blocker
    assert (root / ".milestones/active/current.txt").read_text().strip() == DRIVEN


def test_demo_refuses_a_folder_with_a_workspace(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert main(["demo", "--path", str(root), "--no-ui"]) == 0
    assert main(["demo", "--path", str(root), "--no-ui"]) == 1


def test_agent_writes_deliverables_then_completes_the_phase(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    main(["demo", "--path", str(root), "--no-ui", "--no-git"])
    ws = Workspace(root, persist_cache=False)
    done = []
    for tick in range(12):
        done.append(step(ws, tick))
    assert any(d and d.startswith("wrote task-session-store/execute/") for d in done)
    t = ws.load().milestone(DRIVEN).task("task-session-store")
    assert t.status == "completed"


def test_agent_process_runs_and_stops(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    main(["demo", "--path", str(root), "--no-ui", "--no-git"])
    proc = start_agent(root, interval=0.05)
    try:
        logs = root / ".milestones" / "logs"
        end = time.monotonic() + 20
        while not any(p.name == "execution.jsonl" for p in logs.glob("*/*.jsonl")):
            assert time.monotonic() < end, "the agent wrote nothing"
            time.sleep(0.05)
    finally:
        stop_agent(proc)
    assert proc.poll() is not None


async def test_palette_runs_an_action(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("n", "ctrl+p")
        await pilot.press(*"Approve")
        await wait_for(
            pilot,
            lambda: _highlighted_command(app) == "Approve",
            "the palette to offer the command",
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionScreen), "the approval modal")


def _highlighted_command(app: App[Any]) -> str | None:
    """The text of the command highlighted in the open palette, if any."""
    found = app.screen.query(CommandList)
    if not found:
        return None
    options = found.first()
    if options.highlighted is None:
        return None
    option = options.get_option_at_index(options.highlighted)
    return str(option.hit.text) if isinstance(option, Command) else None
