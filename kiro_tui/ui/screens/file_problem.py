"""The modal that Enter on a file-level blocker opens (issue 10, item 11): the located error in
full, and an offer to open the file in the user's editor ($VISUAL, else $EDITOR) at its line.

The editor runs with the dashboard suspended (a terminal editor gets the terminal); where the
terminal cannot be handed over (a headless run), it runs beside the dashboard. The file must
lie inside `.milestones/` of this workspace: a blocker never names a path to open elsewhere."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Label, Static


def editor_command(path: Path, line: int | None) -> list[str] | None:
    """The editor's argv for `path` (at `line` when the editor is one that takes `+N`), or
    None when neither $VISUAL nor $EDITOR is set."""
    raw = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not raw or not raw.strip():
        return None
    argv = shlex.split(raw)
    name = os.path.basename(argv[0])
    if line and name in ("vi", "vim", "nvim", "nano", "emacs", "emacsclient", "micro", "kak"):
        argv.append(f"+{line}")
    return [*argv, str(path)]


class FileProblemScreen(ModalScreen[None]):
    """A file's located problem; Enter opens the file, Escape closes."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="file_problem.close"),
        Binding("enter", "open_file", "Open in editor", id="file_problem.open"),
    ]

    def __init__(
        self, root: Path, file: str, message: str, suggestion: str, line: int | None = None
    ) -> None:
        super().__init__()
        self.root = root
        self.file = file  # relative to .milestones/
        self.message = message
        self.suggestion = suggestion
        self.line = line
        self.opened: list[str] | None = None  # the editor's argv, once run

    def path(self) -> Path | None:
        """The file, only when it lies inside this workspace's `.milestones/`."""
        ms = (self.root / ".milestones").resolve()
        p = (ms / self.file).resolve()
        return p if p.is_file() and p.is_relative_to(ms) else None

    def compose(self) -> ComposeResult:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        offer = (
            f"Enter opens it in {escape(editor)} · Escape closes"
            if editor
            else "set $EDITOR to open it from here · Escape closes"
        )
        with Vertical(id="file-problem"):
            yield Label(Content.from_markup(f"[b]{escape(self.file)}[/b]"), id="file-problem-title")
            yield Static(
                Content.from_markup(
                    f"{escape(self.message)}\n\n[dim]{escape(self.suggestion)}[/dim]"
                ),
                id="file-problem-text",
            )
            yield Label(offer, id="file-problem-help")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_open_file(self) -> None:
        path = self.path()
        if path is None:
            self.notify(f"{self.file} is not a file inside .milestones/", severity="warning")
            return
        argv = editor_command(path, self.line)
        if argv is None:
            self.notify("set $EDITOR (or $VISUAL) to open files from the dashboard", timeout=4)
            return
        self.opened = argv
        try:
            if self.app.is_headless:
                subprocess.run(argv, check=False, timeout=600)
            else:
                with self.app.suspend():
                    subprocess.run(argv, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            self.notify(f"could not run {argv[0]}: {exc}", severity="error")
            return
        self.dismiss(None)
