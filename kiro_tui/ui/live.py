"""A watcher used when no coordinator is available: reload on change, follow logs.

It has the coordinator's shape (`run(stop)`, `refresh()`, `snapshot`, `drive`, `stop_driving`,
`wake`) so the app treats both alike. It never writes anything. No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiro_tui.agents.snapshot import GitInfo, Snapshot
from kiro_tui.core.events import Event, Follower, log_files
from kiro_tui.ui.view import blockers_from_problems


def git_info(root: Path, remote: str | None = None) -> GitInfo:
    """Branch, ahead/behind and dirty count (`core.gitops.info`; never raises)."""
    try:
        from kiro_tui.core import gitops

        return gitops.info(root, remote)
    except Exception as exc:  # shown in the header, not raised
        return GitInfo(is_repo=True, error=f"{type(exc).__name__}: {exc}")


class LiveSource:
    def __init__(self, ws: Any, *, drive: str | None = None,
                 on_snapshot: Callable[[Snapshot], None] | None = None,
                 on_events: Callable[[list[Event]], None] | None = None,
                 debounce_ms: int = 50, step_ms: int = 10) -> None:
        self.ws = ws
        self.on_snapshot = on_snapshot
        self.on_events = on_events
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._driving = drive
        self._seq = 0
        self._snapshot: Snapshot | None = None
        self._git = GitInfo()
        self._lock = threading.Lock()
        self._wake = threading.Event()

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    def refresh(self) -> Snapshot:
        with self._lock:
            state = self.ws.load()
            self._git = git_info(self.ws.root, self.ws.config.git.remote)
            self._seq += 1
            m = state.milestone(self._driving) if self._driving else None
            snap = Snapshot(state=state, blockers=blockers_from_problems(state),
                            driving=self._driving, session_id=m.session_id if m else None,
                            paused=bool(m and m.status == "paused"), git=self._git,
                            taken_at=time.time(), seq=self._seq)
            self._snapshot = snap
        if self.on_snapshot is not None:
            self.on_snapshot(snap)
        return snap

    def drive(self, milestone_id: str) -> None:
        self._driving = milestone_id
        self.wake()

    def stop_driving(self) -> None:
        self._driving = None

    def wake(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        self.refresh()
        import watchfiles

        ms = self.ws.ms
        followers = {p: Follower(p, s) for p, s in log_files(ms)}

        def wanted(_change: Any, path: str) -> bool:
            return "/.locks/" not in path and ".tmp" not in path.rsplit("/", 1)[-1]

        def waker() -> None:
            while not stop.is_set():
                if self._wake.wait(0.2):
                    self._wake.clear()
                    (ms / "logs").mkdir(parents=True, exist_ok=True)
                    self.refresh()

        threading.Thread(target=waker, daemon=True, name="kiro-live-wake").start()
        for changes in watchfiles.watch(ms, debounce=self.debounce_ms, step=self.step_ms,
                                        stop_event=stop, watch_filter=wanted,
                                        raise_interrupt=False, yield_on_timeout=False):
            if stop.is_set():
                break
            new_events: list[Event] = []
            yaml_changed = False
            for _change, raw in changes:
                path = Path(raw)
                if path.suffix == ".jsonl":
                    if path not in followers:
                        followers[path] = Follower(path, str(path.relative_to(ms)),
                                                   start_at_end=False)
                elif path.suffix in (".yaml", ".yml", ".json", ".txt"):
                    yaml_changed = True
            for f in followers.values():
                new_events.extend(f.read_new())
            if yaml_changed:
                self.refresh()
            if new_events and self.on_events is not None:
                new_events.sort(key=lambda e: e.timestamp)
                self.on_events(new_events)
