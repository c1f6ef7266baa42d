"""Reviewing a gate without leaving the dashboard (issue 12): the approval modal shows the
deliverables' content; `d` shows the diff since the approval (a real git repository made with
pygit2, and a workspace without git that uses the copy kept at approval); `o` runs `$EDITOR`
(a script) and the change shows on return; `y` copies; the 'since you left' digest."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2
import pytest
from textual.widgets import Markdown

from kiro_tui.core.digest import last_visit, mark_visit
from kiro_tui.core.service import Workspace
from kiro_tui.ui.app import KiroApp, make_app
from kiro_tui.ui.screens.decision import DecisionScreen
from kiro_tui.ui.screens.digest import DigestScreen
from kiro_tui.ui.screens.review import ReviewScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.deliverable_viewer import DeliverableViewer
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import phase_of, quiet, ready, wait_for

SIZE = (120, 40)
M1 = "milestone-001"
SPEC = Sel(M1, "task-001", "spec")
SPEC_DIR = ".milestones/deliverables/task-001/spec"

EDITOR = """\
import sys
from pathlib import Path

path = Path(sys.argv[-1])
text = path.read_text(encoding="utf-8")
if path.suffix == ".md":
    path.write_text(text + "\\nEdited in the editor.\\n", encoding="utf-8")
else:
    path.write_text(text.replace("User authentication", "User sign-in"), encoding="utf-8")
"""


def commit_all(root: Path, message: str, when: float) -> str:
    found = pygit2.discover_repository(str(root))
    repo = pygit2.Repository(found) if found else pygit2.init_repository(str(root))
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    sig = pygit2.Signature("Tester", "tester@example.com", int(when), 0)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", sig, sig, message, tree, parents))


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    return script


def viewer_text(app: KiroApp) -> str:
    md = app.screen.query(Markdown)
    return md.first().source if md else ""


async def open_approval(pilot: Any) -> DecisionScreen:
    app = pilot.app
    await ready(pilot)
    await pilot.press("n", "a")
    screen = app.screen
    assert isinstance(screen, DecisionScreen)
    viewer = screen.query_one(DeliverableViewer)
    await wait_for(
        pilot,
        lambda: viewer.shown == f"{SPEC_DIR}/technical_specification.md",
        "the first deliverable's content",
    )
    return screen


async def approve_in_ui(pilot: Any, root: Path) -> None:
    await pilot.press("n", "a", "enter")
    await wait_for(
        pilot, lambda: phase_of(root, *SPEC_ARGS).status == "approved", "spec approved on disk"
    )
    await quiet(pilot)


SPEC_ARGS = (M1, "task-001", "spec")


async def show_diff(pilot: Any) -> ReviewScreen:
    app = pilot.app
    tree = app.query_one(MilestoneTree)
    assert tree.select(SPEC)
    tree.focus()
    await pilot.press("d")
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    await wait_for(pilot, lambda: screen.diffs is not None, "the diff")
    return screen


async def test_the_approval_modal_shows_the_deliverables_content(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_approval(pilot)
        assert "POST /login returns a token." in viewer_text(app)
        summary = str(screen.query_one("#decision-summary").render())
        assert "☐ Technical specifications complete" in summary
        viewer = screen.query_one(DeliverableViewer)
        assert [p.rsplit("/", 1)[-1] for _l, p in viewer.files] == [
            "technical_specification.md",
            "test_plan.md",
            "acceptance_criteria.md",
            "rollout_plan.md",
        ]
        await pilot.press("tab", "down")  # to the files, then the next one: it is read then
        await wait_for(pilot, lambda: viewer.shown == f"{SPEC_DIR}/test_plan.md", "the second file")
        assert "unit + integration." in viewer_text(app)
        await pilot.press("y")
        assert app.clipboard == str(seed / SPEC_DIR / "test_plan.md")
        await pilot.press("escape")
        assert not isinstance(app.screen, DecisionScreen)


async def test_d_diffs_against_the_approved_commit_in_git(seed: Path) -> None:
    commit_all(seed, "seed", time.time() - 120)
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await approve_in_ui(pilot, seed)
        plan = seed / SPEC_DIR / "test_plan.md"
        plan.write_text("# Test plan\n\nunit, integration and load.\n", encoding="utf-8")
        commit_all(seed, "a later change, committed", time.time())
        screen = await show_diff(pilot)
        diffs = {d.path.rsplit("/", 1)[-1]: d for d in screen.diffs or ()}
        d = diffs["test_plan.md"]
        assert d.status == "modified" and d.exact and d.base.startswith("git ")
        assert "-unit + integration." in d.diff and "+unit, integration and load." in d.diff
        assert diffs["rollout_plan.md"].status == "unchanged"
        assert "+unit, integration and load." in screen.diff_text
        await pilot.press("y")
        assert app.clipboard == str(seed / SPEC_DIR / "test_plan.md")
        await pilot.press("escape")
        assert not isinstance(app.screen, ReviewScreen)


async def test_d_diffs_against_the_copy_kept_at_approval_without_git(seed: Path) -> None:
    assert pygit2.discover_repository(str(seed)) is None
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await approve_in_ui(pilot, seed)
        assert (seed / ".milestones/reviews/task-001/spec").is_dir()
        (seed / SPEC_DIR / "rollout_plan.md").write_text("# Rollout\n\nbehind a flag, by region.\n")
        screen = await show_diff(pilot)
        diffs = {d.path.rsplit("/", 1)[-1]: d for d in screen.diffs or ()}
        d = diffs["rollout_plan.md"]
        assert d.status == "modified" and d.exact
        assert d.base.startswith("copy kept at approved")
        assert "-behind a flag." in d.diff and "+behind a flag, by region." in d.diff
        assert diffs["test_plan.md"].status == "unchanged" and diffs["test_plan.md"].diff == ""


async def test_o_in_the_approval_modal_runs_the_editor_and_shows_the_change(
    seed: Path, editor: Path
) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await open_approval(pilot)
        await pilot.press("tab", "o")
        await wait_for(
            pilot, lambda: "Edited in the editor." in viewer_text(app), "the edit on screen"
        )
        text = (seed / SPEC_DIR / "technical_specification.md").read_text(encoding="utf-8")
        assert text.endswith("Edited in the editor.\n")
        assert isinstance(app.screen, DecisionScreen)  # back where the user was


async def test_o_on_a_milestone_edits_its_file_and_the_tree_follows(
    seed: Path, editor: Path
) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        assert tree.select(Sel(M1))
        await pilot.press("o")
        assert "User sign-in" in (seed / ".milestones/active/milestone-001.yaml").read_text()
        await wait_for(
            pilot,
            lambda: app.snapshot.state.milestone(M1).title == "User sign-in",
            "the new title in the snapshot",
        )
        await quiet(pilot)


async def test_o_without_an_editor_says_so(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    before = (seed / ".milestones/active/milestone-001.yaml").read_bytes()
    app = make_app(seed)
    notes: list[str] = []
    real = app.notify
    monkeypatch.setattr(app, "notify", lambda m, **kw: (notes.append(m), real(m, **kw)))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("o")
        assert "set $VISUAL or $EDITOR to open files" in notes
        await quiet(pilot)
    assert (seed / ".milestones/active/milestone-001.yaml").read_bytes() == before


async def test_y_copies_the_selected_id(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        tree.select(Sel(M1, "task-002"))
        await pilot.press("y")
        assert app.clipboard == "task-002"
        tree.select(SPEC)
        await pilot.press("y")
        assert app.clipboard == str(seed / SPEC_DIR)


async def test_the_digest_shows_what_happened_since_the_last_visit(seed: Path) -> None:
    mark_visit(seed, datetime(2026, 11, 20, tzinfo=UTC))  # before the fixture's story
    Workspace(seed).reject(M1, "task-001", "spec", "needs a rollback plan", "dana")
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DigestScreen), "the digest")
        screen = app.screen
        assert isinstance(screen, DigestScreen)
        assert screen.text.startswith("Since you left")
        assert "spec of task-001 sent back by dana" in screen.text
        await pilot.press("z")  # any key
        assert not isinstance(app.screen, DigestScreen)
        await quiet(pilot)
    seen = last_visit(seed)
    assert seen is not None and seen > datetime(2026, 11, 30, tzinfo=UTC)


async def test_no_digest_after_a_short_absence(seed: Path) -> None:
    mark_visit(seed)  # just now
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.inbox_seq >= 0, "the first inbox")
        await quiet(pilot)
        assert not any(isinstance(s, DigestScreen) for s in app.screen_stack)
