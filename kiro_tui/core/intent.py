"""An action's intent: the log lines it is about to append, written before its milestone rename.

An action is: lock, edit, rename the milestone, append its event lines, unlock. A `kill -9`
between the rename and the last line leaves a milestone that says more than its log (a pause
with no `session_paused` line). Without more, that state looks exactly like the opposite case
that decisions.reapply handles (an unlocked writer put an older copy of the milestone back, so
the log is newer than the file, and the log wins): a half-done pause would read as a lost
resume, and be undone.

So just before the rename, the action writes `logs/.ahead-<id>.json`: the exact records it will
append, the log's size, and the SHA-256 of the milestone text before and after its edit. Once its lines are
appended (still under the lock) it removes the record. The next action on the milestone, as
soon as it holds the lock (`settle`), finds a record left behind by a killed one and decides:

- the file is the text the killed action wrote: the rename happened; the records not found
  after the log size the record noted are appended (so none twice, and an identical line of an
  earlier action in the same second is not taken for one), and the session file of a pause
  or resume is set to agree;
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
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiro_tui.core import events, safeio, sessions
from kiro_tui.core.errors import KiroError
from kiro_tui.core.safeio import UnsafePath

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
    try:
        size = os.stat(log).st_size  # the action's lines go after this (the lock is held)
    except OSError:
        size = 0
    body = {
        "log": os.path.relpath(log, root),
        "log_size": size,
        "old": sha(old),
        "new": sha(new),
        "records": records,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    dfd = safeio.open_dir(path.parent, root)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(path.name, flags | os.O_CLOEXEC, 0o644, dir_fd=dfd)
        except OSError as exc:  # a link, a FIFO or a folder planted under kiro-tui's name
            raise UnsafePath(
                f"cannot be written ({exc.strerror}); nothing was changed",
                file=os.path.relpath(path, root),
            ) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UnsafePath("is not a regular file; nothing was changed", file=path.name)
            os.write(fd, raw)
        finally:
            os.close(fd)
    finally:
        os.close(dfd)


def clear(path: Path) -> None:
    try:
        os.unlink(path)
    except IsADirectoryError:  # planted under kiro-tui's name: an empty one only
        with contextlib.suppress(OSError):
            os.rmdir(path)
    except OSError:
        pass


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


def _since(log: Path, offset: Any) -> list[Any]:
    """The records appended to `log` after `offset` (bounded): which of the killed action's
    lines made it. Lines are compared after that offset only, so an identical line of an
    earlier action (the same pause within the same second) does not count."""
    start = offset if isinstance(offset, int) and offset >= 0 else 0
    try:
        fd = safeio.open_read(log)
    except (OSError, KiroError):
        return []
    try:
        data = os.pread(fd, 1 << 20, start)
    finally:
        os.close(fd)
    out: list[Any] = []
    for line in data.split(b"\n"):
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def _a_log_of(ws: Workspace, log: Path) -> bool:
    """Whether `log` (named by a record found in the repository) is a JSONL log under
    `.milestones/logs/`, inside the repository."""
    try:
        real = Path(safeio.resolve_inside(log, ws.root))
        logs = Path(safeio.resolve_inside(ws.ms / "logs", ws.root))
    except (OSError, KiroError):
        return False
    return log.suffix == ".jsonl" and logs in real.parents


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
    log = ws.root / str(rec.get("log") or "")
    if renamed and records and _a_log_of(ws, log):
        seen = _since(log, rec.get("log_size"))
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
