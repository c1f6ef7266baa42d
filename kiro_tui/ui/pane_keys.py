"""Keys of lazygit/k9s habits inside each pane (issue 10, item 14): `j`/`k` move down/up,
`g`/`G` go to the top/bottom, Escape clears the pane's filter. Bound on the panes themselves
(they act only where the focus is), so they never shadow the screen's keys."""

from __future__ import annotations

from textual.binding import Binding, BindingType


def _keys(down: str, up: str, top: str, bottom: str) -> list[BindingType]:
    return [
        Binding("j", down, "Down", show=False),
        Binding("k", up, "Up", show=False),
        Binding("g", top, "Top", show=False),
        Binding("G", bottom, "Bottom", show=False),
        Binding("escape", "clear_filter", "Clear the filter", show=False),
    ]


TREE: list[BindingType] = _keys("cursor_down", "cursor_up", "scroll_home", "scroll_end")
TABLE: list[BindingType] = _keys("cursor_down", "cursor_up", "scroll_top", "scroll_bottom")
LOG: list[BindingType] = _keys("scroll_down", "scroll_up", "scroll_home", "scroll_end")

HELP = (
    ("j / k", "down / up in the focused pane (tree, blockers, log)"),
    ("g / G", "to the top / bottom of the focused pane"),
    ("escape", "clear the focused pane's filter"),
)
