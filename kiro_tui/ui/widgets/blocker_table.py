"""Open blockers: severity, age, what they concern and the suggestion. Enter jumps to the task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from kiro_tui.core import clock
from kiro_tui.core.text import plain
from kiro_tui.ui import pane_keys
from kiro_tui.ui.view import SEVERITY_RANK, Sel, plain_text

if TYPE_CHECKING:
    from datetime import datetime

    from kiro_tui.core.snapshot import Blocker

COLUMNS = (("severity", 10), ("age", 6), ("what", 28), ("message", 44), ("suggestion", 40))
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


class BlockerTable(DataTable[str | Text]):
    """The snapshot's blockers, most severe first; rows kept in order are updated by key
    (removed, or their changed cells redrawn), else the table is refilled."""

    BINDINGS = [
        Binding("enter", "jump", "Jump to task", id="blockers.jump", show=False),
        *pane_keys.TABLE,
    ]

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
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)  # type: ignore[arg-type]
        self._blockers: tuple[Blocker, ...] = ()
        self._first_seen: dict[str, str] = {}  # blocker_id -> when this window first saw it
        self._shown: dict[str, tuple[str | Text, ...]] = {}  # blocker_id -> its row's cells
        self._col_keys: list[ColumnKey] = []

    @property
    def blockers(self) -> tuple[Blocker, ...]:
        """The rows shown, in order (most severe first)."""
        return self._blockers

    def on_mount(self) -> None:
        # fixed widths: the columns never jump as rows come and go (the note under the table
        # shows the selected blocker in full)
        self._col_keys = [self.add_column(label, width=width) for label, width in COLUMNS]

    def _cells(self, b: Blocker, now: datetime) -> tuple[str | Text, ...]:
        return (  # cells are repository text: never parsed as markup
            SEVERITY_MARK.get(b.severity, b.severity),
            blocker_age(b, now, self._first_seen[b.blocker_id]),
            plain_text(blocker_where(b)),
            plain_text(b.message),
            plain_text(b.suggestion),
        )

    def set_blockers(self, blockers: tuple[Blocker, ...]) -> None:
        ordered = tuple(sorted(blockers, key=lambda b: SEVERITY_RANK.get(b.severity, 3)))
        if ordered == self._blockers:
            return
        keep = self.cursor_row
        self._blockers = ordered
        now = getattr(self.app, "clock", clock.SYSTEM).now()  # the app's clock (fixed in tests)
        seen = clock.fmt(now)
        self._first_seen = {b.blocker_id: self._first_seen.get(b.blocker_id, seen) for b in ordered}
        old = self._shown
        self._shown = {b.blocker_id: self._cells(b, now) for b in ordered}
        kept = [k for k in old if k in self._shown]
        if kept == list(self._shown):  # the same rows, in order, less some: update by key
            for k in old:
                if k not in self._shown:
                    self.remove_row(k)
            for k, cells in self._shown.items():
                for col, (a, b) in enumerate(zip(old[k], cells, strict=True)):
                    if a != b:
                        self.update_cell(k, self._col_keys[col], b)
        else:  # new rows or a new order: rebuild (the rows must come in severity order)
            self.clear()
            for k, cells in self._shown.items():
                self.add_row(*cells, key=k)
        if ordered:
            self.move_cursor(row=min(keep, len(ordered) - 1))
        self.border_title = f"Blockers ({len(ordered)})"

    def action_clear_filter(self) -> None:
        """The blockers have no filter: Escape does nothing here."""

    def action_jump(self) -> None:
        if not self._blockers:
            return
        b = self._blockers[min(self.cursor_row, len(self._blockers) - 1)]
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
                self.move_cursor(row=i)
                return True
        return False

    @property
    def current(self) -> Blocker | None:
        """The blocker under the cursor."""
        if not self._blockers:
            return None
        return self._blockers[min(self.cursor_row, len(self._blockers) - 1)]
