"""A `Static` set from console markup that changes only when the markup does.

`Static.update` always asks for a new layout of the whole screen (15-25 ms for the dashboard),
even with the text it already shows. The header, the detail pane and the blocker note are set
again on every snapshot; during an agent's burst most of those snapshots leave their text as it
was, and a key pressed then waited behind layouts that changed nothing.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class MarkupStatic(Static):
    """`show_markup(m)`: shows `m` (console markup), unless it is what is shown."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._markup: str | None = None
        self.updates = 0
        """How many times the markup changed (counted by tests: work, not time)."""

    def show_markup(self, markup: str) -> bool:
        """Show `markup`; False (nothing done) when it is what is shown already."""
        if markup == self._markup:
            return False
        self._markup = markup
        self.updates += 1
        self.update(Content.from_markup(markup))
        return True
