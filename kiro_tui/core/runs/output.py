"""An agent's output, line by line: reading lines off a pipe (a line over 1 MB is cut and
flagged, the last may lack its newline), the `Line` handed to parsers, and `raw.jsonl`, where
every line is appended the moment it arrives."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MAX_LINE = 1 << 20  # a longer line is truncated to this many bytes and flagged


class RawLog:
    """`raw.jsonl`: one JSON line per output line, each written with one `write` on an
    O_APPEND descriptor the moment it arrives (a kill of the driver loses nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write_line(self, text: str) -> None:
        data = (text + "\n").encode("utf-8", "replace")
        with self._lock:
            if self._fd >= 0:
                os.write(self._fd, data)

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


def read_lines(fh: IO[bytes], on_line: Callable[[bytes, bool, int], None]) -> None:
    """Call `on_line(data, truncated, size)` for each line of `fh` until EOF; a line over
    MAX_LINE is cut there (the rest is skipped); the last line may lack its newline."""
    while True:
        chunk = fh.readline(MAX_LINE + 1)
        if not chunk:
            return
        if len(chunk) > MAX_LINE and not chunk.endswith(b"\n"):
            size = len(chunk)
            while True:
                rest = fh.readline(1 << 16)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            on_line(chunk[:MAX_LINE], True, size)
            continue
        on_line(chunk.rstrip(b"\r\n") if chunk.endswith(b"\n") else chunk, False, len(chunk))


def parse_json_line(text: str) -> Any:
    """The JSON object or array on a line, or None."""
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
