"""The detail pane shows the selected phase's deliverables with their content (issue 12, "Review
a gate without leaving"): Markdown rendered, YAML highlighted, the acceptance criteria as a
checklist, the reviewer history; a file changed from outside shows its new text; a snapshot
that changed something else reads nothing again; a selected task shows its current phase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.syntax import Syntax
from textual.widgets import Markdown, Static

from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import KiroApp, make_app
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree
from kiro_tui.ui.widgets.phase_content import PhaseContent

from .helpers import phase_of, quiet, ready, wait_for

SIZE = (120, 40)
M1 = "milestone-001"
SPEC = Sel(M1, "task-001", "spec")
SPEC_DIR = ".milestones/deliverables/task-001/spec"
DESIGN_DIR = ".milestones/deliverables/task-001/design"


def markdown_text(app: KiroApp) -> str:
    """The Markdown the content pane renders, all files."""
    pane = app.query_one(PhaseContent)
    return "\n".join(md.source for md in pane.query(Markdown))


def shown_text(app: KiroApp) -> str:
    """What the content pane's widgets draw, as plain text (Markdown blocks and Statics)."""
    pane = app.query_one(PhaseContent)
    parts = [str(s.render()) for s in pane.query(Static)]
    parts += [md.source for md in pane.query(Markdown)]
    return "\n".join(parts)


async def select(pilot: Any, sel: Sel) -> PhaseContent:
    app = pilot.app
    tree = app.query_one(MilestoneTree)
    assert tree.select(sel)
    tree.focus()
    pane = app.query_one(PhaseContent)
    await wait_for(pilot, lambda: pane.key is not None and pane.shown, "the phase's content")
    return pane


async def test_a_selected_phase_shows_its_markdown_deliverables(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await select(pilot, SPEC)
        assert pane.shown == tuple(
            f"{SPEC_DIR}/{n}"
            for n in (
                "technical_specification.md",
                "test_plan.md",
                "acceptance_criteria.md",
                "rollout_plan.md",
            )
        )
        text = markdown_text(app)
        assert "# Spec" in text and "POST /login returns a token." in text
        assert "unit + integration." in text
        # rendered by Textual's Markdown: the heading is a heading block with its text
        headings = [str(h.content) for h in pane.query("MarkdownH1")]
        assert "Spec" in headings
        detail = app.query_one(DetailPane).render_markup()
        assert "☐ Technical specifications complete" in detail
        await quiet(pilot)


async def test_yaml_is_highlighted_and_text_from_the_repository_is_not_markup(seed: Path) -> None:
    api = seed / DESIGN_DIR / "api_specification.yaml"
    api.write_text("paths: [bold]not markup[/bold]\n", encoding="utf-8")
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await select(pilot, Sel(M1, "task-001", "design"))
        code = list(pane.query(".viewer-code").results(Static))
        assert len(code) == 1
        syntax = code[0].content
        assert isinstance(syntax, Syntax) and syntax.lexer is not None
        assert syntax.code == "paths: [bold]not markup[/bold]\n"  # the text, not its markup
        await quiet(pilot)


async def test_a_file_changed_from_outside_shows_its_new_text(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, SPEC)
        assert "POST /login returns a token." in markdown_text(app)
        spec = seed / SPEC_DIR / "technical_specification.md"
        spec.write_text("# Spec v2\n\nPOST /session replaces /login.\n", encoding="utf-8")
        await wait_for(
            pilot,
            lambda: "POST /session replaces /login." in markdown_text(app),
            "the new text in the detail pane",
        )
        assert "POST /login returns a token." not in markdown_text(app)
        await quiet(pilot)


async def test_a_snapshot_that_changed_something_else_reads_nothing(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await select(pilot, SPEC)
        await quiet(pilot)
        detail = app.query_one(DetailPane)
        reads, applied, updates = pane.reads, app.snapshots_applied, detail.updates
        # another task's status changes: a new snapshot, the spec phase and its files unchanged
        Workspace(seed).block(M1, "task-002", "design", "waiting on legal", "dana")
        await wait_for(pilot, lambda: app.snapshots_applied > applied, "a new snapshot")
        await quiet(pilot)
        assert pane.reads == reads
        assert detail.updates == updates  # the same text: not set again (no layout)
        assert "POST /login returns a token." in markdown_text(app)


async def test_the_review_history_shows_after_a_reject(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, SPEC)
        await pilot.press("x")
        await pilot.press(*"needs a rollback plan", "enter")
        await wait_for(
            pilot, lambda: phase_of(seed, *SPEC_ARGS).status != "waiting_approval", "rejected"
        )
        detail = app.query_one(DetailPane)
        await wait_for(
            pilot, lambda: "needs a rollback plan" in detail.render_markup(), "the history"
        )
        text = detail.render_markup()
        assert "review history" in text
        history = text.split("review history", 1)[1]
        assert "request changes by tester: needs a rollback plan" in history
        await quiet(pilot)


SPEC_ARGS = (M1, "task-001", "spec")


async def test_a_selected_task_shows_its_current_phase(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await select(pilot, Sel(M1, "task-001"))
        assert pane.key is not None and pane.key.sel == SPEC and pane.key.current
        assert "spec (current phase): deliverables" in shown_text(app)
        assert "POST /login returns a token." in markdown_text(app)
        detail = app.query_one(DetailPane).render_markup()
        assert "☐ Technical specifications complete" in detail
        # a milestone: no phase, no content
        tree = app.query_one(MilestoneTree)
        assert tree.select(Sel(M1))
        await wait_for(pilot, lambda: pane.key is None and not pane.children, "no content")
        await quiet(pilot)


async def test_moving_fast_through_the_tree_shows_the_last_phase_only(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        pane = app.query_one(PhaseContent)
        tree.focus()
        design = Sel(M1, "task-001", "design")
        for sel in (SPEC, design, SPEC, Sel(M1, "task-002", "design"), design):
            assert tree.select(sel)
            await pilot.pause()
        await wait_for(
            pilot,
            lambda: pane.shown_key is not None and pane.shown_key.sel == design,
            "the last phase's content",
        )
        await quiet(pilot)
        assert pane.shown_key is not None and pane.shown_key.sel == design
        assert all(p.startswith(DESIGN_DIR) for p in pane.shown) and len(pane.shown) == 4
        assert "Token service behind the gateway." in markdown_text(app)
        assert "POST /login returns a token." not in markdown_text(app)


async def test_a_status_change_with_the_same_files_keeps_the_widgets(seed: Path) -> None:
    """An agent's burst changes the selected phase many times (started, files written one by
    one, completed, waiting): a read that finds what is on screen leaves the widgets alone."""
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await select(pilot, SPEC)
        await quiet(pilot)
        reads, remounts = pane.reads, pane.remounts
        widgets = list(pane.children)
        Workspace(seed).approve(*SPEC_ARGS, "dana", "fine")  # the phase changes, its files not
        await wait_for(pilot, lambda: pane.reads > reads, "the phase's files read again")
        await quiet(pilot)
        assert pane.key is not None and pane.key.phase.status == "approved"
        assert pane.remounts == remounts and list(pane.children) == widgets
        # a change of a file does replace them
        (seed / SPEC_DIR / "test_plan.md").write_text("# Tests\n\nnone yet.\n", encoding="utf-8")
        await wait_for(pilot, lambda: "none yet." in markdown_text(app), "the new text")
        assert pane.remounts == remounts + 1
        await quiet(pilot)
