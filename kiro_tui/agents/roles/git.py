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
`GitEffects.apply` runs the steps through `core.gitops` and logs git_commit / git_push /
git_branch / git_error lines (branch, sha, files, result).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiro_tui.agents.actions import (
    GIT_BRANCH,
    GIT_COMMIT,
    GIT_PUSH,
    LOG,
    Action,
    Memory,
    recall,
    ts,
)
from kiro_tui.core import events, sessions
from kiro_tui.core.model import Milestone, Task
from kiro_tui.core.snapshot import Snapshot

ROLE = "git_integration"
IDLE_REASON = "not inside a git repository"
DISABLED_REASON = "git.enabled is false in the config"
KINDS = (GIT_BRANCH, GIT_COMMIT, GIT_PUSH)
DONE_PHASE = ("waiting_approval", "completed", "approved")
TYPES = {"feature": "feat", "feat": "feat", "bug": "fix", "bugfix": "fix", "fix": "fix",
         "docs": "docs", "documentation": "docs", "refactor": "refactor", "test": "test",
         "tests": "test", "chore": "chore", "perf": "perf", "performance": "perf",
         "build": "build", "ci": "ci", "style": "style"}
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

    def add(key: str, kind: str, stamp: str | None, order: tuple[int, int, int], t: Task,
            phase: str | None = None, by: str | None = None) -> None:
        at = ts(stamp)
        if kind in commit_on and at is not None and (since is None or at >= since):
            out.append(GitEvent(key, kind, at, order, t, phase, by))

    for ti, t in enumerate(m.tasks):
        for pi, ph in enumerate(t.phases):
            if ph.status in DONE_PHASE and ph.completed_at:
                add(f"phase_completed:{t.id}:{ph.name}:{ph.completed_at}", "phase_completed",
                    ph.completed_at, (ti, pi, 0), t, ph.name)
            when = ph.approved_at or ph.completed_at  # an approval by hand may lack the time
            if ph.status == "approved" and when:
                add(f"phase_approved:{t.id}:{ph.name}:{when}", "phase_approved",
                    when, (ti, pi, 1), t, ph.name, ph.approved_by)
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
        return [Action(LOG, ROLE, mid, record={"event": "git_idle", "message": f"idle: {reason}"},
                       remember=(("said", "idle", reason),), key="git:idle")]
    m = snap.state.milestone(mid)
    if m is None:
        return []
    g = snap.state.config.git
    if g.branch == "milestone" and not recall(memory, "branch").get(mid):
        return [Action(GIT_BRANCH, ROLE, mid, remember=(("branch", mid, True),),
                       key="git:branch")]
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
    msg = gitops.message(commit_type(t), m.id, t.title, ev.phase, ev.what, task=t.id,
                         approved_by=ev.approved_by)
    return Action(GIT_COMMIT, ROLE, m.id, t.id, ev.phase,
                  record={"message": msg, "paths": paths, "key": ev.key, "kind": ev.kind,
                          "branch": g.branch},
                  remember=(("done", ev.key, ev.kind),), key=f"git:commit:{ev.key}")


def _push(snap: Snapshot, tasks: int, pushed: int) -> list[Action]:
    g = snap.state.config.git
    if not g.remote or g.push_every <= 0:
        return []
    due = tasks // g.push_every
    if due <= pushed:
        return []
    return [Action(GIT_PUSH, ROLE, snap.driving, values=(due, tasks), record={"remote": g.remote},
                   remember=(("pushed", "n", due),), key=f"git:push:{due}")]


# ------------------------------------------------------------------------------ memory
def seed(memory: Memory, root: Path, session_id: str) -> None:
    """Rebuild the role's memory for a (resumed) session: when it started, which events were
    committed and how many pushes were made, from the session record and its git.jsonl."""
    from kiro_tui.agents.actions import remember

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
    """Applies the role's actions through `core.gitops` and logs each to git.jsonl.

    A refusal (GitBlocked) is logged once as `git_error` (until it changes or clears) and
    raised again, so the coordinator records the failure and the blocker detector opens a
    `git_conflict` blocker."""

    PUSH_RETRY_FIRST = 15.0  # seconds before a failed push is tried again; doubles each time
    PUSH_RETRY_MAX = 600.0

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._errors: dict[str, str] = {}
        # after a failed push: (monotonic time of the next try, current delay, the refusal),
        # so that a rejected push does not reach the remote again on every batch of changes
        self._push_wait: tuple[float, float, Any] | None = None

    def apply(self, a: Action, session_id: str | None,
              log: Callable[[dict[str, Any]], None]) -> None:
        from kiro_tui.core.git.repo import GitBlocked

        try:
            if a.kind == GIT_BRANCH:
                rec = self._branch(a)
            elif a.kind == GIT_COMMIT:
                rec = self._commit(a)
            elif a.kind == GIT_PUSH:
                rec = self._push(a)
            else:
                return
        except GitBlocked as exc:
            msg = str(exc)
            if self._errors.get(a.key) != msg:
                self._errors[a.key] = msg
                log({"event": "git_error", "level": "warning", "task_id": a.task_id,
                     "phase": a.phase, "message": exc.reason, "branch": self._branch_name(),
                     "result": exc.kind, "suggestion": exc.suggestion,
                     "data": {"step": a.kind, "key": (a.record or {}).get("key")}})
            raise
        self._errors.pop(a.key, None)
        log(rec)

    # -- steps
    def _branch(self, a: Action) -> dict[str, Any]:
        from kiro_tui.core import git as gitops

        mid = a.milestone_id or ""
        name = gitops.ensure_milestone_branch(self.root, mid, carry=(self._carry(),))
        return {"event": "git_branch", "message": f"on {name}", "branch": name,
                "result": "ok"}

    def _commit(self, a: Action) -> dict[str, Any]:
        from kiro_tui.core.git.commit import commit_paths
        from kiro_tui.core.git.repo import GitBlocked

        rec = a.record or {}
        mid = a.milestone_id or ""
        want = f"milestone/{mid}"
        branch = self._branch_name()
        if rec.get("branch") == "milestone" and branch is not None and branch != want:
            raise GitBlocked("wrong_branch", f"HEAD is on {branch}, not on {want}",
                             f"switch back to {want} (git switch {want}), then resume")
        msg = str(rec.get("message") or "")
        paths = list(rec.get("paths") or ())
        for attempt in range(3):  # a log being appended while libgit2 hashes it: read again
            try:
                sha = commit_paths(self.root, paths, msg)
                break
            except GitBlocked as exc:
                if exc.kind != "commit_failed" or attempt == 2:
                    raise
                time.sleep(0.02)
        files = self._files(sha) if sha else []
        return {"event": "git_commit", "task_id": a.task_id, "phase": a.phase,
                "message": msg.split("\n", 1)[0], "branch": self._branch_name(),
                "sha": sha, "files": files,
                "result": "committed" if sha else "nothing to commit",
                "data": {"key": rec.get("key"), "event": rec.get("kind")}}

    def _push(self, a: Action) -> dict[str, Any]:
        from kiro_tui.core import git as gitops
        from kiro_tui.core.git.repo import GitBlocked

        remote = (a.record or {}).get("remote")
        if not remote:
            return {"event": "git_push", "message": "no remote configured", "result": "skipped",
                    "data": {"n": a.values[0] if a.values else 0}}
        branch = self._branch_name()
        now = time.monotonic()
        if self._push_wait is not None and now < self._push_wait[0]:
            last = self._push_wait[2]
            raise GitBlocked(last.kind, last.reason, last.suggestion)
        try:
            sha = gitops.push(self.root, remote, branch)
        except GitBlocked as exc:
            delay = self.PUSH_RETRY_FIRST if self._push_wait is None else \
                min(self.PUSH_RETRY_MAX, self._push_wait[1] * 2)
            self._push_wait = (now + delay, delay, exc)
            raise
        self._push_wait = None
        n, tasks = (*a.values, 0, 0)[:2]
        return {"event": "git_push", "message": f"pushed {branch} to {remote} after {tasks} "
                "completed task(s)", "branch": branch, "sha": sha, "remote": remote,
                "result": "ok", "data": {"n": n, "tasks": tasks}}

    # -- helpers
    def _repo(self) -> Any:
        import pygit2

        found = pygit2.discover_repository(str(self.root))
        return pygit2.Repository(found) if found else None

    def _branch_name(self) -> str | None:
        try:
            repo = self._repo()
            if repo is None or repo.head_is_detached:
                return None
            return str(repo.lookup_reference("HEAD").target).removeprefix("refs/heads/")
        except Exception:
            return None

    def _carry(self) -> str:
        """`.milestones` relative to the repository's working folder."""
        repo = self._repo()
        wd = repo.workdir if repo is not None else str(self.root)
        rel = os.path.relpath(os.path.realpath(self.root / ".milestones"), os.path.realpath(wd))
        return rel.replace(os.sep, "/")

    def _files(self, sha: str) -> list[str]:
        try:
            repo = self._repo()
            c = repo[sha]
            diff = (repo.diff(c.parents[0], c) if c.parents
                    else c.tree.diff_to_tree(swap=True))
            return [d.new_file.path or d.old_file.path for d in diff.deltas]
        except Exception:
            return []
