"""Where the palette's "Screenshot" goes: Textual saves to the Downloads folder, which fails
when there is none. kiro-tui saves to `~/Downloads` when it exists, else to the user's data
folder (`$XDG_DATA_HOME/kiro-tui/screenshots`, made when needed), else to the current folder,
and says the path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App


def folders() -> list[Path]:
    """The folders to try, in order."""
    import platformdirs

    return [
        Path(platformdirs.user_downloads_dir()),
        Path(platformdirs.user_data_dir("kiro-tui", appauthor=False)) / "screenshots",
        Path.cwd(),
    ]


def save(app: App[Any], filename: str | None = None, path: str | None = None) -> Path:
    """Save an SVG of the screen; returns the file written. Raises OSError when no folder
    could take it (the last error)."""
    from textual._files import generate_datetime_filename

    name = filename or generate_datetime_filename(app.title, ".svg")
    svg = app.export_screenshot()
    tries = [Path(os.path.expanduser(path))] if path else folders()
    error: OSError | None = None
    for i, folder in enumerate(tries):
        try:
            if i and not folder.is_dir():  # only the data folder is made; Downloads never
                folder.mkdir(parents=True, exist_ok=True)
            if not folder.is_dir():
                continue
            target = folder / name
            target.write_text(svg, encoding="utf-8")
            return target
        except OSError as exc:
            error = exc
    raise error or OSError(f"no folder to save {name} in")
