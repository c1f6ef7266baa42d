"""An agent's output, line by line: reading a pipe in chunks of up to 64 KB and cutting them
into lines (`LineSplitter`: a line over 1 MB is cut and flagged, the last may lack its newline),
the `Line` handed to parsers, and `raw.jsonl`, where the lines of each chunk are appended with
one write the moment the chunk arrives."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MAX_LINE = 1 << 20  # a longer line is truncated to this many bytes and flagged
CHUNK = 1 << 16  # bytes asked of the pipe at once (a Linux pipe holds 64 KB)
PACE = 0.01  # seconds between two reads of a pipe at least: a flood is read in chunks
RawLine = tuple[bytes, bool, int]  # (data without the newline, truncated, bytes of the line)


class RawLog:
    """`raw.jsonl`: one JSON line per output line, the lines of a chunk read off the pipe
    written with one `write` on an O_APPEND descriptor the moment the chunk is read (a kill of
    the driver loses nothing that was read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write_line(self, text: str) -> None:
        self.write_lines((text,))

    def write_lines(self, texts: Sequence[str]) -> None:
        """Append `texts` (one line each) with one `write` (a short write is completed)."""
        if not texts:
            return
        data = memoryview(("\n".join(texts) + "\n").encode("utf-8", "replace"))
        with self._lock:
            while self._fd >= 0 and data:
                data = data[os.write(self._fd, data) :]

    def record(self, obj: dict[str, object]) -> None:
        self.write_line(json.dumps(obj, ensure_ascii=False))

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


@dataclass(frozen=True, slots=True)
class Line:
    stream: str  # stdout | stderr
    text: str  # decoded with errors="replace", without the newline
    truncated: bool
    size: int  # bytes of the original line
    obj: Any  # the parsed JSON value of a stdout line that is JSON, else None


class LineSplitter:
    """Chunks of bytes in, whole lines out: `feed(chunk)` gives the lines that chunk ended,
    `end()` the last one at EOF (it may lack its newline). A line's data has no newline and no
    `\r` before it; a line over `max_line` bytes is cut there and flagged (its rest is counted,
    never kept: at most `max_line` bytes and one chunk are held); `size` counts the newline."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buf = bytearray()  # the start of a line whose newline has not come yet
        self._head: bytes | None = None  # the kept start of a line over max_line ...
        self._size = 0  # ... and its bytes so far

    def feed(self, chunk: bytes) -> list[RawLine]:
        parts = chunk.split(b"\n")
        rest = parts.pop()  # after the last newline: a line not ended yet
        out = [self._ended(part) for part in parts]
        if rest:
            self._more(rest)
        return out

    def end(self) -> list[RawLine]:
        if self._head is not None:
            out = [(self._head, True, self._size)]
        elif self._buf:
            out = [(bytes(self._buf), False, len(self._buf))]
        else:
            out = []
        self._buf, self._head, self._size = bytearray(), None, 0
        return out

    def _more(self, data: bytes) -> None:
        if self._head is not None:
            self._size += len(data)
            return
        self._buf += data
        if len(self._buf) > self.max_line:
            self._head, self._size = bytes(self._buf[: self.max_line]), len(self._buf)
            self._buf = bytearray()

    def _ended(self, part: bytes) -> RawLine:
        if self._head is not None:
            line = (self._head, True, self._size + len(part) + 1)
            self._head, self._size = None, 0
            return line
        if self._buf:
            self._buf += part
            part, self._buf = bytes(self._buf), bytearray()
        if len(part) > self.max_line:
            return (part[: self.max_line], True, len(part) + 1)
        return (part.rstrip(b"\r"), False, len(part) + 1)


def read_chunks(fh: IO[bytes], on_lines: Callable[[list[RawLine]], None]) -> None:
    """Read `fh`'s descriptor until EOF, as much as is there (up to CHUNK) at a time, and
    call `on_lines` with the lines each read ended (see `LineSplitter`), the last at EOF.

    Reads are at least PACE apart: a line after a quiet spell is read at once, while an agent
    that floods its output is read in chunks of what PACE let gather, so the reader thread
    takes the GIL (which the dashboard's thread needs) a hundred times a second, not once per
    line (the pipe holds 64 KB meanwhile; a fuller pipe only makes the agent wait)."""
    fd = fh.fileno()
    split = LineSplitter()
    last = 0.0
    while True:
        wait = last + PACE - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        chunk = os.read(fd, CHUNK)
        last = time.monotonic()
        if not chunk:
            break
        lines = split.feed(chunk)
        if lines:
            on_lines(lines)
    rest = split.end()
    if rest:
        on_lines(rest)


def parse_json_line(text: str) -> Any:
    """The JSON object or array on a line, or None."""
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
