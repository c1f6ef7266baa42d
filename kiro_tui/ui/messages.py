"""Messages that bring results from worker threads to the UI thread (posted with
`post_message`, which is thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from kiro_tui.core.deliverable_view import Content
    from kiro_tui.core.deliverables import DeliverableReport
    from kiro_tui.core.events import Event
    from kiro_tui.core.git.repo import CommitInfo
    from kiro_tui.core.inbox import InboxItem
    from kiro_tui.core.notify import Notifications
    from kiro_tui.core.review import FileDiff
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


class InboxArrived(Message):
    """The attention inbox of snapshot `seq`, what is new in it to announce (`notes`), and in
    how many seconds an open item is due to be announced again (`recheck_in`)."""

    def __init__(
        self,
        seq: int,
        items: tuple[InboxItem, ...],
        notes: Notifications,
        recheck_in: float | None = None,
    ) -> None:
        super().__init__()
        self.seq = seq
        self.items = items
        self.notes = notes
        self.recheck_in = recheck_in


class DigestReady(Message):
    """'Since you left': the digest's text, to show once at start."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class DiffReady(Message):
    """The diffs of a phase's deliverables since its last decision (`note`: why there are none)."""

    def __init__(self, diffs: list[FileDiff], note: str | None = None) -> None:
        super().__init__()
        self.diffs = diffs
        self.note = note


class ContentReady(Message):
    """The content of one deliverable file, for the review pane."""

    def __init__(self, path: str, content: Content) -> None:
        super().__init__()
        self.path = path
        self.content = content


class FilesListed(Message):
    """The files of a phase's deliverables: (deliverable label, path relative to the root)."""

    def __init__(self, files: list[tuple[str, str]]) -> None:
        super().__init__()
        self.files = files
