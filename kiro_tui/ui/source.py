"""Where the dashboard's snapshots and log lines come from: the coordinator, in every mode.

`SnapshotSource` owns the app's coordinator. Watching, the coordinator's loop runs in a thread
worker; not watching (snapshot tests), one cycle runs at start and one after each action. Either
way the same `SnapshotBuilder` makes every snapshot. Everything here runs off the UI thread and
answers with `post`, which is thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.ui.messages import EventsArrived, SnapshotArrived

if TYPE_CHECKING:
    from kiro_tui.agents.coordinator import Coordinator, DriveDone
    from kiro_tui.core.events import Event
    from kiro_tui.core.service import Workspace
    from kiro_tui.core.snapshot import Snapshot

LOG_FILL = 200
PRELOAD_FROM = 40  # milestone files: from this many on, show milestones as they are parsed
FIRST_SCREEN = 4  # of those, parsed and shown first, before anything else is set up
# measured: parsing a 20-task milestone file ~10 ms; reading the parse cache file ~0.2 ms per
# milestone file in it (0.1 s at 500, 0.4 s at 2,000). Below this many files the cache is
# quicker than parsing the first screen.
CACHE_FIRST_BELOW = 200
SHOWN_WAIT = 2.0  # s the watcher's set-up waits for the first full snapshot to be on screen


def initial_events(ms: Path, post: Callable[[Any], object]) -> None:
    """The last lines of every log, read from their ends (quick, and needs no workspace),
    with how many of the lines read could not be read as events."""
    from kiro_tui.core.events import merged_read

    got = merged_read(ms, LOG_FILL)
    post(EventsArrived(got.events, initial=True, unreadable=got.unreadable))


class SnapshotSource:
    """The coordinator behind one app (`drive` only when `watch`: nothing drives otherwise)."""

    def __init__(
        self,
        ws: Workspace,
        post: Callable[[Any], object],
        *,
        watch: bool,
        drive: str | None = None,
        after_snapshot: Callable[[Snapshot], None] | None = None,
    ) -> None:
        from kiro_tui.agents.coordinator import Coordinator

        self.ws = ws
        self.watch = watch
        self._post = post

        def on_snapshot(s: Snapshot) -> None:
            post(SnapshotArrived(s))
            if after_snapshot is not None:  # the attention feed: inbox and notifications
                after_snapshot(s)

        def on_events(evs: list[Event]) -> None:
            post(EventsArrived(list(evs)))

        self.coordinator: Coordinator = Coordinator(
            ws,
            drive=drive if watch else None,
            on_snapshot=on_snapshot,
            on_events=on_events if watch else None,
            debounce_ms=50,
            step_ms=10,
        )
        self._once = threading.Lock()
        self.shown = threading.Event()
        """Set by the app once the first full snapshot is on screen: the watcher is set up
        after that (its set-up holds the interpreter; see Coordinator.run)."""

    def run(self, stop: threading.Event) -> None:
        """The coordinator's loop (watching) or one cycle; blocks, for a thread worker."""
        self._preload(stop)
        if self.watch:
            self.coordinator.run(stop, before_watching=lambda: self.shown.wait(SHOWN_WAIT))
        else:
            self.refresh()

    def refresh(self) -> None:
        """After an action: wake the loop; without one, run one cycle here (a worker)."""
        if self.watch:
            self.coordinator.wake()
            return
        with self._once:
            self.coordinator.run_once()

    def drive(self, milestone_id: str, done: DriveDone) -> bool:
        """Ask the loop to drive `milestone_id`; False when nothing watches (nothing drives)."""
        if not self.watch:
            return False
        self.coordinator.drive(milestone_id, done)
        return True

    def _preload(self, stop: threading.Event, every: float = 0.15, most: float = 2.0) -> None:
        """In a big workspace, show milestones as they are parsed, before the first full
        snapshot. The loader keeps what it parsed, so the full load that follows is quick.
        A preload snapshot carries every milestone so far, and the tree takes each in time
        linear in its size: they come at least `every` s apart, then a quarter of the time
        spent so far (at most `most` s), so that a long load is not slowed by showing it."""
        from kiro_tui.core.store import milestone_files

        ws = self.ws
        files = list(milestone_files(ws.root))
        if len(files) < PRELOAD_FROM:
            return
        got: list[Any] = []
        start = last = time.monotonic()
        for i, (path, location, stem, archive) in enumerate(files):
            if stop.is_set():
                return
            m, _problems = ws.loader.load_one(path, location, stem, archive)
            if m is not None:
                got.append(m)
            now = time.monotonic()
            if now - last > min(most, max(every, (now - start) / 4)) or i == len(files) - 1:
                last = now
                self._post(partial_snapshot(ws, got))


def first_screen(ws: Workspace, post: Callable[[Any], object]) -> None:
    """In a big workspace, the first FIRST_SCREEN milestone files, loaded and shown before the
    coordinator exists (its imports take ~100 ms); from CACHE_FIRST_BELOW files on, parsed
    rather than read from the parse cache, whose file then takes longer to read than these
    take to parse. The loader keeps them: the preload and the full load that follow do not
    load them again."""
    from kiro_tui.core.store import milestone_files

    files = list(milestone_files(ws.root))
    if len(files) < PRELOAD_FROM:
        return
    cached = len(files) < CACHE_FIRST_BELOW
    got = []
    for path, location, stem, archive in files[:FIRST_SCREEN]:
        m, _problems = ws.loader.load_one(path, location, stem, archive, persisted=cached)
        if m is not None:
            got.append(m)
    post(partial_snapshot(ws, got))


def partial_snapshot(ws: Workspace, got: list[Any]) -> SnapshotArrived:
    """A preload snapshot of the milestones parsed so far (seq 0: the full one replaces it)."""
    from kiro_tui.core.snapshot import Snapshot
    from kiro_tui.core.store import WorkspaceState

    state = WorkspaceState(
        root=ws.root,
        milestones=tuple(got),
        problems=(),
        config=ws.config,
        by_id={x.id: x for x in got},
    )
    return SnapshotArrived(Snapshot(state=state))
