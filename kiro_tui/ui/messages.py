"""Messages that bring results from worker threads to the UI thread (posted with
`post_message`, which is thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from kiro_tui.core.deliverables import DeliverableReport
    from kiro_tui.core.events import Event
    from kiro_tui.core.git.repo import CommitInfo
    from kiro_tui.core.snapshot import Snapshot
    from kiro_tui.ui.view import Sel


class SnapshotArrived(Message):
    """A new snapshot; a newer one waiting in the queue replaces an older one."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotArrived)


class EventsArrived(Message):
    """New log events (`initial`: the first fill from the end of every log, with the number
    of lines it could not read as events: `unreadable`)."""

    def __init__(self, events: list[Event], initial: bool = False, unreadable: int = 0) -> None:
        super().__init__()
        self.events = events
        self.initial = initial
        self.unreadable = unreadable


class ReportReady(Message):
    """The deliverable report of a selected phase; `seq` orders the questions asked."""

    def __init__(self, sel: Sel, report: DeliverableReport, seq: int = 0) -> None:
        super().__init__()
        self.sel = sel
        self.report = report
        self.seq = seq


class ActionDone(Message):
    """The one-line outcome of an action answered from another thread (driving)."""

    def __init__(self, text: str, error: bool = False, warning: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error
        self.warning = warning


class CommitsLoaded(Message):
    """A milestone's commits for the git panel; `note` is the one line shown instead when there
    is nothing to list (not a repository, no commits, an error)."""

    def __init__(
        self,
        milestone_id: str,
        commits: list[CommitInfo],
        note: str | None = None,
        branch: str | None = None,
    ) -> None:
        super().__init__()
        self.milestone_id = milestone_id
        self.commits = commits
        self.note = note
        self.branch = branch
