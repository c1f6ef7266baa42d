"""The coordinator: watches the workspace, builds snapshots, asks the roles, applies actions.

Interface (the dashboard and `kiro-tui run` rely on it)::

    coord = Coordinator(ws, drive=None, on_snapshot=fn, on_events=fn, debounce_ms=50, step_ms=10)
    coord.run(stop)            # blocking loop, for a thread worker (or the main thread)
    coord.snapshot             # the latest Snapshot
    coord.refresh()            # rebuild now (synchronously, no role acts) and publish
    coord.drive("m1")          # thread-safe request: drive this milestone (claims the driver)
    coord.stop_driving()       # thread-safe request: stop driving, release the driver
    coord.wake()               # thread-safe: rebuild soon (e.g. after an in-process action)

Extra keywords: `exit_when_complete=True` ends `run` once the driven milestone is completed and
the roles are quiet (`kiro-tui run`; otherwise the coordinator stops driving and keeps
observing); `runner=` an `executor.AgentRunner` (default: from `Config.executor`, a no-op).
`start_driving(mid)` is the synchronous form of `drive` (raises Refused), used by the CLI.
Counters `writes` and `cycles` are for tests and the bench.

`run` publishes a first snapshot at once, then sleeps in watchfiles (inotify; explicit debounce
and step; a filter that ignores `.milestones/.locks/` and `*.tmp.*`) until a file changes, a
request arrives, or a timer that matters fires (heartbeat, the next stall or approval
threshold). There is no polling of files. Each cycle re-reads only what changed (the Loader
caches by (mtime, size); deliverable facts are cached by their stat signature).

`on_snapshot(snapshot)` and `on_events(events)` are called from the coordinator's thread;
`on_events` gets the new lines of every JSONL log (new files too), in time order.

Observing (not driving): snapshots, blockers (for display) and role states (read from the
current milestone's session) are computed; nothing is written. Driving: the roles' actions are
applied through `Workspace` (never behind its back), role states and heartbeats are kept in
`sessions/<sid>/agents/state.json`, and the session's driver heartbeat is renewed. A refused
`drive()` shows up as a Blocker of kind `driver_refused` and an error event. On exit while
driving, role states say `stopped`, the driver is released and the session stays resumable.

This module holds the loop, the timers, the requests and driving; `Coordinator` mixes in
`observing.Observing` (building the snapshot from the workspace) and `acting.Acting` (applying
the roles' actions through `Workspace`, with logging and role state).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiro_tui.agents.actions import Memory
from kiro_tui.agents.applier import ACTOR, Acting
from kiro_tui.agents.builder import GIT_INFO_EVERY, Observing
from kiro_tui.agents.facts import FactCache
from kiro_tui.agents.roles import blockers, dependencies, executor, monitor
from kiro_tui.agents.roles import git as git_role
from kiro_tui.agents.watch import Watcher
from kiro_tui.core import clock, sessions
from kiro_tui.core.errors import KiroError, NotFound, Refused
from kiro_tui.core.events import Event, Follower
from kiro_tui.core.git.repo import GitInfo
from kiro_tui.core.ids import ROLES
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker, Snapshot

MODULES = {
    "task_executor": executor,
    "progress_monitor": monitor,
    "git_integration": git_role,
    "dependency_validator": dependencies,
    "blocker_detector": blockers,
}
MAX_WAIT = 3600.0


def now_dt() -> datetime:
    """The current time with sub-second precision (or the fixed KIRO_TUI_FAKE_NOW)."""
    if os.environ.get("KIRO_TUI_FAKE_NOW"):
        return clock.now()
    return datetime.now(UTC)


class Coordinator(Observing, Acting):
    """Feeds the five roles from file changes. See the module docstring for the interface."""

    def __init__(self, ws: Workspace, *, drive: str | None = None,
                 on_snapshot: Callable[[Snapshot], None] | None = None,
                 on_events: Callable[[list[Event]], None] | None = None,
                 debounce_ms: int = 50, step_ms: int = 10,
                 exit_when_complete: bool = False,
                 runner: executor.AgentRunner | None = None) -> None:
        self.ws = ws
        self.on_snapshot = on_snapshot
        self.on_events = on_events
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.exit_when_complete = exit_when_complete
        self.runner = runner or executor.make_runner(ws.config.executor)
        self._wake = threading.Event()
        self._lock = threading.RLock()
        self._requests: list[tuple[str, str | None]] = []
        if drive:
            self._requests.append(("drive", drive))
        self._snapshot = Snapshot(state=_empty_state(ws))
        self._seq = 0
        self.driving: str | None = None
        self.session_id: str | None = None
        self._memory: dict[str, Memory] = {r: {} for r in ROLES}
        self._facts = FactCache(ws.root)
        self._git = git_role.GitEffects(ws.root)
        self._git_info: GitInfo | None = None  # refreshed after a cycle's actions, see _git_cycle
        self._git_read_at = 0.0
        self._git_due = False  # a refresh was skipped (too soon): a timer brings it
        self._git_steps = 0  # git steps applied since the last refresh
        self._git_idle: str | None = git_role.IDLE_REASON
        self._followers: dict[Path, Follower] = {}
        self._open_errors: dict[tuple[Any, ...], Event] = {}
        self._failures: dict[str, dict[str, str]] = {}  # role -> action key -> error
        self._role_errors: dict[str, str] = {}
        self._written_roles: dict[str, dict[str, Any]] = {}
        self._last_heartbeat = 0.0
        self._status = "starting"
        self._active_since: float | None = None
        self._was_paused: bool | None = None
        self._refusal: Blocker | None = None
        self._done = False
        self._stop: threading.Event | None = None
        self._init_followers()
        self.writes = 0  # actions that wrote something (for tests and the bench)
        self.cycles = 0

    # ------------------------------------------------------------------ public, thread-safe
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def drive(self, milestone_id: str) -> None:
        with self._lock:
            self._requests.append(("drive", milestone_id))
        self._wake.set()

    def stop_driving(self) -> None:
        with self._lock:
            self._requests.append(("stop", None))
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def refresh(self) -> Snapshot:
        with self._lock:
            snap = self._build(now_dt())
            self._publish(snap)
            return snap

    # ------------------------------------------------------------------ the loop
    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        watcher = Watcher(self._watch_paths(), debounce_ms=self.debounce_ms, step_ms=self.step_ms)
        try:
            try:
                self._handle_requests()
                self._cycle()
            except Exception as exc:
                self._report(exc)
            while not stop.is_set() and not self._done:
                timeout = self._next_timer(now_dt()) - time.time()
                watcher.wait(max(0.001, timeout), stop, self._wake)
                if stop.is_set():
                    break
                self._wake.clear()
                if not self.ws.ms.is_dir():
                    break  # the workspace is gone: nothing left to drive or show
                try:
                    self._handle_requests()
                    self._cycle()
                    watcher.set_paths(self._watch_paths())
                except Exception as exc:  # keep going; the next change or timer retries
                    self._report(exc)
        finally:
            watcher.close()
            with self._lock:
                self._release()

    def start_driving(self, mid: str) -> str | None:
        """Start or resume `mid`'s session and claim its driver (synchronously).

        Returns the takeover note, if any. Raises Refused (another live driver, finished
        milestone, unmet requires) or NotFound."""
        ws = self.ws
        with self._lock:
            if self.driving and self.driving != mid:
                self._release()
            state = ws.load()
            m = state.milestone(mid)
            if m is None:
                ws.milestone_path(mid)
                raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
            if m.finished:
                raise Refused(f"milestone {mid} is {m.status}: there is nothing to drive")
            live = sessions.read_session(ws.root, m.session_id) if m.session_id else None
            now = clock.now_str()
            takeover = ws.config.thresholds.takeover
            note, sid = None, None
            if live is not None and live.status in ("active", "paused"):
                note = sessions.claim_driver(ws.root, live.id, now, takeover)  # may refuse
                sid = live.id
            elif m.status == "paused":
                raise Refused(f"milestone {mid} is paused and has no session to resume")
            if m.status != "paused":  # a paused milestone stays paused until resumed
                try:
                    ws.start_milestone(mid, ACTOR)
                except KiroError:
                    if sid:
                        sessions.release_driver(ws.root, sid)
                    raise
                fresh = ws.load().milestone(mid)
                new_sid = fresh.session_id if fresh else None
                if not new_sid:
                    raise Refused(f"milestone {mid}: no session was created")
                if new_sid != sid:
                    if sid:
                        sessions.release_driver(ws.root, sid)
                    note = sessions.claim_driver(ws.root, new_sid, now, takeover)
                    sid = new_sid
            assert sid is not None
            self.driving, self.session_id = mid, sid
            self._refusal = None
            self._done = False
            self._memory = {r: {} for r in ROLES}
            self._seed_memory()
            self._active_since = time.time()
            self._was_paused = None
            self._written_roles = {}
            self._log("task_executor", {
                "event": "driver_started", "message": f"pid {os.getpid()} drives session {sid}",
                "data": {"pid": os.getpid()}})
            if note:
                self._log("task_executor", {"event": "driver_takeover", "level": "warning",
                                            "message": note})
            self._write_roles("starting", force=True)
            self._last_heartbeat = time.time()
            return note

    # ------------------------------------------------------------------ internals
    def _handle_requests(self) -> None:
        with self._lock:
            reqs, self._requests = self._requests, []
        for kind, mid in reqs:
            if kind == "stop":
                with self._lock:
                    self._release()
            elif kind == "drive" and mid:
                try:
                    self.start_driving(mid)
                except KiroError as exc:
                    self._refusal = Blocker("driver-refused-" + mid, "driver_refused",
                                            "warning", str(exc),
                                            "wait for the other driver to stop, or for its "
                                            "heartbeat to go stale", milestone_id=mid)
                    if self.on_events:
                        self.on_events([Event(clock.now_str(), "driver_refused", "coordinator",
                                              milestone_id=mid, level="error",
                                              message=str(exc))])

    def _report(self, exc: BaseException) -> None:
        msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KiroError) else str(exc)
        if self.on_events:
            with contextlib.suppress(Exception):
                self.on_events([Event(clock.now_str(), "coordinator_error", "coordinator",
                                      milestone_id=self.driving, level="error", message=msg)])

    def _release(self) -> None:
        if not self.driving or not self.session_id:
            return
        with contextlib.suppress(Exception):
            self.runner.stop()
        with contextlib.suppress(Exception):
            self._write_roles("stopped", force=True)
        with contextlib.suppress(Exception):
            self._log("task_executor", {"event": "driver_stopped",
                                        "message": f"pid {os.getpid()} stopped driving"})
        with contextlib.suppress(Exception):
            sessions.release_driver(self.ws.root, self.session_id)
        self.driving = None

    def _publish(self, snap: Snapshot) -> None:
        self._snapshot = snap
        if self.on_snapshot:
            self.on_snapshot(snap)

    def _cycle(self) -> None:
        with self._lock:
            evs = self._new_events()
            if evs and self.on_events:
                self.on_events(evs)
            now = now_dt()
            snap = self._build(now)
            if self.driving:
                snap = self._act(snap, now)
            if self.driving and (time.time() - self._last_heartbeat
                                 >= self.ws.config.thresholds.heartbeat):
                self._heartbeat()
            snap = replace(snap, git=self._git_cycle())  # after the actions: off their path
            self.cycles += 1
            self._publish(snap)

    def _act(self, snap: Snapshot, now: datetime) -> Snapshot:
        m = snap.state.milestone(self.driving or "")
        if m is None:
            return snap
        if snap.paused != self._was_paused:
            if snap.paused:
                self.runner.suspend()
            elif self._was_paused:
                self.runner.resume()
                self._active_since = time.time()
            self._was_paused = snap.paused
        wrote = 0
        if not snap.paused and not m.finished:
            # let the executor run to a fixed point first, so the others see fresh state
            for _ in range(8):
                if self._stopping():
                    break
                acts = executor.decide(snap, now, self._memory["task_executor"])
                n = self._apply_all("task_executor", acts, snap)
                if not n:
                    break
                wrote += n
                snap = self._build(now_dt())
        if not snap.paused:
            for role in ROLES[1:]:
                acts = MODULES[role].decide(snap, now, self._memory[role])
                wrote += self._apply_all(role, acts, snap)
            if wrote == 0 and (m.finished or (snap.state.milestone(m.id) or m).finished):
                # done and quiet: stop driving (the CLI exits, the dashboard keeps observing)
                sid = self.session_id
                if self.exit_when_complete:
                    self._done = True
                else:
                    self._release()
                    return replace(snap, driving=None, roles=self._roles(sid))
        self._git_idle = git_role.idle_reason(snap)
        self._write_roles("paused" if snap.paused else "running")
        return replace(snap, roles=self._roles(self.session_id))

    def _heartbeat(self) -> None:
        self._last_heartbeat = time.time()
        if not self.session_id or not self.driving:
            return
        live = sessions.read_session(self.ws.root, self.session_id)
        if live is not None and live.driver_pid not in (None, os.getpid()):
            # someone took the session over: stop acting
            self._refusal = Blocker("driver-lost-" + self.driving, "driver_refused", "warning",
                                    f"session {self.session_id} was taken over by pid "
                                    f"{live.driver_pid}", "", milestone_id=self.driving)
            self.driving = None
            return
        sessions.heartbeat(self.ws.root, self.session_id, clock.now_str())
        self._write_roles(self._status, force=True)

    def _next_timer(self, now: datetime) -> float:
        t = time.time() + MAX_WAIT
        if self.driving:
            t = min(t, self._last_heartbeat + self.ws.config.thresholds.heartbeat)
        if self._git_due:
            t = min(t, self._git_read_at + GIT_INFO_EVERY)
        nxt = blockers.next_deadline(self._snapshot, now)
        if nxt is not None:
            t = min(t, nxt + 0.05)
        return t


def _empty_state(ws: Workspace) -> Any:
    from kiro_tui.core.store import WorkspaceState

    return WorkspaceState(root=ws.root, milestones=(), problems=(), config=ws.config)
