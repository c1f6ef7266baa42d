"""The two filter inputs of the main screen: one above the tree (id, title or status), one above
the log (text). `/` opens the one of the focused pane; Escape in it clears and closes it and
gives the focus back to its pane; a pane whose filter is cleared another way (its own Escape,
the palette) closes its input too."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Input

from kiro_tui.ui.widgets.event_log import EventLog
from kiro_tui.ui.widgets.milestone_tree import MilestoneTree

PAIRS = (("#filter", MilestoneTree, "filter_text"), ("#log-filter", EventLog, "text_filter"))


class PaneFilters:
    """The filter inputs of `screen` (composition: the screen calls these from its handlers)."""

    def __init__(self, screen: Screen[Any]) -> None:
        self.screen = screen

    def watch(self) -> None:
        """On mount: an input goes away when its pane's filter is cleared."""
        for selector, pane, attr in PAIRS:
            self.screen.watch(self.screen.query_one(pane), attr, self._hide(selector))

    def _hide(self, selector: str) -> Any:
        def hide(value: str) -> None:
            flt = self.screen.query_one(selector, Input)
            if not value and not flt.has_focus:
                flt.value = ""
                flt.display = False

        return hide

    def open(self) -> None:
        """The log's filter when the log has focus, else the tree's, with its current text."""
        log = self.screen.query_one(EventLog)
        flt = self.screen.query_one("#log-filter" if log.has_focus else "#filter", Input)
        tree = self.screen.query_one(MilestoneTree)
        flt.value = log.text_filter if log.has_focus else tree.filter_text
        flt.display = True
        flt.focus()

    def changed(self, event: Input.Changed) -> None:
        for selector, pane, attr in PAIRS:
            if event.input.id == selector[1:]:
                setattr(self.screen.query_one(pane), attr, event.value.strip())

    def submitted(self, event: Input.Submitted) -> None:
        pane = EventLog if event.input.id == "log-filter" else MilestoneTree
        self.screen.query_one(pane).focus()

    def escape(self, event: Any) -> None:
        for selector, pane, _attr in PAIRS:
            flt = self.screen.query_one(selector, Input)
            if event.key == "escape" and flt.has_focus:
                flt.value = ""
                flt.display = False
                self.screen.query_one(pane).focus()
                event.stop()

    def set_log(self, role: str | None, level: str | None, text: str | None) -> None:
        log = self.screen.query_one(EventLog)
        if role is not None:
            log.role_filter = role
        if level is not None:
            log.level_filter = level
        if text is not None:
            log.text_filter = text
