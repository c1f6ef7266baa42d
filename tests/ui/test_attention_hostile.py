"""Repository text in the attention and review views is untrusted: Rich markup in a task title
shows as text in the toast and the inbox; an escape sequence in a deliverable never reaches the
terminal from the approval modal or the diff view (it is drawn as U+FFFD)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.syntax import Syntax
from textual.widgets import Markdown, OptionList, Static

from kiro_tui.ui.app import make_app
from kiro_tui.ui.screens.decision import DecisionScreen
from kiro_tui.ui.screens.inbox import InboxScreen
from kiro_tui.ui.screens.review import ReviewScreen
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.deliverable_viewer import DeliverableViewer, printable
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import phase_of, quiet, ready, wait_for

SIZE = (120, 40)
SPEC_DIR = ".milestones/deliverables/task-001/spec"
# markup Rich accepts (the tree on this branch still parses task titles as markup; a
# title Rich refuses is the hostile branch's fix there)
HOSTILE_TITLE = "Login [b]API[/b] [link=http://x]click[/link]"
OSC52 = "\x1b]52;c;SGVsbG8=\x07"


def test_printable_keeps_text_and_replaces_controls() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable(f"x{OSC52}y\x7f\u202ez") == "x\ufffd]52;c;SGVsbG8=\ufffdy\ufffd\ufffdz"


async def test_markup_in_a_title_is_plain_text_in_the_toast_and_the_inbox(
    seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed / ".milestones/active/milestone-001.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('title: "Login API"', f'title: "{HOSTILE_TITLE}"', 1))
    app = make_app(seed)
    toasts: list[tuple[str, Any]] = []
    real = app.notify

    def notify(message: str, **kw: Any) -> None:
        toasts.append((message, kw.get("markup", True)))
        real(message, **kw)

    monkeypatch.setattr(app, "notify", notify)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.inbox_seq >= 0, "the first inbox")
        shown = [(m, markup) for m, markup in toasts if "[link=" in m]
        assert shown and all(markup is False for _m, markup in shown)
        await pilot.press("i")
        assert isinstance(app.screen, InboxScreen)
        prompt = str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert "[link=http://x]click[/link]" in prompt
        await pilot.press("escape")
        await quiet(pilot)


async def test_an_escape_sequence_in_a_deliverable_is_never_drawn(seed: Path) -> None:
    spec = seed / SPEC_DIR / "technical_specification.md"
    spec.write_text(f"# Spec\n\nPOST /login {OSC52} returns a token.\n", encoding="utf-8")
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n", "a")
        screen = app.screen
        assert isinstance(screen, DecisionScreen)
        viewer = screen.query_one(DeliverableViewer)
        await wait_for(pilot, lambda: screen.query(Markdown), "the content")
        source = screen.query(Markdown).first().source
        assert "\x1b" not in source and "\x07" not in source
        assert "POST /login \ufffd]52;c;SGVsbG8=\ufffd returns a token." in source
        assert viewer.shown is not None
        await pilot.press("enter")  # approve (the copy keeps the file as it is)
        await wait_for(
            pilot,
            lambda: phase_of(seed, "milestone-001", "task-001", "spec").status == "approved",
            "approved",
        )
        await quiet(pilot)
        spec.write_text(f"# Spec\n\n{OSC52}changed\n", encoding="utf-8")
        tree = app.query_one(MilestoneTree)
        tree.select(Sel("milestone-001", "task-001", "spec"))
        await pilot.press("d")
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await wait_for(pilot, lambda: review.query(".review-diff"), "the diff")
        drawn = [
            s.content.code
            for s in review.query(".review-diff").results(Static)
            if isinstance(s.content, Syntax)
        ]
        assert drawn and all("\x1b" not in code for code in drawn)
        assert any("\ufffd]52;c;SGVsbG8=\ufffdchanged" in code for code in drawn)
