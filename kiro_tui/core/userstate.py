"""Per-repository files in the user's state folder (platformdirs): what was notified, when the
user last looked. Paths are computed by pure functions; folders are created only on save."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from kiro_tui.core.config import user_state_dir
from kiro_tui.core.lock import file_lock
from kiro_tui.core.safewrite import atomic_write


def repo_key(root: Path) -> str:
    """A short stable name for a repository: a hash of its real path."""
    return hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:16]


def repo_state_dir(root: Path, base: Path | None = None) -> Path:
    """`<user state>/repos/<key>/` for the repository at `root` (not created here)."""
    return (base or user_state_dir()) / "repos" / repo_key(root)


def read_json(path: Path) -> dict[str, Any] | None:
    """The mapping stored in `path`, or None when it is missing, unreadable or not a mapping
    (a damaged state file is forgotten, never fatal: it is rebuilt from the files)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> bool:
    """Write `data` atomically; False (and nothing raised) when the folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        return True
    except OSError:
        return False


@contextlib.contextmanager
def locked(path: Path) -> Any:
    """Hold the lock of `path`'s folder (created if needed) for a read-modify-write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path):
        yield
