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


def test_demo_session_ids_tell_the_time_they_started(tmp_path: Path) -> None:
    """Issue 10, item 16: each session id's time is its record's `started_at`, the
    milestone's `execution.started_at` and the time of the milestone_started log line."""
    from kiro_tui.core import clock, sessions
    from kiro_tui.core.events import merged_tail

    root = tmp_path / "demo"
    assert main(["demo", "--path", str(root), "--no-ui", "--no-git"]) == 0
    state = Workspace(root, persist_cache=False).load()
    started = [m for m in state.milestones if m.session_id]
    assert len(started) >= 2
    for m in started:
        rec = sessions.read_session(root, m.session_id or "")
        assert rec is not None and rec.started_at is not None
        when = clock.parse_ts(rec.started_at)
        assert when is not None
        assert m.session_id == f"exec-{m.id}-{when.strftime('%Y%m%d-%H%M%S')}"
        assert m.started_at == rec.started_at
    line = next(e for e in merged_tail(root / ".milestones", 50) if e.event == "milestone_started")
    driven = next(m for m in started if m.id == DRIVEN)
    rec = sessions.read_session(root, driven.session_id or "")
    assert rec is not None and line.timestamp == rec.started_at


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


async def test_palette_screenshot_without_a_downloads_folder(
    seed: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    """Issue 10, item 16: with no ~/Downloads the palette's Screenshot saves to the user's data
    folder and says where; with one, it goes there."""
    import os

    data = Path(os.environ["XDG_DATA_HOME"]) / "kiro-tui" / "screenshots"
    downloads = Path(os.environ["HOME"]) / "Downloads"
    assert not downloads.exists()
    monkeypatch.chdir(tmp_path)
    app = make_app(seed, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Screenshot")
        await wait_for(
            pilot, lambda: _highlighted_command(app) == "Screenshot", "the palette to offer it"
        )
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: (app.last_notice or "").startswith("screenshot"), "the notice"
        )
        (saved,) = list(data.glob("*.svg"))
        assert app.last_notice == f"screenshot saved to {saved}"
        assert saved.read_text(encoding="utf-8").startswith("<svg")
        downloads.mkdir()
        app.last_notice = None
        app.action_screenshot()
        await wait_for(pilot, lambda: app.last_notice is not None, "the second notice")
        (there,) = list(downloads.glob("*.svg"))
        assert app.last_notice == f"screenshot saved to {there}"
