"""The blocker table draws only the rows on screen: 20,000 blockers make the cells of the few
visible ones; the cursor, the keys, the mouse and the highlight messages work over all rows."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from kiro_tui.core.snapshot import Blocker
from kiro_tui.ui.widgets.blocker_table import BlockerTable

N = 20_000


def blockers(n: int, stamp: str = "2026-12-04T10:00:00Z") -> tuple[Blocker, ...]:
    return tuple(
        Blocker(
            f"b{i}",
            "dependency",
            "critical" if i == n - 1 else "warning",
            f"m-{i:05} requires m-{i - 1:05} to be completed first " + "x" * (i % 3) * 30,
            "complete or remove the dependency",
            f"m-{i:05}",
            f"task-{i}",
            "design",
            since=stamp,
        )
        for i in range(n)
    )


def shown(table: BlockerTable) -> str:
    """The lines the table draws now (header first)."""
    height = table.scrollable_content_region.height
    return "\n".join(table.render_line(y).text for y in range(height))


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []
        self.jumps: list[Any] = []

    def compose(self) -> ComposeResult:
        yield BlockerTable(id="blockers")

    def on_blocker_table_highlighted(self, m: BlockerTable.Highlighted) -> None:
        self.seen.append(m.table.current)

    def on_blocker_table_jump(self, m: BlockerTable.Jump) -> None:
        self.jumps.append(m.sel)


async def test_twenty_thousand_rows_make_only_the_visible_cells() -> None:
    app = Host()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(BlockerTable)
        table.focus()
        table.set_blockers(blockers(N))
        await pilot.pause()
        assert table.row_count == N and table.border_title == f"Blockers ({N})"
        assert table.blockers[0].severity == "critical"  # most severe first
        assert len(table._cells_of) <= 12  # the rows on screen, not 20,000
        assert table.current is table.blockers[0] and app.seen[-1] is table.blockers[0]
        shot = shown(table)
        assert shot.startswith(" severity") and "m-19999" in shot.splitlines()[1]
        assert "severity" in shot and "m-19999" in shot and "‼ critical" in shot
        await pilot.press("end")
        assert table.cursor_row == N - 1 and table.current is table.blockers[-1]
        assert int(table.scroll_y) > N - 20  # scrolled to show the last row
        await pilot.pause()
        assert "m-19998" in shown(table).splitlines()[-1]
        await pilot.press("home", "down", "down", "pagedown")
        assert table.cursor_row == 2 + table._rows_shown()
        await pilot.press("pageup", "up", "up", "up")
        assert table.cursor_row == 0  # not below the first row
        assert len(table._cells_of) < 60
        await pilot.press("enter")
        assert app.jumps[-1].mid == table.blockers[0].milestone_id


async def test_changed_rows_keep_the_cursor_and_say_when_its_blocker_changed() -> None:
    app = Host()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(BlockerTable)
        rows = blockers(100)
        table.set_blockers(rows)
        table.move_cursor(row=5)
        await pilot.pause()
        here = table.current
        before = len(app.seen)
        table.set_blockers(rows)  # the same: nothing to do
        await pilot.pause()
        assert len(app.seen) == before and table.current is here
        table.set_blockers(rows[:3])  # fewer rows than the cursor's index: the last one
        await pilot.pause()
        assert table.cursor_row == 2 and app.seen[-1] == table.current
        table.set_blockers(())
        await pilot.pause()
        assert table.current is None and table.row_count == 0 and app.seen[-1] is None
        await pilot.press("down", "enter")  # nothing to move to or jump to
        assert table.cursor_row == 0 and not app.jumps


async def test_cells_are_cut_with_an_ellipsis_and_a_click_selects_then_jumps() -> None:
    app = Host()
    async with app.run_test(size=(200, 12)) as pilot:
        table = app.query_one(BlockerTable)
        table.set_blockers(blockers(10))
        await pilot.pause()
        msg = str(table.get_row_at(2)[3])
        assert len(msg) > 44  # a long message: cut on screen, whole in the cells
        assert msg[:43] + "…" in shown(table)
        assert str(table.get_row_at(0)[1]) not in ("", "—")  # an age from `since`
        await pilot.click(BlockerTable, offset=(5, 3))  # the header, then rows 0, 1, 2
        assert table.cursor_row == 2 and not app.jumps
        await pilot.click(BlockerTable, offset=(5, 3))
        assert app.jumps and app.jumps[-1].mid == table.blockers[2].milestone_id
        await pilot.click(BlockerTable, offset=(5, 0))  # the header selects nothing
        assert table.cursor_row == 2
