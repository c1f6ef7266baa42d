"""git_integration: one commit per configured event, pushes every N tasks (FORMAT.md section 11).

`decide(snapshot, now, memory)` is pure. The events come from the milestone's state, not from
replaying log lines: a phase whose work is done (`completed_at` set and status waiting_approval,
completed or approved), a phase approved (`approved_at`), a task completed. Each has a stable
key (`phase_completed:<task>:<phase>:<completed_at>`, ...), so a phase completed again after a
rejection is a new event. Only events from the current session on count (the session's
`started_at`, seeded into memory by `seed`), so driving an old milestone does not replay its
history. Keys already committed are in memory, rebuilt from git.jsonl on restart: nothing is
committed twice.

One git step per decide, in event order: the milestone branch first (`branch: milestone`), then
the oldest pending commit, then a push when `remote` is set and another `push_every` tasks have
completed. The step's own git.jsonl line is a file change that wakes the next cycle, which takes
the next step; that line lands in the next event's commit. A step that fails (GitBlocked) stays
pending: the coordinator records the failure, the blocker detector opens a `git_conflict`
blocker with the suggestion, and the step is retried on later cycles until the cause is fixed.
kiro-tui never resolves a conflict, never discards anything and never force-pushes.

Disabled (`git.enabled: false`, or not inside a repository): idle, with the reason, logged once.
`GitEffects.apply` runs the steps through the Workspace and logs git_commit / git_push /
git_branch / git_error lines (branch, sha, files, result).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.agents.actions import (
    GIT_BRANCH,
    GIT_COMMIT,
    GIT_PUSH,
    LOG,
    Action,
    Commit,
    LogLine,
    Memory,
    Push,
    recall,
    remember,
    ts,
)
from kiro_tui.core import events, sessions
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.snapshot import Snapshot

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace

ROLE = "git_integration"
IDLE_REASON = "not inside a git repository"
DISABLED_REASON = "git.enabled is false in the config"
KINDS = (GIT_BRANCH, GIT_COMMIT, GIT_PUSH)
DONE_PHASE = ("waiting_approval", "completed", "approved")
TYPES = {
    "feature": "feat",
    "feat": "feat",
    "bug": "fix",
    "bugfix": "fix",
    "fix": "fix",
    "docs": "docs",
    "documentation": "docs",
    "refactor": "refactor",
    "test": "test",
    "tests": "test",
    "chore": "chore",
    "perf": "perf",
    "performance": "perf",
    "build": "build",
    "ci": "ci",
    "style": "style",
}
_RANK = {"phase_completed": 0, "phase_approved": 1, "task_completed": 2}


@dataclass(frozen=True, slots=True)
class GitEvent:
    """One configured event found in the milestone's state."""

    key: str
    kind: str  # phase_completed | phase_approved | task_completed
    at: float
    order: tuple[int, int, int]
    task: Task
    phase: str | None = None
    approved_by: str | None = None

    @property
    def what(self) -> str:
        return "approved" if self.kind == "phase_approved" else "completed"


def idle_reason(snap: Snapshot) -> str | None:
    """Why the role does nothing (git disabled or no repository), or None when it works."""
    g = snap.state.config.git
    if g.enabled is False:
        return DISABLED_REASON
    if not snap.git.is_repo:
        return IDLE_REASON
    return None


def events_of(m: Milestone, commit_on: tuple[str, ...], since: float | None) -> list[GitEvent]:
    """The configured events of milestone `m` at or after `since` (epoch s), in order."""
    out: list[GitEvent] = []

    def add(
        key: str,
        kind: str,
        stamp: str | None,
        order: tuple[int, int, int],
        t: Task,
        phase: str | None = None,
        by: str | None = None,
    ) -> None:
        at = ts(stamp)
        if kind in commit_on and at is not None and (since is None or at >= since):
            out.append(GitEvent(key, kind, at, order, t, phase, by))

    for ti, t in enumerate(m.tasks):
        for pi, ph in enumerate(t.phases):
            if ph.status in DONE_PHASE and ph.completed_at:
                add(
                    f"phase_completed:{t.id}:{ph.name}:{ph.completed_at}",
                    "phase_completed",
                    ph.completed_at,
                    (ti, pi, 0),
                    t,
                    ph.name,
                )
            when = ph.approved_at or ph.completed_at  # an approval by hand may lack the time
            if ph.status == "approved" and when:
                add(
                    f"phase_approved:{t.id}:{ph.name}:{when}",
                    "phase_approved",
                    when,
                    (ti, pi, 1),
                    t,
                    ph.name,
                    ph.approved_by,
                )
        if t.status == "completed":
            stamps = [s for ph in t.phases for s in (ph.completed_at, ph.approved_at) if s]
            last = max(stamps, key=lambda s: ts(s) or 0.0) if stamps else t.updated_at
            add(f"task_completed:{t.id}", "task_completed", last, (ti, len(t.phases), 2), t)
    out.sort(key=lambda e: (e.at, e.order))
    return out


def commit_type(task: Task) -> str:
    return TYPES.get(task.kind.strip().lower(), "feat")


def decide(snap: Snapshot, now: datetime, memory: Memory) -> list[Action]:
    mid = snap.driving
    if not mid or snap.paused:
        return []
    reason = idle_reason(snap)
    if reason:
        if recall(memory, "said").get("idle"):
            return []
        return [
            Action(
                LOG,
                ROLE,
                mid,
                payload=LogLine({"event": "git_idle", "message": f"idle: {reason}"}),
                remember=(("said", "idle", reason),),
                key="git:idle",
            )
        ]
    m = snap.state.milestone(mid)
    if m is None:
        return []
    g = snap.state.config.git
    if g.branch == "milestone" and not recall(memory, "branch").get(mid):
        return [Action(GIT_BRANCH, ROLE, mid, remember=(("branch", mid, True),), key="git:branch")]
    since = recall(memory, "session").get("since")
    done = recall(memory, "done")
    pushed = int(recall(memory, "pushed").get("n") or 0)
    push_failing = any(k.startswith(f"{ROLE} git:push:") for k in snap.failures)
    wanted = tuple(dict.fromkeys((*g.commit_on, "task_completed")))
    tasks = 0  # tasks completed this session whose commits (if any) are made
    for ev in events_of(m, wanted, since):
        if ev.key in done or ev.kind not in g.commit_on:
            tasks += ev.kind == "task_completed"
            continue
        # a push that is due goes before later commits, so the remote gets the N-th task's
        # commit; a push that keeps failing does not hold the commits back (retried beside)
        push = _push(snap, tasks, pushed)
        if push and not push_failing:
            return push
        return [_commit(snap, m, ev), *push]
    return _push(snap, tasks, pushed)


def _commit(snap: Snapshot, m: Milestone, ev: GitEvent) -> Action:
    from kiro_tui.core import git as gitops

    t, g = ev.task, snap.state.config.git
    extra = [d.path for ph in t.phases for d in ph.deliverables if d.path]
    paths = gitops.paths_for_event(snap.state.root, m.path, m.id, snap.session_id, t.id, extra)
    msg = gitops.message(
        commit_type(t), m.id, t.title, ev.phase, ev.what, task=t.id, approved_by=ev.approved_by
    )
    return Action(
        GIT_COMMIT,
        ROLE,
        m.id,
        t.id,
        ev.phase,
        payload=Commit(
            msg, tuple(paths), ev.key, ev.kind, on_milestone_branch=g.branch == "milestone"
        ),
        remember=(("done", ev.key, ev.kind),),
        key=f"git:commit:{ev.key}",
    )


def _push(snap: Snapshot, tasks: int, pushed: int) -> list[Action]:
    g = snap.state.config.git
    if not g.remote or g.push_every <= 0:
        return []
    due = tasks // g.push_every
    if due <= pushed:
        return []
    return [
        Action(
            GIT_PUSH,
            ROLE,
            snap.driving,
            payload=Push(g.remote, due, tasks),
            remember=(("pushed", "n", due),),
            key=f"git:push:{due}",
        )
    ]


# ------------------------------------------------------------------------------ memory
def seed(memory: Memory, root: Path, session_id: str) -> None:
    """Rebuild the role's memory for a (resumed) session: when it started, which events were
    committed and how many pushes were made, from the session record and its git.jsonl."""
    s = sessions.read_session(root, session_id)
    since = ts(s.started_at) if s is not None else None
    if since is not None:
        remember(memory, (("session", "since", since),))
    path = sessions.role_log_path(root, session_id, ROLE)
    for ev in events.tail(path, 5000).events:
        d = ev.data
        if ev.event == "git_commit" and d.get("key"):
            remember(memory, (("done", str(d["key"]), str(d.get("event") or "")),))
        elif ev.event == "git_push" and isinstance(d.get("n"), int):
            n = max(int(recall(memory, "pushed").get("n") or 0), d["n"])
            remember(memory, (("pushed", "n", n),))
        elif ev.event == "git_idle":
            remember(memory, (("said", "idle", True),))


# ------------------------------------------------------------------------------ effects
class GitEffects:
    """Applies the role's actions through the Workspace and logs each to git.jsonl.

    A refusal (GitBlocked) is logged once as `git_error` (until it changes or clears) and
    raised again, so the coordinator records the failure and the blocker detector opens a
    `git_conflict` blocker. A refused push is not tried again before `PUSH_RETRY_FIRST`
    seconds (doubling up to `PUSH_RETRY_MAX`), so the remote is not asked on every batch."""

    PUSH_RETRY_FIRST = 15.0
    PUSH_RETRY_MAX = 600.0

    def __init__(self, ws: Workspace, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ws = ws
        self._monotonic = monotonic
        self._errors: dict[str, str] = {}
        self._push_next: float | None = None  # monotonic time of the next try
        self._push_delay = 0.0
        self._push_refusal: Any = None

    @property
    def push_delay(self) -> float | None:
        """Seconds a refused push waits before the remote is asked again (None: no wait)."""
        return self._push_delay if self._push_next is not None else None

    def apply(
        self, a: Action, session_id: str | None, log: Callable[[dict[str, Any]], None]
    ) -> None:
        from kiro_tui.core.git.repo import GitBlocked

        try:
            if a.kind == GIT_BRANCH:
                rec = self._branch(a)
            elif a.kind == GIT_COMMIT and isinstance(a.payload, Commit):
                rec = self._commit(a, a.payload)
            elif a.kind == GIT_PUSH and isinstance(a.payload, Push):
                self._push(a, a.payload, session_id)
                return
            else:
                return
        except GitBlocked as exc:
            msg = str(exc)
            if self._errors.get(a.key) != msg:
                self._errors[a.key] = msg
                from kiro_tui.core.git import current_branch

                key = a.payload.key if isinstance(a.payload, Commit) else None
                log(
                    {
                        "event": "git_error",
                        "level": "warning",
                        "task_id": a.task_id,
                        "phase": a.phase,
                        "message": exc.reason,
                        "branch": current_branch(self.ws.root),
                        "result": exc.kind,
                        "suggestion": exc.suggestion,
                        "data": {"step": a.kind, "key": key},
                    }
                )
            raise
        self._errors.pop(a.key, None)
        log(rec)

    def _branch(self, a: Action) -> dict[str, Any]:
        name = self.ws.git_branch(a.milestone_id or "")
        return {"event": "git_branch", "message": f"on {name}", "branch": name, "result": "ok"}

    def _commit(self, a: Action, c: Commit) -> dict[str, Any]:
        done = self.ws.git_commit(
            a.milestone_id or "",
            list(c.paths),
            c.message,
            on_milestone_branch=c.on_milestone_branch,
        )
        return {
            "event": "git_commit",
            "task_id": a.task_id,
            "phase": a.phase,
            "message": c.message.split("\n", 1)[0],
            "branch": done.branch,
            "sha": done.sha,
            "files": list(done.files),
            "result": "committed" if done.sha else "nothing to commit",
            "data": {"key": c.key, "event": c.event},
        }

    def _push(self, a: Action, p: Push, session_id: str | None) -> None:
        from kiro_tui.core.git.repo import GitBlocked

        now = self._monotonic()
        if self._push_next is not None and now < self._push_next:
            last = self._push_refusal
            raise GitBlocked(last.kind, last.reason, last.suggestion)
        path = sessions.role_log_path(self.ws.root, session_id, ROLE) if session_id else None
        try:
            self.ws.push(
                a.milestone_id,
                remote=p.remote,
                role=ROLE,
                session_id=session_id,
                log_path=path,
                data={"n": p.n, "tasks": p.tasks},
                log_refusal=False,
            )
        except GitBlocked as exc:
            self._push_delay = (
                self.PUSH_RETRY_FIRST
                if self._push_next is None
                else min(self.PUSH_RETRY_MAX, self._push_delay * 2)
            )
            self._push_next = now + self._push_delay
            self._push_refusal = exc
            raise
        self._push_next, self._push_refusal = None, None
