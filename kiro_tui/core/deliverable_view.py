"""A deliverable's content for display: size-limited, with binary detection and the kind of
viewer it needs (Markdown, syntax highlighting, plain text)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path


def is_binary(data: bytes) -> bool:
    if b"\0" in data[:8192]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@dataclass(frozen=True, slots=True)
class Content:
    path: str
    size: int
    text: str | None  # None when binary or unreadable
    truncated: bool
    binary: bool
    kind: str  # markdown | yaml | json | code | text | binary | missing | folder
    error: str | None = None


_KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".txt": "text",
    ".rst": "text",
}


@functools.lru_cache(maxsize=1)
def _code_suffixes() -> frozenset[str]:
    return frozenset(
        {
            ".py",
            ".js",
            ".ts",
            ".tsx",
            ".jsx",
            ".go",
            ".rs",
            ".java",
            ".c",
            ".h",
            ".cpp",
            ".sh",
            ".toml",
            ".sql",
            ".html",
            ".css",
            ".rb",
            ".kt",
        }
    )


def deliverable_content(path: Path, max_bytes: int = 256 << 10) -> Content:
    """At most `max_bytes` of a deliverable file for display, with the kind of viewer it needs
    (Markdown, syntax highlighting by suffix, plain text) and binary detection."""
    shown = str(path)
    try:
        st = path.stat()
    except OSError:
        return Content(shown, 0, None, False, False, "missing", "no such file")
    if path.is_dir():
        return Content(shown, 0, None, False, False, "folder")
    try:
        with open(path, "rb") as fh:
            head = fh.read(max_bytes + 1)
    except OSError as exc:
        return Content(
            shown, st.st_size, None, False, False, "missing", f"cannot read: {exc.strerror}"
        )
    truncated = len(head) > max_bytes or st.st_size > max_bytes
    head = head[:max_bytes]
    if b"\0" in head[:8192]:
        return Content(shown, st.st_size, None, truncated, True, "binary")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(head) - 3:  # a character cut by the limit
            text = head[: exc.start].decode("utf-8")
        else:
            return Content(shown, st.st_size, None, truncated, True, "binary")
    suffix = path.suffix.lower()
    kind = _KINDS.get(suffix) or ("code" if suffix in _code_suffixes() else "text")
    return Content(shown, st.st_size, text, truncated, False, kind)
