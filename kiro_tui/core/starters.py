"""Starter files for a phase that starts: its folder and one file per deliverable, with the
template marker, written whole and never over a file that exists."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kiro_tui.core import deliverables as dl
from kiro_tui.core.model import Phase


def create_whole(target: Path, text: str) -> bool:
    """Create `target` with all of `text` at once, unless it exists (then leave it alone).

    Written to a temporary file first and linked into place, so that a writer racing with us
    (an agent writing the real deliverable as the phase starts) never gets its content
    overwritten by a half-written starter file."""
    tmp = target.with_name(f".{target.name}.tmp.{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here: fall back to an exclusive create
        try:
            with open(target, "x", encoding="utf-8") as fh:
                fh.write(text)
            return True
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


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
