"""`o`: open a file in the user's `$VISUAL` / `$EDITOR`, handing it the terminal.

The app is suspended (`App.suspend`) while the editor runs; where the driver cannot suspend
(a headless app: there is no terminal to hand over) the editor runs with no terminal at all.
The editor is an argv split from the variable (no shell); a failure is one line.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported


def editor_argv(env: Mapping[str, str] | None = None) -> list[str] | None:
    """`$VISUAL`, else `$EDITOR`, split like a shell would (None when neither is set)."""
    env = os.environ if env is None else env
    for name in ("VISUAL", "EDITOR"):
        value = (env.get(name) or "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                continue
            if argv:
                return argv
    return None


def open_in_editor(app: App[Any], path: Path) -> str | None:
    """Run the editor on `path` (on the UI thread: the app is suspended meanwhile). Returns
    None when it ran and exited 0, else the one line to show."""
    argv = editor_argv()
    if argv is None:
        return "set $VISUAL or $EDITOR to open files"
    cmd = [*argv, str(path)]
    try:
        try:
            with app.suspend():
                rc = subprocess.call(cmd)
        except SuspendNotSupported:  # headless: nothing to give the terminal to
            rc = subprocess.call(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
    except OSError as exc:
        return f"cannot run the editor {argv[0]!r}: {exc.strerror or exc}"
    return None if rc == 0 else f"the editor {argv[0]!r} exited with status {rc}"
