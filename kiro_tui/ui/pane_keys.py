"""The pane keys of `ui.keys.PANE` (j/k, g/G, Escape) bound to each pane's own actions: the
tree and the tables move their cursor, the log scrolls."""

from __future__ import annotations

from dataclasses import replace

from textual.binding import BindingType

from kiro_tui.ui.keys import PANE


def _keys(down: str, up: str, top: str, bottom: str) -> list[BindingType]:
    actions = {"down": down, "up": up, "top": top, "bottom": bottom}
    return [replace(b, action=actions.get(b.action, b.action)) for b in PANE.bindings]


TREE: list[BindingType] = _keys("cursor_down", "cursor_up", "scroll_home", "scroll_end")
TABLE: list[BindingType] = _keys("cursor_down", "cursor_up", "scroll_top", "scroll_bottom")
LOG: list[BindingType] = _keys("scroll_down", "scroll_up", "scroll_home", "scroll_end")
