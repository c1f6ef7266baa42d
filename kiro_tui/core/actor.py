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
    simple = _git_user_name(root)
    if simple is not None:
        return simple or _login()
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
    return _login()


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _git_config_files(root: Path | None) -> list[Path]:
    """git's config files, the most specific first: the repository's, the global ones."""
    home = Path(os.environ.get("HOME") or Path.home())
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    files = [] if root is None else [root / ".git" / "config"]
    if os.environ.get("GIT_CONFIG_GLOBAL"):  # instead of both global files
        files.append(Path(os.environ["GIT_CONFIG_GLOBAL"]))
    else:
        files += [home / ".gitconfig", Path(xdg) / "git" / "config"]
    if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
        files.append(Path("/etc/gitconfig"))
    return files


def _git_user_name(root: Path | None) -> str | None:
    """git's user.name read off its config files when they are plain (no includes, no
    environment overrides): "" when none sets it; None when only git itself can tell (pygit2
    is then asked: importing it costs ~60 ms of every command)."""
    if any(
        k.startswith("GIT_CONFIG") and k not in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")
        for k in os.environ
    ):
        return None
    repo: Path | None = None
    if root is not None:
        if os.environ.get("GIT_DIR"):
            return None
        for folder in (root, *root.parents):
            dot = folder / ".git"
            if dot.is_dir():
                repo = folder
                break
            if dot.exists():
                return None  # a worktree or submodule: its config lives elsewhere
    for path in _git_config_files(repo):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            return None
        name = _user_name_in(text)
        if name is None:
            return None
        if name:
            return name
    return ""


def _user_name_in(text: str) -> str | None:
    """The last `name` of the `[user]` sections of a git config text ("" when none); None when
    the text has includes or anything this simple reading might get wrong."""
    section = ""
    found = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            header, close, rest = line[1:].partition("]")
            name = header.split('"')[0].strip().lower()
            if not close or rest.strip() or name in ("include", "includeif"):
                return None  # `[user] name = x` on one line, includes: git reads those
            section = name if '"' not in header else f"{name} (sub)"
            continue
        if section != "user":
            continue
        key, sep, value = line.partition("=")
        if key.strip().lower() != "name":
            continue
        value = value.strip()
        if not sep or "\\" in value or value.endswith("\\") or ";" in value or "#" in value:
            return None  # escapes, continuations, comments: let git read it
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        if '"' in value:
            return None
        found = value
    return found
