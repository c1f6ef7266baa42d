"""Safe writes: atomic replace and the read-modify-write of a YAML file (the folder lock is in
lock.py)."""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kiro_tui.core import safecreate, safeio
from kiro_tui.core.errors import InvalidFile, KiroError
from kiro_tui.core.lock import file_lock

T = TypeVar("T")


def atomic_write(path: Path, data: str | bytes, root: Path | None = None) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`; never
    through a link, never outside the repository (safecreate.replace_file)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    safecreate.replace_file(path, raw, root)


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


IN_PLACE_RECENT = 2.0  # seconds: an empty or unparsable file this fresh is still being written
IN_PLACE_WAIT = 1.5  # seconds kiro-tui waits for such a file before refusing
IN_PLACE_SETTLE = 0.05  # seconds another writer's fresh file must stay put before a refusal
# After replacing a file that someone else wrote moments ago, how long the displaced version is
# watched before it is let go: an in-place writer that opened the file before our rename writes
# into the displaced inode, and its change would be lost with it (see _Swap.replace).
CONTENDED_SETTLE = 0.015

# The identity of the file this process last wrote, per path: a fresh file that is not ours
# means another writer is at work on it right now.
_OURS: dict[str, tuple[int, int, int]] = {}


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _read_for_edit(
    path: Path, root: Path | None, max_bytes: int | None
) -> tuple[str, os.stat_result]:
    try:
        raw, st = safeio.read_bytes_stat(path, root, max_bytes=max_bytes or safeio.MAX_FILE_BYTES)
    except FileNotFoundError:
        raise InvalidFile("file disappeared while editing", file=path) from None
    except InvalidFile:
        raise
    except OSError as exc:
        raise InvalidFile(f"cannot read: {exc.strerror}", file=path) from None
    try:
        return raw.decode("utf-8"), st
    except UnicodeDecodeError:
        raise InvalidFile("not valid UTF-8 text", file=path) from None


def _being_written(st: os.stat_result) -> bool:
    """An in-place writer (truncate, then write) is at work: the file is that fresh."""
    return time.time() - st.st_mtime < IN_PLACE_RECENT


def _unsettled(path: Path, expect: os.stat_result, exc: KiroError) -> bool:
    """After `fn` refused a fresh file: whether to read it again. A file that does not parse
    is read again after a moment; a refusal of a file another writer wrote is taken only once
    the file stays as it is for IN_PLACE_SETTLE (an in-place writer is between its writes)."""
    if isinstance(exc, InvalidFile):
        time.sleep(0.03)
        return True
    if _OURS.get(str(path)) == _identity(expect):
        return False
    deadline = time.monotonic() + IN_PLACE_SETTLE
    while time.monotonic() < deadline:
        time.sleep(0.005)
        try:
            now = os.stat(path)
        except OSError:
            return True
        if _identity(now) != _identity(expect) or now.st_ctime_ns != expect.st_ctime_ns:
            return True
    return False


def settled(path: Path, load: Callable[[], T]) -> T:
    """`load()` (which reads `path`), again while it raises InvalidFile or gives None and the
    file is being written in place (only moments old), for at most IN_PLACE_WAIT: the read
    side of the wait that `edit_yaml` makes before it refuses."""
    deadline = time.monotonic() + IN_PLACE_WAIT
    while True:
        try:
            got = load()
        except InvalidFile:
            if not _fresh(path) or time.monotonic() >= deadline:
                raise
        else:
            if got is not None or not _fresh(path) or time.monotonic() >= deadline:
                return got
        time.sleep(0.03)


def _fresh(path: Path) -> bool:
    try:
        return _being_written(os.stat(path))
    except OSError:
        return False


def _apply(
    path: Path, text: str, fn: Callable[[Any], T], focus_task: str | None
) -> tuple[T, str, Any]:
    """(fn's result, the new text, the round-trip document or None) for `text`."""
    from kiro_tui.core.yaml.focused_edit import edit_focused
    from kiro_tui.core.yaml.patch_edit import edit_patched
    from kiro_tui.core.yaml.roundtrip import RoundTrip

    cached = _DOCS.pop(str(path), None)
    patched = edit_patched(text, fn)  # the cheapest: only the changed values' text
    if patched is not None:
        return patched[0], patched[1], None
    if focus_task is not None:
        # cheaper than even a cached document: that one still needs a whole dump
        focused = edit_focused(text, path, fn, focus_task)
        if focused is not None:
            return focused[0], focused[1], None
    doc = cached[1] if cached is not None and cached[0] == text else RoundTrip(text, path)
    if not isinstance(doc.data, dict):
        raise InvalidFile("top level is not a mapping", file=path, line=1)
    result = fn(doc.data)  # if it raises, the (maybe half-edited) doc is forgotten
    return result, doc.dump(), doc


class _Swap:
    """Replacing `path` with new text only if nobody wrote since it was read: the identity
    (inode, mtime_ns, size, ctime) is checked just before the rename, and the rename is an
    exchange (renameat2 RENAME_EXCHANGE), so that what it displaced is checked too. When another
    writer got in between the check and the exchange, the exchange is undone at once (their
    version goes back in place, within microseconds) and the edit is done again on it."""

    def __init__(self, path: Path, root: Path | None) -> None:
        self.path = path
        self.dfd = safeio.open_dir(path.parent, root, create=False)
        self.name = path.name

    def close(self) -> None:
        os.close(self.dfd)

    def replace(
        self,
        new: str,
        expect: os.stat_result,
        before_rename: Callable[[], None] | None,
        old: str | None = None,
    ) -> bool:
        """Whether `new` was written (False: someone else wrote meanwhile, nothing of ours
        is left in place). `old` is the text `expect` was read with.

        When the file is fresh and not this process's own write, another writer is at work:
        the content is compared too (an in-place rewrite of the same size within one clock
        tick keeps the identity), and the displaced version is watched for CONTENDED_SETTLE
        after the exchange: an in-place writer that had the file open writes into it, and then
        the exchange is undone and the edit made again on their version."""
        st = safecreate.refuse_link(self.name, self.dfd, str(self.path))
        mode = st.st_mode & 0o777 if st is not None else 0o644
        safecreate.remove_stale_temps(self.dfd, os.path.realpath(self.path.parent))
        raw = new.encode("utf-8")
        tmp = safecreate.create_temp(self.dfd, self.name, raw, mode)
        key = str(self.path)
        contended = _being_written(expect) and _OURS.get(key) != _identity(expect)
        try:
            if before_rename is not None:
                before_rename()
            now = safecreate.refuse_link(self.name, self.dfd, str(self.path))
            if (
                now is None
                or _identity(now) != _identity(expect)
                or now.st_ctime_ns != expect.st_ctime_ns
                or (contended and old is not None and self._read(self.name) != old)
            ):
                return False
            if not safecreate.exchange(self.dfd, tmp, self.name):
                os.replace(tmp, self.name, src_dir_fd=self.dfd, dst_dir_fd=self.dfd)
                safecreate.fsync_dir(self.dfd)
                self._mine(key)
                return True
            gone = os.lstat(tmp, dir_fd=self.dfd)
            if _identity(gone) == _identity(expect) and not (
                contended and self._touched(tmp, gone, old)
            ):
                safecreate.fsync_dir(self.dfd)
                self._mine(key)
                return True
            self._undo(tmp)
            return False
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self.dfd)

    def _read(self, name: str) -> str | None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=self.dfd)
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return None

    def _touched(self, tmp: str, gone: os.stat_result, old: str | None) -> bool:
        """Whether the displaced version (at `tmp`) was written after the exchange, or was
        never the text we edited (see replace)."""
        if old is not None and self._read(tmp) != old:
            return True
        time.sleep(CONTENDED_SETTLE)
        try:
            later = os.lstat(tmp, dir_fd=self.dfd)
        except OSError:
            return True
        return _identity(later) != _identity(gone) or later.st_ctime_ns != gone.st_ctime_ns

    def _mine(self, key: str) -> None:
        with contextlib.suppress(OSError):
            _OURS[key] = _identity(os.lstat(self.name, dir_fd=self.dfd))
        if len(_OURS) > _DOCS_MAX:
            _OURS.pop(next(iter(_OURS)))

    def _undo(self, tmp: str) -> None:
        """Our version is at `name`, theirs at `tmp`: swap back. If they wrote yet again in
        between (their newer version replaced ours), swapping back would put their older one
        in place: swap once more, so the newest stays."""
        placed = os.lstat(self.name, dir_fd=self.dfd)
        safecreate.exchange(self.dfd, tmp, self.name)
        back = os.lstat(tmp, dir_fd=self.dfd)
        if _identity(back) != _identity(placed):
            safecreate.exchange(self.dfd, tmp, self.name)


def edit_yaml(
    path: Path,
    fn: Callable[[Any], T],
    *,
    attempts: int = 20,
    before_rename: Callable[[], None] | None = None,
    focus_task: str | None = None,
    max_bytes: int | None = None,
    under_lock: Callable[[T], None] | None = None,
    on_lock: Callable[[], None] | None = None,
    ahead: Callable[[T, str, str], None] | None = None,
) -> tuple[T, bool]:
    """Read-modify-write `path` under a lock; returns (fn's result, whether the file was written).

    `fn` edits the round-trip document in place and may raise (nothing is written then). If the
    file changed on disk between the load and the rename, it is loaded again and `fn` re-applied,
    so that edits made by writers that take no lock (yq, editors) are kept: the file's identity
    is checked just before the rename, and what the rename displaced is checked after it (a
    writer that got in between is edited again, never overwritten). A file that is empty or
    does not parse while it is only moments old is being written in place: kiro-tui waits a
    little for it before refusing. Files above `max_bytes` (safeio.MAX_FILE_BYTES) are refused.

    `focus_task` says that `fn` changes only that task (and top-level keys), reading no more
    than `id` and `status` of the others: the other tasks are then not round-tripped at all
    (partial.py), which makes an edit of a big milestone several times faster.

    `under_lock(result)` runs after the edit (written or not) while the lock is still held:
    the action's log lines are appended there, so that whoever takes the lock next finds the
    file and its log in agreement (decisions.reapply relies on it). `on_lock()` runs as soon
    as the lock is taken, before the file is read (intent.settle finishes a killed action
    there); `ahead(result, old text, new text)` just before each rename (intent.write).
    """
    root = safeio.repo_root_of(path)
    with file_lock(path):
        if on_lock is not None:
            on_lock()
        swap = _Swap(path, root)
        try:
            out = _edit(swap, path, root, fn, attempts, before_rename, focus_task, max_bytes, ahead)
        finally:
            swap.close()
        if under_lock is not None:
            under_lock(out[0])
        return out


def _before(
    ahead: Callable[[T, str, str], None] | None,
    result: T,
    old: str,
    new: str,
    then: Callable[[], None] | None,
) -> Callable[[], None] | None:
    if ahead is None:
        return then

    def run() -> None:
        ahead(result, old, new)
        if then is not None:
            then()

    return run


def _edit(
    swap: _Swap,
    path: Path,
    root: Path | None,
    fn: Callable[[Any], T],
    attempts: int,
    before_rename: Callable[[], None] | None,
    focus_task: str | None,
    max_bytes: int | None,
    ahead: Callable[[T, str, str], None] | None = None,
) -> tuple[T, bool]:
    waited_until: float | None = None
    tries = 0
    while tries < attempts:
        text, expect = _read_for_edit(path, root, max_bytes)
        try:
            result, new, doc = _apply(path, text, fn, focus_task)
        except KiroError as exc:
            # an empty or half-written file (it may even parse, cut at a line end, and make
            # `fn` refuse: "no task t-017") while another writer is at it: wait for it
            if _being_written(expect):
                waited_until = waited_until or time.monotonic() + IN_PLACE_WAIT
                if time.monotonic() < waited_until and _unsettled(path, expect, exc):
                    continue
            raise
        if new == text:
            if doc is not None:
                _remember_doc(path, text, doc)
            return result, False
        tries += 1
        if not swap.replace(new, expect, _before(ahead, result, text, new, before_rename), text):
            if tries >= 3:  # a busy writer: step aside a little, differently each time
                time.sleep(random.uniform(0, 0.003 * tries))
            continue  # someone wrote meanwhile: load again and re-apply
        if doc is not None:
            _remember_doc(path, new, doc)
        return result, True
    raise ConcurrentEdit(
        "the file kept changing while kiro-tui tried to write it; nothing was written", file=path
    )
