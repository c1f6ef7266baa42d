"""Safe writes: the folder lock, atomic replace, and the read-modify-write of a YAML file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from kiro_tui.core.errors import InvalidFile, KiroError, LockTimeout

T = TypeVar("T")

@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 10.0) -> Iterator[None]:
    """An advisory lock for `path`: `flock` on the folder that holds it.

    Locking the folder (not a lock file) means that taking the lock creates nothing on disk, so
    a refused action leaves the tree exactly as it was, and a lock never outlives its holder.
    It also stays valid across the atomic rename that replaces the file itself.
    """
    try:
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise InvalidFile(f"cannot lock its folder: {exc.strerror}", file=path) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"another kiro-tui holds the lock for {path.name}",
                                      file=path) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, raw)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


class ConcurrentEdit(KiroError):
    """The file kept changing underneath us."""


# The round-trip document this process last wrote (or read unchanged), per file, keyed by the
# exact text: a process that edits the same file again (the driver) skips the round-trip parse,
# the slowest part of an edit. A file changed by anyone else has other text and is parsed.
_DOCS: dict[str, tuple[str, Any]] = {}
_DOCS_MAX = 64


def _remember_doc(path: Path, text: str, doc: Any) -> None:
    if len(_DOCS) >= _DOCS_MAX:
        _DOCS.pop(next(iter(_DOCS)))
    doc.text = text
    _DOCS[str(path)] = (text, doc)


def _write_if_unchanged(path: Path, text: str, new: str,
                        before_rename: Callable[[], None] | None) -> bool:
    """Write `new` unless the file no longer holds `text` (someone wrote meanwhile)."""
    if before_rename is not None:
        before_rename()
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != text:
        return False
    atomic_write(path, new)
    return True


def edit_yaml(path: Path, fn: Callable[[Any], T], *, attempts: int = 5,
              before_rename: Callable[[], None] | None = None,
              focus_task: str | None = None) -> tuple[T, bool]:
    """Read-modify-write `path` under a lock; returns (fn's result, whether the file was written).

    `fn` edits the round-trip document in place and may raise (nothing is written then). If the
    file changed on disk between the load and the rename, it is loaded again and `fn` re-applied,
    so that edits made by writers that take no lock (yq, editors) are kept.

    `focus_task` says that `fn` changes only that task (and top-level keys), reading no more
    than `id` and `status` of the others: the other tasks are then not round-tripped at all
    (partial.py), which makes an edit of a big milestone several times faster.
    """
    from kiro_tui.core.yaml.focused_edit import edit_focused
    from kiro_tui.core.yaml.roundtrip import RoundTrip

    with file_lock(path):
        for _ in range(attempts):
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InvalidFile("file disappeared while editing", file=path) from None
            cached = _DOCS.pop(str(path), None)
            doc = None
            if focus_task is not None:
                # cheaper than even a cached document: that one still needs a whole dump
                focused = edit_focused(text, path, fn, focus_task)
                if focused is not None:
                    result, new = focused
                    if new == text:
                        return result, False
                    if not _write_if_unchanged(path, text, new, before_rename):
                        continue
                    return result, True
            if cached is not None and cached[0] == text:
                doc = cached[1]
            if doc is None:
                doc = RoundTrip(text, path)
            if not isinstance(doc.data, dict):
                raise InvalidFile("top level is not a mapping", file=path, line=1)
            result = fn(doc.data)  # if it raises, the (maybe half-edited) doc is forgotten
            new = doc.dump()
            if new == text:
                _remember_doc(path, text, doc)
                return result, False
            if not _write_if_unchanged(path, text, new, before_rename):
                continue  # someone wrote meanwhile: load again and re-apply
            _remember_doc(path, new, doc)
            return result, True
    raise ConcurrentEdit("the file kept changing while kiro-tui tried to write it; nothing "
                         "was written", file=path)
