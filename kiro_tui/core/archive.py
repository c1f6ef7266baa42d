"""Archiving a completed milestone: active/<id>.yaml -> completed/<id>.yaml, never over one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiro_tui.core import sessions
from kiro_tui.core.safewrite import file_lock
from kiro_tui.core.workflow import Ctx

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace


def archive_completed(
    ws: Workspace, mid: str, path: Path, ctx: Ctx, session_id: str | None
) -> None:
    """Move a completed milestone to completed/<id>.yaml: atomically, under the lock of
    active/ (a writer waiting for it then finds the file gone instead of recreating it),
    and never over an existing completed/<id>.yaml (that one stays, this one stays active
    and a warning is logged)."""
    if path.parent.name == "active":
        dest = ws.ms / "completed" / f"{mid}.yaml"
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with file_lock(path):
                os.link(path, dest)  # fails if dest exists: no overwrite
                os.unlink(path)
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
    if ws.current_milestone() == mid:
        with contextlib.suppress(OSError):
            (ws.ms / "active" / "current.txt").unlink()
    if session_id and sessions.session_path(ws.root, session_id).is_file():
        with contextlib.suppress(Exception):
            sessions.set_session_status(ws.root, session_id, "completed", ctx.now, ctx.actor)
