"""A `Static` set from console markup that changes only when the markup does.

`Static.update` always asks for a new layout of the whole screen (15-25 ms for the dashboard),
even with the text it already shows. The header, the detail pane and the blocker note are set
again on every snapshot; during an agent's burst most of those snapshots leave their text as it
was, and a key pressed then waited behind layouts that changed nothing.

A change that keeps the text's height at the widget's width (a status word, a count, a time)
only repaints the widget: the rest of the screen cannot move, so no layout is asked for.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class MarkupStatic(Static):
    """`show_markup(m)`: shows `m` (console markup), unless it is what is shown."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._markup: str | None = None
        self._measured: tuple[int, int] | None = None  # (width, height) of the text shown
        self.updates = 0
        """How many times the markup changed (counted by tests: work, not time)."""
        self.layouts = 0
        """How many of those changes asked for a layout of the screen."""

    def show_markup(self, markup: str) -> bool:
        """Show `markup`; False (nothing done) when it is what is shown already."""
        if markup == self._markup:
            return False
        self._markup = markup
        self.updates += 1
        content = Content.from_markup(markup)
        width = self.content_size.width
        measured = None
        sized = self.styles.width
        if width and (sized is None or not sized.is_auto):
            # Content is the visual Static draws; measured as Widget.get_content_height does
            height = content.get_height(self.styles, width)  # type: ignore[arg-type]
            measured = (width, height)
        same = measured is not None and measured == self._measured
        self._measured = measured
        self.layouts += not same
        self.update(content, layout=not same)
        return True
