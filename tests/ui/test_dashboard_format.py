"""Dashboard items of issue 10 (10-14), on real files with the production coordinator:
a broken milestone file is a row with its located error and the header shows the roles as the
session's state file has them; `n` reaches critical file-level blockers and Enter on one offers
to open the file; the layout keeps every pane, `?` and `q` at common sizes; blockers show their
age; j/k, g/G and Escape act in each pane; the log's filter opens above the log."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.file_problem import FileProblemScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.blocker_note import BlockerNote
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.key_footer import KeyFooter
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import ready, wait_for

SID = "exec-m-web-20261120-100000"
# the original's heredoc, then a hand edit of the status line that YAML refuses (`yq -i`
# refuses such a file afterwards too, which is how users meet it)
BROKEN = """\
id: "m-web"
title: "Website"
status: in_progress: yes
execution:
  session_id: "exec-m-web-20261120-100000"
tasks: []
"""


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    Workspace.init(root)
    ms = root / ".milestones"
    (ms / "active" / "m-web.yaml").write_text(BROKEN, encoding="utf-8")
    (ms / "active" / "current.txt").write_text("m-web\n", encoding="utf-8")
    agents = ms / "sessions" / SID / "agents"
    agents.mkdir(parents=True)
    # the original's state.json: plain string statuses, its own keys
    state = {
        "session_id": SID,
        "milestone_id": "m-web",
        "started_at": "2026-11-20T10:00:00Z",
        "coordination_mode": "parallel",
        "agents": {
            "task_executor": "running",
            "progress_monitor": "spawning",
            "git_integration": {"status": "idle"},
            "dependency_validator": "running",
            "blocker_detector": "running",
        },
    }
    (agents / "state.json").write_text(json.dumps(state), encoding="utf-8")
    return root


async def test_a_broken_file_is_a_row_and_the_roles_are_as_they_are(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    app = make_app(root, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None, "the first snapshot")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.query_one(MilestoneTree)
        rows = [c for c in tree.root.children if c.data is not None]
        assert [c.data.sel for c in rows] == [Sel("m-web", file="active/m-web.yaml")]
        assert str(rows[0].label).startswith("active/m-web.yaml:3")
        detail = app.query_one(DetailPane).render_markup()
        assert "No milestones yet" not in detail
        assert "No milestone could be loaded: 1 file(s) have errors" in detail
        assert "active/m-web.yaml:3" in detail
        tree.focus()
        tree.move_cursor(rows[0])
        await pilot.pause()
        detail = app.query_one(DetailPane).render_markup()
        assert "active/m-web.yaml could not be loaded" in detail and "YAML" in detail
        header = str(app.query_one(KiroHeader).render())
        for shown in (
            "exec:running",
            "progress:spawning",
            "git:idle",
            "deps:running",
            "blockers:running",
        ):
            assert shown in header, header
        assert "stopped" not in header


def editor_script(tmp_path: Path) -> tuple[Path, Path]:
    """A real program standing in for the user's editor: it writes its arguments down."""
    record = tmp_path / "editor-args.txt"
    script = tmp_path / "vim"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'w').write('\\n'.join(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


async def test_n_reaches_file_blockers_and_enter_offers_to_open_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace(tmp_path)
    # an agent's error line that names no milestone: a critical blocker about a file only
    (root / ".milestones/logs/agent.jsonl").write_text(
        '{"timestamp": "2026-11-20T10:05:00Z", "event": "agent_crashed", "level": "error"}\n',
        encoding="utf-8",
    )
    script, record = editor_script(tmp_path)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(root, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: app.snapshot is not None and app.snapshot.blockers, "the blockers"
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree, table = app.query_one(MilestoneTree), app.query_one(BlockerTable)
        crit = [b for b in table.blockers if b.severity == "critical"]
        assert {b.file for b in crit} >= {"active/m-web.yaml", "logs/agent.jsonl"}
        web = Sel("m-web", file="active/m-web.yaml")

        def where() -> str:
            if tree.has_focus and tree.selection == web:
                return "tree row of active/m-web.yaml"  # the broken milestone file: its row
            if table.has_focus and table.current is not None:
                return f"blocker of {table.current.file}"  # the log file has no row
            return "elsewhere"

        reached = []
        for _ in range(3):  # in the inbox's order (oldest critical first), and round again
            await pilot.press("n")
            reached.append(where())
        assert set(reached[:2]) == {"tree row of active/m-web.yaml", "blocker of logs/agent.jsonl"}
        assert reached[2] == reached[0]
        await pilot.press("b")
        table.move_cursor(
            row=next(i for i, b in enumerate(table.blockers) if b.file == "active/m-web.yaml")
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FileProblemScreen), "the modal")
        screen = app.screen
        assert isinstance(screen, FileProblemScreen)
        assert screen.file == "active/m-web.yaml" and screen.line == 3
        assert "YAML" in screen.message
        await pilot.press("enter")  # open it in the editor, at its line
        await wait_for(pilot, lambda: not isinstance(app.screen, FileProblemScreen), "closed")
        path = (root / ".milestones/active/m-web.yaml").resolve()
        assert record.read_text(encoding="utf-8").splitlines() == ["+3", str(path)]
        assert screen.opened == [str(script), "+3", str(path)]


async def test_blockers_show_their_age(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIRO_TUI_FAKE_NOW", "2026-11-25T15:00:00Z")
    (seed / ".milestones/active/broken.yaml").write_text("id: [x\n", encoding="utf-8")
    app = make_app(seed, watch=False)
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        table = app.query_one(BlockerTable)
        await wait_for(pilot, lambda: len(table.blockers) >= 2, "the blockers")
        ages = {b.kind: str(table.get_row_at(i)[1]) for i, b in enumerate(table.blockers)}
        assert ages["approval_waiting"] == "3d6h"  # completed 2026-11-22T08:…, now 25T15:00
        assert ages["invalid_file"] == "0s"  # no time of its own: since this window saw it
        assert "—" not in ages.values()


def footer_keys(app: object) -> dict[str, bool]:
    """Each key the footer draws in full at the screen's width."""
    footer = app.screen.query_one(KeyFooter)  # type: ignore[attr-defined]
    return dict.fromkeys(footer.visible_keys(), True)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60), (50, 12)])
async def test_the_layout_keeps_every_pane_and_help_and_quit(
    seed: Path, size: tuple[int, int]
) -> None:
    app = make_app(seed, watch=False)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        keys = footer_keys(app)
        assert keys.get("question_mark") and keys.get("q"), keys
        rows = {
            sel: app.screen.query_one(sel).region.height - 2
            for sel in ("#tree", "#detail-scroll", "#blockers")
        }
        least = {"#tree": 3, "#detail-scroll": 3, "#blockers": 2}  # the table: header + a row
        if size == (50, 12):
            least = dict.fromkeys(least, 1)
        assert all(n >= least[k] for k, n in rows.items()), rows
        header = str(app.query_one(KiroHeader).render())
        if size != (50, 12):  # every role, wrapped onto a second line when narrow
            for short in ("exec:", "progress:", "git:", "deps:", "blockers:"):
                assert short in header, header
        stacked = app.screen.has_class("-narrow")
        assert stacked == (size[0] < 100)
        if stacked:
            assert app.query_one("#tree").region.y < app.query_one("#detail-scroll").region.y
        log = app.query_one(EventLog)
        if size[1] >= 24:
            assert log.region.height - 2 >= 2  # shrunk, still there
        if size[1] >= 30:
            assert log.region.height == 11


async def test_the_selected_blocker_shows_in_full(seed: Path) -> None:
    app = make_app(seed, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        table = app.query_one(BlockerTable)
        await wait_for(pilot, lambda: table.blockers, "a blocker")
        note = app.query_one(BlockerNote)
        assert not note.display  # few rows: only while the blockers have focus
        await pilot.press("b")
        await pilot.pause()
        b = table.current
        assert b is not None and note.display
        text = str(note.render())
        assert b.message in " ".join(text.split()) and b.suggestion.split()[0] in text
        assert note.region.height >= 2  # wrapped


async def test_pane_keys_and_the_log_filter_above_the_log(seed: Path) -> None:
    log_path = seed / ".milestones/logs/execution-milestone-001.jsonl"
    with open(log_path, "a", encoding="utf-8") as fh:
        for i in range(60):
            fh.write(json.dumps({"timestamp": f"2026-11-22T11:{i:02d}:00Z", "event": f"ev{i}"}))
            fh.write("\n")
    app = make_app(seed, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        tree.focus()
        start = tree.cursor_line
        await pilot.press("j")
        assert tree.cursor_line == start + 1
        await pilot.press("k")
        assert tree.cursor_line == start
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line
        await pilot.press("g")
        assert tree.cursor_line == 0
        # Escape in the tree clears its filter
        await pilot.press("slash", *"planned", "enter")
        await wait_for(pilot, lambda: tree.filter_text == "planned", "the tree filter")
        assert tree.has_focus
        await pilot.press("escape")
        assert tree.filter_text == "" and not app.query_one("#filter", Input).display
        # the log: j/k scroll, g/G to the ends
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: len(log.kept) > 40, "the log lines")
        await pilot.press("l")
        await pilot.pause()
        assert log.has_focus and log.max_scroll_y > 0
        await pilot.press("g")
        await pilot.pause()
        assert log.scroll_y == 0
        await pilot.press("j", "j")
        await pilot.pause()
        assert log.scroll_y == 2
        await pilot.press("k")
        await pilot.pause()
        assert log.scroll_y == 1
        await pilot.press("G")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        # its filter opens above the log, not above the tree
        await pilot.press("slash")
        flt = app.query_one("#log-filter", Input)
        assert flt.display and flt.has_focus and not app.query_one("#filter", Input).display
        assert flt.region.y + flt.region.height <= log.region.y
        await pilot.press(*"ev5", "enter")
        await wait_for(pilot, lambda: log.text_filter == "ev5", "the log filter")
        assert log.has_focus
        await pilot.press("escape")  # in the pane: clears its filter
        assert log.text_filter == "" and not flt.display
        # the blockers: j/k and g/G move the cursor
        await pilot.press("b")
        table = app.query_one(BlockerTable)
        if len(table.blockers) > 1:
            await pilot.press("G")
            assert table.cursor_row == len(table.blockers) - 1
            await pilot.press("g")
            assert table.cursor_row == 0
            await pilot.press("j")
            assert table.cursor_row == 1
            await pilot.press("k")
            assert table.cursor_row == 0


async def test_the_log_pane_counts_unreadable_lines(seed: Path) -> None:
    """Issue 10, item 5: lines without an event name are shown, and the log pane says how many
    lines could not be read at all."""
    (seed / ".milestones/logs/agent.jsonl").write_text(
        '{"timestamp": "2026-11-22T11:00:00Z", "agent": "task_executor", "action": "edited"}\n'
        "not json\n"
        '{"nothing": 1}\n',
        encoding="utf-8",
    )
    app = make_app(seed, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: log.unreadable == 2, "the count")
        assert "2 unreadable line(s) not shown" in str(log.border_subtitle)
        assert any(e.event == "edited" and e.role == "task_executor" for e in log.kept)
