"""A MarkupStatic asks for a layout of the screen only when its text's height changes: a new
status word repaints the widget alone; a line more (or less) lays the screen out again, and the
widgets below it move."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from kiro_tui.ui.widgets.markup_static import MarkupStatic


class Two(App[None]):
    def compose(self) -> ComposeResult:
        yield MarkupStatic(id="top")
        yield Static("below", id="below")


async def test_same_height_repaints_only_and_a_new_line_lays_out() -> None:
    app = Two()
    async with app.run_test(size=(40, 10)) as pilot:
        top = app.query_one(MarkupStatic)
        below = app.query_one("#below")
        top.show_markup("[b]task-001[/b] in_progress")
        await pilot.pause()
        assert below.region.y == 1
        layouts = top.layouts
        top.show_markup("[b]task-001[/b] [green]completed[/]")  # same one line
        await pilot.pause()
        assert top.layouts == layouts
        assert "completed" in str(top.render())
        top.show_markup("[b]task-001[/b] completed\nreviewed by ana")  # a second line
        await pilot.pause()
        assert top.layouts == layouts + 1
        assert below.region.y == 2
        top.show_markup("one line again")
        await pilot.pause()
        assert below.region.y == 1
        assert not top.show_markup("one line again")  # the same markup: nothing done
