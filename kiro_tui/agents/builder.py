"""The coordinator's observing half: building the snapshot from the workspace.

`Observing` is mixed into `Coordinator` (see coordinator.py for the interface); it holds no
state of its own beyond what `Coordinator.__init__` sets. Here: the milestones in scope, the
deliverable facts, the JSONL logs followed for new events and the errors still open, the role
states read from the session, the repository's git info (read at most every GIT_INFO_EVERY
seconds) and the folders to watch.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kiro_tui.agents.actions import Memory
from kiro_tui.agents.facts import FactCache
from kiro_tui.agents.roles import blockers
from kiro_tui.core import clock, events, sessions
from kiro_tui.core.events import Event, Follower
from kiro_tui.core.git.repo import GitInfo
from kiro_tui.core.ids import ROLES
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker, RoleStatus, Snapshot

ERROR_LEVELS = ("error", "critical", "fatal")
BOOKKEEPING = ("progress_monitor", "dependency_validator", "git_integration", "blocker_detector")
GIT_INFO_EVERY = 2.0  # s between two reads of the repository's status for Snapshot.git


class Observing:
    """Snapshot building for `Coordinator`; the attributes are set by its `__init__`."""

    ws: Workspace
    driving: str | None
    session_id: str | None
    _snapshot: Snapshot
    _seq: int
    _memory: dict[str, Memory]
    _facts: FactCache
    _git_info: GitInfo | None
    _git_read_at: float
    _git_due: bool
    _git_steps: int
    _followers: dict[Path, Follower]
    _open_errors: dict[tuple[Any, ...], Event]
    _failures: dict[str, dict[str, str]]
    _active_since: float | None
    _refusal: Blocker | None


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
            from kiro_tui.core import git as gitops

            self._git_info = gitops.info(self.ws.root, self.ws.config.git.remote)
        except Exception as exc:  # shown, never raised
            self._git_info = GitInfo(error=f"{type(exc).__name__}: {exc}")
        return self._git_info
