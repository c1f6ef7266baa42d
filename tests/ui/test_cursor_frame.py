"""Moving the tree's cursor changes the detail pane in the same frame as the highlight (the
detail follows the cursor synchronously, not one message hop and one frame later), and the app
freezes its long-lived heap when it starts and once the first full snapshot is on screen, so
that a full garbage collection does not cost a frame every few seconds; the heap is unfrozen
when the app ends."""

from __future__ import annotations

import gc
from pathlib import Path

from kiro_tui.ui.app import make_app
from kiro_tui.ui.view import Sel
from kiro_tui.ui.widgets.detail import DetailPane
from kiro_tui.ui.widgets.kiro_header import KiroHeader
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree
from kiro_tui.ui.widgets.phase_content import PhaseContent

from .helpers import quiet, ready, wait_for

SIZE = (120, 40)


async def test_the_detail_follows_the_cursor_before_anything_else_runs(seed: Path) -> None:
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        tree = app.query_one(MilestoneTree)
        detail, content = app.query_one(DetailPane), app.query_one(PhaseContent)
        tree.focus()
        node = tree.cursor_node
        assert node is not None
        node.expand()
        await pilot.pause()
        seen: list[Sel | None] = []
        for _ in range(3):
            before = tree.selection
            tree.action_cursor_down()  # no await: nothing else gets to run in between
            after = tree.selection
            assert after != before
            # the pane, the content and the header hold the new selection already
            assert detail.selection == after
            assert content.selection == after
            assert app.query_one(KiroHeader).selected == (after.mid if after else None)
            seen.append(after)
        await pilot.pause()
        tree.action_cursor_up()
        assert detail.selection == seen[-2]
        await quiet(pilot)


async def test_the_heap_is_frozen_at_start_and_after_the_first_full_snapshot_collected_only_then(
    seed: Path,
) -> None:
    gc.unfreeze()
    app = make_app(seed)
    async with app.run_test(size=SIZE) as pilot:
        at_start = gc.get_freeze_count()
        assert at_start > 0  # the app's on_mount froze what the imports and screens made
        if not app.heap_frozen:
            assert not gc.isenabled()  # no collection while the workspace loads
        await ready(pilot)
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and app.snapshot.seq > 0 and gc.isenabled(),
            "the heap frozen after the first full snapshot",
        )
        assert app.heap_frozen and gc.get_freeze_count() > at_start
        await quiet(pilot)
    assert gc.get_freeze_count() == 0  # an app run inside a longer process leaves nothing frozen
    assert gc.isenabled()
