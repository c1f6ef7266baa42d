"""The folder lock of kiro-tui's writes: a blocking, fair `flock` that never fails while
others make progress (used by safewrite.edit_yaml, and directly by a few writers)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kiro_tui.core import safeio
from kiro_tui.core.errors import InvalidFile, LockTimeout


class _Waiter:
    """A thread blocked in `flock(LOCK_EX)` on a duplicate of the folder's descriptor: the
    kernel queues blocked waiters, so nobody is starved by a polling newcomer. When the waiter
    is abandoned (no progress), the thread releases the lock as soon as it gets it."""

    def __init__(self, fd: int) -> None:
        self.fd = os.dup(fd)
        self.done = threading.Event()
        self.error: OSError | None = None
        self._mu = threading.Lock()
        self._abandoned = False
        threading.Thread(target=self._run, name="kiro-lock-wait", daemon=True).start()

    def _run(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError as exc:
            self.error = exc
        with self._mu:
            if self._abandoned:
                os.close(self.fd)  # the caller's descriptor is closed: this releases the lock
                return
            self.done.set()

    def finish(self) -> None:
        """Got the lock: the caller's descriptor holds it; drop the duplicate."""
        os.close(self.fd)

    def abandon(self) -> None:
        with self._mu:
            if self.done.is_set():
                os.close(self.fd)
            else:
                self._abandoned = True


def _progress(dfd: int, path: Path) -> tuple[int, ...]:
    """What changes when a holder of the lock does its work: the folder (a rename into it) and
    the file itself."""
    key: tuple[int, ...] = (os.fstat(dfd).st_mtime_ns,)
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        key += (st.st_ino, st.st_mtime_ns, st.st_size)
    return key


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 10.0) -> Iterator[None]:
    """An advisory lock for `path`: a blocking `flock` on the folder that holds it.

    Locking the folder (not a lock file) means that taking the lock creates nothing on disk, so
    a refused action leaves the tree exactly as it was, and a lock never outlives its holder.
    It also stays valid across the atomic rename that replaces the file itself. The folder is
    opened only when it resolves inside the repository (safeio).

    The wait is a blocking one (fair: the kernel hands the lock to the queued waiters) and it
    gives up only when nothing made progress for `timeout` seconds (the folder and the file did
    not change while the lock stayed taken): it never fails while other writers get on.
    """
    try:
        fd = safeio.open_dir(path.parent, create=False)
    except InvalidFile:
        raise
    except OSError as exc:
        raise InvalidFile(f"cannot lock its folder: {exc.strerror}", file=path) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _wait(fd, path, timeout)
        yield
    finally:
        os.close(fd)  # releases the lock


def _wait(fd: int, path: Path, timeout: float) -> None:
    waiter = _Waiter(fd)
    seen = _progress(fd, path)
    deadline = time.monotonic() + timeout
    while not waiter.done.wait(max(0.0, min(0.1, deadline - time.monotonic()))):
        now = time.monotonic()
        key = _progress(fd, path)
        if key != seen:
            seen, deadline = key, now + timeout
        elif now >= deadline:
            waiter.abandon()
            if waiter.done.is_set() and waiter.error is None:
                return  # got it at the last moment (abandon closed the duplicate)
            raise LockTimeout(
                f"another kiro-tui has held the lock for {path.name} for "
                f"{timeout:g} s without any progress",
                file=path,
            )
    waiter.finish()
    if waiter.error is not None:
        raise InvalidFile(f"cannot lock its folder: {waiter.error.strerror}", file=path)
