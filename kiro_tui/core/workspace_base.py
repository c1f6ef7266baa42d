"""The base of `service.Workspace`: reading the workspace and the core of every action."""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from kiro_tui.core import clock, events, safeio, sessions, workflow
from kiro_tui.core import deliverables as dl
from kiro_tui.core.config import Config, load_config
from kiro_tui.core.errors import InvalidFile, KiroError, NotFound, Refused
from kiro_tui.core.ids import check_id, is_valid_id
from kiro_tui.core.model import Milestone
from kiro_tui.core.parse import build_phase
from kiro_tui.core.root import MS, find_root
from kiro_tui.core.safewrite import edit_yaml, file_lock
from kiro_tui.core.store import Loader, WorkspaceState
from kiro_tui.core.workflow import Ctx, Outcome


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
    overwritten by a half-written starter file; never through a link (safecreate.create_new)."""
    from kiro_tui.core import safecreate

    return safecreate.create_new(target, text.encode("utf-8"))

class WorkspaceBase:
    """What every action builds on: the paths, loading, and `act` (edit, log, effects)."""

    def __init__(self, root: Path, config: Config | None = None, *,
                 persist_cache: bool = True, cache_dir: Path | None = None) -> None:
        self.root = root
        self.ms = root / MS
        self.config = config or load_config(root)
        self.loader = Loader(root, self.config, cache_dir=cache_dir, persist_cache=persist_cache)

    @classmethod
    def open(cls, start: Path | str | None = None, *, flags: dict[str, Any] | None = None,
             **kw: Any) -> Self:
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
            text = safeio.read_text(self.ms / "active" / "current.txt", self.root,
                                    max_bytes=4096).strip()
        except (OSError, ValueError, KiroError):
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
        path = self.milestone_path(mid)  # completed ones too (e.g. a late approval note)
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

        def log_events(out: Outcome) -> None:  # under the lock: the log agrees with the file
            for ev in out.events:
                ev.setdefault("actor", ctx.actor)
                self.log(mid, dict(ev), role=role, session_id=session[0], path=log_path)

        out, _written = edit_yaml(path, edit, focus_task=focus_task, under_lock=log_events)
        for task_id, phase, model in started:
            self._write_starters(task_id, phase, model)
        if out.milestone_completed:
            self._archive(mid, path, ctx, session[0])
        return out

    def _write_starters(self, task_id: str, phase: str, ph: Any) -> None:
        """Create the phase folder and a starter file (with the template marker) for each
        deliverable of phase model `ph` that does not exist yet."""
        from kiro_tui.core.templates import starter_text

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
