"""The footer of keys: it shows the keys of the focused pane and the user's key map, and it is
rebuilt only when those keys change (a rebuild remounts every key widget)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets._footer import FooterKey

from kiro_tui.ui.app import make_app
from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.key_footer import KeyFooter
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

from .helpers import ready, wait_for

SIZE = (120, 40)


def footer_keys(app) -> list[FooterKey]:
    return list(app.screen.query_one(KeyFooter).query(FooterKey))


async def test_footer_is_rebuilt_only_when_its_keys_change(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: bool(footer_keys(app)), "keys in the footer")
        shown = footer_keys(app)
        assert "approve" in " ".join(k.description for k in shown).lower()
        # focus moves (log, back to the tree) and the screen's bindings are published again:
        # the keys shown are the same, so the same key widgets stay mounted
        for _ in range(3):
            app.screen.query_one(EventLog).focus()
            await pilot.pause()
            app.screen.query_one(MilestoneTree).focus()
            await pilot.pause()
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert footer_keys(app) == shown
        # a key map that changes a shown key rebuilds the footer with the new key
        app.set_keymap({"kiro.approve": "y"})
        await wait_for(
            pilot,
            lambda: any(k.key == "y" for k in footer_keys(app)),
            "the remapped key in the footer",
        )
        assert all(k.key != "a" or "approve" not in k.description.lower() for k in footer_keys(app))
