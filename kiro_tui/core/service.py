"""The one API that the CLI, the dashboard and the agent roles call to change anything.

Every change is: lock, re-read, check, edit (a named function of `workflow`), atomic write, then
one log line per event. Git steps (branch, commit, push) go through here too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from kiro_tui.core import events, lifecycle, safeio, sessions, workflow
from kiro_tui.core.actor import default_actor
from kiro_tui.core.archive import archive_completed
from kiro_tui.core.clock import DEFAULT, Clock
from kiro_tui.core.config import Config, load_config
from kiro_tui.core.errors import InvalidFile, KiroError, NotFound, Refused
from kiro_tui.core.ids import check_id, check_phase, is_valid_id
from kiro_tui.core.model import TASK_KINDS, Milestone, Phase
from kiro_tui.core.parse import build_phase
from kiro_tui.core.review import keep_decided
from kiro_tui.core.root import MS, find_root
from kiro_tui.core.safewrite import atomic_write, edit_yaml
from kiro_tui.core.starters import write_starters
from kiro_tui.core.store import Loader, WorkspaceState
from kiro_tui.core.workflow import Ctx, Outcome
from kiro_tui.core.yaml.focused_edit import TOP_LEVEL

if TYPE_CHECKING:
    from kiro_tui.core.git.repo import CommitResult, PushResult

Edit = Callable[[dict[str, Any], Ctx], Outcome]


@dataclass(frozen=True, slots=True)
class DriverClaim:
    """The session a driver now holds, and the takeover note when it took one over."""

    session_id: str
    note: str | None = None
    message: str = ""  # what starting the session said


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
        self.clock = clock or DEFAULT
        self.loader = Loader(root, self.config, cache_dir=cache_dir, persist_cache=persist_cache)

    @classmethod
    def open(
        cls, start: Path | str | None = None, *, flags: dict[str, Any] | None = None, **kw: Any
    ) -> Self:
        root = find_root(start)
        return cls(root, load_config(root, flags=flags), **kw)

    @staticmethod
    def init(root: Path) -> Path:
        from kiro_tui.core.templates import CONFIG_TEMPLATE

        ms = root / MS
        for sub in ("active", "completed", "deliverables", "logs", "sessions", "config"):
            (ms / sub).mkdir(parents=True, exist_ok=True)
        cfg = ms / "config" / "kiro-config.yaml"
        if not cfg.exists():
            atomic_write(cfg, CONFIG_TEMPLATE)
        return ms

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
        return self.loader.load_one(path, path.parent.name, mid, False, persisted=False)[0]

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
    def _ctx(self, actor: str | None) -> Ctx:
        return Ctx(
            root=self.root, config=self.config, now=self.clock.now_str(), actor=self.actor(actor)
        )

    def log(
        self,
        mid: str,
        record: dict[str, Any],
        *,
        role: str = "user",
        session_id: str | None = None,
        path: Path | None = None,
    ) -> dict[str, Any]:
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
    ) -> Outcome:
        """Apply a workflow edit to milestone `mid` safely, then log and apply effects.

        `focus_task`: `fn` changes only that task and top-level keys (see safewrite.edit_yaml)."""
        path = self.milestone_path(mid)  # completed ones too (e.g. a late approval note)
        ctx = self._ctx(actor)
        session: list[str | None] = [None]
        started: list[tuple[str, str, Phase]] = []

        def edit(doc: dict[str, Any]) -> Outcome:
            if str(doc.get("id")) != mid:
                raise InvalidFile(
                    f"milestone id {doc.get('id')!r} does not match the file name", file=path
                )
            ex = doc.get("execution")
            sid = ex.get("session_id") if isinstance(ex, dict) else None
            session[0] = str(sid) if is_valid_id(sid) else None
            out = fn(doc, ctx)
            started[:] = []  # the phases that started, as the document now says
            for task_id, phase in out.starters:
                with contextlib.suppress(Exception):
                    raw = workflow.find_task(doc, task_id)["kiro_workflow"]["phases"][phase]
                    started.append((task_id, phase, build_phase(phase, raw, doc, ctx.config, [])))
            return out

        def log_events(out: Outcome) -> None:  # under the lock: the log agrees with the file
            for ev in out.events:
                ev.setdefault("actor", ctx.actor)
                self.log(mid, dict(ev), role=role, session_id=session[0], path=log_path)

        out, _written = edit_yaml(path, edit, focus_task=focus_task, under_lock=log_events)
        for task_id, phase, model in started:
            write_starters(self.root, task_id, phase, model)
        if out.milestone_completed:
            archive_completed(self, mid, path, ctx, session[0])
        return out

    def _phase_act(
        self, mid: str, task_id: str, phase: str, fn: Edit, actor: str | None, kw: dict[str, Any]
    ) -> Outcome:
        check_id(task_id, "task id")
        check_phase(phase)
        return self.act(mid, fn, actor, focus_task=task_id, **kw)

    # ------------------------------------------------------------------ phase actions
    def start_phase(
        self, mid: str, task_id: str, phase: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(
            mid, task_id, phase, lambda d, c: workflow.start_phase(d, task_id, phase, c), actor, kw
        )

    def complete_phase(
        self, mid: str, task_id: str, phase: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(
            mid,
            task_id,
            phase,
            lambda d, c: workflow.complete_phase(d, task_id, phase, c),
            actor,
            kw,
        )

    def approve(
        self,
        mid: str,
        task_id: str,
        phase: str,
        actor: str | None = None,
        note: str | None = None,
        **kw: Any,
    ) -> Outcome:
        out = self._phase_act(
            mid,
            task_id,
            phase,
            lambda d, c: workflow.approve_phase(d, task_id, phase, c, note),
            actor,
            kw,
        )
        keep_decided(self.root, self.milestone(mid), task_id, phase)  # for `d` (review.py)
        return out

    def reject(
        self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        out = self._phase_act(
            mid,
            task_id,
            phase,
            lambda d, c: workflow.reject_phase(d, task_id, phase, c, reason),
            actor,
            kw,
        )
        keep_decided(self.root, self.milestone(mid), task_id, phase)
        return out

    def block(
        self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(
            mid,
            task_id,
            phase,
            lambda d, c: workflow.block_phase(d, task_id, phase, c, reason),
            actor,
            kw,
        )

    def unblock(
        self, mid: str, task_id: str, phase: str, actor: str | None = None, **kw: Any
    ) -> Outcome:
        return self._phase_act(
            mid,
            task_id,
            phase,
            lambda d, c: workflow.unblock_phase(d, task_id, phase, c),
            actor,
            kw,
        )

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
        from kiro_tui.core.deps import unmet_requires

        m = self._loaded(mid)
        if m.finished:
            raise Refused(f"cannot start {mid}: it is {m.status}")
        required: dict[str, Milestone] = {}
        for req in m.requires:
            with contextlib.suppress(KiroError):
                other = self.milestone(req) if is_valid_id(req) else None
                if other is not None and other.id == req:
                    required[req] = other
        unmet = unmet_requires(m, required)
        if unmet:
            raise Refused(
                f"cannot start {mid}: it requires {', '.join(unmet)} to be completed first"
            )
        if m.status == "paused":
            raise Refused(f"cannot start {mid}: it is paused (use 'kiro-tui resume {mid}')")
        live = sessions.read_session(self.root, m.session_id) if m.session_id else None
        ctx = self._ctx(actor)
        new = not (
            live is not None and live.status in ("active", "paused") and m.status == "in_progress"
        )
        sid = sessions.session_id_for(mid, ctx.now) if new or live is None else live.id
        if new:
            sessions.create_session(self.root, mid, sid, ctx.now, ctx.actor)
        out = self.act(
            mid,
            lambda d, c: lifecycle.start_milestone(d, c, mid, sid, new),
            ctx.actor,
            focus_task=TOP_LEVEL,
        )
        atomic_write(self.ms / "active" / "current.txt", f"{mid}\n")
        return out

    def _loaded(self, mid: str) -> Milestone:
        m = self.milestone(mid)
        if m is None:
            raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
        return m

    def _session_for(self, mid: str) -> str:
        m = self._loaded(mid)
        if not m.session_id or sessions.read_session(self.root, m.session_id) is None:
            raise Refused(
                f"milestone {mid} has no execution session (start it with 'kiro-tui start {mid}')"
            )
        return m.session_id

    def pause(self, mid: str, actor: str | None = None) -> Outcome:
        return self._session_edit(mid, lifecycle.pause_milestone, "paused", actor)

    def resume(self, mid: str, actor: str | None = None) -> Outcome:
        return self._session_edit(mid, lifecycle.resume_milestone, "active", actor)

    def _session_edit(
        self,
        mid: str,
        fn: Callable[[dict[str, Any], Ctx, str, str], Outcome],
        status: str,
        actor: str | None,
    ) -> Outcome:
        """Edit the milestone (pause/resume), then set its session's status."""
        sid = self._session_for(mid)
        out = self.act(mid, lambda d, c: fn(d, c, mid, sid), actor, focus_task=TOP_LEVEL)
        ctx = self._ctx(actor)
        sessions.set_session_status(self.root, sid, status, ctx.now, ctx.actor)
        return out

    # ------------------------------------------------------------------ creating
    def new_milestone(
        self,
        mid: str,
        title: str,
        requires: list[str],
        actor: str | None = None,
        description: str | None = None,
    ) -> Path:
        from kiro_tui.core.templates import new_milestone
        from kiro_tui.core.yaml.roundtrip import dump_new

        check_id(mid, "milestone id")
        for r in requires:
            check_id(r, "milestone id")
        if not title.strip():
            raise Refused("a milestone needs a title")
        with contextlib.suppress(NotFound):
            self.milestone_path(mid)
            raise Refused(f"milestone {mid} already exists")
        ctx = self._ctx(actor)
        path = self.ms / "active" / f"{mid}.yaml"
        text = f"# Milestone {mid} - created by kiro-tui\n" + dump_new(
            new_milestone(mid, title, requires, ctx.now, description)
        )
        atomic_write(path, text)
        self.log(
            mid,
            {
                "event": "milestone_created",
                "actor": ctx.actor,
                "message": f"milestone {mid} created: {title}",
            },
        )
        return path

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
        if kind not in TASK_KINDS:
            raise Refused(f"unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}")
        if not title.strip():
            raise Refused("a task needs a title")
        deps = [check_id(d, "task id") for d in depends_on or []]
        out = self.act(
            mid,
            lambda d, c: lifecycle.add_task(d, c, mid, title, kind, deps, task_id, hours),
            actor,
        )
        return str(out.events[-1]["task_id"])

    def migrate(self, mid: str, actor: str | None = None) -> Outcome:
        return self.act(mid, lambda d, c: lifecycle.migrate_milestone(d, c, mid), actor)

    # ------------------------------------------------------------------ the driver
    def claim_driver(self, mid: str, actor: str | None = None) -> DriverClaim:
        """Start or resume `mid`'s session (a paused one stays paused) and become its driver.

        Raises Refused (another live driver, finished milestone, unmet requires) or NotFound."""
        m = self.milestone(mid)
        if m is None:
            self.milestone_path(mid)
            raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
        if m.finished:
            raise Refused(f"milestone {mid} is {m.status}: there is nothing to drive")
        live = sessions.read_session(self.root, m.session_id) if m.session_id else None
        now, takeover = self.clock.now_str(), self.config.thresholds.takeover
        note, sid, message = None, None, f"{mid}: session continues (paused)"
        if live is not None and live.status in ("active", "paused"):
            note = sessions.claim_driver(self.root, live.id, now, takeover)  # may refuse
            sid = live.id
        elif m.status == "paused":
            raise Refused(f"milestone {mid} is paused and has no session to resume")
        if m.status != "paused":  # a paused milestone stays paused until resumed
            try:
                message = self.start_milestone(mid, actor).message
            except KiroError:
                if sid:
                    sessions.release_driver(self.root, sid)
                raise
            fresh = self.milestone(mid)
            new_sid = fresh.session_id if fresh else None
            if not new_sid:
                raise Refused(f"milestone {mid}: no session was created")
            if new_sid != sid:
                if sid:
                    sessions.release_driver(self.root, sid)
                note = sessions.claim_driver(self.root, new_sid, now, takeover)
                sid = new_sid
        assert sid is not None
        return DriverClaim(sid, note, message)

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
        """Push the current branch to `remote` (default `git.remote`): the one push of kiro-tui.

        With `mid`, one `git_push` line goes to the log (`log_path`, else the milestone's): the
        result (`ok`, or `up_to_date` when the remote already had everything) or, when
        `log_refusal`, the refusal. Raises GitBlocked (no_remote, diverged, push_rejected...)."""
        from kiro_tui.core import git as gitops
        from kiro_tui.core.git.repo import GitBlocked

        remote = remote or self.config.git.remote
        if not remote:
            raise GitBlocked(
                "no_remote",
                "no remote to push to",
                "set git.remote (e.g. `git:` then `  remote: origin`) in "
                ".milestones/config/kiro-config.yaml, or pass --remote NAME",
            )
        record: dict[str, Any] = {
            "event": "git_push",
            "remote": remote,
            "branch": gitops.current_branch(self.root),
            "data": data,
        }
        try:
            result = gitops.push(self.root, remote)
        except GitBlocked as exc:
            if mid and log_refusal:
                self.log(
                    mid,
                    {
                        **record,
                        "level": "warning",
                        "message": exc.reason,
                        "result": exc.kind,
                        "suggestion": exc.suggestion or None,
                    },
                    role=role,
                    session_id=session_id,
                    path=log_path,
                )
            raise
        if mid:
            self.log(
                mid,
                {
                    **record,
                    "branch": result.branch,
                    "message": result.message,
                    "sha": result.sha,
                    "result": "ok" if result.pushed else "up_to_date",
                },
                role=role,
                session_id=session_id,
                path=log_path,
            )
        return result
