"""Where the dashboard's snapshots and log lines come from: the coordinator (or the built-in
watcher), run in a thread worker, with big workspaces shown while they parse. A mixin of the
app; everything here runs off the UI thread and answers with `post_message`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from kiro_tui.ui.messages import ActionDone, EventsArrived, SnapshotArrived

if TYPE_CHECKING:
    from kiro_tui.core.events import Event
    from kiro_tui.core.snapshot import Snapshot

LOG_FILL = 200


class SnapshotFeed:
    """Needs: root, drive, watching, use_coordinator, stop_event, snapshot, post_message."""

    root: Path
    drive: str | None
    watching: bool  # not `watch`: that would hide Textual's DOMNode.watch
    use_coordinator: bool | None
    stop_event: threading.Event
    snapshot: Snapshot | None
    source: Any
    _ws: Any
    _ws_lock: threading.Lock

    if TYPE_CHECKING:

        def post_message(self, message: Any) -> bool: ...

    # ------------------------------------------------------------------ workspace & source
    def workspace(self) -> Any:
        """The core service (created on first use, off the UI thread)."""
        with self._ws_lock:
            if self._ws is None:
                from kiro_tui.core.service import Workspace

                self._ws = Workspace.open(self.root)
            return self._ws

    def _make_source(self, ws: Any) -> Any:
        post = self.post_message

        def on_snapshot(s: Snapshot) -> None:
            post(SnapshotArrived(s))

        def on_events(evs: list[Event]) -> None:
            post(EventsArrived(list(evs)))

        from kiro_tui.agents.coordinator import Coordinator

        return Coordinator(ws, drive=self.drive, on_snapshot=on_snapshot, on_events=on_events,
                           debounce_ms=50, step_ms=10)

    @work(thread=True, group="log", exclusive=True, exit_on_error=False)
    def _fill_log(self) -> None:
        """The last lines of every log, read from their ends (quick, and needs no workspace)."""
        from kiro_tui.core.events import merged_tail

        self.post_message(EventsArrived(merged_tail(self.root / ".milestones", LOG_FILL),
                                        initial=True))

    @work(thread=True, group="coordinator", exclusive=True, exit_on_error=False)
    def _start_source(self) -> None:
        from kiro_tui.core.snapshot import Snapshot

        ws = self.workspace()
        self._preload(ws)
        if not self.watching:
            from dataclasses import replace

            from kiro_tui.core.git import info as git_info
            from kiro_tui.ui.view import blockers_from_problems

            if self.use_coordinator:  # one snapshot with the roles' blockers, nothing watched
                from kiro_tui.agents.coordinator import Coordinator

                snap = replace(Coordinator(ws).refresh(), driving=self.drive)
            else:
                state = ws.load()
                snap = Snapshot(state=state, blockers=blockers_from_problems(state),
                                driving=self.drive, seq=1)
            git = git_info(ws.root, ws.config.git.remote)
            self.post_message(SnapshotArrived(replace(snap, git=git)))
            return
        self.source = self._make_source(ws)
        self.source.run(self.stop_event)

    def _preload(self, ws: Any, every: float = 0.15) -> None:
        """In a big workspace, show milestones as they are parsed, before the first full
        snapshot. The loader keeps what it parsed, so the full load that follows is quick."""
        import time

        from kiro_tui.core.snapshot import Snapshot
        from kiro_tui.core.store import WorkspaceState, milestone_files

        files = list(milestone_files(ws.root))
        if len(files) < 40:
            return
        got: list[Any] = []
        last = time.monotonic()
        for i, (path, location, stem, archive) in enumerate(files):
            if self.stop_event.is_set():
                return
            m, _problems = ws.loader.load_one(path, location, stem, archive)
            if m is not None:
                got.append(m)
            if time.monotonic() - last > every or i == len(files) - 1:
                last = time.monotonic()
                state = WorkspaceState(root=ws.root, milestones=tuple(got), problems=(),
                                       config=ws.config, by_id={x.id: x for x in got})
                self.post_message(SnapshotArrived(Snapshot(state=state, driving=self.drive)))

    def _refresh_now(self) -> None:
        try:
            if self.source is not None:
                snap = self.source.refresh()
            else:
                from kiro_tui.core.git import info as git_info
                from kiro_tui.core.snapshot import Snapshot
                from kiro_tui.ui.view import blockers_from_problems

                ws = self.workspace()
                state = ws.load()
                seq = (self.snapshot.seq + 1) if self.snapshot else 1
                snap = Snapshot(state=state, blockers=blockers_from_problems(state),
                                git=git_info(ws.root, ws.config.git.remote),
                                driving=self.drive, seq=seq)
            self.post_message(SnapshotArrived(snap))
        except Exception as exc:
            self.post_message(ActionDone(f"could not reload: {exc}", error=True))

