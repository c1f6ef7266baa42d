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
- writing (safecreate.py): the folder is resolved and checked here (`ensure_dir`, `open_dir`),
  opened as a directory, and the file is opened relative to it with `O_NOFOLLOW`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from kiro_tui.core.errors import InvalidFile

MS = ".milestones"
MAX_FILE_BYTES = 8 << 20  # milestone and config files above this are refused (configurable)


class UnsafePath(InvalidFile):
    """A path that leads out of the repository, a link where a file is written, or a file that
    is not a regular file (a FIFO, a device, a folder)."""


class TooBig(InvalidFile):
    """A file above the size bound; refused without being read."""


def repo_root_of(path: Path | str) -> Path | None:
    """The folder holding the `.milestones` that `path` is under, or None (the outermost one:
    a copy kept under `.milestones/reviews/` may hold a `.milestones` folder of its own)."""
    parts = Path(os.path.abspath(path)).parts
    for i in range(len(parts)):
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
        raise UnsafePath(
            "is a link that leads out of the repository; not followed", file=_shown(path, base)
        )
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
    return UnsafePath(f"is {_kind(mode)}, not a regular file; not opened", file=_shown(path, root))


def open_read(
    path: Path | str, root: Path | str | None = None, *, max_bytes: int | None = None
) -> int:
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
            raise UnsafePath(
                "became a link while being opened; not followed", file=_shown(path, base)
            ) from None
        raise
    fst = os.fstat(fd)
    if not stat.S_ISREG(fst.st_mode):
        os.close(fd)
        raise _not_regular(path, base, fst.st_mode)
    if max_bytes is not None and fst.st_size > max_bytes:
        os.close(fd)
        raise TooBig(
            f"is {fst.st_size:,} bytes, above the limit of {max_bytes:,} "
            "(limits.max_file_bytes in config/kiro-config.yaml); not read",
            file=_shown(path, base),
        )
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


def read_bytes_stat(
    path: Path | str, root: Path | str | None = None, *, max_bytes: int | None = None
) -> tuple[bytes, os.stat_result]:
    """The whole content of a regular file and the `fstat` of what was read."""
    fd = open_read(path, root, max_bytes=max_bytes)
    try:
        st = os.fstat(fd)
        limit = st.st_size if max_bytes is None else max_bytes
        data = read_fd(fd, limit + 1)  # a file growing while read is still bounded
        if max_bytes is not None and len(data) > max_bytes:
            raise TooBig(
                f"grew above the limit of {max_bytes:,} bytes while read; not read",
                file=_shown(path, _root(path, root)),
            )
        return data, st
    finally:
        os.close(fd)


def read_bytes(
    path: Path | str, root: Path | str | None = None, *, max_bytes: int | None = None
) -> bytes:
    return read_bytes_stat(path, root, max_bytes=max_bytes)[0]


def read_text(
    path: Path | str, root: Path | str | None = None, *, max_bytes: int | None = None
) -> str:
    """The UTF-8 text of a regular file; UnicodeDecodeError when it is not UTF-8."""
    return read_bytes(path, root, max_bytes=max_bytes).decode("utf-8")


# ---------------------------------------------------------------------------- folders for writing


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
                    raise UnsafePath(
                        "is a link that leads out of the repository; nothing is written there",
                        file=_shown(cur, base),
                    )
                st = os.stat(real)
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafePath(f"is {_kind(st.st_mode)}, not a folder", file=_shown(cur, base))
            break
    real = os.path.realpath(folder)
    if not _is_inside(base_real, real):
        raise UnsafePath(
            "leads out of the repository; nothing is written there", file=_shown(folder, base)
        )
    return real


def open_dir(folder: Path | str, root: Path | str | None = None, *, create: bool = True) -> int:
    """A directory descriptor of `folder` (checked and, with `create`, created)."""
    real = ensure_dir(folder, root) if create else resolve_inside(folder, root)
    return os.open(real, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
