"""Finding the workspace: the nearest folder holding `.milestones/` (light to import: the
dashboard calls it before its first frame)."""

from __future__ import annotations

import os
from pathlib import Path

from kiro_tui.core.errors import WorkspaceNotFound

MS = ".milestones"


def find_root(start: Path | str | None = None) -> Path:
    """The nearest folder at or above `start` that holds `.milestones/`."""
    here = Path(start or os.getcwd()).resolve()
    if not here.exists():
        raise WorkspaceNotFound(f"no such folder: {here}")
    for folder in (here, *here.parents):
        if (folder / MS).is_dir():
            return folder
    raise WorkspaceNotFound(
        f"no .milestones/ folder in {here} or any parent (run 'kiro-tui init' to create one)"
    )
