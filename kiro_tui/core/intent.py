"""An action's intent: the log lines it is about to append, written before its milestone rename.

An action is: lock, edit, rename the milestone, append its event lines, unlock. A `kill -9`
between the rename and the last line leaves a milestone that says more than its log (a pause
with no `session_paused` line). Without more, that state looks exactly like the opposite case
that decisions.reapply handles (an unlocked writer put an older copy of the milestone back, so
the log is newer than the file, and the log wins): a half-done pause would read as a lost
resume, and be undone.

So just before the rename, the action writes `logs/.ahead-<id>.json`: the exact records it will
append and the SHA-256 of the milestone text before and after its edit. Once its lines are
appended (still under the lock) it removes the record. The next action on the milestone, as
soon as it holds the lock (`settle`), finds a record left behind by a killed one and decides:

- the file is the text the killed action wrote: the rename happened; the records not yet in
  the log are appended (none twice), the session file of a pause or resume is set to agree;
- the file is the text from before: the rename never happened; the record is dropped;
- neither (an outside writer wrote since): the records are appended when the file still shows
  their effect (`_reflects`: a pause is still paused, an approval still approved at its time),
  else dropped (the action was never acknowledged, and the file does not hold it).

Only then are lost decisions looked for, so a half-done action is completed, never taken for a
lost decision. The record is not fsynced: it guards against a killed process, whose writes the
page cache keeps, not against a power cut.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core import events, safeio, sessions
from kiro_tui.core.errors import KiroError

if TYPE_CHECKING:
    from kiro_tui.core.service import Workspace

SESSION_STATUS = {"session_paused": "paused", "session_resumed": "active"}
_PHASE_TIME = {
    "phase_started": "started_at",
    "phase_completed": "completed_at",
    "phase_approved": "approved_at",
    "phase_rejected": "rejected_at",
    "phase_blocked": "blocked_at",
}


def path_of(ms: Path, mid: str) -> Path:
    return ms / "logs" / f".ahead-{mid}.json"


def sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def write(path: Path, root: Path, log: Path, old: str, new: str, records: list[Any]) -> None:
    """Write the intent record (never through a link: O_NOFOLLOW in a folder inside the repo).
    A record torn by a kill is unreadable, which `settle` takes as "no rename yet": it is
    written in full before the rename."""
    body = {
        "log": os.path.relpath(log, root),
        "old": sha(old),
        "new": sha(new),
        "records": records,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    dfd = safeio.open_dir(path.parent, root)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
        fd = os.open(path.name, flags | os.O_CLOEXEC, 0o644, dir_fd=dfd)
        try:
            os.write(fd, raw)
        finally:
            os.close(fd)
    finally:
        os.close(dfd)


def clear(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _read(path: Path, root: Path) -> dict[str, Any] | None:
    try:
        raw = safeio.read_bytes(path, root, max_bytes=16 << 20)
    except FileNotFoundError:
        return None
    except (OSError, KiroError):
        clear(path)  # a link or a FIFO planted under our name: never ours, never followed
        return None
    try:
        rec = json.loads(raw)
    except ValueError:
        rec = None
    if not (isinstance(rec, dict) and isinstance(rec.get("records"), list)):
        clear(path)  # torn: written by an action killed before its rename
        return None
    return rec


def _phase(doc: dict[str, Any], tid: Any, phase: Any) -> dict[str, Any]:
    for t in doc.get("tasks") or []:
        if isinstance(t, dict) and t.get("id") == tid:
            wf = t.get("kiro_workflow")
            phases = wf.get("phases") if isinstance(wf, dict) else None
            pm = phases.get(phase) if isinstance(phases, dict) else None
            return pm if isinstance(pm, dict) else {}
    return {}


def _reflects(doc: dict[str, Any], rec: dict[str, Any]) -> bool:
    """Whether `doc` still shows the effect of the event `rec` (see the module's third case)."""
    from kiro_tui.core.model import norm_milestone_status

    ev = rec.get("event")
    if ev in SESSION_STATUS:
        want = "paused" if ev == "session_paused" else "in_progress"
        return norm_milestone_status(doc.get("status")) == want
    if ev == "milestone_started":
        ex = doc.get("execution")
        return isinstance(ex, dict) and ex.get("session_id") == rec.get("session_id")
    key = _PHASE_TIME.get(str(ev))
    if key is not None:
        stamp = _phase(doc, rec.get("task_id"), rec.get("phase")).get(key)
        return stamp is not None and str(stamp) == str(rec.get("timestamp"))
    return False


def _renamed(ws: Workspace, milestone: Path, rec: dict[str, Any]) -> tuple[bool, Any]:
    """(whether the killed action's rename happened, the milestone text's data or None)."""
    from kiro_tui.core.yaml.roundtrip import load_fast

    try:
        raw = safeio.read_bytes(milestone, ws.root, max_bytes=ws.config.max_file_bytes)
    except (OSError, KiroError):
        return False, None
    digest = sha(raw)
    if digest == rec.get("new"):
        return True, None
    if digest == rec.get("old"):
        return False, None
    try:
        doc = load_fast(raw.decode("utf-8"), milestone)
    except (KiroError, UnicodeDecodeError):
        return False, None
    return isinstance(doc, dict), doc


def settle(ws: Workspace, mid: str, milestone: Path) -> list[dict[str, Any]]:
    """Finish (or drop) what a killed action on `mid` left; call under the milestone's lock.
    Returns the records it appended. Costs one failed `open` when nothing was left."""
    path = path_of(ws.ms, mid)
    rec = _read(path, ws.root)
    if rec is None:
        return []
    renamed, doc = _renamed(ws, milestone, rec)
    records = [r for r in rec["records"] if isinstance(r, dict) and r.get("event")]
    if doc is not None:
        records = [r for r in records if _reflects(doc, r)]
    appended: list[dict[str, Any]] = []
    if renamed and records:
        log = ws.root / str(rec.get("log") or ws.execution_log(mid).relative_to(ws.root))
        if safeio.resolve_inside(log, ws.root):  # raises for a path that leads out
            have = events.tail(log, n=len(records) + 200).events
            seen = [e.raw for e in have]
            for r in records:
                if r not in seen:
                    appended.append(events.append(log, r))
        finish_sessions(ws, records)
    clear(path)
    return appended


def finish_sessions(ws: Workspace, records: list[dict[str, Any]]) -> None:
    """The session file of a pause or resume (`session_paused` / `session_resumed` among
    `records`) set to agree with it: written after the log line, before the intent record
    goes, so that a kill before it is finished by `settle`."""
    for rec in records:
        want = SESSION_STATUS.get(str(rec.get("event")))
        sid = rec.get("session_id")
        if want is not None and isinstance(sid, str):
            _set_session(ws, rec, sid, want)


def _set_session(ws: Workspace, rec: dict[str, Any], sid: str, want: str) -> None:
    try:
        live = sessions.read_session(ws.root, sid)
        if live is not None and live.status in ("active", "paused") and live.status != want:
            when, actor = str(rec.get("timestamp")), str(rec.get("actor") or "kiro-tui")
            sessions.set_session_status(ws.root, sid, want, when, actor)
    except KiroError:
        pass  # a session id or file kiro-tui cannot use: the next session action says so
