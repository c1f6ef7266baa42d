"""Creating, appending to and replacing files under `.milestones/` safely: never through a
link, never a FIFO, temporary files under kiro-tui's own names (`O_CREAT|O_EXCL`), swapped into
place with `renameat2(RENAME_EXCHANGE)` where the system can, and kiro-tui's own stale
temporary files removed. The folders come checked from safeio (`open_dir`)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

from kiro_tui.core.safeio import UnsafePath, _kind, _root, _shown, open_dir

STALE_TEMP_AGE = 60.0  # seconds: kiro-tui's own temporary files older than this are removed
TEMP_NAME = re.compile(r"^\..+\.tmp\.(\d+)(\.[0-9a-f]{8})?$")


def refuse_link(name: str, dfd: int, shown: str) -> os.stat_result | None:
    """The lstat of `name` in `dfd` (None when missing); UnsafePath when it is a link or not a
    regular file."""
    try:
        st = os.lstat(name, dir_fd=dfd)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath("is a symbolic link; kiro-tui never writes through one", file=shown)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(f"is {_kind(st.st_mode)}, not a regular file; not written", file=shown)
    return st


def open_append(path: Path | str, root: Path | str | None = None) -> int:
    """A descriptor for appending to `path` (created if missing): never through a link, never
    a FIFO (opened with O_NONBLOCK, checked with fstat)."""
    path = Path(path)
    base = _root(path, root)
    shown = _shown(path, base)
    dfd = open_dir(path.parent, base)
    try:
        refuse_link(path.name, dfd, shown)
        try:
            fd = os.open(
                path.name,
                os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                0o644,
                dir_fd=dfd,
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePath(
                    "is a symbolic link; kiro-tui never writes through one", file=shown
                ) from None
            if exc.errno == errno.ENXIO:
                raise UnsafePath("is a FIFO, not a regular file; not written", file=shown) from None
            raise
    finally:
        os.close(dfd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafePath(f"is {_kind(st.st_mode)}, not a regular file; not written", file=shown)
    return fd


def check_appendable(path: Path | str, root: Path | str | None = None) -> None:
    """Raise UnsafePath when `open_append(path)` would refuse (a folder on the way or the file
    itself is a link out, a FIFO, not a regular file); nothing is created. For actions that
    must not change one file when the log line that goes with it could not be written."""
    path = Path(path)
    base = _root(path, root)
    shown = _shown(path, base)
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent  # missing folders are created on append: check what exists
    try:
        dfd = open_dir(folder, base, create=False)
    except NotADirectoryError:
        raise UnsafePath("is not a folder; nothing is written there", file=shown) from None
    try:
        if folder == path.parent:
            refuse_link(path.name, dfd, shown)
    finally:
        os.close(dfd)


def temp_name(name: str) -> str:
    """A temporary name of kiro-tui's own for `name` (matched by TEMP_NAME)."""
    return f".{name}.tmp.{os.getpid()}.{secrets.token_hex(4)}"


def create_temp(dfd: int, name: str, data: bytes, mode: int = 0o644) -> str:
    """Write `data` to a new temporary file beside `name` (O_CREAT|O_EXCL|O_NOFOLLOW), fsync it;
    its name in the folder."""
    for _ in range(8):
        tmp = temp_name(name)
        try:
            fd = os.open(
                tmp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                mode,
                dir_fd=dfd,
            )
        except FileExistsError:
            continue
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        os.close(fd)
        return tmp
    raise OSError(errno.EEXIST, "could not choose a temporary name")


_LIBC: ctypes.CDLL | None = None
_NO_EXCHANGE = False
RENAME_EXCHANGE = 2


def exchange(dfd: int, tmp: str, name: str) -> bool:
    """Swap `tmp` and `name` in one step (renameat2 RENAME_EXCHANGE): afterwards `name` holds
    the new content and `tmp` what was there, so the caller can check that nobody wrote in
    between. False when the system cannot (the caller then renames)."""
    global _LIBC, _NO_EXCHANGE
    if _NO_EXCHANGE:
        return False
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL(None, use_errno=True)
        fn = _LIBC.renameat2
    except (OSError, AttributeError):
        _NO_EXCHANGE = True
        return False
    r = fn(dfd, os.fsencode(tmp), dfd, os.fsencode(name), RENAME_EXCHANGE)
    if r == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        _NO_EXCHANGE = True
    return False


def fsync_dir(dfd: int) -> None:
    with contextlib.suppress(OSError):
        os.fsync(dfd)


_CLEANED: dict[str, float] = {}


def remove_stale_temps(
    dfd: int, folder_key: str, *, max_age: float = STALE_TEMP_AGE, now: float | None = None
) -> list[str]:
    """Remove kiro-tui's own temporary files (TEMP_NAME) from the folder: those older than
    `max_age`, and at once those of a process that no longer runs (its pid is in the name: a
    writer killed mid-write). At most once a minute per folder and process; the names removed."""
    now = time.time() if now is None else now
    last = _CLEANED.get(folder_key)
    if last is not None and now - last < max_age:
        return []
    _CLEANED[folder_key] = now
    removed: list[str] = []
    try:
        names = os.listdir(dfd)
    except OSError:
        return removed
    for n in names:
        m = TEMP_NAME.match(n)
        if not m:
            continue
        with contextlib.suppress(OSError):
            st = os.lstat(n, dir_fd=dfd)
            if stat.S_ISDIR(st.st_mode):
                continue
            if now - st.st_mtime < max_age and _alive(int(m.group(1))):
                continue
            os.unlink(n, dir_fd=dfd)  # a link is removed, never followed
            removed.append(n)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def replace_file(path: Path | str, data: bytes, root: Path | str | None = None) -> None:
    """Atomically replace (or create) `path` with `data`: temporary file, fsync, rename. Never
    through a link (a link at `path` is refused) and never outside the repository."""
    path = Path(path)
    base = _root(path, root)
    dfd = open_dir(path.parent, base)
    try:
        st = refuse_link(path.name, dfd, _shown(path, base))
        mode = st.st_mode & 0o777 if st is not None else 0o644
        remove_stale_temps(dfd, os.path.realpath(path.parent))
        tmp = create_temp(dfd, path.name, data, mode)
        try:
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        fsync_dir(dfd)
    finally:
        os.close(dfd)


def create_new(path: Path | str, data: bytes, root: Path | str | None = None) -> bool:
    """Create `path` with all of `data` at once unless something is there (then False): a
    temporary file linked into place, so that a racing writer never sees a half-written file
    and nothing existing (a link included) is ever overwritten."""
    path = Path(path)
    base = _root(path, root)
    dfd = open_dir(path.parent, base)
    try:
        try:
            os.lstat(path.name, dir_fd=dfd)
            return False
        except FileNotFoundError:
            pass
        tmp = create_temp(dfd, path.name, data)
        try:
            os.link(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
            return True
        except FileExistsError:
            return False
        except OSError:  # no hard links here: an exclusive create instead
            try:
                fd = os.open(
                    path.name,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o644,
                    dir_fd=dfd,
                )
            except FileExistsError:
                return False
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            return True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
    finally:
        os.close(dfd)
