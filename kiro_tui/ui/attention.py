"""The dashboard's attention feed: the inbox of each snapshot and what to announce about it.

`AttentionFeed.update` runs off the UI thread (the snapshot source calls it after each
snapshot): it builds the queue with `core.inbox.build_inbox`, asks `core.notify.Notifier`
(with its dedup state in the user state folder, shared across restarts and processes) what is
new, starts `notify.command` (user config only) and answers with one `InboxArrived` message.
The terminal channels (toast, bell, OSC 9/777) are emitted by the app, on the UI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from kiro_tui.ui.messages import ActionDone, InboxArrived
from kiro_tui.ui.terminal import write_sequence

if TYPE_CHECKING:
    from kiro_tui.core.clock import Clock
    from kiro_tui.core.inbox import InboxItem
    from kiro_tui.core.notify import Notifications, NotifySettings
    from kiro_tui.core.snapshot import Snapshot


def _undated_gates(snap: Snapshot) -> frozenset[tuple[str, str, str]]:
    """The waiting gates with no `completed_at` (their "since" comes from the logs)."""
    from kiro_tui.core.inbox import is_waiting

    return frozenset(
        (m.id, t.id, p.name)
        for m in snap.state.milestones
        if not m.finished
        for t in m.tasks
        for p in t.phases
        if is_waiting(p) and not p.completed_at
    )


class AttentionFeed:
    """One per app. `post` sends messages to the app (thread-safe); `report` gets the one-line
    failures of `notify.command`."""

    def __init__(
        self,
        root: Path,
        post: Callable[[Any], object],
        clock: Clock,
        settings: NotifySettings | None = None,
        state_dir: Path | None = None,
    ) -> None:
        from kiro_tui.core.notify import Notifier, load_notify_settings
        from kiro_tui.core.notify_command import CommandRunner

        self.root = root
        self.clock = clock
        self.settings = settings if settings is not None else load_notify_settings()
        self.notifier = Notifier(root, self.settings, state_dir=state_dir)
        self.runner = CommandRunner()
        self._post = post
        for problem in self.settings.problems:  # a bad `notify:` value: said once, defaults used
            post(ActionDone(problem, warning=True))
        self._lock = threading.Lock()  # one update at a time: the dedup state is read-modify-write
        self._undated: frozenset[tuple[str, str, str]] = frozenset()
        self._times: dict[tuple[str, str, str], str] | None = None

    def update(self, snap: Snapshot) -> None:
        """The inbox of `snap` and what is new in it, posted as one `InboxArrived`."""
        from kiro_tui.core.inbox import build_inbox, phase_event_times
        from kiro_tui.core.notify import send

        with self._lock:
            undated = _undated_gates(snap)
            if undated != self._undated:  # the logs are read again only when that set changes
                self._undated = undated
                self._times = phase_event_times(self.root / ".milestones") if undated else None
            times = self._times
            items = build_inbox(snap, last_events=times)
            now = self.clock.precise()
            out = self.notifier.update(items, now)
            send(out, self.settings, self.runner)  # notify.command only: the app does the rest
            self._post(InboxArrived(snap.seq, tuple(items), out, self._recheck_in(items, now)))

    def _recheck_in(self, items: list[InboxItem], now: datetime) -> float | None:
        """Seconds until the first open item is due to be announced again (None: none is)."""
        told = self.notifier.notified()
        due = [told[i.id] + self.settings.renotify_after for i in items if i.id in told]
        return max(1.0, min(due) - now.timestamp()) if due else None

    def close(self) -> None:
        """Stop every `notify.command` still running (none outlives kiro-tui)."""
        self.runner.close()


def visit_on_open(root: Path, clock: Clock) -> datetime | None:
    """At start (a worker): the last visit when the user was away long enough for a digest,
    else None; this visit is remembered either way."""
    from kiro_tui.core.digest import last_visit, mark_visit, should_show

    now = clock.now()
    last = last_visit(root)
    mark_visit(root, now)
    return last if should_show(last, now) else None


def announce(app: App[Any], notes: Notifications) -> None:
    """On the UI thread: a toast per new item, one bell, the OSC 9/777 desktop notification
    through the driver (each only when `notify:` has it on: `Notifications` says)."""
    if not notes:
        return
    for text in notes.toasts:
        app.notify(text, title="needs you", severity="warning", timeout=8, markup=False)
    if notes.bell:
        app.bell()
    if notes.osc:
        write_sequence(app, notes.osc)
