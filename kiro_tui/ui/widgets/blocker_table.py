"""Open blockers: severity, age, what they concern and the suggestion. Enter jumps to the task.

A Line API widget: only the rows on screen are rendered, and a row's cells are made when it is
first drawn, so 20,000 blockers cost what the few visible ones do (a DataTable stores and
measures every cell of every row: ~1.9 s for 20,000, and 0.6 s again for each change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kiro_tui.core import clock
from kiro_tui.core.text import plain
from kiro_tui.ui import pane_keys
from kiro_tui.ui.view import SEVERITY_RANK, Sel, plain_text

if TYPE_CHECKING:
    from datetime import datetime

    from kiro_tui.core.snapshot import Blocker

COLUMNS = (("severity", 10), ("age", 6), ("what", 28), ("message", 44), ("suggestion", 40))
PAD = 1  # cells of padding each side of a column
WIDTH = sum(w + 2 * PAD for _, w in COLUMNS)
SEVERITY_MARK = {"critical": "‼ critical", "warning": "! warning", "info": "· info"}


def blocker_age(b: Blocker, now: datetime, first_seen: str | None = None) -> str:
    """How long `b` has been open at `now`: from its `since` (when its cause began, or the
    record that opened it), else from when this window first saw it."""
    stamp = b.since or first_seen
    since = clock.parse_ts(stamp) if stamp else None
    if since is None:
        return "—"
    return clock.age_text(max(0.0, (now - since).total_seconds()))


def blocker_where(b: Blocker) -> str:
    where = "/".join(x for x in (b.milestone_id, b.task_id, b.phase) if x)
    return where or (b.file or "")


def _line(cells: tuple[str | Text, ...]) -> Text:
    """One row: each cell cut (with an ellipsis) or padded to its column."""
    line = Text(no_wrap=True, end="")
    for (_, width), cell in zip(COLUMNS, cells, strict=True):
        text = cell.copy() if isinstance(cell, Text) else Text(cell)
        text.truncate(width, overflow="ellipsis", pad=True)
        line.append(" " * PAD)
        line.append_text(text)
        line.append(" " * PAD)
    return line


class BlockerTable(ScrollView, can_focus=True):
    """The snapshot's blockers, most severe first, one row each under a fixed header; the row
    cursor stays at its index when the rows change."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Jump to task", id="blockers.jump", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "scroll_top", "Top", show=False),
        Binding("end,ctrl+end", "scroll_bottom", "Bottom", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        *pane_keys.TABLE,
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"blocker-table--header", "blocker-table--cursor"}
    DEFAULT_CSS = """
    BlockerTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        & > .blocker-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .blocker-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .blocker-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .blocker-table--header { background-tint: $foreground 5%; }
            & > .blocker-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, repaint=False)
    """The index of the selected row."""

    class Highlighted(Message):
        """The blocker under the cursor changed (it moved, or the rows did)."""

        def __init__(self, table: BlockerTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> BlockerTable:
            return self.table

    class Jump(Message):
        """The user asked to see what a blocker concerns."""

        def __init__(self, table: BlockerTable, sel: Sel) -> None:
            super().__init__()
            self.table = table
            self.sel = sel

        @property
        def control(self) -> BlockerTable:
            return self.table

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._blockers: tuple[Blocker, ...] = ()
        self._first_seen: dict[str, str] = {}  # blocker_id -> when this window first saw it
        self._cells_of: dict[str, tuple[str | Text, ...]] = {}  # rows drawn so far
        self._now: datetime | None = None  # the ages are of the time the rows were set
        self.virtual_size = Size(WIDTH, 1)

    @property
    def blockers(self) -> tuple[Blocker, ...]:
        """The rows shown, in order (most severe first)."""
        return self._blockers

    @property
    def row_count(self) -> int:
        return len(self._blockers)

    @property
    def current(self) -> Blocker | None:
        """The blocker under the cursor."""
        if not self._blockers:
            return None
        return self._blockers[min(self.cursor_row, len(self._blockers) - 1)]

    def get_row_at(self, row: int) -> tuple[str | Text, ...]:
        """The cells of row `row` (as drawn)."""
        b = self._blockers[row]
        cells = self._cells_of.get(b.blocker_id)
        if cells is None:
            cells = self._cells_of[b.blocker_id] = self._cells(b)
        return cells

    def _cells(self, b: Blocker) -> tuple[str | Text, ...]:
        now = self._now or clock.SYSTEM.now()
        return (  # cells are repository text: never parsed as markup
            SEVERITY_MARK.get(b.severity, b.severity),
            blocker_age(b, now, self._first_seen.get(b.blocker_id)),
            plain_text(blocker_where(b)),
            plain_text(b.message),
            plain_text(b.suggestion),
        )

    def set_blockers(self, blockers: tuple[Blocker, ...]) -> None:
        ordered = tuple(sorted(blockers, key=lambda b: SEVERITY_RANK.get(b.severity, 3)))
        if ordered == self._blockers:
            return
        before = self.current
        self._blockers = ordered
        now = self._now = getattr(self.app, "clock", clock.SYSTEM).now()  # fixed in tests
        seen = clock.fmt(now)
        first = self._first_seen
        self._first_seen = {b.blocker_id: first.get(b.blocker_id, seen) for b in ordered}
        self._cells_of = {}
        self.virtual_size = Size(WIDTH, len(ordered) + 1)
        self.set_reactive(BlockerTable.cursor_row, self._clamp(self.cursor_row))
        self._show_cursor()
        self.border_title = f"Blockers ({len(ordered)})"
        self.refresh()
        if self.current != before:
            self.post_message(self.Highlighted(self))

    def move_cursor(self, row: int) -> None:
        self.cursor_row = row

    def validate_cursor_row(self, row: int) -> int:
        return self._clamp(row)

    def _clamp(self, row: int) -> int:
        return max(0, min(row, len(self._blockers) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._show_cursor()
        self.refresh_lines(old + 1)  # virtual lines: the header is line 0
        self.refresh_lines(new + 1)
        self.post_message(self.Highlighted(self))

    def _rows_shown(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # less the header

    def _show_cursor(self) -> None:
        top, rows = int(self.scroll_y), self._rows_shown()
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + rows:
            self.scroll_to(y=row - rows + 1, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("blocker-table--header")
            cells: tuple[str | Text, ...] = tuple(label for label, _ in COLUMNS)
        else:
            row = scroll_y + y - 1
            if row >= len(self._blockers):
                return Strip.blank(width, base)
            style = base
            if row == self.cursor_row:
                style = base + self.get_component_rich_style("blocker-table--cursor")
            cells = self.get_row_at(row)
        # Text.render drops the text's own style when it has no spans: applied here
        segments = list(Segment.apply_style(_line(cells).render(self.app.console), style))
        return Strip(segments, WIDTH).crop_extend(scroll_x, scroll_x + width, base)

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)
        if at is None or at.y == 0:
            return
        row = int(self.scroll_y) + at.y - 1
        if row >= len(self._blockers):
            return
        if row == self.cursor_row:  # a click on the selected row: as Enter
            self.action_jump()
        self.cursor_row = row

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_page_down(self) -> None:
        self.cursor_row += self._rows_shown()

    def action_page_up(self) -> None:
        self.cursor_row -= self._rows_shown()

    def action_scroll_top(self) -> None:
        self.cursor_row = 0

    def action_scroll_bottom(self) -> None:
        self.cursor_row = len(self._blockers) - 1

    def action_clear_filter(self) -> None:
        """The blockers have no filter: Escape does nothing here."""

    def action_jump(self) -> None:
        b = self.current
        if b is None:
            return
        if b.milestone_id:
            self.post_message(self.Jump(self, Sel(b.milestone_id, b.task_id, b.phase)))
        elif b.file:
            self._show_file_problem(b)
        else:
            self.notify(
                f"{plain(b.kind, one_line=True)}: not part of a milestone or a file",
                timeout=3,
                markup=False,
            )

    def _show_file_problem(self, b: Blocker) -> None:
        """The located error in full, offering to open the file (Enter)."""
        from kiro_tui.ui.app import KiroApp
        from kiro_tui.ui.screens.file_problem import FileProblemScreen

        app = self.app
        if not isinstance(app, KiroApp):
            return
        line = None
        state = app.snapshot.state if app.snapshot is not None else None
        for p in state.problems if state is not None else ():
            if p.file == b.file and p.message in b.message:
                line = p.line
                break
        app.push_screen(FileProblemScreen(app.root, b.file or "", b.message, b.suggestion, line))

    def show_file(self, file: str) -> bool:
        """Put the cursor on the (first) blocker about `file`; False when there is none."""
        for i, b in enumerate(self._blockers):
            if b.file == file and not b.milestone_id:
                self.cursor_row = i
                return True
        return False
