"""Creating things: the `.milestones/` folders, a new milestone file, a new task's checks."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from kiro_tui.core.errors import NotFound, Refused
from kiro_tui.core.ids import check_id
from kiro_tui.core.model import TASK_KINDS
from kiro_tui.core.root import MS
from kiro_tui.core.safewrite import atomic_write

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace


def init_workspace(root: Path) -> Path:
    from kiro_tui.core.templates import CONFIG_TEMPLATE

    ms = root / MS
    for sub in ("active", "completed", "deliverables", "logs", "sessions", "config"):
        (ms / sub).mkdir(parents=True, exist_ok=True)
    cfg = ms / "config" / "kiro-config.yaml"
    if not cfg.exists():
        atomic_write(cfg, CONFIG_TEMPLATE)
    return ms


def new_milestone(
    ws: Workspace,
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
        if r == mid or not _exists(ws, r):
            raise Refused(f"cannot create {mid}: there is no milestone {r!r} to require")
    if not title.strip():
        raise Refused("a milestone needs a title")
    with contextlib.suppress(NotFound):
        ws.milestone_path(mid)
        raise Refused(f"milestone {mid} already exists")
    ctx = ws.context(actor)
    path = ws.ms / "active" / f"{mid}.yaml"
    text = f"# Milestone {mid} - created by kiro-tui\n" + dump_new(
        new_milestone(mid, title, requires, ctx.now, description)
    )
    atomic_write(path, text)
    ws.log(
        mid,
        {
            "event": "milestone_created",
            "actor": ctx.actor,
            "message": f"milestone {mid} created: {title}",
        },
    )
    return path


def _exists(ws: Workspace, mid: str) -> bool:
    """Whether milestone `mid` has a file (active, completed or the archive folder)."""
    try:
        ws.milestone_path(mid)
    except NotFound:
        return False
    except Refused:  # the archive folder form: it exists
        pass
    return True


def check_new_task(title: str, kind: str, depends_on: list[str]) -> list[str]:
    """Refuse a task the workflow could not use; returns its checked dependencies."""
    if kind not in TASK_KINDS:
        raise Refused(f"unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}")
    if not title.strip():
        raise Refused("a task needs a title")
    return [check_id(d, "task id") for d in depends_on]


def add_task(
    ws: Workspace,
    mid: str,
    title: str,
    kind: str,
    depends_on: list[str],
    actor: str | None,
    task_id: str | None,
    hours: float,
) -> str:
    """Workspace.add_task: the new task's id."""
    from kiro_tui.core import lifecycle

    deps = check_new_task(title, kind, depends_on)
    out = ws.act(
        mid,
        lambda d, c: lifecycle.add_task(d, c, mid, title, kind, deps, task_id, hours),
        actor,
    )
    return str(out.events[-1]["task_id"])
