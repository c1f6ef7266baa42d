"""The selected blocker's message and suggestion in full, wrapped, under the blocker table
(the table's cells are cut at any width; issue 10, item 12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiro_tui.ui.view import markup_text
from kiro_tui.ui.widgets.markup_static import MarkupStatic

if TYPE_CHECKING:
    from kiro_tui.core.snapshot import Blocker


def note_markup(b: Blocker | None) -> str:
    if b is None:
        return ""
    where = "/".join(x for x in (b.milestone_id, b.task_id, b.phase) if x) or (b.file or "")
    head = f"[b]{markup_text(where)}[/b]: " if where and where not in b.message else ""
    tail = f"\n[dim]→ {markup_text(b.suggestion)}[/dim]" if b.suggestion else ""
    return f"{head}{markup_text(b.message)}{tail}"


class BlockerNote(MarkupStatic):
    """Shows one blocker in full; hidden when there is none."""

    shown: Blocker | None = None
    """The blocker on show (None when hidden)."""

    def show(self, b: Blocker | None) -> None:
        self.shown = b
        self.display = b is not None
        self.show_markup(note_markup(b))
