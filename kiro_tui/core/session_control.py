"""Starting, pausing and resuming a milestone's execution session (the user's side; the driver's
claim is in `driving`). Each is one milestone edit plus the session file, never a second session:
a session named in the milestone is adopted (see `session_repair`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiro_tui.core import driving, lifecycle, sessions
from kiro_tui.core import session_repair as repair
from kiro_tui.core.errors import NotFound, Refused
from kiro_tui.core.model import Milestone
from kiro_tui.core.safewrite import atomic_write
from kiro_tui.core.workflow import Ctx, Outcome
from kiro_tui.core.yaml.focused_edit import TOP_LEVEL

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace

SessionEdit = Callable[[dict[str, Any], Ctx, str, str], Outcome]


def loaded(ws: Workspace, mid: str) -> Milestone:
    m = ws.milestone(mid)
    if m is None:
        raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
    return m


def start(ws: Workspace, mid: str, actor: str | None) -> Outcome:
    """Start (or continue) a session: checks `requires`, writes session and current.txt."""
    m = loaded(ws, mid)
    driving.check_startable(ws, m)
    ctx = ws.context(actor)
    sid, new = repair.prepare_start(  # adopts; never a second session
        ws.execution_log(mid), ws.root, m, ctx.now, ctx.actor
    )
    out = ws.act(
        mid,
        lambda d, c: lifecycle.start_milestone(d, c, mid, sid, new),
        ctx.actor,
        focus_task=TOP_LEVEL,
    )
    atomic_write(ws.ms / "active" / "current.txt", f"{mid}\n")
    return out


def session_for(ws: Workspace, mid: str) -> str:
    """The session of `mid` (adopted or repaired when the original left it half written)."""
    m, ctx = loaded(ws, mid), ws.context(None)
    sid = repair.session_for(ws.execution_log(mid), ws.root, m, ctx.now, ctx.actor)
    if sid is None:
        raise Refused(
            f"milestone {mid} has no execution session (start it with 'kiro-tui start {mid}')"
        )
    return sid


def pause(ws: Workspace, mid: str, actor: str | None) -> Outcome:
    return _session_edit(ws, mid, lifecycle.pause_milestone, "paused", actor)


def resume(ws: Workspace, mid: str, actor: str | None) -> Outcome:
    return _session_edit(ws, mid, lifecycle.resume_milestone, "active", actor)


def _session_edit(
    ws: Workspace, mid: str, fn: SessionEdit, status: str, actor: str | None
) -> Outcome:
    """Edit the milestone (pause/resume); its session's status is set under the same lock,
    after the event line (intent.finish_sessions), and again here when it did not agree."""
    sid = session_for(ws, mid)
    out = ws.act(mid, lambda d, c: fn(d, c, mid, sid), actor, focus_task=TOP_LEVEL)
    live = sessions.read_session(ws.root, sid)
    if live is None or live.status != status:
        ctx = ws.context(actor)
        sessions.set_session_status(ws.root, sid, status, ctx.now, ctx.actor)
    return out
