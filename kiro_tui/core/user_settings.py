"""Saving a personal setting (theme, ...) to the user's config file, keeping everything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiro_tui.core.config import PERSONAL_KEYS, user_config_dir
from kiro_tui.core.errors import Refused
from kiro_tui.core.safewrite import atomic_write, edit_yaml


def save_setting(key: str, value: Any, user_dir: Path | None = None) -> Path:
    """Set `key` in `<user config>/config.yaml` (created, with its folder, only now)."""
    if key not in PERSONAL_KEYS:
        raise Refused(f"{key!r} is not a personal setting (one of {', '.join(PERSONAL_KEYS)})")
    path = (user_dir or user_config_dir()) / "config.yaml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, "# kiro-tui personal settings\n{}\n")

    def fn(doc: dict[str, Any]) -> None:
        doc[key] = value

    edit_yaml(path, fn)
    return path
