"""Open blockers: severity, age, what they concern and the suggestion. Enter jumps to the task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from kiro_tui.core import clock
from kiro_tui.core.text import plain
from kiro_tui.ui.view import SEVERITY_RANK, Sel, plain_text

if TYPE_CHECKING:
    from datetime import datetime

    from kiro_tui.core.snapshot import Blocker

SEVERITY_MARK = {"critical": "‼ critical", "warning": "! warning", "info": "· info"}


def blocker_age(b: Blocker, now: datetime) -> str:
    since = clock.parse_ts(b.since) if b.since else None
    if since is None:
        return "—"
    return clock.age_text((now - since).total_seconds())


def blocker_where(b: Blocker) -> str:
    where = "/".join(x for x in (b.milestone_id, b.task_id, b.phase) if x)
    return where or (b.file or "")


class BlockerTable(DataTable[str | Text]):
    """Rows are rebuilt from the snapshot's blockers (there are few)."""

    BINDINGS = [Binding("enter", "jump", "Jump to task", id="blockers.jump", show=False)]

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

    @property
    def blockers(self) -> tuple[Blocker, ...]:
        """The rows shown, in order (most severe first)."""
        return self._blockers

    def on_mount(self) -> None:
        self.add_columns("severity", "age", "what", "message", "suggestion")

    def set_blockers(self, blockers: tuple[Blocker, ...]) -> None:
        ordered = tuple(sorted(blockers, key=lambda b: SEVERITY_RANK.get(b.severity, 3)))
        if ordered == self._blockers:
            return
        keep = self.cursor_row
        self._blockers = ordered
        self.clear()
        now = getattr(self.app, "clock", clock.SYSTEM).now()  # the app's clock (fixed in tests)
        for b in ordered:
            self.add_row(  # cells are repository text: never parsed as markup
                SEVERITY_MARK.get(b.severity, b.severity),
                blocker_age(b, now),
                plain_text(blocker_where(b)),
                plain_text(b.message),
                plain_text(b.suggestion),
                key=b.blocker_id,
            )
        if ordered:
            self.move_cursor(row=min(keep, len(ordered) - 1))
        self.border_title = f"Blockers ({len(ordered)})"

    def action_jump(self) -> None:
        if not self._blockers:
            return
        b = self._blockers[min(self.cursor_row, len(self._blockers) - 1)]
        if b.milestone_id:
            self.post_message(self.Jump(self, Sel(b.milestone_id, b.task_id, b.phase)))
        else:
            self.notify(
                f"{plain(b.file or b.kind, one_line=True)}: not part of a milestone",
                timeout=3,
                markup=False,
            )
