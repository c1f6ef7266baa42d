"""Archiving a completed milestone: active/<id>.yaml -> completed/<id>.yaml, never over one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiro_tui.core import sessions
from kiro_tui.core.completion_commit import commit_completion, wanted
from kiro_tui.core.lock import file_lock
from kiro_tui.core.workflow import Ctx

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace


def archive_completed(
    ws: Workspace,
    mid: str,
    path: Path,
    ctx: Ctx,
    session_id: str | None,
    *,
    commit: bool = True,
) -> str:
    """Move a completed milestone to completed/<id>.yaml: atomically, under the lock of
    active/ (a writer waiting for it then finds the file gone instead of recreating it),
    and never over an existing completed/<id>.yaml (that one stays, this one stays active
    and a warning is logged); then, with `commit` (an action by hand, not by a driver's role,
    whose git_integration commits the completed task with the move), commit the completion
    (core/completion_commit.py). Returns what to tell the user: where the file went and the
    commit."""
    said: list[str] = []
    where = path
    commit = commit and wanted(ws)
    m = ws.milestone(mid) if commit else None
    title = m.title if m is not None else None
    if path.parent.name == "active":
        dest = ws.ms / "completed" / f"{mid}.yaml"
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with file_lock(path):
                os.link(path, dest)  # fails if dest exists: no overwrite
                os.unlink(path)
            where = dest
        except FileExistsError:
            ws.log(
                mid,
                {
                    "event": "archive_conflict",
                    "level": "warning",
                    "actor": ctx.actor,
                    "message": f"{mid} is completed but completed/{mid}.yaml already "
                    "exists; the file stays in active/",
                },
                session_id=session_id,
            )
        except OSError:  # no hard links here (some file systems): rename, still no clobber
            if not dest.exists():
                os.replace(path, dest)
                where = dest
    if where != path:
        said.append(f"moved to completed/{where.name}")
    extra: tuple[str, ...] = ()
    if ws.current_milestone() == mid:
        with contextlib.suppress(OSError):
            (ws.ms / "active" / "current.txt").unlink()
            extra = ("active/current.txt",)
    if session_id and sessions.session_path(ws.root, session_id).is_file():
        with contextlib.suppress(Exception):
            sessions.set_session_status(ws.root, session_id, "completed", ctx.now, ctx.actor)
    if commit:
        said.append(commit_completion(ws, mid, where, ctx, session_id, title, extra))
    return "; ".join(x for x in said if x)
