"""The log tail: every log merged by time, newest at the bottom, with filters and follow."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.reactive import reactive
from textual.widgets import Log

from kiro_tui.ui import pane_keys
from kiro_tui.ui.view import markup_text

if TYPE_CHECKING:
    from kiro_tui.core.events import Event

KEEP = 2000


class EventLog(Log):
    """A `Log` fed with events (never with files). Filters re-show the kept events."""

    BINDINGS = pane_keys.LOG

    follow: reactive[bool] = reactive(True)
    """Scroll to each new line as it arrives."""
    role_filter: reactive[str] = reactive("")
    """Show only events of this role (empty: all)."""
    level_filter: reactive[str] = reactive("")
    """Show only events of this level (empty: all)."""
    text_filter: reactive[str] = reactive("")
    """Show only events whose line contains this text (case-insensitive)."""
    unreadable: reactive[int] = reactive(0)
    """Lines of the logs read that could not be read as events (not JSON, no event name)."""

    def __init__(self, **kw: object) -> None:
        super().__init__(max_lines=KEEP, highlight=False, **kw)  # type: ignore[arg-type]
        self._kept: deque[Event] = deque(maxlen=KEEP)

    def shows(self, ev: Event) -> bool:
        from kiro_tui.core.logview import format_event

        if self.role_filter and (ev.role or "") != self.role_filter:
            return False
        if self.level_filter and ev.level != self.level_filter:
            return False
        return not self.text_filter or self.text_filter.lower() in format_event(ev).lower()

    def add_events(self, events: Iterable[Event]) -> None:
        from kiro_tui.core.logview import format_event

        new = list(events)
        self._kept.extend(new)
        lines = [format_event(e) for e in new if self.shows(e)]
        if lines:
            self.write_lines(lines, scroll_end=self.follow)

    def set_events(self, events: Iterable[Event]) -> None:
        self._kept.clear()
        self._kept.extend(events)
        self._reshow()

    def _reshow(self) -> None:
        self.clear()
        if not self._kept:  # the reactives' first watch, before the first frame: no import
            return
        from kiro_tui.core.logview import format_event

        self.write_lines([format_event(e) for e in self._kept if self.shows(e)], scroll_end=True)

    def _subtitle(self) -> None:
        bits = [
            f"{k} {markup_text(v)}"
            for k, v in (
                ("role", self.role_filter),
                ("level", self.level_filter),
                ("text", self.text_filter),
            )
            if v
        ]
        if self.unreadable:
            bits.append(f"{self.unreadable} unreadable line(s) not shown")
        bits.append("follow" if self.follow else "paused (f to follow)")
        self.border_subtitle = " · ".join(bits)

    def watch_follow(self, follow: bool) -> None:
        self.auto_scroll = follow
        if follow:
            self.scroll_end(animate=False)
        self._subtitle()

    def watch_role_filter(self) -> None:
        self._reshow()
        self._subtitle()

    def watch_level_filter(self) -> None:
        self._reshow()
        self._subtitle()

    def watch_text_filter(self) -> None:
        self._reshow()
        self._subtitle()

    def watch_unreadable(self) -> None:
        self._subtitle()

    def action_clear_filter(self) -> None:
        """Escape: show every line again (text, role and level filters cleared)."""
        self.text_filter = self.role_filter = self.level_filter = ""

    @property
    def kept(self) -> list[Event]:
        return list(self._kept)
