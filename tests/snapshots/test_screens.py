"""Snapshot tests of the dashboard: fixed size, theme and clock; no watchers (the coordinator
runs one cycle: the same snapshot path as a watching app)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import make_app

from ..ui.helpers import wait_for

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", "2026-11-25T15:00:00Z")


@pytest.fixture(autouse=True)
def _no_toasts() -> None:
    """No notification toast over the screens (the gate waiting at start would get one)."""
    from kiro_tui.core.notify import user_config_file

    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("notify: {toast: false, bell: false, osc: false}\n", encoding="utf-8")


async def _settle(pilot: Any) -> None:
    app = pilot.app
    app.theme = "textual-dark"
    await wait_for(
        pilot,
        lambda: (
            (app.snapshot is not None and app.query_one("#log").kept)
            or (app.snapshot is not None and not app.snapshot.state.milestones)
        ),
        "data on screen",
    )
    # the inbox of that snapshot (header count, blocker note) has arrived too
    await wait_for(pilot, lambda: app.inbox_seq == app.snapshot.seq, "the inbox")
    await _steady(pilot)
    await _detail_read(pilot)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def _steady(pilot: Any) -> None:
    """The blocker rows, the note and the table's column widths agree with the snapshot."""
    app = pilot.app
    table = app.main.query_one("#blockers")
    await wait_for(
        pilot, lambda: table.row_count == len(app.snapshot.blockers), "the blockers' rows"
    )
    note = app.main.query_one("#blocker-note")
    main = app.main.query_one("#blockers").screen

    def note_settled() -> bool:
        roomy = not main.has_class("-short") or table.has_focus
        return note.shown == (table.current if roomy else None)

    await wait_for(pilot, note_settled, "the selected blocker's note")


async def _detail_read(pilot: Any) -> None:
    """The detail pane's deliverable content has been read for the selection (or there is
    none to read)."""
    from kiro_tui.ui.widgets.phase_content import current_phase

    app = pilot.app
    pane, tree = app.main.query_one("#detail-content"), app.main.query_one("#tree")

    def read() -> bool:
        found = current_phase(app.snapshot, tree.selection)
        if found is None:
            return pane.key is None and not pane.children
        return pane.shown_key is not None and pane.shown_key.sel == found[0]

    await wait_for(pilot, read, "the detail pane's content")
    await pilot.pause()


def test_main_screen(seed: Path, snap_compare: Any) -> None:
    """seed-basic: the header (repository `seed`, no branch since it is not a repository,
    "⚑ 1 needs you" in the warning colour, observing, roles stopped); the tree with milestone-001 expanded first (task-001 with a ⚑
    gate marker, task-002 in progress, both marked ⛔ blocked, task-003 done, task-004 plain),
    milestone-002, and milestone-000 (completed) last; the detail pane with milestone-001's
    four-segment bar at 47.8%; two warning blockers (task-001 spec waiting 3d6h for approval,
    task-002 design stalled for 3d3h, as a watching app computes them); the log with the fixture's lines, newest at the bottom; the footer with
    the keys shown there (i Inbox among them)."""
    assert snap_compare(make_app(seed, watch=False), terminal_size=SIZE, run_before=_settle)


def test_approval_modal(seed: Path, snap_compare: Any) -> None:
    """The approval modal over the dashboard after `n` then `a`: it names milestone-001 ›
    task-001 (Login API) › spec, the three criteria as ☐ lines, the four spec deliverables
    with the first one (technical_specification.md, "# Spec / POST /login returns a token.")
    rendered as Markdown below the list, and an empty note field with "Enter confirms · Escape
    cancels · Tab: files (d diff, o open, y copy)"."""

    async def run_before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("n", "a")
        pilot.app.screen.query_one(Input).cursor_blink = False
        await _steady(pilot)
        await _detail_read(pilot)
        await pilot.pause()

    assert snap_compare(make_app(seed, watch=False), terminal_size=SIZE, run_before=run_before)


def test_help_screen(seed: Path, snap_compare: Any) -> None:
    """The help modal listing every key in five groups (Gates and sessions: a x n i p s;
    Agents: r; Review: d o y; Moving around: / f l b t; The app: ? q ctrl+p), each with what it does."""

    async def run_before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("question_mark")
        await _steady(pilot)
        await pilot.pause()

    assert snap_compare(make_app(seed, watch=False), terminal_size=SIZE, run_before=run_before)


def test_empty_workspace(tmp_path: Path, snap_compare: Any) -> None:
    """Right after `kiro-tui init`: an empty tree, and the detail pane saying there are no
    milestones yet and how to create one; no blockers, an empty log."""
    Workspace.init(tmp_path / "empty")
    assert snap_compare(
        make_app(tmp_path / "empty", watch=False), terminal_size=SIZE, run_before=_settle
    )


def test_main_screen_80x24(seed: Path, snap_compare: Any) -> None:
    """seed-basic at 80×24 (issue 10, item 12): the panes stacked (tree over detail and
    blockers), the header on two lines with all five roles, the detail pane with several
    rows, the blockers with their age, the log shrunk to two lines, and a footer that starts
    with `? Help` and `q Quit`."""
    assert snap_compare(make_app(seed, watch=False), terminal_size=(80, 24), run_before=_settle)


def test_main_screen_200x60(seed: Path, snap_compare: Any) -> None:
    """seed-basic at 200×60: side by side, the blocker's message and suggestion in full under
    the table, the log at its full eleven rows, every key in the footer."""
    assert snap_compare(make_app(seed, watch=False), terminal_size=(200, 60), run_before=_settle)


def test_broken_file_row(tmp_path: Path, snap_compare: Any) -> None:
    """A workspace whose only milestone file does not parse (issue 10, item 10): the tree shows
    it as a row with its located error, the detail pane says no milestone could be loaded and
    lists the file, and the blockers list it as critical."""
    root = tmp_path / "one-broken"
    Workspace.init(root)
    (root / ".milestones/active/m-web.yaml").write_text(
        'id: "m-web"\ntitle: "Website"\nstatus: in_progress: yes\n', encoding="utf-8"
    )
    assert snap_compare(make_app(root, watch=False), terminal_size=SIZE, run_before=_settle)


def test_run_view(seed: Path, snap_compare: Any) -> None:
    """The run view (key r) on milestone-001 › task-002 › design with a hand-written running
    run (its driver gone): the status lines (run id, where, agent claude; running · elapsed
    102s · $0.0380 · live), the agent's output as `runs show` reads it (text, tool Read, the
    `[bold]` text shown as written, the Write and Bash tool calls, a stderr line whose escape
    sequence is shown as ␛), and the footer with Stop run, Retry, Follow and Close."""
    from kiro_tui.demo.sample_run import write_sample_run
    from kiro_tui.ui.view import Sel

    write_sample_run(seed, "milestone-001", "task-002", "design")

    async def run_before(pilot: Any) -> None:
        await _settle(pilot)
        pilot.app.query_one("#tree").select(Sel("milestone-001", "task-002", "design"))
        await _detail_read(pilot)
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                getattr(pilot.app.screen, "lines_shown", 0) >= 9
                and pilot.app.screen.record is not None
            ),
            "the run's lines",
        )
        await pilot.pause()

    assert snap_compare(make_app(seed, watch=False), terminal_size=SIZE, run_before=run_before)
