"""JSONL event logs: whole-line appends, tolerant reading, reading from the end."""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiro_tui.core import clock, safecreate, safeio
from kiro_tui.core.errors import InvalidFile
from kiro_tui.core.ids import ROLE_LOG_FILES


@dataclass(frozen=True, slots=True)
class Event:
    timestamp: str
    event: str
    source: str  # file it came from, relative to .milestones
    milestone_id: str | None = None
    session_id: str | None = None
    task_id: str | None = None
    phase: str | None = None
    role: str | None = None
    level: str = "info"
    actor: str | None = None
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        if self.message:
            return self.message
        bits = [self.event.replace("_", " ")]
        for k in ("task_id", "phase"):
            v = getattr(self, k)
            if v:
                bits.append(str(v))
        return " ".join(bits)


MAX_LINE = 64 * 1024  # bytes of one line kept when reading; a longer line is shown cut
_NAME_KEYS = ("event", "event_type", "type", "action", "status")
_ROLE_OF_FILE = {f: r for r, f in ROLE_LOG_FILES.items()}
_EVENT_IN_HEAD = re.compile(rb'"(?:event|event_type|type|action)"\s*:\s*"([A-Za-z0-9_.:-]{1,64})"')


def append(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append one record as one line, in a single write. Adds `timestamp` when missing.

    Never through a link, never to a FIFO, never outside the repository (safeio)."""
    if "timestamp" not in record:
        record = {"timestamp": clock.SYSTEM.now_str(), **record}
    line = (json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode()
    fd = safecreate.open_append(path)
    try:
        # kiro-tui writers take turns, so that one never sees another's line half written
        fcntl.flock(fd, fcntl.LOCK_EX)
        # a previous writer may have left an unfinished line: start ours on a line of its own
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)  # releases the lock
    return record


def _role_from_source(source: str) -> str | None:
    """`logs/<session>/<role file>.jsonl` names its role."""
    parts = source.split("/")
    return _ROLE_OF_FILE.get(parts[-1]) if len(parts) == 3 and parts[0] == "logs" else None


def parse_line(line: str | bytes, source: str) -> Event | None:
    """One Event from one line, or None when it is blank, not JSON, or names no event.

    The event's name is `event`, else `event_type`, `type`, `action` or `status` (agents and
    the original commands write those); the role is `role`, else `agent`, else the one its
    log file stands for."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return None
    line = line.strip()
    if not line or line[0] != "{":
        return None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    name = next(
        (
            obj[k]
            for k in _NAME_KEYS
            if isinstance(obj.get(k), str | int)
            and not isinstance(obj.get(k), bool)
            and obj.get(k) != ""
        ),
        None,
    )
    if name is None:
        return None
    found = obj.get("data")
    data: dict[str, Any] = found if isinstance(found, dict) else {}

    def pick(key: str) -> str | None:
        v = obj.get(key)
        if v is None:
            v = data.get(key)
        return None if v is None else str(v)

    return Event(
        timestamp=str(obj.get("timestamp") or ""),
        event=str(name),
        source=source,
        milestone_id=pick("milestone_id"),
        session_id=pick("session_id"),
        task_id=pick("task_id"),
        phase=pick("phase"),
        role=pick("role") or pick("agent") or _role_from_source(source),
        level=str(obj.get("level") or "info").lower(),
        actor=pick("actor") or pick("user"),
        message=pick("message"),
        data=data,
        raw=obj,
    )


def long_line(head: bytes, length: int, source: str) -> Event:
    """A line longer than MAX_LINE, shown by its start, cut and flagged (never parsed)."""
    m = _EVENT_IN_HEAD.search(head)
    name = m.group(1).decode() if m else "line_too_long"
    shown = head[:200].decode("utf-8", "replace")
    return Event(
        timestamp="",
        event=name,
        source=source,
        level="warning",
        message=f"[line of {length:,} bytes cut] {shown}…",
        data={"truncated": True, "bytes": length},
        raw={"truncated": True, "bytes": length, "head": shown},
    )


@dataclass
class ReadResult:
    events: list[Event]
    skipped: int  # lines that could not be read as events (blank lines are not counted)
    partial: bool  # the last line had no newline (still being written)
    problem: str | None = None  # why the file could not be read at all (a link out, a FIFO)
    truncated: int = 0  # lines longer than MAX_LINE, shown cut


def _one(raw: bytes, length: int, source: str, res: ReadResult) -> None:
    if length > MAX_LINE:
        res.events.append(long_line(raw, length, source))
        res.truncated += 1
        return
    if not raw.strip():
        return
    ev = parse_line(raw, source)
    if ev is None:
        res.skipped += 1
    else:
        res.events.append(ev)


def read_lines(data: bytes, source: str, *, final_complete: bool = False) -> ReadResult:
    lines = data.split(b"\n")
    partial = False
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines and not final_complete:
        partial = True
        lines.pop()  # unfinished: it will be read when its newline arrives
    res = ReadResult([], 0, partial)
    for raw in lines:
        _one(raw[:MAX_LINE] if len(raw) > MAX_LINE else raw, len(raw), source, res)
    return res


def _open(path: Path) -> tuple[int | None, str | None]:
    try:
        return safeio.open_read(path), None
    except InvalidFile as exc:
        return None, str(exc)
    except OSError:
        return None, None


def _forward(
    fd: int,
    start: int,
    end: int,
    source: str,
    res: ReadResult,
    pending: bytes = b"",
    pending_len: int = 0,
) -> tuple[bytes, int]:
    """Read [start, end) in chunks, lines cut at MAX_LINE; the unfinished last line back."""
    pos = start
    while pos < end:
        chunk = os.pread(fd, min(1 << 20, end - pos), pos)
        if not chunk:
            break
        pos += len(chunk)
        parts = chunk.split(b"\n")
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                room = MAX_LINE + 1 - len(pending)
                pending += part[: max(room, 0)]
                pending_len += len(part)
                break
            head = (pending + part[: MAX_LINE + 1])[:MAX_LINE]
            _one(head, pending_len + len(part), source, res)
            pending, pending_len = b"", 0
    return pending, pending_len


def read_all(path: Path, source: str | None = None) -> ReadResult:
    """Every event of a file, read in bounded chunks (a line is kept up to MAX_LINE)."""
    fd, problem = _open(path)
    if fd is None:
        return ReadResult([], 0, False, problem)
    try:
        res = ReadResult([], 0, False)
        pending, _n = _forward(fd, 0, os.fstat(fd).st_size, source or path.name, res)
        res.partial = bool(pending)
        return res
    finally:
        os.close(fd)


def tail(path: Path, n: int = 200, source: str | None = None, block: int = 1 << 16) -> ReadResult:
    """The last `n` events, reading backwards from the end (never the whole file).

    Lines that are not events (blank, not JSON) do not count towards `n`: reading goes on
    backwards until `n` events are found or the start of the file is reached. Memory stays
    bounded: of a line longer than MAX_LINE only its start is kept (its newline is found by
    reading back in blocks) and it is shown cut and flagged.
    """
    if n <= 0:
        return ReadResult([], 0, False)
    fd, problem = _open(path)
    if fd is None:
        return ReadResult([], 0, False, problem)
    src = source or path.name
    res = ReadResult([], 0, False)  # events newest first until the end
    try:
        pos = os.fstat(fd).st_size
        carry, carry_len = b"", 0  # the start of the line being put together, its length
        at_end = True  # that line is the last one of the file
        while pos > 0 and len(res.events) < n:
            step = min(block, pos)
            pos -= step
            parts = os.pread(fd, step, pos).split(b"\n")
            for piece in reversed(parts[1:]):  # each piece ends a line that is now whole
                line, length = (piece + carry)[: MAX_LINE + 1], len(piece) + carry_len
                carry, carry_len = b"", 0
                if at_end:  # no newline after it: still being written (or nothing)
                    at_end = False
                    res.partial = length > 0
                    continue
                _one(line, length, src, res)
                if len(res.events) >= n:
                    break
            else:
                carry = (parts[0] + carry)[: MAX_LINE + 1]
                carry_len += len(parts[0])
                continue
            break
        if pos == 0 and len(res.events) < n:
            if at_end:
                res.partial = carry_len > 0
            elif carry_len:
                _one(carry, carry_len, src, res)
    finally:
        os.close(fd)
    res.events.reverse()
    res.events = res.events[-n:]
    return res


class Follower:
    """Reads what was appended to a file since the last call (by byte offset)."""

    def __init__(self, path: Path, source: str, start_at_end: bool = True) -> None:
        self.path = path
        self.source = source
        self.offset = 0
        self.pending = b""
        if start_at_end:
            try:
                self.offset = path.stat().st_size
            except OSError:
                self.offset = 0

        self.pending_len = 0

    def read_new(self) -> list[Event]:
        fd, _problem = _open(self.path)  # a link out or a FIFO is never read
        if fd is None:
            return []
        try:
            size = os.fstat(fd).st_size
            if size < self.offset:  # truncated or replaced: start again
                self.offset = 0
                self.pending, self.pending_len = b"", 0
            if size == self.offset:
                return []
            res = ReadResult([], 0, False)
            self.pending, self.pending_len = _forward(
                fd, self.offset, size, self.source, res, self.pending, self.pending_len
            )
            self.offset = size
            return res.events
        finally:
            os.close(fd)


def _folder_problem(folder: Path) -> str | None:
    """Why a log folder may not be listed (it leads out of the repository), or None."""
    try:
        safeio.resolve_inside(folder)
    except InvalidFile as exc:
        return str(exc)
    return None


def log_files(ms_dir: Path) -> Iterator[tuple[Path, str]]:
    """Every JSONL log of the workspace, with its source name relative to `.milestones`.
    A folder that leads out of the repository is not listed (merged_read says so)."""
    logs = ms_dir / "logs"
    if logs.is_dir() and _folder_problem(logs) is None:
        for p in sorted(logs.glob("*.jsonl")):
            yield p, f"logs/{p.name}"
        for p in sorted(logs.glob("*/*.jsonl")):
            if p.parent.is_symlink() and _folder_problem(p.parent) is not None:
                continue
            yield p, f"logs/{p.parent.name}/{p.name}"
    ev = ms_dir / "state" / "events"
    if ev.is_dir() and _folder_problem(ev) is None:
        for p in sorted(ev.glob("*.jsonl")):
            yield p, f"state/events/{p.name}"


@dataclass
class MergedTail:
    events: list[Event]  # oldest first
    unreadable: int  # lines that could not be read as events, over the part of the logs read
    truncated: int  # lines shown cut (longer than MAX_LINE)
    problems: list[str]  # logs not read at all: "<file>: why" (a link out, a FIFO)


def merged_read(ms_dir: Path, n: int = 200, milestone: str | None = None) -> MergedTail:
    """The newest `n` events of every log merged by time, with what could not be read (for
    the log pane and `kiro-tui log` to say so)."""
    out: list[Event] = []
    unreadable = truncated = 0
    problems = [
        why
        for f in (ms_dir / "logs", ms_dir / "state" / "events")
        if f.is_dir() and (why := _folder_problem(f)) is not None
    ]
    for path, source in log_files(ms_dir):
        res = tail(path, n, source)
        unreadable += res.skipped
        truncated += res.truncated
        if res.problem:
            problems.append(res.problem)
        for ev in res.events:
            if milestone and ev.milestone_id not in (None, milestone):
                continue
            out.append(ev)
    epoch = datetime.fromtimestamp(0, UTC)
    out.sort(key=lambda e: clock.parse_ts(e.timestamp) or epoch)  # stable: file order on ties
    return MergedTail(out[-n:] if n > 0 else [], unreadable, truncated, problems)


def merged_tail(ms_dir: Path, n: int = 200, milestone: str | None = None) -> list[Event]:
    """The newest `n` events of every log, merged by time (oldest first)."""
    return merged_read(ms_dir, n, milestone).events
