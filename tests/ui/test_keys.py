"""Every key of the dashboard on copies of the fixtures: what the screen shows and what the files
say afterwards. Every app runs the production coordinator (watching the files)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from kiro_tui.cli import main
from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.decision import DecisionScreen
from kiro_tui.ui.screens.help import HelpScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.blocker_table import BlockerTable
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import log_records, milestone_status, phase_of, quiet, ready, wait_for

SIZE = (120, 40)
SPEC = Sel("milestone-001", "task-001", "spec")


async def test_approve_with_note_writes_yaml_and_log(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")
        assert app.query_one(MilestoneTree).selection == SPEC
        await pilot.press("a")
        assert isinstance(app.screen, DecisionScreen)
        assert app.screen.target.phase == "spec" and app.screen.approve
        await pilot.press(*"ship it")
        await pilot.press("enter")
        assert not isinstance(app.screen, DecisionScreen)
        await wait_for(
            pilot, lambda: phase_of(seed, *SPEC_ARGS).status == "approved", "spec approved on disk"
        )
        await quiet(pilot)
        ph = phase_of(seed, *SPEC_ARGS)
        assert ph.approved_by == "tester" and ph.approval_notes == "ship it"
        recs = [r for r in log_records(seed, "milestone-001") if r["event"] == "phase_approved"]
        assert recs and recs[-1]["role"] == "user" and recs[-1]["task_id"] == "task-001"
        # the screen follows: the tree no longer shows spec as waiting
        await wait_for(
            pilot,
            lambda: (
                app.snapshot.state.milestone("milestone-001").task("task-001").phase("spec").status
                == "approved"
            ),
            "new snapshot",
        )


SPEC_ARGS = ("milestone-001", "task-001", "spec")


async def test_escape_cancels_approval(seed: Path) -> None:
    before = (seed / ".milestones/active/milestone-001.yaml").read_bytes()
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n", "a")
        assert isinstance(app.screen, DecisionScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, DecisionScreen)
        await quiet(pilot)
    assert (seed / ".milestones/active/milestone-001.yaml").read_bytes() == before


async def test_reject_requires_a_reason(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n", "x")
        assert isinstance(app.screen, DecisionScreen) and not app.screen.approve
        await pilot.press("enter")  # empty reason: refused, the modal stays
        assert isinstance(app.screen, DecisionScreen)
        await pilot.press(*"needs a rollback plan", "enter")
        await wait_for(
            pilot, lambda: phase_of(seed, *SPEC_ARGS).status == "in_progress", "spec sent back"
        )
        await quiet(pilot)
    ph = phase_of(seed, *SPEC_ARGS)
    assert ph.rejection_reason == "needs a rollback plan" and ph.rejected_by == "tester"
    assert ph.review_history[-1].action == "request_changes"
    assert any(
        r["event"] == "phase_rejected" and r["role"] == "user"
        for r in log_records(seed, "milestone-001")
    )


async def test_approve_with_nothing_waiting_says_so(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.query_one(MilestoneTree).select(Sel("milestone-002"))
        await pilot.press("a")
        assert not isinstance(app.screen, DecisionScreen)


async def test_pause_and_resume(seed: Path) -> None:
    Workspace(seed).start_milestone("milestone-001", "tester")
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.query_one(MilestoneTree).selection == Sel("milestone-001")
        await pilot.press("p")
        await wait_for(
            pilot, lambda: milestone_status(seed, "milestone-001") == "paused", "paused on disk"
        )
        await wait_for(
            pilot,
            lambda: app.snapshot.state.milestone("milestone-001").status == "paused",
            "paused on screen",
        )
        await pilot.press("p")
        await wait_for(
            pilot,
            lambda: milestone_status(seed, "milestone-001") == "in_progress",
            "resumed on disk",
        )
        await quiet(pilot)
    events = [r["event"] for r in log_records(seed, "milestone-001")]
    assert "session_paused" in events and "session_resumed" in events


async def test_refused_action_is_one_line_notice(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.query_one(MilestoneTree).select(Sel("milestone-002"))
        await pilot.press("p")  # milestone-002 has no session
        await wait_for(pilot, lambda: app.last_notice, "a notice")
        assert "no execution session" in app.last_notice
        assert "\n" not in app.last_notice and "Traceback" not in app.last_notice


async def test_start_drives_from_this_window(seed: Path) -> None:
    app = make_app(seed)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert app.query_one(MilestoneTree).selection == Sel("milestone-001")
            await pilot.press("s")
            await wait_for(
                pilot, lambda: app.snapshot.driving == "milestone-001", "driving milestone-001"
            )
            m = Workspace(seed, persist_cache=False).load().milestone("milestone-001")
            assert m is not None and m.session_id
            assert (seed / ".milestones" / "sessions" / f"{m.session_id}.yaml").is_file()
            assert (seed / ".milestones/active/current.txt").read_text().strip() == "milestone-001"
            await pilot.press("q")
    finally:
        app.stop_event.set()


async def test_next_cycles_through_waiting_gates(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        await pilot.press("n")
        assert tree.selection == SPEC
        assert tree.has_focus


async def test_filter_by_status_and_clear(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        assert len(tree.root.children) == 3
        await pilot.press("slash")
        assert app.query_one("#filter", Input).has_focus
        await pilot.press(*"planned")
        await wait_for(
            pilot,
            lambda: [c.data.sel.mid for c in tree.root.children] == ["milestone-002"],
            "only milestone-002 shown",
        )
        await pilot.press("enter")
        assert tree.has_focus
        await pilot.press("slash", "escape")
        await wait_for(pilot, lambda: len(tree.root.children) == 3, "all milestones again")


async def test_follow_focus_help_and_quit(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        log = app.query_one(EventLog)
        assert log.follow
        await pilot.press("f")
        assert not log.follow
        await pilot.press("f")
        assert log.follow
        await pilot.press("l")
        assert log.has_focus
        await pilot.press("b")
        assert app.query_one(BlockerTable).has_focus
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        # shown again: the same screen, kept from the first time (not composed again)
        await pilot.press("question_mark")
        assert app.screen is help_screen
        assert "kiro-tui keys" in str(app.screen.query_one("#help-text").render())
        await pilot.press("q")  # q closes the help too
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


async def test_log_is_filled_from_every_log(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: log.kept, "log lines")
        sources = {e.source for e in log.kept}
        assert any(s.startswith("state/events/") for s in sources)
        assert any(s.startswith("logs/execution-") for s in sources)
        app.main.set_log_filter(role="user")
        assert all(ln.split()[2] == "user" for ln in log.lines if ln.strip())
        app.main.set_log_filter(role="")
        await pilot.press("l", "slash", *"activated")
        await wait_for(pilot, lambda: log.text_filter == "activated", "the log text filter")
        assert log.lines and all("activated" in ln for ln in log.lines if ln.strip())
        await pilot.press("escape")
        assert log.has_focus and log.text_filter == ""


async def test_enter_on_a_blocker_jumps_to_its_task(seed: Path) -> None:
    app = make_app(seed)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await wait_for(
                pilot,
                lambda: any(b.task_id for b in app.snapshot.blockers),
                "a blocker about a task",
            )
            table = app.query_one(BlockerTable)
            await pilot.press("b")
            target = next(i for i, b in enumerate(table.blockers) if b.task_id)
            table.move_cursor(row=target)
            b = table.blockers[target]
            await pilot.press("enter")
            tree = app.query_one(MilestoneTree)
            assert tree.has_focus
            assert tree.selection.tid == b.task_id
    finally:
        app.stop_event.set()


async def test_external_change_reaches_tree_and_log(seed: Path) -> None:
    app = make_app(seed)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            tree = app.query_one(MilestoneTree)
            await wait_for(
                pilot,
                lambda: any(c.data.sel.tid == "task-002" for c in tree.root.children[0].children),
                "milestone-001 expanded",
            )
            ms = seed / ".milestones"
            path = ms / "active" / "milestone-001.yaml"
            path.write_text(path.read_text().replace('title: "Login API"', 'title: "Login API v2"'))
            with open(ms / "logs" / "execution-milestone-001.jsonl", "a") as fh:
                fh.write(
                    '{"timestamp": "2026-11-25T15:00:00Z", "event": "note", '
                    '"role": "editor", "message": "written by another process"}\n'
                )

            def label_updated() -> bool:
                node = next(
                    c for c in tree.root.children[0].children if c.data.sel.tid == "task-001"
                )
                return "Login API v2" in str(node.label)

            await wait_for(pilot, label_updated, "the new title in the tree")
            log = app.query_one(EventLog)
            await wait_for(
                pilot,
                lambda: any("written by another process" in ln for ln in log.lines),
                "the new log line",
            )
    finally:
        app.stop_event.set()


def test_launch_without_workspace_says_so(tmp_path: Path, capsys) -> None:
    code = main(["-C", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "kiro-tui init" in err


async def test_every_binding_is_in_help_and_palette(seed: Path) -> None:
    """Help and palette are made from the bindings: each binding's key and text is in both."""
    from kiro_tui.ui import keys
    from kiro_tui.ui.commands import palette_entries
    from kiro_tui.ui.screens.help import help_rows
    from kiro_tui.ui.screens.main import MainScreen

    assert MainScreen.BINDINGS == keys.BINDINGS
    rows = help_rows()
    entries = palette_entries()
    for b in keys.BINDINGS:
        assert b.id and b.tooltip
        assert (keys.key_label(b), b.tooltip) in {(k, what) for _g, k, what in rows}
        assert any(
            action == b.action and keys.key_label(b) in help_text
            for _t, help_text, action in entries
        )
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        shown = str(app.screen.query_one("#help-text").render())
        assert all(b.tooltip in shown for b in keys.BINDINGS)


async def test_user_keymap_theme_and_name(seed: Path) -> None:
    """The user config's keymap remaps a binding by id, its theme is applied, its user_name
    is the actor of an approval; a theme picked later is saved to that file."""
    from kiro_tui.core.config import load_config, user_config_dir

    cfg = user_config_dir() / "config.yaml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("theme: nord\nuser_name: Robin\nkeymap:\n  kiro.approve: y\n")
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.theme == "nord", "the user's theme")
        await pilot.press("n", "y")
        assert isinstance(app.screen, DecisionScreen)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: phase_of(seed, *SPEC_ARGS).status == "approved",
            "approved with the remapped key",
        )
        app.theme = "textual-light"
        await wait_for(
            pilot, lambda: load_config(None).theme == "textual-light", "the picked theme saved"
        )
    assert phase_of(seed, *SPEC_ARGS).approved_by == "Robin"


async def test_start_without_watching_does_not_claim_to_drive(seed: Path) -> None:
    """The bug this fixes: with `make_app(watch=False)` (nothing runs the roles), `s` made the
    header say "driving". Now it starts the session and the header says what is true."""
    from kiro_tui.ui.widgets.kiro_header import KiroHeader

    app = make_app(seed, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_notice, "the start's outcome")
        await wait_for(pilot, lambda: app.snapshot.session_id is not None, "the new session")
        assert app.snapshot.driving is None
        header = app.query_one(KiroHeader).render()
        assert "driving" not in str(header) and "observing" in str(header)
    assert (seed / ".milestones/active/current.txt").read_text().strip() == "milestone-001"


async def test_an_older_deliverable_report_never_replaces_a_newer_one(seed: Path) -> None:
    """Reports are computed in an exclusive worker; an answer to an older question that lands
    late is dropped."""
    from kiro_tui.core.deliverables import report
    from kiro_tui.ui.messages import ReportReady

    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")  # the spec phase of task-001: its report is asked for
        screen = app.main
        await wait_for(pilot, lambda: screen.report_of(SPEC) is not None, "the report")
        newest = screen.report_of(SPEC)
        ph = phase_of(seed, *SPEC_ARGS)
        stale = report(seed, "task-001", ph)
        screen.post_message(ReportReady(SPEC, stale, seq=0))
        await pilot.pause()
        assert screen.report_of(SPEC) is newest
