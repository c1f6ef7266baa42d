"""The coordinator: watches the workspace, builds snapshots, asks the roles, applies actions.

Interface (the dashboard and `kiro-tui run` rely on it)::

    coord = Coordinator(ws, drive=None, on_snapshot=fn, on_events=fn, debounce_ms=50, step_ms=10)
    coord.run(stop)            # blocking loop, for a thread worker (or the main thread)
    coord.run_once()           # one cycle, no loop (an app that does not watch)
    coord.snapshot             # the latest Snapshot
    coord.drive("m1", done)    # thread-safe request: drive this milestone (claims the driver)
    coord.stop_driving()       # thread-safe request: stop driving, release the driver
    coord.wake()               # thread-safe: rebuild soon (e.g. after an in-process action)
    coord.wait_idle(timeout)   # True once a cycle ended with nothing pending

`exit_when_complete=True` ends `run` once the driven milestone is completed and the roles are
quiet (`kiro-tui run`; else it stops driving and keeps observing); `runner=` an
`executor.AgentRunner` (default `runs_bridge.make_runner`). `start_driving(mid)` is the
synchronous `drive` (raises Refused), for the CLI. `writes`, `cycles`: for tests and benches.

`run` publishes a first snapshot at once, then sleeps in watchfiles until a file changes, a
request arrives, or a timer that matters fires (heartbeat, the next stall or approval
threshold, a skipped git read). There is no polling of files. `on_snapshot(snapshot)` and
`on_events(events)` are called from the coordinator's thread.

Observing (not driving): snapshots, blockers (for display) and the observed session's role
states are computed; nothing is written. Driving: the roles' actions are applied through
`Workspace` by the `ActionApplier`, the driver heartbeat is renewed (`Heartbeat`), and lost
decisions are re-applied first (`DecisionGuard`). A refused `drive()` shows up as a Blocker of kind `driver_refused` and an error event. On exit while driving, or
when another process took the session over, the runner stops, role states say `stopped` and
the driver is released; the session stays resumable.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from kiro_tui.agents import runs_bridge
from kiro_tui.agents.applier import ACTOR, ActionApplier
from kiro_tui.agents.builder import Driving, SnapshotBuilder, empty_snapshot
from kiro_tui.agents.decision_guard import DecisionGuard
from kiro_tui.agents.heartbeat import Heartbeat
from kiro_tui.agents.roles import blockers, dependencies, executor, monitor
from kiro_tui.agents.roles import git as git_role
from kiro_tui.agents.watch import Pace, Watcher, only_named, only_under, subdirs
from kiro_tui.core.completion_commit import commit_driven_completion
from kiro_tui.core.driving import DriverClaim
from kiro_tui.core.errors import KiroError
from kiro_tui.core.events import Event
from kiro_tui.core.ids import ROLES
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker, Snapshot, same_view

MODULES = {
    "task_executor": executor,
    "progress_monitor": monitor,
    "git_integration": git_role,
    "dependency_validator": dependencies,
    "blocker_detector": blockers,
}
MAX_WAIT = 3600.0
DriveDone = Callable[[DriverClaim | None, KiroError | None], None]


class Coordinator:
    """Feeds the five roles from file changes. See the module docstring for the interface."""

    def __init__(
        self,
        ws: Workspace,
        *,
        drive: str | None = None,
        on_snapshot: Callable[[Snapshot], None] | None = None,
        on_events: Callable[[list[Event]], None] | None = None,
        debounce_ms: int = 50,
        step_ms: int = 10,
        exit_when_complete: bool = False,
        runner: executor.AgentRunner | None = None,
    ) -> None:
        self.ws = ws
        self.on_snapshot = on_snapshot
        self.on_events = on_events
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.exit_when_complete = exit_when_complete
        self.runner = runner or runs_bridge.make_runner(ws)
        self.runner.bind(self.wake)
        self.builder = SnapshotBuilder(ws)
        self.applier = ActionApplier(ws, self.runner)
        self.guard = DecisionGuard(ws)
        self.heart = Heartbeat(ws, self.applier)
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._lock = threading.RLock()
        self._requests: list[tuple[str, str | None, DriveDone | None]] = []
        if drive:
            self._requests.append(("drive", drive, None))
        self._snapshot = empty_snapshot(ws)
        self.driving: str | None = None
        self.session_id: str | None = None
        self._active_since: float | None = None
        self._was_paused: bool | None = None
        self._refusal: Blocker | None = None
        self._done = False
        self._stop: threading.Event | None = None
        self.cycles = 0
        self.pace = Pace(step_ms)
        self._files_unchanged = False  # this cycle: no deliverable can have changed
        self._quiet_dirs = subdirs(ws.ms, ("sessions", "logs"))  # no deliverable there
        runs = subdirs(ws.ms, ("runs",))  # agents' raw.jsonl: the run view reads it, not snapshots
        self._nothing_shown = lambda changed: (
            self.heart.only_own(changed) or only_named(changed, runs, "raw.jsonl")
        )

    # ------------------------------------------------------------------ public, thread-safe
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def writes(self) -> int:
        return self.applier.writes

    def drive(self, milestone_id: str, done: DriveDone | None = None) -> None:
        """Ask to drive `milestone_id`; `done(claim, error)` is called from the loop's thread."""
        with self._lock:
            self._requests.append(("drive", milestone_id, done))
        self.wake()

    def stop_driving(self) -> None:
        with self._lock:
            self._requests.append(("stop", None, None))
        self.wake()

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until a cycle ended with nothing written and nothing requested."""
        return self._idle.wait(timeout)

    # ------------------------------------------------------------------ the loop
    def run(
        self, stop: threading.Event, before_watching: Callable[[], object] | None = None
    ) -> None:
        """Cycles until `stop`. The watcher is set up after the first cycle: its set-up holds
        the interpreter (a watch per folder: ~0.3 s at 15,000 folders), so the first snapshot
        goes out before it (`before_watching` may wait until it is on screen), and a second
        cycle then sees what changed before the watcher was there."""
        self._stop = stop
        watcher: Watcher | None = None
        try:
            if not stop.is_set():  # asked to stop before the loop began: only release
                self.run_once()
            if before_watching is not None and not stop.is_set():
                before_watching()
            watcher = Watcher(
                self.builder.watch_paths(self._snapshot),
                debounce_ms=self.debounce_ms,
                step_ms=self.step_ms,
            )
            if not stop.is_set() and not self._done:
                self.run_once()
            while not stop.is_set() and not self._done:
                timeout = self._next_timer(self._now()) - time.time()
                changed = watcher.wait(
                    max(0.001, timeout), stop, self._wake, self.pace.step(bool(self.runner.runs()))
                )
                if stop.is_set():
                    break
                if changed and not self._wake.is_set() and self._nothing_shown(changed):
                    continue  # our heartbeat's writes, agents' raw.jsonl: nothing to rebuild
                if self._wake.is_set():
                    self.pace.active()  # a request; a change counts once it shows (_cycle)
                if changed:
                    self._idle.clear()
                quiet = not self._wake.is_set() and only_under(changed, self._quiet_dirs)
                self._wake.clear()
                if not self.ws.ms.is_dir():
                    break  # the workspace is gone: nothing left to drive or show
                self._files_unchanged = quiet
                self.run_once()  # never raises
                self._files_unchanged = False
                watcher.set_paths(self.builder.watch_paths(self._snapshot))
        finally:
            if watcher is not None:
                watcher.close()
            with self._lock:
                self._release()
            self._idle.set()

    def run_once(self) -> None:
        """One cycle: requests, new log lines, a snapshot, the roles when driving."""
        writes = self.applier.writes
        try:
            self._handle_requests()
            self._cycle()
        except Exception as exc:  # keep going; the next change or timer retries
            self._report(exc)
        with self._lock:
            pending = bool(self._requests) or self._wake.is_set()
        if not pending and self.applier.writes == writes:
            self._idle.set()

    def start_driving(self, mid: str) -> str | None:
        """Start or resume `mid`'s session and claim its driver (synchronously).

        Returns the takeover note, if any. Raises Refused (another live driver, finished
        milestone, unmet requires) or NotFound."""
        return self._claim(mid).note

    def _claim(self, mid: str) -> DriverClaim:
        with self._lock:
            if self.driving and self.driving != mid:
                self._release()
            claim = self.ws.claim_driver(mid, ACTOR)
            self.driving, self.session_id = mid, claim.session_id
            self._refusal = None
            self._done = False
            self._active_since = time.time()
            self._was_paused = None
            self.applier.start(mid, claim.session_id)
            self.runner.begin(mid, claim.session_id)
            self.applier.log_driver_started(claim.note)
            self.applier.set_status("starting", force=True)
            self.heart.reset()
            return claim

    # ------------------------------------------------------------------ internals
    def _now(self) -> datetime:
        return self.ws.clock.precise()

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _handle_requests(self) -> None:
        with self._lock:
            reqs, self._requests = self._requests, []
        for kind, mid, done in reqs:
            if kind == "stop":
                with self._lock:
                    self._release()
            elif kind == "drive" and mid:
                try:
                    claim = self._claim(mid)
                except KiroError as exc:
                    self._refusal = Blocker(
                        "driver-refused-" + mid,
                        "driver_refused",
                        "warning",
                        str(exc),
                        "wait for the other driver to stop, or for its heartbeat to go stale",
                        milestone_id=mid,
                    )
                    self._emit("driver_refused", str(exc), mid)
                    if done:
                        done(None, exc)
                else:
                    if done:
                        done(claim, None)

    def _emit(self, event: str, message: str, mid: str | None) -> None:
        if self.on_events:
            with contextlib.suppress(Exception):
                now = self.ws.clock.now_str()
                ev = Event(now, event, "coordinator", mid, level="error", message=message)
                self.on_events([ev])

    def _report(self, exc: BaseException) -> None:
        msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KiroError) else str(exc)
        self._emit("coordinator_error", msg, self.driving)

    def _release(self, *, still_mine: bool = True) -> None:
        """Stop driving: the runner stops, role states say `stopped`, the driver is released
        (`still_mine=False` after a takeover: the session is someone else's now)."""
        if not self.driving or not self.session_id:
            return
        with contextlib.suppress(Exception):
            self.runner.stop()
        with contextlib.suppress(Exception):
            self.applier.set_status("stopped", force=True)
        with contextlib.suppress(Exception):
            self.applier.log_driver_stopped(taken_over=not still_mine)
        if still_mine:
            with contextlib.suppress(Exception):
                self.ws.release_driver(self.session_id)
        self.applier.stop()
        if still_mine:  # after every write of ours: a completed milestone leaves git clean
            with contextlib.suppress(Exception):
                commit_driven_completion(self.ws, self.driving, self.session_id, ACTOR)
        self.driving = None

    def _driving(self) -> Driving:
        if not self.driving:
            return Driving(refusal=self._refusal)
        return Driving(
            self.driving,
            self.session_id,
            self._active_since,
            self.applier.memory["blocker_detector"],
            self.applier.failures,
            self._refusal,
            self.applier.roles,
            self.runner.enabled,
            self.runner.runs(),
            self.runner.blockers(),
        )

    def _build(self) -> Snapshot:
        # an observer keeps unchanged milestones' facts (a driver writes within its cycle)
        keep = self._files_unchanged and not self.driving
        return self.builder.build(self._now(), self._driving(), files_unchanged=keep)

    def _cycle(self) -> None:
        with self._lock:
            evs = self.builder.new_events()
            if evs and self.on_events:
                self.on_events(evs)
            snap = self._build()
            if self.driving:
                snap = self._act(snap, self._now())
            if self.driving and self.heart.due():
                self._heartbeat()
                snap = replace(snap, driving=self.driving, roles=self.applier.roles)
            stepped, self.applier.git_steps = self.applier.git_steps, 0
            snap = replace(snap, git=self.builder.git(bool(stepped)))  # after the actions
            self.cycles += 1
            shown = self.cycles == 1 or not same_view(self._snapshot, snap)
            if shown or evs:
                self.pace.active()  # another driver's heartbeat is not activity
            if self.on_snapshot and shown:
                self.on_snapshot(snap)  # a heartbeat-only change publishes nothing
            self._snapshot = snap

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
        memory, wrote = self.applier.memory, self.guard.check(m.id, self.session_id)
        if wrote:  # the file had lost a person's decision: re-applied, act on the result
            self.applier.writes += wrote
            snap = self._build()
        if not snap.paused and not m.finished:
            # let the executor run to a fixed point first, so the others see fresh state
            for _ in range(8):
                if self._stopping():
                    break
                settled = self.runner.settle()  # the ends of agent runs, through the service
                snap = self._build() if settled else snap
                acts = executor.decide(snap, now, memory["task_executor"])
                n = settled + self.applier.apply_all("task_executor", acts, snap, self._stopping)
                if not n:
                    break
                wrote += n
                snap = self._build()
        # paused, only the blocker detector still says why an agent run paused the milestone
        for role in ROLES[1:] if not snap.paused else ("blocker_detector",):
            acts = MODULES[role].decide(snap, now, memory[role])
            wrote += self.applier.apply_all(role, acts, snap, self._stopping)
        done = m.finished or (snap.state.milestone(m.id) or m).finished
        if not snap.paused and wrote == 0 and done:
            # done and quiet: stop driving (the CLI exits, the dashboard keeps observing)
            if self.exit_when_complete:
                self._done = True
            else:
                self._release()
                return replace(snap, driving=None, roles=self.applier.roles)
        self.applier.note_git_idle(snap)
        self.applier.set_status("paused" if snap.paused else "running")
        return replace(snap, roles=self.applier.roles)

    def _heartbeat(self) -> None:
        lost = self.heart.beat(self.session_id, self.driving)
        if lost is not None:  # taken over: stop acting, and stop everything we run
            self._refusal = lost
            self._release(still_mine=False)

    def _next_timer(self, now: datetime) -> float:
        t = time.time() + MAX_WAIT
        if self.driving:
            t = min(t, self.heart.next_at())
        git_due = self.builder.git_due_at()
        if git_due is not None:
            t = min(t, git_due)
        nxt = self.builder.blocker_deadline(self._snapshot, now)
        if nxt is not None:
            t = min(t, nxt + 0.05)
        return t
