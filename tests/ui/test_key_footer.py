"""The footer of keys: it shows the keys of the focused pane and the user's key map, from the
first frame, and it redraws only when those keys change."""

from __future__ import annotations

from pathlib import Path

from kiro_tui.ui.app import make_app
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.key_footer import KeyFooter
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import ready, wait_for

SIZE = (120, 40)


def footer(app) -> KeyFooter:
    return app.screen.query_one(KeyFooter)


async def test_footer_redraws_only_when_its_keys_change(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        f = footer(app)
        await wait_for(pilot, lambda: "approve" in str(f.render()).lower(), "approve in the footer")
        shown, redraws = f.shown, f.redraws
        # focus moves (log, back to the tree) and the screen's bindings are published again:
        # the keys shown are the same, so nothing is redrawn
        for _ in range(3):
            app.screen.query_one(EventLog).focus()
            await pilot.pause()
            app.screen.query_one(MilestoneTree).focus()
            await pilot.pause()
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert (f.shown, f.redraws) == (shown, redraws)
        # a key map that changes a shown key redraws the footer with the new key
        app.set_keymap({"kiro.approve": "y"})
        await wait_for(
            pilot,
            lambda: any(k.key == "y" and "approve" in k.description.lower() for k in f.shown),
            "the remapped key in the footer",
        )
        assert f.redraws == redraws + 1
        assert all(k.key != "a" or "approve" not in k.description.lower() for k in f.shown)


async def test_footer_keys_are_in_the_first_frame_and_a_click_presses_the_key(
    seed: Path,
) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        f = footer(app)
        # no wait for the screen's first published bindings: the keys are drawn at mount
        assert "q" in f.visible_keys() and "question_mark" in f.visible_keys()
        await ready(pilot)
        start, end = next((a, b) for a, b, item in f.spans if item.key == "question_mark")
        await pilot.click(KeyFooter, offset=(start + 1, 0))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen", "help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main, "back on the dashboard")
        assert end > start


async def test_footer_leaves_out_whole_keys_that_do_not_fit(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=(60, 20)) as pilot:
        await ready(pilot)
        f = footer(app)
        line = str(f.render())
        assert len(line) <= 60
        drawn = f.visible_keys()
        assert drawn[-1] == "ctrl+p"  # the palette key keeps its place at the right end
        assert len(drawn) - 1 < len(f.shown)  # not all fit in 60 columns
        for key in drawn[:-1]:
            item = next(i for i in f.shown if i.key == key)
            assert f"{item.display} {item.description}" in line  # drawn whole
