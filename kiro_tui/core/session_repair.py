"""Which session an action works on, and repairing what a crash (or the original `/milestone/*`
commands) left between a milestone and its session file.

Start and pause touch two files (the milestone, with its event line, and `sessions/<id>.yaml`).
`start` writes the session file first, then the milestone; `pause` and `resume` the milestone
first, then the session (under the milestone's lock, before their intent record goes: a kill
in between is finished by intent.settle). A `kill -9` between the two leaves one of these,
which the next action repairs:

- a session file of the milestone that the milestone does not name (start killed before the
  milestone was written): the next start adopts it instead of making a second session;
- a milestone that names a session whose file is missing (start killed after the milestone, or
  a milestone the original commands activated: their session file is optional): pause,
  resume and start create the record under that id, never a second session, and log
  `session_adopted`;
- a milestone paused (or resumed) whose session file still says otherwise (pause killed before
  the session was written): the next session action finishes it from the milestone's status,
  when the event log's latest pause/resume agrees with the milestone (otherwise the file lost
  a decision, and decisions.reapply is the one to settle it).
"""

from __future__ import annotations

import os
from pathlib import Path

from kiro_tui.core import events, sessions
from kiro_tui.core.ids import is_valid_id
from kiro_tui.core.model import Milestone
from kiro_tui.core.root import MS

LIVE = ("active", "paused")


def orphan_session(root: Path, mid: str) -> sessions.Session | None:
    """The newest live session file of `mid` (a start killed before the milestone named it)."""
    folder = root / MS / "sessions"
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    prefix = f"exec-{mid}-"
    found: list[sessions.Session] = []
    for n in names:
        if not (n.startswith(prefix) and n.endswith(".yaml")) or not is_valid_id(n[:-5]):
            continue
        s = sessions.read_session(root, n[:-5])
        if s is not None and s.milestone_id == mid and s.status in LIVE:
            found.append(s)
    return max(found, key=lambda s: (s.started_at or "", s.id)) if found else None


def prepare_start(ws_log: Path, root: Path, m: Milestone, now: str, actor: str) -> tuple[str, bool]:
    """The session `start` uses for `m`, its file written when needed (before the milestone:
    a crash in between leaves an orphan that the next start adopts): the one `m` names (its
    record made if missing), an orphan of an interrupted start, or a new one. Returns (id,
    whether it is new to the milestone: its `milestone_started` event and `started_at`)."""
    named = m.session_id if is_valid_id(m.session_id) else None
    if named and m.status in ("in_progress", "paused"):
        live = sessions.read_session(root, named)
        if live is None:
            adopt(ws_log, root, m, named, now, actor)  # never a second session
            return named, False
        if live.status in LIVE:
            return named, False
    orphan = orphan_session(root, m.id)
    if orphan is not None and orphan.id != named:
        return orphan.id, True
    sid = sessions.session_id_for(m.id, now)
    sessions.create_session(root, m.id, sid, now, actor)
    return sid, True


def adopt(ws_log: Path, root: Path, m: Milestone, sid: str, now: str, actor: str) -> bool:
    """Create the missing record of session `sid` named by `m` (status from the milestone);
    True when it was created (and `session_adopted` logged)."""
    if sessions.read_session(root, sid) is not None:
        return False
    sessions.create_session(root, m.id, sid, m.started_at or now, actor)
    if m.status == "paused":
        sessions.set_session_status(root, sid, "paused", now, actor)
    events.append(
        ws_log,
        {
            "timestamp": now,
            "event": "session_adopted",
            "milestone_id": m.id,
            "session_id": sid,
            "role": "user",
            "level": "info",
            "actor": actor,
            "message": f"{m.id}: session {sid} adopted (its record was missing)",
        },
    )
    return True


def session_for(ws_log: Path, root: Path, m: Milestone, now: str, actor: str) -> str | None:
    """The session pause and resume work on: the one `m` names (its record created when
    missing) or an orphan of an interrupted start; None when `m` has none. A half-done pause
    or resume is finished first."""
    sid = m.session_id if is_valid_id(m.session_id) else None
    if sid is None and m.status in ("in_progress", "paused"):
        orphan = orphan_session(root, m.id)
        sid = orphan.id if orphan is not None else None
    if sid is None or m.status not in ("in_progress", "paused"):
        return sid if sid and sessions.read_session(root, sid) is not None else None
    if not adopt(ws_log, root, m, sid, now, actor):
        finish_half_done(ws_log, root, m, sid, now, actor)
    return sid


def finish_half_done(
    ws_log: Path, root: Path, m: Milestone, sid: str, now: str, actor: str
) -> bool:
    """Set the session's status from the milestone's after a pause or resume that was killed
    between its two files; True when it did."""
    live = sessions.read_session(root, sid)
    if live is None or live.status not in LIVE:
        return False
    want = {"paused": "paused", "in_progress": "active"}.get(m.status)
    if want is None or live.status == want:
        return False
    last = None
    for ev in events.read_all(ws_log).events:
        if ev.event in ("session_paused", "session_resumed") and ev.milestone_id in (None, m.id):
            last = ev.event
    if last != ("session_paused" if want == "paused" else "session_resumed"):
        return False  # the log does not say so: a lost decision, not a half-done action
    sessions.set_session_status(root, sid, want, now, actor)
    return True
