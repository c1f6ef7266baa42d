"""The one API that the CLI, the dashboard and the agent roles call to change anything.

Every change is: lock, re-read, check, edit, atomic write, then one log line per event.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiro_tui.core import clock, events, sessions, workflow
from kiro_tui.core import deliverables as dl
from kiro_tui.core.config import Config, load_config
from kiro_tui.core.errors import InvalidFile, KiroError, NotFound, Refused
from kiro_tui.core.ids import check_id, check_phase, is_valid_id, task_id_from_title
from kiro_tui.core.model import TASK_KINDS, Milestone, norm_milestone_status
from kiro_tui.core.modelbuild import build_phase
from kiro_tui.core.safewrite import atomic_write, edit_yaml, file_lock
from kiro_tui.core.store import MS, Loader, WorkspaceState, find_root
from kiro_tui.core.workflow import Ctx, Outcome
from kiro_tui.core.yamlio import quote_like


def default_actor(root: Path | None = None) -> str:
    """git's user.name (repository, then global), else the login name."""
    for key in ("KIRO_USER", "GIT_AUTHOR_NAME"):
        if os.environ.get(key):
            return os.environ[key]
    try:
        import pygit2

        cfg: pygit2.Config | None = None
        if root is not None:
            with contextlib.suppress(Exception):
                cfg = pygit2.Repository(str(root)).config
        if cfg is None:
            cfg = pygit2.Config.get_global_config()
        name = cfg["user.name"]
        if name:
            return str(name)
    except Exception:
        pass
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def create_whole(target: Path, text: str) -> bool:
    """Create `target` with all of `text` at once, unless it exists (then leave it alone).

    Written to a temporary file first and linked into place, so that a writer racing with us
    (an agent writing the real deliverable as the phase starts) never gets its content
    overwritten by a half-written starter file."""
    tmp = target.with_name(f".{target.name}.tmp.{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here: fall back to an exclusive create
        try:
            with open(target, "x", encoding="utf-8") as fh:
                fh.write(text)
            return True
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


class Workspace:
    """A `.milestones/` workspace: loading for display and every action that changes it."""

    def __init__(self, root: Path, config: Config | None = None, *,
                 persist_cache: bool = True, cache_dir: Path | None = None) -> None:
        self.root = root
        self.ms = root / MS
        self.config = config or load_config(root)
        self.loader = Loader(root, self.config, cache_dir=cache_dir, persist_cache=persist_cache)

    @classmethod
    def open(cls, start: Path | str | None = None, *, flags: dict[str, Any] | None = None,
             **kw: Any) -> Workspace:
        root = find_root(start)
        return cls(root, load_config(root, flags=flags), **kw)

    # ------------------------------------------------------------------ reading
    def load(self) -> WorkspaceState:
        return self.loader.load()

    def milestone_path(self, mid: str) -> Path:
        check_id(mid, "milestone id")
        for p in (self.ms / "active" / f"{mid}.yaml", self.ms / "active" / f"{mid}.yml",
                  self.ms / "completed" / f"{mid}.yaml", self.ms / "completed" / f"{mid}.yml"):
            if p.is_file():
                return p
        if (self.ms / "completed" / mid / "definition.yaml").is_file():
            raise Refused(f"milestone {mid} is archived (completed/{mid}/definition.yaml) and is "
                          "read only")
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
            text = (self.ms / "active" / "current.txt").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        first = text.splitlines()[0].strip() if text else ""
        return first if is_valid_id(first) else None

    def execution_log(self, mid: str) -> Path:
        return self.ms / "logs" / f"execution-{check_id(mid, 'milestone id')}.jsonl"

    # ------------------------------------------------------------------ core of every action
    def _ctx(self, actor: str | None) -> Ctx:
        return Ctx(root=self.root, config=self.config, now=clock.now_str(),
                   actor=actor or default_actor(self.root))

    def log(self, mid: str, record: dict[str, Any], *, role: str = "user",
            session_id: str | None = None, path: Path | None = None) -> dict[str, Any]:
        rec: dict[str, Any] = {"timestamp": record.pop("timestamp", None) or clock.now_str(),
                               "event": record.pop("event")}
        rec["milestone_id"] = mid
        if session_id:
            rec["session_id"] = session_id
        rec.update({k: v for k, v in record.items() if v is not None})
        rec.setdefault("role", role)
        rec.setdefault("level", "info")
        return events.append(path or self.execution_log(mid), rec)

    def _session_of(self, doc: dict[str, Any]) -> str | None:
        ex = doc.get("execution")
        sid = ex.get("session_id") if isinstance(ex, dict) else None
        return str(sid) if is_valid_id(sid) else None

    def act(self, mid: str, fn: Callable[[dict[str, Any], Ctx], Outcome], actor: str | None = None,
            *, role: str = "user", log_path: Path | None = None,
            focus_task: str | None = None) -> Outcome:
        """Apply a workflow function to milestone `mid` safely, then log and apply effects.

        `focus_task`: `fn` changes only that task and top-level keys (see safewrite.edit_yaml)."""
        path = self.milestone_path(mid)
        if path.parent.name == "completed":
            pass  # completed milestones may still be edited (e.g. a late approval note)
        ctx = self._ctx(actor)
        session: list[str | None] = [None]
        started: list[tuple[str, str, Any]] = []

        def edit(doc: dict[str, Any]) -> Outcome:
            if str(doc.get("id")) != mid:
                raise InvalidFile(f"milestone id {doc.get('id')!r} does not match the file name",
                                  file=path)
            session[0] = self._session_of(doc)
            out = fn(doc, ctx)
            # the phases that started, as the document now says (no reload of the workspace)
            started[:] = []
            for task_id, phase in out.starters:
                with contextlib.suppress(Exception):
                    raw = workflow.find_task(doc, task_id)["kiro_workflow"]["phases"][phase]
                    started.append((task_id, phase, build_phase(phase, raw, doc, ctx.config, [])))
            return out

        out, _written = edit_yaml(path, edit, focus_task=focus_task)
        for task_id, phase, model in started:
            self._write_starters(mid, task_id, phase, model)
        for ev in out.events:
            ev.setdefault("actor", ctx.actor)
            self.log(mid, dict(ev), role=role, session_id=session[0], path=log_path)
        if out.milestone_completed:
            self._archive(mid, path, ctx, session[0])
        return out

    def _write_starters(self, mid: str, task_id: str, phase: str, model: Any = None) -> None:
        """Create the phase folder and a starter file (with the template marker) for each
        deliverable that does not exist yet."""
        from kiro_tui.core.templates import starter_text

        ph = model
        if ph is None:
            state = self.load()
            m = state.milestone(mid)
            task = m.task(task_id) if m else None
            ph = task.phase(phase) if task else None
        if ph is None:
            return
        folder = dl.phase_dir(self.root, task_id, phase)
        if not dl._inside(self.root, os.path.realpath(folder)):
            return  # a link on the way leads out of the repository: write nothing there
        folder.mkdir(parents=True, exist_ok=True)
        for d in ph.deliverables:
            if d.path is not None:
                continue
            try:
                target = dl.resolve(self.root, task_id, phase, d)
            except Exception:
                continue
            text = starter_text(d.name, task_id, phase)
            if text is None or target.exists():
                continue
            create_whole(target, text)

    def _archive(self, mid: str, path: Path, ctx: Ctx, session_id: str | None) -> None:
        """Move a completed milestone to completed/<id>.yaml: atomically, under the lock of
        active/ (a writer waiting for it then finds the file gone instead of recreating it),
        and never over an existing completed/<id>.yaml (that one stays, this one stays active
        and a warning is logged)."""
        if path.parent.name == "active":
            dest = self.ms / "completed" / f"{mid}.yaml"
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with file_lock(path):
                    os.link(path, dest)  # fails if dest exists: no overwrite
                    os.unlink(path)
            except FileExistsError:
                self.log(mid, {"event": "archive_conflict", "level": "warning",
                               "actor": ctx.actor,
                               "message": f"{mid} is completed but completed/{mid}.yaml already "
                                          "exists; the file stays in active/"},
                         session_id=session_id)
            except OSError:  # no hard links here (some file systems): rename, still no clobber
                if not dest.exists():
                    os.replace(path, dest)
        if self.current_milestone() == mid:
            with contextlib.suppress(OSError):
                (self.ms / "active" / "current.txt").unlink()
        if session_id and sessions.session_path(self.root, session_id).is_file():
            with contextlib.suppress(Exception):
                sessions.set_session_status(self.root, session_id, "completed", ctx.now, ctx.actor)

    # ------------------------------------------------------------------ phase actions
    def start_phase(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                    **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.start_phase(d, task_id, phase, c), actor,
                        focus_task=task_id, **kw)

    def complete_phase(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                       **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.complete_phase(d, task_id, phase, c), actor,
                        focus_task=task_id, **kw)

    def approve(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                note: str | None = None, **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.approve_phase(d, task_id, phase, c, note),
                        actor, focus_task=task_id, **kw)

    def reject(self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None,
               **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.reject_phase(d, task_id, phase, c, reason),
                        actor, focus_task=task_id, **kw)

    def block(self, mid: str, task_id: str, phase: str, reason: str, actor: str | None = None,
              **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.block_phase(d, task_id, phase, c, reason),
                        actor, focus_task=task_id, **kw)

    def unblock(self, mid: str, task_id: str, phase: str, actor: str | None = None,
                **kw: Any) -> Outcome:
        check_id(task_id, "task id"), check_phase(phase)
        return self.act(mid, lambda d, c: workflow.unblock_phase(d, task_id, phase, c), actor,
                        focus_task=task_id, **kw)

    # ------------------------------------------------------------------ milestone actions
    def start_milestone(self, mid: str, actor: str | None = None) -> Outcome:
        """Start (or continue) a session: checks `requires`, writes session and current.txt."""
        from kiro_tui.core.deps import unmet_requires

        m = self.milestone(mid)
        if m is None:
            raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
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
            raise Refused(f"cannot start {mid}: it requires {', '.join(unmet)} to be completed "
                          "first")
        if m.status == "paused":
            raise Refused(f"cannot start {mid}: it is paused (use 'kiro-tui resume {mid}')")
        existing = m.session_id
        live = sessions.read_session(self.root, existing) if existing else None
        ctx = self._ctx(actor)
        if live is not None and live.status in ("active", "paused") and m.status == "in_progress":
            sid = live.id
            new = False
        else:
            sid = sessions.session_id_for(mid, ctx.now)
            new = True

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from ruamel.yaml.comments import CommentedMap

            out = Outcome(message=f"{mid}: session {sid} started" if new else
                          f"{mid}: session {sid} continues")
            if norm_milestone_status(doc.get("status")) != "in_progress":
                doc["status"] = "in_progress"
            ex = doc.get("execution")
            if not isinstance(ex, dict):
                doc["execution"] = ex = CommentedMap()
            if not ex.get("started_at"):
                ex["started_at"] = quote_like(c.now, ex, doc)
            ex["session_id"] = quote_like(sid, ex, doc)
            if new:
                out.add("milestone_started", session_id=sid, actor=c.actor, message=out.message)
            return out

        if new:
            sessions.create_session(self.root, mid, sid, ctx.now, ctx.actor)
        out = self.act(mid, fn, ctx.actor)
        atomic_write(self.ms / "active" / "current.txt", f"{mid}\n")
        return out

    def _session_for(self, mid: str) -> str:
        m = self.milestone(mid)
        if m is None:
            raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
        if not m.session_id or sessions.read_session(self.root, m.session_id) is None:
            raise Refused(f"milestone {mid} has no execution session (start it with "
                          f"'kiro-tui start {mid}')")
        return m.session_id

    def pause(self, mid: str, actor: str | None = None) -> Outcome:
        sid = self._session_for(mid)

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            status = norm_milestone_status(doc.get("status"))
            if status == "paused":
                raise Refused(f"milestone {mid} is already paused")
            if status != "in_progress":
                raise Refused(f"cannot pause {mid}: it is {status}, not in_progress")
            doc["status"] = "paused"
            out = Outcome(message=f"{mid}: paused by {c.actor}")
            out.add("session_paused", session_id=sid, actor=c.actor, message=out.message)
            return out

        out = self.act(mid, fn, actor)
        ctx = self._ctx(actor)
        sessions.set_session_status(self.root, sid, "paused", ctx.now, ctx.actor)
        return out

    def resume(self, mid: str, actor: str | None = None) -> Outcome:
        sid = self._session_for(mid)

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            status = norm_milestone_status(doc.get("status"))
            if status != "paused":
                raise Refused(f"cannot resume {mid}: it is {status}, not paused")
            doc["status"] = "in_progress"
            out = Outcome(message=f"{mid}: resumed by {c.actor}")
            out.add("session_resumed", session_id=sid, actor=c.actor, message=out.message)
            return out

        out = self.act(mid, fn, actor)
        ctx = self._ctx(actor)
        sessions.set_session_status(self.root, sid, "active", ctx.now, ctx.actor)
        return out

    # ------------------------------------------------------------------ creating things
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

    def new_milestone(self, mid: str, title: str, requires: list[str],
                      actor: str | None = None, description: str | None = None) -> Path:
        from kiro_tui.core.templates import new_milestone
        from kiro_tui.core.yamlio import dump_new

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
            new_milestone(mid, title, requires, ctx.now, description))
        atomic_write(path, text)
        self.log(mid, {"event": "milestone_created", "actor": ctx.actor,
                       "message": f"milestone {mid} created: {title}"})
        return path

    def add_task(self, mid: str, title: str, kind: str = "feature",
                 depends_on: list[str] | None = None, actor: str | None = None,
                 task_id: str | None = None, hours: float = 8) -> str:
        from kiro_tui.core.templates import new_task

        if kind not in TASK_KINDS:
            raise Refused(f"unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}")
        if not title.strip():
            raise Refused("a task needs a title")
        deps = [check_id(d, "task id") for d in depends_on or []]
        new_id: list[str] = []

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from ruamel.yaml.comments import CommentedSeq

            from kiro_tui.core.modelbuild import milestone_gates, milestone_weights

            tasks = doc.get("tasks")
            if not isinstance(tasks, list):
                doc["tasks"] = tasks = CommentedSeq()
            ids = {str(t.get("id")) for t in tasks if isinstance(t, dict)}
            for d in deps:
                if d not in ids:
                    raise Refused(f"cannot add task: {mid} has no task {d!r} to depend on")
            tid = check_id(task_id, "task id") if task_id is not None else task_id_from_title(title, ids)
            if tid in ids:
                raise Refused(f"milestone {mid} already has a task {tid}")
            tasks.append(new_task(tid, title, kind, deps, self.config, c.now, hours,
                                  milestone_weights(doc, self.config),
                                  milestone_gates(doc, self.config)))
            prog = doc.get("progress")
            if isinstance(prog, dict) and "total_tasks" in prog:
                prog["total_tasks"] = len(tasks)
            new_id.append(tid)
            out = Outcome(message=f"{mid}: task {tid} added")
            out.add("task_added", task_id=tid, actor=c.actor, message=out.message)
            return out

        self.act(mid, fn, actor)
        return new_id[0]

    def migrate(self, mid: str, actor: str | None = None) -> Outcome:
        from kiro_tui.core.templates import kiro_workflow
        from kiro_tui.core.workflow import migrate_task

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from kiro_tui.core.modelbuild import milestone_gates, milestone_weights

            kc = doc.get("kiro_configuration")
            level = kc.get("enforcement") if isinstance(kc, dict) else None
            level = level if level in ("strict", "flexible", "progressive") else \
                self.config.enforcement
            weights = milestone_weights(doc, self.config)
            gates = milestone_gates(doc, self.config)
            out = Outcome()
            moved = []
            for t in doc.get("tasks") or []:
                if isinstance(t, dict) and migrate_task(
                        t, level, lambda task, h: kiro_workflow(str(task.get("kind") or "feature"),
                                                                h, self.config, weights, gates)):
                    moved.append(str(t.get("id")))
                    out.add("task_migrated", task_id=str(t.get("id")), actor=c.actor,
                            message=f"{t.get('id')} migrated to kiro phases ({level})")
            out.message = (f"{mid}: migrated {', '.join(moved)} ({level})" if moved else
                           f"{mid}: nothing to migrate under enforcement '{level}'")
            return out

        return self.act(mid, fn, actor)

    # ------------------------------------------------------------------ used by the roles
    def write_progress(self, mid: str, percentage: int, completed: int, total: int,
                       **kw: Any) -> Outcome:
        """Keep `progress` true; writes nothing when the values are already there."""

        def fn(doc: dict[str, Any], c: Ctx) -> Outcome:
            from ruamel.yaml.comments import CommentedMap

            prog = doc.get("progress")
            if not isinstance(prog, dict):
                doc["progress"] = prog = CommentedMap()
            done_key = "completed_tasks" if "completed_tasks" in prog and \
                "tasks_completed" not in prog else "tasks_completed"
            want = {"percentage": percentage, done_key: completed, "total_tasks": total}
            if any(prog.get(k) != v for k, v in want.items()):
                prog.update(want)
                prog["last_update"] = quote_like(c.now, prog, doc)
            return Outcome()

        return self.act(mid, fn, "kiro-tui", **kw)

    def phase_model(self, mid: str, task_id: str, phase: str) -> Any:
        m = self.milestone(mid)
        t = m.task(task_id) if m else None
        if t is None:
            raise NotFound(f"no task {task_id!r} in milestone {mid!r}")
        p = t.phase(phase)
        if p is None:
            raise Refused(f"task {task_id} has no kiro phases")
        return p


__all__ = ["Workspace", "build_phase", "default_actor"]
