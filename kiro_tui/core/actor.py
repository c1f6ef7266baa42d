"""Who acts when no one is named: the user's configured name, git's user.name, the login."""

from __future__ import annotations

import contextlib
import getpass
import os
from pathlib import Path


def default_actor(root: Path | None = None, user_name: str | None = None) -> str:
    """`KIRO_USER`/`GIT_AUTHOR_NAME`, then `user_name` (the user config), then git's user.name
    (repository, then global), else the login name."""
    for key in ("KIRO_USER", "GIT_AUTHOR_NAME"):
        if os.environ.get(key):
            return os.environ[key]
    if user_name:
        return user_name
    try:
        import pygit2

        cfg: pygit2.Config | None = None
        if root is not None:
            with contextlib.suppress(Exception):
                cfg = pygit2.Repository(str(root)).config
        if cfg is None:
            cfg = pygit2.Config.get_global_config()
        name = cfg["user.name"]
        if name:
            return str(name)
    except Exception:
        pass
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
