"""Becoming a milestone's driver: the one session a `kiro-tui run` (or dashboard) drives.

`claim` starts or continues the milestone's session (a paused one stays paused) and takes the
driver heartbeat in `sessions/<id>.yaml`, taking over a stale driver with a note."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiro_tui.core import session_repair as repair
from kiro_tui.core import sessions
from kiro_tui.core.deps import unmet_requires
from kiro_tui.core.errors import KiroError, NotFound, Refused
from kiro_tui.core.ids import is_valid_id

if TYPE_CHECKING:
    from kiro_tui.core.model import Milestone
    from kiro_tui.core.service import Workspace


@dataclass(frozen=True, slots=True)
class DriverClaim:
    """The session a driver now holds, and the takeover note when it took one over."""

    session_id: str
    note: str | None = None
    message: str = ""  # what starting the session said


def claim(ws: Workspace, mid: str, actor: str | None = None) -> DriverClaim:
    """See `Workspace.claim_driver`."""
    m = ws.milestone(mid)
    if m is None:
        ws.milestone_path(mid)
        raise NotFound(f"milestone {mid} could not be loaded (run 'kiro-tui validate')")
    if m.finished:
        raise Refused(f"milestone {mid} is {m.status}: there is nothing to drive")
    now, takeover = ws.clock.now_str(), ws.config.thresholds.takeover
    found = repair.session_for(ws.execution_log(mid), ws.root, m, now, "kiro-tui")
    live = sessions.read_session(ws.root, found) if found else None
    note, sid, message = None, None, f"{mid}: session continues (paused)"
    if live is not None and live.status in ("active", "paused"):
        note = sessions.claim_driver(ws.root, live.id, now, takeover)  # may refuse
        sid = live.id
    elif m.status == "paused":
        raise Refused(f"milestone {mid} is paused and has no session to resume")
    if m.status != "paused":  # a paused milestone stays paused until resumed
        try:
            message = ws.start_milestone(mid, actor).message
        except KiroError:
            if sid:
                sessions.release_driver(ws.root, sid)
            raise
        fresh = ws.milestone(mid)
        new_sid = fresh.session_id if fresh else None
        if not new_sid:
            raise Refused(f"milestone {mid}: no session was created")
        if new_sid != sid:
            if sid:
                sessions.release_driver(ws.root, sid)
            note = sessions.claim_driver(ws.root, new_sid, now, takeover)
            sid = new_sid
    assert sid is not None
    return DriverClaim(sid, note, message)


def check_startable(ws: Workspace, m: Milestone) -> None:
    """Refuse to start `m` when it is finished, paused, or a milestone it requires is not done."""
    if m.finished:
        raise Refused(f"cannot start {m.id}: it is {m.status}")
    required: dict[str, Milestone] = {}
    for req in m.requires:
        with contextlib.suppress(KiroError):
            other = ws.milestone(req) if is_valid_id(req) else None
            if other is not None and other.id == req:
                required[req] = other
    unmet = unmet_requires(m, required)
    if unmet:
        raise Refused(f"cannot start {m.id}: it requires {', '.join(unmet)} to be completed first")
    if m.status == "paused":
        raise Refused(f"cannot start {m.id}: it is paused (use 'kiro-tui resume {m.id}')")
