"""The one API that the CLI, the dashboard and the agent roles call to change anything.

Every change is: lock, re-read, check, edit (a named function of `workflow`), atomic write, then
one log line per event. Git steps (branch, commit, push) go through here too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from kiro_tui.core import (
    acting,
    authoring,
    driving,
    events,
    lifecycle,
    safeio,
    session_control,
    sessions,
    workflow,
)
from kiro_tui.core.actor import default_actor
from kiro_tui.core.approvals import record_gate_decision
from kiro_tui.core.clock import SYSTEM, Clock
from kiro_tui.core.config import Config, load_config
from kiro_tui.core.driving import DriverClaim
from kiro_tui.core.errors import KiroError, NotFound, Refused
from kiro_tui.core.ids import check_id, check_phase, is_valid_id
from kiro_tui.core.model import Milestone, Phase
from kiro_tui.core.review import keep_decided
from kiro_tui.core.root import MS, find_root
from kiro_tui.core.safewrite import settled
from kiro_tui.core.store import Loader, WorkspaceState
from kiro_tui.core.workflow import Ctx, Outcome, PhaseStep
from kiro_tui.core.yaml.focused_edit import TOP_LEVEL

if TYPE_CHECKING:
    from kiro_tui.core.git.repo import CommitResult, PushResult

Edit = Callable[[dict[str, Any], Ctx], Outcome]


class Workspace:
    """A `.milestones/` workspace: loading for display and every action that changes it."""

    def __init__(
        self,
        root: Path,
        config: Config | None = None,
        *,
        persist_cache: bool = True,
        cache_dir: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.root = root
        self.ms = root / MS
        self.config = config or load_config(root)
        self.clock = clock or SYSTEM
        self.loader = Loader(root, self.config, cache_dir=cache_dir, persist_cache=persist_cache)

    @classmethod
    def open(
        cls, start: Path | str | None = None, *, flags: dict[str, Any] | None = None, **kw: Any
    ) -> Self:
        root = find_root(start)
        return cls(root, load_config(root, flags=flags), **kw)

    @staticmethod
    def init(root: Path) -> Path:
        """Create `.milestones/` with its folders and the config template; returns it."""
        return authoring.init_workspace(root)

    # ------------------------------------------------------------------ reading
    def load(self) -> WorkspaceState:
        return self.loader.load()

    def milestone_path(self, mid: str) -> Path:
        check_id(mid, "milestone id")
        for p in (
            self.ms / "active" / f"{mid}.yaml",
            self.ms / "active" / f"{mid}.yml",
            self.ms / "completed" / f"{mid}.yaml",
            self.ms / "completed" / f"{mid}.yml",
        ):
            if p.is_file():
                return p
        if (self.ms / "completed" / mid / "definition.yaml").is_file():
            raise Refused(
                f"milestone {mid} is archived (completed/{mid}/definition.yaml) and is read only"
            )
        raise NotFound(f"no milestone {mid!r} in {self.ms / 'active'} or completed/")

    def milestone(self, mid: str) -> Milestone | None:
        """One milestone, loaded alone (None when its file cannot be used; NotFound when there
        is none). Actions use this rather than `load`, whose cost grows with the workspace."""
        try:
            path = self.milestone_path(mid)
        except Refused:  # the archive folder form, read only
            path = self.ms / "completed" / mid / "definition.yaml"
            return self.loader.load_one(path, "completed", mid, True, persisted=False)[0]
        # a file being written in place (empty, half written) is waited for (safewrite)
        return settled(
            path,
            lambda: self.loader.load_one(path, path.parent.name, mid, False, persisted=False)[0],
        )

    def current_milestone(self) -> str | None:
        try:
            text = safeio.read_text(
                self.ms / "active" / "current.txt", self.root, max_bytes=4096
            ).strip()
        except (OSError, ValueError, KiroError):
            return None
        first = text.splitlines()[0].strip() if text else ""
        return first if is_valid_id(first) else None

    def execution_log(self, mid: str) -> Path:
        return self.ms / "logs" / f"execution-{check_id(mid, 'milestone id')}.jsonl"

    def phase_model(self, mid: str, task_id: str, phase: str) -> Phase:
        m = self.milestone(mid)
        t = m.task(task_id) if m else None
        if t is None:
            raise NotFound(f"no task {task_id!r} in milestone {mid!r}")
        p = t.phase(phase)
        if p is None:
            raise Refused(f"task {task_id} has no kiro phases")
        return p

    def actor(self, actor: str | None = None) -> str:
        return actor or default_actor(self.root, self.config.user_name)

    # ------------------------------------------------------------------ core of every action
    def context(self, actor: str | None) -> Ctx:
        """The context of one action: root, config, the time now and who acts."""
        return Ctx(
            root=self.root, config=self.config, now=self.clock.now_str(), actor=self.actor(actor)
        )

    def record(
        self, mid: str, record: dict[str, Any], role: str = "user", session_id: str | None = None
    ) -> dict[str, Any]:
        """The log record of one event of `mid` (a copy of `record`, filled in)."""
        record = dict(record)
        rec: dict[str, Any] = {
            "timestamp": record.pop("timestamp", None) or self.clock.now_str(),
            "event": record.pop("event"),
        }
        rec["milestone_id"] = mid
        if session_id:
            rec["session_id"] = session_id
        rec.update({k: v for k, v in record.items() if v is not None})
        rec.setdefault("role", role)
        rec.setdefault("level", "info")
        return rec

    def log(
        self,
        mid: str,
        record: dict[str, Any],
        *,
        role: str = "user",
        session_id: str | None = None,
        path: Path | None = None,
    ) -> dict[str, Any]:
        rec = self.record(mid, record, role, session_id)
        return events.append(path or self.execution_log(mid), rec)

    def act(
        self,
        mid: str,
        fn: Edit,
        actor: str | None = None,
        *,
        role: str = "user",
        log_path: Path | None = None,
        focus_task: str | None = None,
        reapply: bool = True,
    ) -> Outcome:
        """Apply a workflow edit to milestone `mid` safely, then log and apply effects.

        `focus_task`: `fn` changes only that task and top-level keys (see safewrite.edit_yaml).
        A killed action's leftovers are finished first, and (`reapply`, for actions logged to
        the execution log) the decisions the file lost are re-applied in the same edit
        (core/acting.py)."""
        return acting.act(self, mid, fn, actor, role, log_path, focus_task, reapply)

    def _phase_act(
        self,
        mid: str,
        task_id: str,
        phase: str,
        fn: Callable[..., Outcome],
        actor: str | None,
        kw: dict[str, Any],
        *extra: Any,
    ) -> Outcome:
        """Run the workflow edit `fn(doc, task_id, phase, ctx, *extra)` on one task's phase."""
        check_id(task_id, "task id")
        check_phase(phase)
        edit: Edit = lambda d, c: fn(d, task_id, phase, c, *extra)  # noqa: E731
        return self.act(mid, edit, actor, focus_task=task_id, **kw)

    # ------------------------------------------------------------------ phase actions
    def start_phase(
        self, mid: str, task_id: str, phase: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(mid, task_id, phase, workflow.start_phase, actor, kw)

    def complete_phase(
        self, mid: str, task_id: str, phase: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(mid, task_id, phase, workflow.complete_phase, actor, kw)

    def approve(
        self,
        mid: str,
        task_id: str,
        phase: str,
        actor: str | None = None,
        note: str | None = None,
        **kw: Any,
    ) -> Outcome:
        out = self._phase_act(mid, task_id, phase, workflow.approve_phase, actor, kw, note)
        keep_decided(self.root, self.milestone(mid), task_id, phase)  # for `d` (review.py)
        return record_gate_decision(self, out, (mid, task_id, phase), "approved", actor, note)

    def reject(
        self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        out = self._phase_act(mid, task_id, phase, workflow.reject_phase, actor, kw, reason)
        keep_decided(self.root, self.milestone(mid), task_id, phase)
        return record_gate_decision(self, out, (mid, task_id, phase), "rejected", actor, reason)

    def block(
        self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(mid, task_id, phase, workflow.block_phase, actor, kw, reason)

    def unblock(
        self, mid: str, task_id: str, phase: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(mid, task_id, phase, workflow.unblock_phase, actor, kw)

    def phase_steps(
        self, mid: str, steps: list[PhaseStep], actor: str | None = None, **kw: Any
    ) -> list[KiroError | None]:
        """Start or complete several phases of `mid` in one write (see workflow.phase_steps);
        each step's refusal, or None when it was done."""
        for _kind, task_id, phase in steps:
            check_id(task_id, "task id")
            check_phase(phase)
        errors: list[KiroError | None] = []

        def edit(doc: dict[str, Any], ctx: Ctx) -> Outcome:
            out, errors[:] = workflow.phase_steps(doc, steps, ctx)
            return out

        self.act(mid, edit, actor, **kw)
        return errors

    # ------------------------------------------------------------------ milestone actions
    def write_progress(
        self, mid: str, percentage: int, completed: int, total: int, **kw: Any
    ) -> Outcome:
        """Keep `progress` true; writes nothing when the values are already there."""
        return self.act(
            mid,
            lambda d, c: lifecycle.write_progress(d, c, percentage, completed, total),
            kw.pop("actor", "kiro-tui"),
            focus_task=TOP_LEVEL,
            **kw,
        )

    def complete_milestone(self, mid: str, actor: str | None = None, **kw: Any) -> Outcome:
        """Complete (and archive) `mid` when all its tasks are done; otherwise nothing."""
        return self.act(mid, lifecycle.complete_milestone, actor, **kw)

    def start_milestone(self, mid: str, actor: str | None = None) -> Outcome:
        """Start (or continue) a session: checks `requires`, writes session and current.txt."""
        return session_control.start(self, mid, actor)

    def pause(self, mid: str, actor: str | None = None) -> Outcome:
        return session_control.pause(self, mid, actor)

    def resume(self, mid: str, actor: str | None = None) -> Outcome:
        return session_control.resume(self, mid, actor)

    # ------------------------------------------------------------------ creating
    def new_milestone(
        self,
        mid: str,
        title: str,
        requires: list[str],
        actor: str | None = None,
        description: str | None = None,
    ) -> Path:
        """Write a new milestone file `active/<mid>.yaml` and log `milestone_created`."""
        return authoring.new_milestone(self, mid, title, requires, actor, description)

    def add_task(
        self,
        mid: str,
        title: str,
        kind: str = "feature",
        depends_on: list[str] | None = None,
        actor: str | None = None,
        task_id: str | None = None,
        hours: float = 8,
    ) -> str:
        """Append a new task (all four phases pending) to `mid`; returns its id."""
        return authoring.add_task(self, mid, title, kind, depends_on or [], actor, task_id, hours)

    def migrate(self, mid: str, actor: str | None = None) -> Outcome:
        return self.act(mid, lambda d, c: lifecycle.migrate_milestone(d, c, mid), actor)

    # ------------------------------------------------------------------ the driver
    def claim_driver(self, mid: str, actor: str | None = None) -> DriverClaim:
        """Start or resume `mid`'s session (a paused one stays paused) and become its driver.

        Raises Refused (another live driver, finished milestone, unmet requires) or NotFound."""
        return driving.claim(self, mid, actor)

    def heartbeat(self, session_id: str) -> bool:
        """Renew our driver heartbeat; False when someone else drives the session now."""
        return sessions.heartbeat(self.root, session_id, self.clock.now_str())

    def release_driver(self, session_id: str) -> None:
        sessions.release_driver(self.root, session_id)

    def write_role_state(self, session_id: str, states: dict[str, dict[str, Any]]) -> None:
        """Merge the roles' states into `sessions/<id>/agents/state.json`."""
        sessions.write_role_state(self.root, session_id, states)

    # ------------------------------------------------------------------ git
    def git_branch(self, mid: str) -> str:
        """Switch to (or create) `milestone/<mid>`, carrying `.milestones` changes along."""
        from kiro_tui.core import git as gitops

        carry = gitops.workdir_path(self.root, self.ms)
        return gitops.ensure_milestone_branch(self.root, mid, carry=(carry,))

    def git_commit(
        self, mid: str, paths: list[str], message: str, *, on_milestone_branch: bool = False
    ) -> CommitResult:
        """Commit exactly `paths`; `on_milestone_branch` refuses a HEAD on another branch than
        `milestone/<mid>` (see core.git.commit.commit_step)."""
        from kiro_tui.core.git.commit import commit_step

        return commit_step(self.root, mid, paths, message, on_milestone_branch)

    def push(
        self,
        mid: str | None = None,
        *,
        remote: str | None = None,
        role: str = "git_integration",
        session_id: str | None = None,
        log_path: Path | None = None,
        data: dict[str, Any] | None = None,
        log_refusal: bool = True,
    ) -> PushResult:
        """Push the current branch to `remote` (default `git.remote`): see core.git.remote."""
        from kiro_tui.core.git.remote import push_and_log

        return push_and_log(
            self,
            mid,
            remote=remote,
            role=role,
            session_id=session_id,
            log_path=log_path,
            data=data,
            log_refusal=log_refusal,
        )
