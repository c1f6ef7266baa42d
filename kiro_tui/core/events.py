"""JSONL event logs: whole-line appends, tolerant reading, reading from the end."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiro_tui.core import clock


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


def append(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append one record as one line, in a single write. Adds `timestamp` when missing."""
    if "timestamp" not in record:
        record = {"timestamp": clock.now_str(), **record}
    line = (json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
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


def parse_line(line: str | bytes, source: str) -> Event | None:
    """One Event from one line, or None when it is blank, not JSON, or lacks an event name."""
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
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    name = obj.get("event") or obj.get("event_type")
    if not name:
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
        role=pick("role"),
        level=str(obj.get("level") or "info").lower(),
        actor=pick("actor") or pick("user"),
        message=pick("message"),
        data=data,
        raw=obj,
    )


@dataclass
class ReadResult:
    events: list[Event]
    skipped: int  # lines that were not JSON events (blank lines are not counted)
    partial: bool  # the last line had no newline (still being written)


def read_lines(data: bytes, source: str, *, final_complete: bool = False) -> ReadResult:
    lines = data.split(b"\n")
    partial = False
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines and not final_complete:
        partial = True
        lines.pop()  # unfinished: it will be read when its newline arrives
    events: list[Event] = []
    skipped = 0
    for raw in lines:
        if not raw.strip():
            continue
        ev = parse_line(raw, source)
        if ev is None:
            skipped += 1
        else:
            events.append(ev)
    return ReadResult(events, skipped, partial)


def read_all(path: Path, source: str | None = None) -> ReadResult:
    try:
        data = path.read_bytes()
    except OSError:
        return ReadResult([], 0, False)
    return read_lines(data, source or path.name)


def tail(path: Path, n: int = 200, source: str | None = None, block: int = 1 << 16) -> ReadResult:
    """The last `n` events, reading backwards from the end (never the whole file).

    Lines that are not events (blank, not JSON) do not count towards `n`: reading goes on
    backwards until `n` events are found or the start of the file is reached.
    """
    if n <= 0:
        return ReadResult([], 0, False)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError:
        return ReadResult([], 0, False)
    src = source or path.name
    with fh:
        fh.seek(0, os.SEEK_END)
        pos = fh.tell()
        buf = b""
        want = n + 1
        while True:
            while pos > 0 and buf.count(b"\n") <= want:
                step = min(block, pos)
                pos -= step
                fh.seek(pos)
                buf = fh.read(step) + buf
            # without the file's start, the first line may be cut: drop it
            body = buf[buf.index(b"\n") + 1:] if pos > 0 and b"\n" in buf else buf
            res = read_lines(body, src)
            if len(res.events) >= n or pos == 0:
                break
            want = buf.count(b"\n") + (n - len(res.events)) * 2 + 1
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

    def read_new(self) -> list[Event]:
        try:
            size = self.path.stat().st_size
        except OSError:
            return []
        if size < self.offset:  # truncated or replaced: start again
            self.offset = 0
            self.pending = b""
        if size == self.offset:
            return []
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read(size - self.offset)
        self.offset = size
        data = self.pending + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self.pending = data
            return []
        self.pending = data[cut + 1:]
        return read_lines(data[: cut + 1], self.source).events


def log_files(ms_dir: Path) -> Iterator[tuple[Path, str]]:
    """Every JSONL log of the workspace, with its source name relative to `.milestones`."""
    logs = ms_dir / "logs"
    if logs.is_dir():
        for p in sorted(logs.glob("*.jsonl")):
            yield p, f"logs/{p.name}"
        for p in sorted(logs.glob("*/*.jsonl")):
            yield p, f"logs/{p.parent.name}/{p.name}"
    ev = ms_dir / "state" / "events"
    if ev.is_dir():
        for p in sorted(ev.glob("*.jsonl")):
            yield p, f"state/events/{p.name}"


def merged_tail(ms_dir: Path, n: int = 200, milestone: str | None = None) -> list[Event]:
    """The newest `n` events of every log, merged by time (oldest first)."""
    out: list[Event] = []
    for path, source in log_files(ms_dir):
        for ev in tail(path, n, source).events:
            if milestone and ev.milestone_id not in (None, milestone):
                continue
            out.append(ev)
    epoch = datetime.fromtimestamp(0, UTC)
    out.sort(key=lambda e: clock.parse_ts(e.timestamp) or epoch)  # stable: file order on ties
    return out[-n:] if n > 0 else []
