"""Starter files for a phase that starts: its folder and one file per deliverable, with the
template marker, written whole and never over a file that exists."""

from __future__ import annotations

import os
from pathlib import Path

from kiro_tui.core import deliverables as dl
from kiro_tui.core.model import Phase


def create_whole(target: Path, text: str) -> bool:
    """Create `target` with all of `text` at once, unless it exists (then leave it alone).

    Written whole under a temporary name and moved into place, so that a writer racing with us
    (an agent writing the real deliverable as the phase starts) never gets its content
    overwritten by a half-written starter file; never through a link (safecreate.create_new)."""
    from kiro_tui.core import safecreate

    return safecreate.create_new(target, text.encode("utf-8"))


def write_starters(root: Path, task_id: str, phase: str, ph: Phase) -> None:
    """Create the phase folder and a starter file for each deliverable of `ph` that does not
    exist yet (nothing when a link on the way leads out of the repository)."""
    from kiro_tui.core.templates import starter_text

    folder = dl.phase_dir(root, task_id, phase)
    if not dl._inside(root, os.path.realpath(folder)):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for d in ph.deliverables:
        if d.path is not None:
            continue
        try:
            target = dl.resolve(root, task_id, phase, d)
        except Exception:
            continue
        text = starter_text(d.name, task_id, phase)
        if text is None or target.exists():
            continue
        create_whole(target, text)
