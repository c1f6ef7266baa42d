"""Opening files under `.milestones/` safely: never outside the repository, never through a
symbolic link for writing, only regular files, reads bounded in size.

Every read and write kiro-tui makes under `.milestones/` goes through these functions (the
milestone YAML, logs, sessions, state.json, current.txt, the configuration, the lock, temporary
and starter files). The repository is the folder that holds the `.milestones` the path is under;
a path under no `.milestones` (the user's own config folder, a test's scratch file) is only
held to the "regular file, no link for writing" rules.

- reading: a link is followed only when it resolves inside the repository; a FIFO, a device or
  a folder is refused by name (`lstat` first, then `O_NONBLOCK|O_NOFOLLOW` on the resolved
  path, then `fstat` again);
- writing: the folder is resolved and checked, opened as a directory, and the file is opened
  relative to it with `O_NOFOLLOW`; temporary files are created `O_CREAT|O_EXCL` under names
  kiro-tui chooses, and kiro-tui's own stale ones are removed.
"""

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

from kiro_tui.core.errors import InvalidFile

MS = ".milestones"
MAX_FILE_BYTES = 8 << 20  # milestone and config files above this are refused (configurable)
STALE_TEMP_AGE = 60.0  # seconds: kiro-tui's own temporary files older than this are removed
TEMP_NAME = re.compile(r"^\..+\.tmp\.(\d+)(\.[0-9a-f]{8})?$")


class UnsafePath(InvalidFile):
    """A path that leads out of the repository, a link where a file is written, or a file that
    is not a regular file (a FIFO, a device, a folder)."""


class TooBig(InvalidFile):
    """A file above the size bound; refused without being read."""


def repo_root_of(path: Path | str) -> Path | None:
    """The folder holding the `.milestones` that `path` is under, or None."""
    parts = Path(os.path.abspath(path)).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == MS:
            return Path(*parts[:i]) if i else Path(os.sep)
    return None


def _is_inside(base: str, real: str) -> bool:
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _root(path: Path | str, root: Path | str | None) -> Path | None:
    return Path(root) if root is not None else repo_root_of(path)


def resolve_inside(path: Path | str, root: Path | str | None = None) -> str:
    """The real path of `path`; UnsafePath when it resolves outside the repository."""
    real = os.path.realpath(path)
    base = _root(path, root)
    if base is not None and not _is_inside(os.path.realpath(base), real):
        raise UnsafePath("is a link that leads out of the repository; not followed",
                         file=_shown(path, base))
    return real


def _shown(path: Path | str, root: Path | None) -> str:
    """The path as the user knows it: relative to the repository when it is inside."""
    if root is not None:
        with contextlib.suppress(ValueError):
            return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(root)))
    return str(path)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(path: Path | str, root: Path | None, mode: int) -> UnsafePath:
    return UnsafePath(f"is {_kind(mode)}, not a regular file; not opened",
                      file=_shown(path, root))


def open_read(path: Path | str, root: Path | str | None = None, *,
              max_bytes: int | None = None) -> int:
    """A file descriptor for reading `path` (a regular file inside the repository).

    Raises FileNotFoundError when it does not exist, UnsafePath and TooBig (both InvalidFile,
    located) when it may not be read."""
    base = _root(path, root)
    st = os.lstat(path)
    real = resolve_inside(path, base)
    if stat.S_ISLNK(st.st_mode):
        st = os.stat(real)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, base, st.st_mode)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since the check
            raise UnsafePath("became a link while being opened; not followed",
                             file=_shown(path, base)) from None
        raise
    fst = os.fstat(fd)
    if not stat.S_ISREG(fst.st_mode):
        os.close(fd)
        raise _not_regular(path, base, fst.st_mode)
    if max_bytes is not None and fst.st_size > max_bytes:
        os.close(fd)
        raise TooBig(f"is {fst.st_size:,} bytes, above the limit of {max_bytes:,} "
                     "(limits.max_file_bytes in config/kiro-config.yaml); not read",
                     file=_shown(path, base))
    return fd


def read_fd(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_bytes_stat(path: Path | str, root: Path | str | None = None, *,
                    max_bytes: int | None = None) -> tuple[bytes, os.stat_result]:
    """The whole content of a regular file and the `fstat` of what was read."""
    fd = open_read(path, root, max_bytes=max_bytes)
    try:
        st = os.fstat(fd)
        limit = st.st_size if max_bytes is None else max_bytes
        data = read_fd(fd, limit + 1)  # a file growing while read is still bounded
        if max_bytes is not None and len(data) > max_bytes:
            raise TooBig(f"grew above the limit of {max_bytes:,} bytes while read; not read",
                         file=_shown(path, _root(path, root)))
        return data, st
    finally:
        os.close(fd)


def read_bytes(path: Path | str, root: Path | str | None = None, *,
               max_bytes: int | None = None) -> bytes:
    return read_bytes_stat(path, root, max_bytes=max_bytes)[0]


def read_text(path: Path | str, root: Path | str | None = None, *,
              max_bytes: int | None = None) -> str:
    """The UTF-8 text of a regular file; UnicodeDecodeError when it is not UTF-8."""
    return read_bytes(path, root, max_bytes=max_bytes).decode("utf-8")


# ---------------------------------------------------------------------------- writing

def ensure_dir(folder: Path | str, root: Path | str | None = None) -> str:
    """Create `folder` (and missing parents) inside the repository; its real path.

    Every existing component must be a folder, or a link to a folder inside the repository."""
    base = _root(folder, root)
    if base is None:
        os.makedirs(folder, exist_ok=True)
        real = os.path.realpath(folder)
        if not os.path.isdir(real):
            raise UnsafePath("is not a folder", file=str(folder))
        return real
    base_real = os.path.realpath(base)
    rel = Path(os.path.abspath(folder)).relative_to(os.path.abspath(base))
    cur = Path(os.path.abspath(base))
    for part in rel.parts:
        cur = cur / part
        for _ in range(3):  # a folder created by another writer meanwhile is fine
            try:
                st = os.lstat(cur)
            except FileNotFoundError:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(cur)
                continue
            if stat.S_ISLNK(st.st_mode):
                real = os.path.realpath(cur)
                if not _is_inside(base_real, real):
                    raise UnsafePath("is a link that leads out of the repository; nothing is "
                                     "written there", file=_shown(cur, base))
                st = os.stat(real)
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafePath(f"is {_kind(st.st_mode)}, not a folder",
                                 file=_shown(cur, base))
            break
    real = os.path.realpath(folder)
    if not _is_inside(base_real, real):
        raise UnsafePath("leads out of the repository; nothing is written there",
                         file=_shown(folder, base))
    return real


def open_dir(folder: Path | str, root: Path | str | None = None, *, create: bool = True) -> int:
    """A directory descriptor of `folder` (checked and, with `create`, created)."""
    real = ensure_dir(folder, root) if create else resolve_inside(folder, root)
    return os.open(real, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def _refuse_link(name: str, dfd: int, shown: str) -> os.stat_result | None:
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
        _refuse_link(path.name, dfd, shown)
        try:
            fd = os.open(path.name, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
                         | os.O_NONBLOCK | os.O_CLOEXEC, 0o644, dir_fd=dfd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePath("is a symbolic link; kiro-tui never writes through one",
                                 file=shown) from None
            if exc.errno == errno.ENXIO:
                raise UnsafePath("is a FIFO, not a regular file; not written",
                                 file=shown) from None
            raise
    finally:
        os.close(dfd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafePath(f"is {_kind(st.st_mode)}, not a regular file; not written", file=shown)
    return fd


def temp_name(name: str) -> str:
    """A temporary name of kiro-tui's own for `name` (matched by TEMP_NAME)."""
    return f".{name}.tmp.{os.getpid()}.{secrets.token_hex(4)}"


def create_temp(dfd: int, name: str, data: bytes, mode: int = 0o644) -> str:
    """Write `data` to a new temporary file beside `name` (O_CREAT|O_EXCL|O_NOFOLLOW), fsync it;
    its name in the folder."""
    for _ in range(8):
        tmp = temp_name(name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         mode, dir_fd=dfd)
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


def remove_stale_temps(dfd: int, folder_key: str, *, max_age: float = STALE_TEMP_AGE,
                       now: float | None = None) -> list[str]:
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
        st = _refuse_link(path.name, dfd, _shown(path, base))
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
                fd = os.open(path.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o644, dir_fd=dfd)
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
