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
from types import MappingProxyType
from typing import Any

from kiro_tui.agents import blockers, dependencies, executor, git_role, monitor
from kiro_tui.agents.base import (
    COMPLETE_MILESTONE,
    COMPLETE_PHASE,
    LOG,
    OPEN_BLOCKER,
    RESOLVE_BLOCKER,
    START_PHASE,
    WRITE_PROGRESS,
    Action,
    Memory,
    remember,
)
from kiro_tui.agents.facts import FactCache
from kiro_tui.agents.snapshot import Blocker, GitInfo, RoleStatus, Snapshot
from kiro_tui.agents.watch import Watcher
from kiro_tui.core import clock, events, sessions
from kiro_tui.core.errors import KiroError, NotFound, Refused
from kiro_tui.core.events import Event, Follower
from kiro_tui.core.ids import ROLES
from kiro_tui.core.service import Workspace
from kiro_tui.core.workflow import Outcome, maybe_complete_milestone

MODULES = {
    "task_executor": executor,
    "progress_monitor": monitor,
    "git_integration": git_role,
    "dependency_validator": dependencies,
    "blocker_detector": blockers,
}
ACTOR = "kiro-tui"
ERROR_LEVELS = ("error", "critical", "fatal")
BOOKKEEPING = ("progress_monitor", "dependency_validator", "git_integration", "blocker_detector")
MAX_WAIT = 3600.0
GIT_INFO_EVERY = 2.0  # s between two reads of the repository's status for Snapshot.git


def now_dt() -> datetime:
    """The current time with sub-second precision (or the fixed KIRO_TUI_FAKE_NOW)."""
    if os.environ.get("KIRO_TUI_FAKE_NOW"):
        return clock.now()
    return datetime.now(UTC)


class Coordinator:
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

    def _watch_paths(self) -> list[Path]:
        paths = [self.ws.ms]
        root = self.ws.root.resolve()
        for mid in self._snapshot.scope:
            m = self._snapshot.state.milestone(mid)
            for t in m.tasks if m else ():
                for ph in t.phases:
                    for d in ph.deliverables:
                        if d.path is None:
                            continue
                        p = (root / d.path).resolve().parent
                        while not p.exists() and p != root:
                            p = p.parent
                        if p != root and str(p).startswith(str(root)) and \
                                not str(p).startswith(str(self.ws.ms.resolve())):
                            paths.append(p)
        return paths

    def _init_followers(self) -> None:
        for path, source in events.log_files(self.ws.ms):
            self._followers[path] = Follower(path, source, start_at_end=True)
        for ev in events.merged_tail(self.ws.ms, 500):
            self._track_error(ev)

    def _new_events(self) -> list[Event]:
        for path, source in events.log_files(self.ws.ms):
            if path not in self._followers:
                self._followers[path] = Follower(path, source, start_at_end=False)
        out: list[Event] = []
        for f in self._followers.values():
            out.extend(f.read_new())
        out.sort(key=lambda e: e.timestamp)
        for ev in out:
            self._track_error(ev)
        return out

    def _track_error(self, ev: Event) -> None:
        if ev.role == "blocker_detector" or ev.event.startswith("blocker_"):
            return
        if ev.level in ERROR_LEVELS:
            self._open_errors[(ev.source, ev.task_id, ev.phase, ev.event)] = ev
            return
        if ev.role in BOOKKEEPING:
            return  # progress and dependency notes are not the task moving again
        when = clock.parse_ts(ev.timestamp)
        for key, err in list(self._open_errors.items()):
            src, tid, _ph, name = key
            then = clock.parse_ts(err.timestamp)
            if when is None or then is None or when <= then:
                continue  # only a later event follows an error up
            if (ev.task_id and tid == ev.task_id) or (src == ev.source and name == ev.event):
                del self._open_errors[key]

    def _scope(self, state: Any) -> tuple[str, ...]:
        if self.driving:
            return (self.driving,)
        return tuple(m.id for m in state.milestones if not m.finished and m.location == "active")

    def _build(self, now: datetime) -> Snapshot:
        state = self.ws.load()
        scope = self._scope(state)
        facts: dict[tuple[str, str, str], Any] = {}
        activity: dict[tuple[str, str], float] = {}
        for mid in scope:
            m = state.milestone(mid)
            if m is not None:
                f, a = self._facts.milestone(m)
                facts.update(f)
                activity.update(a)
        m = state.milestone(self.driving) if self.driving else None
        sid = self.session_id if self.driving else self._observed_session(state)
        paused = bool(m and m.status == "paused") if self.driving else bool(
            sid and (om := state.milestone(self._current(state) or "")) and om.status == "paused")
        self._seq += 1
        snap = Snapshot(state=state, driving=self.driving, session_id=sid, paused=paused,
                        git=self._git_info or self._read_git(), taken_at=time.time(),
                        seq=self._seq,
                        facts=MappingProxyType(facts), activity=MappingProxyType(activity),
                        open_errors=tuple(self._open_errors.values()),
                        failures=MappingProxyType({f"{role} {key}": err for role, keys
                                                   in self._failures.items()
                                                   for key, err in keys.items()}),
                        active_since=self._active_since if self.driving else None, scope=scope)
        found = [blockers.since_of(self._memory["blocker_detector"], b)
                 for b in blockers.detect(snap, now)]
        if self._refusal is not None:
            found.append(self._refusal)
        return replace(snap, blockers=tuple(found), roles=self._roles(sid))

    def _current(self, state: Any) -> str | None:
        cur = self.ws.current_milestone()
        return cur if cur and state.milestone(cur) is not None else None

    def _observed_session(self, state: Any) -> str | None:
        cur = self._current(state)
        m = state.milestone(cur) if cur else None
        return m.session_id if m else None

    def _roles(self, sid: str | None) -> MappingProxyType[str, RoleStatus]:
        if not sid:
            return MappingProxyType({})
        raw = sessions.read_role_state(self.ws.root, sid)
        out = {}
        for role in ROLES:
            r = raw.get(role)
            if isinstance(r, dict):
                out[role] = RoleStatus(role, str(r.get("status") or "idle"), r.get("heartbeat"),
                                       r.get("last_error"), r.get("detail"))
        return MappingProxyType(out)

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

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _apply_all(self, role: str, acts: list[Action], snap: Snapshot) -> int:
        wrote = 0
        proposed = set()
        for a in acts:
            if self._stopping():
                break
            proposed.add(a.key)
            try:
                wrote += self._apply(a)
            except Refused as exc:
                sig = executor.refusal_signature(a, snap)
                remember(self._memory[role], (("refused", a.key, sig),))
                self._log(role, {"event": "action_refused", "task_id": a.task_id,
                                 "phase": a.phase, "message": f"{a.kind} refused: {exc}"})
                wrote += 1
            except Exception as exc:  # a failure the blocker detector reports
                msg = f"{type(exc).__name__}: {exc}"
                mine = self._failures.setdefault(role, {})
                if mine.get(a.key) != msg:
                    mine[a.key] = msg
                    with contextlib.suppress(Exception):
                        self._log(role, {"event": "action_failed", "level": "warning",
                                         "task_id": a.task_id, "phase": a.phase,
                                         "message": f"{a.kind} failed: {msg}"})
                        wrote += 1
            else:
                remember(self._memory[role], a.remember)
                self._failures.get(role, {}).pop(a.key, None)
        if not self._stopping():
            mine = self._failures.get(role, {})
            for key in [k for k in mine if k not in proposed]:
                del mine[key]  # no longer wanted: no longer failing
        if self._failures.get(role):
            self._role_errors[role] = next(reversed(self._failures[role].values()))
        else:
            self._role_errors.pop(role, None)
        return wrote

    def _apply(self, a: Action) -> int:
        ws, mid, sid = self.ws, a.milestone_id or self.driving or "", self.session_id or ""
        path = sessions.role_log_path(ws.root, sid, a.role)
        if a.kind == START_PHASE:
            ws.start_phase(mid, a.task_id or "", a.phase or "", ACTOR, role=a.role,
                           log_path=path)
            m = ws.load().milestone(mid)
            t = m.task(a.task_id or "") if m else None
            if t is not None:
                self.runner.start(t, a.phase or "")
        elif a.kind == COMPLETE_PHASE:
            ws.complete_phase(mid, a.task_id or "", a.phase or "", ACTOR, role=a.role,
                              log_path=path)
        elif a.kind == COMPLETE_MILESTONE:
            def fn(doc: dict[str, Any], c: Any) -> Outcome:
                out = Outcome(message=f"{mid} completed")
                maybe_complete_milestone(doc, c, out)
                return out

            ws.act(mid, fn, ACTOR, role=a.role, log_path=path)
        elif a.kind == WRITE_PROGRESS:
            pct, done, total = a.values
            ws.write_progress(mid, pct, done, total, role=a.role, log_path=path)
        elif a.kind in (LOG, OPEN_BLOCKER, RESOLVE_BLOCKER):
            self._log(a.role, dict(a.record or {}), mid)
        elif a.kind in git_role.KINDS:
            self._git_steps += 1
            self._git.apply(a, sid, lambda rec: self._log(a.role, rec, mid))
        else:
            return 0
        self.writes += 1
        return 1

    def _log(self, role: str, record: dict[str, Any], mid: str | None = None) -> None:
        if not self.session_id:
            return
        self.ws.log(mid or self.driving or "", dict(record), role=role,
                    session_id=self.session_id,
                    path=sessions.role_log_path(self.ws.root, self.session_id, role))

    def _desired(self, status: str) -> dict[str, dict[str, Any]]:
        out = {}
        for role in ROLES:
            st, detail = status, None
            if role == "git_integration" and status in ("running", "starting") and \
                    self._git_idle:
                st, detail = "idle", self._git_idle
            err = self._role_errors.get(role)
            if err and status == "running":
                st = "error"
            out[role] = {"status": st, "last_error": err, "detail": detail}
        return out

    def _write_roles(self, status: str, force: bool = False) -> None:
        if not self.session_id:
            return
        self._status = status
        want = self._desired(status)
        if not force and want == self._written_roles:
            return
        now = clock.now_str()
        sessions.write_role_state(self.ws.root, self.session_id,
                                  {r: {**v, "heartbeat": now} for r, v in want.items()})
        self._written_roles = want

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

    def _seed_memory(self) -> None:
        """Rebuild what each role already said in this session from its log."""
        if not self.session_id:
            return
        for role in ROLES:
            path = sessions.role_log_path(self.ws.root, self.session_id, role)
            mem = self._memory[role]
            for ev in events.tail(path, 5000).events:
                d = ev.data
                if ev.event == "blocker_detected" and ev.raw.get("blocker_id"):
                    remember(mem, (("open", str(ev.raw["blocker_id"]), ev.raw),))
                elif ev.event == "blocker_resolved" and ev.raw.get("blocker_id"):
                    remember(mem, (("open", str(ev.raw["blocker_id"]), None),))
                elif ev.event in ("task_progress", "milestone_progress") and \
                        isinstance(d.get("progress"), int | float):
                    key = ev.task_id if ev.event == "task_progress" else monitor.MILESTONE_KEY
                    if key:
                        remember(mem, (("logged", key, f"{float(d['progress']):.1f}"),))
                elif ev.event in ("dependency_issue", "dependency_waiting") and d.get("finding"):
                    remember(mem, (("findings", str(d["finding"]), ev.message or ""),))
                elif ev.event == "dependency_cleared" and d.get("finding"):
                    remember(mem, (("findings", str(d["finding"]), None),))
        git_role.seed(self._memory["git_integration"], self.ws.root, self.session_id)

    def _git_cycle(self) -> GitInfo:
        """Snapshot.git for this cycle: read again after a git step, else at most every
        GIT_INFO_EVERY seconds (pygit2 status costs ~1 ms per 500 files); a skipped read is
        made up by a timer, so the header is never stale for longer."""
        if self._git_info is None or self._git_steps or \
                time.time() - self._git_read_at >= GIT_INFO_EVERY:
            return self._read_git()
        self._git_due = True
        return self._git_info

    def _read_git(self) -> GitInfo:
        """Branch, ahead/behind and dirty count for the snapshot (~1-20 ms, pygit2 status)."""
        self._git_read_at, self._git_due, self._git_steps = time.time(), False, 0
        try:
            from kiro_tui.core import gitops

            self._git_info = gitops.info(self.ws.root, self.ws.config.git.remote)
        except Exception as exc:  # shown, never raised
            self._git_info = GitInfo(error=f"{type(exc).__name__}: {exc}")
        return self._git_info


def _empty_state(ws: Workspace) -> Any:
    from kiro_tui.core.store import WorkspaceState

    return WorkspaceState(root=ws.root, milestones=(), problems=(), config=ws.config)
