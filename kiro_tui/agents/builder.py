"""Changed files -> a new Snapshot, incrementally: the one way snapshots are made.

`SnapshotBuilder` owns what a build needs between cycles: the deliverable facts (cached by
stat signature), the JSONL logs it follows for new events, the error events still open, and
the repository's git info (read at most every GIT_INFO_EVERY seconds, and again after a git
step). The loader re-reads only files whose (mtime, size) changed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
from kiro_tui.core.runs.control import RunsIndex
from kiro_tui.core.service import Workspace
from kiro_tui.core.snapshot import Blocker, RoleStatus, Snapshot
from kiro_tui.core.store import WorkspaceState

ERROR_LEVELS = ("error", "critical", "fatal")
BOOKKEEPING = ("progress_monitor", "dependency_validator", "git_integration", "blocker_detector")
GIT_INFO_EVERY = 2.0  # s between two reads of the repository's status for Snapshot.git


@dataclass(frozen=True)
class Driving:
    """What the coordinator tells the builder about driving, for one build."""

    milestone_id: str | None = None
    session_id: str | None = None
    active_since: float | None = None
    blocker_memory: Memory = field(default_factory=dict)
    failures: Mapping[str, str] = field(default_factory=dict)
    refusal: Blocker | None = None
    roles: Mapping[str, RoleStatus] | None = None  # None: read the observed session's file
    agents: bool = False  # agents do the phases' work (issue 9)
    runs: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    run_blockers: tuple[Blocker, ...] = ()


def empty_snapshot(ws: Workspace) -> Snapshot:
    return Snapshot(
        state=WorkspaceState(root=ws.root, milestones=(), problems=(), config=ws.config)
    )


class SnapshotBuilder:
    """Builds snapshots of one workspace; not thread-safe (the coordinator's thread owns it)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._facts = FactCache(ws.root, ws.loader.cache.beside("facts"))
        self._followers: dict[Path, Follower] = {}
        self._open_errors: dict[tuple[Any, ...], Event] = {}
        self._seq = 0
        self._git_info: GitInfo | None = None
        self._git_read_at = 0.0
        self._git_due = False  # a refresh was skipped (too soon): a timer brings it
        self._runs = RunsIndex(ws.root)  # the header's agents and spend, in every mode
        # per milestone in scope: (the milestone, its facts, its activity) of the last build
        self._facts_of: dict[str, tuple[Any, dict[Any, Any], dict[Any, float]]] = {}
        self._detected: tuple[tuple[Any, ...], float | None, list[Blocker]] | None = None
        self._built_facts: Any = None  # the facts view of the last snapshot built here
        for path, source in events.log_files(ws.ms):
            self._followers[path] = Follower(path, source, start_at_end=True)
        for ev in events.merged_tail(ws.ms, 500):
            self._track_error(ev)

    # ------------------------------------------------------------------ events
    def new_events(self) -> list[Event]:
        """The new lines of every JSONL log since the last call (new files too), in order."""
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
        if ev.level in ERROR_LEVELS and "run_id" in ev.data:
            return  # an agent run's end: its phase is blocked with a blocker of its own
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

    # ------------------------------------------------------------------ building
    def build(self, now: datetime, d: Driving, *, files_unchanged: bool = False) -> Snapshot:
        """A snapshot now. `files_unchanged`: the caller knows that no deliverable file can
        have changed since the last build (only session files or logs did, or nothing: a
        timer): the facts of a milestone that did not change are kept, not read again."""
        self._facts.save()  # what the last build found, if due (not before its snapshot)
        state = self.ws.load()
        scope = (
            (d.milestone_id,)
            if d.milestone_id
            else tuple(m.id for m in state.milestones if not m.finished and m.location == "active")
        )
        facts: dict[tuple[str, str, str], Any] = {}
        activity: dict[tuple[str, str], float] = {}
        kept = self._facts_of if files_unchanged else {}
        self._facts_of = {}
        for mid in scope:
            m = state.milestone(mid)
            if m is not None:
                was = kept.get(mid)
                f, a = (
                    (was[1], was[2])
                    if was is not None and was[0] is m
                    else self._facts.milestone(m)
                )
                self._facts_of[mid] = (m, f, a)
                facts.update(f)
                activity.update(a)
        if d.milestone_id:
            sid = d.session_id
            m = state.milestone(d.milestone_id)
            paused = bool(m and m.status == "paused")
        else:
            cur = self.ws.current_milestone()
            om = state.milestone(cur) if cur else None
            sid = om.session_id if om else None
            if om is None and cur:  # its file cannot be read: its session still tells the roles
                sid = sessions.live_session_of(self.ws.root, cur)
            paused = bool(sid and om and om.status == "paused")
        self._seq += 1
        facts_view = self._built_facts = MappingProxyType(facts)
        snap = Snapshot(
            state=state,
            driving=d.milestone_id,
            session_id=sid,
            paused=paused,
            git=self._git_info or self.read_git(),
            taken_at=time.time(),
            seq=self._seq,
            facts=facts_view,
            activity=MappingProxyType(activity),
            open_errors=tuple(self._open_errors.values()),
            failures=MappingProxyType(dict(d.failures)),
            active_since=d.active_since if d.milestone_id else None,
            scope=scope,
            agents=d.agents and bool(d.milestone_id),
            runs=MappingProxyType(dict(d.runs)),
            run_blockers=d.run_blockers,
            run_totals=MappingProxyType(self._runs.totals()),
        )
        found = blockers.with_since(d.blocker_memory, self._detect(snap, now))
        if d.refusal is not None:
            found.append(d.refusal)
        roles = d.roles if d.roles is not None else self._file_roles(sid)
        return replace(snap, blockers=tuple(found), roles=MappingProxyType(dict(roles)))

    def _detect(self, snap: Snapshot, now: datetime) -> list[Blocker]:
        """blockers.detect, kept while what it reads is the same and no time-based blocker
        is due yet (so a cycle for another driver's heartbeat costs nothing here)."""
        key = self._detect_key(snap)
        last = self._detected
        if last is not None and last[0] == key and (last[1] is None or now.timestamp() < last[1]):
            return last[2]
        found = blockers.detect(snap, now)
        self._detected = (key, blockers.next_deadline(snap, now), found)
        return found

    def blocker_deadline(self, snap: Snapshot, now: datetime) -> float | None:
        """blockers.next_deadline of `snap` (kept from its build when nothing changed)."""
        last = self._detected
        fresh = last is not None and (last[1] is None or now.timestamp() < last[1])
        if last is not None and fresh and last[0] == self._detect_key(snap):
            return last[1]
        return blockers.next_deadline(snap, now)

    def _detect_key(self, snap: Snapshot) -> tuple[Any, ...]:
        """What blockers.detect and next_deadline read of a snapshot, besides the time. The
        facts go in as each milestone's own facts and activity, the objects the build keeps
        for a milestone that did not change: compared by identity first, a cycle that changed
        nothing costs a few hundred comparisons, not a copy of every phase's facts."""
        st = snap.state
        parts: Any
        if snap.facts is self._built_facts:  # built here last: made of _facts_of's parts
            kept = self._facts_of
            parts = tuple(kept[mid][1:] if mid in kept else None for mid in snap.scope)
        else:
            parts = (dict(snap.facts), dict(snap.activity))
        return (
            st.milestones,
            st.problems,
            st.config,
            parts,
            snap.open_errors,
            snap.run_blockers,
            dict(snap.failures),
            snap.driving,
            snap.session_id,
            snap.scope,
            snap.active_since,
            snap.paused,
        )

    def _file_roles(self, sid: str | None) -> dict[str, RoleStatus]:
        """The role states another driver wrote for the observed session."""
        if not sid:
            return {}
        raw = sessions.read_role_state(self.ws.root, sid)
        return {
            role: RoleStatus(
                role,
                str(r.get("status") or "idle"),
                r.get("heartbeat"),
                r.get("last_error"),
                r.get("detail"),
            )
            for role in ROLES
            if isinstance(r := raw.get(role), dict)
        }

    def watch_paths(self, snap: Snapshot) -> list[Path]:
        """`.milestones/` and the folders of deliverables kept elsewhere in the repository."""
        paths = [self.ws.ms]
        root = self.ws.root.resolve()
        ms = str(self.ws.ms.resolve())
        for mid in snap.scope:
            m = snap.state.milestone(mid)
            for t in m.tasks if m else ():
                for ph in t.phases:
                    for dl in ph.deliverables:
                        if dl.path is None:
                            continue
                        p = (root / dl.path).resolve().parent
                        while not p.exists() and p != root:
                            p = p.parent
                        if p != root and str(p).startswith(str(root)) and not str(p).startswith(ms):
                            paths.append(p)
        return paths

    # ------------------------------------------------------------------ git
    def git(self, stepped: bool) -> GitInfo:
        """Snapshot.git for this cycle: read again after a git step (`stepped`), else at most
        every GIT_INFO_EVERY seconds (pygit2 status costs ~1 ms per 500 files); a skipped read
        is made up by a timer (`git_due_at`), so the header is never stale for longer."""
        if self._git_info is None or stepped or time.time() - self._git_read_at >= GIT_INFO_EVERY:
            return self.read_git()
        self._git_due = True
        return self._git_info

    def git_due_at(self) -> float | None:
        return self._git_read_at + GIT_INFO_EVERY if self._git_due else None

    def read_git(self) -> GitInfo:
        """Branch, ahead/behind and dirty count for the snapshot (~1-20 ms, pygit2 status)."""
        self._git_read_at, self._git_due = time.time(), False
        try:
            from kiro_tui.core import git as gitops

            self._git_info = gitops.info(self.ws.root, self.ws.config.git.remote)
        except Exception as exc:  # shown, never raised
            self._git_info = GitInfo(error=f"{type(exc).__name__}: {exc}")
        return self._git_info
